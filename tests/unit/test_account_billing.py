"""Account tags and alternate contacts: the org file's syntax and AWS's rules (one FILE:LINE problem
each), and the pure planner (awsroles.sync.billing through plan_organization)."""

from __future__ import annotations

from typing import Any

import pytest

from awsroles.accounts.contacts import ENABLE_TRUSTED_ACCESS, LiveContacts
from awsroles.accounts.state import LiveOrgAccount, LiveOrganization
from awsroles.costs.mapping import DEFAULT_TAG
from awsroles.org.entries import Contact
from awsroles.org.marks import ENVIRONMENT_TAG, MANAGED_BY_TAG, ORG_TAG, TAGS_TAG
from awsroles.org.model import Org
from awsroles.sync.accounts import ORGANIZATIONS_CALLS, TAG_ACCOUNT, plan_organization
from awsroles.sync.billing import PUT_CONTACT, UNTAG_ACCOUNT
from awsroles.sync.organizations import OrganizationsRunner
from awsroles.sync.plan import Change, PlanOptions
from tests.unit.test_org_accounts import org_text
from tests.unit.test_orgfile import errors, valid

OURS = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: "acme"}
JANE = "Jane Doe | Finance lead | jane@acme.example | +1 555 0100"
BOB = "Bob Roe | On call | ops@acme.example | (555) 0199"


def with_ids(org: str = "", dev: str = "", prod: str = "") -> str:
    """Every account exists (dev has an id): nothing to create."""
    text = org_text(org=org, dev=dev, prod=prod)
    return text.replace("environment = dev\n", "id = 222222222222\nenvironment = dev\n")


def live(*accounts: LiveOrgAccount, contacts: LiveContacts | None = None) -> LiveOrganization:
    base = [LiveOrgAccount("111111111111", "master", "root@acme.example", "ACTIVE", "")]
    return LiveOrganization("r-1", {a.id: a for a in [*base, *accounts]}, {}, 0, None, contacts)


def dev(tags: dict[str, str]) -> LiveOrgAccount:
    return LiveOrgAccount("222222222222", "dev", "aws+dev@acme.example", "ACTIVE", "", tags)


# -- the org file ----------------------------------------------------------------------------------


def test_account_tags_are_org_tags_then_the_accounts_own_then_environment() -> None:
    org = valid(with_ids(org="tags = CostCenter=42, Owner=finance", dev="tags = Owner=platform, Team = a b"))
    assert org.account_tags(org.account("dev")) == {
        "CostCenter": "42", "Owner": "platform", "Team": "a b", ENVIRONMENT_TAG: "dev"}
    assert org.account_tags(org.account("ops")) == {"CostCenter": "42", "Owner": "finance"}
    assert org.uses_accounts


def test_the_environment_tag_is_the_one_the_costs_report_reads() -> None:
    assert ENVIRONMENT_TAG == DEFAULT_TAG


def test_an_account_without_environment_may_set_the_environment_tag() -> None:
    org = valid(with_ids(org="", dev="").replace("[account ops]\n", "[account ops]\ntags = Environment=shared\n"))
    assert org.account_tags(org.account("ops")) == {ENVIRONMENT_TAG: "shared"}


@pytest.mark.parametrize(("tags", "message"), [
    ("Owner", "tag 'Owner' is not Key=Value"),
    ("aws:cost=1", "tag key 'aws:cost' begins with 'aws:', which AWS keeps for itself"),
    ("managed-by=me", "tag key 'managed-by' is awsroles' own mark: it cannot be set from the org file"),
    ("awsroles-tags=x", "tag key 'awsroles-tags' is awsroles' own mark: it cannot be set from the org file"),
    ("Environment=x", "tag key 'Environment' is set by awsroles from the account's environment"),
    ("K" * 129 + "=1", "is too long: AWS allows keys of 128 and values of 256 characters"),
    ("Owner=" + "v" * 257, "tag 'Owner' is too long"),
    ("Cost Center=1", "has characters awsroles does not accept in tags"),
    ("Owner=a;b", "has characters awsroles does not accept in tags"),
    ("Owner=a, Owner=b", "duplicate tag 'Owner'"),
])
def test_bad_tags_are_one_line_each_at_their_line(tags: str, message: str) -> None:
    found = errors(with_ids(dev=f"tags = {tags}"))
    assert len(found) == 1 and found[0].startswith("org.ini:12: ") and message in found[0], found


def test_at_most_50_tags_per_account_with_awsroles_marks() -> None:
    many = ", ".join(f"K{i}=v" for i in range(46))
    found = errors(with_ids(dev=f"tags = {many}"))
    assert found == ["org.ini:12: 47 tags (with [org] tags and Environment): AWS allows 50 per account and "
                     "awsroles uses 4"]
    valid(with_ids(dev="tags = " + ", ".join(f"K{i}=v" for i in range(45))))


def test_the_keys_awsroles_records_fit_one_tag_value() -> None:
    keys = ", ".join(f"{'K' * 60}{i}=v" for i in range(5))
    assert "awsroles records them in one tag (awsroles-tags)" in errors(with_ids(dev=f"tags = {keys}"))[0]


def test_the_org_tags_may_not_set_environment() -> None:
    assert errors(with_ids(org="tags = Environment=x")) == [
        "org.ini:4: tag key 'Environment' is set by awsroles from the account's environment"]


def test_contacts_are_the_accounts_own_over_the_orgs() -> None:
    org = valid(with_ids(org=f"billing_contact = {JANE}\nsecurity_contact = {JANE}", dev=f"security_contact = {BOB}"))
    jane = Contact("BILLING", "Jane Doe", "Finance lead", "jane@acme.example", "+1 555 0100")
    assert org.account_contacts(org.account("dev")) == {
        "BILLING": jane, "SECURITY": Contact("SECURITY", "Bob Roe", "On call", "ops@acme.example", "(555) 0199")}
    assert org.account_contacts(org.account("prod"))["SECURITY"].name == "Jane Doe"


@pytest.mark.parametrize(("value", "message"), [
    ("Jane | Lead | jane@acme.example", "billing_contact needs Name | Title | Email | Phone (4 fields separated by "
                                        "'|'), got 3"),
    (" | Lead | jane@acme.example | 1", "billing_contact: the name is 0 characters; AWS accepts 1 to 64"),
    ("Jane | " + "t" * 51 + " | jane@acme.example | 1", "the title is 51 characters; AWS accepts 1 to 50"),
    ("Jane | Lead | jane(at)acme | 1", "billing_contact: 'jane(at)acme' is not an e-mail address AWS accepts"),
    ("Jane | Lead | jane@acme.example | +1 555 CALL", "phone '+1 555 CALL' may hold only digits, spaces and ( ) + -"),
    ("Jane | Lead | jane@acme.example | " + "1" * 26, "the phone is 26 characters; AWS accepts 1 to 25"),
])
def test_bad_contacts_are_one_line_each(value: str, message: str) -> None:
    found = errors(with_ids(dev=f"billing_contact = {value}"))
    assert len(found) == 1 and found[0].startswith("org.ini:12: ") and message in found[0], found


# -- the plan --------------------------------------------------------------------------------------


def plan(org: Org, organization: LiveOrganization, adopt: bool = False):  # type: ignore[no-untyped-def]
    return plan_organization(org, organization, PlanOptions(adopt=adopt))


def test_an_owned_account_gets_environment_and_the_file_tags_recorded_in_awsroles_tags() -> None:
    out = plan(valid(with_ids(dev="tags = CostCenter=42")), live(dev(OURS)))
    [change] = out.changes
    assert (change.action, change.drift) == ("update", False)
    assert change.ops == ((TAG_ACCOUNT, {"AccountName": "dev", "AccountId": "222222222222", "Tags": [
        {"Key": "CostCenter", "Value": "42"}, {"Key": ENVIRONMENT_TAG, "Value": "dev"},
        {"Key": TAGS_TAG, "Value": "CostCenter Environment"}]}),)
    assert change.details == ("tag CostCenter = 42", "tag Environment = dev")


def test_an_account_whose_tags_match_needs_nothing() -> None:
    tags = {**OURS, ENVIRONMENT_TAG: "dev", "CostCenter": "42", TAGS_TAG: "CostCenter Environment"}
    assert not plan(valid(with_ids(dev="tags = CostCenter=42")), live(dev(tags))).changes


def test_a_tag_awsroles_set_changed_by_hand_is_drift_put_back() -> None:
    tags = {**OURS, ENVIRONMENT_TAG: "prod", "CostCenter": "42", TAGS_TAG: "CostCenter Environment"}
    [change] = plan(valid(with_ids(dev="tags = CostCenter=42")), live(dev(tags))).changes
    assert change.drift and change.details == ("tag Environment = dev (was 'prod' outside awsroles)",)
    assert change.ops[0][1]["Tags"] == [{"Key": ENVIRONMENT_TAG, "Value": "dev"}]


def test_tags_awsroles_did_not_set_are_never_removed_and_its_own_are_once_out_of_the_file() -> None:
    tags = {**OURS, ENVIRONMENT_TAG: "dev", "CostCenter": "42", "Owner": "x", "Mine": "y",
            TAGS_TAG: "CostCenter Environment Owner"}
    [change] = plan(valid(with_ids(dev="tags = CostCenter=42")), live(dev(tags))).changes
    assert change.ops == (
        (TAG_ACCOUNT, {"AccountName": "dev", "AccountId": "222222222222",
                       "Tags": [{"Key": TAGS_TAG, "Value": "CostCenter Environment"}]}),
        (UNTAG_ACCOUNT, {"AccountName": "dev", "AccountId": "222222222222", "TagKeys": ["Owner"]}))
    assert not change.drift and change.details == ("untag Owner (set by awsroles, no longer in the org file)",)


def test_a_tag_set_by_hand_that_the_file_now_declares_is_taken_over_not_drift() -> None:
    tags = {**OURS, ENVIRONMENT_TAG: "dev", "Owner": "x", TAGS_TAG: "Environment"}
    [change] = plan(valid(with_ids(dev="tags = Owner=finance")), live(dev(tags))).changes
    assert not change.drift and change.details == ("tag Owner = finance (was 'x')",)


def test_an_unowned_account_is_not_tagged_for_its_environment_nor_the_org_tags() -> None:
    assert not plan(valid(with_ids(org="tags = CostCenter=1")), live(dev({}))).changes


def test_an_unowned_account_with_its_own_tags_is_a_conflict_unless_adopted() -> None:
    org = valid(with_ids(dev="tags = CostCenter=42"))
    out = plan(org, live(dev({})))
    assert not out.changes and [c.reason for c in out.conflicts] == [
        "222222222222 has no awsroles mark (the tags managed-by = awsroles and awsroles-org), so awsroles sets "
        "neither its tags nor its alternate contacts: adopt it with `awsroles apply --adopt`"]
    [change] = plan(org, live(dev({})), adopt=True).changes
    assert change.action == "adopt" and change.ops[0][1]["Tags"] == [
        {"Key": MANAGED_BY_TAG[0], "Value": MANAGED_BY_TAG[1]}, {"Key": ORG_TAG, "Value": "acme"}]
    assert change.ops[1][1]["Tags"][-1] == {"Key": TAGS_TAG, "Value": "CostCenter Environment"}


def test_an_account_created_by_apply_carries_its_tags_from_the_start() -> None:
    org = valid(org_text(org="account_email = aws+{name}@acme.example\ntags = CostCenter=1"))
    create = next(c for c in plan(org, live()).changes if c.name == "dev")
    tags = create.ops[0][1]["Tags"]
    assert {"Key": ENVIRONMENT_TAG, "Value": "dev"} in tags and {"Key": "CostCenter", "Value": "1"} in tags
    assert {"Key": TAGS_TAG, "Value": "CostCenter Environment"} in tags
    assert "tag Environment = dev" in create.details


def contacts(enabled: bool = True, **by_account: dict[str, Contact | None]) -> LiveContacts:
    return LiveContacts(enabled, by_account)


def test_contacts_the_account_lacks_are_put_with_its_id() -> None:
    org = valid(with_ids(dev=f"billing_contact = {JANE}"))
    tags = {**OURS, ENVIRONMENT_TAG: "dev", TAGS_TAG: "Environment"}
    none: dict[str, Contact | None] = {"BILLING": None, "OPERATIONS": None, "SECURITY": None}
    [change] = plan(org, live(dev(tags), contacts=contacts(**{"222222222222": none}))).changes
    assert change.ops == ((PUT_CONTACT, {
        "AccountName": "dev", "AccountId": "222222222222", "Management": False, "AlternateContactType": "BILLING",
        "Name": "Jane Doe", "Title": "Finance lead", "EmailAddress": "jane@acme.example",
        "PhoneNumber": "+1 555 0100"}),)
    assert change.details == ("billing contact Jane Doe <jane@acme.example>",) and not change.drift


def test_a_contact_changed_by_hand_is_drift_and_one_that_matches_needs_nothing() -> None:
    org = valid(with_ids(dev=f"billing_contact = {JANE}"))
    tags = {**OURS, ENVIRONMENT_TAG: "dev", TAGS_TAG: "Environment"}
    jane = org.account_contacts(org.account("dev"))["BILLING"]
    assert not plan(org, live(dev(tags), contacts=contacts(**{"222222222222": {"BILLING": jane}}))).changes
    other = Contact("BILLING", "Max", "Clerk", "max@acme.example", "1")
    [change] = plan(org, live(dev(tags), contacts=contacts(**{"222222222222": {"BILLING": other}}))).changes
    assert change.drift and "(was Max <max@acme.example>, set outside awsroles)" in change.details[0]


def test_without_trusted_access_the_plan_says_how_to_enable_it() -> None:
    org = valid(with_ids(dev=f"billing_contact = {JANE}"))
    tags = {**OURS, ENVIRONMENT_TAG: "dev", TAGS_TAG: "Environment"}
    out = plan(org, live(dev(tags), contacts=contacts(enabled=False)))
    assert not out.changes
    assert [c.reason for c in out.conflicts] == [
        "its alternate contacts are not set: trusted access for AWS Account Management is not enabled in the "
        f"organization; enable it once from the management account with `{ENABLE_TRUSTED_ACCESS}`"]
    assert ENABLE_TRUSTED_ACCESS == ("aws organizations enable-aws-service-access --service-principal "
                                     "account.amazonaws.com")


def test_the_management_accounts_contacts_are_put_without_its_id_even_without_trusted_access() -> None:
    org = valid(with_ids().replace("[account ops]\n", f"[account ops]\nbilling_contact = {JANE}\n"))
    master = LiveOrgAccount("111111111111", "master", "root@acme.example", "ACTIVE", "", OURS)
    organization = LiveOrganization("r-1", {master.id: master}, {}, 0, None, contacts(enabled=False))
    [change] = plan(org, organization).changes
    assert [op[1]["Management"] for op in change.ops if op[0] == PUT_CONTACT] == [True]


def test_a_new_account_gets_its_contacts_after_creation() -> None:
    org = valid(org_text(org=f"account_email = aws+{{name}}@acme.example\nbilling_contact = {JANE}"))
    create = next(c for c in plan(org, live(contacts=contacts())).changes if c.name == "dev")
    assert [(m, p["AccountId"]) for m, p in create.ops if m == PUT_CONTACT] == [(PUT_CONTACT, "")]


def test_the_new_calls_are_among_those_apply_runs() -> None:
    assert {UNTAG_ACCOUNT, PUT_CONTACT} <= ORGANIZATIONS_CALLS


# -- the runner ------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda **params: self.calls.append((name, params))


def change(*ops: tuple[str, dict[str, Any]]) -> Change:
    return Change("ops", "111111111111", "update", "account", "dev", ops=tuple(ops))


def test_the_runner_never_removes_awsroles_marks_even_from_a_saved_plan() -> None:
    orgs = Recorder()
    runner = OrganizationsRunner(orgs, lambda _n, _i: None)
    runner.run(change((UNTAG_ACCOUNT, {"AccountName": "dev", "AccountId": "222222222222", "TagKeys": ["Owner"]})))
    assert orgs.calls == [("untag_resource", {"ResourceId": "222222222222", "TagKeys": ["Owner"]})]
    with pytest.raises(ValueError, match="refusing to remove the tag managed-by of account 222222222222"):
        runner.run(change((UNTAG_ACCOUNT, {"AccountName": "dev", "AccountId": "222222222222",
                                           "TagKeys": ["managed-by"]})))


def test_the_runner_names_member_accounts_and_never_the_management_account() -> None:
    account = Recorder()
    runner = OrganizationsRunner(Recorder(), lambda _n, _i: None, account=lambda: account)
    params = {"AccountName": "dev", "AlternateContactType": "BILLING", "Name": "J", "Title": "T",
              "EmailAddress": "j@acme.example", "PhoneNumber": "1"}
    runner.run(change((PUT_CONTACT, {**params, "AccountId": "222222222222", "Management": False}),
                      (PUT_CONTACT, {**params, "AccountId": "111111111111", "Management": True})))
    fields = {k: v for k, v in params.items() if k != "AccountName"}
    assert account.calls == [("put_alternate_contact", {**fields, "AccountId": "222222222222"}),
                             ("put_alternate_contact", fields)]


def test_a_contact_no_longer_in_the_file_is_left_in_aws() -> None:
    org = valid(with_ids())
    tags = {**OURS, ENVIRONMENT_TAG: "dev", TAGS_TAG: "Environment"}
    held = Contact("BILLING", "Max", "Clerk", "max@acme.example", "1")
    assert not plan(org, live(dev(tags), contacts=contacts(**{"222222222222": {"BILLING": held}}))).changes


def test_contacts_alone_make_the_file_use_organizations() -> None:
    assert valid(with_ids(dev=f"billing_contact = {JANE}")).uses_accounts
    assert not valid(with_ids()).uses_accounts
