"""Budget against actual and forecast cost (``awsroles costs`` with budgets in the org file)."""

from __future__ import annotations

import io
import json
from decimal import Decimal

from awsroles.costs import formats
from awsroles.costs.budgets import budget_rows, with_budgets
from awsroles.costs.model import AccountInfo, CostLine
from awsroles.costs.report import build_report
from awsroles.org.model import Org
from awsroles.render import Result
from awsroles.render import render as render_to
from tests.unit.test_org_budgets import org_text
from tests.unit.test_orgfile import valid

ACCOUNTS = {"222222222222": AccountInfo("222222222222", "dev", "dev"),
            "444444444444": AccountInfo("444444444444", "prod", "prod")}
LINES = [
    CostLine("2026-09", "222222222222", "Usage", Decimal("120.004")),
    CostLine("2026-09", "444444444444", "Usage", Decimal("4000")),
    CostLine("2026-10", "222222222222", "Usage", Decimal("99.99")),
    CostLine("2026-10", "444444444444", "Usage", Decimal("5100.50")),
    CostLine("2026-10", "444444444444", "Credit", Decimal("-50")),
]
FORECAST = [{"month": "2026-11", "environment": "prod", "spent": "2600.00", "forecast": "2600.00", "total": "5200.00"},
            {"month": "2026-11", "environment": "dev", "spent": "40.00", "forecast": "40.00", "total": "80.00"}]


def render(result: Result, fmt: str) -> str:
    buffer = io.StringIO()
    render_to(result, fmt, buffer)
    return buffer.getvalue()


def org() -> Org:
    return valid(org_text(dev="budget = 100 USD", prod="budget = 5000 USD"))


def test_each_month_and_budgeted_environment_against_its_budget() -> None:
    report = build_report(LINES, ACCOUNTS, ["2026-09", "2026-10"], "unblended")
    rows = budget_rows(report, FORECAST, org())
    assert [(r["month"], r["environment"], r["budget"], r["actual"], r["actual_percent"], r["forecast"],
             r["forecast_percent"], r["status"]) for r in rows] == [
        ("2026-09", "dev", "100", "120.004", "120.0", None, None, "over"),
        ("2026-09", "prod", "5000", "4000", "80.0", None, None, "ok"),
        ("2026-10", "dev", "100", "99.99", "100.0", None, None, "ok"),
        ("2026-10", "prod", "5000", "5050.5", "101.0", None, None, "over"),  # credits count, as in AWS Budgets
        ("2026-11", "dev", "100", "40", "40.0", "80", "80.0", "ok"),
        ("2026-11", "prod", "5000", "2600", "52.0", "5200", "104.0", "forecast over"),
    ]
    assert [r["estimated"] for r in rows] == [False] * 4 + [True] * 2


def test_every_form_shows_the_budgets() -> None:
    report = build_report(LINES, ACCOUNTS, ["2026-10"], "amortized")
    result = with_budgets(formats.result(report, FORECAST), report, FORECAST, org())
    table = render(result, "table")
    assert "Budgets (monthly, USD)" in table
    assert "2026-11 (estimated)" in table and "5,200.00" in table and "104.0%" in table and "forecast over" in table
    assert "budgets: compared with amortized cost; AWS Budgets alerts on unblended cost" in table
    data = json.loads(render(result, "json"))
    assert data["budgets"][1] == {
        "month": "2026-10", "environment": "prod", "currency": "USD", "budget": "5000", "actual": "5050.5",
        "actual_percent": "101.0", "forecast": None, "forecast_percent": None, "estimated": False, "status": "over"}
    assert data["months"][0]["month"] == "2026-10"  # the report itself is unchanged
    assert render(result, "csv") == render(formats.result(report, FORECAST), "csv")
    markdown = render(result, "md")
    assert "## Budgets (monthly, USD)" in markdown


def test_without_forecast_a_note_says_how_to_get_one_and_no_budget_no_table() -> None:
    report = build_report(LINES, ACCOUNTS, ["2026-10"], "unblended")
    result = with_budgets(formats.result(report), report, [], org())
    assert "budgets: add --forecast" in render(result, "table")
    plain = formats.result(report)
    assert with_budgets(plain, report, [], valid(org_text())) is plain


def test_budgets_follow_the_environments_a_view_shows() -> None:
    """--env prod keeps prod's budget only (dev's would read as 0 spent)."""
    from awsroles.costs.views import select

    selection = select(["prod"], [], ACCOUNTS)
    kept = [x for x in LINES if selection.keeps(x.account_id, ACCOUNTS[x.account_id].row)]
    report = build_report(kept, ACCOUNTS, ("2026-10",), "unblended", only=selection.only(ACCOUNTS))
    assert [(r["environment"], r["actual"]) for r in budget_rows(report, [], org())] == [("prod", "5050.5")]
