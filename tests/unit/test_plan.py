"""The planner, on hand-made live state: no AWS involved."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from awsroles.iam import compare
from awsroles.iam.desired import DIGEST_TAG, AccountSpec, desired_state, role_digest, user_digest
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.plan import REQUIRE_NO_CREDENTIALS, Plan
from awsroles.sync.planner import make_plan
from awsroles.sync.state import LiveAccount, LiveGroup, LivePolicy, LiveRole, LiveUser
from tests.conftest import EXAMPLES


@pytest.fixture
def org() -> Org:
    return load_org(EXAMPLES / "classic.ini")


def empty_live(org: Org) -> dict[str, LiveAccount]:
    return {a.name: LiveAccount(a) for a in org.accounts}


def live_from_desired(org: Org) -> dict[str, LiveAccount]:
    """The live state exactly as apply would leave it."""
    out = empty_live(org)
    for spec in desired_state(org):
        roles = {r.name: LiveRole(r.name, r.path, json.loads(r.trust_policy), r.max_session, r.description,
                                  r.managed, {p.name: json.loads(p.document) for p in r.inline}, dict(r.tags))
                 for r in spec.roles}
        groups = {g.name: LiveGroup(g.name, g.path, g.managed, {p.name: json.loads(p.document) for p in g.inline},
                                    tuple(sorted(u.name for u in spec.users if g.name in u.groups)))
                  for g in spec.groups}
        users = {u.name: LiveUser(u.name, u.path, tuple(sorted(u.groups)), (), {}, dict(u.tags)) for u in spec.users}
        pols = {p.name: LivePolicy(p.name, p.path, f"arn:aws:iam::{spec.account.id}:policy{p.path}{p.name}",
                                   json.loads(p.document), p.description, "v1", (), (), dict(p.tags))
                for p in spec.policies}
        out[spec.account.name] = LiveAccount(spec.account, roles, groups, users, pols)
    return out


def by_key(plan: Plan) -> dict[tuple[str, str, str], object]:
    return {(c.account, c.kind, c.name): c for c in plan.changes}


def test_empty_accounts_get_everything_in_dependency_order(org: Org) -> None:
    plan = make_plan(org, desired_state(org), empty_live(org))
    assert all(c.action == "create" for c in plan.changes)
    ops = [c for c in plan.changes if c.account == "ops"]
    kinds = [c.kind for c in ops]
    assert kinds == sorted(kinds, key=["policy", "group", "role", "user"].index)
    alice = by_key(plan)[("ops", "user", "alice")]
    assert alice.ops[0][0] == "create_user"  # type: ignore[attr-defined]
    assert {p["GroupName"] for m, p in alice.ops[1:]} == {"awsroles-users", "team-platform"}  # type: ignore[attr-defined]
    role = by_key(plan)[("dev", "role", "developer")]
    methods = [m for m, _ in role.ops]  # type: ignore[attr-defined]
    assert methods == ["create_role", "attach_role_policy", "put_role_policy"]


def test_live_equal_to_desired_is_an_empty_plan(org: Org) -> None:
    plan = make_plan(org, desired_state(org), live_from_desired(org))
    assert plan.empty and plan.changes == () and plan.kept == ()


def test_equivalent_but_differently_written_documents_are_not_changes(org: Org) -> None:
    live = live_from_desired(org)
    dev = live["dev"]
    role = dev.roles["admin"]
    trust = json.loads(json.dumps(role.trust_policy))
    trust["Statement"] = trust["Statement"][0]  # a single statement object, not a list
    trust["Statement"]["Principal"]["AWS"] = [trust["Statement"]["Principal"]["AWS"]]
    live["dev"] = replace(dev, roles={**dev.roles, "admin": replace(role, trust_policy=trust)})
    assert make_plan(org, desired_state(org), live).empty


def test_a_change_in_the_org_file_is_an_update_not_drift(org: Org) -> None:
    live = live_from_desired(org)
    changed = replace(org, roles=tuple(replace(r, max_session=7200) if r.name == "admin" else r for r in org.roles))
    plan = make_plan(changed, desired_state(changed), live)
    updates = [c for c in plan.changes if c.kind == "role"]
    assert {(c.account, c.name) for c in updates} == {("dev", "admin"), ("stage", "admin"), ("prod", "admin")}
    for change in updates:
        assert change.action == "update" and not change.drift
        assert "max_session 1h -> 2h" in change.details
        assert ("update_role", {"RoleName": "admin", "MaxSessionDuration": 7200,
                                "Description": "Full access, for the platform team"}) in change.ops
        assert any(m == "tag_role" for m, _ in change.ops)  # the digest follows the new settings


def test_a_change_made_outside_awsroles_is_drift_with_a_diff(org: Org) -> None:
    live = live_from_desired(org)
    prod = live["prod"]
    role = prod.roles["admin"]
    trust = json.loads(json.dumps(role.trust_policy))
    del trust["Statement"][0]["Condition"]["Bool"]
    live["prod"] = replace(prod, roles={"admin": replace(role, trust_policy=trust,
                                                         managed=(*role.managed, "arn:aws:iam::aws:policy/X"))})
    plan = make_plan(org, desired_state(org), live)
    (change,) = plan.changes
    assert (change.account, change.kind, change.name, change.action, change.drift) == (
        "prod", "role", "admin", "update", True)
    assert "trust policy" in change.details
    assert "detach arn:aws:iam::aws:policy/X (grants: AWS managed policy X)" in change.details
    (what, diff), = change.diffs
    assert what == "trust policy"
    assert '+        "Bool": {' in diff
    assert plan.drifted == 1


def test_role_without_digest_tag_is_an_update_not_drift(org: Org) -> None:
    live = live_from_desired(org)
    dev = live["dev"]
    role = dev.roles["readonly"]
    tags = {k: v for k, v in role.tags.items() if k != DIGEST_TAG}
    live["dev"] = replace(dev, roles={**dev.roles, "readonly": replace(role, tags=tags, description="old")})
    (change,) = make_plan(org, desired_state(org), live).changes
    assert change.action == "update" and not change.drift


def test_user_drift_and_group_membership_outside_awsroles_is_left_alone(org: Org) -> None:
    live = live_from_desired(org)
    ops = live["ops"]
    bob = ops.users["bob"]
    # bob joined an unmanaged group (not ours: ignored) and was removed from his team (drift).
    groups = ("awsroles-users", "some-other-group")
    live["ops"] = replace(ops, users={**ops.users, "bob": replace(bob, groups=groups)})
    (change,) = make_plan(org, desired_state(org), live).changes
    assert change.ops == (("add_user_to_group", {"GroupName": "team-backend", "UserName": "bob"}),)
    assert change.drift
    assert user_digest(bob.path, tuple(sorted(bob.groups)), bob.tags) == bob.tags[DIGEST_TAG]


def test_deletes_need_prune_and_come_last_in_reverse_order(org: Org) -> None:
    live = live_from_desired(org)
    ops = live["ops"]
    extra_user = LiveUser("carol", "/awsroles/", ("team-old",), (), {}, {})
    extra_group = LiveGroup("team-old", "/awsroles/", (), {"p": {"Version": "2012-10-17", "Statement": []}},
                            ("carol",))
    live["ops"] = replace(ops, users={**ops.users, "carol": extra_user},
                          groups={**ops.groups, "team-old": extra_group})
    plan = make_plan(org, desired_state(org), live)
    assert plan.changes == () and {(c.kind, c.name) for c in plan.kept} == {("user", "carol"), ("group", "team-old")}
    assert plan.empty  # kept deletes do not make a plan non-empty
    pruned = make_plan(org, desired_state(org), live, prune=True)
    assert [(c.action, c.kind, c.name) for c in pruned.changes] == [("delete", "user", "carol"),
                                                                    ("delete", "group", "team-old")]
    user_ops = [m for m, _ in pruned.changes[0].ops]
    assert user_ops == [REQUIRE_NO_CREDENTIALS, "remove_user_from_group", "delete_user"]
    group_ops = [m for m, _ in pruned.changes[1].ops]
    assert group_ops == ["remove_user_from_group", "delete_group_policy", "delete_group"]


def test_a_name_taken_by_an_unmanaged_resource_is_a_conflict_never_a_change(org: Org) -> None:
    live = empty_live(org)
    live["dev"] = LiveAccount(org.account("dev"), unmanaged={"role": {"admin": "/"}})
    plan = make_plan(org, desired_state(org), live)
    assert ("dev", "role", "admin") not in by_key(plan)
    (conflict,) = plan.conflicts
    assert (conflict.account, conflict.kind, conflict.name) == ("dev", "role", "admin")
    assert "exists at path /" in conflict.reason
    assert not plan.empty


def test_policy_update_makes_room_for_a_new_version(org: Org) -> None:
    live = live_from_desired(org)
    ops = live["ops"]
    policy = ops.policies["awsroles-self-service"]
    stale = replace(policy, document={"Version": "2012-10-17", "Statement": []}, versions=("v1", "v2", "v3", "v4"))
    live["ops"] = replace(ops, policies={policy.name: stale})
    (change,) = make_plan(org, desired_state(org), live).changes
    assert [m for m, _ in change.ops] == ["delete_policy_version", "create_policy_version"]
    assert change.ops[0][1]["VersionId"] == "v1"


def test_pruning_a_policy_attached_to_something_unmanaged_is_a_conflict(org: Org) -> None:
    live = live_from_desired(org)
    ops = live["ops"]
    old = LivePolicy("old", "/awsroles/", "arn:aws:iam::111111111111:policy/awsroles/old", {}, "", "v1", (),
                     (("role", "someone-elses-role"),))
    live["ops"] = replace(ops, policies={**ops.policies, "old": old})
    assert make_plan(org, desired_state(org), live).conflicts == ()
    plan = make_plan(org, desired_state(org), live, prune=True)
    assert [c.name for c in plan.conflicts] == ["old"]
    assert all(c.name != "old" for c in plan.changes)


def test_digests_are_stable_and_document_form_independent() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["b", "a"], "Resource": "*"}]}
    same = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["a", "b"], "Resource": ["*"]}}
    assert compare.same_document(doc, same)
    assert role_digest("/p/", doc, 3600, "", ("x",), {"i": doc}) == role_digest("/p/", same, 3600, "", ("x",),
                                                                                 {"i": same})
    assert role_digest("/p/", doc, 3600, "", (), {}) != role_digest("/p/", doc, 7200, "", (), {})


def test_account_without_desired_resources_still_prunes(org: Org) -> None:
    live = empty_live(org)
    stage = org.account("stage")
    live["stage"] = LiveAccount(stage, roles={"gone": LiveRole("gone", "/awsroles/", {}, 3600, "", (), {}, {})})
    specs = tuple(s for s in desired_state(org) if s.account.name != "stage")
    plan = make_plan(org, specs, live, prune=True)
    assert ("stage", "role", "gone") in {(c.account, c.kind, c.name) for c in plan.changes}
    assert AccountSpec(stage).empty


def test_the_plan_json_schema_is_the_documented_one_and_round_trips(org: Org) -> None:
    import re

    from tests.conftest import REPO

    doc = (REPO / "docs" / "plan-apply.md").read_text().split("### `plan -o json`", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", doc, re.M))
    plan = make_plan(org, desired_state(org), empty_live(org))
    data = plan.as_dict()
    assert set(data) == documented
    assert data["format_version"] == 1
    paragraph = set(re.findall(r"`([a-z_]+)`", doc.split("Each change:", 1)[1]))
    assert set(data["changes"][0]) <= paragraph
    assert set(data["conflicts"][0] if data["conflicts"] else {"account", "account_id", "kind", "name", "reason"}) \
        <= set(re.findall(r"`([a-z_]+)`", doc.split("| `conflicts` |", 1)[1].split("\n", 1)[0]))
    assert Plan.from_dict(json.loads(json.dumps(data))) == plan


def test_apply_runs_only_calls_a_plan_can_hold() -> None:
    from awsroles.sync.apply import run_change
    from awsroles.sync.plan import ALLOWED_CALLS, Change

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def __getattr__(self, name: str):
            return lambda **_: self.calls.append(name)

    iam = Recorder()
    with pytest.raises(ValueError, match="refusing to run 'create_access_key'"):
        run_change(iam, Change("ops", "1", "update", "user", "bob", ops=(("create_access_key", {"UserName": "bob"}),)))
    assert iam.calls == [] and "create_access_key" not in ALLOWED_CALLS
    run_change(iam, Change("ops", "1", "update", "user", "bob", ops=(("detach_user_policy", {}),)))
    assert iam.calls == ["detach_user_policy"]


def test_every_call_the_planner_makes_is_allowed(org: Org) -> None:
    from awsroles.sync.plan import ALLOWED_CALLS, PlanOptions

    live = live_from_desired(org)
    plans = [make_plan(org, desired_state(org), empty_live(org)),
             make_plan(org, (), live, options=PlanOptions(prune=True))]
    calls = {op for plan in plans for change in plan.changes for op, _ in change.ops}
    assert calls and calls <= ALLOWED_CALLS


def test_the_documented_group_marker_is_the_one_awsroles_writes() -> None:
    from awsroles.iam.desired import group_marker_document
    from tests.conftest import REPO

    doc = (REPO / "docs" / "policies.md").read_text().split("## Per group: the ownership marker", 1)[1]
    shown = doc.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(shown) == json.loads(group_marker_document())
    statement = json.loads(group_marker_document())["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["NotResource"] == "*" and "Resource" not in statement
