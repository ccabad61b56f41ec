"""`awsroles grant`, `revoke` and `team add|remove` as an admin runs them, against a moto server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e


def run(box: SandboxHandle, org: Path, log: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**box.env, "AWSROLES_AUDIT_LOG": str(log)}
    return subprocess.run([*command(), "--file", str(org), *argv], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def local(box: SandboxHandle, org: Path, log: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The same command in this process (:mod:`tests.e2e.inprocess`): for set-up, gates and
    refusals after the first."""
    return invoke(["--file", str(org), *argv], {**box.env, "AWSROLES_AUDIT_LOG": str(log)})


def team_policy(box: SandboxHandle, team: str) -> str:
    iam = box.client("iam")
    names = iam.list_group_policies(GroupName=f"team-{team}")["PolicyNames"]
    documents = [iam.get_group_policy(GroupName=f"team-{team}", PolicyName=n)["PolicyDocument"] for n in names]
    return json.dumps(documents)


def test_grant_and_revoke_with_apply(fresh_sandbox: SandboxHandle, tmp_path: Path) -> None:
    box = fresh_sandbox
    org = tmp_path / "awsroles.ini"  # never the example itself
    original = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    org.write_text(original)
    log = tmp_path / "audit.jsonl"
    applied = local(box, org, log, "apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    stage = box.client("iam", "stage")
    assert "readonly" not in {r["RoleName"] for r in stage.list_roles(PathPrefix="/awsroles/")["Roles"]}
    readonly_in_stage = "arn:aws:iam::333333333333:role/awsroles/readonly"
    assert readonly_in_stage not in team_policy(box, "backend")

    granted = run(box, org, log, "grant", "backend", "stage", "readonly", "--apply")
    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert "+ role readonly (create)" in granted.stdout
    assert "Apply complete" in granted.stdout
    assert "readonly" in {r["RoleName"] for r in stage.list_roles(PathPrefix="/awsroles/")["Roles"]}
    assert readonly_in_stage in team_policy(box, "backend")
    assert "[team backend]\ndescription = Builds the services\nmembers = bob\ndev = developer, readonly\n" \
           "stage = readonly\n" in org.read_text()
    assert local(box, org, log, "plan", "--detailed-exitcode").returncode == 0

    again = local(box, org, log, "grant", "backend", "stage", "readonly", "--no-plan")
    assert again.returncode == 0 and "already granted" in again.stdout

    revoked = run(box, org, log, "revoke", "backend", "stage", "readonly", "--apply")
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert "stay valid until they expire" in revoked.stdout and "8h" in revoked.stdout
    assert readonly_in_stage not in team_policy(box, "backend")
    assert org.read_text() == original  # comments and layout are back, byte for byte

    records = [json.loads(line) for line in log.read_text().splitlines()]
    actions = [r["action"] for r in records]
    assert actions.count("grant") == 1 and actions.count("revoke") == 1  # the no-op grant is not recorded
    assert any(a.startswith("apply.") for a in actions)
    grant_record = next(r for r in records if r["action"] == "grant")
    assert grant_record["actor"].startswith("arn:aws:iam::111111111111:")
    assert grant_record["details"]["role"] == "readonly" and grant_record["target"] == "team/backend"
    assert any(r["account"] == "333333333333" for r in records if r["action"].startswith("apply."))


def test_team_membership_json_and_bad_input(fresh_sandbox: SandboxHandle, tmp_path: Path) -> None:
    box = fresh_sandbox
    org = tmp_path / "awsroles.ini"
    original = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    org.write_text(original)
    log = tmp_path / "audit.jsonl"
    assert local(box, org, log, "apply", "--yes").returncode == 0

    bad = run(box, org, log, "grant", "nope", "dev", "admin")
    assert bad.returncode == 2
    assert "unknown team 'nope'" in bad.stderr
    assert local(box, org, log, "grant", "backend", "dve", "admin").returncode == 2
    assert local(box, org, log, "team", "add", "backend", "alise").returncode == 2
    assert org.read_text() == original
    assert not log.exists()

    added = run(box, org, log, "-o", "json", "team", "add", "backend", "alice", "--apply")
    assert added.returncode == 0, added.stderr
    records = [json.loads(line) for line in added.stdout.splitlines()]
    assert records[0]["action"] == "team.add" and records[0]["details"]["user"] == "alice"
    assert [r for r in records if r["action"].startswith("apply.")]
    groups = box.client("iam").list_groups_for_user(UserName="alice")["Groups"]
    assert "team-backend" in {g["GroupName"] for g in groups}
    assert "members = bob, alice\n" in org.read_text()

    offline = run(box, org, log, "team", "remove", "backend", "alice", "--no-plan")
    assert offline.returncode == 0, offline.stderr
    assert "awsroles plan" in offline.stdout
    assert org.read_text() == original
    assert json.loads(log.read_text().splitlines()[-1])["actor"].startswith("local:")
