"""Budgets as code the way an admin and finance use them: the `awsroles` command as a subprocess
against a sandbox seeded from an org file with budgets (plan, apply, drift, leftovers and prune,
what awsroles does not own, costs against the budgets, the Terraform export)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_costs import local_costs
from tests.e2e.test_plan_apply import awsroles, local

pytestmark = pytest.mark.e2e
PROD = "awsroles-acme-prod"
PROD_LINES = ("budget = 5000 USD\nbudget_alerts = 80%, forecast 100%\n"
              "budget_notify = finance@acme.example, oncall@acme.example\n")


def write_org(path: Path, prod: str = PROD_LINES, dev: str = "budget = 250.50\n") -> Path:
    text = (EXAMPLES / "classic.ini").read_text().replace("policy_dir = ../policies",
                                                          f"policy_dir = {REPO / 'policies'}")
    text = text.replace("environment = prod\n", f"environment = prod\n{prod}")
    path.write_text(text.replace("environment = dev\n", f"environment = dev\n{dev}"))
    return path


def names(box: SandboxHandle) -> list[str]:
    return sorted(b["BudgetName"] for b in box.client("budgets").describe_budgets(AccountId=box.org.ops.id)["Budgets"])


def test_budgets_through_the_command(sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    org_path = write_org(tmp_path / "awsroles.ini")
    box = sandbox_factory(org_path)

    first = awsroles(box, "plan", "--detailed-exitcode")
    assert first.returncode == 3, first.stderr
    assert (f"+ budget {PROD} (create): 5000 USD a month for prod (444444444444); 80%, forecast 100% to "
            "finance@acme.example, oncall@acme.example") in first.stdout
    assert "+ budget awsroles-acme-dev (create): 250.50 USD a month for dev (222222222222); no alerts" in first.stdout
    applied = awsroles(box, "apply", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert names(box) == ["awsroles-acme-dev", PROD]
    assert local(box, "plan", "--detailed-exitcode").returncode == 0

    # Changed by hand: drift, shown and put back.
    budgets = box.client("budgets")
    budget = budgets.describe_budget(AccountId=box.org.ops.id, BudgetName=PROD)["Budget"]
    budgets.update_budget(AccountId=box.org.ops.id, NewBudget={
        **{k: budget[k] for k in ("BudgetName", "CostFilters", "CostTypes", "TimeUnit", "BudgetType")},
        "BudgetLimit": {"Amount": "9000", "Unit": "USD"}})
    drift = awsroles(box, "plan", "--detailed-exitcode")
    assert drift.returncode == 3
    assert f"~ budget {PROD} (drift): amount 9000 USD -> 5000 USD" in drift.stdout
    assert local(box, "apply", "--yes").returncode == 0
    assert budgets.describe_budget(AccountId=box.org.ops.id, BudgetName=PROD)["Budget"]["BudgetLimit"][
        "Amount"] == "5000"

    # A budget named like awsroles' but not marked: listed, never touched, not a difference.
    budgets.create_budget(AccountId=box.org.ops.id, Budget={
        "BudgetName": "awsroles-acme-handmade", "BudgetLimit": {"Amount": "1", "Unit": "USD"},
        "TimeUnit": "MONTHLY", "BudgetType": "COST"})
    listed = local(box, "plan", "--detailed-exitcode", "--prune")
    assert listed.returncode == 0, listed.stdout
    assert "ops (111111111111): budget awsroles-acme-handmade: named like awsroles' budgets" in listed.stdout

    # prod's budget leaves the org file: a leftover, deleted only with --prune (shown, then done).
    write_org(org_path, prod="")
    kept = local(box, "plan", "--detailed-exitcode")
    assert kept.returncode == 3
    assert f"ops: budget {PROD}" in kept.stdout.split("Leftovers", 1)[1]
    assert local(box, "apply", "--yes").returncode == 0
    assert PROD in names(box)
    pruned = awsroles(box, "apply", "--prune", "--yes")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert f"- budget {PROD} (delete): 5000 USD a month, with its alerts" in pruned.stdout
    assert names(box) == ["awsroles-acme-dev", "awsroles-acme-handmade"]
    assert local(box, "plan", "--detailed-exitcode", "--prune").returncode == 0

    # Finance: this month's spend and forecast against the budget.
    report = local_costs(box, tmp_path, "--forecast", "-o", "json")
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    (forecast_row,) = [r for r in data["budgets"] if r["forecast"] is not None]
    assert forecast_row["environment"] == "dev" and forecast_row["budget"] == "250.5"
    dev_forecast = next(r for r in data["forecast"] if r["environment"] == "dev")
    assert Decimal(forecast_row["forecast"]) == Decimal(dev_forecast["total"])
    assert forecast_row["status"] in ("over", "forecast over")  # the synthetic dev bill is far above 250.50
    table = local_costs(box, tmp_path, "--forecast")
    assert "Budgets (monthly, USD)" in table.stdout and "250.50" in table.stdout

    # The Terraform export has the same budget.
    exported = awsroles(box, "export", "terraform", str(tmp_path / "tf"))
    assert exported.returncode == 0, exported.stderr
    ops_tf = (tmp_path / "tf" / "ops.tf").read_text()
    assert re.findall(r'resource "aws_budgets_budget" "([^"]+)"', ops_tf) == ["ops_awsroles-acme-dev"]


def test_a_bad_budget_is_one_line_with_exit_2(tmp_path: Path, sandbox: SandboxHandle) -> None:
    org_path = write_org(tmp_path / "awsroles.ini", dev="budget = 250 EUR\n")
    result = awsroles(sandbox, "plan", org=org_path)
    assert result.returncode == 2
    line = next(n for n, text in enumerate(org_path.read_text().splitlines(), start=1) if "EUR" in text)
    assert result.stderr.strip().splitlines() == [
        f"{org_path}:{line}: budget: '250 EUR': AWS Budgets keeps cost budgets in USD only (write budget = 250 USD)"]
