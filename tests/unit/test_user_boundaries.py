"""A user's permissions boundary (``[user] boundary``, ``[org] user_boundary``) on paper: the org file,
its writing back, the desired state, the planner against hand-made live state, the Terraform export."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from awsroles.export.policies import policy_files
from awsroles.export.terraform import terraform_files
from awsroles.iam.checks import parse_org
from awsroles.iam.desired import DIGEST_TAG, desired_state, user_digest
from awsroles.org.model import Org
from awsroles.org.write import render_org_file
from awsroles.sync.plan import ALLOWED_CALLS, Change, Plan
from awsroles.sync.planner import make_plan
from awsroles.sync.state import LiveAccount, LiveGroup, LiveUser
from tests.conftest import EXAMPLES

POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
OPS_BOUNDARY = "arn:aws:iam::111111111111:policy/guard/people"


def org_text(org_keys: str = "", alice: str = "", bob: str = "") -> str:
    """The classic example with extra ``[org]``, ``[user alice]`` and ``[user bob]`` lines."""
    text = (EXAMPLES / "classic.ini").read_text()
    text = text.replace("policy_dir = ../policies", f"policy_dir = {EXAMPLES.parent / 'policies'}\n{org_keys}")
    text = text.replace("[user alice]\n", f"[user alice]\n{alice}\n")
    return text.replace("[user bob]\n", f"[user bob]\n{bob}\n")


def parse(text: str) -> tuple[Org | None, list[str], list[str]]:
    org, problems = parse_org(text, "org.ini", EXAMPLES)
    return org, [str(p) for p in problems if p.is_error], [str(p) for p in problems if not p.is_error]


def valid(text: str) -> Org:
    org, errors, _ = parse(text)
    assert org is not None, errors
    return org


@pytest.fixture
def org() -> Org:
    """Every user bounded by the ops account's /guard/people, but alice, bounded by PowerUserAccess."""
    return valid(org_text("user_boundary = /guard/people", f"boundary = {POWER_USER}"))


# -- the org file ---------------------------------------------------------------------------------


def test_a_users_boundary_is_their_own_else_the_orgs_default() -> None:
    org = valid(org_text("user_boundary = /guard/people", f"boundary = {POWER_USER}"))
    assert (org.user("alice").boundary, org.user("bob").boundary) == (POWER_USER, "")
    assert org.user_boundary == "/guard/people"
    assert (org.user_boundary_of("alice"), org.user_boundary_of("bob")) == (POWER_USER, "/guard/people")
    plain = valid(org_text(bob="boundary = people"))
    assert (plain.user_boundary_of("alice"), plain.user_boundary_of("bob")) == ("", "people")


def test_an_ops_account_policy_may_be_given_by_arn_or_by_name() -> None:
    org = valid(org_text(alice=f"boundary = {OPS_BOUNDARY}", bob="boundary = /guard/people"))
    specs = {u.name: u for s in desired_state(org) for u in s.users}
    assert specs["alice"].boundary == specs["bob"].boundary == OPS_BOUNDARY


@pytest.mark.parametrize("key,where", [("alice", "user 'alice'"), ("org", "user_boundary")])
def test_a_policy_of_another_account_is_refused(key: str, where: str) -> None:
    elsewhere = "arn:aws:iam::222222222222:policy/guard/people"  # dev's: IAM cannot bound an ops user with it
    text = org_text(f"user_boundary = {elsewhere}") if key == "org" else org_text(alice=f"boundary = {elsewhere}")
    org, errors, _ = parse(text)
    assert org is None
    (error,) = errors
    assert f"{where}: boundary '{elsewhere}' is a policy of account 222222222222; a user's permissions boundary " \
           "is an AWS managed policy or a policy of the ops account (111111111111)" in error


@pytest.mark.parametrize("value,message", [
    ("arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "is in partition aws-cn, the org is in aws"),
    ("arn:aws:iam::aws:role/admin", "is not a managed policy ARN"),
    ("/guard/", "is neither a managed policy ARN nor a customer managed policy [/path/]name"),
    ("bad name", "is neither a managed policy ARN nor a customer managed policy [/path/]name"),
])
def test_a_bad_boundary_is_an_error_on_its_line(value: str, message: str) -> None:
    text = org_text(bob=f"boundary = {value}")
    line = text.splitlines().index(f"boundary = {value}") + 1
    _, errors, _ = parse(text)
    (error,) = errors
    assert error.startswith(f"org.ini:{line}: boundary '{value}' {message}")


def test_with_identity_center_alone_a_boundary_is_a_warning_that_it_does_nothing() -> None:
    text = org_text("identity = identity-center\nuser_boundary = people", "boundary = other")
    org, errors, warnings = parse(text)
    assert org is not None, errors
    assert any("[org] user_boundary, [user alice]: a permissions boundary applies to IAM users only" in w
               for w in warnings), warnings


def test_the_org_file_writes_both_keys_back(org: Org) -> None:
    text = render_org_file(org, str(EXAMPLES.parent / "policies"))
    assert "user_boundary = /guard/people\n" in text
    assert f"[user alice]\nemail = alice@acme.example\nconsole = yes\nboundary = {POWER_USER}\n" in text
    again = valid(text)
    assert (again.user_boundary, again.user("alice").boundary, again.user("bob").boundary) == (
        "/guard/people", POWER_USER, "")


# -- desired state ----------------------------------------------------------------------------------


def test_the_desired_user_holds_the_boundary_arn_in_the_ops_account(org: Org) -> None:
    users = {u.name: u for s in desired_state(org) for u in s.users}
    assert users["alice"].boundary == POWER_USER
    assert users["bob"].boundary == OPS_BOUNDARY
    unbounded = valid(org_text())
    assert {u.boundary for s in desired_state(unbounded) for u in s.users} == {""}


def test_the_boundary_is_part_of_the_user_digest_and_no_boundary_hashes_as_before() -> None:
    without = user_digest("/awsroles/", ("awsroles-users",), {"managed-by": "awsroles"})
    assert user_digest("/awsroles/", ("awsroles-users",), {"managed-by": "awsroles"}, "") == without
    assert without == "9637516190d78d6f"  # what awsroles wrote before users could have a boundary
    assert user_digest("/awsroles/", ("awsroles-users",), {"managed-by": "awsroles"}, POWER_USER) != without


# -- plan -------------------------------------------------------------------------------------------


def live_from_desired(org: Org, *, policies: tuple[str, ...] = (OPS_BOUNDARY,)) -> dict[str, LiveAccount]:
    """The ops account as apply leaves it (groups, users with their boundaries), with these customer
    managed policies in it."""
    out = {a.name: LiveAccount(a) for a in org.accounts}
    for spec in desired_state(org):
        if spec.account.name != org.ops_account:
            continue
        members: dict[str, list[str]] = {}
        for user in spec.users:
            for group in user.groups:
                members.setdefault(group, []).append(user.name)
        groups = {g.name: LiveGroup(g.name, g.path, g.managed, {p.name: json.loads(p.document) for p in g.inline},
                                    tuple(members.get(g.name, ()))) for g in spec.groups}
        users = {u.name: LiveUser(u.name, u.path, u.groups, (), {}, dict(u.tags), u.boundary) for u in spec.users}
        documents = {arn: {"Version": "2012-10-17", "Statement": []} for arn in policies}
        out[spec.account.name] = LiveAccount(spec.account, groups=groups, users=users, documents=documents)
    return out


def with_live_user(live: dict[str, LiveAccount], name: str, **changes: object) -> None:
    state = live["ops"]
    live["ops"] = replace(state, users={**state.users, name: replace(state.users[name], **changes)})  # type: ignore[arg-type]


def user_change(plan: Plan, name: str) -> Change:
    (change,) = [c for c in plan.changes if (c.kind, c.name) == ("user", name)]
    return change


def test_users_as_desired_with_boundaries_need_no_change(org: Org) -> None:
    plan = make_plan(org, desired_state(org), live_from_desired(org))
    assert not plan.conflicts and not [c for c in plan.changes if c.kind == "user"]


def test_a_new_user_is_created_with_the_boundary_in_the_same_call(org: Org) -> None:
    live = live_from_desired(org)
    live["ops"] = replace(live["ops"], users={})
    plan = make_plan(org, desired_state(org), live)
    method, params = user_change(plan, "bob").ops[0]
    assert method == "create_user" and params["PermissionsBoundary"] == OPS_BOUNDARY
    assert user_change(plan, "alice").ops[0][1]["PermissionsBoundary"] == POWER_USER
    unbounded = valid(org_text())
    live = live_from_desired(unbounded)
    live["ops"] = replace(live["ops"], users={})
    plain = make_plan(unbounded, desired_state(unbounded), live)
    assert "PermissionsBoundary" not in user_change(plain, "bob").ops[0][1]


def test_a_boundary_removed_or_changed_by_hand_is_drift_and_put_back(org: Org) -> None:
    live = live_from_desired(org)
    with_live_user(live, "bob", boundary="")
    with_live_user(live, "alice", boundary=READ_ONLY)
    plan = make_plan(org, desired_state(org), live)
    bob, alice = user_change(plan, "bob"), user_change(plan, "alice")
    assert bob.drift and f"set permissions boundary {OPS_BOUNDARY}" in bob.details
    assert bob.ops == (("put_user_permissions_boundary", {"UserName": "bob", "PermissionsBoundary": OPS_BOUNDARY}),)
    assert alice.drift and f"permissions boundary {READ_ONLY} -> {POWER_USER}" in alice.details


def test_a_boundary_the_org_file_gives_is_put_before_the_user_joins_a_group_and_is_no_drift(org: Org) -> None:
    unbounded = valid(org_text())
    live = live_from_desired(unbounded)
    bob = live["ops"].users["bob"]  # as apply left him when he was in no team yet
    tags = {**bob.tags, DIGEST_TAG: user_digest(bob.path, ("awsroles-users",), bob.tags)}
    with_live_user(live, "bob", groups=("awsroles-users",), tags=tags)
    change = user_change(make_plan(org, desired_state(org), live), "bob")
    assert not change.drift
    calls = [method for method, _ in change.ops]
    assert calls[:2] == ["put_user_permissions_boundary", "add_user_to_group"]


def test_a_boundary_the_org_file_takes_away_is_removed_last_and_is_no_drift(org: Org) -> None:
    unbounded = valid(org_text())
    change = user_change(make_plan(unbounded, desired_state(unbounded), live_from_desired(org)), "bob")
    assert not change.drift
    assert change.ops[-1] == ("delete_user_permissions_boundary", {"UserName": "bob"})
    assert f"remove permissions boundary {OPS_BOUNDARY}" in change.details


def test_an_unwanted_boundary_on_a_user_without_digest_is_drift(org: Org) -> None:
    unbounded = valid(org_text())
    live = live_from_desired(unbounded)
    tags = {k: v for k, v in live["ops"].users["bob"].tags.items() if k != DIGEST_TAG}
    with_live_user(live, "bob", boundary=READ_ONLY, tags=tags)
    change = user_change(make_plan(unbounded, desired_state(unbounded), live), "bob")
    assert change.drift and f"remove permissions boundary {READ_ONLY}" in change.details


def test_a_missing_ops_policy_is_a_conflict_and_nothing_of_that_user_is_planned(org: Org) -> None:
    live = live_from_desired(org, policies=())
    with_live_user(live, "bob", boundary="")
    plan = make_plan(org, desired_state(org), live)
    (conflict,) = plan.conflicts
    assert (conflict.account, conflict.kind, conflict.name) == ("ops", "user", "bob")
    assert conflict.reason == ("permissions boundary policy /guard/people does not exist in account ops "
                               "(111111111111): create it there first (awsroles attaches it, it does not make "
                               "it), or take it out of the user (or of [org] user_boundary)")
    assert not [c for c in plan.changes if c.name == "bob"]


def test_a_boundary_arn_of_another_account_is_a_conflict_in_the_plan_too(org: Org) -> None:
    """validate refuses it; a model made otherwise (no ops id at parse time) meets the plan's check."""
    elsewhere = "arn:aws:iam::999999999999:policy/people"
    odd = replace(org, users=tuple(replace(u, boundary=elsewhere) if u.name == "bob" else u for u in org.users))
    (conflict,) = make_plan(odd, desired_state(odd), live_from_desired(org)).conflicts
    assert conflict.name == "bob"
    assert f"permissions boundary policy {elsewhere} is in account 999999999999, and IAM attaches only a policy " \
           "of the user's own account" in conflict.reason


def test_apply_may_run_the_user_boundary_calls() -> None:
    assert {"put_user_permissions_boundary", "delete_user_permissions_boundary"} <= ALLOWED_CALLS


# -- export ------------------------------------------------------------------------------------------


def test_terraform_exports_the_users_boundary_and_stays_equivalent(org: Org) -> None:
    from tests.unit.test_terraform import assert_equivalent

    files = terraform_files(org)
    assert_equivalent(org, files)
    ops = files["ops.tf"]
    assert f'permissions_boundary = "{POWER_USER}"' in ops and f'permissions_boundary = "{OPS_BOUNDARY}"' in ops
    unbounded = valid(org_text())
    assert "permissions_boundary" not in terraform_files(unbounded)["ops.tf"]


def test_the_policy_export_lists_the_users_boundary(org: Org) -> None:
    index = json.loads(policy_files(desired_state(org))["index.json"])
    ops = next(a for a in index["accounts"] if a["name"] == "ops")
    assert {u["name"]: u.get("permissions_boundary") for u in ops["users"]} == {
        "alice": POWER_USER, "bob": OPS_BOUNDARY}
