"""Break-glass end to end (docs/temporary-access.md#break-glass): apply makes the role and its alarm;
a named person logs in with a reason, which AWS receives as a session tag and the audit log keeps;
someone not named is refused by AWS."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import boto3
import pytest

from awsroles.sandbox.seed import enroll_person
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_credentials import Person
from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e

SECTION = """
[break-glass prod]
people = alice
managed = arn:aws:iam::aws:policy/AdministratorAccess
alarm_email = security@acme.example
"""
ROLE_ARN = "arn:aws:iam::444444444444:role/awsroles/breakglass"


def test_break_glass_is_for_the_people_named_with_a_reason(fresh_applied_sandbox: SandboxHandle,
                                                            tmp_path: Path) -> None:
    box = fresh_applied_sandbox
    org = tmp_path / "awsroles.ini"
    org.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")) + SECTION)
    applied = subprocess.run([*command(), "--file", str(org), "apply", "--yes"], env=box.env, capture_output=True,
                             text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "breakglass" in applied.stdout
    events = box.client("events", "prod")
    rule = events.describe_rule(Name="awsroles-break-glass")
    assert json.loads(rule["EventPattern"])["detail"]["requestParameters"]["roleArn"] == [ROLE_ARN]
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule="awsroles-break-glass")["Targets"]] == [
        "arn:aws:sns:us-east-1:444444444444:awsroles-break-glass"]

    alice = Person(box, enroll_person(box.aws(), box.org, "alice"), tmp_path / "alice")
    audit = tmp_path / "alice-audit.jsonl"
    env = {**alice.env, "AWSROLES_FILE": str(org), "AWSROLES_AUDIT_LOG": str(audit)}
    setup = alice.local("setup", "--access-key-id", alice.creds.access_key_id, "--secret-stdin", "--store", "file",
                      env=env, stdin=alice.creds.secret_access_key + "\n")
    assert setup.returncode == 0, setup.stderr
    assert "  break-glass:   prod (awsroles login prod --break-glass --reason TEXT" in setup.stdout

    no_reason = alice.local("login", "prod", "--break-glass", "--mfa-code", alice.code(), env=env, stdin="")
    assert no_reason.returncode == 2 and "--break-glass needs --reason" in no_reason.stderr  # nothing asked of AWS
    assert not audit.exists()

    login = alice.run("login", "prod", "--break-glass", "--reason", "INC-1234 database down", "--mfa-code",
                      alice.code(), "-o", "json", env=env, stdin="")
    assert login.returncode == 0, login.stderr
    shown = json.loads(login.stdout)
    assert shown["role_arn"] == ROLE_ARN and shown["break_glass"] is True
    (entry,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert entry["action"] == "break-glass-login" and entry["target"] == ROLE_ARN
    assert entry["details"]["reason"] == "INC-1234 database down"

    # the session works, through exec only; credential-process never serves it
    used = alice.run("exec", "prod", "--break-glass", "--", "python3", "-c",
                     "import os; print(os.environ['AWSROLES_SESSION'])", env=env, stdin="")
    assert used.returncode == 0 and used.stdout.strip() == "prod/breakglass", used.stderr
    served = alice.run("credential-process", "prod", "--role", "breakglass", env=env, stdin="")
    assert served.returncode != 0 and "Traceback" not in served.stderr
    status = alice.local("status", "-o", "json", env=env, stdin="")
    assert "breakglass (break-glass)" in status.stdout, status.stderr
    assert alice.local("logout", env=env, stdin="").returncode == 0  # forgets it
    gone = alice.run("exec", "prod", "--break-glass", "--", "true", env=env, stdin="")
    assert gone.returncode == 2 and "no break-glass session for prod" in gone.stderr

    # bob, not named, is refused by AWS itself (his own policy does not allow it), MFA or not
    bob = enroll_person(box.aws(), box.org, "bob")
    sts = boto3.client("sts", endpoint_url=box.endpoint, region_name="us-east-1",
                       aws_access_key_id=bob.access_key_id, aws_secret_access_key=bob.secret_access_key)
    token = sts.get_session_token(SerialNumber=bob.mfa_serial, TokenCode=bob.mfa_code())["Credentials"]
    as_bob = boto3.client("sts", endpoint_url=box.endpoint, region_name="us-east-1",
                          aws_access_key_id=token["AccessKeyId"], aws_secret_access_key=token["SecretAccessKey"],
                          aws_session_token=token["SessionToken"])
    with pytest.raises(as_bob.exceptions.ClientError, match="AccessDenied"):
        as_bob.assume_role(RoleArn=ROLE_ARN, RoleSessionName="bob", SourceIdentity="bob",
                           Tags=[{"Key": "awsroles:reason", "Value": "curious"}])
