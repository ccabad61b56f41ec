"""awsroles import of an organization (accounts, OUs, SCPs) against moto in-process: apply an org file
with accounts to create, OUs, guardrails and an SCP file, import it into an empty folder, and the plan
from the imported file has nothing to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.org.entries import SCP_ACCOUNT, SCP_OU, SCP_ROOT
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.engine import Engine

ORG_FILE = """\
[org]
name = acme
region = us-east-1
ops_account = ops
account_email = aws+{name}@acme.example
guardrails = deny-leave-organization
tags = CostCenter=42, Owner=finance
security_contact = Sam Roe | CISO | sam@acme.example | +1 555 0111

[account ops]
id = 111111111111

[account dev]
environment = dev
ou = Workloads/Dev

[account prod]
environment = prod
ou = Workloads/Prod
guardrails = allowed-regions eu-west-1 eu-central-1
tags = Team=web, CostCenter=7
billing_contact = Jane Doe | Finance lead | jane@acme.example | +1 555 0100

[account shared]
email = shared-services@acme.example
ou = Workloads

[ou Workloads]
guardrails = protect-awsroles, deny-root-user
scp_files = deny-public-buckets.json

[ou Sandbox]

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[team platform]
members = alice
dev = admin
prod = admin

[user alice]
email = alice@acme.example
"""
SCP_FILE = {"Version": "2012-10-17", "Statement": [{"Sid": "NoPublicBuckets", "Effect": "Deny",
                                                    "Action": "s3:PutBucketPublicAccessBlock", "Resource": "*"}]}


def scps(org: Org) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(t.kind, t.name): (sorted((g.name, sorted(g.arguments)) for g in t.guardrails), t.scp_files)
            for t in org.scp_targets}


def applied(tmp_path: Path, aws: Aws) -> Path:
    source = tmp_path / "source"
    (source / "policies").mkdir(parents=True)
    (source / "policies" / "deny-public-buckets.json").write_text(json.dumps(SCP_FILE))
    (source / "awsroles.ini").write_text(ORG_FILE)
    organizations = aws.client("organizations")
    organizations.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")  # member accounts' contacts
    for _ in range(2):  # the accounts and OUs, then IAM in the new accounts
        engine = Engine(load_org(source / "awsroles.ini"), aws)
        result = engine.apply(engine.plan())
        assert result.ok, result.as_dict()
    assert Engine(load_org(source / "awsroles.ini"), aws).plan().in_sync
    return source / "awsroles.ini"


def test_an_organization_awsroles_applied_imports_back_and_plans_no_change(
        tmp_path: Path, ops_aws: Aws, orgs: Any) -> None:
    source = load_org(applied(tmp_path, ops_aws))
    by_hand = orgs.create_policy(Name="team-made", Type="SERVICE_CONTROL_POLICY", Description="by hand",
                                 Content=json.dumps(SCP_FILE))["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=by_hand, TargetId=orgs.list_roots()["Roots"][0]["Id"])

    imported = collect(ops_aws, ImportOptions())
    sandbox_ou = next(o["Id"] for o in orgs.list_organizational_units_for_parent(
        ParentId=orgs.list_roots()["Roots"][0]["Id"])["OrganizationalUnits"] if o["Name"] == "Sandbox")
    assert imported.warnings == (
        "1 SCP(s) not made by awsroles are not imported (awsroles never changes them): team-made",
        f"OU Sandbox ({sandbox_ou}) was made by awsroles and no imported account is in it: declared as [ou Sandbox] "
        "so that it stays awsroles'",
    )
    assert imported.plan.in_sync, imported.plan.as_dict()
    target = tmp_path / "imported" / "awsroles.ini"
    result = write_import(imported, target)
    assert result.problems == ()
    back = load_org(target)
    assert back == imported.org
    assert back.name == "acme"  # from awsroles' marks in the organization
    shape = {a.name: (a.id, a.email, a.ou, a.environment) for a in back.accounts if a.name != "master"}
    assert shape == {a.name: (a.id, a.email, a.ou, a.environment) for a in source.accounts if a.name != "ops"}
    assert back.ous == ("Sandbox", "Workloads")
    # the tags awsroles set come back on each account (Environment as its environment), and the contacts
    assert {a.name: back.account_tags(a) for a in back.accounts if a.name != "master"} == \
        {a.name: source.account_tags(a) for a in source.accounts if a.name != "ops"}
    assert {a.name: back.account_contacts(a) for a in back.accounts if a.name != "master"} == \
        {a.name: source.account_contacts(a) for a in source.accounts if a.name != "ops"}
    assert scps(back) == scps(source)  # the same SCPs (guardrails in the vocabulary's order, regions sorted)
    assert [(t.kind, t.name) for t in back.scp_targets] == [(SCP_ROOT, ""), (SCP_OU, "Workloads"),
                                                            (SCP_ACCOUNT, "prod")]

    text = target.read_text()
    assert "account_email = aws+{name}@acme.example\nguardrails = deny-leave-organization\n" in text
    assert "[account dev]\nid = " in text and "email = aws+dev" not in text  # the pattern says it
    assert "email = shared-services@acme.example\nou = Workloads\n" in text
    assert "[ou Workloads]\nguardrails = deny-root-user, protect-awsroles\nscp_files = deny-public-buckets.json\n" \
        in text
    assert "guardrails = allowed-regions eu-central-1 eu-west-1\n" in text
    # what every account awsroles owns has alike goes back to [org]; the rest stays with its account
    assert "guardrails = deny-leave-organization\ntags = Owner=finance\nsecurity_contact = Sam Roe | CISO | " \
        "sam@acme.example | +1 555 0111\n" in text
    assert "tags = CostCenter=42\n" in text.partition("[account dev]")[2]
    assert "tags = CostCenter=7, Team=web\nbilling_contact = Jane Doe | Finance lead | jane@acme.example | " \
        "+1 555 0100\n" in text
    assert json.loads((target.parent / "policies" / "deny-public-buckets.json").read_text()) == SCP_FILE

    plan = Engine(back, ops_aws).plan()
    assert plan.in_sync and not plan.retained, json.dumps(plan.as_dict(), indent=1)[:3000]
    assert collect(ops_aws, ImportOptions()).text == imported.text  # byte-stable


def test_scps_that_cannot_be_read_are_a_warning_not_a_failure(
        ops_aws: Aws, orgs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    import awsroles.importer.build

    def denied(aws: Aws, org_name: str) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListPolicies")

    monkeypatch.setattr(awsroles.importer.build, "read_organization_scps", denied)
    imported = collect(ops_aws, ImportOptions(name="acme"))
    assert "the service control policies cannot be read from account 111111111111 (AccessDeniedException): none " \
           "imported" in imported.warnings
    assert imported.org.scp_targets == ()
