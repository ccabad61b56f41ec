"""A cost report as a :class:`~awsroles.render.Result`: render.py shows it as a terminal table,
CSV, JSON or Markdown. Every form reconciles.

- CSV and JSON carry the amounts exactly as the source gave them (no rounding): summing the rows
  gives the month total exactly; round in the spreadsheet.
- The table and Markdown show two decimal places. Row totals are rounded with the largest-remainder
  method, so the displayed rows add up to the displayed month total to the cent.
- With ``--by``, a second table breaks each row down (top N, then "other", which add up to the
  row's total), and the CSV is that breakdown, one line per period, environment and group.
- With ``--commitments``, a table of Savings Plans and Reserved Instances per environment
  (:mod:`awsroles.costs.commitments`); the CSV is that table, exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from awsroles.costs.categories import CATEGORIES
from awsroles.costs.commitments import UNITS, Commitment
from awsroles.costs.model import Report, ReportRow
from awsroles.costs.report import CENT, ZERO, cents, deltas, estimated_months
from awsroles.render import Result, Table


def csv_columns(report: Report) -> tuple[str, ...]:
    """The CSV header: the categories (with an ``unknown: <type>`` column for each type no row of the
    category table names), totals, and the accounts."""
    return (report.period, "environment", "currency", *report.categories, "total", "run_rate", "estimated",
            "accounts")


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
    daily = ", daily" if report.granularity == "daily" else ""
    only = f" ({', '.join(report.selection)} only)" if report.selection else ""
    return f"Costs by environment{only}, {report.view} view ({report.metric}){daily}, {report.currency}"


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
    return (report.period, "environment", *report.categories, "total", "run rate")


def notes(report: Report) -> list[str]:
    lines: list[str] = []
    for month in report.months:
        for row in month_rows(report, month):
            if row.environment.startswith("(") and row.accounts:  # shared, another cloud's, unmapped: by name
                names = ", ".join(f"{n} ({i})" if n != i else i for i, n in zip(row.accounts, row.account_names,
                                                                                  strict=True))
                lines.append(f"{month} {row.environment}: {names}")
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


def breakdown_table(report: Report) -> Table:
    """``--by``: per period and row, the top groups then "other" (they add up to the row's total)."""
    assert report.by is not None
    rows: list[list[str]] = []
    sections: set[int] = set()
    previous = None
    for row in report.rows:
        if row.month != previous:
            sections.add(len(rows))
            previous = row.month
        first = True
        for name, amount in row.breakdown:
            rows.append([_label(report, row.month) if first else "", row.environment if first else "", name,
                         _money(amount)])
            first = False
    return Table((report.period, "environment", report.by.label, "amount"), rows,
                 title=f"By {report.by.label} (top {report.top}, then other), {report.currency}",
                 align=("left", "left", "left", "right"), sections=frozenset(sections))


def breakdown_csv(report: Report) -> Table:
    """``--by`` as CSV: one line per period, environment and group, amounts exact."""
    assert report.by is not None
    return Table((report.period, "environment", report.by.label, "currency", "amount"), [
        [row.month, row.environment, name, report.currency, plain(amount)]
        for row in report.rows for name, amount in row.breakdown])


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


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value}%"


COMMITMENT_NOTES = (
    "coverage: how much of the environment's eligible usage a commitment covered (Savings Plans: the on-demand "
    "cost of EC2 instances, Fargate and Lambda; Reserved Instances: EC2 instance hours)",
    "utilization, on-demand equivalent, cost, savings: the commitments the environment's accounts bought; cost is "
    "their amortized commitment, used and unused; savings = on-demand equivalent - cost",
)


def commitments_table(report: Report, items: Sequence[Commitment]) -> Table:
    """Savings Plans and Reserved Instances per period and row, for people (rows without any figure left out)."""
    rows: list[list[str]] = []
    sections: set[int] = set()
    previous = None
    for item in items:
        if item.empty:
            continue
        if item.month != previous:
            sections.add(len(rows))
            previous = item.month
        rows.append([item.month, item.environment, item.kind, _percent(item.coverage), _percent(item.utilization),
                     _money(item.on_demand_equivalent), _money(item.cost), _money(item.savings)])
    return Table((report.period, "environment", "commitment", "coverage", "utilization", "on-demand equivalent",
                  "cost", "savings"), rows, title=f"Savings Plans and Reserved Instances, {report.currency}",
                 align=("left", "left", "left", "right", "right", "right", "right", "right"),
                 sections=frozenset(sections))


def commitments_csv(report: Report, items: Sequence[Commitment]) -> Table:
    """Every period, row and kind, figures exact (hours for Reserved Instance coverage)."""
    return Table((report.period, "environment", "commitment", "covered", "not_covered", "coverage_unit", "coverage",
                  "purchased", "used", "utilization", "on_demand_equivalent", "cost", "savings", "currency"), [
        [item.month, item.environment, item.kind, plain(item.covered), plain(item.not_covered), UNITS[item.kind],
         "" if item.coverage is None else str(item.coverage), plain(item.purchased), plain(item.used),
         "" if item.utilization is None else str(item.utilization), plain(item.on_demand_equivalent),
         plain(item.cost), plain(item.savings), report.currency] for item in items])


def result(report: Report, forecast: Sequence[Mapping[str, str]] = (),
           commitments: Sequence[Commitment] | None = None) -> Result:
    """What ``awsroles costs`` prints, in every form (render.py turns it into table, CSV, JSON, Markdown)."""
    from awsroles.costs.commitments import as_dict as commitment_dict

    data = as_dict(report)
    if forecast:
        data["forecast"] = [dict(row) for row in forecast]
    tables = [table(report)]
    csv = csv_table(report)
    extra: list[str] = []
    if report.by is not None:
        tables.append(breakdown_table(report))
        csv = breakdown_csv(report)
    if commitments is not None:
        data["commitments"] = [{report.period: item.month, **commitment_dict(item)} for item in commitments]
        tables.append(commitments_table(report, commitments))
        csv = commitments_csv(report, commitments)
        extra = list(COMMITMENT_NOTES)
    return Result(data, tables=tables, csv=csv,
                  notes=[*notes(report), *(forecast_note(row, report.currency) for row in forecast), *extra])


def as_dict(report: Report) -> dict[str, Any]:
    """JSON-ready: amounts as strings of exact decimals (JSON numbers would be floats)."""
    months = []
    for month in report.months:
        months.append({
            report.period: month,
            "estimated": month in estimated_months(report),
            "total": plain(report.totals.get(month, ZERO)),
            "rows": [{
                "environment": row.environment,
                "amounts": {c: plain(row.amounts.get(c, ZERO)) for c in report.categories},
                "total": plain(row.total),
                "run_rate": plain(row.run_rate),
                "accounts": [{"id": i, "name": n} for i, n in zip(row.accounts, row.account_names, strict=True)],
                **({"breakdown": [{"name": s, "amount": plain(a)} for s, a in row.breakdown]}
                   if report.by is not None else {}),
            } for row in month_rows(report, month)],
        })
    return {
        "metric": report.metric, "view": report.view, "currency": report.currency, "source": report.source,
        "granularity": report.granularity, "by": None if report.by is None else str(report.by),
        "selection": list(report.selection),
        "requests": report.requests, f"{report.period}s": months,
        "deltas": [{"month": d.month, "previous": d.previous, "environment": d.environment,
                    "change": plain(d.change), "percent": None if d.percent is None else str(d.percent)}
                   for d in deltas(report)],
    }


