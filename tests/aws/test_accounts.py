"""Accounts as code against moto in-process: accounts created through Organizations and their ids
written into the org file, accounts found by e-mail or name adopted (never duplicated), OUs made
and accounts moved with the same ownership rules as IAM, and no account ever closed or removed."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.iam.checks import load_org
from awsroles.org.marks import ENVIRONMENT_TAG, MANAGED_BY_TAG, ORG_TAG, OU_TAG, TAGS_TAG
from awsroles.sync.accounts import ORGANIZATIONS_CALLS
from awsroles.sync.engine import Engine
from awsroles.sync.organizations import OrganizationsRunner
from awsroles.sync.plan import Change, PlanOptions
from tests.conftest import REPO

OPS = "111111111111"
ORG_FILE = """\
; Acme, from an organization with only its management account.
[org]
name = acme
region = us-east-1
ops_account = ops              ; management account too
account_email = aws+{name}@acme.example
policy_dir = policies

[account ops]
id = 111111111111

[account dev]    ; created by apply
environment = dev
ou = Workloads/Dev

[account prod]
environment = prod
ou = Workloads/Prod
description = production

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[team platform]
members = alice
dev = admin
prod = admin

[user alice]
email = alice@acme.example
"""


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    path = tmp_path / "awsroles.ini"
    path.write_text(ORG_FILE)
    return path


def engine_for(path: Path, aws: Aws) -> Engine:
    return Engine(load_org(path), aws)


def live_accounts(orgs: Any) -> dict[str, dict[str, Any]]:
    return {a["Name"]: a for a in orgs.list_accounts()["Accounts"]}


def parent_path(orgs: Any, account_id: str) -> str:
    names = []
    child = account_id
    while True:
        parent = orgs.list_parents(ChildId=child)["Parents"][0]
        if parent["Type"] == "ROOT":
            return "/".join(reversed(names))
        names.append(orgs.describe_organizational_unit(OrganizationalUnitId=parent["Id"])["OrganizationalUnit"]["Name"])
        child = parent["Id"]


def by_kind(changes: tuple[Change, ...], kind: str) -> dict[str, Change]:
    return {c.name: c for c in changes if c.kind == kind}


def test_accounts_declared_without_ids_are_created_recorded_placed_then_given_iam(
        org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    engine = engine_for(org_path, ops_aws)
    plan = engine.plan()
    assert list(by_kind(plan.changes, "ou")) == ["Workloads", "Workloads/Dev", "Workloads/Prod"]
    accounts = by_kind(plan.changes, "account")
    assert {n: c.action for n, c in accounts.items()} == {"dev": "create", "prod": "create"}
    assert "e-mail aws+dev@acme.example" in accounts["dev"].details
    assert all(c.account == "ops" for c in plan.changes[:5])
    # IAM waits for the accounts: ops gets its users and team, but no grant names an account yet
    assert {c.account for c in plan.changes if c.kind not in ("ou", "account")} == {"ops"}

    heard: list[str] = []
    result = engine.apply(plan, progress=heard.append)
    assert result.ok, result.summary()
    assert any("creating account dev" in h for h in heard)
    live = live_accounts(orgs)
    assert set(live) >= {"dev", "prod"} and len(live) == 3
    assert parent_path(orgs, live["dev"]["Id"]) == "Workloads/Dev"
    assert parent_path(orgs, live["prod"]["Id"]) == "Workloads/Prod"
    assert engine.recorded == {"dev": live["dev"]["Id"], "prod": live["prod"]["Id"]}
    tags = {t["Key"]: t["Value"] for t in orgs.list_tags_for_resource(ResourceId=live["dev"]["Id"])["Tags"]}
    assert tags == {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: "acme", OU_TAG: "Workloads/Dev",
                    ENVIRONMENT_TAG: "dev", TAGS_TAG: ENVIRONMENT_TAG}

    # the ids are in the file, every comment kept, and the file stays valid
    text = org_path.read_text()
    assert f"[account dev]    ; created by apply\nid = {live['dev']['Id']}\nenvironment = dev\n" in text
    assert text.replace(f"id = {live['dev']['Id']}\n", "").replace(f"id = {live['prod']['Id']}\n", "") == ORG_FILE

    # a new engine for the file plans IAM in the new accounts (through the role Organizations made)
    second = engine_for(org_path, ops_aws)
    plan = second.plan()
    assert not by_kind(plan.changes, "account") and not by_kind(plan.changes, "ou")
    assert {"dev", "prod"} <= {c.account for c in plan.changes}
    assert second.apply(plan).ok
    assert engine_for(org_path, ops_aws).plan().in_sync


def test_an_account_in_the_organization_with_the_declared_email_or_name_is_adopted_never_duplicated(
        org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    dev = orgs.create_account(Email="AWS+dev@acme.example", AccountName="the dev one")["CreateAccountStatus"]
    prod = orgs.create_account(Email="someone@acme.example", AccountName="prod")["CreateAccountStatus"]
    engine = engine_for(org_path, ops_aws)
    plan = engine.plan()
    accounts = by_kind(plan.changes, "account")
    assert {n: c.action for n, c in accounts.items()} == {"dev": "adopt", "prod": "adopt"}
    assert f"found in the organization as {dev['AccountId']} by its e-mail address" in accounts["dev"].details[0]
    assert "by its name (its e-mail is someone@acme.example)" in accounts["prod"].details[0]
    assert engine.apply(plan).ok
    assert len(live_accounts(orgs)) == 3  # management, dev, prod: nothing created
    org = load_org(org_path)
    assert (org.account("dev").id, org.account("prod").id) == (dev["AccountId"], prod["AccountId"])
    assert parent_path(orgs, dev["AccountId"]) == "Workloads/Dev"


def test_two_accounts_matching_by_email_and_by_name_are_a_conflict(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    orgs.create_account(Email="aws+dev@acme.example", AccountName="sandbox")
    orgs.create_account(Email="other@acme.example", AccountName="dev")
    plan = engine_for(org_path, ops_aws).plan()
    assert [c.name for c in plan.conflicts] == ["dev"]
    assert "write the right id into the org file" in plan.conflicts[0].reason


def test_an_ou_without_the_mark_is_a_conflict_until_adopted(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.create_organizational_unit(ParentId=root, Name="Workloads")
    plan = engine_for(org_path, ops_aws).plan()
    assert [(c.kind, c.name) for c in plan.conflicts] == [("ou", "Workloads")]
    adopted = engine_for(org_path, ops_aws).plan(options=PlanOptions(adopt=True))
    assert not adopted.conflicts
    assert by_kind(adopted.changes, "ou")["Workloads"].action == "adopt"


def test_accounts_moved_outside_awsroles_are_drift_and_unmarked_ones_are_moved_only_with_adopt(
        org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    engine = engine_for(org_path, ops_aws)
    assert engine.apply(engine.plan()).ok
    org = load_org(org_path)
    root = orgs.list_roots()["Roots"][0]["Id"]
    dev = org.account("dev").id
    orgs.move_account(AccountId=dev, SourceParentId=orgs.list_parents(ChildId=dev)["Parents"][0]["Id"],
                      DestinationParentId=root)
    plan = engine_for(org_path, ops_aws).plan()
    change = by_kind(plan.changes, "account")["dev"]
    assert (change.action, change.drift) == ("update", True)
    assert "move from the root to OU Workloads/Dev" in change.details
    # the ops account (management) placed in an OU: not awsroles', so only with --adopt
    org_path.write_text(org_path.read_text().replace("id = 111111111111\n", "id = 111111111111\nou = Workloads\n"))
    plan = engine_for(org_path, ops_aws).plan()
    assert [(c.kind, c.name) for c in plan.conflicts] == [("account", "ops")]
    plan = engine_for(org_path, ops_aws).plan(options=PlanOptions(adopt=True))
    assert by_kind(plan.changes, "account")["ops"].action == "adopt"
    assert engine_for(org_path, ops_aws).apply(plan).ok
    assert parent_path(orgs, OPS) == "Workloads"


def test_no_account_is_ever_closed_or_removed_by_apply_or_prune(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    engine = engine_for(org_path, ops_aws)
    assert engine.apply(engine.plan()).ok
    engine = engine_for(org_path, ops_aws)
    assert engine.apply(engine.plan()).ok
    prod = load_org(org_path).account("prod").id
    # prod leaves the org file (and its grant with it)
    text = org_path.read_text()
    start = text.index("[account prod]")
    text = text[:start] + text[text.index("[role admin]"):]
    org_path.write_text(text.replace("prod = admin\n", ""))
    engine = engine_for(org_path, ops_aws)
    plan = engine.plan(options=PlanOptions(prune=True))
    assert not [c for c in plan.changes if c.kind in ("account", "ou")]
    assert [(f.kind, f.name) for f in plan.retained] == [("ou", "Workloads/Prod"), ("account", "prod")]
    assert "apply never closes or removes an account, not even with --prune" in plan.retained[1].reason
    assert engine.apply(plan).ok
    live = live_accounts(orgs)
    assert live["prod"]["Id"] == prod and live["prod"]["Status"] == "ACTIVE"
    assert parent_path(orgs, prod) == "Workloads/Prod"
    # and no plan, however edited, gets a closing call past the runner
    assert not {c for c in ORGANIZATIONS_CALLS if ("close" in c or "remove" in c or "delete" in c) and "scp" not in c}
    runner = OrganizationsRunner(orgs, lambda *_: None)
    for call in ("close_account", "remove_account_from_organization", "delete_organizational_unit"):
        with pytest.raises(ValueError, match="never closes or removes an account"):
            runner.run(Change("ops", OPS, "delete", "account", "prod", ops=((call, {"AccountId": prod}),)))
    assert live_accounts(orgs)["prod"]["Status"] == "ACTIVE"


def test_a_management_account_in_no_organization_is_one_clear_error(org_path: Path, ops_aws: Aws) -> None:
    from awsroles.accounts.state import NoOrganization

    with pytest.raises(NoOrganization) as refused:
        engine_for(org_path, ops_aws).plan()
    assert str(refused.value).startswith("the management account ops (111111111111) is in no AWS organization, so "
                                         "awsroles cannot create accounts or OUs from it: create the organization")


def test_with_a_separate_management_account_new_accounts_are_opened_to_the_account_apply_runs_from(
        org_path: Path, ops_aws: Aws) -> None:
    payer = "999999999999"
    text = org_path.read_text().replace("ops_account = ops              ; management account too\n",
                                        "ops_account = ops\nbilling_account = payer\n")
    org_path.write_text(text + f"\n[account payer]\nid = {payer}\n")
    management = ops_aws.client("organizations", ops_aws.for_account(payer, "OrganizationAccountAccessRole"))
    management.create_organization(FeatureSet="ALL")
    engine = engine_for(org_path, ops_aws)
    assert engine.org.management.name == "payer"
    plan = engine.plan()
    assert {c.account for c in plan.changes if c.kind in ("ou", "account")} == {"payer"}
    assert engine.apply(plan).ok
    dev = load_org(org_path).account("dev").id
    iam = ops_aws.client("iam", ops_aws.for_account(dev, "OrganizationAccountAccessRole"))
    trust = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]["AssumeRolePolicyDocument"]
    principals = [s["Principal"]["AWS"] for s in trust["Statement"]]
    assert principals == [f"arn:aws:iam::{payer}:root", f"arn:aws:iam::{OPS}:root"]
    second = engine_for(org_path, ops_aws)
    assert second.apply(second.plan()).ok
    assert engine_for(org_path, ops_aws).plan().in_sync
