"""`awsroles costs` as finance runs it: a subprocess against the sandbox's 13-month bill."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e


def costs(box: SandboxHandle, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**box.env, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run([*command(), "costs", *argv], env=env, capture_output=True, text=True, timeout=120)


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
    assert "3 paid Cost Explorer request(s)" in first.stderr  # 12 months, pages of 4 (the sandbox's page size)
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
    for argv, expected in ((["--month", "2026-13"], "month"), (["--from", months_back(1), "--to", months_back(3)],
                                                               "reversed"),
                           (["--month", months_back(30)], "13"), (["--source", "cur"], "--path")):
        result = costs(sandbox, tmp_path, *argv)
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
        result = costs(sandbox, tmp_path, "--source", "cur", "--path", str(folder), *argv)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    (folder / "part-1.parquet").write_bytes(b"PAR1 half a file")
    result = costs(sandbox, tmp_path, "--source", "cur", "--path", str(folder), "--month", old)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"awsroles: error: {folder / 'part-1.parquet'}: cannot read a Parquet file: "
                                     "not a Parquet file, or a truncated one (no Parquet footer)")
