"""`awsroles costs` as finance runs it: a subprocess against the sandbox's 13-month bill."""

from __future__ import annotations

import calendar
import json
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e


def costs(box: SandboxHandle, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**box.env, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run([*command(), "costs", *argv], env=env, capture_output=True, text=True, timeout=120)


def local_costs(box: SandboxHandle, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The same command in this process (:mod:`tests.e2e.inprocess`): for the views of a bill the
    tests above read through the process, and refusals after the first."""
    return invoke(["costs", *argv], {**box.env, "XDG_CACHE_HOME": str(tmp_path / "cache")})


def months_back(n: int) -> str:
    today = date.today()
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_a_year_of_costs_reconciles_and_a_rerun_is_free(sandbox: SandboxHandle, tmp_path: Path) -> None:
    first = costs(sandbox, tmp_path, "--from", months_back(12), "--to", months_back(1), "-o", "json",
                  "--xlsx", str(tmp_path / "costs.xlsx"))
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert len(data["months"]) == 12
    for month in data["months"]:
        environments = [r["environment"] for r in month["rows"]]
        assert environments == ["dev", "stage", "prod", "(shared)", "(unmapped)"]
        shared = month["rows"][3]  # the ops account is in the org file: its own name, never "(unmapped)"
        assert shared["accounts"] == [{"id": "111111111111", "name": "ops"}] and Decimal(shared["total"]) > 0
        assert month["rows"][4]["accounts"] == [] and Decimal(month["rows"][4]["total"]) == 0
        assert sum(Decimal(r["total"]) for r in month["rows"]) == Decimal(month["total"])
    # 12 months in pages of 4 (the sandbox's page size), by account and record type, then Cost Explorer's own total
    assert "6 paid Cost Explorer request(s)" in first.stderr and "warning" not in first.stderr
    assert (tmp_path / "costs.xlsx").stat().st_size > 0
    again = costs(sandbox, tmp_path, "--from", months_back(12), "--to", months_back(1), "-o", "csv")
    assert again.returncode == 0 and "0 paid Cost Explorer request(s)" in again.stderr
    assert again.stdout.splitlines()[0].startswith("month,environment")


def test_forecast_of_the_current_month(sandbox: SandboxHandle, tmp_path: Path) -> None:
    result = costs(sandbox, tmp_path, "--forecast", "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["forecast"]
    assert [r["environment"] for r in rows] == ["dev", "stage", "prod", "(shared)"]
    for row in rows:
        assert Decimal(row["spent"]) + Decimal(row["forecast"]) == Decimal(row["total"])
        assert Decimal(row["forecast"]) > 0
    prod = next(r for r in rows if r["environment"] == "prod")
    dev = next(r for r in rows if r["environment"] == "dev")
    assert Decimal(prod["total"]) > Decimal(dev["total"])


def test_bad_input_is_one_line_with_exit_2(sandbox: SandboxHandle, tmp_path: Path) -> None:
    for run, argv, expected in (  # the first as a process, the others here
            (costs, ["--month", "2026-13"], "month"),
            (local_costs, ["--from", months_back(1), "--to", months_back(3)], "reversed"),
            (local_costs, ["--month", months_back(30)], "13"), (local_costs, ["--source", "cur"], "--path")):
        result = run(sandbox, tmp_path, *argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert expected in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_cur_export_is_read_past_cost_explorers_history_and_its_gaps_are_errors(sandbox: SandboxHandle,
                                                                                  tmp_path: Path) -> None:
    from tests.unit.test_costs_cur import CUR2_COLUMNS, cur_row, write

    old = months_back(40)  # Cost Explorer keeps 14 months; the CUR is finance's history
    folder = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 1000.25, month=old, account="444444444444"),
                                                    cur_row("EdpDiscount", -100.0, month=old, account="444444444444"),
                                                    cur_row("Credit", -50.0, month=old, account="444444444444"),
                                                    cur_row("Tax", 8.0, month=old, account="111111111111")])
    result = costs(sandbox, tmp_path, "--source", "cur", "--path", str(folder), "--month", old, "-o", "json")
    assert result.returncode == 0, result.stderr
    month = json.loads(result.stdout)["months"][0]
    rows = {r["environment"]: r for r in month["rows"]}
    assert (rows["prod"]["amounts"]["discounts"], rows["prod"]["amounts"]["credits"]) == ("-100", "-50")
    assert Decimal(rows["prod"]["run_rate"]) == Decimal("900.25")  # the EDP discount recurs: in the run rate
    assert Decimal(rows["(shared)"]["total"]) == Decimal(8) and Decimal(month["total"]) == Decimal("858.25")

    for argv, expected in ((["--month", months_back(39)], f"no AWS line items for {months_back(39)}: no export"),
                           (["--month", months_back(50)], "no export for that month")):
        result = local_costs(sandbox, tmp_path, "--source", "cur", "--path", str(folder), *argv)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    (folder / "part-1.parquet").write_bytes(b"PAR1 half a file")
    result = local_costs(sandbox, tmp_path, "--source", "cur", "--path", str(folder), "--month", old)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"awsroles: error: {folder / 'part-1.parquet'}: cannot read a Parquet file: "
                                     "not a Parquet file, or a truncated one (no Parquet footer)")


def run_json(box: SandboxHandle, tmp_path: Path, *argv: str) -> dict[str, Any]:
    result = local_costs(box, tmp_path, *argv, "-o", "json")
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def rows_of(data: dict[str, Any], period: str = "months") -> dict[str, dict[str, Any]]:
    return {row["environment"]: row for row in data[period][0]["rows"]}


def test_every_view_of_the_sandboxs_bill(sandbox: SandboxHandle, tmp_path: Path) -> None:
    month = months_back(1)
    invoice = rows_of(run_json(sandbox, tmp_path, "--month", month))
    # --by tag:team for two environments: each row's breakdown adds up to the row, the row to the invoice's
    tagged = run_json(sandbox, tmp_path, "--month", month, "--by", "tag:team", "--env", "prod,stage")
    assert list(rows_of(tagged)) == ["stage", "prod"]
    for name, row in rows_of(tagged).items():
        assert {b["name"] for b in row["breakdown"]} == {"backend", "data", "platform", "(untagged)"}
        assert sum(Decimal(b["amount"]) for b in row["breakdown"]) == Decimal(row["total"]) == \
            Decimal(invoice[name]["total"])
    # --by category:CostCenter: prod is product, the ops account has no cost center
    categories = rows_of(run_json(sandbox, tmp_path, "--month", month, "--by", "category:CostCenter"))
    assert [b["name"] for b in categories["prod"]["breakdown"]] == ["product"]
    assert [b["name"] for b in categories["(shared)"]["breakdown"]] == ["(uncategorized)"]
    # --by account --account prod: the one account, all of prod's cost
    [prod] = run_json(sandbox, tmp_path, "--month", month, "--by", "account", "--account", "prod")["months"][0]["rows"]
    assert prod["breakdown"] == [{"name": "prod (444444444444)", "amount": invoice["prod"]["total"]}]
    # daily: every day of the month, adding up to the month
    daily = run_json(sandbox, tmp_path, "--month", month, "--granularity", "daily", "--env", "dev")
    year, number = int(month[:4]), int(month[5:])
    assert len(daily["days"]) == calendar.monthrange(year, number)[1]
    assert sum(Decimal(d["total"]) for d in daily["days"]) == Decimal(invoice["dev"]["total"])
    # blended: the sandbox's blended rates move prod's reservation cost from its fee onto the usage it covers
    blended = rows_of(run_json(sandbox, tmp_path, "--month", month, "--metric", "blended"))
    assert blended["prod"]["total"] == invoice["prod"]["total"]
    assert Decimal(blended["prod"]["amounts"]["usage"]) > Decimal(invoice["prod"]["amounts"]["usage"])


def test_commitments_agree_with_the_bills_own_fees(sandbox: SandboxHandle, tmp_path: Path) -> None:
    month = months_back(1)
    data = run_json(sandbox, tmp_path, "--month", month, "--commitments")
    invoice, chargeback = rows_of(data), rows_of(run_json(sandbox, tmp_path, "--month", month, "--metric", "amortized"))
    figures = {(c["environment"], c["kind"]): c for c in data["commitments"]}
    plans = figures[("(shared)", "Savings Plans")]  # the payer (ops) bought the Savings Plan
    # what it cost is its recurring fee on the invoice; the unused part is what amortization leaves in the fee
    fee, unused = Decimal(invoice["(shared)"]["amounts"]["fees"]), Decimal(chargeback["(shared)"]["amounts"]["fees"])
    assert Decimal(plans["cost"]) == fee
    assert Decimal(plans["utilization"]) == ((fee - unused) * 100 / fee).quantize(Decimal("0.1")) == Decimal("96.0")
    assert Decimal(plans["savings"]) == Decimal(plans["on_demand_equivalent"]) - fee > 0
    reserved = figures[("prod", "Reserved Instances")]  # prod bought its own reservation
    assert Decimal(reserved["cost"]) == Decimal(invoice["prod"]["amounts"]["fees"])
    assert (reserved["utilization"], reserved["coverage"], reserved["coverage_unit"]) == ("90.0", "25.0", "hours")
    assert figures[("dev", "Savings Plans")]["coverage"] == "0.0"  # dev is not covered
    assert Decimal(figures[("prod", "Savings Plans")]["coverage"]) > 50


def test_unknown_names_in_views_are_one_line(sandbox: SandboxHandle, tmp_path: Path) -> None:
    for run, argv, expected in (  # the first as a process, the other here
            (costs, ["--env", "prdo"], "--env: unknown environment 'prdo' (did you mean 'prod'?)"),
            (local_costs, ["--account", "stgae"], "--account: unknown account 'stgae' (did you mean 'stage'?)")):
        result = run(sandbox, tmp_path, *argv)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.strip().startswith(f"awsroles: error: {expected}")
        assert len(result.stderr.strip().splitlines()) == 1  # before any paid request: none is counted
