"""The accounts-and-OUs planner, pure: the org file against a live organization made by hand."""

from __future__ import annotations

from awsroles.accounts.state import LiveOrgAccount, LiveOrganization, LiveOU
from awsroles.org.marks import ENVIRONMENT_TAG, MANAGED_BY_TAG, ORG_TAG, OU_TAG, TAGS_TAG
from awsroles.sync.accounts import plan_organization
from awsroles.sync.plan import PlanOptions
from tests.unit.test_org_accounts import org_text
from tests.unit.test_orgfile import valid

OURS = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: "acme"}
ROOT = "r-1"
TAGGED = {ENVIRONMENT_TAG: "dev", TAGS_TAG: ENVIRONMENT_TAG}  # what apply tags dev with (awsroles.sync.billing)


def live(*accounts: LiveOrgAccount, ous: dict[str, dict[str, str]] | None = None) -> LiveOrganization:
    base = [LiveOrgAccount("111111111111", "master", "root@acme.example", "ACTIVE", ""),
            LiveOrgAccount("444444444444", "prod", "prod@acme.example", "ACTIVE", "")]
    return LiveOrganization(ROOT, {a.id: a for a in [*base, *accounts]},
                            {p: LiveOU(f"ou-{i}", p, t) for i, (p, t) in enumerate((ous or {}).items())})


def test_nothing_to_do_when_every_account_exists_in_its_ou() -> None:
    org = valid(org_text(dev="ou = Workloads").replace("environment = dev\n", "id = 222222222222\nenvironment = dev\n"))
    dev = LiveOrgAccount("222222222222", "dev", "aws+dev@acme.example", "ACTIVE", "Workloads", {**OURS, **TAGGED})
    out = plan_organization(org, live(dev, ous={"Workloads": OURS}))
    assert not out.changes and not out.conflicts and not out.retained


def test_an_ou_changed_in_the_file_is_an_update_not_drift() -> None:
    org = valid(org_text(dev="ou = Workloads/Dev").replace("environment = dev\n",
                                                           "id = 222222222222\nenvironment = dev\n"))
    dev = LiveOrgAccount("222222222222", "dev", "aws+dev@acme.example", "ACTIVE", "Workloads",
                         {**OURS, **TAGGED, OU_TAG: "Workloads"})
    out = plan_organization(org, live(dev, ous={"Workloads": OURS}))
    assert [(c.kind, c.name, c.action, c.drift) for c in out.changes] == [
        ("ou", "Workloads/Dev", "create", False), ("account", "dev", "update", False)]
    assert out.changes[1].details == ("move from OU Workloads to OU Workloads/Dev",)


def test_a_closed_account_with_the_declared_email_is_never_reopened_nor_duplicated() -> None:
    dev = LiveOrgAccount("222222222222", "old-dev", "aws+dev@acme.example", "SUSPENDED", "")
    out = plan_organization(valid(org_text()), live(dev))
    assert not out.changes
    assert [c.reason for c in out.conflicts] == [
        "the organization's account 222222222222 with its e-mail address is SUSPENDED: awsroles neither reopens "
        "nor duplicates it"]


def test_several_accounts_with_the_declared_name_need_the_id() -> None:
    twins = [LiveOrgAccount(i, "dev", f"{i}@acme.example", "ACTIVE", "") for i in ("222222222222", "333333333333")]
    out = plan_organization(valid(org_text()), live(*twins))
    assert "several accounts in the organization have this name (222222222222, 333333333333)" in out.conflicts[0].reason


def test_an_account_of_another_org_is_not_retained_by_this_one() -> None:
    theirs = LiveOrgAccount("555555555555", "x", "x@acme.example", "ACTIVE", "", {**OURS, ORG_TAG: "other"})
    ours = LiveOrgAccount("666666666666", "y", "y@acme.example", "ACTIVE", "", OURS)
    out = plan_organization(valid(org_text()), live(theirs, ours))
    assert [f.name for f in out.retained] == ["y"]


def test_a_declared_id_outside_the_organization_is_a_conflict() -> None:
    org = valid(org_text(prod="ou = Workloads"))
    out = plan_organization(org, LiveOrganization(ROOT, {}, {}), PlanOptions(adopt=True))
    assert [(c.name, c.reason.split(":")[0]) for c in out.conflicts] == [
        ("prod", "444444444444 is not in the organization of the management account ops (111111111111)")]
