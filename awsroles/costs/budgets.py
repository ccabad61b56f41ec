"""Budget against actual and forecast cost, per environment and month (``awsroles costs`` when the
org file declares budgets).

Pure: the budgets come from the org file (what ``apply`` makes into AWS Budgets), the actual cost
from the report's rows, the forecast from ``--forecast``'s rows (spent so far plus Cost
Explorer's forecast of the rest: what the month is expected to end at). AWS Budgets counts
unblended cost with credits, refunds, tax and support (AWS's default cost types), which is the
report's default (``--metric unblended``); with another metric the comparison is with that
metric, and a note says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from awsroles.costs.formats import plain
from awsroles.costs.model import Report
from awsroles.costs.report import ZERO, cents, estimated_months
from awsroles.org.model import Org
from awsroles.render import Result, Table

COLUMNS = ("month", "environment", "budget", "actual", "actual %", "forecast", "forecast %", "status")
BUDGET_METRIC = "unblended"  # what an AWS Budget with AWS's default cost types tracks


def _percent(value: Decimal, budget: Decimal) -> Decimal:
    return (value * 100 / budget).quantize(Decimal("0.1"))


def budget_rows(report: Report, forecast: Sequence[Mapping[str, str]], org: Org) -> list[dict[str, Any]]:
    """One row per month of the report (and the forecast's month) and environment with a budget:
    ``budget``, ``actual`` and, for the forecast's month, ``forecast`` (amounts as exact decimal
    text), each as a percentage of the budget, and ``status``: ``over`` (actual above the
    budget), ``forecast over`` (the forecast above it) or ``ok``."""
    actual = {(row.month, row.environment): row.total for row in report.rows}
    forecasts = {(row["month"], row["environment"]): row for row in forecast}
    months = list(report.months) + sorted({m for m, _ in forecasts} - set(report.months))
    shown = {row.environment for row in report.rows}  # --env: the budgets of the environments shown
    rows: list[dict[str, Any]] = []
    for month in months:
        for budget in (b for b in org.budgets if b.environment in shown):
            key = (month, budget.environment)
            ahead = forecasts.get(key)
            spent = actual.get(key, Decimal(ahead["spent"]) if ahead else ZERO)
            ending = Decimal(ahead["total"]) if ahead else None
            status = ("over" if spent > budget.amount else
                      "forecast over" if ending is not None and ending > budget.amount else "ok")
            rows.append({
                "month": month, "environment": budget.environment, "currency": budget.currency,
                "budget": plain(budget.amount), "actual": plain(spent),
                "actual_percent": str(_percent(spent, budget.amount)),
                "forecast": None if ending is None else plain(ending),
                "forecast_percent": None if ending is None else str(_percent(ending, budget.amount)),
                "estimated": month in estimated_months(report) or ahead is not None,
                "status": status,
            })
    return rows


def _money(value: str | None) -> str:
    return "" if value is None else f"{cents(Decimal(value)):,.2f}"


def with_budgets(result: Result, report: Report, forecast: Sequence[Mapping[str, str]], org: Org) -> Result:
    """``result`` (the cost report) with the budget table, its JSON (``budgets``) and notes."""
    rows = budget_rows(report, forecast, org)
    if not rows:
        return result
    table = Table(COLUMNS, [[
        f"{r['month']} (estimated)" if r["estimated"] else r["month"], r["environment"], _money(r["budget"]),
        _money(r["actual"]), f"{r['actual_percent']}%", _money(r["forecast"]),
        "" if r["forecast_percent"] is None else f"{r['forecast_percent']}%", r["status"],
    ] for r in rows], title=f"Budgets (monthly, {rows[0]['currency']})",
        align=["left", "left"] + ["right"] * 5 + ["left"])
    notes = []
    if not forecast:
        notes.append("budgets: add --forecast to see where this month is expected to end against each budget")
    if report.metric != BUDGET_METRIC:
        notes.append(f"budgets: compared with {report.metric} cost; AWS Budgets alerts on unblended cost")
    if report.currency != rows[0]["currency"]:
        notes.append(f"budgets: the report is in {report.currency}, the budgets in {rows[0]['currency']}")
    data = result.data if isinstance(result.data, dict) else {"report": result.data}
    return Result({**data, "budgets": rows}, tables=[*result.tables, table], csv=result.csv,
                  notes=[*result.notes, *notes], text=result.text, markup=result.markup,
                  json_lines=result.json_lines)
