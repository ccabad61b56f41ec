"""Terraform equivalence, for real: `terraform apply` the export, then `awsroles plan` finds nothing to do."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from awsroles.export.terraform import terraform_files
from awsroles.export.tree import write_tree
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES
from tests.e2e.conftest import SandboxHandle
from tests.e2e.terraform import Terraform, report
from tests.e2e.test_plan_apply import awsroles

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]


def terraform_run(tf: Terraform, box: SandboxHandle, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = tf.env()
    env.update(box.variables)
    env.update(TF_DATA_DIR=str(directory / ".terraform-data"), AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run([tf.binary, *args], cwd=directory, env=env, capture_output=True, text=True, timeout=600)


# The classic example is applied by test_terraform_budgets_are_what_awsroles_plans (with budgets added):
# one terraform apply of it is enough.
@pytest.mark.parametrize("example", ["large"])
def test_terraform_apply_then_awsroles_plan_is_empty(
    example: str, terraform: Terraform, sandbox_factory, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    box: SandboxHandle = sandbox_factory(EXAMPLES / f"{example}.ini")
    directory = tmp_path / "tf"
    write_tree(directory, terraform_files(load_org(box.org_path)))
    init = terraform.init(directory)
    assert init.returncode == 0, report(init)
    applied = terraform_run(terraform, box, directory, "apply", "-auto-approve", "-input=false", "-no-color",
                            "-parallelism=20")
    assert applied.returncode == 0, report(applied)
    assert "Apply complete!" in applied.stdout

    plan = awsroles(box, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes. AWS matches the org file." in plan.stdout


# The organization's part of the classic example: an OU for prod (which terraform adopts with an import
# block, then moves), an empty OU, guardrails on the root, an OU and an account, and an SCP file.
ORGANIZATION = """
[ou Workloads]
guardrails = deny-root-user, protect-awsroles
scp_files = deny-public-buckets.json

[ou Sandbox]
"""
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"  # the readonly role's permissions_boundary
CONTACT = "Jane Doe | Finance lead | jane@acme.example | +1 555 0100"
SCP_FILE = {"Version": "2012-10-17", "Statement": [{"Sid": "NoPublicBuckets", "Effect": "Deny",
                                                    "Action": "s3:PutBucketPublicAccessBlock", "Resource": "*"}]}


def test_terraform_budgets_and_organization_are_what_awsroles_plans(
        terraform: Terraform, sandbox_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The classic example with budgets, OUs and SCPs: everything exported (IAM, the
    aws_budgets_budget resources, and aws_organizations_organizational_unit, aws_organizations_account
    (imported, moved, tagged as apply tags it), aws_account_alternate_contact, aws_organizations_policy
    and aws_organizations_policy_attachment) and a role's permissions_boundary, applied by
    terraform, is exactly what awsroles would make: its plan is then empty, budgets and organization
    included."""
    org_path = tmp_path / "awsroles.ini"
    shutil.copytree(EXAMPLES.parent / "policies", tmp_path / "policies")
    (tmp_path / "policies" / "deny-public-buckets.json").write_text(json.dumps(SCP_FILE))
    text = (EXAMPLES / "classic.ini").read_text().replace("policy_dir = ../policies",
                                                          "policy_dir = policies\nguardrails = deny-leave-organization")
    text = text.replace("environment = prod\n", "environment = prod\nbudget = 5000 USD\n"
                        "budget_alerts = 80%, 87.5%, forecast 100%\nbudget_notify = finance@acme.example, "
                        "oncall@acme.example\nou = Workloads/Prod\nguardrails = allowed-regions eu-west-1\n"
                        f"tags = Team=web\nbilling_contact = {CONTACT}\n")
    text = text.replace("mfa = required\n", "mfa = required\ntags = CostCenter=42\n")
    text = text.replace("max_session = 8h\n", f"max_session = 8h\nboundary = {BOUNDARY}\n")  # role readonly
    org_path.write_text(text.replace("environment = dev\n", "environment = dev\nbudget = 250.50\n") + ORGANIZATION)
    box: SandboxHandle = sandbox_factory(org_path)
    directory = tmp_path / "tf"
    write_tree(directory, terraform_files(load_org(org_path)))
    orgs = box.client("organizations")
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")  # the two steps terraform cannot take
    orgs.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    assert terraform.run(directory, "fmt", "-check", "-recursive", "-no-color").returncode == 0
    assert terraform.init(directory).returncode == 0
    applied = terraform_run(terraform, box, directory, "apply", "-auto-approve", "-input=false", "-no-color",
                            "-parallelism=20")
    assert applied.returncode == 0, report(applied)
    assert "1 imported" in applied.stdout  # prod: adopted, not created again
    budgets = box.client("budgets")
    assert sorted(b["BudgetName"] for b in budgets.describe_budgets(AccountId=box.org.ops.id)["Budgets"]) == [
        "awsroles-acme-dev", "awsroles-acme-prod"]
    prod = box.org.account("prod").id
    parent = orgs.list_parents(ChildId=prod)["Parents"][0]["Id"]
    assert orgs.describe_organizational_unit(OrganizationalUnitId=parent)["OrganizationalUnit"]["Name"] == "Prod"
    assert len(orgs.list_accounts()["Accounts"]) == 4  # none created, none closed
    assert sorted(p["Name"] for p in orgs.list_policies_for_target(TargetId=root, Filter="SERVICE_CONTROL_POLICY")[
        "Policies"]) == ["FullAWSAccess", "awsroles-acme-guardrails-root"]

    tags = {t["Key"]: t["Value"] for t in orgs.list_tags_for_resource(ResourceId=prod)["Tags"]}
    assert (tags["Team"], tags["CostCenter"], tags["Environment"]) == ("web", "42", "prod")
    contact = box.client("account").get_alternate_contact(AccountId=prod, AlternateContactType="BILLING")
    assert contact["AlternateContact"]["EmailAddress"] == "jane@acme.example"

    readonly = box.client("iam", "dev").get_role(RoleName="readonly")["Role"]
    assert readonly["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY

    plan = awsroles(box, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes. AWS matches the org file." in plan.stdout
