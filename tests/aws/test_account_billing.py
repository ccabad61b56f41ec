"""Account tags and alternate contacts against moto in-process, with the sandbox's Account
Management rules: apply sets them, puts back what was changed by hand, removes only the tags it
set, and the costs report maps an account the org file does not know by its Environment tag."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.accounts.contacts import ACCOUNT_SERVICE, ENABLE_TRUSTED_ACCESS
from awsroles.aws import Aws
from awsroles.costs.mapping import account_map
from awsroles.iam.checks import load_org
from awsroles.org.marks import ENVIRONMENT_TAG, TAGS_TAG
from awsroles.sync.engine import Engine
from awsroles.sync.plan import PlanOptions
from tests.aws.test_accounts import OPS, ORG_FILE, by_kind

JANE = "Jane Doe | Finance lead | jane@acme.example | +1 555 0100"
BILLING = ORG_FILE.replace("account_email = aws+{name}@acme.example\n",
                           f"account_email = aws+{{name}}@acme.example\ntags = CostCenter=42, Owner=finance\n"
                           f"billing_contact = {JANE}\n")
BILLING = BILLING.replace("description = production\n", "description = production\ntags = Owner=prod-team\n"
                          "security_contact = Sam Poe | CISO | sec@acme.example | +1 555 0111\n")


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text(BILLING)
    return path


@pytest.fixture
def account(ops_aws: Aws) -> Any:
    """An AWS Account Management client in ops, the management account."""
    return ops_aws.client("account")


def tags_of(orgs: Any, account_id: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]}


def contact(account: Any, kind: str, account_id: str | None = None) -> dict[str, str]:
    extra = {"AccountId": account_id} if account_id else {}
    found: dict[str, str] = account.get_alternate_contact(AlternateContactType=kind, **extra)["AlternateContact"]
    return found


def applied(org_path: Path, aws: Aws, options: PlanOptions | None = None) -> Engine:
    engine = Engine(load_org(org_path), aws)
    result = engine.apply(engine.plan(options=options))
    assert result.ok, result.summary()
    return engine


def test_apply_tags_and_sets_contacts_then_costs_map_the_account_by_its_environment_tag(
        org_path: Path, ops_aws: Aws, orgs: Any, account: Any) -> None:
    orgs.enable_aws_service_access(ServicePrincipal=ACCOUNT_SERVICE)
    applied(org_path, ops_aws)
    org = load_org(org_path)
    dev, prod = org.account("dev").id, org.account("prod").id
    assert tags_of(orgs, dev).items() >= {ENVIRONMENT_TAG: "dev", "CostCenter": "42", "Owner": "finance",
                                          TAGS_TAG: "CostCenter Environment Owner"}.items()
    assert tags_of(orgs, prod)["Owner"] == "prod-team"  # the account's own tag wins over [org]'s
    assert contact(account, "BILLING", dev) == {"AlternateContactType": "BILLING", "Name": "Jane Doe",
                                                "Title": "Finance lead", "EmailAddress": "jane@acme.example",
                                                "PhoneNumber": "+1 555 0100"}
    assert contact(account, "SECURITY", prod)["Name"] == "Sam Poe"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        contact(account, "SECURITY", dev)
    again = Engine(load_org(org_path), ops_aws).plan()
    assert not by_kind(again.changes, "account") and not again.conflicts
    # what plan read: one ListAWSServiceAccessForOrganization, three GetAlternateContact per account
    organization = Engine(load_org(org_path), ops_aws).read()["ops"].organization
    assert organization is not None and organization.contacts is not None
    assert set(organization.contacts.by_account) == {dev, prod} and organization.contacts.api_calls == 1 + 3 * 2

    # the costs report, for an account the org file does not know, reads the tag apply set
    without = replace(org, accounts=tuple(a for a in org.accounts if a.name != "dev"))
    assert account_map(without, orgs)[dev].environment == "dev"
    assert account_map(without, orgs)[dev].source == f"tag {ENVIRONMENT_TAG}"


def test_tags_and_contacts_changed_by_hand_are_drift_put_back_and_only_awsroles_tags_are_removed(
        org_path: Path, ops_aws: Aws, orgs: Any, account: Any) -> None:
    orgs.enable_aws_service_access(ServicePrincipal=ACCOUNT_SERVICE)
    applied(org_path, ops_aws)
    dev = load_org(org_path).account("dev").id
    orgs.tag_resource(ResourceId=dev, Tags=[{"Key": ENVIRONMENT_TAG, "Value": "prod"}, {"Key": "Mine", "Value": "x"}])
    account.put_alternate_contact(AccountId=dev, AlternateContactType="BILLING", Name="Max", Title="Clerk",
                                  EmailAddress="max@acme.example", PhoneNumber="1")
    change = by_kind(Engine(load_org(org_path), ops_aws).plan().changes, "account")["dev"]
    assert change.drift and change.details == (
        "tag Environment = dev (was 'prod' outside awsroles)",
        "billing contact Jane Doe <jane@acme.example> (was Max <max@acme.example>, set outside awsroles)")
    applied(org_path, ops_aws)
    assert tags_of(orgs, dev)[ENVIRONMENT_TAG] == "dev" and contact(account, "BILLING", dev)["Name"] == "Jane Doe"

    # Owner leaves the file: awsroles removes it (it set it); Mine, set by hand, stays
    org_path.write_text(org_path.read_text().replace("tags = CostCenter=42, Owner=finance\n", "tags = CostCenter=42\n"))
    applied(org_path, ops_aws)
    tags = tags_of(orgs, dev)
    assert "Owner" not in tags and tags["Mine"] == "x" and tags[TAGS_TAG] == "CostCenter Environment"
    assert Engine(load_org(org_path), ops_aws).plan().in_sync


def test_without_trusted_access_plan_says_how_to_enable_it_and_tags_still_apply(
        org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    applied(org_path, ops_aws)  # creates the accounts (with their tags); their contacts wait
    plan = Engine(load_org(org_path), ops_aws).plan()
    assert {c.name for c in plan.conflicts} == {"dev", "prod"}
    assert all(ENABLE_TRUSTED_ACCESS in c.reason for c in plan.conflicts)
    dev = load_org(org_path).account("dev").id
    assert tags_of(orgs, dev)["CostCenter"] == "42"


def test_the_management_accounts_contacts_are_set_without_its_id_once_adopted(
        org_path: Path, ops_aws: Aws, orgs: Any, account: Any) -> None:
    org_path.write_text(org_path.read_text().replace("id = 111111111111\n", "id = 111111111111\nbilling_contact = "
                                                     "Ann Lee | CFO | ann@acme.example | 555 0001\n"))
    orgs.enable_aws_service_access(ServicePrincipal=ACCOUNT_SERVICE)
    plan = Engine(load_org(org_path), ops_aws).plan()
    assert [c.name for c in plan.conflicts] == ["ops"] and "--adopt" in plan.conflicts[0].reason
    applied(org_path, ops_aws, PlanOptions(adopt=True))
    assert contact(account, "BILLING")["Name"] == "Ann Lee"


# -- the sandbox's Account Management rules (awsroles/sandbox/server/contacts.py) ------------------

FIELDS = {"AlternateContactType": "BILLING", "Name": "Jane", "Title": "Lead", "EmailAddress": "jane@acme.example",
          "PhoneNumber": "+1 555 0100"}


def refused(call: Any, code: str, text: str, **params: Any) -> None:
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert caught.value.response["Error"]["Code"] == code
    assert text in caught.value.response["Error"]["Message"]


def test_account_id_is_only_for_members_from_the_management_account_with_trusted_access(
        ops_aws: Aws, orgs: Any, account: Any) -> None:
    member = orgs.create_account(Email="m@acme.example", AccountName="m")["CreateAccountStatus"]["AccountId"]
    refused(account.put_alternate_contact, "AccessDeniedException", "Trusted access is not enabled",
            AccountId=member, **FIELDS)
    orgs.enable_aws_service_access(ServicePrincipal=ACCOUNT_SERVICE)
    refused(account.put_alternate_contact, "AccessDeniedException", "standalone context", AccountId=OPS, **FIELDS)
    refused(account.get_alternate_contact, "AccessDeniedException", "standalone context", AccountId=OPS,
            AlternateContactType="BILLING")
    refused(account.put_alternate_contact, "AccessDeniedException", "not a member of your organization",
            AccountId="999999999999", **FIELDS)
    account.put_alternate_contact(AccountId=member, **FIELDS)
    account.put_alternate_contact(**FIELDS)  # the management account's own: no AccountId
    assert contact(account, "BILLING", member)["Name"] == "Jane"


def test_contact_fields_outside_the_api_constraints_are_refused(ops_aws: Aws, account: Any) -> None:
    refused(account.put_alternate_contact, "ValidationException", "phoneNumber", **{**FIELDS, "PhoneNumber": "CALL"})
    refused(account.put_alternate_contact, "ValidationException", "title", **{**FIELDS, "Title": "t" * 51})
    refused(account.put_alternate_contact, "ValidationException", "emailAddress",
            **{**FIELDS, "EmailAddress": "jane(at)acme"})
