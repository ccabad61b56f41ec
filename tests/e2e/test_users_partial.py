"""`users create --console` by an admin whom AWS refuses CreateLoginProfile (the sandbox enforces
identity policies): the error says what was done, what failed and how to finish, and the same
command run again by a full admin finishes the job."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_plan_apply import command
from tests.e2e.test_users import Admin

pytestmark = pytest.mark.e2e

ALL_BUT_PASSWORDS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "iam:CreateLoginProfile", "Resource": "*"},
]})


@pytest.fixture
def admin(fresh_applied_sandbox: SandboxHandle, tmp_path: Path) -> Admin:
    return Admin(fresh_applied_sandbox, tmp_path)


def test_a_denied_console_password_says_what_was_done_and_the_same_command_finishes(
        admin: Admin, tmp_path: Path) -> None:
    iam = admin.box.client("iam")
    iam.create_user(UserName="helper", Path="/sandbox/")
    iam.put_user_policy(UserName="helper", PolicyName="all-but-passwords", PolicyDocument=ALL_BUT_PASSWORDS)
    key = iam.create_access_key(UserName="helper")["AccessKey"]
    env = {**admin.box.env, "AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
           "AWSROLES_AUDIT_LOG": str(tmp_path / "helper-audit.jsonl")}
    argv = ["users", "create", "carol", "--team", "backend", "--console", "--yes"]
    helper = subprocess.run([*command(), "--file", str(admin.org), *argv], env=env, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)

    assert helper.returncode == 1, helper.stderr
    lines = helper.stderr.splitlines()
    assert lines[0].startswith("awsroles: error: users create carol stopped part-way: CreateLoginProfile failed: "
                               "AccessDenied: ")
    ops = admin.box.org.ops.id
    assert lines[1] == (f"  done: carol added to the org file {admin.org}; IAM user carol exists in ops ({ops}) in "
                        "groups awsroles-users, team-backend")
    assert lines[2] == "  not done: the console password (carol cannot sign in to the console yet)"
    assert lines[3].startswith("  to finish: fix the cause, then re-run "
                               "`awsroles users create carol --team backend --console`")
    assert helper.stdout == ""
    (entry,) = [json.loads(x) for x in (tmp_path / "helper-audit.jsonl").read_text().splitlines()]
    assert entry["action"] == "users.create" and entry["target"] == "carol"  # what was done is on record
    assert entry["details"]["stopped"].startswith("CreateLoginProfile failed: AccessDenied")

    finished = admin.ok(*argv)  # the same command, by an admin allowed to set passwords
    assert "Finished creating user carol" in finished.stdout
    assert "Temporary console password" in finished.stdout
    iam.get_login_profile(UserName="carol")
