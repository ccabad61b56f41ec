"""The Terraform export of what apply makes in AWS Organizations: OUs, the accounts it places (adopted
with import blocks, never closed by terraform destroy), SCPs and their attachments, in the management
account's file. terraform applies it for real in tests/e2e/test_terraform_apply.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2

from awsroles.accounts.wanted import DIGEST_TAG, compact, digest, wanted_scps
from awsroles.export.terraform import terraform_files
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from tests.conftest import EXAMPLES

ORG = (EXAMPLES / "classic.ini").read_text() \
    .replace("policy_dir = ../policies\n", "guardrails = deny-leave-organization\n") \
    .replace("environment = prod\n", "environment = prod\nou = Workloads/Prod\nemail = prod@acme.example\n"
             "guardrails = allowed-regions eu-west-1\n") + """
[ou Workloads]
guardrails = deny-root-user, protect-awsroles
scp_files = deny-public-buckets.json

[ou Sandbox]
"""


def guarded(tmp_path: Path) -> Org:
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "deny-iam-writes.json").write_text((EXAMPLES.parent / "policies" /
                                                                "deny-iam-writes.json").read_text())
    (tmp_path / "policies" / "deny-public-buckets.json").write_text(json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:PutBucketPublicAccessBlock",
                                                 "Resource": "*"}]}))
    org, problems = parse_org(ORG, str(tmp_path / "awsroles.ini"), tmp_path)
    assert org is not None, [str(p) for p in problems]
    return org


def plain(value: Any) -> Any:
    """python-hcl2's tree with quoted strings unquoted (it keeps the quotes) and its block markers dropped."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)
    return value


def resources(text: str, kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for block in plain(hcl2.loads(text)).get("resource", []) for t, named in block.items()
            if t == kind for name, body in named.items()}


def test_ous_accounts_scps_and_attachments_go_into_the_management_accounts_file(tmp_path: Path) -> None:
    org = guarded(tmp_path)
    files = terraform_files(org)
    text = files["ops.tf"]
    assert 'required_version = ">= 1.5"' in files["versions.tf"]  # import blocks

    ous = resources(text, "aws_organizations_organizational_unit")
    assert {n: (b["name"], b["parent_id"], b["tags"]) for n, b in ous.items()} == {
        "ou_Workloads": ("Workloads", "${data.aws_organizations_organization.organization.roots[0].id}",
                         {"awsroles-org": "acme", "managed-by": "awsroles"}),
        "ou_Workloads_Prod": ("Prod", "${aws_organizations_organizational_unit.ou_Workloads.id}",
                              {"awsroles-org": "acme", "managed-by": "awsroles"}),
        "ou_Sandbox": ("Sandbox", "${data.aws_organizations_organization.organization.roots[0].id}",
                       {"awsroles-org": "acme", "managed-by": "awsroles"}),
    }

    # only the account apply places (it has an ou); it exists, so terraform imports it, and never closes it
    accounts = resources(text, "aws_organizations_account")
    assert list(accounts) == ["account_prod"]
    prod = accounts["account_prod"]
    assert (prod["name"], prod["email"], prod["parent_id"], prod["close_on_deletion"]) == (
        "prod", "prod@acme.example", "${aws_organizations_organizational_unit.ou_Workloads_Prod.id}", False)
    assert prod["tags"] == {"awsroles-org": "acme", "awsroles-ou": "Workloads/Prod", "managed-by": "awsroles",
                            "Environment": "prod", "awsroles-tags": "Environment"}  # as apply tags it
    assert prod["lifecycle"][0]["prevent_destroy"] is True
    assert 'import {\n  provider = aws.ops\n  to       = aws_organizations_account.account_prod\n  id       = ' \
           '"444444444444"\n}' in text

    # the SCPs apply makes, with its document (the file terraform reads) and its tags
    policies = resources(text, "aws_organizations_policy")
    wanted = wanted_scps(org)
    assert sorted(p["name"] for p in policies.values()) == sorted(wanted)
    for body in policies.values():
        want = wanted[body["name"]]
        path = body["content"].removeprefix('${file("${path.module}/').removesuffix('")}')
        assert files[path] == compact(want.document) + "\n"
        assert body["type"] == "SERVICE_CONTROL_POLICY"
        assert body["tags"] == {"managed-by": "awsroles", "awsroles-org": "acme", DIGEST_TAG: digest(want.document)}
    attachments = resources(text, "aws_organizations_policy_attachment")
    assert sorted((a["policy_id"], a["target_id"]) for a in attachments.values()) == sorted([
        ("${aws_organizations_policy.acme-guardrails-root.id}",
         "${data.aws_organizations_organization.organization.roots[0].id}"),
        ("${aws_organizations_policy.acme-guardrails-ou-Workloads.id}",
         "${aws_organizations_organizational_unit.ou_Workloads.id}"),
        ("${aws_organizations_policy.acme-scp-deny-public-buckets.id}",
         "${aws_organizations_organizational_unit.ou_Workloads.id}"),
        ("${aws_organizations_policy.acme-guardrails-account-prod.id}",
         "${aws_organizations_account.account_prod.id}"),
    ])
    assert "aws organizations enable-policy-type" in text  # the one step terraform cannot take


def test_an_org_file_without_accounts_as_code_exports_no_organizations_resource() -> None:
    files = terraform_files(parse_org((EXAMPLES / "classic.ini").read_text(), str(EXAMPLES / "classic.ini"),
                                      EXAMPLES)[0])  # type: ignore[arg-type]
    assert not any("aws_organizations" in text for text in files.values())
    assert 'required_version = ">= 1.3"' in files["versions.tf"]


CONTACT = "Jane Doe | Finance lead | jane@acme.example | +1 555 0100"
SECURITY = "Sam Roe | CISO | sam@acme.example | 555"


def test_accounts_with_tags_or_contacts_are_exported_with_the_tags_and_contacts_apply_sets(tmp_path: Path) -> None:
    """The accounts apply tags or gives contacts are exported like those it places: the same rule as
    sync.accounts (own ou, tags or contacts); their tags exactly what apply leaves (marks, [org] and
    own tags, Environment, awsroles-tags); their contacts aws_account_alternate_contact, with account_id
    for a member account only."""
    text = (ORG.replace("mfa = required\n", "mfa = required\ntags = CostCenter=42\n")
            .replace("[account dev]\n", "[account dev]\ntags = Team=web, CostCenter=7\n")
            .replace("[account stage]\n", f"[account stage]\nsecurity_contact = {SECURITY}\n")
            .replace("[account ops]\n", f"[account ops]\nbilling_contact = {CONTACT}\n"))
    (tmp_path / "policies").mkdir()
    org, problems = parse_org(text.replace("scp_files = deny-public-buckets.json\n", "")
                              .replace("policies = deny-iam-writes.json\n", ""), str(tmp_path / "a.ini"), tmp_path)
    assert org is not None, [str(p) for p in problems]
    out = terraform_files(org)["ops.tf"]
    accounts = resources(out, "aws_organizations_account")
    assert sorted(accounts) == ["account_dev", "account_ops", "account_prod", "account_stage"]
    assert accounts["account_dev"]["tags"] == {
        "managed-by": "awsroles", "awsroles-org": "acme", "CostCenter": "7", "Team": "web", "Environment": "dev",
        "awsroles-tags": "CostCenter Environment Team"}
    assert "parent_id" not in accounts["account_dev"]  # no ou: left where it is, as apply leaves it
    assert accounts["account_ops"]["tags"] == {"managed-by": "awsroles", "awsroles-org": "acme", "CostCenter": "42",
                                               "awsroles-tags": "CostCenter"}
    assert accounts["account_prod"]["tags"]["awsroles-tags"] == "CostCenter Environment"
    for name, body in accounts.items():
        assert body["tags"] == {"managed-by": "awsroles", "awsroles-org": "acme",
                                **({"awsroles-ou": org.account(name[8:]).ou} if org.account(name[8:]).ou else {}),
                                **org.recorded_account_tags(org.account(name[8:]))}

    contacts = resources(out, "aws_account_alternate_contact")
    assert contacts == {
        "ops_BILLING": {"alternate_contact_type": "BILLING", "name": "Jane Doe", "title": "Finance lead",
                        "email_address": "jane@acme.example", "phone_number": "+1 555 0100",
                        "provider": "${aws.ops}"},  # the management account: no account_id
        "stage_SECURITY": {"account_id": "${aws_organizations_account.account_stage.id}",
                           "alternate_contact_type": "SECURITY", "name": "Sam Roe", "title": "CISO",
                           "email_address": "sam@acme.example", "phone_number": "555", "provider": "${aws.ops}"},
    }
    assert "aws organizations enable-aws-service-access --service-principal account.amazonaws.com" in out
