"""The Identity Center backend against moto (with the sandbox's Identity Center rules): plan, apply,
drift, prune, ownership and adoption, checked with boto3 in the instance."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
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


def load(text: str = ORG) -> Org:
    org, problems = parse_org(text, "org.ini")
    assert org is not None, [str(p) for p in problems]
    return org


@pytest.fixture
def aws(moto_aws: None) -> Iterator[Aws]:
    """An admin in the management account, with an organization holding dev and prod."""
    undo = patch_account_ids()
    try:
        orgs = boto3.client("organizations", region_name="us-east-1")
        orgs.create_organization(FeatureSet="ALL")
        for name, account_id in (("dev", DEV), ("prod", PROD)):
            orgs.create_account(Email=account_email("acme", name, account_id), AccountName=name)
        base = Aws(AwsSettings(region="us-east-1"))
        yield Aws(AwsSettings(region="us-east-1"), session=base.for_account(MGMT, "admin"))
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
