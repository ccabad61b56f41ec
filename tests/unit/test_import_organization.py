"""The organization part of an import, pure: SCP documents back into guardrails, the e-mail pattern,
and what the org file cannot say reported as warnings."""

from __future__ import annotations

import json
from dataclasses import replace

from awsroles.accounts.contacts import LiveContacts
from awsroles.accounts.guardrails import Context, document
from awsroles.accounts.scps import LiveScp, LiveScps
from awsroles.accounts.state import LiveOrgAccount, LiveOrganization, LiveOU
from awsroles.importer.accounts import Accounts
from awsroles.importer.organization import email_pattern, guardrails_of, import_organization
from awsroles.importer.settings import OrgSettings
from awsroles.org.entries import SCP_ACCOUNT, SCP_OU, Account, Contact
from awsroles.org.guardrails import Guardrail, parse
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG, TAGS_TAG

MARK = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: "acme"}


def test_every_guardrail_reads_back_from_the_document_awsroles_makes() -> None:
    listed, problems = parse("allowed-regions eu-west-1 us-east-1, deny-leave-organization, deny-root-user, "
                             "protect-awsroles, protect-security-services")
    assert not problems
    for ctx in (Context(), Context("/people/", "Bootstrap", "aws-us-gov")):
        found, unknown = guardrails_of(document(listed, ctx))
        assert sorted(found, key=lambda g: g.name) == sorted(listed, key=lambda g: g.name) and unknown == []
    edited = document([Guardrail("deny-root-user")], Context())
    edited["Statement"].append({"Sid": "Mine", "Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    assert guardrails_of(edited) == ([Guardrail("deny-root-user")], ["Mine"])


def test_the_account_email_pattern_is_the_one_most_addresses_follow() -> None:
    def accounts(*pairs: tuple[str, str]) -> list[Account]:
        return [Account(name, "1" * 12, email=email) for name, email in pairs]

    assert email_pattern(accounts(("dev", "aws+dev@acme.example"), ("prod", "aws+prod@acme.example"),
                                  ("ops", "root@acme.example"))) == "aws+{name}@acme.example"
    assert email_pattern(accounts(("dev", "aws+dev@acme.example"), ("ops", "root@acme.example"))) == ""  # one only
    assert email_pattern(accounts(("dev", "aws+dev@acme.example"), ("prod", ""))) == ""  # an account without one


def organization(*scps: LiveScp) -> LiveOrganization:
    return LiveOrganization(
        "r-root",
        {"111111111111": LiveOrgAccount("111111111111", "ops", "ops@acme.example", "ACTIVE", ""),
         "222222222222": LiveOrgAccount("222222222222", "dev", "dev@acme.example", "ACTIVE", "Workloads", MARK),
         "333333333333": LiveOrgAccount("333333333333", "other", "x@acme.example", "ACTIVE", "")},
        {"Workloads": LiveOU("ou-1", "Workloads", MARK)},
        scps=LiveScps(enabled=True, policies={s.name: s for s in scps}))


def test_what_the_org_file_cannot_say_is_reported() -> None:
    accounts = Accounts((Account("ops", "111111111111"), Account("dev", "222222222222", "dev")), "ops", "ops",
                        "AWS Organizations")
    guardrails = json.dumps(document([Guardrail("deny-root-user")], Context()))
    part = import_organization(accounts, organization(
        LiveScp("p-1", "awsroles-acme-guardrails-ou-Workloads", guardrails, MARK, ("ou-1", "r-root")),
        LiveScp("p-2", "awsroles-acme-scp-mine", guardrails, {}, ("ou-1",)),
        LiveScp("p-3", "awsroles-acme-scp-shared", guardrails, MARK, ("222222222222", "333333333333")),
    ), OrgSettings(name="acme"), others=("by-hand",))
    assert part.warnings == [
        "SCP awsroles-acme-guardrails-ou-Workloads is also attached to the root, which the org file cannot say (one "
        "guardrails SCP per target): `awsroles plan` shows it detached",
        "SCP awsroles-acme-scp-mine (p-2) is at awsroles' prefix without its mark: not imported (never changed by "
        "awsroles; `awsroles apply --adopt` takes it over once the org file lists it)",
        "SCP awsroles-acme-scp-shared is attached to account other (333333333333), which is not imported: that "
        "attachment is not imported",
        "1 SCP(s) not made by awsroles are not imported (awsroles never changes them): by-hand",
    ]
    assert [(a.name, a.email, a.ou) for a in part.accounts] == [("ops", "ops@acme.example", ""),
                                                                ("dev", "dev@acme.example", "Workloads")]
    assert [(t.kind, t.name, t.guardrails, [f.source for f in t.scp_files]) for t in part.scp_targets] == [
        (SCP_OU, "Workloads", (Guardrail("deny-root-user"),), []), (SCP_ACCOUNT, "dev", (), ["shared.json"])]
    assert part.ous == ("Workloads",)


def test_a_management_account_that_is_not_ops_is_written_as_management_account() -> None:
    accounts = Accounts((Account("ops", "333333333333"), Account("payer", "111111111111")), "ops", "payer",
                        "AWS Organizations")
    part = import_organization(accounts, organization(), OrgSettings(name="acme"))
    assert part.management_account == "payer"
    same = Accounts((Account("ops", "111111111111"),), "ops", "ops", "AWS Organizations")
    assert import_organization(same, organization(), OrgSettings(name="acme")).management_account == ""


def test_edited_guardrails_an_scp_file_named_like_a_role_policy_and_an_ou_name_with_a_slash() -> None:
    accounts = Accounts((Account("ops", "111111111111"), Account("dev", "222222222222", "dev")), "ops", "ops",
                        "AWS Organizations")
    edited = document([Guardrail("deny-root-user")], Context())
    edited["Statement"].append({"Sid": "Mine", "Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    live = organization(
        LiveScp("p-1", "awsroles-acme-guardrails-root", json.dumps(edited), MARK, ("r-root",)),
        LiveScp("p-2", "awsroles-acme-scp-shared", json.dumps(edited), MARK, ("r-root",)))
    odd = LiveOrganization(live.root_id, {**live.accounts, "222222222222": LiveOrgAccount(
        "222222222222", "dev", "dev@acme.example", "ACTIVE", "Team/A ; B")}, live.ous, scps=live.scps)
    part = import_organization(accounts, odd, OrgSettings(name="acme"), role_files={"shared.json": "{}\n"})
    assert part.warnings[:2] == [
        "account dev: OU path 'Team/A ; B' cannot be written in an org file (an OU name with '/', white space around "
        "it, ';' or '#'): left out",
        "SCP awsroles-acme-guardrails-root: statements Mine are no guardrail's: imported as guardrails deny-root-user "
        "(the root); `awsroles plan` shows the update that removes them",
    ]
    assert part.accounts[1].ou == ""
    assert list(part.policy_files) == ["scp/shared.json"]  # shared.json is a role's policy, with another document
    assert [f.source for t in part.scp_targets for f in t.scp_files] == ["scp/shared.json"]


def test_an_owned_accounts_tags_and_contacts_come_back_and_what_the_file_cannot_say_is_reported() -> None:
    """Only the tags awsroles recorded (awsroles-tags), not Environment where it is the environment, never
    its marks; contacts as read; a tag or contact the org file cannot hold, and contacts not read because
    trusted access is off, are warnings. An account awsroles does not own gets neither."""
    billing = Contact("BILLING", "Jane Doe", "Finance lead", "jane@acme.example", "+1 555 0100")
    odd = Contact("SECURITY", "A | B", "CISO", "sec@acme.example", "555")
    tags = MARK | {TAGS_TAG: "CostCenter Environment Odd Gone managed-by", "CostCenter": "42", "Environment": "dev",
                   "Odd": "a, b", "ByHand": "x"}
    live = organization()
    live = replace(live, accounts={**live.accounts, "222222222222": replace(live.accounts["222222222222"], tags=tags),
                                   "444444444444": LiveOrgAccount("444444444444", "qa", "qa@acme.example", "ACTIVE",
                                                                  "", MARK | {TAGS_TAG: "Environment",
                                                                              "Environment": "qa"})},
                   contacts=LiveContacts(False, {"222222222222": {"BILLING": billing, "OPERATIONS": None,
                                                                  "SECURITY": odd}}))
    accounts = Accounts((Account("ops", "111111111111", email="ops@acme.example", contacts=(billing,)),
                         Account("dev", "222222222222", "dev"), Account("qa", "444444444444")), "ops", "ops",
                        "AWS Organizations")
    part = import_organization(accounts, live, OrgSettings(name="acme"))
    assert [(a.name, a.tags, a.contacts) for a in part.accounts] == [
        ("ops", (), (billing,)),  # not awsroles': as it came
        ("dev", (("CostCenter", "42"),), (billing,)),
        ("qa", (("Environment", "qa"),), ()),  # no environment here: Environment is its own tag
    ]
    assert part.warnings == [
        "account dev (222222222222): tag Odd='a, b' cannot be written in an org file: left out (`awsroles plan` "
        "shows it removed)",
        "account dev (222222222222): its security contact cannot be written in an org file: left out (awsroles "
        "leaves it as it is)",
        "account qa (444444444444): its alternate contacts are not read: trusted access for AWS Account Management "
        "is not enabled (`aws organizations enable-aws-service-access --service-principal account.amazonaws.com`), "
        "or access to them was denied",
    ]


def test_what_every_owned_account_has_alike_goes_to_org_but_environment_and_never_for_one_account() -> None:
    contact = Contact("BILLING", "Jane Doe", "Finance lead", "jane@acme.example", "+1 555 0100")
    tags = MARK | {TAGS_TAG: "Environment Owner", "Environment": "shared", "Owner": "finance"}

    def owned(*ids: str) -> LiveOrganization:
        live = organization()
        return replace(live, accounts={i: LiveOrgAccount(i, f"a{i[0]}", f"{i[0]}@acme.example", "ACTIVE", "", tags)
                                       for i in ids} | {"111111111111": live.accounts["111111111111"]},
                       contacts=LiveContacts(True, {i: {"BILLING": contact} for i in ids}))

    two = ("222222222222", "444444444444")
    accounts = Accounts((Account("ops", "111111111111"), *(Account(f"a{i[0]}", i) for i in two)), "ops", "ops",
                        "AWS Organizations")
    part = import_organization(accounts, owned(*two), OrgSettings(name="acme"))
    assert (part.tags, part.contacts) == ((("Owner", "finance"),), (contact,))
    assert [(a.name, a.tags, a.contacts) for a in part.accounts] == [
        ("ops", (), ()), ("a2", (("Environment", "shared"),), ()), ("a4", (("Environment", "shared"),), ())]
    one = import_organization(replace(accounts, accounts=accounts.accounts[:2]), owned(two[0]), OrgSettings("acme"))
    assert (one.tags, one.contacts) == ((), ())
    assert one.accounts[1].tags == (("Environment", "shared"), ("Owner", "finance"))
