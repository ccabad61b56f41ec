"""A cost report as a :class:`~awsroles.render.Result`: render.py shows it as a terminal table,
CSV, JSON or Markdown. Every form reconciles.

- CSV and JSON carry the amounts exactly as the source gave them (no rounding): summing the rows
  gives the month total exactly; round in the spreadsheet.
- The table and Markdown show two decimal places. Row totals are rounded with the largest-remainder
  method, so the displayed rows add up to the displayed month total to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from awsroles.costs.categories import CATEGORIES
from awsroles.costs.model import Report, ReportRow
from awsroles.costs.report import CENT, ZERO, cents, deltas, estimated_months
from awsroles.render import Result, Table


def csv_columns(report: Report) -> tuple[str, ...]:
    """The CSV header: the categories (with an ``unknown: <type>`` column for each type no row of the
    category table names), totals, and the accounts."""
    return ("month", "environment", "currency", *report.categories, "total", "run_rate", "estimated", "accounts")


def plain(value: Decimal) -> str:
    """A plain number: no exponent, no thousands separator."""
    return format(value.normalize() if value != 0 else ZERO, "f")


def allocate(values: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """Round ``values`` to cents so they add up to ``total`` rounded to cents (largest remainder)."""
    floors = [v.quantize(CENT, rounding=ROUND_FLOOR) for v in values]
    left = int((cents(total) - sum(floors, ZERO)) / CENT)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    out = list(floors)
    for i in order[:max(0, left)] if order else []:
        out[i] += CENT
    return out


def month_rows(report: Report, month: str) -> list[ReportRow]:
    return [row for row in report.rows if row.month == month]


def _money(value: Decimal) -> str:
    return f"{cents(value):,.2f}"


def _label(report: Report, month: str) -> str:
    return f"{month} (estimated)" if month in estimated_months(report) else month


def title(report: Report) -> str:
    return f"Costs by environment, {report.view} view ({report.metric}), {report.currency}"


def _display_rows(report: Report) -> list[tuple[str, list[str]]]:
    """(month, cells) for the table (and Markdown): each environment, then the month total."""
    out: list[tuple[str, list[str]]] = []
    categories = report.categories
    for month in report.months:
        rows = month_rows(report, month)
        allocated = allocate([r.total for r in rows], report.totals.get(month, ZERO))
        for row, total in zip(rows, allocated, strict=True):
            out.append((month, [_label(report, month), row.environment,
                                *(_money(row.amounts.get(c, ZERO)) for c in categories),
                                _money(total), _money(row.run_rate)]))
        run_rate = sum((r.run_rate for r in rows), ZERO)
        out.append((month, [_label(report, month), "total", *(
            _money(sum((r.amounts.get(c, ZERO) for r in rows), ZERO)) for c in categories),
            _money(report.totals.get(month, ZERO)), _money(run_rate)]))
    return out


def display_columns(report: Report) -> tuple[str, ...]:
    return ("month", "environment", *report.categories, "total", "run rate")


def notes(report: Report) -> list[str]:
    lines: list[str] = []
    for month in report.months:
        for row in month_rows(report, month):
            if row.environment.startswith("(") and row.accounts:  # shared, another cloud's, unmapped: by name
                names = ", ".join(f"{n} ({i})" if n != i else i for i, n in zip(row.accounts, row.account_names,
                                                                                  strict=True))
                lines.append(f"{month} {row.environment}: {names}")
            if row.services:
                parts = ", ".join(f"{s} {_money(a)}" for s, a in row.services)
                lines.append(f"{month} {row.environment} by service: {parts}")
    unknown = report.categories[len(CATEGORIES):]
    if unknown:
        lines.append(f"{', '.join(unknown)}: record types awsroles does not know yet, each in a column of its "
                     "own (counted in the total and the run rate)")
    if estimated_months(report):
        lines.append("(estimated): the month is still open; its numbers will change and it has no "
                     "month-over-month change.")
    for delta in deltas(report):
        pct = f" ({delta.percent:+}%)" if delta.percent is not None else ""
        lines.append(f"{delta.previous} -> {delta.month} {delta.environment}: {_money(delta.change)}{pct}")
    return lines


def table(report: Report) -> Table:
    """The report for people: two decimals, each month a section ending in its (bold) total."""
    rows: list[list[str]] = []
    bold: set[int] = set()
    sections: set[int] = set()
    previous = None
    for month, cells in _display_rows(report):
        if month != previous:
            sections.add(len(rows))
        if cells[1] == "total":
            bold.add(len(rows))
        rows.append(cells)
        previous = month
    columns = display_columns(report)
    align = ["left", "left"] + ["right"] * (len(columns) - 2)
    return Table(columns, rows, title=title(report), align=align, bold=frozenset(bold),
                 sections=frozenset(sections))


def csv_table(report: Report) -> Table:
    """One line per month and environment, amounts exact as the source gave them."""
    categories = report.categories
    return Table(csv_columns(report), [
        [row.month, row.environment, report.currency, *(plain(row.amounts.get(c, ZERO)) for c in categories),
         plain(row.total), plain(row.run_rate), "yes" if row.estimated else "no", " ".join(row.accounts)]
        for row in report.rows])


def forecast_note(row: Mapping[str, str], currency: str) -> str:
    """One line for people, amounts as in the table (thousands separated); the JSON keeps plain decimals."""
    spent, ahead, total = (_money(Decimal(row[key])) for key in ("spent", "forecast", "total"))
    return f"forecast {row['month']} {row['environment']}: {spent} so far + {ahead} forecast = {total} {currency}"


def result(report: Report, forecast: Sequence[Mapping[str, str]] = ()) -> Result:
    """What ``awsroles costs`` prints, in every form (render.py turns it into table, CSV, JSON, Markdown)."""
    data = as_dict(report)
    if forecast:
        data["forecast"] = [dict(row) for row in forecast]
    return Result(data, tables=[table(report)], csv=csv_table(report),
                  notes=[*notes(report), *(forecast_note(row, report.currency) for row in forecast)])


def as_dict(report: Report) -> dict[str, Any]:
    """JSON-ready: amounts as strings of exact decimals (JSON numbers would be floats)."""
    months = []
    for month in report.months:
        months.append({
            "month": month,
            "estimated": month in estimated_months(report),
            "total": plain(report.totals.get(month, ZERO)),
            "rows": [{
                "environment": row.environment,
                "amounts": {c: plain(row.amounts.get(c, ZERO)) for c in report.categories},
                "total": plain(row.total),
                "run_rate": plain(row.run_rate),
                "accounts": [{"id": i, "name": n} for i, n in zip(row.accounts, row.account_names, strict=True)],
                **({"services": [{"service": s, "amount": plain(a)} for s, a in row.services]}
                   if row.services else {}),
            } for row in month_rows(report, month)],
        })
    return {
        "metric": report.metric, "view": report.view, "currency": report.currency, "source": report.source,
        "requests": report.requests, "months": months,
        "deltas": [{"month": d.month, "previous": d.previous, "environment": d.environment,
                    "change": plain(d.change), "percent": None if d.percent is None else str(d.percent)}
                   for d in deltas(report)],
    }


