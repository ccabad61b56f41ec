"""Temporary grants in IAM Identity Center against moto (with the sandbox's Identity Center rules):
a permission set of their own and its assignment, removed by the next apply once expired or revoked,
overlapping grants apart (docs/temporary-access.md, "IAM Identity Center")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from awsroles.aws import Aws, AwsSettings
from awsroles.identity_center.temporary import permission_set_name
from awsroles.sandbox.server.patches import account_email, patch_account_ids
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Plan
from tests.aws.test_identity_center import DEV, MGMT, ORG, PROD, load, permission_sets

NOW = datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc)
FIRST, SECOND, ALICE = "t-20261129-1400-backend-prod", "t-20261129-1500-backend-prod", "t-20261129-1400-alice-dev"
GRANTS = f"""
[temporary {FIRST}]
team = backend
environment = prod
role = admin
until = 2026-11-29T18:00:00Z
reason = INC-1234

[temporary {SECOND}]
team = backend
environment = prod
role = admin
until = 2026-11-29T20:00:00Z
reason = INC-1235

[temporary {ALICE}]
user = alice
environment = dev
role = admin
from = 2026-11-29T15:00:00Z
until = 2026-11-29T16:00:00Z
reason = INC-1236
"""


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("awsroles.identity_center.runner.STATUS_FIRST", 0.0)


@pytest.fixture
def aws(moto_aws: None) -> Iterator[Aws]:
    undo = patch_account_ids()
    try:
        base = Aws(AwsSettings(region="us-east-1"))
        admin = Aws(AwsSettings(region="us-east-1"), session=base.for_account(MGMT, "admin"))
        orgs = admin.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        for name, account_id in (("dev", DEV), ("prod", PROD)):
            orgs.create_account(Email=account_email("acme", name, account_id), AccountName=name)
        yield admin
    finally:
        undo()


def engine(aws: Aws, now: datetime, text: str = ORG + GRANTS) -> Engine:
    return Engine(load(text), aws, clock=lambda: now)


def applied(aws: Aws, now: datetime, text: str = ORG + GRANTS) -> Plan:
    plan = engine(aws, now, text).plan()
    result = engine(aws, now, text).apply(plan)
    assert result.ok, "\n".join(result.summary())
    return plan


def instance_of(aws: Aws) -> tuple[Any, Any, str, str]:
    sso, store = engine(aws, NOW).identity_center()
    instance = sso.list_instances()["Instances"][0]
    return sso, store, instance["InstanceArn"], instance["IdentityStoreId"]


def assigned(sso: Any, instance: str, arn: str, account: str) -> list[str]:
    return [a["PrincipalType"] for a in sso.list_account_assignments(
        InstanceArn=instance, AccountId=account, PermissionSetArn=arn)["AccountAssignments"]]


def test_apply_makes_one_permission_set_and_assignment_per_grant(aws: Aws) -> None:
    plan = applied(aws, NOW)
    created = {c.name: c for c in plan.changes if c.kind == "permission-set"}
    assert f"temporary grant {FIRST} until 2026-11-29T18:00:00Z" in created[permission_set_name(FIRST)].details
    assert f"create team-backend -> {permission_set_name(FIRST)} in prod" in [
        f"{c.action} {c.name}" for c in plan.changes if c.kind == "assignment"]
    sso, _, instance, _ = instance_of(aws)
    sets = permission_sets(sso, instance)
    first = sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=sets[permission_set_name(FIRST)])
    assert first["PermissionSet"]["SessionDuration"] == "PT1H"
    assert first["PermissionSet"]["Description"].startswith(f"temporary grant {FIRST}: team backend")
    inline = json.loads(sso.get_inline_policy_for_permission_set(
        InstanceArn=instance, PermissionSetArn=sets[permission_set_name(FIRST)])["InlinePolicy"])
    assert inline["Statement"] == [{"Sid": "AwsrolesTemporaryWindow", "Effect": "Deny", "Action": "*",
                                    "Resource": "*", "Condition": {"DateGreaterThan": {
                                        "aws:CurrentTime": "2026-11-29T18:00:00Z"}}}]
    assert [p["Arn"] for p in sso.list_managed_policies_in_permission_set(
        InstanceArn=instance, PermissionSetArn=sets[permission_set_name(FIRST)])["AttachedManagedPolicies"]] == [
        "arn:aws:iam::aws:policy/AdministratorAccess"]
    assert assigned(sso, instance, sets[permission_set_name(FIRST)], PROD) == ["GROUP"]
    assert assigned(sso, instance, sets[permission_set_name(SECOND)], PROD) == ["GROUP"]
    assert assigned(sso, instance, sets[permission_set_name(ALICE)], DEV) == ["USER"]  # one person
    assert engine(aws, NOW).plan().in_sync


def test_the_next_apply_after_until_removes_the_assignment_then_the_permission_set_without_prune(aws: Aws) -> None:
    applied(aws, NOW)
    later = datetime(2026, 11, 29, 18, 0, tzinfo=timezone.utc)  # FIRST and ALICE end; SECOND goes on
    plan = engine(aws, later).plan()
    ended = [(c.action, c.kind, c.name, c.details) for c in plan.changes]
    assert [kind for _, kind, _, _ in ended] == ["assignment", "assignment", "permission-set", "permission-set"]
    assert sorted(ended) == [
        ("delete", "assignment", f"alice -> {permission_set_name(ALICE)} in dev",
         ("user alice in dev (222222222222)", f"temporary grant {ALICE} expired at 2026-11-29T16:00:00Z")),
        ("delete", "assignment", f"team-backend -> {permission_set_name(FIRST)} in prod",
         ("group team-backend in prod (444444444444)", f"temporary grant {FIRST} expired at 2026-11-29T18:00:00Z")),
        ("delete", "permission-set", permission_set_name(ALICE), (f"temporary grant {ALICE} expired at "
                                                                  "2026-11-29T16:00:00Z",)),
        ("delete", "permission-set", permission_set_name(FIRST), (f"temporary grant {FIRST} expired at "
                                                                  "2026-11-29T18:00:00Z",))]
    assert not plan.kept and not any(c.drift for c in plan.changes)
    assert any(f"temporary grant '{FIRST}'" in n and "expired" in n for n in plan.notes)
    applied(aws, later)
    sso, _, instance, _ = instance_of(aws)
    sets = permission_sets(sso, instance)
    assert permission_set_name(FIRST) not in sets and permission_set_name(ALICE) not in sets
    assert assigned(sso, instance, sets[permission_set_name(SECOND)], PROD) == ["GROUP"]  # the overlap stays
    assert "admin" in sets  # the role's own permission set is untouched
    assert engine(aws, later).plan().in_sync
    gone = datetime(2026, 11, 29, 20, 0, 1, tzinfo=timezone.utc)
    applied(aws, gone)
    assert not [n for n in permission_sets(sso, instance) if n.startswith("awsroles-tmp-")]


def test_a_grant_whose_section_is_removed_goes_with_the_next_apply(aws: Aws) -> None:
    applied(aws, NOW)
    text = ORG + GRANTS[:GRANTS.index(f"[temporary {SECOND}]")]  # SECOND and ALICE revoked
    plan = engine(aws, NOW, text).plan()
    gone = {(c.kind, c.name): c.details for c in plan.changes}
    assert gone[("permission-set", permission_set_name(SECOND))] == (
        f"temporary grant {SECOND} ended (its [temporary] section is gone)",)
    assert set(gone) == {("permission-set", permission_set_name(SECOND)),
                         ("permission-set", permission_set_name(ALICE)),
                         ("assignment", f"team-backend -> {permission_set_name(SECOND)} in prod"),
                         ("assignment", f"alice -> {permission_set_name(ALICE)} in dev")}
    applied(aws, NOW, text)
    sso, _, instance, _ = instance_of(aws)
    assert sorted(n for n in permission_sets(sso, instance) if n.startswith("awsroles-tmp-")) == [
        permission_set_name(FIRST)]
    assert engine(aws, NOW, text).plan().in_sync


def test_a_temporary_permission_set_changed_by_hand_is_put_back_while_the_grant_lasts(aws: Aws) -> None:
    applied(aws, NOW)
    sso, _, instance, _ = instance_of(aws)
    arn = permission_sets(sso, instance)[permission_set_name(FIRST)]
    sso.delete_inline_policy_from_permission_set(InstanceArn=instance, PermissionSetArn=arn)  # the window, gone
    plan = engine(aws, NOW + timedelta(minutes=5)).plan()
    change = next(c for c in plan.changes if c.name == permission_set_name(FIRST))
    assert change.drift and "add inline policy" in change.details
    assert change.ops[-1] == ("provision_permission_set", {"PermissionSet": permission_set_name(FIRST)})


def test_ending_sessions_writes_a_revocation_the_plan_keeps_until_the_longest_session_is_over(aws: Aws) -> None:
    from awsroles.sync.end_sessions_ic import prepare, write

    applied(aws, NOW, ORG)
    at = NOW + timedelta(minutes=10)
    runner = engine(aws, at, ORG).identity_center_runner()
    ends = prepare(load(ORG), runner, [("prod", "admin")], ["alice", "nobody"], at)
    assert [e.description for e in ends] == [
        "permission set admin in prod (444444444444): refuse sessions of alice issued before 2026-11-29T14:10:00Z "
        "(its inline policy, provisioned again)"]
    assert write(runner, ends) == ends
    sso, store, instance, store_id = instance_of(aws)
    sso.create_permission_set(InstanceArn=instance, Name="handmade")
    skipped = prepare(load(ORG), runner, [("prod", "nosuch"), ("prod", "handmade")], ["alice"], at)
    assert [e.description for e in skipped] == [
        "permission set nosuch in prod (444444444444): nothing to do (the permission set does not exist, so no "
        "session of it does)",
        "permission set handmade in prod (444444444444): nothing to do (not awsroles' permission set: never changed)"]
    assert write(runner, skipped) == []
    arn = permission_sets(sso, instance)["admin"]
    alice = store.get_user_id(IdentityStoreId=store_id, AlternateIdentifier={"UniqueAttribute": {
        "AttributePath": "userName", "AttributeValue": "alice"}})["UserId"]
    [statement] = json.loads(sso.get_inline_policy_for_permission_set(
        InstanceArn=instance, PermissionSetArn=arn)["InlinePolicy"])["Statement"]
    assert statement["Effect"] == "Deny" and (statement["Action"], statement["Resource"]) == ("*", "*")
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": "2026-11-29T14:10:00Z"},
                                      "StringEquals": {"identitystore:userId": [alice],
                                                       "aws:PrincipalAccount": PROD}}
    kept = engine(aws, at + timedelta(hours=2) - timedelta(seconds=1), ORG).plan()  # admin: max_session 2h
    assert kept.in_sync, [(c.name, c.details) for c in kept.changes]  # awsroles' own: not drift
    after = engine(aws, at + timedelta(hours=2), ORG).plan()
    [change] = after.changes
    assert (change.kind, change.name, change.drift) == ("permission-set", "admin", False)
    assert f"expired revocation {statement['Sid']} (no session it ends can still be valid)" in change.details
    assert change.ops[-1] == ("provision_permission_set", {"PermissionSet": "admin"})
    applied(aws, at + timedelta(hours=2), ORG)
    assert engine(aws, at + timedelta(hours=2), ORG).plan().in_sync
