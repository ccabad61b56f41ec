"""Roles' permissions boundaries and customer managed policies, applied against moto in-process
(with the sandbox's rule that a boundary is a policy that exists)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.aws import Aws
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.apply import FAILED
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Change, Plan
from tests.unit.test_role_boundaries import POWER_USER, boundary_org_text

DENY_IAM = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": ["iam:Create*", "iam:Put*"], "Resource": "*"}]})
BOUNDARY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})


@pytest.fixture
def org(tmp_path: Path) -> Org:
    """The developer role (customer managed /team/deny-iam, boundary /boundaries/developer) granted in
    dev and stage; admin bounded by PowerUserAccess everywhere."""
    path = tmp_path / "awsroles.ini"
    path.write_text(boundary_org_text().replace("dev = developer, readonly\n",
                                                "dev = developer, readonly\nstage = developer\n"))
    return load_org(path)


def make_policies(engine: Engine, *accounts: str) -> None:
    for account in accounts:
        iam = engine.iam(account)
        iam.create_policy(PolicyName="deny-iam", Path="/team/", PolicyDocument=DENY_IAM)
        iam.create_policy(PolicyName="developer", Path="/boundaries/", PolicyDocument=BOUNDARY)


@pytest.fixture
def engine(ops_aws: Aws, org: Org) -> Engine:
    engine = Engine(org, ops_aws)
    make_policies(engine, "dev", "stage")
    result = engine.apply(engine.plan())
    assert result.ok, result.as_dict()
    assert engine.plan().in_sync
    return engine


def _role(engine: Engine, account: str, name: str) -> dict[str, Any]:
    role: dict[str, Any] = engine.iam(account).get_role(RoleName=name)["Role"]
    return role


def _change(plan: Plan, account: str, name: str) -> Change:
    (change,) = [c for c in plan.changes if (c.account, c.kind, c.name) == (account, "role", name)]
    return change


def test_apply_makes_each_role_with_its_boundary_and_attaches_each_account_s_own_policy(engine: Engine) -> None:
    for account, number in (("dev", "222222222222"), ("stage", "333333333333")):
        role = _role(engine, account, "developer")
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
            f"arn:aws:iam::{number}:policy/boundaries/developer")
        attached = engine.iam(account).list_attached_role_policies(RoleName="developer")["AttachedPolicies"]
        assert f"arn:aws:iam::{number}:policy/team/deny-iam" in {p["PolicyArn"] for p in attached}
    for account in ("dev", "stage", "prod"):
        assert _role(engine, account, "admin")["PermissionsBoundary"]["PermissionsBoundaryArn"] == POWER_USER
    assert "PermissionsBoundary" not in _role(engine, "dev", "readonly")


def test_a_boundary_removed_or_changed_by_hand_is_drift_and_apply_puts_it_back(engine: Engine) -> None:
    dev, prod = engine.iam("dev"), engine.iam("prod")
    prod.delete_role_permissions_boundary(RoleName="admin")
    other = dev.create_policy(PolicyName="looser", PolicyDocument=BOUNDARY)["Policy"]["Arn"]
    dev.put_role_permissions_boundary(RoleName="developer", PermissionsBoundary=other)
    plan = engine.plan()
    removed, changed = _change(plan, "prod", "admin"), _change(plan, "dev", "developer")
    assert removed.drift and f"set permissions boundary {POWER_USER}" in removed.details
    assert changed.drift
    assert f"permissions boundary {other} -> arn:aws:iam::222222222222:policy/boundaries/developer" in changed.details
    assert engine.apply(plan).ok
    assert _role(engine, "prod", "admin")["PermissionsBoundary"]["PermissionsBoundaryArn"] == POWER_USER
    assert _role(engine, "dev", "developer")["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(
        ":policy/boundaries/developer")
    assert engine.plan().in_sync


def test_a_missing_customer_managed_policy_is_a_conflict_and_nothing_of_that_role_is_planned(
        ops_aws: Aws, org: Org) -> None:
    engine = Engine(org, ops_aws)
    make_policies(engine, "dev")  # not in stage
    plan = engine.plan()
    (conflict,) = plan.conflicts
    assert str(conflict).startswith("stage (333333333333): role developer: customer managed policy /team/deny-iam "
                                    "does not exist in account stage (333333333333)")
    assert "permissions boundary policy /boundaries/developer does not exist in account stage" in conflict.reason
    assert not any((c.account, c.name) == ("stage", "developer") for c in plan.changes)


def test_the_sandbox_refuses_a_boundary_that_does_not_exist_as_iam_does(engine: Engine) -> None:
    dev = engine.iam("dev")
    missing = "arn:aws:iam::222222222222:policy/boundaries/nobody"
    with pytest.raises(ClientError) as put:
        dev.put_role_permissions_boundary(RoleName="readonly", PermissionsBoundary=missing)
    assert put.value.response["Error"]["Code"] == "NoSuchEntity"
    assert put.value.response["Error"]["Message"] == f"Policy {missing} does not exist or is not attachable."
    with pytest.raises(ClientError) as create:
        dev.create_role(RoleName="bounded", AssumeRolePolicyDocument="{}", PermissionsBoundary=missing)
    assert create.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as gone:
        dev.get_role(RoleName="bounded")
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
    assert "PermissionsBoundary" not in dev.get_role(RoleName="readonly")["Role"]
    with pytest.raises(ClientError) as user:  # a user's boundary too
        engine.iam("ops").put_user_permissions_boundary(UserName="alice", PermissionsBoundary=missing)
    assert user.value.response["Error"]["Code"] == "NoSuchEntity"


def test_a_boundary_policy_deleted_between_plan_and_apply_fails_that_role_with_iam_s_error(
        ops_aws: Aws, org: Org) -> None:
    engine = Engine(org, ops_aws)
    make_policies(engine, "dev", "stage")
    plan = engine.plan()
    stage = engine.iam("stage")
    stage.delete_policy(PolicyArn="arn:aws:iam::333333333333:policy/boundaries/developer")
    result = engine.apply(plan)
    (failed,) = [s for s in result.steps if s.status == FAILED]
    assert (failed.change.account, failed.change.name) == ("stage", "developer")
    assert "NoSuchEntity" in failed.error and "policy/boundaries/developer does not exist" in failed.error
    with pytest.raises(ClientError):
        stage.get_role(RoleName="developer")  # never made without its boundary


def test_apply_with_a_missing_customer_managed_policy_shows_the_conflict_and_changes_nothing(
        ops_aws: Aws, org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What docs/plan-apply.md shows: the conflict, named as the org file names the policy; exit 1."""
    import contextlib
    import io

    import boto3

    from awsroles.cli import run
    from awsroles.cli.app import App
    from awsroles.errors import ExitCode

    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{org.ops.id}:role/admin",
                                            RoleSessionName="admin")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    engine = Engine(org, ops_aws)
    make_policies(engine, "stage")  # not in dev
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["-f", str(org.source), "apply", "--yes"], App(stdout=out, stderr=err))
    assert code == ExitCode.FAILURE
    assert ("Conflicts (apply refuses until they are resolved):\n  dev (222222222222): role developer: customer "
            "managed policy /team/deny-iam does not exist in account dev (222222222222): create it there first "
            "(awsroles attaches it, it does not make it), or take it out of the role;") in out.getvalue()
    assert "1 conflict(s) with resources awsroles does not manage; nothing was changed" in err.getvalue()
    assert engine.iam("dev").list_roles(PathPrefix="/awsroles/")["Roles"] == []


def test_a_mistyped_aws_managed_boundary_is_iam_s_error_at_apply(ops_aws: Aws, org: Org) -> None:
    """AWS managed policies are not read, so the plan cannot know; IAM (here the sandbox) refuses it."""
    from dataclasses import replace

    typo = "arn:aws:iam::aws:policy/PowerUserAcess"
    mistyped = replace(org, roles=tuple(replace(r, boundary=typo) if r.name == "admin" else r for r in org.roles))
    engine = Engine(mistyped, ops_aws)
    make_policies(engine, "dev", "stage")
    plan = engine.plan()
    assert not plan.conflicts
    result = engine.apply(plan)
    failed = {(s.change.account, s.change.name): s.error for s in result.steps if s.status == FAILED}
    assert set(failed) == {("dev", "admin"), ("stage", "admin"), ("prod", "admin")}
    assert failed[("prod", "admin")].startswith(f"NoSuchEntity: Policy {typo} does not exist or is not attachable.")
