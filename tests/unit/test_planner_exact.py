"""The planner (:mod:`awsroles.sync.planner`) on a small hand-built org and live state: the exact
calls of each change, in order, what is refused and why, and which changes are drift.

Written against the mutation run of awsroles/sync/planner.py (bench/mutation.py,
docs/benchmarks.md): the plan tests check whole plans by properties (a change of this kind, a call
among the ops), and a swapped order, a dropped parameter or a flipped drift decision got past them.
Each test here compares the calls, details and findings of one decision with the exact expected
ones.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from awsroles.budgets.desired import ORG_TAG
from awsroles.budgets.state import LiveBudget, LiveBudgets
from awsroles.iam import revocations
from awsroles.iam.desired import (
    DIGEST_TAG,
    GROUP_MARKER_POLICY,
    AccountSpec,
    InlinePolicy,
    ManagedPolicySpec,
    desired_state,
    role_digest,
)
from awsroles.org.entries import BreakGlass
from awsroles.org.marks import TEAM_POLICY_NAME
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from awsroles.sync.alarm_state import LiveAlarm, LiveAlarms, LiveRule, LiveTopic
from awsroles.sync.ops import document_diff, tag_list
from awsroles.sync.plan import REQUIRE_NO_CREDENTIALS, Change, Conflict, Plan, PlanOptions
from awsroles.sync.planner import accounts_to_read, make_plan
from awsroles.sync.state import LiveAccount, LiveGroup, LivePolicy, LiveRole, LiveUser

TEXT = """
[org]
name = t
ops_account = ops
path = /awsroles/
[account ops]
id = 111111111111
[account dev]
id = 222222222222
environment = dev
[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
max_session = 1h
description = Full access
[role readonly]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
max_session = 8h
replaces = /ReadOnlyOld
[role developer]
managed = arn:aws:iam::aws:policy/PowerUserAccess
retires = /Dev
[team a]
members = alice
dev = admin
[team b]
members = bob
dev = readonly, developer
move_from = /
[user alice]
email = alice@x.example
[user bob]
move_from = /
"""

OPS, DEV = "111111111111", "222222222222"
SELF_SERVICE = f"arn:aws:iam::{OPS}:policy/awsroles/awsroles-self-service"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
MARKED = {"managed-by": "awsroles"}


@pytest.fixture(scope="module")
def org() -> Org:
    parsed, problems = parse_org(TEXT, "t.ini", Path("."))
    assert parsed is not None, problems
    return parsed


def spec(org: Org, account: str, kind: str, name: str) -> Any:
    (found,) = [s for a in desired_state(org) if a.account.name == account
                for s in {"policy": a.policies, "group": a.groups, "role": a.roles, "user": a.users}[kind]
                if s.name == name]
    return found


def empty(org: Org) -> dict[str, LiveAccount]:
    return {a.name: LiveAccount(a) for a in org.accounts}


def applied(org: Org) -> dict[str, LiveAccount]:
    """Both accounts exactly as apply leaves them."""
    out = empty(org)
    for s in desired_state(org):
        roles = {r.name: LiveRole(r.name, r.path, json.loads(r.trust_policy), r.max_session, r.description,
                                  r.managed, {p.name: json.loads(p.document) for p in r.inline}, dict(r.tags),
                                  boundary=r.boundary) for r in s.roles}
        groups = {g.name: LiveGroup(g.name, g.path, g.managed, {p.name: json.loads(p.document) for p in g.inline},
                                    tuple(sorted(u.name for u in s.users if g.name in u.groups))) for g in s.groups}
        users = {u.name: LiveUser(u.name, u.path, tuple(sorted(u.groups)), (), {}, dict(u.tags), u.boundary)
                 for u in s.users}
        pols = {p.name: LivePolicy(p.name, p.path, SELF_SERVICE, json.loads(p.document), p.description, "v1", (), (),
                                   dict(p.tags)) for p in s.policies}
        out[s.account.name] = LiveAccount(s.account, roles, groups, users, pols)
    return out


def put(live: dict[str, LiveAccount], account: str, kind: str, item: Any) -> None:
    """Put ``item`` (a live role, group, user or policy) in ``account``, replacing one of its name."""
    field = {LiveRole: "roles", LiveGroup: "groups", LiveUser: "users", LivePolicy: "policies"}[type(item)]
    state = live[account]
    live[account] = replace(state, **{field: {**getattr(state, field), item.name: item}})
    assert kind == field.rstrip("s").replace("policie", "policy")


def edit(live: dict[str, LiveAccount], account: str, kind: str, name: str, **changes: Any) -> None:
    field = {"role": "roles", "group": "groups", "user": "users", "policy": "policies"}[kind]
    put(live, account, kind, replace(getattr(live[account], field)[name], **changes))


def drop(live: dict[str, LiveAccount], account: str, kind: str, name: str) -> None:
    field = {"role": "roles", "group": "groups", "user": "users", "policy": "policies"}[kind]
    state = live[account]
    live[account] = replace(state, **{field: {k: v for k, v in getattr(state, field).items() if k != name}})


def plan(org: Org, live: dict[str, LiveAccount], **options: bool) -> Plan:
    return make_plan(org, desired_state(org), live, options=PlanOptions(**options), now=NOW)


def only(found: Plan | tuple[Change, ...], kind: str, name: str) -> Change:
    changes = found.changes if isinstance(found, Plan) else found
    (change,) = [c for c in changes if (c.kind, c.name) == (kind, name)]
    return change


# -- creating ---------------------------------------------------------------------------------------


def test_empty_accounts_get_every_resource_with_its_exact_calls_in_dependency_order(org: Org) -> None:
    result = plan(org, empty(org))
    assert [(c.account, c.account_id, c.action, c.kind, c.name, c.drift, c.details, c.diffs)
            for c in result.changes] == [
        ("ops", OPS, "create", kind, name, False, (), ()) for kind, name in (
            ("policy", "awsroles-self-service"), ("group", "awsroles-users"), ("group", "team-a"),
            ("group", "team-b"), ("user", "alice"), ("user", "bob"))] + [
        ("dev", DEV, "create", "role", name, False, (), ()) for name in ("admin", "developer", "readonly")]
    policy = spec(org, "ops", "policy", "awsroles-self-service")
    assert only(result, "policy", "awsroles-self-service").ops == (("create_policy", {
        "PolicyName": "awsroles-self-service", "Path": "/awsroles/", "PolicyDocument": policy.document,
        "Description": "Lets each user manage their own password, MFA device and access keys",
        "Tags": [{"Key": "managed-by", "Value": "awsroles"}]}),)
    marker = spec(org, "ops", "group", "awsroles-users").inline[0]
    assert marker.name == GROUP_MARKER_POLICY
    assert only(result, "group", "awsroles-users").ops == (
        ("create_group", {"GroupName": "awsroles-users", "Path": "/awsroles/"}),
        ("put_group_policy", {"GroupName": "awsroles-users", "PolicyName": GROUP_MARKER_POLICY,
                              "PolicyDocument": marker.document}),
        ("attach_group_policy", {"GroupName": "awsroles-users", "PolicyArn": SELF_SERVICE}))
    # The marker before the team's policy (although the team's sorts first): a group stopped
    # part-way is empty or marked.
    team = {p.name: p.document for p in spec(org, "ops", "group", "team-a").inline}
    assert TEAM_POLICY_NAME < GROUP_MARKER_POLICY
    assert only(result, "group", "team-a").ops == (
        ("create_group", {"GroupName": "team-a", "Path": "/awsroles/"}),
        ("put_group_policy", {"GroupName": "team-a", "PolicyName": GROUP_MARKER_POLICY,
                              "PolicyDocument": team[GROUP_MARKER_POLICY]}),
        ("put_group_policy", {"GroupName": "team-a", "PolicyName": TEAM_POLICY_NAME,
                              "PolicyDocument": team[TEAM_POLICY_NAME]}))
    alice = spec(org, "ops", "user", "alice")
    assert only(result, "user", "alice").ops == (
        ("create_user", {"UserName": "alice", "Path": "/awsroles/", "Tags": tag_list(alice.tags)}),
        ("add_user_to_group", {"GroupName": "awsroles-users", "UserName": "alice"}),
        ("add_user_to_group", {"GroupName": "team-a", "UserName": "alice"}))
    admin = spec(org, "dev", "role", "admin")
    assert only(result, "role", "admin").ops == (
        ("create_role", {"RoleName": "admin", "Path": "/awsroles/", "AssumeRolePolicyDocument": admin.trust_policy,
                         "MaxSessionDuration": 3600, "Tags": tag_list(admin.tags), "Description": "Full access"}),
        ("attach_role_policy", {"RoleName": "admin", "PolicyArn": ADMIN}))
    readonly = spec(org, "dev", "role", "readonly")
    assert only(result, "role", "readonly").ops[0] == ("create_role", {
        "RoleName": "readonly", "Path": "/awsroles/", "AssumeRolePolicyDocument": readonly.trust_policy,
        "MaxSessionDuration": 28800, "Tags": tag_list(readonly.tags)})  # no description: none sent
    assert result.kept == result.conflicts == result.unowned == result.foreign == ()
    assert result.api_calls == {"ops": 0, "dev": 0}


def test_the_live_state_apply_leaves_is_in_sync(org: Org) -> None:
    result = plan(org, applied(org), prune=True, remove_foreign_memberships=True)
    assert result.in_sync and result.changes == () and result.kept == () and result.unowned == ()


def test_a_role_with_inline_policies_and_a_boundary_is_created_with_them(org: Org) -> None:
    bounded = replace(org, roles=tuple(replace(r, boundary=POWER_USER) if r.name == "admin" else r
                                       for r in org.roles))
    text = json.dumps(S3)
    specs = tuple(replace(s, roles=tuple(replace(r, inline=(InlinePolicy("z", text), InlinePolicy("a", text)))
                                         if r.name == "admin" else r for r in s.roles))
                  for s in desired_state(bounded))
    change = only(make_plan(bounded, specs, empty(bounded), now=NOW), "role", "admin")
    assert change.ops[0][1]["PermissionsBoundary"] == POWER_USER  # with the role: never without it
    assert change.ops[1:] == (("attach_role_policy", {"RoleName": "admin", "PolicyArn": ADMIN}),
                              ("put_role_policy", {"RoleName": "admin", "PolicyName": "a", "PolicyDocument": text}),
                              ("put_role_policy", {"RoleName": "admin", "PolicyName": "z", "PolicyDocument": text}))


# -- managed policies -------------------------------------------------------------------------------


@pytest.mark.parametrize("versions,deleted", [((), ()), (("v1", "v2", "v3"), ()), (("v2", "v3", "v4", "v5"), ("v2",))])
def test_a_changed_policy_gets_a_new_default_version_making_room_only_at_five(
        org: Org, versions: tuple[str, ...], deleted: tuple[str, ...]) -> None:
    live = applied(org)
    old = {"Version": "2012-10-17", "Statement": []}
    edit(live, "ops", "policy", "awsroles-self-service", document=old, versions=versions)
    change = only(plan(org, live), "policy", "awsroles-self-service")
    document = spec(org, "ops", "policy", "awsroles-self-service").document
    made_room = [("delete_policy_version", {"PolicyArn": SELF_SERVICE, "VersionId": v}) for v in deleted]
    assert change.ops == (*made_room, ("create_policy_version", {"PolicyArn": SELF_SERVICE,
                                                                 "PolicyDocument": document, "SetAsDefault": True}))
    assert (change.action, change.drift, change.details) == ("update", False, ("new default version",))
    assert change.diffs == (document_diff("policy document", old, document),)


def test_a_policy_missing_its_tags_gets_only_those(org: Org) -> None:
    live = applied(org)
    edit(live, "ops", "policy", "awsroles-self-service", tags={"managed-by": "someone", "team": "x"})
    change = only(plan(org, live), "policy", "awsroles-self-service")
    assert change.ops == (("tag_policy", {"PolicyArn": SELF_SERVICE,
                                          "Tags": [{"Key": "managed-by", "Value": "awsroles"}]}),)
    assert change.details == ("tag managed-by",) and change.diffs == ()


def test_a_policy_name_taken_is_a_conflict_and_nothing_else(org: Org) -> None:
    live = applied(org)
    drop(live, "ops", "policy", "awsroles-self-service")
    live["ops"] = replace(live["ops"], unmanaged={"policy": {"awsroles-self-service": "/other/"}})
    result = plan(org, live)
    assert [(c.kind, c.name) for c in result.conflicts] == [("policy", "awsroles-self-service")]
    assert [c for c in result.changes if c.kind == "policy"] == []


def test_a_group_is_never_attached_a_policy_whose_name_something_else_holds(org: Org) -> None:
    """A hand-made policy at the name of one of ours (awsroles-self-service here; a team's
    awsroles-assume-TEAM-N alike) is a conflict, and no group of ours is planned to get it: were the
    conflict ever applied past, the group still would not be given what someone else wrote. One
    attached already stays as it is: the conflict, which stops apply, is what the plan says of it."""
    live = applied(org)
    drop(live, "ops", "policy", "awsroles-self-service")
    live["ops"] = replace(live["ops"], unmanaged={"policy": {"awsroles-self-service": "/awsroles/"}})
    edit(live, "ops", "group", "awsroles-users", managed=())
    result = plan(org, live)
    assert [(c.kind, c.name) for c in result.conflicts] == [("policy", "awsroles-self-service")]
    attaching = [op for c in result.changes if c.kind == "group" for op in c.ops if op[0] == "attach_group_policy"]
    assert attaching == []
    edit(live, "ops", "group", "awsroles-users", managed=(SELF_SERVICE,))  # attached already: the conflict says
    assert [c for c in plan(org, live).changes if c.kind == "group"] == []


def test_a_policy_that_left_the_org_file_is_detached_emptied_and_deleted_with_prune(org: Org) -> None:
    live = applied(org)
    arn = f"arn:aws:iam::{OPS}:policy/awsroles/old"
    put(live, "ops", "policy", LivePolicy("old", "/awsroles/", arn, S3, "", "v3", ("v1", "v2"),
                                          (("user", "bob"), ("group", "team-a"), ("role", "r"))))
    put(live, "ops", "role", LiveRole("r", "/awsroles/", {}, 3600, "", (arn,), {}, MARKED))
    result = plan(org, live, prune=True)
    assert only(result, "policy", "old").ops == (
        ("detach_user_policy", {"UserName": "bob", "PolicyArn": arn}),
        ("detach_group_policy", {"GroupName": "team-a", "PolicyArn": arn}),
        ("detach_role_policy", {"RoleName": "r", "PolicyArn": arn}),
        ("delete_policy_version", {"PolicyArn": arn, "VersionId": "v1"}),
        ("delete_policy_version", {"PolicyArn": arn, "VersionId": "v2"}),
        ("delete_policy", {"PolicyArn": arn}))
    assert only(result, "policy", "old").action == "delete"
    kept = plan(org, live)
    assert [(c.action, c.kind, c.name) for c in kept.kept] == [("delete", "role", "r"), ("delete", "policy", "old")]
    assert [c for c in kept.changes if c.action == "delete"] == []


def test_a_policy_attached_to_what_awsroles_does_not_manage_is_never_deleted(org: Org) -> None:
    live = applied(org)
    arn = f"arn:aws:iam::{OPS}:policy/awsroles/old"
    put(live, "ops", "policy", LivePolicy("old", "/awsroles/", arn, S3, "", "v1", (),
                                          (("user", "carol"), ("group", "team-a"), ("role", "app"),
                                           ("group", "Admins"))))
    result = plan(org, live, prune=True)
    assert result.conflicts == (Conflict(
        "ops", OPS, "policy", "old", "left the org file but is attached to user carol, role app, group Admins, "
        "which awsroles does not manage; detach it there first"),)
    assert [c for c in result.changes if c.name == "old"] == []
    assert plan(org, live).conflicts == ()  # only a prune would delete it


# -- groups ---------------------------------------------------------------------------------------


def test_a_group_changed_by_hand_is_drift_and_put_back_in_order(org: Org) -> None:
    live = applied(org)
    team = dict(live["ops"].groups["team-a"].inline)
    edit(live, "ops", "group", "team-a", inline={**team, "hand": S3}, managed=(ADMIN,))
    change = only(plan(org, live), "group", "team-a")
    assert change.ops == (("delete_group_policy", {"GroupName": "team-a", "PolicyName": "hand"}),
                          ("detach_group_policy", {"GroupName": "team-a", "PolicyArn": ADMIN}))
    assert change.details == ("remove inline policy hand (grants: Allow s3:* on *)",
                              f"detach {ADMIN} (grants: AWS managed policy AdministratorAccess)")
    assert (change.action, change.drift) == ("update", True)
    assert change.diffs == (document_diff("inline policy hand", S3, None),)


@pytest.mark.parametrize("what", ["inline", "managed"])
def test_either_extra_grant_on_a_group_alone_is_drift(org: Org, what: str) -> None:
    live = applied(org)
    group = live["ops"].groups["team-a"]
    changes = {"inline": {**group.inline, "hand": S3}} if what == "inline" else {"managed": (ADMIN,)}
    edit(live, "ops", "group", "team-a", **changes)
    assert only(plan(org, live), "group", "team-a").drift


def test_a_group_whose_team_policy_the_org_file_changed_is_an_update_not_drift(org: Org) -> None:
    live = applied(org)
    group = live["ops"].groups["team-a"]
    edit(live, "ops", "group", "team-a", inline={**group.inline, TEAM_POLICY_NAME: S3})
    edit(live, "ops", "group", "awsroles-users", managed=())
    result = plan(org, live)
    team = only(result, "group", "team-a")
    assert not team.drift and team.details == (f"change inline policy {TEAM_POLICY_NAME}",)
    users = only(result, "group", "awsroles-users")
    assert not users.drift and users.ops == (("attach_group_policy", {"GroupName": "awsroles-users",
                                                                      "PolicyArn": SELF_SERVICE}),)
    assert users.details == (f"attach {SELF_SERVICE}",)


def test_a_group_that_left_the_org_file_is_emptied_with_its_marker_last(org: Org) -> None:
    live = applied(org)
    put(live, "ops", "group", LiveGroup("team-old", "/awsroles/", (ADMIN, READ_ONLY),
                                        {"z": S3, GROUP_MARKER_POLICY: {}, "a": S3}, ("alice", "bob")))
    assert only(plan(org, live, prune=True), "group", "team-old").ops == (
        ("remove_user_from_group", {"GroupName": "team-old", "UserName": "alice"}),
        ("remove_user_from_group", {"GroupName": "team-old", "UserName": "bob"}),
        ("detach_group_policy", {"GroupName": "team-old", "PolicyArn": ADMIN}),
        ("detach_group_policy", {"GroupName": "team-old", "PolicyArn": READ_ONLY}),
        ("delete_group_policy", {"GroupName": "team-old", "PolicyName": "a"}),
        ("delete_group_policy", {"GroupName": "team-old", "PolicyName": "z"}),
        ("delete_group_policy", {"GroupName": "team-old", "PolicyName": GROUP_MARKER_POLICY}),
        ("delete_group", {"GroupName": "team-old"}))


def test_a_group_with_members_awsroles_does_not_manage_is_never_deleted(org: Org) -> None:
    live = applied(org)
    put(live, "ops", "group", LiveGroup("team-old", "/awsroles/", (), {GROUP_MARKER_POLICY: {}},
                                        ("carol", "alice", "dave")))
    result = plan(org, live, prune=True)
    assert result.conflicts == (Conflict(
        "ops", OPS, "group", "team-old", "left the org file but has members awsroles does not manage (carol, dave); "
        "awsroles never changes them: remove them from the group first"),)
    assert [c for c in result.changes if c.name == "team-old"] == []


def test_a_user_and_group_the_org_file_moves_are_moved_keeping_their_names(org: Org) -> None:
    live = applied(org)
    edit(live, "ops", "user", "bob", path="/")
    edit(live, "ops", "group", "team-b", path="/")
    result = plan(org, live)
    bob = only(result, "user", "bob")
    assert bob.ops == (("update_user", {"UserName": "bob", "NewPath": "/awsroles/"}),)
    assert bob.details == (f"move from / to /awsroles/ (same user, now arn:aws:iam::{OPS}:user/awsroles/bob)",)
    group = only(result, "group", "team-b")
    assert group.ops == (("update_group", {"GroupName": "team-b", "NewPath": "/awsroles/"}),)
    assert group.details == (f"move from / to /awsroles/ (same group, now arn:aws:iam::{OPS}:group/awsroles/team-b)",)
    assert not group.drift


# -- roles ----------------------------------------------------------------------------------------


def test_a_role_changed_in_every_way_is_put_back_in_order_with_each_detail(org: Org) -> None:
    live = applied(org)
    role = live["dev"].roles["admin"]
    trust = {"Version": "2012-10-17", "Statement": []}
    edit(live, "dev", "role", "admin", trust_policy=trust, max_session=7200, description="old", boundary=READ_ONLY,
         managed=(POWER_USER,), inline={"hand": S3}, tags={**role.tags, "owner": "x"})
    change = only(plan(org, live), "role", "admin")
    admin = spec(org, "dev", "role", "admin")
    assert change.ops == (
        ("update_assume_role_policy", {"RoleName": "admin", "PolicyDocument": admin.trust_policy}),
        ("update_role", {"RoleName": "admin", "MaxSessionDuration": 3600, "Description": "Full access"}),
        ("delete_role_permissions_boundary", {"RoleName": "admin"}),
        ("attach_role_policy", {"RoleName": "admin", "PolicyArn": ADMIN}),
        ("detach_role_policy", {"RoleName": "admin", "PolicyArn": POWER_USER}),
        ("delete_role_policy", {"RoleName": "admin", "PolicyName": "hand"}),
        ("untag_role", {"RoleName": "admin", "TagKeys": ["owner"]}))
    assert change.details == (
        "trust policy", "max_session 2h -> 1h", "description 'old' -> 'Full access'",
        f"remove permissions boundary {READ_ONLY}", f"attach {ADMIN}",
        f"detach {POWER_USER} (grants: AWS managed policy PowerUserAccess)",
        "remove inline policy hand (grants: Allow s3:* on *)", "remove tag owner")
    assert change.diffs == (document_diff("trust policy", trust, admin.trust_policy),
                            document_diff("inline policy hand", S3, None))
    assert (change.action, change.drift) == ("update", True)


def test_only_the_setting_that_changed_is_named(org: Org) -> None:
    live = applied(org)
    edit(live, "dev", "role", "admin", description="old")
    edit(live, "dev", "role", "readonly", max_session=3600)
    result = plan(org, live)
    admin, readonly = only(result, "role", "admin"), only(result, "role", "readonly")
    assert admin.ops == (("update_role", {"RoleName": "admin", "MaxSessionDuration": 3600,
                                          "Description": "Full access"}),)
    assert admin.details == ("description 'old' -> 'Full access'",)
    assert readonly.ops == (("update_role", {"RoleName": "readonly", "MaxSessionDuration": 28800,
                                             "Description": ""}),)
    assert readonly.details == ("max_session 1h -> 8h",)
    assert admin.drift and readonly.drift  # the settings no longer hash to the digest awsroles wrote


def test_a_role_the_org_file_changed_is_drift_only_when_its_digest_says_so(org: Org) -> None:
    live = applied(org)
    role = live["dev"].roles["admin"]
    stale = role_digest(role.path, role.trust_policy, 7200, role.description, role.managed, {}, "")
    # Its settings as awsroles wrote them before the org file's max_session changed: not drift.
    edit(live, "dev", "role", "admin", max_session=7200, tags={**role.tags, DIGEST_TAG: stale})
    change = only(plan(org, live), "role", "admin")
    assert not change.drift and change.details[0] == "max_session 2h -> 1h"
    assert change.ops[-1] == ("tag_role", {"RoleName": "admin", "Tags": [
        {"Key": DIGEST_TAG, "Value": dict(spec(org, "dev", "role", "admin").tags)[DIGEST_TAG]}]})


@pytest.mark.parametrize("live_boundary,drift", [(READ_ONLY, True), ("", False)])
def test_a_role_without_digest_is_drift_only_for_a_boundary_the_org_file_does_not_give(
        org: Org, live_boundary: str, drift: bool) -> None:
    live = applied(org)
    role = live["dev"].roles["admin"]
    edit(live, "dev", "role", "admin", description="old", boundary=live_boundary,
         tags={k: v for k, v in role.tags.items() if k != DIGEST_TAG})
    assert only(plan(org, live), "role", "admin").drift is drift


def test_a_role_missing_its_policies_is_a_conflict_and_not_created(org: Org) -> None:
    custom = replace(org, roles=tuple(replace(r, customer_managed=("/team/a", "/team/b")) if r.name == "admin"
                                      else r for r in org.roles))
    result = make_plan(custom, desired_state(custom), empty(custom), now=NOW)
    (conflict,) = result.conflicts
    assert (conflict.account, conflict.kind, conflict.name) == ("dev", "role", "admin")
    assert conflict.reason == "; ".join(
        f"customer managed policy /team/{name} does not exist in account dev ({DEV}): create it there first "
        "(awsroles attaches it, it does not make it), or take it out of the role" for name in "ab")
    assert [c for c in result.changes if c.name == "admin"] == []


def test_a_role_that_left_the_org_file_is_taken_apart_then_deleted(org: Org) -> None:
    live = applied(org)
    put(live, "dev", "role", LiveRole("old", "/awsroles/", {}, 3600, "", (ADMIN, READ_ONLY), {"z": S3, "a": S3},
                                      MARKED, ("app", "web"), POWER_USER))
    change = only(plan(org, live, prune=True), "role", "old")
    assert change.ops == (
        ("remove_role_from_instance_profile", {"InstanceProfileName": "app", "RoleName": "old"}),
        ("remove_role_from_instance_profile", {"InstanceProfileName": "web", "RoleName": "old"}),
        ("delete_role_permissions_boundary", {"RoleName": "old"}),
        ("delete_role_policy", {"RoleName": "old", "PolicyName": "a"}),
        ("delete_role_policy", {"RoleName": "old", "PolicyName": "z"}),
        ("detach_role_policy", {"RoleName": "old", "PolicyArn": ADMIN}),
        ("detach_role_policy", {"RoleName": "old", "PolicyArn": READ_ONLY}),
        ("delete_role", {"RoleName": "old"}))
    assert (change.action, change.details, change.drift) == ("delete", (), False)
    put(live, "dev", "role", LiveRole("old", "/awsroles/", {}, 3600, "", (), {}, MARKED))
    assert only(plan(org, live, prune=True), "role", "old").ops == (("delete_role", {"RoleName": "old"}),)


# -- revoked sessions -------------------------------------------------------------------------------


def revoked(*items: tuple[datetime, tuple[str, ...]]) -> dict[str, Any]:
    text = revocations.document([revocations.revocation(at, people) for at, people in items])
    assert text is not None
    return dict(json.loads(text))


def with_revocations(org: Org, document: dict[str, Any], role: str = "readonly") -> dict[str, LiveAccount]:
    live = applied(org)
    current = live["dev"].roles[role]
    edit(live, "dev", "role", role, inline={**current.inline, revocations.POLICY_NAME: document})
    return live


def test_revocations_still_needed_are_kept_and_never_drift(org: Org) -> None:
    # readonly's sessions last 8h: a revocation 7h59m ago may still refuse one.
    live = with_revocations(org, revoked((NOW - timedelta(hours=7, minutes=59), ("alice",))))
    assert plan(org, live).in_sync
    edit(live, "dev", "role", "readonly", description="old")  # another change: the policy is not drift
    change = only(plan(org, live), "role", "readonly")
    assert [m for m, _ in change.ops] == ["update_role"] and change.drift


def test_expired_revocations_are_dropped_and_the_rest_put(org: Org) -> None:
    old, older, recent = NOW - timedelta(hours=8), NOW - timedelta(hours=9), NOW - timedelta(hours=1)
    live = with_revocations(org, revoked((older, ("bob", "carol")), (old, ("alice",)), (recent, ("dave",))))
    change = only(plan(org, live), "role", "readonly")
    name = revocations.POLICY_NAME
    keep = revocations.document([revocations.revocation(recent, ["dave"])])
    assert change.ops == (("put_role_policy", {"RoleName": "readonly", "PolicyName": name, "PolicyDocument": keep}),)
    assert change.details == (f"change inline policy {name}: expired revocations 2026-11-30T03:00:00Z (bob, carol), "
                              "2026-11-30T04:00:00Z (alice)",)
    assert change.diffs == (document_diff(f"inline policy {name}", live["dev"].roles["readonly"].inline[name], keep),)
    assert (change.action, change.drift) == ("update", False)


def test_the_policy_goes_once_every_revocation_expired(org: Org) -> None:
    at = NOW - timedelta(hours=8)
    live = with_revocations(org, revoked((at, ("alice",))))
    change = only(plan(org, live), "role", "readonly")
    name = revocations.POLICY_NAME
    assert change.ops == (("delete_role_policy", {"RoleName": "readonly", "PolicyName": name}),)
    assert change.details == (f"remove inline policy {name}: expired revocation 2026-11-30T04:00:00Z (alice)",)
    assert change.diffs == (document_diff(f"inline policy {name}", live["dev"].roles["readonly"].inline[name], None),)
    assert not change.drift


def test_a_statement_added_by_hand_to_the_revocations_is_removed(org: Org) -> None:
    at = NOW - timedelta(hours=1)
    document = revoked((at, ("alice",)))
    hand = {"Sid": "Hand", "Effect": "Allow", "Action": "*", "Resource": "*"}
    live = with_revocations(org, {**document, "Statement": [*document["Statement"], hand]})
    change = only(plan(org, live), "role", "readonly")
    name = revocations.POLICY_NAME
    assert change.ops == (("put_role_policy", {"RoleName": "readonly", "PolicyName": name,
                                               "PolicyDocument": revocations.document(
                                                   [revocations.revocation(at, ["alice"])])}),)
    assert change.details == (f"change inline policy {name}: statements not awsroles' removed",)
    both = with_revocations(org, {**document, "Statement": [*revoked((NOW - timedelta(hours=9), ("bob",)))[
        "Statement"], *document["Statement"], hand]})
    assert only(plan(org, both), "role", "readonly").details == (
        f"change inline policy {name}: expired revocation 2026-11-30T03:00:00Z (bob); statements not awsroles' "
        "removed",)


def test_the_plans_clock_decides_which_revocations_expired(org: Org) -> None:
    live = with_revocations(org, revoked((NOW - timedelta(hours=1), ("alice",))))
    # Needed while a session issued just before it may be valid: until at + max_session (8h), excluded.
    later = make_plan(org, desired_state(org), live, now=NOW + timedelta(hours=7) - timedelta(seconds=1))
    assert later.in_sync
    expired = make_plan(org, desired_state(org), live, now=NOW + timedelta(hours=7))
    assert [m for m, _ in only(expired, "role", "readonly").ops] == ["delete_role_policy"]
    clock = datetime.now(timezone.utc)
    nine_hours_ago = with_revocations(org, revoked((clock - timedelta(hours=9), ("alice",))))
    assert make_plan(org, desired_state(org), nine_hours_ago, now=clock - timedelta(hours=2)).in_sync
    by_the_clock = make_plan(org, desired_state(org), nine_hours_ago)  # no ``now``: the clock's
    assert [m for m, _ in only(by_the_clock, "role", "readonly").ops] == ["delete_role_policy"]


# -- replaced and retired roles ---------------------------------------------------------------------


def hand_made(name: str, path: str = "/", owned: bool = False, profiles: tuple[str, ...] = ()) -> LiveRole:
    return LiveRole(name, path, {}, 3600, "", (READ_ONLY,), {}, MARKED if owned else {}, profiles, owned=owned)


def test_a_retired_role_needs_adopt_when_not_awsroles(org: Org) -> None:
    live = applied(org)
    put(live, "dev", "role", hand_made("Dev"))
    put(live, "dev", "role", hand_made("ReadOnlyOld"))  # replaced, not retired: left as it is
    result = plan(org, live)
    assert result.conflicts == (Conflict(
        "dev", DEV, "role", "Dev", "retired by role developer, but at / without the managed-by = awsroles tag: "
        "awsroles does not own it and never deletes it unasked; `awsroles apply --adopt` deletes it"),)
    assert result.changes == () and result.unowned == ()
    adopted = plan(org, live, adopt=True)
    assert adopted.conflicts == () and adopted.unowned == ()
    (change,) = adopted.changes  # without --prune: the org file asks for it
    assert (change.action, change.kind, change.name, change.details) == (
        "delete", "role", "Dev", ("retired: role developer replaces it",))
    assert change.ops == (("detach_role_policy", {"RoleName": "Dev", "PolicyArn": READ_ONLY}),
                          ("delete_role", {"RoleName": "Dev"}))


def test_a_retired_role_awsroles_marked_is_deleted_after_the_other_changes(org: Org) -> None:
    live = applied(org)
    put(live, "dev", "role", hand_made("Dev", owned=True))
    edit(live, "ops", "user", "bob", tags={})
    drop(live, "dev", "role", "admin")
    result = plan(org, live)
    assert [(c.action, c.kind, c.name) for c in result.changes] == [
        ("update", "user", "bob"), ("create", "role", "admin"), ("delete", "role", "Dev")]
    assert result.kept == ()


@pytest.mark.parametrize("owned", [False, True])
def test_a_retired_role_in_an_instance_profile_is_never_deleted(org: Org, owned: bool) -> None:
    live = applied(org)
    put(live, "dev", "role", hand_made("Dev", owned=owned, profiles=("app", "web")))
    result = plan(org, live, adopt=True)
    assert result.conflicts == (Conflict(
        "dev", DEV, "role", "Dev", "retired by role developer, but it is in instance profile(s) app, web: an "
        "application's role too, which awsroles never deletes; take it out of them first, or remove the retires "
        "line"),)
    assert result.changes == ()


def test_a_retired_role_elsewhere_is_not_the_one_retired(org: Org) -> None:
    live = applied(org)
    put(live, "dev", "role", hand_made("Dev", path="/other/", owned=True))
    assert plan(org, live, adopt=True).changes == ()


# -- users ------------------------------------------------------------------------------------------


def test_a_user_is_created_only_into_groups_that_will_be_there(org: Org) -> None:
    live = empty(org)
    live["ops"] = LiveAccount(org.account("ops"), unmanaged={"group": {"team-a": "/other/"}})
    result = plan(org, live)
    assert [(c.kind, c.name) for c in result.conflicts] == [("group", "team-a")]
    assert only(result, "user", "alice").ops[1:] == (
        ("add_user_to_group", {"GroupName": "awsroles-users", "UserName": "alice"}),)
    joined = applied(org)
    edit(joined, "ops", "user", "alice", groups=("awsroles-users",))
    drop(joined, "ops", "group", "team-a")
    joined["ops"] = replace(joined["ops"], unmanaged={"group": {"team-a": "/other/"}})
    assert [c for c in plan(org, joined).changes if c.kind == "user"] == []  # never joins the taken name
    # Already in the group that takes the name: reported as the conflict, neither left nor called foreign.
    edit(joined, "ops", "user", "alice", groups=("awsroles-users", "team-a"))
    in_it = plan(org, joined, remove_foreign_memberships=True)
    assert [c for c in in_it.changes if c.kind == "user"] == [] and in_it.foreign == ()
    assert [(c.kind, c.name) for c in in_it.conflicts] == [("group", "team-a")]


def test_a_new_user_with_a_boundary_and_a_temporary_grant_gets_both_when_made(org: Org) -> None:
    bounded = replace(org, users=tuple(replace(u, boundary=POWER_USER) if u.name == "bob" else u for u in org.users))
    specs = tuple(replace(s, users=tuple(replace(u, inline=(InlinePolicy("awsroles-temporary", json.dumps(S3)),))
                                         if u.name == "bob" else u for u in s.users)) for s in desired_state(bounded))
    bob = only(make_plan(bounded, specs, empty(bounded), now=NOW), "user", "bob")
    assert bob.ops[0] == ("create_user", {"UserName": "bob", "Path": "/awsroles/", "Tags": tag_list(
        next(u for s in specs for u in s.users if u.name == "bob").tags), "PermissionsBoundary": POWER_USER})
    assert bob.ops[1:] == (
        ("add_user_to_group", {"GroupName": "awsroles-users", "UserName": "bob"}),
        ("add_user_to_group", {"GroupName": "team-b", "UserName": "bob"}),
        ("put_user_policy", {"UserName": "bob", "PolicyName": "awsroles-temporary", "PolicyDocument": json.dumps(S3)}))


def test_a_user_joins_and_leaves_teams_in_name_order_and_that_is_drift(org: Org) -> None:
    live = applied(org)
    put(live, "ops", "group", LiveGroup("team-old", "/awsroles/", (), {GROUP_MARKER_POLICY: {}}, ("alice",)))
    put(live, "ops", "group", LiveGroup("team-older", "/awsroles/", (), {GROUP_MARKER_POLICY: {}}, ("alice",)))
    edit(live, "ops", "user", "alice", groups=("team-older", "team-old"))
    change = only(plan(org, live), "user", "alice")
    assert change.ops == (
        ("add_user_to_group", {"GroupName": "awsroles-users", "UserName": "alice"}),
        ("add_user_to_group", {"GroupName": "team-a", "UserName": "alice"}),
        ("remove_user_from_group", {"GroupName": "team-old", "UserName": "alice"}),
        ("remove_user_from_group", {"GroupName": "team-older", "UserName": "alice"}))
    assert change.details == ("join awsroles-users", "join team-a", "leave team-old", "leave team-older")
    assert (change.action, change.drift) == ("update", True)


def test_a_user_the_org_file_puts_in_a_team_joins_it_without_drift(org: Org) -> None:
    live = applied(org)
    changed = replace(org, teams=tuple(replace(t, members=("alice", "bob")) if t.name == "a" else t
                                       for t in org.teams))
    change = only(plan(changed, live), "user", "bob")
    assert change.ops[0] == ("add_user_to_group", {"GroupName": "team-a", "UserName": "bob"})
    assert not change.drift


def other_group(name: str, managed: tuple[str, ...] = (), inline: dict[str, Any] | None = None) -> LiveGroup:
    return LiveGroup(name, "/", managed, inline or {}, ("alice",), owned=False)


@pytest.mark.parametrize("group,grants", [
    (other_group("Admins", (ADMIN, f"arn:aws:iam::{OPS}:policy/p"), {"z": S3, "a": {"Statement": []}}),
     f"attached {ADMIN} (AWS managed policy AdministratorAccess); attached arn:aws:iam::{OPS}:policy/p (a policy in "
     "another account); inline a (nothing); inline z (Allow s3:* on *)"),
    (other_group("Admins"), "nothing"),
    (None, "unknown"),
])
def test_a_membership_in_a_group_awsroles_does_not_own_is_reported_with_what_it_grants(
        org: Org, group: LiveGroup | None, grants: str) -> None:
    live = applied(org)
    if group is not None:
        live["ops"] = replace(live["ops"], other_groups={"Admins": group})
    edit(live, "ops", "user", "alice", groups=(*live["ops"].users["alice"].groups, "Admins"))
    result = plan(org, live)
    assert result.foreign == (Conflict("ops", OPS, "user", "alice", (
        f"member of Admins, a group awsroles does not manage, which grants: {grants} "
        "(`apply --remove-foreign-memberships` takes the user out)")),)
    assert result.changes == () and not result.in_sync
    removed = plan(org, live, remove_foreign_memberships=True)
    assert removed.foreign == ()
    change = only(removed, "user", "alice")
    assert change.ops == (("remove_user_from_group", {"GroupName": "Admins", "UserName": "alice"}),)
    assert change.details == (f"leave Admins, a group awsroles does not manage (grants: {grants})",)
    assert change.drift


def test_an_unowned_group_at_the_path_is_described_from_the_live_groups(org: Org) -> None:
    live = applied(org)
    put(live, "ops", "group", LiveGroup("Ops", "/awsroles/", (READ_ONLY,), {}, ("alice",), owned=False))
    edit(live, "ops", "user", "alice", groups=(*live["ops"].users["alice"].groups, "Ops"))
    (finding,) = plan(org, live).foreign
    assert "which grants: attached arn:aws:iam::aws:policy/ReadOnlyAccess (AWS managed policy ReadOnlyAccess) " \
           in finding.reason


def test_a_user_with_power_of_their_own_is_drift_and_it_is_removed(org: Org) -> None:
    live = applied(org)
    edit(live, "ops", "user", "alice", managed=(ADMIN,), inline={"hand": S3})
    change = only(plan(org, live), "user", "alice")
    assert change.ops == (("detach_user_policy", {"UserName": "alice", "PolicyArn": ADMIN}),
                          ("delete_user_policy", {"UserName": "alice", "PolicyName": "hand"}))
    assert change.details == (f"detach {ADMIN} (grants: AWS managed policy AdministratorAccess)",
                              "remove inline policy hand (grants: Allow s3:* on *)")
    assert change.diffs == (document_diff("inline policy hand", S3, None),)
    assert change.drift


@pytest.mark.parametrize("what", ["managed", "inline"])
def test_either_grant_of_their_own_alone_is_drift_even_with_the_digest_right(org: Org, what: str) -> None:
    live = applied(org)
    edit(live, "ops", "user", "alice", **({"managed": (ADMIN,)} if what == "managed" else {"inline": {"hand": S3}}))
    assert only(plan(org, live), "user", "alice").drift


def test_a_user_s_temporary_policy_the_org_file_drops_is_removed_without_drift(org: Org) -> None:
    live = applied(org)
    edit(live, "ops", "user", "alice", inline={"awsroles-temporary": S3})
    change = only(plan(org, live), "user", "alice")
    assert change.ops == (("delete_user_policy", {"UserName": "alice", "PolicyName": "awsroles-temporary"}),)
    assert not change.drift


def test_user_tags_are_put_back_and_one_added_by_hand_removed(org: Org) -> None:
    live = applied(org)
    alice = live["ops"].users["alice"]
    edit(live, "ops", "user", "alice", tags={**alice.tags, "email": "old@x.example", "owner": "x", "aws:x": "y"})
    change = only(plan(org, live), "user", "alice")
    assert change.ops == (("tag_user", {"UserName": "alice", "Tags": [{"Key": "email", "Value": "alice@x.example"}]}),
                          ("untag_user", {"UserName": "alice", "TagKeys": ["owner"]}))
    assert change.details == ("tag email", "remove tag owner")
    assert change.drift  # the digest no longer matches the tags


def test_a_user_boundary_removed_last_after_the_other_changes(org: Org) -> None:
    live = applied(org)
    edit(live, "ops", "user", "bob", boundary=READ_ONLY, path="/", tags={})
    change = only(plan(org, live), "user", "bob")
    bob = spec(org, "ops", "user", "bob")
    assert change.ops == (
        ("tag_user", {"UserName": "bob", "Tags": tag_list(bob.tags)}),
        ("update_user", {"UserName": "bob", "NewPath": "/awsroles/"}),
        ("delete_user_permissions_boundary", {"UserName": "bob"}))
    assert change.details == (f"remove permissions boundary {READ_ONLY}", "tag managed-by",
                              f"move from / to /awsroles/ (same user, now arn:aws:iam::{OPS}:user/awsroles/bob)")
    assert change.drift  # no digest, and a boundary the org file does not give


def test_a_user_without_digest_and_only_a_tag_missing_is_no_drift(org: Org) -> None:
    live = applied(org)
    bob = live["ops"].users["bob"]
    edit(live, "ops", "user", "bob", tags={k: v for k, v in bob.tags.items() if k != DIGEST_TAG})
    change = only(plan(org, live), "user", "bob")
    assert [m for m, _ in change.ops] == ["tag_user"] and not change.drift


def test_a_user_that_left_the_org_file_is_checked_emptied_and_deleted(org: Org) -> None:
    live = applied(org)
    put(live, "ops", "user", LiveUser("carol", "/awsroles/", ("team-a", "Admins"), (ADMIN, READ_ONLY),
                                      {"z": S3, "a": S3}, MARKED, POWER_USER))
    assert only(plan(org, live, prune=True), "user", "carol").ops == (
        (REQUIRE_NO_CREDENTIALS, {"UserName": "carol"}),
        ("remove_user_from_group", {"GroupName": "team-a", "UserName": "carol"}),
        ("remove_user_from_group", {"GroupName": "Admins", "UserName": "carol"}),
        ("delete_user_permissions_boundary", {"UserName": "carol"}),
        ("delete_user_policy", {"UserName": "carol", "PolicyName": "a"}),
        ("delete_user_policy", {"UserName": "carol", "PolicyName": "z"}),
        ("detach_user_policy", {"UserName": "carol", "PolicyArn": ADMIN}),
        ("detach_user_policy", {"UserName": "carol", "PolicyArn": READ_ONLY}),
        ("delete_user", {"UserName": "carol"}))
    put(live, "ops", "user", LiveUser("carol", "/awsroles/", (), (), {}, MARKED))
    assert only(plan(org, live, prune=True), "user", "carol").ops == (
        (REQUIRE_NO_CREDENTIALS, {"UserName": "carol"}), ("delete_user", {"UserName": "carol"}))


# -- the whole account ------------------------------------------------------------------------------


def test_leftovers_are_deleted_users_roles_groups_then_policies_each_in_name_order(org: Org) -> None:
    live = applied(org)
    for name in ("zed", "carol"):
        put(live, "ops", "user", LiveUser(name, "/awsroles/", (), (), {}, MARKED))
        put(live, "ops", "group", LiveGroup(f"team-{name}", "/awsroles/", (), {GROUP_MARKER_POLICY: {}}, ()))
        put(live, "ops", "policy", LivePolicy(f"p-{name}", "/awsroles/", f"arn:aws:iam::{OPS}:policy/awsroles/p-{name}",
                                              S3, "", "v1", (), (), MARKED))
        put(live, "ops", "role", LiveRole(f"r-{name}", "/awsroles/", {}, 3600, "", (), {}, MARKED))
    result = plan(org, live, prune=True)
    assert [(c.kind, c.name) for c in result.changes] == [
        ("user", "carol"), ("user", "zed"), ("role", "r-carol"), ("role", "r-zed"), ("group", "team-carol"),
        ("group", "team-zed"), ("policy", "p-carol"), ("policy", "p-zed")]
    assert all(c.action == "delete" for c in result.changes)
    assert plan(org, live).kept == result.changes


def test_a_name_the_org_file_wants_in_another_case_is_a_conflict_never_a_delete(org: Org) -> None:
    live = applied(org)
    drop(live, "ops", "user", "alice")
    put(live, "ops", "user", LiveUser("Alice", "/awsroles/", (), (), {}, MARKED))
    drop(live, "ops", "group", "team-a")
    put(live, "ops", "group", LiveGroup("Team-A", "/awsroles/", (), {GROUP_MARKER_POLICY: {}}, ()))
    drop(live, "ops", "policy", "awsroles-self-service")
    put(live, "ops", "policy", LivePolicy("AwsRoles-Self-Service", "/awsroles/", SELF_SERVICE, S3, "", "v1", (), (),
                                          MARKED))
    drop(live, "dev", "role", "admin")
    put(live, "dev", "role", LiveRole("Admin", "/awsroles/", {}, 3600, "", (), {}, MARKED))
    result = plan(org, live, prune=True)
    assert {(c.kind, c.name) for c in result.conflicts} == {("user", "alice"), ("group", "team-a"),
                                                            ("policy", "awsroles-self-service"), ("role", "admin")}
    assert [c for c in result.changes if c.action == "delete"] == []


def test_what_is_at_the_path_without_the_mark_is_listed_and_never_touched(org: Org) -> None:
    live = applied(org)
    put(live, "ops", "user", LiveUser("dave", "/awsroles/", (), (), {}, {}, owned=False))
    put(live, "ops", "user", LiveUser("carl", "/awsroles/", (), (), {}, {}, owned=False))
    put(live, "ops", "group", LiveGroup("g", "/awsroles/", (), {}, ("dave",), owned=False))
    put(live, "ops", "policy", LivePolicy("p", "/awsroles/", "arn", S3, "", "v1", (), (), owned=False))
    put(live, "dev", "role", LiveRole("r", "/awsroles/", {}, 3600, "", (), {}, {}, owned=False))
    result = plan(org, live, prune=True)
    tag, marker = "the managed-by = awsroles tag", f"the inline marker policy {GROUP_MARKER_POLICY}"
    assert result.unowned == tuple(Conflict(account, number, kind, name, f"at the awsroles path /awsroles/ without "
                                            f"{mark}: not awsroles', never changed or deleted")
                                   for account, number, kind, name, mark in (
        ("ops", OPS, "group", "g", marker), ("ops", OPS, "user", "carl", tag), ("ops", OPS, "user", "dave", tag),
        ("ops", OPS, "policy", "p", tag), ("dev", DEV, "role", "r", tag)))
    assert result.changes == () and result.in_sync


def test_what_adopt_marks_is_an_adopt_and_no_longer_unowned(org: Org) -> None:
    live = applied(org)
    edit(live, "ops", "user", "alice", owned=False, tags={})
    edit(live, "dev", "role", "readonly", owned=False, tags={})
    result = plan(org, live, adopt=True)
    assert result.unowned == ()
    assert [(c.action, c.kind, c.name) for c in result.changes] == [("adopt", "user", "alice"),
                                                                    ("adopt", "role", "readonly")]


# -- which accounts, and what else the plan holds ---------------------------------------------------


def test_only_ops_and_environment_accounts_are_read_and_none_while_ops_is_pending(org: Org) -> None:
    from awsroles.org.entries import Account

    extra = (Account("billing", "555555555555"), Account("qa", "", environment="qa"))
    bigger = replace(org, accounts=(*org.accounts, *extra))
    assert [a.name for a in accounts_to_read(bigger)] == ["ops", "dev"]
    pending = replace(org, accounts=tuple(replace(a, id="") if a.name == "ops" else a for a in org.accounts))
    assert accounts_to_read(pending) == []


def test_an_account_not_read_is_not_planned_and_one_without_specs_still_prunes(org: Org) -> None:
    live = applied(org)
    del live["ops"]
    put(live, "dev", "role", LiveRole("old", "/awsroles/", {}, 3600, "", (), {}, MARKED))
    result = make_plan(org, (), live, prune=True, now=NOW)
    assert {c.account for c in result.changes} == {"dev"}
    assert [(c.action, c.name) for c in result.changes] == [("delete", n) for n in ("admin", "developer", "old",
                                                                                    "readonly")]
    assert result.options == PlanOptions(prune=True) and result.api_calls == {"dev": 0}
    assert AccountSpec(org.account("dev")).empty


def test_a_pending_account_is_never_planned_nor_a_non_environment_one(org: Org) -> None:
    from awsroles.org.entries import Account

    other = Account("billing", "555555555555")
    bigger = replace(org, accounts=(*org.accounts, other))
    live = applied(bigger)
    live["billing"] = LiveAccount(other, roles={"x": LiveRole("x", "/awsroles/", {}, 3600, "", (), {}, MARKED)},
                                  api_calls=2)
    result = make_plan(bigger, desired_state(bigger), live, prune=True, now=NOW)
    assert result.changes == () and result.api_calls == {"ops": 0, "dev": 0, "billing": 2}


# -- budgets and break-glass alarms, in their accounts' place in the plan ----------------------------


def alarm(region: str, owned: bool = True) -> LiveAlarm:
    tags = MARKED if owned else {}
    topic = f"arn:aws:sns:{region}:{DEV}:awsroles-break-glass"
    return LiveAlarm(region, LiveRule(f"arn:aws:events:{region}:{DEV}:rule/awsroles-break-glass", {}, "ENABLED", "",
                                      (("1", topic),), tags), LiveTopic(topic, {}, (), tags))


def test_an_alarm_awsroles_no_longer_needs_goes_before_the_accounts_iam_deletes(org: Org) -> None:
    live = applied(org)
    put(live, "dev", "role", LiveRole("old", "/awsroles/", {}, 3600, "", (), {}, MARKED))
    put(live, "dev", "role", LiveRole("hand", "/awsroles/", {}, 3600, "", (), {}, {}, owned=False))
    edit(live, "dev", "role", "admin", description="old")
    live["dev"] = replace(live["dev"], alarms=LiveAlarms({"us-east-1": alarm("us-east-1"),
                                                          "eu-west-1": alarm("eu-west-1", owned=False)}))
    pruned = plan(org, live, prune=True)
    assert [(c.action, c.kind, c.name) for c in pruned.changes] == [
        ("update", "role", "admin"), ("delete", "alarm", "awsroles-break-glass in us-east-1"),
        ("delete", "role", "old")]
    # Its rule and its topic, then IAM's.
    assert [(f.kind, f.name) for f in pruned.unowned] == [("alarm", "awsroles-break-glass in eu-west-1")] * 2 + [
        ("role", "hand")]
    kept = plan(org, live)
    assert [(c.kind, c.name) for c in kept.changes] == [("role", "admin")]
    assert [(c.kind, c.name) for c in kept.kept] == [("alarm", "awsroles-break-glass in us-east-1"),
                                                     ("role", "old")]
    assert kept.unowned == pruned.unowned


def test_an_alarm_in_the_way_of_a_break_glass_role_is_a_conflict(org: Org) -> None:
    glass = replace(org, break_glass=(BreakGlass("dev", ("alice",)),))
    live = applied(glass)
    live["dev"] = replace(live["dev"], alarms=LiveAlarms({"us-east-1": alarm("us-east-1", owned=False)}))
    result = make_plan(glass, desired_state(glass), live, now=NOW)
    assert [(c.account, c.kind, c.name) for c in result.conflicts] == [
        ("dev", "alarm", "awsroles-break-glass in us-east-1")] * 2  # its rule and its topic
    assert not any(c.kind == "alarm" for c in result.changes)


BUDGET_TEXT = TEXT.replace("environment = dev\n", "environment = dev\nbudget = 100 USD\n")


def budget(name: str, tags: dict[str, str]) -> LiveBudget:
    return LiveBudget(name, "50", "USD", "COST", "MONTHLY", {}, {}, "", (), tags)


def test_budgets_are_planned_in_the_billing_account_after_its_iam_changes() -> None:
    budgeted, problems = parse_org(BUDGET_TEXT, "t.ini", Path("."))
    assert budgeted is not None, problems
    live = applied(budgeted)
    ours = {**MARKED, ORG_TAG: "t"}
    live["ops"] = replace(live["ops"], budgets=LiveBudgets(OPS, "awsroles-t-", {
        "awsroles-t-old": budget("awsroles-t-old", ours), "awsroles-t-hand": budget("awsroles-t-hand", {})}))
    live["dev"] = replace(live["dev"], budgets=LiveBudgets(DEV, "awsroles-t-", {
        "awsroles-t-gone": budget("awsroles-t-gone", ours)}))  # not the billing account: never read as such
    edit(live, "ops", "user", "bob", tags={})
    edit(live, "dev", "role", "admin", description="old")
    result = make_plan(budgeted, desired_state(budgeted), live, now=NOW)
    assert [(c.account, c.action, c.kind, c.name) for c in result.changes] == [
        ("ops", "update", "user", "bob"), ("ops", "create", "budget", "awsroles-t-dev"),
        ("dev", "update", "role", "admin")]
    assert [(c.account, c.action, c.name) for c in result.kept] == [("ops", "delete", "awsroles-t-old")]
    assert [(f.account, f.kind, f.name) for f in result.unowned] == [("ops", "budget", "awsroles-t-hand")]
    pruned = make_plan(budgeted, desired_state(budgeted), live, prune=True, now=NOW)
    assert [(c.action, c.name) for c in pruned.changes if c.kind == "budget"] == [
        ("create", "awsroles-t-dev"), ("delete", "awsroles-t-old")]
    assert pruned.kept == () and result.notes == ()


def test_budgets_not_read_are_a_note_never_a_difference(org: Org) -> None:
    live = applied(org)
    live["ops"] = replace(live["ops"], budgets=LiveBudgets(OPS, "awsroles-t-", unread="AccessDenied"))
    live["dev"] = replace(live["dev"], budgets=LiveBudgets(DEV, "awsroles-t-", unread="AccessDenied"))
    result = plan(org, live)
    assert result.notes == ("budgets not read in ops (AccessDenied): the org file declares none, so none are "
                            "planned; budgets awsroles made earlier are not listed as leftovers",)
    assert result.in_sync and result.changes == result.kept == ()


def test_a_boundary_the_org_file_gives_is_no_drift_on_a_role_or_user_without_digest(org: Org) -> None:
    bounded = replace(org, roles=tuple(replace(r, boundary=POWER_USER) if r.name == "admin" else r for r in org.roles),
                      users=tuple(replace(u, boundary=POWER_USER) if u.name == "bob" else u for u in org.users))
    live = applied(bounded)
    admin, bob = live["dev"].roles["admin"], live["ops"].users["bob"]
    assert (admin.boundary, bob.boundary) == (POWER_USER, POWER_USER)
    edit(live, "dev", "role", "admin", description="old", tags={k: v for k, v in admin.tags.items() if k != DIGEST_TAG})
    edit(live, "ops", "user", "bob", tags={k: v for k, v in bob.tags.items() if k != DIGEST_TAG})
    result = make_plan(bounded, desired_state(bounded), live, now=NOW)
    role, user = only(result, "role", "admin"), only(result, "user", "bob")
    assert [m for m, _ in role.ops] == ["update_role", "tag_role"] and not role.drift
    assert [m for m, _ in user.ops] == ["tag_user"] and not user.drift


# -- one resource refused or made never stops the next one ------------------------------------------


def with_extra_policy(org: Org) -> tuple[AccountSpec, ...]:
    """The desired state with a second managed policy in ops, after the self-service one."""
    extra = ManagedPolicySpec("awsroles-extra", "/awsroles/", "Extra", json.dumps(S3), (("managed-by", "awsroles"),))
    return tuple(replace(s, policies=(*s.policies, extra)) if s.account.name == "ops" else s
                 for s in desired_state(org))


def test_each_managed_policy_is_planned_after_one_created_or_refused(org: Org) -> None:
    specs = with_extra_policy(org)
    made = make_plan(org, specs, empty(org), now=NOW)
    assert [(c.action, c.name) for c in made.changes if c.kind == "policy"] == [
        ("create", "awsroles-self-service"), ("create", "awsroles-extra")]
    live = applied(org)
    drop(live, "ops", "policy", "awsroles-self-service")
    live["ops"] = replace(live["ops"], unmanaged={"policy": {"awsroles-self-service": "/other/"}})
    refused = make_plan(org, specs, live, now=NOW)
    assert [(c.kind, c.name) for c in refused.conflicts] == [("policy", "awsroles-self-service")]
    assert [(c.action, c.name) for c in refused.changes if c.kind == "policy"] == [("create", "awsroles-extra")]


def test_a_policy_at_the_path_without_the_mark_is_refused_unless_adopted(org: Org) -> None:
    live = applied(org)
    edit(live, "ops", "policy", "awsroles-self-service", owned=False, tags={})
    result = plan(org, live)
    assert result.conflicts == (Conflict(
        "ops", OPS, "policy", "awsroles-self-service", "exists at the awsroles path /awsroles/ without the "
        "managed-by = awsroles tag, so awsroles does not own it and never changes it: adopt it with `awsroles apply "
        "--adopt` (or `awsroles import`), or rename or remove it"),)
    assert result.changes == () and [(f.kind, f.name) for f in result.unowned] == [
        ("policy", "awsroles-self-service")]
    change = only(plan(org, live, adopt=True), "policy", "awsroles-self-service")
    assert (change.action, change.ops) == ("adopt", (("tag_policy", {
        "PolicyArn": SELF_SERVICE, "Tags": [{"Key": "managed-by", "Value": "awsroles"}]}),))


def test_each_role_is_planned_after_one_refused(org: Org) -> None:
    live = empty(org)
    live["dev"] = LiveAccount(org.account("dev"), unmanaged={"role": {"admin": "/"}})
    result = plan(org, live)
    assert [(c.kind, c.name) for c in result.conflicts] == [("role", "admin")]
    assert [c.name for c in result.changes if c.kind == "role"] == ["developer", "readonly"]
    custom = replace(org, roles=tuple(replace(r, customer_managed=("/team/a",)) if r.name == "admin" else r
                                      for r in org.roles))
    missing = make_plan(custom, desired_state(custom), empty(custom), now=NOW)
    assert [(c.kind, c.name) for c in missing.conflicts] == [("role", "admin")]
    assert [c.name for c in missing.changes if c.kind == "role"] == ["developer", "readonly"]


def test_each_user_is_planned_after_one_refused(org: Org) -> None:
    live = empty(org)
    live["ops"] = LiveAccount(org.account("ops"), unmanaged={"user": {"alice": "/"}})
    result = plan(org, live)
    assert [(c.kind, c.name) for c in result.conflicts] == [("user", "alice")]
    assert [c.name for c in result.changes if c.kind == "user"] == ["bob"]
    missing_boundary = f"arn:aws:iam::{OPS}:policy/guard/missing"
    bounded = replace(org, users=tuple(replace(u, boundary=missing_boundary) if u.name == "alice" else u
                                       for u in org.users))
    refused = make_plan(bounded, desired_state(bounded), empty(bounded), now=NOW)
    assert [(c.kind, c.name) for c in refused.conflicts] == [("user", "alice")]
    assert [c.name for c in refused.changes if c.kind == "user"] == ["bob"]


def test_each_group_is_planned_after_one_refused(org: Org) -> None:
    live = empty(org)
    live["ops"] = LiveAccount(org.account("ops"), unmanaged={"group": {"team-a": "/other/"}})
    assert [c.name for c in plan(org, live).changes if c.kind == "group"] == ["awsroles-users", "team-b"]


def test_each_retired_role_is_planned_after_one_skipped_or_refused(org: Org) -> None:
    both = replace(org, roles=tuple(replace(r, retire=True) if r.name == "readonly" else r for r in org.roles))
    assert both.replaced_roles() == {"Dev": ("/", "developer", True), "ReadOnlyOld": ("/", "readonly", True)}
    old = hand_made("ReadOnlyOld", owned=True)
    for first in (None, hand_made("Dev"), hand_made("Dev", owned=True, profiles=("app",))):
        live = applied(both)
        if first is not None:
            put(live, "dev", "role", first)
        put(live, "dev", "role", old)
        result = make_plan(both, desired_state(both), live, now=NOW)
        assert [(c.action, c.name) for c in result.changes] == [("delete", "ReadOnlyOld")], first
        assert [c.name for c in result.conflicts] == ([] if first is None else ["Dev"])


# -- revocations left with nothing of awsroles' -----------------------------------------------------


def test_a_revocations_policy_left_with_nothing_of_awsroles_is_deleted_saying_why(org: Org) -> None:
    name = revocations.POLICY_NAME
    hand = {"Sid": "Hand", "Effect": "Allow", "Action": "*", "Resource": "*"}
    expired = revoked((NOW - timedelta(hours=9), ("bob",)))
    live = with_revocations(org, {**expired, "Statement": [*expired["Statement"], hand]})
    change = only(plan(org, live), "role", "readonly")
    assert change.ops == (("delete_role_policy", {"RoleName": "readonly", "PolicyName": name}),)
    assert change.details == (f"remove inline policy {name}: expired revocation 2026-11-30T03:00:00Z (bob); "
                              "statements not awsroles' removed",)
    only_hand = with_revocations(org, {"Version": "2012-10-17", "Statement": [hand]})
    assert only(plan(org, only_hand), "role", "readonly").details == (
        f"remove inline policy {name}: statements not awsroles' removed",)


# -- a budget of the org's name that awsroles does not own ------------------------------------------


def test_a_declared_budget_without_the_mark_is_refused_unless_adopted() -> None:
    budgeted, problems = parse_org(BUDGET_TEXT, "t.ini", Path("."))
    assert budgeted is not None, problems
    live = applied(budgeted)
    live["ops"] = replace(live["ops"], budgets=LiveBudgets(OPS, "awsroles-t-", {
        "awsroles-t-dev": budget("awsroles-t-dev", {})}))
    refused = make_plan(budgeted, desired_state(budgeted), live, now=NOW)
    assert [(c.account, c.kind, c.name) for c in refused.conflicts] == [("ops", "budget", "awsroles-t-dev")]
    assert [c for c in refused.changes if c.kind == "budget"] == []
    adopted = make_plan(budgeted, desired_state(budgeted), live, options=PlanOptions(adopt=True), now=NOW)
    (change,) = [c for c in adopted.changes if c.kind == "budget"]
    assert (change.action, change.name, change.ops[0][0]) == ("adopt", "awsroles-t-dev", "tag_resource")
    assert adopted.conflicts == ()
