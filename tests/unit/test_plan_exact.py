"""What a plan holds (:mod:`awsroles.sync.plan`), field by field: its JSON form, the saved plan's
round trip, merging, and the in-sync contract of ``plan --detailed-exitcode``.

Written against the mutation run of awsroles/sync/plan.py (bench/mutation.py, docs/benchmarks.md):
the plan tests reach these through whole plans, where a renamed key, a dropped default or a summary
counting the wrong list got past them. Each test here builds a plan by hand and checks the exact
output.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from awsroles.sync.plan import (
    ALLOWED_CALLS,
    MOVE_PARAMS,
    PLAN_FORMAT_VERSION,
    REQUIRE_NO_CREDENTIALS,
    Change,
    Conflict,
    Plan,
    PlanOptions,
    plan_json,
)

CREATE = Change("ops", "111111111111", "create", "user", "carol", ("join team-a",),
                (("inline policy p", "--- live\n+++ org file\n"),), False,
                (("create_user", {"UserName": "carol", "Path": "/awsroles/"}),
                 ("add_user_to_group", {"GroupName": "team-a", "UserName": "carol"})))
DRIFT = Change("dev", "222222222222", "update", "role", "admin", ("trust policy",), (), True,
               (("update_assume_role_policy", {"RoleName": "admin", "PolicyDocument": "{}"}),))
ADOPT = Change("dev", "222222222222", "adopt", "role", "readonly", (), (), False, ())
DELETE = Change("stage", "333333333333", "delete", "role", "gone", (), (), True,
                (("delete_role", {"RoleName": "gone"}),))
CONFLICT = Conflict("dev", "222222222222", "role", "admin", "exists at path /")
UNOWNED = Conflict("ops", "111111111111", "user", "dave", "at the awsroles path /awsroles/ without the mark")
FOREIGN = Conflict("ops", "111111111111", "user", "bob", "member of Admins")
RETAINED = Conflict("org", "999999999999", "account", "old", "no longer declared")


def change_dict(change: Change) -> dict[str, Any]:
    return change.as_dict()


def test_a_change_as_json_is_every_field_under_its_documented_key() -> None:
    assert CREATE.as_dict() == {
        "account": "ops", "account_id": "111111111111", "action": "create", "kind": "user", "name": "carol",
        "drift": False, "details": ["join team-a"],
        "diffs": [{"what": "inline policy p", "diff": "--- live\n+++ org file\n"}],
        "operations": [{"call": "create_user", "params": {"UserName": "carol", "Path": "/awsroles/"}},
                       {"call": "add_user_to_group", "params": {"GroupName": "team-a", "UserName": "carol"}}],
    }
    assert DRIFT.as_dict()["drift"] is True


def test_a_change_read_back_is_the_same_change_and_missing_lists_are_empty() -> None:
    for change in (CREATE, DRIFT, ADOPT, DELETE):
        assert Change.from_dict(json.loads(json.dumps(change.as_dict()))) == change
    bare = Change.from_dict({"account": "ops", "account_id": 111111111111, "action": "update", "kind": "user",
                             "name": "bob"})
    assert bare == Change("ops", "111111111111", "update", "user", "bob", (), (), False, ())
    assert isinstance(bare.account_id, str) and bare.drift is False
    # Every field is taken as text (a saved plan edited by hand cannot smuggle other types in).
    odd = Change.from_dict({"account": 1, "account_id": 2, "action": 3, "kind": 4, "name": 5, "details": [6],
                            "diffs": [{"what": 7, "diff": 8}], "drift": 1,
                            "operations": [{"call": 9, "params": {"UserName": "bob"}}]})
    assert odd == Change("1", "2", "3", "4", "5", ("6",), (("7", "8"),), True, (("9", {"UserName": "bob"}),))


def test_a_conflict_reads_as_one_line_and_round_trips() -> None:
    assert str(CONFLICT) == "dev (222222222222): role admin: exists at path /"
    assert CONFLICT.as_dict() == {"account": "dev", "account_id": "222222222222", "kind": "role", "name": "admin",
                                  "reason": "exists at path /"}
    assert Conflict.from_dict(CONFLICT.as_dict()) == CONFLICT
    numbers = Conflict.from_dict({"account": 1, "account_id": 2, "kind": 3, "name": 4, "reason": 5})
    assert numbers == Conflict("1", "2", "3", "4", "5")


def test_merged_keeps_the_order_sums_the_calls_and_keeps_the_first_plans_options() -> None:
    first = Plan((CREATE,), (DELETE,), (CONFLICT,), {"ops": 3, "dev": 2}, (UNOWNED,), (FOREIGN,),
                 PlanOptions(prune=True), ("first note",), (RETAINED,))
    second = Plan((DRIFT, ADOPT), (CREATE,), (UNOWNED,), {"dev": 5, "stage": 1}, (FOREIGN,), (UNOWNED,),
                  PlanOptions(adopt=True), ("second note",), (CONFLICT,))
    merged = first.merged(second)
    assert merged == Plan((CREATE, DRIFT, ADOPT), (DELETE, CREATE), (CONFLICT, UNOWNED),
                          {"ops": 3, "dev": 7, "stage": 1}, (UNOWNED, FOREIGN), (FOREIGN, UNOWNED),
                          PlanOptions(prune=True), ("first note", "second note"), (RETAINED, CONFLICT))
    assert first.api_calls == {"ops": 3, "dev": 2}  # not changed by merging
    assert Plan().merged(Plan(api_calls={"ops": 4})).api_calls == {"ops": 4}


@pytest.mark.parametrize("plan,empty,in_sync", [
    (Plan(), True, True),
    (Plan(changes=(CREATE,)), False, False),
    (Plan(conflicts=(CONFLICT,)), False, False),
    (Plan(kept=(DELETE,)), True, False),
    (Plan(foreign=(FOREIGN,)), True, False),
    # Listed, but not awsroles' to change: the gate stays green (docs/plan-apply.md, "The plan's contract").
    (Plan(unowned=(UNOWNED,), retained=(RETAINED,), notes=("budgets not read",)), True, True),
])
def test_empty_and_in_sync_are_the_documented_contract(plan: Plan, empty: bool, in_sync: bool) -> None:
    assert (plan.empty, plan.in_sync) == (empty, in_sync)
    assert (plan.as_dict()["empty"], plan.as_dict()["in_sync"]) == (empty, in_sync)


def full_plan() -> Plan:
    return Plan((CREATE, DRIFT, ADOPT, DRIFT, DELETE), (DELETE, CREATE), (CONFLICT,), {"ops": 3, "dev": 2},
                (UNOWNED, UNOWNED, UNOWNED), (FOREIGN, FOREIGN), PlanOptions(True, False, True),
                ("a note",), (RETAINED,) * 4)


def test_the_summary_counts_each_list_and_action() -> None:
    plan = full_plan()
    assert (plan.count("create"), plan.count("update"), plan.count("adopt"), plan.count("delete")) == (1, 2, 1, 1)
    assert plan.drifted == 3
    assert plan.as_dict()["summary"] == {"create": 1, "update": 2, "adopt": 1, "delete": 1, "drift": 3, "kept": 2,
                                         "conflicts": 1, "unowned": 3, "foreign": 2, "retained": 4}


def test_a_plan_as_json_is_every_list_under_its_documented_key() -> None:
    plan = full_plan()
    data = plan.as_dict()
    assert data == {
        "format_version": 1, "empty": False, "in_sync": False,
        "options": {"prune": True, "adopt": False, "remove_foreign_memberships": True},
        "summary": data["summary"],
        "changes": [change_dict(c) for c in plan.changes], "kept": [change_dict(DELETE), change_dict(CREATE)],
        "conflicts": [CONFLICT.as_dict()], "unowned": [UNOWNED.as_dict()] * 3, "foreign": [FOREIGN.as_dict()] * 2,
        "retained": [RETAINED.as_dict()] * 4, "api_calls": {"ops": 3, "dev": 2}, "notes": ["a note"],
    }
    assert PLAN_FORMAT_VERSION == 1
    assert plan_json(plan) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_a_saved_plan_reads_back_as_the_same_plan() -> None:
    for options in (PlanOptions(True, False, False), PlanOptions(False, True, False), PlanOptions(False, False, True)):
        plan = Plan((CREATE, DRIFT), (DELETE,), (CONFLICT,), {"ops": 3}, (UNOWNED,), (FOREIGN,), options,
                    ("a note",), (RETAINED,))
        assert Plan.from_dict(json.loads(plan_json(plan))) == plan
    assert Plan.from_dict({"format_version": 1}) == Plan()
    assert Plan.from_dict({"format_version": 1, "options": None, "api_calls": None}) == Plan()
    assert Plan.from_dict({"format_version": 1, "api_calls": {"ops": "4"}}).api_calls == {"ops": 4}


@pytest.mark.parametrize("version", [None, 0, 2, "1"])
def test_a_saved_plan_of_another_format_is_refused_by_name(version: object) -> None:
    data = {} if version is None else {"format_version": version}
    with pytest.raises(ValueError) as raised:
        Plan.from_dict(data)
    assert str(raised.value) == f"plan format {version!r} is not 1"


def test_plan_json_keeps_non_ascii_text_and_ends_with_a_newline() -> None:
    plan = Plan(conflicts=(Conflict("ops", "1", "user", "zoë", "naïve"),))
    text = plan_json(plan)
    assert '"name": "zoë"' in text and text.endswith("}\n") and text.startswith('{\n  "format_version": 1,')


def test_the_calls_a_plan_may_hold_are_iams_writes_and_the_credentials_guard() -> None:
    policy_calls = {f"{verb}_{kind}_policy" for verb in ("attach", "detach", "put", "delete")
                    for kind in ("user", "group", "role")}
    assert {
        REQUIRE_NO_CREDENTIALS, "create_policy", "create_policy_version", "delete_policy", "delete_policy_version",
        "tag_policy", "create_group", "delete_group", "add_user_to_group", "remove_user_from_group", "create_role",
        "delete_role", "update_role", "update_assume_role_policy", "remove_role_from_instance_profile",
        "put_role_permissions_boundary", "delete_role_permissions_boundary", "create_user", "delete_user",
        "put_user_permissions_boundary", "delete_user_permissions_boundary", "update_user", "update_group",
        "tag_role", "untag_role", "tag_user", "untag_user", *policy_calls,
    } == ALLOWED_CALLS
    assert len(policy_calls) == 12 and "attach_group_policy" in ALLOWED_CALLS
    assert REQUIRE_NO_CREDENTIALS == "awsroles:require-no-credentials"
    assert not {"create_access_key", "create_login_profile", "update_login_profile"} & ALLOWED_CALLS
    assert {"update_user": {"UserName", "NewPath"}, "update_group": {"GroupName", "NewPath"}} == MOVE_PARAMS


def test_plan_options_default_to_nothing_risky() -> None:
    assert PlanOptions() == PlanOptions(prune=False, adopt=False, remove_foreign_memberships=False)
    assert Plan().options == PlanOptions() and Plan().api_calls == {}
