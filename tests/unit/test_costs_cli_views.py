"""``awsroles costs`` with the views, on a local CUR export (no AWS at all): what each option prints,
and bad input as one line with exit code 2."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from tests.conftest import EXAMPLES
from tests.unit.test_costs_cur_views import write_commitments

D = Decimal
TODAY = "2026-11-29"  # $AWSROLES_TODAY: October 2026 is the last complete month


@pytest.fixture
def export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AWSROLES_TODAY", TODAY)
    return write_commitments(tmp_path / "cur")


def costs(export: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["-f", str(EXAMPLES / "classic.ini"), "costs", "--source", "cur", "--path", str(export), *argv],
               App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_the_pinned_day_picks_the_last_complete_month(export: Path) -> None:
    code, out, err = costs(export, "-o", "json")
    assert code == 0, err
    assert [m["month"] for m in json.loads(out)["months"]] == ["2026-10"]


def test_env_and_by_account_as_csv(export: Path) -> None:
    code, out, err = costs(export, "--env", "prod", "--by", "account", "-o", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    # prod's lines in the export, unblended: 600 - 600 + 0 + 300 + 50 + 3 + 7 + 11 + 4.5 + 99 (the RDS RIFee) + 0
    assert rows == [{"month": "2026-10", "environment": "prod", "account": "prod (444444444444)", "currency": "USD",
                     "amount": "474.5"}]


def test_commitments_table_and_json(export: Path) -> None:
    code, out, err = costs(export, "--commitments")
    assert code == 0, err
    assert "Savings Plans and Reserved Instances, USD" in out
    shared = next(line for line in out.splitlines() if "(shared)" in line and "Savings Plans" in line)
    # coverage, utilization, on-demand equivalent, cost, savings (the payer ran nothing a plan could cover)
    assert [c.strip() for c in shared.split("│")[3:]] == ["-", "86.4%", "600.00", "500.00", "100.00"]
    code, out, _ = costs(export, "--commitments", "--env", "prod", "-o", "json")
    data = json.loads(out)
    assert [(c["environment"], c["kind"]) for c in data["commitments"]] == [("prod", "Savings Plans"),
                                                                           ("prod", "Reserved Instances")]
    ri = data["commitments"][1]
    assert (ri["coverage"], ri["utilization"], ri["savings"], ri["coverage_unit"]) == ("7.7", "83.3", "7", "hours")
    assert data["commitments"][0]["utilization"] is None  # prod bought no Savings Plan: no base, no percentage
    assert data["selection"] == ["prod"] and data["granularity"] == "monthly" and data["by"] is None
    code, out, _ = costs(export, "--commitments", "-o", "csv")
    header = out.splitlines()[0]
    assert header.startswith("month,environment,commitment,covered,not_covered,coverage_unit,coverage,")


@pytest.mark.parametrize(("argv", "message"), [
    (["--env", "prdo"], "awsroles: error: --env: unknown environment 'prdo' (did you mean 'prod'?); one of dev, "
                        "stage, prod, (shared), (unmapped)"),
    (["--account", "prdo"], "awsroles: error: --account: unknown account 'prdo' (did you mean 'prod'?)"),
    (["--by", "regoin"], "awsroles: error: --by regoin: --by account, service, tag:KEY or category:NAME"),
    (["--top", "3"], "awsroles: error: --top needs --by"),
    (["--metric", "blended", "--net"], "awsroles: error: --net: blended cost has no net variant"),
    (["--by", "account", "--commitments", "-o", "csv"], "awsroles: error: -o csv prints one table: --by or "
                                                        "--commitments, not both"),
    (["--granularity", "hourly"], "Invalid value for '--granularity'"),
])
def test_bad_views_are_one_line_and_exit_2(export: Path, argv: list[str], message: str) -> None:
    code, out, err = costs(export, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    if message.startswith("awsroles: error"):
        assert err.strip().startswith(message) and len(err.strip().splitlines()) == 1


def test_a_bad_pinned_day_is_exit_2(export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSROLES_TODAY", "yesterday")
    code, _, err = costs(export)
    assert code == 2 and err.strip() == ("awsroles: error: $AWSROLES_TODAY: 'yesterday' is not a day; write it as "
                                         "YYYY-MM-DD, e.g. 2026-11-29, or unset it")


def test_budgets_are_compared_by_month_for_whole_environments(export: Path, tmp_path: Path) -> None:
    """A budget is monthly and for an environment's accounts: days and --account leave the table out."""
    from tests.unit.test_org_budgets import org_text

    org_file = tmp_path / "budgets.ini"
    org_file.write_text(org_text(prod="budget = 5000 USD"))

    def budgets(*argv: str) -> object:
        out, err = io.StringIO(), io.StringIO()
        code = run(["-f", str(org_file), "costs", "--source", "cur", "--path", str(export), "-o", "json", *argv],
                   App(stdout=out, stderr=err))
        assert code == 0, err.getvalue()
        return json.loads(out.getvalue()).get("budgets")

    assert [(b["environment"], b["actual"]) for b in budgets()] == [("prod", "474.5")]  # type: ignore[attr-defined]
    assert budgets("--granularity", "daily") is None
    assert budgets("--account", "prod") is None
    assert budgets("--env", "dev") is None  # no budget for dev: no table
