"""Break-glass in an org on IAM Identity Center alone, end to end as people run it
(docs/temporary-access.md, "Break-glass through IAM Identity Center"): alice, named in
``[break-glass prod]``, signs in once in the browser; `setup` finds her way to the break-glass
role; `login prod --break-glass --reason` assumes it from her break-glass permission set, the
audit log keeps the reason, and the AWS CLI run by `exec --break-glass` is the break-glass role,
its session named after her; bob, named nowhere, is refused before anything reaches AWS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from awsroles.sandbox.client import sso_start_url
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle, apply_org
from tests.e2e.test_signin import Person

pytestmark = pytest.mark.e2e

SECTION = """
[break-glass prod]
people = alice
managed = arn:aws:iam::aws:policy/AdministratorAccess
"""
ROLE_ARN = "arn:aws:iam::444444444444:role/awsroles/breakglass"


def test_alice_breaks_the_glass_from_her_identity_center_sign_in_and_bob_cannot(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    org = tmp_path / "awsroles.ini"
    org.write_text((EXAMPLES / "identity-center.ini").read_text().replace("../policies", str(REPO / "policies"))
                   + SECTION)
    box = sandbox_factory(org)
    apply_org(box)
    audit = tmp_path / "audit.jsonl"
    start_url = sso_start_url(box.endpoint, "111111111111", box.region)
    alice, bob = (Person(box, name, tmp_path / name, start_url) for name in ("alice", "bob"))
    env = {p.name: {**p.env, "AWSROLES_AUDIT_LOG": str(audit)} for p in (alice, bob)}
    done = {person.name: person.setup() for person in (alice, bob)}
    assert all(d.returncode == 0 for d in done.values()), done
    assert "  break-glass:   prod (awsroles login prod --break-glass --reason TEXT" in done["alice"].stdout
    assert "break-glass:" not in done["bob"].stdout

    refused = bob.local("login", "prod", "--break-glass", "--reason", "INC-1234", env=env["bob"])
    assert refused.returncode == 5 and "you are named in no [break-glass prod]" in refused.stderr, refused.stderr
    assert not audit.exists()

    login = alice.run("login", "prod", "--break-glass", "--reason", "INC-1234 database down", "-o", "json",
                      env=env["alice"])
    assert login.returncode == 0, login.stderr
    shown = json.loads(login.stdout)
    assert shown["break_glass"] is True and shown["role_arn"] == ROLE_ARN
    (entry,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert entry["action"] == "break-glass-login" and entry["details"]["reason"] == "INC-1234 database down"
    assert entry["actor"] == "alice"

    who = alice.run("exec", "prod", "--break-glass", "--", "aws", "sts", "get-caller-identity", "--output", "json",
                    env=env["alice"])
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"] == "arn:aws:sts::444444444444:assumed-role/breakglass/alice"
