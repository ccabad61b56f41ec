"""Issue 10's trust bullets, against moto in-process: ownership marks, case-insensitive names,
drift through every way a managed principal gains power, and plan's in-sync contract."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.iam.desired import GROUP_MARKER_POLICY
from awsroles.org.entries import Team
from awsroles.org.model import Org
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Plan, PlanOptions
from tests.aws.conftest import apply_org

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]})
POWER = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]})


@pytest.fixture
def engine(ops_aws: Aws, classic: Org) -> Engine:
    engine = Engine(classic, ops_aws)
    apply_org(engine)
    assert engine.plan().in_sync
    return engine


def _changes(plan: Plan) -> dict[tuple[str, str, str], Any]:
    return {(c.account, c.kind, c.name): c for c in plan.changes}


def test_a_hand_made_role_at_the_path_without_the_tag_is_unowned_and_prune_never_deletes_it(engine: Engine) -> None:
    dev = engine.iam("dev")
    dev.create_role(RoleName="handmade", Path="/awsroles/", AssumeRolePolicyDocument=TRUST)
    plan = engine.plan(prune=True)
    assert [(f.account, f.kind, f.name) for f in plan.unowned] == [("dev", "role", "handmade")]
    assert "without the managed-by = awsroles tag" in plan.unowned[0].reason
    assert not any(c.name == "handmade" for c in plan.changes)
    assert engine.apply(plan).ok
    assert dev.get_role(RoleName="handmade")["Role"]["Path"] == "/awsroles/"
    # Reported, but not a difference from the org file: the drift gate stays green.
    assert engine.plan(prune=True).in_sync


def test_every_unmarked_kind_at_the_path_is_left_alone(engine: Engine) -> None:
    ops = engine.iam("ops")
    ops.create_user(UserName="stranger", Path="/awsroles/")
    ops.create_group(GroupName="team-handmade", Path="/awsroles/")
    ops.add_user_to_group(GroupName="team-handmade", UserName="stranger")
    ops.create_policy(PolicyName="handmade", Path="/awsroles/", PolicyDocument=POWER)
    plan = engine.plan(prune=True)
    assert {(f.kind, f.name) for f in plan.unowned} == {
        ("user", "stranger"), ("group", "team-handmade"), ("policy", "handmade")}
    assert engine.apply(plan).ok
    assert ops.get_group(GroupName="team-handmade")["Users"][0]["UserName"] == "stranger"
    assert ops.get_policy(PolicyArn="arn:aws:iam::111111111111:policy/awsroles/handmade")


def test_a_user_policy_attached_by_hand_is_drift_named_with_what_it_grants_and_apply_removes_it(
        engine: Engine) -> None:
    ops = engine.iam("ops")
    ops.attach_user_policy(UserName="bob", PolicyArn=ADMIN)
    plan = engine.plan()
    assert not plan.in_sync
    change = _changes(plan)[("ops", "user", "bob")]
    assert change.drift and change.action == "update"
    assert f"detach {ADMIN} (grants: AWS managed policy AdministratorAccess)" in change.details
    assert engine.apply(plan).ok
    assert ops.list_attached_user_policies(UserName="bob")["AttachedPolicies"] == []
    assert engine.plan().in_sync


def test_a_customer_policy_attached_by_hand_shows_its_statements(engine: Engine) -> None:
    ops = engine.iam("ops")
    arn = ops.create_policy(PolicyName="iam-power", PolicyDocument=POWER)["Policy"]["Arn"]
    ops.attach_user_policy(UserName="bob", PolicyArn=arn)
    change = _changes(engine.plan())[("ops", "user", "bob")]
    assert f"detach {arn} (grants: Allow iam:* on *)" in change.details


def test_a_user_inline_policy_is_drift_and_removed(engine: Engine) -> None:
    ops = engine.iam("ops")
    ops.put_user_policy(UserName="bob", PolicyName="backdoor", PolicyDocument=POWER)
    change = _changes(engine.plan())[("ops", "user", "bob")]
    assert change.drift and "remove inline policy backdoor (grants: Allow iam:* on *)" in change.details
    assert engine.apply(engine.plan()).ok
    assert ops.list_user_policies(UserName="bob")["PolicyNames"] == []


def test_a_permissions_boundary_added_to_a_user_or_a_role_is_drift_and_removed(engine: Engine) -> None:
    ops, dev = engine.iam("ops"), engine.iam("dev")
    boundary = ops.create_policy(PolicyName="boundary", PolicyDocument=POWER)["Policy"]["Arn"]
    dev_boundary = dev.create_policy(PolicyName="boundary", PolicyDocument=POWER)["Policy"]["Arn"]
    ops.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=boundary)
    dev.put_role_permissions_boundary(RoleName="admin", PermissionsBoundary=dev_boundary)
    changes = _changes(engine.plan())
    assert changes[("ops", "user", "alice")].drift
    assert f"remove permissions boundary {boundary}" in changes[("ops", "user", "alice")].details
    assert changes[("dev", "role", "admin")].drift
    assert f"remove permissions boundary {dev_boundary}" in changes[("dev", "role", "admin")].details
    assert engine.apply(engine.plan()).ok
    assert "PermissionsBoundary" not in ops.get_user(UserName="alice")["User"]
    assert "PermissionsBoundary" not in dev.get_role(RoleName="admin")["Role"]
    assert engine.plan().in_sync


def test_a_managed_user_in_an_unmanaged_group_is_reported_with_what_the_group_grants(engine: Engine) -> None:
    ops = engine.iam("ops")
    ops.create_group(GroupName="admins", Path="/")
    ops.attach_group_policy(GroupName="admins", PolicyArn=ADMIN)
    ops.put_group_policy(GroupName="admins", PolicyName="extra", PolicyDocument=POWER)
    ops.add_user_to_group(GroupName="admins", UserName="bob")
    plan = engine.plan(prune=True)
    assert not plan.in_sync and plan.empty  # nothing apply does by default, but not in sync
    (finding,) = plan.foreign
    assert (finding.kind, finding.name) == ("user", "bob")
    assert "member of admins" in finding.reason and "AdministratorAccess" in finding.reason
    assert "inline extra (Allow iam:* on *)" in finding.reason
    # Reported, never removed without the explicit option.
    assert engine.apply(plan).ok
    assert [g["GroupName"] for g in ops.list_groups_for_user(UserName="bob")["Groups"]].count("admins") == 1
    removal = engine.plan(options=PlanOptions(remove_foreign_memberships=True))
    change = _changes(removal)[("ops", "user", "bob")]
    assert change.drift and change.details[0].startswith("leave admins, a group awsroles does not manage")
    assert engine.apply(removal).ok
    assert "admins" not in [g["GroupName"] for g in ops.list_groups_for_user(UserName="bob")["Groups"]]
    assert engine.plan().in_sync
    assert ops.get_group(GroupName="admins")["Group"]  # the group itself is not awsroles' to touch


def test_a_policy_attached_to_a_managed_group_by_hand_is_drift(engine: Engine) -> None:
    ops = engine.iam("ops")
    ops.attach_group_policy(GroupName="team-backend", PolicyArn=ADMIN)
    change = _changes(engine.plan())[("ops", "group", "team-backend")]
    assert change.drift and f"detach {ADMIN} (grants: AWS managed policy AdministratorAccess)" in change.details
    assert engine.apply(engine.plan()).ok
    assert ops.list_attached_group_policies(GroupName="team-backend")["AttachedPolicies"] == []


def test_an_extra_trust_statement_is_drift(engine: Engine) -> None:
    dev = engine.iam("dev")
    trust = json.loads(json.dumps(dev.get_role(RoleName="admin")["Role"]["AssumeRolePolicyDocument"]))
    trust["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                               "Action": "sts:AssumeRole"})
    dev.update_assume_role_policy(RoleName="admin", PolicyDocument=json.dumps(trust))
    change = _changes(engine.plan())[("dev", "role", "admin")]
    assert change.drift and "trust policy" in change.details
    assert "999999999999" in change.diffs[0][1]


def test_a_revoked_grant_whose_role_is_kept_makes_the_plan_not_in_sync(engine: Engine, classic: Org) -> None:
    teams = tuple(replace(t, grants=tuple(g for g in t.grants if g.environment != "prod")) if t.name == "platform"
                  else t for t in classic.teams)
    revoked = replace(classic, teams=teams)
    later = Engine(revoked, engine.aws)
    assert later.apply(later.plan()).ok  # without --prune: the prod role stays
    plan = later.plan()
    assert plan.empty and not plan.in_sync
    assert [(c.account, c.kind, c.name) for c in plan.kept] == [("prod", "role", "admin")]
    assert later.apply(later.plan(prune=True)).ok
    assert later.plan().in_sync


def test_names_collide_case_insensitively_as_iam_compares_them(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    dev = engine.iam("dev")
    dev.create_role(RoleName="Developer", Path="/", AssumeRolePolicyDocument=TRUST)
    plan = engine.plan()
    (conflict,) = [c for c in plan.conflicts if c.account == "dev"]
    assert (conflict.kind, conflict.name) == ("role", "developer")
    assert "case-insensitive" in conflict.reason and "Developer" in conflict.reason
    assert not any(c.account == "dev" and c.name.lower() == "developer" for c in plan.changes)


def test_pruning_a_team_never_removes_members_awsroles_does_not_manage(engine: Engine, classic: Org) -> None:
    ops = engine.iam("ops")
    ops.create_user(UserName="contractor", Path="/")
    ops.add_user_to_group(GroupName="team-backend", UserName="contractor")
    without = replace(classic, teams=tuple(t for t in classic.teams if t.name != "backend"))
    later = Engine(without, engine.aws)
    plan = later.plan(prune=True)
    (conflict,) = [c for c in plan.conflicts if c.name == "team-backend"]
    assert "contractor" in conflict.reason
    assert not any(c.name == "team-backend" for c in plan.changes)
    members = [u["UserName"] for u in ops.get_group(GroupName="team-backend")["Users"]]
    assert "contractor" in members


def test_adopting_marks_what_the_org_file_declares(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    dev = engine.iam("dev")
    dev.create_role(RoleName="developer", Path="/awsroles/", AssumeRolePolicyDocument=TRUST)
    plan = engine.plan()
    (conflict,) = [c for c in plan.conflicts if c.account == "dev"]
    assert "--adopt" in conflict.reason
    adopting = engine.plan(options=PlanOptions(adopt=True))
    assert not adopting.conflicts
    change = _changes(adopting)[("dev", "role", "developer")]
    assert change.action == "adopt" and "tag managed-by" in change.details
    assert engine.apply(adopting).ok
    tags = {t["Key"]: t["Value"] for t in dev.list_role_tags(RoleName="developer")["Tags"]}
    assert tags["managed-by"] == "awsroles"
    assert engine.plan().in_sync


def test_groups_carry_the_marker_and_a_group_without_it_is_not_owned(engine: Engine) -> None:
    ops = engine.iam("ops")
    assert GROUP_MARKER_POLICY in ops.list_group_policies(GroupName="team-backend")["PolicyNames"]
    ops.delete_group_policy(GroupName="team-backend", PolicyName=GROUP_MARKER_POLICY)
    plan = engine.plan()
    (conflict,) = plan.conflicts
    assert (conflict.kind, conflict.name) == ("group", "team-backend")
    assert GROUP_MARKER_POLICY in conflict.reason
    assert not any(c.name == "team-backend" for c in plan.changes)
    adopted = engine.plan(options=PlanOptions(adopt=True))
    assert _changes(adopted)[("ops", "group", "team-backend")].action == "adopt"
    assert engine.apply(adopted).ok
    assert engine.plan().in_sync


def test_a_team_without_grants_is_still_marked(ops_aws: Aws, classic: Org) -> None:
    org = replace(classic, teams=(*classic.teams, Team("idle", ("bob",))))
    engine = Engine(org, ops_aws)
    assert engine.apply(engine.plan()).ok
    names = engine.iam("ops").list_group_policies(GroupName="team-idle")["PolicyNames"]
    assert names == [GROUP_MARKER_POLICY]
    assert engine.plan().in_sync


def test_an_empty_group_left_by_an_interrupted_create_is_taken_over(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    ops = engine.iam("ops")
    ops.create_group(GroupName="team-backend", Path="/awsroles/")  # killed before the marker
    plan = engine.plan()
    assert not plan.conflicts
    assert _changes(plan)[("ops", "group", "team-backend")].action == "adopt"
    create = _changes(plan)[("ops", "group", "team-platform")]
    assert [op for op, _ in create.ops][:2] == ["create_group", "put_group_policy"]
    assert create.ops[1][1]["PolicyName"] == GROUP_MARKER_POLICY
    assert engine.apply(plan).ok and engine.plan().in_sync
    # Not empty (a member, or a policy): someone's group, never taken over without --adopt.
    ops.create_group(GroupName="team-extra", Path="/awsroles/")
    ops.put_group_policy(GroupName="team-extra", PolicyName="p", PolicyDocument=POWER)
    org = replace(classic, teams=(*classic.teams, Team("extra", ("bob",))))
    assert [c.name for c in Engine(org, ops_aws).plan().conflicts] == ["team-extra"]
