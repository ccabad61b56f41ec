"""`awsroles revoke --end-sessions` as an admin runs it, while people hold live role sessions from
`awsroles login`: bob's session is refused at once, alice's (same role, another team) is not."""

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


def _role_iam(box: SandboxHandle, person: Person) -> object:
    """An IAM client on the person's live dev/admin session (what `awsroles env` hands out)."""
    result = person.run("env", "dev", "--role", "admin", "--format", "json")
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
    people = {}
    for name in ("alice", "bob"):
        person = Person(box, enroll_person(box.aws(), box.org, name), tmp_path / name)
        assert person.setup().returncode == 0
        login = person.run("login", "dev", "--role", "admin", "--mfa-code", person.code())
        assert login.returncode == 0, login.stderr
        people[name] = _role_iam(box, person)
    for iam in people.values():
        assert iam.list_roles(PathPrefix="/awsroles/")["Roles"]  # type: ignore[attr-defined]

    revoked = subprocess.run([*command(), "--file", str(org), "revoke", "backend", "dev", "admin",
                              "--end-sessions", "--yes"], env={**box.env, "AWSROLES_AUDIT_LOG": str(tmp_path / "a")},
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert revoked.returncode == 0, revoked.stderr
    assert "refuse sessions of bob issued before" in revoked.stderr

    with pytest.raises(ClientError) as refused:
        people["bob"].list_roles(PathPrefix="/awsroles/")  # type: ignore[attr-defined]
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert people["alice"].list_roles(PathPrefix="/awsroles/")["Roles"]  # type: ignore[attr-defined]
