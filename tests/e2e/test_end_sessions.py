"""`awsroles revoke --end-sessions` as an admin runs it, while people hold live role sessions from
`awsroles login`: bob's session is refused at once, alice's (same role, another team) is not, both
through boto3 and through the AWS CLI v2 (Debian's `awscli`, with the `credential_process` profile
`awsroles profiles sync` writes)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from awsroles.sandbox.seed import enroll_person
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle, apply_org
from tests.e2e.test_credentials import Person, command

pytestmark = pytest.mark.e2e

_ONCE = Config(retries={"mode": "standard", "total_max_attempts": 1})
AWS_V2 = "/usr/bin/aws"  # Debian's awscli package (2.x); .ci/run installs it


def _cli_list_roles(box: SandboxHandle, person: Person) -> subprocess.CompletedProcess[str]:
    """The AWS CLI v2 on the person's profile for dev/admin: credentials from `awsroles
    credential-process`, served from what `awsroles login` cached."""
    return subprocess.run([AWS_V2, "iam", "list-roles", "--path-prefix", "/awsroles/", "--profile", "acme-dev-admin",
                           "--endpoint-url", box.endpoint, "--output", "json"],
                          env={**person.env, "AWS_MAX_ATTEMPTS": "1"}, capture_output=True, text=True, timeout=60)


def _role_iam(box: SandboxHandle, person: Person) -> object:
    """An IAM client on the person's live dev/admin session (what `awsroles env` hands out)."""
    result = person.local("env", "dev", "--role", "admin", "--format", "json")
    assert result.returncode == 0, result.stderr
    creds = json.loads(result.stdout)
    session = boto3.Session(aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=creds["AWS_SESSION_TOKEN"], region_name=box.region)
    return session.client("iam", endpoint_url=box.endpoint, config=_ONCE)


def test_revoke_end_sessions_refuses_bobs_live_session_at_once_not_alices(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    org = tmp_path / "awsroles.ini"  # alice (platform) and bob (backend) may both assume dev/admin
    org.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
                   .replace("members = bob\ndev = developer, readonly\n", "members = bob\ndev = admin\n"))
    box = sandbox_factory(org)
    apply_org(box)
    people, persons = {}, {}
    for name in ("alice", "bob"):
        person = Person(box, enroll_person(box.aws(), box.org, name), tmp_path / name)
        assert person.setup(local=True).returncode == 0  # set-up, in this process
        person.login("dev")
        people[name] = _role_iam(box, person)
        assert person.local("profiles", "sync").returncode == 0
        persons[name] = person
    for iam in people.values():
        assert iam.list_roles(PathPrefix="/awsroles/")["Roles"]  # type: ignore[attr-defined]
    for person in persons.values():
        listed = _cli_list_roles(box, person)
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)["Roles"]

    revoked = subprocess.run([*command(), "--file", str(org), "revoke", "backend", "dev", "admin",
                              "--end-sessions", "--yes"], env={**box.env, "AWSROLES_AUDIT_LOG": str(tmp_path / "a")},
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert revoked.returncode == 0, revoked.stderr
    assert "refuse sessions of bob issued before" in revoked.stderr

    with pytest.raises(ClientError) as refused:
        people["bob"].list_roles(PathPrefix="/awsroles/")  # type: ignore[attr-defined]
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert people["alice"].list_roles(PathPrefix="/awsroles/")["Roles"]  # type: ignore[attr-defined]

    # The AWS CLI gets bob's cached session from awsroles, and AWS refuses it the same way.
    refused_cli = _cli_list_roles(box, persons["bob"])
    assert refused_cli.returncode != 0 and "AccessDenied" in refused_cli.stderr, refused_cli.stderr
    allowed_cli = _cli_list_roles(box, persons["alice"])
    assert allowed_cli.returncode == 0, allowed_cli.stderr
