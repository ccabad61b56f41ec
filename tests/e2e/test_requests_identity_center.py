"""A request and its approval in an org whose people are in IAM Identity Center, end to end as they
run it: bob, signed in through Identity Center (no access key), asks for admin in prod; he is who
his Identity Center session says; he cannot approve his own request; alice, signed in the same
way, approves and applies; carol, given no role yet, cannot be named by AWS and is told so; bob's
portal then gives him the grant's permission set, and `login` works (docs/temporary-access.md,
"Requests and approvals")."""

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


def test_bob_signed_in_through_identity_center_requests_alice_approves_bob_logs_in(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    org = tmp_path / "awsroles.ini"
    text = (EXAMPLES / "identity-center.ini").read_text().replace("../policies", str(REPO / "policies"))
    org.write_text(text.replace("policy_dir = ", "approvers = alice, bob\npolicy_dir = ", 1)
                   + "\n[user carol]\nemail = carol@acme.example\n")
    box = sandbox_factory(org)
    apply_org(box)
    audit = tmp_path / "audit.jsonl"
    start_url = sso_start_url(box.endpoint, "111111111111", box.region)
    alice, bob, carol = (Person(box, name, tmp_path / name, start_url) for name in ("alice", "bob", "carol"))
    env = {p.name: {**p.env, "AWSROLES_AUDIT_LOG": str(audit)} for p in (alice, bob, carol)}
    for person in (alice, bob, carol):
        assert person.setup().returncode == 0

    nobody = carol.local("request", "prod", "readonly", "--for", "1h", "--reason", "onboarding", env=env["carol"])
    assert nobody.returncode == 2 and "IAM Identity Center gives you no role in this org's accounts yet, so AWS " \
        "cannot say who you are" in nobody.stderr, nobody.stderr  # a role session is how AWS names her
    assert "[request " not in org.read_text()

    asked = bob.run("request", "prod", "admin", "--for", "1h", "--reason", "INC-1234", "-o", "json", env=env["bob"])
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)
    request = data["id"]
    assert data["user"] == "bob" and data["approvers"] == ["alice"]  # who his sign-in says; never himself
    early = bob.run("login", "prod", "--role", "admin", env=env["bob"])
    assert early.returncode == 5, early.stderr  # NOT_GRANTED: asking is not having

    before = org.read_text()
    own = bob.run("approve", request, env=env["bob"])
    assert own.returncode == 2 and "is your own: someone else among its approvers must decide it" in own.stderr
    assert org.read_text() == before

    admin = {k: box.env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}  # for the plan and apply
    approved = alice.run("approve", request, "--apply", env={**env["alice"], **admin})
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert "Apply complete" in approved.stdout and "status = approved\ndecided_by = alice\n" in org.read_text()

    again = bob.run("setup", "--identity-center", "--start-url", start_url, "--store", "file", env=env["bob"])
    assert again.returncode == 0, again.stdout + again.stderr  # the sign-in is kept: no code to approve
    login = bob.run("login", "prod", "--role", "admin", env=env["bob"])
    assert login.returncode == 0, login.stderr

    actions = [json.loads(line) for line in audit.read_text().splitlines()]
    asked_entry, approve_entry = (e for e in actions if e["action"] in ("request", "request.approve"))
    assert asked_entry["actor"].startswith("arn:aws:sts::") and asked_entry["actor"].endswith("/bob")
    assert ":assumed-role/AWSReservedSSO_" in asked_entry["actor"]
    assert approve_entry["details"]["approved_by"] == "alice"
    assert ":assumed-role/AWSReservedSSO_" in approve_entry["details"]["approver_arn"]
