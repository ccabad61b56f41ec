"""The Identity Center backend against moto (with the sandbox's Identity Center rules): plan, apply,
drift, prune, ownership and adoption, checked with boto3 in the instance."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from awsroles.aws import Aws, AwsSettings
from awsroles.iam.checks import parse_org
from awsroles.org.model import Org
from awsroles.sandbox.server.patches import account_email, patch_account_ids
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Plan, PlanOptions

MGMT, DEV, PROD = "111111111111", "222222222222", "444444444444"
ORG = """\
[org]
name = acme
management_account = mgmt
identity = identity-center

[account mgmt]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[account prod]
id = 444444444444
environment = prod

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
max_session = 2h
description = Full access

[role readonly]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
customer_managed = /team/deny-secrets
boundary = arn:aws:iam::aws:policy/PowerUserAccess

[team platform]
members = alice
dev = admin, readonly
prod = admin

[team backend]
members = bob
dev = readonly

[user alice]
email = alice@acme.example
display_name = Alice Smith

[user bob]
email = bob@acme.example
"""


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox answers IN_PROGRESS to the first status read: poll again at once (apply's first
    pause is a quarter of a second, its polling is tested in tests/unit/test_identity_center_runner.py)."""
    monkeypatch.setattr("awsroles.identity_center.runner.STATUS_FIRST", 0.0)


def load(text: str = ORG) -> Org:
    org, problems = parse_org(text, "org.ini")
    assert org is not None, [str(p) for p in problems]
    return org


@pytest.fixture
def aws(moto_aws: None) -> Iterator[Aws]:
    """An admin in the management account, with an organization holding dev and prod."""
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


def clients(aws: Aws) -> tuple[Any, Any, str, str]:
    engine = Engine(load(), aws)
    sso, store = engine.identity_center()
    instance = sso.list_instances()["Instances"][0]
    return sso, store, instance["InstanceArn"], instance["IdentityStoreId"]


def by_kind(plan: Plan) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for change in plan.changes:
        out.setdefault(change.kind, []).append(f"{change.action} {change.name}")
    return out


def applied(aws: Aws, text: str = ORG, options: PlanOptions | None = None) -> Plan:
    engine = Engine(load(text), aws)
    plan = engine.plan(options=options)
    result = engine.apply(plan)
    assert result.ok, "\n".join(result.summary())
    return plan


def permission_sets(sso: Any, instance: str) -> dict[str, str]:
    arns = sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    return {sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=a)["PermissionSet"]["Name"]: a
            for a in arns}


def test_apply_makes_users_groups_permission_sets_and_assignments_then_nothing_is_left_to_do(aws: Aws) -> None:
    first = Engine(load(), aws).plan()
    assert by_kind(first) == {
        "ic-user": ["create alice", "create bob"],
        "ic-group": ["create team-backend", "create team-platform"],
        "permission-set": ["create admin", "create readonly"],
        "assignment": ["create team-backend -> readonly in dev", "create team-platform -> admin in dev",
                       "create team-platform -> admin in prod", "create team-platform -> readonly in dev"]}
    assert {c.account for c in first.changes} == {"mgmt"}
    applied(aws)
    sso, store, instance, store_id = clients(aws)
    users = {u["UserName"]: u for u in store.list_users(IdentityStoreId=store_id)["Users"]}
    assert users["alice"]["DisplayName"] == "Alice Smith"
    assert users["alice"]["Name"] == {"GivenName": "Alice", "FamilyName": "Smith"} | {
        k: v for k, v in users["alice"]["Name"].items() if k not in ("GivenName", "FamilyName")}
    assert users["alice"]["Emails"][0]["Value"] == "alice@acme.example"
    assert users["bob"]["UserType"] == "awsroles:acme"
    groups = {g["DisplayName"]: g for g in store.list_groups(IdentityStoreId=store_id)["Groups"]}
    assert groups["team-platform"]["Description"].startswith("[awsroles:acme]")
    members = store.list_group_memberships(IdentityStoreId=store_id, GroupId=groups["team-platform"]["GroupId"])
    assert [m["MemberId"]["UserId"] for m in members["GroupMemberships"]] == [users["alice"]["UserId"]]
    sets = permission_sets(sso, instance)
    admin = sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=sets["admin"])["PermissionSet"]
    assert (admin["SessionDuration"], admin["Description"]) == ("PT2H", "Full access")
    assert [p["Arn"] for p in sso.list_managed_policies_in_permission_set(
        InstanceArn=instance, PermissionSetArn=sets["admin"])["AttachedManagedPolicies"]] == [
        "arn:aws:iam::aws:policy/AdministratorAccess"]
    assert sso.list_customer_managed_policy_references_in_permission_set(
        InstanceArn=instance, PermissionSetArn=sets["readonly"])["CustomerManagedPolicyReferences"] == [
        {"Name": "deny-secrets", "Path": "/team/"}]
    assert sso.get_permissions_boundary_for_permission_set(
        InstanceArn=instance, PermissionSetArn=sets["readonly"])["PermissionsBoundary"] == {
        "ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
    tags = {t["Key"]: t["Value"] for t in sso.list_tags_for_resource(InstanceArn=instance,
                                                                      ResourceArn=sets["admin"])["Tags"]}
    assert tags["managed-by"] == "awsroles" and tags["awsroles-org"] == "acme" and tags["awsroles-digest"]
    prod = sso.list_account_assignments(InstanceArn=instance, AccountId=PROD, PermissionSetArn=sets["admin"])
    assert [(a["PrincipalType"], a["PrincipalId"]) for a in prod["AccountAssignments"]] == [
        ("GROUP", groups["team-platform"]["GroupId"])]
    again = Engine(load(), aws).plan()
    assert again.in_sync, [(c.kind, c.name, c.details) for c in again.changes + again.kept]


def test_changes_by_hand_are_drift_that_apply_undoes_and_a_changed_set_is_provisioned_again(aws: Aws) -> None:
    applied(aws)
    sso, store, instance, store_id = clients(aws)
    sets = permission_sets(sso, instance)
    sso.detach_managed_policy_from_permission_set(InstanceArn=instance, PermissionSetArn=sets["admin"],
                                                  ManagedPolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    sso.put_inline_policy_to_permission_set(InstanceArn=instance, PermissionSetArn=sets["admin"], InlinePolicy=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}'))
    intruder = store.create_user(IdentityStoreId=store_id, UserName="mallory", DisplayName="Mallory",
                                 Name={"GivenName": "Mallory", "FamilyName": "M"})["UserId"]
    groups = {g["DisplayName"]: g["GroupId"] for g in store.list_groups(IdentityStoreId=store_id)["Groups"]}
    store.create_group_membership(IdentityStoreId=store_id, GroupId=groups["team-platform"],
                                  MemberId={"UserId": intruder})
    status = sso.create_account_assignment(InstanceArn=instance, TargetId=PROD, TargetType="AWS_ACCOUNT",
                                           PermissionSetArn=sets["admin"], PrincipalType="USER",
                                           PrincipalId=intruder)["AccountAssignmentCreationStatus"]
    assert status["Status"] in ("IN_PROGRESS", "SUCCEEDED")
    plan = Engine(load(), aws).plan()
    drifted = {(c.kind, c.name): c for c in plan.changes if c.drift}
    admin = drifted["permission-set", "admin"]
    assert "attach arn:aws:iam::aws:policy/AdministratorAccess" in admin.details
    assert any(d.startswith("remove inline policy (grants: Allow iam:* on *") for d in admin.details)
    assert admin.ops[-1] == ("provision_permission_set", {"PermissionSet": "admin"})
    assert "remove member mallory (not in the org file)" in drifted["ic-group", "team-platform"].details
    assert ("assignment", "mallory -> admin in prod") in drifted
    assert not any(c.kind == "ic-user" for c in plan.changes)  # mallory is not awsroles': never touched
    result = Engine(load(), aws).apply(plan)
    assert result.ok, "\n".join(result.summary())
    assert Engine(load(), aws).plan().in_sync
    assert [a["PrincipalType"] for a in sso.list_account_assignments(
        InstanceArn=instance, AccountId=PROD, PermissionSetArn=sets["admin"])["AccountAssignments"]] == ["GROUP"]
    assert store.describe_user(IdentityStoreId=store_id, UserId=intruder)["UserName"] == "mallory"


def test_a_change_in_the_file_is_an_update_and_what_it_drops_is_kept_until_prune(aws: Aws) -> None:
    applied(aws)
    sso, store, instance, store_id = clients(aws)
    hand_made = sso.create_permission_set(InstanceArn=instance, Name="billing")["PermissionSet"]["PermissionSetArn"]
    text = (ORG.replace("max_session = 2h", "max_session = 4h").replace("prod = admin\n", "")
            .replace("dev = readonly\n", "").replace("[team backend]\nmembers = bob\n", "")
            .replace("[user bob]\nemail = bob@acme.example\n", ""))
    text = text.replace("dev = admin, readonly", "dev = admin")
    plan = Engine(load(text), aws).plan()
    changes = {(c.action, c.kind, c.name): c for c in plan.changes}
    assert not any(c.drift for c in plan.changes)
    assert changes["update", "permission-set", "admin"].details == (
        "session PT2H -> PT4H", "provision again to 2 accounts")
    assert ("delete", "assignment", "team-platform -> admin in prod") in changes  # a grant taken away: now
    # also when no team holds the role any more: platform, still in the file, loses readonly now
    assert ("delete", "assignment", "team-platform -> readonly in dev") in changes
    kept = sorted((c.kind, c.name) for c in plan.kept)
    assert kept == [("assignment", "team-backend -> readonly in dev"),
                    ("ic-group", "team-backend"), ("ic-user", "bob"), ("permission-set", "readonly")]
    assert not plan.in_sync
    applied(aws, text)
    groups = {g["DisplayName"]: g["GroupId"] for g in store.list_groups(IdentityStoreId=store_id)["Groups"]}
    readonly = sso.list_account_assignments(InstanceArn=instance, AccountId=DEV,
                                            PermissionSetArn=permission_sets(sso, instance)["readonly"])
    assert [a["PrincipalId"] for a in readonly["AccountAssignments"]] == [groups["team-backend"]]  # kept: leftover
    pruned = applied(aws, text, PlanOptions(prune=True))
    assert [c.kind for c in pruned.changes] == ["assignment", "permission-set", "ic-group", "ic-user"]
    assert Engine(load(text), aws).plan().in_sync
    assert set(permission_sets(sso, instance)) == {"admin", "billing"}  # the hand-made one is untouched
    assert sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=hand_made)["PermissionSet"]["Name"]
    assert [u["UserName"] for u in store.list_users(IdentityStoreId=store_id)["Users"]] == ["alice"]


def test_what_awsroles_does_not_own_is_a_conflict_until_adopted_and_another_orgs_never(aws: Aws) -> None:
    sso, store, instance, store_id = clients(aws)
    sso.create_permission_set(InstanceArn=instance, Name="admin", SessionDuration="PT8H")
    store.create_user(IdentityStoreId=store_id, UserName="Alice", DisplayName="Alice S",
                      Name={"GivenName": "Alice", "FamilyName": "S"})
    store.create_group(IdentityStoreId=store_id, DisplayName="team-backend", Description="[awsroles:other] theirs")
    plan = Engine(load(), aws).plan()
    assert sorted((c.kind, c.name, c.reason) for c in plan.conflicts) == [
        ("ic-group", "team-backend", "Identity Store group team-backend exists and belongs to awsroles org 'other'"),
        ("ic-user", "alice", "Identity Store user Alice exists and is not awsroles' (plan --adopt to take it over)"),
        ("permission-set", "admin", "permission set admin exists and is not awsroles' (plan --adopt to take it "
                                    "over)")]
    assert not any("admin" in c.name and c.kind == "assignment" for c in plan.changes)  # nothing on a conflict
    adopted = Engine(load(), aws).plan(options=PlanOptions(adopt=True))
    actions = {(c.kind, c.name): c.action for c in adopted.changes}
    assert actions["permission-set", "admin"] == actions["ic-user", "alice"] == "adopt"
    assert [(c.kind, c.name) for c in adopted.conflicts] == [("ic-group", "team-backend")]  # never another org's
    admin = next(c for c in adopted.changes if c.name == "admin" and c.kind == "permission-set")
    assert admin.details[0] == "mark as awsroles'" and "session PT8H -> PT2H" in admin.details


def test_people_in_groups_awsroles_does_not_own_are_reported_not_touched(aws: Aws) -> None:
    applied(aws)
    _, store, _, store_id = clients(aws)
    group = store.create_group(IdentityStoreId=store_id, DisplayName="break-glass")["GroupId"]
    alice = store.get_user_id(IdentityStoreId=store_id, AlternateIdentifier={
        "UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "alice"}})["UserId"]
    store.create_group_membership(IdentityStoreId=store_id, GroupId=group, MemberId={"UserId": alice})
    plan = Engine(load(), aws).plan()
    assert [(f.kind, f.name) for f in plan.foreign] == [("ic-group", "break-glass")]
    assert plan.empty and not plan.in_sync
    removing = Engine(load(), aws).plan(options=PlanOptions(remove_foreign_memberships=True))
    assert [c.ops for c in removing.changes] == [
        (("delete_group_membership", {"Group": "break-glass", "User": "alice"}),)]


def test_both_backends_side_by_side_plan_iam_and_identity_center_together(aws: Aws) -> None:
    text = ORG.replace("identity = identity-center", "identity = iam-users, identity-center\nops_account = mgmt")
    org = load(text)
    plan = Engine(replace(org), aws).plan()
    kinds = {c.kind for c in plan.changes}
    assert {"role", "group", "user", "policy"} <= kinds and {"ic-user", "permission-set", "assignment"} <= kinds


def test_adopting_a_permission_set_that_only_lacks_the_mark_marks_it(aws: Aws) -> None:
    applied(aws)
    sso, _, instance, _ = clients(aws)
    sso.untag_resource(InstanceArn=instance, ResourceArn=permission_sets(sso, instance)["admin"],
                       TagKeys=["managed-by"])
    assert [(c.kind, c.name) for c in Engine(load(), aws).plan().conflicts] == [("permission-set", "admin")]
    adopted = applied(aws, options=PlanOptions(adopt=True))
    assert [(c.action, c.kind, c.name, c.details) for c in adopted.changes] == [
        ("adopt", "permission-set", "admin", ("mark as awsroles'",))]
    assert Engine(load(), aws).plan().in_sync
