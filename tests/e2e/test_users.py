"""`awsroles users list|show|create|disable|offboard` as an admin runs them: a subprocess against a sandbox.

Each test works on a copy of the classic org file (never the repo's example) and its own audit log.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from awsroles.sandbox.seed import enroll_person
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e


class Admin:
    """Runs awsroles on a copy of the org file, with a private audit log."""

    def __init__(self, box: SandboxHandle, tmp_path: Path) -> None:
        self.box = box
        self.org = tmp_path / "org.ini"
        self.org.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
        self.audit = tmp_path / "audit.jsonl"

    @property
    def env(self) -> dict[str, str]:
        return {**self.box.env, "AWSROLES_AUDIT_LOG": str(self.audit)}

    def __call__(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command(), "--file", str(self.org), *argv], env=self.env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)

    def local(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """The same command in this process (:mod:`tests.e2e.inprocess`): for a step that sets up or
        checks the one under test, or a refusal whose promise is its message and exit code."""
        return invoke(["--file", str(self.org), *argv], self.env)

    def ok(self, *argv: str, local: bool = False) -> subprocess.CompletedProcess[str]:
        result = self.local(*argv) if local else self(*argv)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def users(self) -> dict[str, dict]:
        return {u["name"]: u for u in json.loads(self.ok("users", "list", "-o", "json", local=True).stdout)}

    def audit_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.audit.read_text().splitlines()] if self.audit.exists() else []


@pytest.fixture
def admin(fresh_applied_sandbox: SandboxHandle, tmp_path: Path) -> Admin:
    """An admin on a sandbox of this test's own, with the classic org applied."""
    return Admin(fresh_applied_sandbox, tmp_path)


@pytest.fixture
def reading_admin(applied_sandbox: SandboxHandle, tmp_path: Path) -> Admin:
    """An admin on the shared applied sandbox: for tests that change nothing in AWS."""
    return Admin(applied_sandbox, tmp_path)


def test_create_list_and_show(admin: Admin) -> None:
    box = admin.box
    before = admin.org.read_text()
    created = admin("users", "create", "carol", "--team", "backend", "--email", "carol@acme.example", "--console",
                    "--yes")
    assert created.returncode == 0, created.stderr
    line = next(x for x in created.stdout.splitlines() if "password" in x)
    password = line.rsplit(" ", 1)[-1]
    assert len(password) >= 20 and created.stdout.count(password) == 1 and password not in created.stderr
    iam = box.client("iam")
    assert iam.get_user(UserName="carol")["User"]["Path"] == "/awsroles/"
    assert sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="carol")["Groups"]) == [
        "awsroles-users", "team-backend"]
    iam.get_login_profile(UserName="carol")
    text = admin.org.read_text()
    assert "[user carol]" in text and "carol@acme.example" in text
    comments = [x for x in before.splitlines() if x.lstrip().startswith(";") or ";" in x]
    assert all(c in text for c in comments)  # every comment survived
    assert admin.audit.read_text() and password not in admin.audit.read_text()
    entry = admin.audit_lines()[-1]
    assert entry["action"] == "users.create" and entry["target"] == "carol"
    assert entry["actor"].endswith("user/sandbox/sandbox-admin")
    assert admin.ok("plan", "--detailed-exitcode", local=True)  # AWS matches the edited file

    users = admin.users()
    assert users["carol"]["in_org"] and users["carol"]["in_aws"] and users["carol"]["console"]
    assert users["bob"]["mfa"] is False and users["bob"]["keys"] == []
    assert users["sandbox-admin"]["managed"] is False
    enroll_person(box.aws(), box.org, "bob")
    bob = admin.users()["bob"]
    assert bob["mfa"] is True and len(bob["keys"]) == 1
    assert bob["keys"][0]["age_days"] == 0 and bob["keys"][0]["status"] == "Active"
    csv = admin.ok("users", "list", "-o", "csv", local=True).stdout
    assert csv.splitlines()[0].startswith("user,path,teams") and "\nbob," in csv
    table = admin.ok("users", "list", local=True).stdout
    assert "carol" in table and "backend" in table
    shown = json.loads(admin.ok("users", "show", "bob", "-o", "json", local=True).stdout)
    assert shown["name"] == "bob" and shown["mfa"] is True

    # A user in AWS under the org's path but not in the file is flagged.
    iam.create_user(UserName="stray", Path="/awsroles/")
    flagged = admin.ok("users", "list")
    assert "stray is in AWS under /awsroles/ but not in the org file" in flagged.stderr


def test_create_refusals_change_nothing(admin: Admin) -> None:
    iam = admin.box.client("iam")
    iam.create_user(UserName="dave", Path="/elsewhere/")
    before = admin.org.read_bytes()
    for run, argv, message in [  # the first as a process, the others here
        (admin, ("users", "create", "dave", "--team", "backend", "--yes"), "already exists"),
        (admin.local, ("users", "create", "bob", "--team", "backend", "--yes"), "already exists"),
        (admin.local, ("users", "create", "erin", "--team", "nope", "--yes"), "unknown team"),
        (admin.local, ("users", "create", "erin", "--team", "backend"), "pass --yes"),
    ]:
        result = run(*argv)
        assert result.returncode == 2, (argv, result.stdout, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert admin.org.read_bytes() == before
    assert "erin" not in {u["UserName"] for u in iam.list_users()["Users"]}
    assert admin.audit_lines() == []


def test_disable(admin: Admin) -> None:
    box = admin.box
    iam = box.client("iam")
    enroll_person(box.aws(), box.org, "alice")
    iam.create_login_profile(UserName="alice", Password="Aa1!Bb2@Cc3#Dd4$Ee5%", PasswordResetRequired=True)
    result = admin.ok("users", "disable", "alice")
    assert "deactivate access key" in result.stdout and "delete console password" in result.stdout
    assert [k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == ["Inactive"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="alice")
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"]  # kept: reversible
    assert len(iam.list_groups_for_user(UserName="alice")["Groups"]) == 2
    assert admin.audit_lines()[-1]["action"] == "users.disable"
    assert "Aa1!" not in admin.audit.read_text()
    # the record of disabled keys is state, not drift: plan neither flags nor removes it
    gate = admin.local("plan", "--detailed-exitcode")
    assert gate.returncode == 0 and "remove tag" not in gate.stdout, gate.stdout + gate.stderr

    # enable undoes it: the key disable deactivated, not one made inactive otherwise; a new password
    spare = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="alice", AccessKeyId=spare, Status="Inactive")  # inactive on purpose
    enabled = json.loads(admin.ok("users", "enable", "alice", "-o", "json").stdout)
    statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]}
    assert statuses[spare] == "Inactive" and sorted(statuses.values()) == ["Active", "Inactive"]
    password = enabled["console_password"]
    assert password and iam.get_login_profile(UserName="alice")["LoginProfile"]["UserName"] == "alice"
    assert password not in admin.audit.read_text() and admin.audit_lines()[-1]["action"] == "users.enable"
    assert "awsroles-disabled-keys" not in {t["Key"] for t in iam.list_user_tags(UserName="alice")["Tags"]}
    again = json.loads(admin.ok("users", "enable", "alice", "-o", "json", local=True).stdout)
    assert again == {"user": "alice", "steps": [], "console_password": None}  # nothing left to undo


def test_offboard(admin: Admin) -> None:
    box = admin.box
    iam = box.client("iam")
    enroll_person(box.aws(), box.org, "bob")
    iam.create_login_profile(UserName="bob", Password="Aa1!Bb2@Cc3#Dd4$Ee5%", PasswordResetRequired=True)
    before = admin.org.read_bytes()

    dry = admin.ok("users", "offboard", "bob", "--dry-run")
    for step in ("delete console password", "delete access key", "deactivate MFA device",
                 "delete virtual MFA device", "remove from group team-backend", "delete IAM user bob",
                 "remove bob from the org file"):
        assert step in dry.stdout, dry.stdout
    assert admin.org.read_bytes() == before and iam.get_user(UserName="bob")
    assert admin.audit_lines() == []

    refused = admin.local("users", "offboard", "bob")  # no terminal, no --yes
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    assert admin.org.read_bytes() == before

    done = admin.ok("users", "offboard", "bob", "--yes")
    assert "Offboarded bob" in done.stdout
    assert "bob" not in {u["UserName"] for u in iam.list_users()["Users"]}
    assert not iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    text = admin.org.read_text()
    assert "[user bob]" not in text and "members = bob" not in text
    assert "; The classic multi-account org" in text
    assert admin.audit_lines()[-1]["action"] == "users.offboard"
    assert "bob" not in admin.users()


def test_offboard_refusals(reading_admin: Admin) -> None:
    admin = reading_admin
    before = admin.org.read_bytes()
    last_admin = admin("users", "offboard", "alice", "--yes")
    assert last_admin.returncode == 2
    assert "last member of team 'platform'" in last_admin.stderr
    assert len(last_admin.stderr.strip().splitlines()) == 1
    assert admin.box.client("iam").get_user(UserName="alice")
    for argv in (("users", "offboard", "nobody", "--yes"), ("users", "disable", "nobody"),
                 ("users", "show", "nobody"), ("users", "offboard", "sandbox-admin", "--yes")):
        result = admin.local(*argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    yourself = admin.local("users", "offboard", "sandbox-admin", "--yes")  # the caller
    assert yourself.returncode == 2 and "refusing to offboard yourself" in yourself.stderr
    assert admin.org.read_bytes() == before and admin.audit_lines() == []


def test_every_help_has_an_example(reading_admin: Admin) -> None:
    admin = reading_admin
    for name in ("list", "show", "create", "disable", "offboard"):
        assert "Example" in admin.ok("users", name, "--help", local=True).stdout
