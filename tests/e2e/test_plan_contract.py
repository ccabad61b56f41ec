"""plan's contract, as a user meets it: the drift gate, saved plans and the JSON schema, through the
real `awsroles` command against a sandbox over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_plan_apply import awsroles, local

pytestmark = pytest.mark.e2e
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def private_copy(box: SandboxHandle, tmp_path: Path) -> Path:
    """A copy of the sandbox's org file, and of its policies, that a test may edit."""
    org = tmp_path / "org" / "awsroles.ini"  # its policy_dir is ../policies
    org.parent.mkdir()
    shutil.copy(box.org_path, org)
    shutil.copytree(box.org_path.parent.parent / "policies", tmp_path / "policies")
    return org


@pytest.fixture
def applied(fresh_applied_sandbox: SandboxHandle, tmp_path: Path) -> tuple[SandboxHandle, Path]:
    """The classic org applied in this test's own sandbox, and a private copy of its org file."""
    return fresh_applied_sandbox, private_copy(fresh_applied_sandbox, tmp_path)


def test_a_policy_attached_to_a_user_by_hand_fails_the_drift_gate(applied: tuple[SandboxHandle, Path]) -> None:
    box, org = applied
    assert local(box, "plan", "--detailed-exitcode", org=org).returncode == 0
    box.client("iam").attach_user_policy(UserName="bob", PolicyArn=ADMIN)
    result = awsroles(box, "plan", "--detailed-exitcode", org=org)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "~ user bob (drift)" in result.stdout
    assert "AWS managed policy AdministratorAccess" in result.stdout
    fixed = local(box, "apply", "--yes", org=org)
    assert fixed.returncode == 0, fixed.stderr
    assert awsroles(box, "plan", "--detailed-exitcode", org=org).returncode == 0


def test_leftovers_after_a_revoke_keep_the_drift_gate_red_until_pruned(applied: tuple[SandboxHandle, Path]) -> None:
    box, org = applied
    revoked = local(box, "revoke", "backend", "dev", "developer", "--apply", org=org)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    result = awsroles(box, "plan", "--detailed-exitcode", org=org)
    assert result.returncode == 3, result.stdout
    assert "Leftovers" in result.stdout and "dev: role developer" in result.stdout
    assert "AWS matches the org file" not in result.stdout
    pruned = local(box, "apply", "--prune", "--yes", org=org)
    assert pruned.returncode == 0, pruned.stderr
    assert local(box, "plan", "--detailed-exitcode", org=org).returncode == 0


def test_a_saved_plan_applies_exactly_and_refuses_when_stale(applied: tuple[SandboxHandle, Path],
                                                             tmp_path: Path) -> None:
    box, org = applied
    iam = box.client("iam")
    iam.put_user_policy(UserName="alice", PolicyName="backdoor", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    saved = tmp_path / "fix.plan"
    made = awsroles(box, "plan", "--out", str(saved), org=org)
    assert made.returncode == 0, made.stderr
    assert f"awsroles apply {saved}" in made.stdout
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    data = json.loads(saved.read_text())
    assert data["format"] == "awsroles-plan" and data["plan"]["summary"]["update"] == 1

    # AWS moves on: the plan is stale, nothing is changed.
    iam.attach_user_policy(UserName="bob", PolicyArn=ADMIN)
    stale = awsroles(box, "apply", str(saved), org=org)
    assert stale.returncode == 1
    assert "stale: AWS changed since the plan was made" in stale.stderr
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["backdoor"]

    # A fresh plan applies exactly, without a question (no terminal here), like terraform's.
    assert local(box, "plan", "--out", str(saved), org=org).returncode == 0
    done = awsroles(box, "apply", str(saved), org=org)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Apply complete: 2 changes made." in done.stdout
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == []
    assert iam.list_attached_user_policies(UserName="bob")["AttachedPolicies"] == []

    # An edited plan (here: one more call, granting bob administrator) is refused, and nothing runs.
    assert local(box, "plan", "--out", str(saved), org=org).returncode == 0
    iam.put_user_policy(UserName="alice", PolicyName="backdoor", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    assert local(box, "plan", "--out", str(saved), org=org).returncode == 0
    data = json.loads(saved.read_text())
    data["plan"]["changes"][0]["operations"].append(
        {"call": "attach_user_policy", "params": {"UserName": "bob", "PolicyArn": ADMIN}})
    saved.write_text(json.dumps(data))
    tampered = local(box, "apply", str(saved), org=org)
    assert tampered.returncode == 1 and "it was edited" in tampered.stderr, tampered.stderr
    assert iam.list_attached_user_policies(UserName="bob")["AttachedPolicies"] == []
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["backdoor"]

    # A policy file the org file uses moves on: stale too, and said so.
    assert local(box, "plan", "--out", str(saved), org=org).returncode == 0
    policy = tmp_path / "policies" / "deny-iam-writes.json"
    document = json.loads(policy.read_text())
    document["Statement"][0]["Sid"] = "Edited"
    policy.write_text(json.dumps(document))
    moved = local(box, "apply", str(saved), org=org)
    assert moved.returncode == 1 and "or its policy files changed" in moved.stderr, moved.stderr

    # The org file moves on: stale too.
    assert local(box, "plan", "--out", str(saved), org=org).returncode == 0
    org.write_text(org.read_text() + "\n# a reviewed comment\n")
    edited = local(box, "apply", str(saved), org=org)
    assert edited.returncode == 1 and "the org file" in edited.stderr and "changed" in edited.stderr


def test_a_saved_plan_that_is_not_one_is_a_one_line_usage_error(applied_sandbox: SandboxHandle,
                                                                tmp_path: Path) -> None:
    box, org = applied_sandbox, private_copy(applied_sandbox, tmp_path)  # every apply is refused: nothing changes
    for run, text in ((awsroles, "{"), (local, "[]"), (local, '{"format": "awsroles-plan", "format_version": 99}')):
        bad = tmp_path / "bad.plan"
        bad.write_text(text)
        result = run(box, "apply", str(bad), org=org)  # the first as a process, the others here
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    missing = local(box, "apply", str(tmp_path / "none.plan"), org=org)
    assert missing.returncode == 2 and "no such plan file" in missing.stderr
    flags = local(box, "apply", str(bad), "--prune", org=org)
    assert flags.returncode == 2 and "carries its own options" in flags.stderr
