"""A request and its approval end to end, as people run them: bob asks for admin in prod with his
own key, carol (not an approver) is refused even with admin credentials at hand, alice approves
and applies, and bob can then assume the role (docs/temporary-access.md, "Requests and approvals")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from awsroles.sandbox.seed import enroll_person
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle, apply_org
from tests.e2e.test_credentials import Person

pytestmark = pytest.mark.e2e


def test_bob_requests_alice_approves_bob_assumes_carol_is_refused(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    org = tmp_path / "awsroles.ini"
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    org.write_text(text.replace("policy_dir = ", "approvers = alice\npolicy_dir = ", 1) + "\n[user carol]\n")
    box = sandbox_factory(org)
    apply_org(box)
    audit = tmp_path / "audit.jsonl"
    people = {name: Person(box, enroll_person(box.aws(), box.org, name), tmp_path / name)
              for name in ("alice", "bob", "carol")}
    env = {name: {**p.env, "AWSROLES_FILE": str(org), "AWSROLES_AUDIT_LOG": str(audit)} for name, p in people.items()}
    admin = {k: box.env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}  # for the plan: IAM admin
    for name, person in people.items():
        setup = person.local("setup", "--access-key-id", person.creds.access_key_id, "--secret-stdin", "--store",
                           "file", env=env[name], stdin=person.creds.secret_access_key + "\n")
        assert setup.returncode == 0, setup.stderr
    bob, alice, carol = people["bob"], people["alice"], people["carol"]

    asked = bob.run("request", "prod", "admin", "--for", "1h", "--reason", "INC-1234", "-o", "json", env=env["bob"])
    assert asked.returncode == 0, asked.stderr
    request = json.loads(asked.stdout)["id"]
    assert request.startswith("r-") and json.loads(asked.stdout)["user"] == "bob"  # from his key, not a flag

    early = bob.run("login", "prod", "--role", "admin", "--mfa-code", bob.code(), env=env["bob"], stdin="")
    assert early.returncode == 5, early.stderr  # NOT_GRANTED: asking is not having

    before = org.read_text()
    refused = carol.run("approve", request, "--apply", env={**env["carol"], **admin})
    assert refused.returncode == 2, refused.stdout + refused.stderr  # USAGE (docs/exit-codes.md)
    assert "carol may not approve requests for prod; its approvers: alice" in refused.stderr
    assert "Traceback" not in refused.stderr and org.read_text() == before

    approved = alice.run("approve", request, "--apply", env={**env["alice"], **admin}, timeout=120)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert "Apply complete" in approved.stdout and "status = approved\ndecided_by = alice\n" in org.read_text()

    assert bob.local("setup", "--access-key-id", bob.creds.access_key_id, "--secret-stdin", "--store", "file",
                     env=env["bob"], stdin=bob.creds.secret_access_key + "\n").returncode == 0
    login = bob.run("login", "prod", "--role", "admin", "--mfa-code", bob.code(), env=env["bob"], stdin="")
    assert login.returncode == 0, login.stderr

    actions = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(e["action"], e["target"]) for e in actions if e["action"].startswith("request")] == [
        ("request", "user/bob"), ("request.approve", "user/bob")]
