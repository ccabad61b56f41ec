"""The sandbox's IAM Identity Center (moto plus :mod:`awsroles.sandbox.server.identity_center` and
:mod:`awsroles.sandbox.server.identity_store`) answers as AWS does: the operations moto lacks, and
the rules AWS enforces that moto does not. One test per rule, asserting AWS's error code."""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})


@functools.cache
def client(service: str) -> Any:
    """One client per service for the whole module (test speed only: a new client costs more than
    most tests here); moto answers whichever mock_aws is active when it is called."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name="us-east-1").client(service)


@dataclass
class IC:
    sso: Any
    ids: Any
    instance: str
    store: str

    @functools.cached_property
    def member(self) -> str:
        """An account of the organization (made when first asked: test speed only)."""
        orgs = client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        orgs.create_account(AccountName="dev", Email="dev@acme.example")
        return str(next(a["Id"] for a in orgs.list_accounts()["Accounts"] if a["Name"] == "dev"))

    def permission_set(self, name: str = "admin", **extra: Any) -> str:
        created = self.sso.create_permission_set(InstanceArn=self.instance, Name=name, **extra)
        return str(created["PermissionSet"]["PermissionSetArn"])

    def user(self, name: str = "alice") -> str:
        return str(self.ids.create_user(IdentityStoreId=self.store, UserName=name, DisplayName=name.title(),
                                        Name={"GivenName": name.title(), "FamilyName": "Example"})["UserId"])

    def group(self, name: str = "team-platform") -> str:
        return str(self.ids.create_group(IdentityStoreId=self.store, DisplayName=name)["GroupId"])

    def assignment(self, permission_set: str, principal: str, kind: str = "GROUP", target: str | None = None) -> Any:
        return dict(InstanceArn=self.instance, TargetId=target or self.member, TargetType="AWS_ACCOUNT",
                    PermissionSetArn=permission_set, PrincipalType=kind, PrincipalId=principal)


@pytest.fixture
def ic(moto_aws: None) -> IC:
    sso = client("sso-admin")
    instance = sso.list_instances()["Instances"][0]
    return IC(sso, client("identitystore"), instance["InstanceArn"],
              instance["IdentityStoreId"])


def code(call: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return str(exc.value.response["Error"]["Code"])


# -- the instance ------------------------------------------------------------------------------


def test_the_instance_is_described_and_its_identity_store_is_the_one_identitystore_answers_for(ic: IC) -> None:
    described = ic.sso.describe_instance(InstanceArn=ic.instance)
    assert (described["IdentityStoreId"], described["Status"]) == (ic.store, "ACTIVE")
    assert described["OwnerAccountId"] == "123456789012"
    ic.user()
    assert [u["UserName"] for u in ic.ids.list_users(IdentityStoreId=ic.store)["Users"]] == ["alice"]
    assert code(ic.ids.list_users, IdentityStoreId="d-0000000000") == "ResourceNotFoundException"
    assert code(ic.ids.create_group, IdentityStoreId="d-0000000000", DisplayName="x") == "ResourceNotFoundException"


def test_a_member_account_of_the_organization_has_no_instance(ic: IC) -> None:
    role = f"arn:aws:iam::{ic.member}:role/OrganizationAccountAccessRole"
    sts = client("sts")
    keys = sts.assume_role(RoleArn=role, RoleSessionName="member")["Credentials"]
    member = boto3.Session(aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                           aws_session_token=keys["SessionToken"], region_name="us-east-1")
    assert member.client("sts").get_caller_identity()["Account"] == ic.member
    assert member.client("sso-admin").list_instances()["Instances"] == []
    assert code(member.client("sso-admin").list_permission_sets, InstanceArn=ic.instance) == "ResourceNotFoundException"
    assert code(member.client("identitystore").list_users, IdentityStoreId=ic.store) == "ResourceNotFoundException"


def test_identifiers_have_the_forms_aws_gives_them(ic: IC) -> None:
    """The patterns of the API reference's request parameters (IdentityStoreId, PermissionSetArn)."""
    assert re.fullmatch(r"d-[0-9a-f]{10}", ic.store)
    assert re.fullmatch(r"arn:aws:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}", ic.instance)
    assert re.fullmatch(r"arn:aws:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}",
                        ic.permission_set())


def test_an_unknown_instance_is_not_found(ic: IC) -> None:
    other = ic.instance[:-4] + "zzzz"
    assert code(ic.sso.list_permission_sets, InstanceArn=other) == "ResourceNotFoundException"
    assert code(ic.sso.describe_instance, InstanceArn=other) == "ResourceNotFoundException"


# -- permission sets -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a b", "x" * 33, "naïve", "a/b"])
def test_a_permission_set_name_is_1_to_32_of_word_characters_and_plus_equals_comma_dot_at_dash(ic: IC,
                                                                                               name: str) -> None:
    assert code(ic.sso.create_permission_set, InstanceArn=ic.instance, Name=name) == "ValidationException"
    ic.permission_set("Admin+ops=1,a.b@c-d_" + "x" * 11)


def test_a_permission_set_name_is_unique_in_the_instance(ic: IC) -> None:
    ic.permission_set("admin")
    assert code(ic.sso.create_permission_set, InstanceArn=ic.instance, Name="admin") == "ConflictException"


@pytest.mark.parametrize("duration", ["PT59M", "PT13H", "P1D", "1h"])
def test_a_session_lasts_from_one_to_twelve_hours(ic: IC, duration: str) -> None:
    assert code(ic.sso.create_permission_set, InstanceArn=ic.instance, Name="x",
                SessionDuration=duration) == "ValidationException"
    arn = ic.permission_set("twelve", SessionDuration="PT12H")
    assert code(ic.sso.update_permission_set, InstanceArn=ic.instance, PermissionSetArn=arn,
                SessionDuration=duration) == "ValidationException"


def test_a_permission_set_keeps_its_fields_and_an_update_changes_only_what_it_is_given(ic: IC) -> None:
    arn = ic.permission_set("dev", Description="developers")
    described = ic.sso.describe_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn)["PermissionSet"]
    assert (described["Name"], described["Description"], described["SessionDuration"]) == ("dev", "developers",
                                                                                           "PT1H")
    assert "RelayState" not in described
    ic.sso.update_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn, SessionDuration="PT4H")
    described = ic.sso.describe_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn)["PermissionSet"]
    assert (described["Description"], described["SessionDuration"]) == ("developers", "PT4H")


def test_tags_are_kept_and_read_and_written_by_the_permission_sets_arn(ic: IC) -> None:
    arn = ic.permission_set(Tags=[{"Key": "managed-by", "Value": "awsroles"}])
    tags = ic.sso.list_tags_for_resource(InstanceArn=ic.instance, ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "managed-by", "Value": "awsroles"}]
    ic.sso.tag_resource(InstanceArn=ic.instance, ResourceArn=arn, Tags=[{"Key": "team", "Value": "x"}])
    ic.sso.untag_resource(InstanceArn=ic.instance, ResourceArn=arn, TagKeys=["managed-by"])
    assert ic.sso.list_tags_for_resource(InstanceArn=ic.instance, ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "x"}]
    assert code(ic.sso.list_tags_for_resource, InstanceArn=ic.instance,
                ResourceArn=arn[:-4] + "zzzz") == "ResourceNotFoundException"


def test_lists_are_paginated(ic: IC) -> None:
    made = {ic.permission_set(f"set{i}") for i in range(5)}
    first = ic.sso.list_permission_sets(InstanceArn=ic.instance, MaxResults=3)
    second = ic.sso.list_permission_sets(InstanceArn=ic.instance, MaxResults=3, NextToken=first["NextToken"])
    assert "NextToken" not in second and set(first["PermissionSets"] + second["PermissionSets"]) == made
    paginator = ic.sso.get_paginator("list_permission_sets")
    assert {a for p in paginator.paginate(InstanceArn=ic.instance, PaginationConfig={"PageSize": 2})
            for a in p["PermissionSets"]} == made


# -- policies ----------------------------------------------------------------------------------


def test_an_inline_policy_is_json_of_at_most_32768_characters(ic: IC) -> None:
    arn = ic.permission_set()
    put = ic.sso.put_inline_policy_to_permission_set
    assert code(put, InstanceArn=ic.instance, PermissionSetArn=arn, InlinePolicy="x" * 32769) == "ValidationException"
    assert code(put, InstanceArn=ic.instance, PermissionSetArn=arn, InlinePolicy="{not json") == "ValidationException"
    put(InstanceArn=ic.instance, PermissionSetArn=arn, InlinePolicy=POLICY)
    assert ic.sso.get_inline_policy_for_permission_set(InstanceArn=ic.instance,
                                                       PermissionSetArn=arn)["InlinePolicy"] == POLICY


def test_a_managed_policy_must_be_an_aws_managed_policy_that_exists(ic: IC) -> None:
    arn = ic.permission_set()
    assert code(ic.sso.attach_managed_policy_to_permission_set, InstanceArn=ic.instance, PermissionSetArn=arn,
                ManagedPolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy") == "ResourceNotFoundException"


def test_a_managed_policy_is_attached_once(ic: IC) -> None:
    arn = ic.permission_set()
    attach = ic.sso.attach_managed_policy_to_permission_set
    attach(InstanceArn=ic.instance, PermissionSetArn=arn, ManagedPolicyArn=READ_ONLY)
    keys = dict(InstanceArn=ic.instance, PermissionSetArn=arn)
    assert code(attach, ManagedPolicyArn=READ_ONLY, **keys) == "ConflictException"
    ref = {"Name": "deny-iam", "Path": "/awsroles/"}
    ic.sso.attach_customer_managed_policy_reference_to_permission_set(
        InstanceArn=ic.instance, PermissionSetArn=arn, CustomerManagedPolicyReference=ref)
    assert code(ic.sso.attach_customer_managed_policy_reference_to_permission_set, InstanceArn=ic.instance,
                PermissionSetArn=arn, CustomerManagedPolicyReference=ref) == "ConflictException"
    assert ic.sso.list_customer_managed_policy_references_in_permission_set(
        InstanceArn=ic.instance, PermissionSetArn=arn)["CustomerManagedPolicyReferences"] == [ref]


def test_a_permission_set_has_at_most_10_managed_and_customer_managed_policies(ic: IC) -> None:
    arn = ic.permission_set()
    for i in range(9):
        ic.sso.attach_customer_managed_policy_reference_to_permission_set(
            InstanceArn=ic.instance, PermissionSetArn=arn, CustomerManagedPolicyReference={"Name": f"p{i}"})
    ic.sso.attach_managed_policy_to_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn,
                                                   ManagedPolicyArn=READ_ONLY)
    assert code(ic.sso.attach_managed_policy_to_permission_set, InstanceArn=ic.instance, PermissionSetArn=arn,
                ManagedPolicyArn=ADMIN) == "ServiceQuotaExceededException"
    assert code(ic.sso.attach_customer_managed_policy_reference_to_permission_set, InstanceArn=ic.instance,
                PermissionSetArn=arn, CustomerManagedPolicyReference={"Name": "p10"}) == "ServiceQuotaExceededException"


def test_a_customer_managed_policy_reference_needs_a_valid_name_and_path(ic: IC) -> None:
    arn = ic.permission_set()
    for ref in ({"Name": "a b"}, {"Name": "x", "Path": "no-slashes"}):
        assert code(ic.sso.attach_customer_managed_policy_reference_to_permission_set, InstanceArn=ic.instance,
                    PermissionSetArn=arn, CustomerManagedPolicyReference=ref) == "ValidationException"


def test_a_permissions_boundary_is_one_managed_policy_or_one_reference(ic: IC) -> None:
    arn = ic.permission_set()
    keys = dict(InstanceArn=ic.instance, PermissionSetArn=arn)
    assert code(ic.sso.get_permissions_boundary_for_permission_set, **keys) == "ResourceNotFoundException"
    assert code(ic.sso.delete_permissions_boundary_from_permission_set, **keys) == "ResourceNotFoundException"
    both = {"ManagedPolicyArn": READ_ONLY, "CustomerManagedPolicyReference": {"Name": "b"}}
    put = ic.sso.put_permissions_boundary_to_permission_set
    assert code(put, PermissionsBoundary=both, **keys) == "ValidationException"
    assert code(put, PermissionsBoundary={}, **keys) == "ValidationException"
    assert code(put, PermissionsBoundary={"ManagedPolicyArn": "arn:aws:iam::aws:policy/Nope"},
                **keys) == "ResourceNotFoundException"
    put(PermissionsBoundary={"ManagedPolicyArn": READ_ONLY}, **keys)
    assert ic.sso.get_permissions_boundary_for_permission_set(**keys)["PermissionsBoundary"] == {
        "ManagedPolicyArn": READ_ONLY}
    put(PermissionsBoundary={"CustomerManagedPolicyReference": {"Name": "boundary"}}, **keys)
    assert ic.sso.get_permissions_boundary_for_permission_set(**keys)["PermissionsBoundary"] == {
        "CustomerManagedPolicyReference": {"Name": "boundary", "Path": "/"}}
    ic.sso.delete_permissions_boundary_from_permission_set(**keys)
    assert code(ic.sso.get_permissions_boundary_for_permission_set, **keys) == "ResourceNotFoundException"


# -- provisioning and assignments --------------------------------------------------------------


def test_provisioning_is_asynchronous_and_must_be_polled(ic: IC) -> None:
    arn = ic.permission_set()
    started = ic.sso.provision_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn, TargetType="AWS_ACCOUNT",
                                              TargetId=ic.member)["PermissionSetProvisioningStatus"]
    assert (started["Status"], started["AccountId"]) == ("IN_PROGRESS", ic.member)
    describe = ic.sso.describe_permission_set_provisioning_status
    statuses = [describe(InstanceArn=ic.instance, ProvisionPermissionSetRequestId=started["RequestId"])
                ["PermissionSetProvisioningStatus"]["Status"] for _ in range(3)]
    assert statuses == ["IN_PROGRESS", "SUCCEEDED", "SUCCEEDED"]
    assert code(describe, InstanceArn=ic.instance, ProvisionPermissionSetRequestId="11111111-2222-3333-4444-"
                "555555555555") == "ResourceNotFoundException"
    assert code(ic.sso.provision_permission_set, InstanceArn=ic.instance, PermissionSetArn=arn,
                TargetType="AWS_ACCOUNT", TargetId="999999999999") == "ValidationException"


def test_a_status_first_read_after_the_requests_time_is_succeeded(ic: IC) -> None:
    """IN_PROGRESS is for a read made at once: one that comes after IN_PROGRESS_FOR (as apply's,
    after a quarter of a second, and terraform's, after 5 s or more) reads SUCCEEDED."""
    from awsroles.sandbox.server.identity_center import IN_PROGRESS_FOR

    arn, group = ic.permission_set(), ic.group()
    provisioning = ic.sso.provision_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn,
                                                   TargetType="AWS_ACCOUNT", TargetId=ic.member)
    created = ic.sso.create_account_assignment(**ic.assignment(arn, group))["AccountAssignmentCreationStatus"]
    assert created["Status"] == provisioning["PermissionSetProvisioningStatus"]["Status"] == "IN_PROGRESS"
    time.sleep(IN_PROGRESS_FOR + 0.05)
    assert ic.sso.describe_account_assignment_creation_status(
        InstanceArn=ic.instance, AccountAssignmentCreationRequestId=created["RequestId"],
    )["AccountAssignmentCreationStatus"]["Status"] == "SUCCEEDED"
    assert ic.sso.describe_permission_set_provisioning_status(
        InstanceArn=ic.instance, ProvisionPermissionSetRequestId=provisioning["PermissionSetProvisioningStatus"][
            "RequestId"])["PermissionSetProvisioningStatus"]["Status"] == "SUCCEEDED"


def test_an_assignment_targets_an_account_of_the_organization(ic: IC) -> None:
    arn, group = ic.permission_set(), ic.group()
    assert ic.member  # the organization
    ic.sso.create_account_assignment(**ic.assignment(arn, group, target="123456789012"))  # the management account
    assert code(ic.sso.create_account_assignment,
                **ic.assignment(arn, group, target="999999999999")) == "ValidationException"


def test_an_assignment_needs_a_principal_of_the_identity_store_and_a_permission_set_of_the_instance(ic: IC) -> None:
    arn, group = ic.permission_set(), ic.group()
    missing = "a1b2c3d4-0000-0000-0000-000000000000"
    assert code(ic.sso.create_account_assignment, **ic.assignment(arn, missing)) == "ResourceNotFoundException"
    assert code(ic.sso.create_account_assignment, **ic.assignment(arn, group, "USER")) == "ResourceNotFoundException"
    assert code(ic.sso.create_account_assignment,
                **ic.assignment(arn[:-4] + "zzzz", group)) == "ResourceNotFoundException"


def test_an_assignment_provisions_the_permission_set_and_its_statuses_are_polled(ic: IC) -> None:
    arn, group = ic.permission_set(), ic.group()
    created = ic.sso.create_account_assignment(**ic.assignment(arn, group))["AccountAssignmentCreationStatus"]
    assert created["Status"] == "IN_PROGRESS"
    ic.sso.create_account_assignment(**ic.assignment(arn, group))  # again: nothing changes
    polled = [ic.sso.describe_account_assignment_creation_status(
        InstanceArn=ic.instance, AccountAssignmentCreationRequestId=created["RequestId"])
        ["AccountAssignmentCreationStatus"]["Status"] for _ in range(2)]
    assert polled == ["IN_PROGRESS", "SUCCEEDED"]
    listed = ic.sso.list_account_assignments(InstanceArn=ic.instance, AccountId=ic.member, PermissionSetArn=arn)
    assert [(a["PrincipalType"], a["PrincipalId"]) for a in listed["AccountAssignments"]] == [("GROUP", group)]
    assert ic.sso.list_accounts_for_provisioned_permission_set(InstanceArn=ic.instance,
                                                               PermissionSetArn=arn)["AccountIds"] == [ic.member]
    assert ic.sso.list_permission_sets_provisioned_to_account(InstanceArn=ic.instance,
                                                              AccountId=ic.member)["PermissionSets"] == [arn]
    deleted = ic.sso.delete_account_assignment(**ic.assignment(arn, group))["AccountAssignmentDeletionStatus"]
    assert deleted["RequestId"] != created["RequestId"] and deleted["Status"] == "IN_PROGRESS"
    assert ic.sso.describe_account_assignment_deletion_status(
        InstanceArn=ic.instance, AccountAssignmentDeletionRequestId=deleted["RequestId"])
    assert ic.sso.list_permission_sets_provisioned_to_account(InstanceArn=ic.instance,
                                                              AccountId=ic.member)["PermissionSets"] == []
    assert code(ic.sso.delete_account_assignment, **ic.assignment(arn, group)) == "ResourceNotFoundException"


def test_a_changed_permission_set_is_not_the_latest_provisioned_until_provisioned_again(ic: IC) -> None:
    arn, group = ic.permission_set(), ic.group()
    ic.sso.create_account_assignment(**ic.assignment(arn, group))

    def listed(status: str) -> list[str]:
        return list(ic.sso.list_permission_sets_provisioned_to_account(
            InstanceArn=ic.instance, AccountId=ic.member, ProvisioningStatus=status)["PermissionSets"])

    assert (listed("LATEST_PERMISSION_SET_PROVISIONED"), listed("LATEST_PERMISSION_SET_NOT_PROVISIONED")) == ([arn], [])
    ic.sso.attach_managed_policy_to_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn,
                                                   ManagedPolicyArn=READ_ONLY)
    assert (listed("LATEST_PERMISSION_SET_PROVISIONED"), listed("LATEST_PERMISSION_SET_NOT_PROVISIONED")) == ([], [arn])
    ic.sso.provision_permission_set(InstanceArn=ic.instance, PermissionSetArn=arn,
                                    TargetType="ALL_PROVISIONED_ACCOUNTS")
    assert listed("LATEST_PERMISSION_SET_PROVISIONED") == [arn]


def test_a_permission_set_provisioned_to_an_account_cannot_be_deleted(ic: IC) -> None:
    arn, group = ic.permission_set(), ic.group()
    ic.sso.create_account_assignment(**ic.assignment(arn, group))
    keys = dict(InstanceArn=ic.instance, PermissionSetArn=arn)
    assert code(ic.sso.delete_permission_set, **keys) == "ConflictException"
    ic.sso.delete_account_assignment(**ic.assignment(arn, group))
    ic.sso.delete_permission_set(**keys)
    assert code(ic.sso.describe_permission_set, **keys) == "ResourceNotFoundException"


# -- the identity store --------------------------------------------------------------------------


def test_what_is_not_set_is_left_out_of_a_user(ic: IC) -> None:
    user = ic.ids.describe_user(IdentityStoreId=ic.store, UserId=ic.user())
    assert set(user) - {"ResponseMetadata"} == {"IdentityStoreId", "UserId", "UserName", "DisplayName", "Name"}
    assert user["Name"] == {"GivenName": "Alice", "FamilyName": "Example"}
    listed = ic.ids.list_users(IdentityStoreId=ic.store)["Users"][0]
    assert "Title" not in listed and "Timezone" not in listed


def test_a_user_name_is_unique_without_regard_to_case(ic: IC) -> None:
    ic.user("alice")
    assert code(ic.user, name="ALICE") == "ConflictException"


def test_reserved_user_names_are_refused(ic: IC) -> None:
    assert code(ic.user, name="Administrator") == "ValidationException"


def test_a_user_needs_a_display_name_and_a_given_and_family_name(ic: IC) -> None:
    create = ic.ids.create_user
    assert code(create, IdentityStoreId=ic.store, UserName="bob",
                Name={"GivenName": "B", "FamilyName": "C"}) == "ValidationException"
    assert code(create, IdentityStoreId=ic.store, UserName="bob", DisplayName="Bob",
                Name={"GivenName": "B"}) == "ValidationException"


def test_a_group_display_name_is_unique(ic: IC) -> None:
    ic.group("team-platform")
    assert code(ic.group, name="team-platform") == "ConflictException"


def test_update_user_sets_and_removes_attributes_and_keeps_the_rules(ic: IC) -> None:
    alice, bob = ic.user("alice"), ic.user("bob")
    update = ic.ids.update_user
    update(IdentityStoreId=ic.store, UserId=alice, Operations=[
        {"AttributePath": "displayName", "AttributeValue": "Alice Liddell"},
        {"AttributePath": "name.familyName", "AttributeValue": "Liddell"},
        {"AttributePath": "emails", "AttributeValue": [{"Value": "alice@acme.example", "Primary": True}]},
        {"AttributePath": "title"}])
    user = ic.ids.describe_user(IdentityStoreId=ic.store, UserId=alice)
    assert (user["DisplayName"], user["Name"]["FamilyName"], user["Emails"][0]["Value"]) == (
        "Alice Liddell", "Liddell", "alice@acme.example")
    assert code(update, IdentityStoreId=ic.store, UserId=bob,
                Operations=[{"AttributePath": "userName", "AttributeValue": "Alice"}]) == "ConflictException"
    assert code(update, IdentityStoreId=ic.store, UserId=bob,
                Operations=[{"AttributePath": "displayName"}]) == "ValidationException"
    assert code(update, IdentityStoreId=ic.store, UserId=bob,
                Operations=[{"AttributePath": "shoeSize", "AttributeValue": "9"}]) == "ValidationException"
    assert code(update, IdentityStoreId=ic.store, UserId="a1b2c3d4-0000-0000-0000-000000000000",
                Operations=[{"AttributePath": "title", "AttributeValue": "x"}]) == "ResourceNotFoundException"


def test_update_group_changes_its_display_name_and_description(ic: IC) -> None:
    group, other = ic.group("team-a"), ic.group("team-b")
    ic.ids.update_group(IdentityStoreId=ic.store, GroupId=group, Operations=[
        {"AttributePath": "description", "AttributeValue": "awsroles team a"},
        {"AttributePath": "displayName", "AttributeValue": "team-aa"}])
    described = ic.ids.describe_group(IdentityStoreId=ic.store, GroupId=group)
    assert (described["DisplayName"], described["Description"]) == ("team-aa", "awsroles team a")
    assert code(ic.ids.update_group, IdentityStoreId=ic.store, GroupId=other,
                Operations=[{"AttributePath": "displayName", "AttributeValue": "team-aa"}]) == "ConflictException"


def test_a_user_is_in_a_group_once(ic: IC) -> None:
    user, group = ic.user(), ic.group()
    ic.ids.create_group_membership(IdentityStoreId=ic.store, GroupId=group, MemberId={"UserId": user})
    assert code(ic.ids.create_group_membership, IdentityStoreId=ic.store, GroupId=group,
                MemberId={"UserId": user}) == "ConflictException"


def test_deleting_a_group_or_user_removes_its_memberships_and_what_is_gone_is_not_found(ic: IC) -> None:
    alice, bob, group = ic.user("alice"), ic.user("bob"), ic.group()
    for user in (alice, bob):
        ic.ids.create_group_membership(IdentityStoreId=ic.store, GroupId=group, MemberId={"UserId": user})
    ic.ids.delete_user(IdentityStoreId=ic.store, UserId=bob)
    members = ic.ids.list_group_memberships(IdentityStoreId=ic.store, GroupId=group)["GroupMemberships"]
    assert [m["MemberId"]["UserId"] for m in members] == [alice]
    ic.ids.delete_group(IdentityStoreId=ic.store, GroupId=group)
    assert ic.ids.list_group_memberships_for_member(IdentityStoreId=ic.store,
                                                    MemberId={"UserId": alice})["GroupMemberships"] == []
    assert code(ic.ids.delete_group, IdentityStoreId=ic.store, GroupId=group) == "ResourceNotFoundException"
    assert code(ic.ids.delete_user, IdentityStoreId=ic.store, UserId=bob) == "ResourceNotFoundException"
    assert code(ic.ids.delete_group_membership, IdentityStoreId=ic.store,
                MembershipId=members[0]["MembershipId"]) == "ResourceNotFoundException"


def test_users_and_groups_are_found_by_filters_and_unique_attributes(ic: IC) -> None:
    alice, group = ic.user("alice"), ic.group("team-platform")
    ic.user("bob")
    found = ic.ids.list_users(IdentityStoreId=ic.store, Filters=[{"AttributePath": "UserName",
                                                                 "AttributeValue": "alice"}])["Users"]
    assert [u["UserId"] for u in found] == [alice]
    groups = ic.ids.list_groups(IdentityStoreId=ic.store, Filters=[{"AttributePath": "DisplayName",
                                                                    "AttributeValue": "team-platform"}])["Groups"]
    assert [g["GroupId"] for g in groups] == [group]
    assert ic.ids.get_user_id(IdentityStoreId=ic.store, AlternateIdentifier={"UniqueAttribute": {
        "AttributePath": "userName", "AttributeValue": "alice"}})["UserId"] == alice
    assert ic.ids.get_group_id(IdentityStoreId=ic.store, AlternateIdentifier={"UniqueAttribute": {
        "AttributePath": "displayName", "AttributeValue": "team-platform"}})["GroupId"] == group
