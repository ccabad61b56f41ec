"""A role's permissions boundary and customer managed policies in the IAM backend, on paper:
desired state, the planner against hand-made live state, the Terraform export."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from awsroles.export.terraform import terraform_files
from awsroles.iam.desired import DIGEST_TAG, desired_state, role_digest
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.plan import ALLOWED_CALLS, Plan
from awsroles.sync.planner import make_plan
from awsroles.sync.state import LiveAccount, LiveRole
from tests.conftest import EXAMPLES

POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
DEV_DENY_IAM = "arn:aws:iam::222222222222:policy/team/deny-iam"
DEV_BOUNDARY = "arn:aws:iam::222222222222:policy/boundaries/developer"


def boundary_org_text() -> str:
    """The classic example, its developer role with a customer managed policy and a customer managed
    boundary, its admin role bounded by an AWS managed policy."""
    text = (EXAMPLES / "classic.ini").read_text()
    text = text.replace("policy_dir = ../policies", f"policy_dir = {EXAMPLES.parent / 'policies'}")
    text = text.replace("description = Full access, for the platform team\n",
                        f"description = Full access, for the platform team\nboundary = {POWER_USER}\n")
    return text.replace("policies = deny-iam-writes.json\n", "policies = deny-iam-writes.json\n"
                        "customer_managed = /team/deny-iam\nboundary = /boundaries/developer\n")


@pytest.fixture
def org(tmp_path: Path) -> Org:
    path = tmp_path / "awsroles.ini"
    path.write_text(boundary_org_text())
    return load_org(path)


def live_from_desired(org: Org, *, policies: tuple[str, ...] = (DEV_DENY_IAM, DEV_BOUNDARY)) -> dict[str, LiveAccount]:
    """The live state as apply leaves it, with these customer managed policies in their accounts."""
    out = {a.name: LiveAccount(a) for a in org.accounts}
    for spec in desired_state(org):
        roles = {r.name: LiveRole(r.name, r.path, json.loads(r.trust_policy), r.max_session, r.description,
                                  r.managed, {p.name: json.loads(p.document) for p in r.inline}, dict(r.tags),
                                  boundary=r.boundary)
                 for r in spec.roles}
        documents = {arn: {"Version": "2012-10-17", "Statement": []} for arn in policies
                     if arn.split(":")[4] == spec.account.id}
        out[spec.account.name] = LiveAccount(spec.account, roles=roles, documents=documents)
    return out


def role_change(plan: Plan, account: str, name: str):  # type: ignore[no-untyped-def]
    (change,) = [c for c in plan.changes if (c.account, c.kind, c.name) == (account, "role", name)]
    return change


def with_live_role(live: dict[str, LiveAccount], account: str, name: str, **changes: object) -> None:
    state = live[account]
    live[account] = replace(state, roles={**state.roles, name: replace(state.roles[name], **changes)})  # type: ignore[arg-type]


# -- desired state ------------------------------------------------------------------------------


def test_a_boundary_is_an_arn_in_each_environment_account_and_customer_managed_policies_too(org: Org) -> None:
    roles = {(s.account.name, r.name): r for s in desired_state(org) for r in s.roles}
    assert roles[("dev", "developer")].boundary == DEV_BOUNDARY
    assert DEV_DENY_IAM in roles[("dev", "developer")].managed
    for environment in ("dev", "stage", "prod"):
        assert roles[(environment, "admin")].boundary == POWER_USER
    assert roles[("dev", "readonly")].boundary == ""


def test_the_boundary_is_part_of_the_role_digest_and_no_boundary_hashes_as_before() -> None:
    doc = {"Version": "2012-10-17", "Statement": []}
    without = role_digest("/p/", doc, 3600, "", (), {})
    assert role_digest("/p/", doc, 3600, "", (), {}, "") == without
    # The digest of a role without a boundary is the one awsroles wrote before boundaries existed.
    assert without == "4d79de965ca7e660"
    assert role_digest("/p/", doc, 3600, "", (), {}, POWER_USER) != without


# -- plan -----------------------------------------------------------------------------------------


def test_a_new_role_is_created_with_its_boundary(org: Org) -> None:
    live = live_from_desired(org)
    for name in ("dev", "prod"):
        live[name] = replace(live[name], roles={})
    plan = make_plan(org, desired_state(org), live)
    create = role_change(plan, "dev", "developer")
    method, params = create.ops[0]
    assert method == "create_role" and params["PermissionsBoundary"] == DEV_BOUNDARY
    assert ("attach_role_policy", {"RoleName": "developer", "PolicyArn": DEV_DENY_IAM}) in create.ops
    assert role_change(plan, "prod", "admin").ops[0][1]["PermissionsBoundary"] == POWER_USER
    assert "PermissionsBoundary" not in role_change(plan, "dev", "readonly").ops[0][1]


def test_roles_as_desired_with_boundaries_need_no_change(org: Org) -> None:
    plan = make_plan(org, desired_state(org), live_from_desired(org))
    assert not plan.conflicts and not [c for c in plan.changes if c.kind == "role"]


def test_a_boundary_removed_by_hand_is_drift_and_put_back(org: Org) -> None:
    live = live_from_desired(org)
    with_live_role(live, "prod", "admin", boundary="")
    change = role_change(make_plan(org, desired_state(org), live), "prod", "admin")
    assert change.drift and change.action == "update"
    assert f"set permissions boundary {POWER_USER}" in change.details
    assert ("put_role_permissions_boundary", {"RoleName": "admin", "PermissionsBoundary": POWER_USER}) in change.ops


def test_a_boundary_changed_by_hand_is_drift_and_replaced(org: Org) -> None:
    live = live_from_desired(org)
    other = "arn:aws:iam::aws:policy/AdministratorAccess"
    with_live_role(live, "dev", "developer", boundary=other)
    change = role_change(make_plan(org, desired_state(org), live), "dev", "developer")
    assert change.drift
    assert f"permissions boundary {other} -> {DEV_BOUNDARY}" in change.details
    assert [m for m, _ in change.ops] == ["put_role_permissions_boundary"]


def test_a_boundary_the_org_file_gives_or_takes_away_is_an_update_not_drift(org: Org, tmp_path: Path) -> None:
    live = live_from_desired(org)
    unbounded = replace(org, roles=tuple(replace(r, boundary="") if r.name == "admin" else r for r in org.roles))
    change = role_change(make_plan(unbounded, desired_state(unbounded), live), "stage", "admin")
    assert not change.drift
    assert change.details[0] == f"remove permissions boundary {POWER_USER}"
    assert change.ops[0] == ("delete_role_permissions_boundary", {"RoleName": "admin"})
    added = make_plan(org, desired_state(org), live_from_desired(unbounded))
    change = role_change(added, "stage", "admin")
    assert not change.drift and f"set permissions boundary {POWER_USER}" in change.details


def test_an_unwanted_boundary_on_a_role_without_digest_is_drift(org: Org) -> None:
    unbounded = replace(org, roles=tuple(replace(r, boundary="") if r.name == "admin" else r for r in org.roles))
    live = live_from_desired(unbounded)
    role = live["stage"].roles["admin"]
    with_live_role(live, "stage", "admin", boundary=POWER_USER,
                   tags={k: v for k, v in role.tags.items() if k != DIGEST_TAG})
    change = role_change(make_plan(unbounded, desired_state(unbounded), live), "stage", "admin")
    assert change.drift and f"remove permissions boundary {POWER_USER}" in change.details


def test_a_missing_customer_managed_policy_is_a_conflict_named_by_the_org_file(org: Org) -> None:
    live = live_from_desired(org, policies=())
    plan = make_plan(org, desired_state(org), live)
    (conflict,) = plan.conflicts
    assert (conflict.account, conflict.kind, conflict.name) == ("dev", "role", "developer")
    assert "customer managed policy /team/deny-iam does not exist in account dev (222222222222)" in conflict.reason
    assert ("permissions boundary policy /boundaries/developer does not exist in account dev (222222222222)"
            in conflict.reason)
    assert str(conflict).startswith("dev (222222222222): role developer: ")
    assert not plan.empty  # apply refuses to run


def test_a_missing_policy_stops_only_that_role_s_changes(org: Org) -> None:
    live = live_from_desired(org, policies=(DEV_BOUNDARY,))
    live["dev"] = replace(live["dev"], roles={})
    plan = make_plan(org, desired_state(org), live)
    assert [c.reason.split(":")[0] for c in plan.conflicts] == [
        "customer managed policy /team/deny-iam does not exist in account dev (222222222222)"]
    assert {(c.account, c.name) for c in plan.changes if c.kind == "role"} == {("dev", "admin"), ("dev", "readonly")}


def test_a_policy_name_in_another_case_is_pointed_out(org: Org) -> None:
    live = live_from_desired(org, policies=("arn:aws:iam::222222222222:policy/team/Deny-IAM", DEV_BOUNDARY))
    (conflict,) = make_plan(org, desired_state(org), live).conflicts
    assert "/team/deny-iam does not exist" in conflict.reason
    assert "/team/Deny-IAM does, in another case" in conflict.reason


def test_a_boundary_in_another_account_is_refused(org: Org) -> None:
    elsewhere = "arn:aws:iam::999999999999:policy/boundary"
    odd = replace(org, roles=tuple(replace(r, boundary=elsewhere) if r.name == "readonly" else r for r in org.roles))
    (conflict,) = make_plan(odd, desired_state(odd), live_from_desired(odd)).conflicts
    assert conflict.name == "readonly"
    assert f"permissions boundary policy {elsewhere} is in account 999999999999" in conflict.reason


def test_apply_may_run_the_boundary_calls() -> None:
    assert {"put_role_permissions_boundary", "delete_role_permissions_boundary"} <= ALLOWED_CALLS


# -- terraform ------------------------------------------------------------------------------------


def test_terraform_exports_the_boundary_and_stays_equivalent(org: Org) -> None:
    from tests.unit.test_terraform import assert_equivalent

    files = terraform_files(org)
    assert_equivalent(org, files)
    assert f'permissions_boundary = "{DEV_BOUNDARY}"' in files["dev.tf"]
    assert files["prod.tf"].count(f'permissions_boundary = "{POWER_USER}"') == 1


def test_the_policy_export_lists_the_boundary_of_a_bounded_role(org: Org) -> None:
    from awsroles.export.policies import policy_files

    index = json.loads(policy_files(desired_state(org))["index.json"])
    (account,) = [a for a in index["accounts"] if a["name"] == "dev"]
    dev = {r["name"]: r for r in account["roles"]}
    assert dev["developer"]["permissions_boundary"] == DEV_BOUNDARY
    assert DEV_DENY_IAM in dev["developer"]["managed_policies"]
    assert "permissions_boundary" not in dev["readonly"]


# -- import -----------------------------------------------------------------------------------------


def test_import_names_an_account_s_own_policies_and_keeps_aws_managed_ones_as_arns() -> None:
    from awsroles.importer.rolepolicies import role_policies

    split = role_policies((POWER_USER, DEV_DENY_IAM, "arn:aws:iam::222222222222:policy/top"), DEV_BOUNDARY,
                          "222222222222")
    assert (split.managed, split.customer_managed, split.boundary, split.skipped) == (
        (POWER_USER,), ("/team/deny-iam", "top"), "/boundaries/developer", ())
    assert role_policies((), POWER_USER, "222222222222").boundary == POWER_USER
    odd = role_policies(("arn:aws:iam::222222222222:policy/a,b",), "arn:aws:iam::999999999999:policy/x", "222222222222")
    assert odd.customer_managed == () and odd.boundary == ""
    assert [s.split(" cannot")[0] for s in odd.skipped] == [
        "managed policy arn:aws:iam::222222222222:policy/a,b",
        "permissions boundary arn:aws:iam::999999999999:policy/x"]


def test_one_role_with_its_own_account_s_policies_in_two_environments_is_one_definition() -> None:
    from awsroles.importer.conflicts import RoleSeen, role_conflict

    def seen(environment: str, account_id: str, boundary: str) -> RoleSeen:
        live = LiveRole("developer", "/awsroles/", {}, 3600, "", (f"arn:aws:iam::{account_id}:policy/team/deny-iam",),
                        {}, {}, boundary=boundary)
        return RoleSeen(environment, live, {}, account_id)

    same = [seen("dev", "222222222222", "arn:aws:iam::222222222222:policy/b"),
            seen("prod", "444444444444", "arn:aws:iam::444444444444:policy/b")]
    assert role_conflict("developer", same) is None
    different = [same[0], seen("prod", "444444444444", POWER_USER)]
    assert f"boundary: b in dev; {POWER_USER} in prod" in str(role_conflict("developer", different))
