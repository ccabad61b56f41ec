"""`awsroles plan` and `apply` as a user runs them: a subprocess, over HTTP, against a moto server."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.forkserver import command

pytestmark = pytest.mark.e2e
TRUST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, ' \
        '"Action": "sts:AssumeRole"}]}'


def awsroles(box: SandboxHandle, *argv: str, org: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [*command(), "--file", str(org or box.org_path), *argv]
    return subprocess.run(args, env=box.env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def local(box: SandboxHandle, *argv: str, org: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The same command in this process (:mod:`tests.e2e.inprocess`): for a step that sets up the
    one under test, or a refusal whose promise is its message and exit code."""
    return invoke(["--file", str(org or box.org_path), *argv], box.env)


def plan_json(box: SandboxHandle, *argv: str, org: Path | None = None) -> dict:
    result = local(box, "plan", "-o", "json", *argv, org=org)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_plan_apply_reapply(fresh_sandbox: SandboxHandle) -> None:
    box = fresh_sandbox
    first = awsroles(box, "plan", "--detailed-exitcode")
    assert first.returncode == 3, first.stderr
    assert "+ role admin (create)" in first.stdout
    assert "Plan: 11 to create, 0 to update, 0 to delete." in first.stdout
    data = plan_json(box)
    assert data["summary"]["create"] == 11
    assert all(n <= 3 for n in data["api_calls"].values())  # one GAAD page + one ListRoles page per account

    refused = local(box, "apply")  # no terminal, no --yes
    assert refused.returncode == 2
    assert "pass --yes" in refused.stderr
    assert plan_json(box)["summary"]["create"] == 11  # nothing was changed

    applied = awsroles(box, "apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 11 changes made." in applied.stdout
    assert "[11/11]" in applied.stderr

    again = awsroles(box, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes. AWS matches the org file." in again.stdout
    reapply = awsroles(box, "apply", "--yes")
    assert reapply.returncode == 0 and "No changes" in reapply.stdout

    # What apply made is what the org says, as IAM itself reports it.
    dev = box.client("iam", "dev")
    roles = {r["RoleName"]: r for r in dev.list_roles(PathPrefix="/awsroles/")["Roles"]}
    assert set(roles) == {"admin", "developer", "readonly"}
    assert roles["developer"]["MaxSessionDuration"] == 4 * 3600
    trust = roles["admin"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    ops = box.client("iam")
    assert sorted(g["GroupName"] for g in ops.list_groups_for_user(UserName="bob")["Groups"]) == [
        "awsroles-users", "team-backend"]


def test_drift_is_reported_and_repaired(fresh_sandbox: SandboxHandle) -> None:
    box = fresh_sandbox
    assert local(box, "apply", "--yes").returncode == 0
    prod = box.client("iam", "prod")
    prod.attach_role_policy(RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    prod.update_assume_role_policy(RoleName="admin", PolicyDocument=TRUST)
    plan = awsroles(box, "plan", "--detailed-exitcode")
    assert plan.returncode == 3
    assert "~ role admin (drift): trust policy, detach arn:aws:iam::aws:policy/ReadOnlyAccess" in plan.stdout
    assert '-        "Service": "ec2.amazonaws.com"' in plan.stdout
    change = plan_json(box)["changes"][0]
    assert (change["account"], change["drift"], change["action"]) == ("prod", True, "update")
    assert awsroles(box, "apply", "--yes").returncode == 0
    assert awsroles(box, "plan", "--detailed-exitcode").returncode == 0


def test_prune_deletes_only_what_awsroles_manages(fresh_sandbox: SandboxHandle, tmp_path: Path) -> None:
    box = fresh_sandbox
    assert local(box, "apply", "--yes").returncode == 0
    dev, ops = box.client("iam", "dev"), box.client("iam")
    dev.create_role(RoleName="legacy", Path="/", AssumeRolePolicyDocument=TRUST)
    dev.create_role(RoleName="batch", Path="/service/", AssumeRolePolicyDocument=TRUST)
    ops.create_user(UserName="contractor", Path="/")
    # bob leaves the org file; stage loses its grant.
    text = box.org_path.read_text().replace("members = bob", "members =").replace("stage = admin\n", "")
    text = text.replace("policy_dir = ../policies", f"policy_dir = {REPO / 'policies'}")
    text = text.replace("[user bob]\n", "[user bob-gone]\n")
    org = tmp_path / "org.ini"
    org.write_text(text)
    plan = awsroles(box, "plan", org=org)
    assert "kept; --prune deletes them" in plan.stdout
    assert "stage: role admin" in plan.stdout and "ops: user bob" in plan.stdout
    pruned = awsroles(box, "apply", "--prune", "--yes", org=org)
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert awsroles(box, "plan", "--prune", "--detailed-exitcode", org=org).returncode == 0
    assert box.client("iam", "stage").list_roles(PathPrefix="/awsroles/")["Roles"] == []
    assert {r["RoleName"] for r in dev.list_roles()["Roles"]} >= {"legacy", "batch"}
    assert "contractor" in {u["UserName"] for u in ops.list_users()["Users"]}
    assert "bob" not in {u["UserName"] for u in ops.list_users()["Users"]}


def test_a_conflicting_unmanaged_role_blocks_apply(fresh_sandbox: SandboxHandle) -> None:
    box = fresh_sandbox
    box.client("iam", "prod").create_role(RoleName="admin", Path="/", AssumeRolePolicyDocument=TRUST)
    result = awsroles(box, "apply", "--yes")
    assert result.returncode == 1
    assert "prod (444444444444): role admin: exists at path /" in result.stdout
    assert "1 conflict(s) with resources awsroles does not manage; nothing was changed" in result.stderr
    assert box.client("iam", "dev").list_roles(PathPrefix="/awsroles/")["Roles"] == []


def test_an_apply_killed_part_way_converges_on_rerun(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    box = sandbox_factory(EXAMPLES / "large.ini")
    args = [*command(), "--file", str(box.org_path), "apply", "--yes", "--parallel", "1"]
    process = subprocess.Popen(args, env=box.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + 60
    while len(seen) < 5 and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        if "... ok" in line:
            seen.append(line)
    process.kill()
    process.wait(timeout=30)
    assert len(seen) == 5, seen
    partial = awsroles(box, "plan", "--detailed-exitcode")
    assert partial.returncode == 3, "the kill should have left work to do"
    rerun = awsroles(box, "apply", "--yes")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    final = awsroles(box, "plan", "--detailed-exitcode")
    assert final.returncode == 0, final.stdout


def test_aws_errors_are_one_line_with_the_aws_code(sandbox: SandboxHandle) -> None:
    box = sandbox
    env = {**box.env, "AWS_ACCESS_KEY_ID": "AKIAUNKNOWN000000000", "AWS_SECRET_ACCESS_KEY": "nope"}
    result = subprocess.run([*command(), "--file", str(box.org_path), "plan"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsroles: error: ")
    assert "Traceback" not in result.stderr


def test_no_credentials_is_a_clear_error(sandbox: SandboxHandle, tmp_path: Path) -> None:
    box = sandbox
    env = {k: v for k, v in box.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run([*command(), "--file", str(box.org_path), "plan"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("awsroles: error: no AWS credentials found")


def test_import_writes_an_org_file_that_validates_and_plans_empty(applied_sandbox: SandboxHandle,
                                                                 tmp_path: Path) -> None:
    box = applied_sandbox
    assert local(box, "apply", "--yes").returncode == 0  # already applied: changes nothing
    imported = tmp_path / "imported.ini"
    accounts = [f"--account={a.name}={a.id}:{a.environment}" for a in box.org.accounts if a.environment]
    result = subprocess.run([*command(), "import", "-O", str(imported), *accounts], env=box.env,
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    validate = invoke(["-f", str(imported), "validate"], box.env)
    assert validate.returncode == 0, validate.stderr
    assert awsroles(box, "plan", "--detailed-exitcode", org=imported).returncode == 0
    text = imported.read_text()
    for section in ("[role admin]", "[role developer]", "[team platform]", "[user alice]", "[user bob]"):
        assert section in text
    assert (tmp_path / "policies" / "deny-iam-writes.json").is_file()


def test_on_a_terminal_plan_counts_the_accounts_it_reads_then_wipes_the_count(applied_sandbox: SandboxHandle) -> None:
    """The real command under a pseudo-terminal: ``reading accounts N/4`` rewritten in place on
    stderr while IAM is read (issue 20), gone before the plan is shown; in a pipe nothing of it."""
    from tests.e2e.test_credentials import _under_a_terminal

    box = applied_sandbox
    code, screen = _under_a_terminal([*command(), "--file", str(box.org_path), "plan"], box.env, lambda _: None)
    assert code == 0, screen
    assert "\rreading accounts 1/4" in screen and "\rreading accounts 3/4" in screen
    wiped = screen.index("\r\x1b[K")
    assert screen.rindex("reading accounts") < wiped < screen.index("Plan for org")
    assert "reading accounts 4/4" not in screen  # the last one wipes instead
    piped = awsroles(box, "plan")
    assert piped.returncode == 0 and "reading accounts" not in piped.stderr + piped.stdout
