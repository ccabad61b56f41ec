"""Terraform equivalence, for real: `terraform apply` the export, then `awsroles plan` finds nothing to do."""

from __future__ import annotations

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


def test_terraform_budgets_are_what_awsroles_plans(terraform: Terraform, sandbox_factory,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:
    """The classic example with budgets: everything exported (IAM and the aws_budgets_budget
    resources), applied by terraform, is exactly what awsroles would make: its plan is then empty,
    budgets included."""
    org_path = tmp_path / "awsroles.ini"
    text = (EXAMPLES / "classic.ini").read_text().replace("policy_dir = ../policies",
                                                          f"policy_dir = {EXAMPLES.parent / 'policies'}")
    text = text.replace("environment = prod\n", "environment = prod\nbudget = 5000 USD\n"
                        "budget_alerts = 80%, 87.5%, forecast 100%\nbudget_notify = finance@acme.example, "
                        "oncall@acme.example\n")
    org_path.write_text(text.replace("environment = dev\n", "environment = dev\nbudget = 250.50\n"))
    box: SandboxHandle = sandbox_factory(org_path)
    directory = tmp_path / "tf"
    write_tree(directory, terraform_files(load_org(org_path)))
    assert terraform.init(directory).returncode == 0
    applied = terraform_run(terraform, box, directory, "apply", "-auto-approve", "-input=false", "-no-color",
                            "-parallelism=20")
    assert applied.returncode == 0, report(applied)
    budgets = box.client("budgets")
    assert sorted(b["BudgetName"] for b in budgets.describe_budgets(AccountId=box.org.ops.id)["Budgets"]) == [
        "awsroles-acme-dev", "awsroles-acme-prod"]

    plan = awsroles(box, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes. AWS matches the org file." in plan.stdout
