"""Cost lines -> a report: one row per month and environment, then the "(shared)" row (the org
file's accounts outside any environment), a "(PROVIDER)" row per other cloud in a FOCUS export,
and the "(unmapped)" row (accounts the org does not know).

Pure: no AWS, no printing. Lines with a ``record_type`` feed the category columns (one table for
every source: awsroles.costs.categories) and the period totals; lines with a ``group`` feed the
``--by service|tag:KEY|category:NAME`` breakdown (see awsroles.costs.ce); ``--by account`` breaks
each row down by the accounts of its record type lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from awsroles.costs.categories import CATEGORIES, category
from awsroles.costs.model import (
    GRANULARITIES,
    METRICS,
    SHARED,
    UNMAPPED,
    AccountInfo,
    By,
    CostLine,
    Report,
    ReportRow,
    row_of,
)
from awsroles.errors import AwsrolesError

CENT = Decimal("0.01")
ZERO = Decimal("0")
OTHER = "other"  # the breakdown's rest, after the top N


class ReconciliationError(AwsrolesError):
    """The rows of a report do not add up to its totals: a bug, never shown to finance as numbers."""


def view_of(metric: str) -> str:
    if metric == "blended":
        return "blended"
    return "chargeback" if "amortized" in metric else "invoice"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def account_label(info: AccountInfo | None, account_id: str) -> str:
    """An account as a breakdown names it: its name, with the id when the name is not the id."""
    name = info.name if info is not None and info.name else account_id
    return account_id if name == account_id else f"{name} ({account_id})"


def build_report(lines: Iterable[CostLine], accounts: Mapping[str, AccountInfo], months: Sequence[str],
                 metric: str, *, by: By | None = None, top: int = 5, only: Sequence[str] | None = None,
                 requests: int = 0, source: str = "ce", granularity: str = "monthly",
                 selection: Sequence[str] = ()) -> Report:
    """The report of ``lines`` over ``months`` (the periods: months, or days with daily granularity).

    ``by``: break each row down (the top ``top`` groups, then "other"). ``only``: the rows to keep
    (``--env``/``--account``; the lines must already be those of the kept accounts), in report order.
    """
    if metric not in METRICS:
        raise AwsrolesError(f"unknown metric '{metric}'")
    if granularity not in GRANULARITIES:
        raise AwsrolesError(f"unknown granularity '{granularity}'")
    lines = [line for line in lines if line.month in months]
    currencies = {line.currency for line in lines}
    if len(currencies) > 1:
        raise AwsrolesError(f"the bill mixes currencies ({', '.join(sorted(currencies))}); report one at a time")
    currency = currencies.pop() if currencies else "USD"

    def name_of(account_id: str) -> str:
        info = accounts.get(account_id)
        return info.name if info is not None and info.name else account_id

    # Rows: environments (org file order, then tags), the shared row when the org file has accounts
    # outside every environment, a row per other cloud with costs, and the unmapped row, always.
    environments: list[str] = []
    members: dict[str, list[str]] = defaultdict(list)
    for info in accounts.values():
        if info.row == UNMAPPED:
            continue
        if info.environment and info.environment not in environments:
            environments.append(info.environment)
        members[info.row].append(info.id)
    providers = sorted({row_of(accounts.get(line.account_id), line.provider) for line in lines}
                       - {*environments, SHARED, UNMAPPED})
    order = [*environments, *([SHARED] if SHARED in members else []), *providers, UNMAPPED]
    if only is not None:
        order = [name for name in order if name in only]

    amounts: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(CATEGORIES, ZERO))
    groups: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)  # accounts of the rows listed by what has costs
    totals = {month: ZERO for month in months}
    estimated = dict.fromkeys(months, False)
    for line in lines:
        name = row_of(accounts.get(line.account_id), line.provider)
        key = (line.month, name)
        if line.estimated:
            estimated[line.month] = True
        if name not in members and line.account_id not in seen[key]:
            seen[key].append(line.account_id)
        if line.record_type:
            column = category(line.record_type)
            amounts[key][column] = amounts[key].get(column, ZERO) + line.amount
            totals[line.month] += line.amount
            if by is not None and by.kind == "account":
                groups[key][account_label(accounts.get(line.account_id), line.account_id)] += line.amount
        if line.group and by is not None and by.kind != "account":
            groups[key][line.group] += line.amount

    rows: list[ReportRow] = []
    for month in months:
        for environment in order:
            key = (month, environment)
            ids = tuple(members[environment]) if environment in members else tuple(sorted(seen[key]))
            row_amounts = dict(amounts[key]) if key in amounts else dict.fromkeys(CATEGORIES, ZERO)
            row = ReportRow(month=month, environment=environment, amounts=row_amounts, accounts=ids,
                            account_names=tuple(name_of(i) for i in ids), estimated=estimated[month])
            if by is not None:
                row = _with_breakdown(row, groups.get(key, {}), top)
            rows.append(row)
    return Report(metric=metric, view=view_of(metric), currency=currency, months=tuple(months), rows=tuple(rows),
                  totals=totals, requests=requests, source=source, granularity=granularity, by=by,
                  top=top, selection=tuple(selection))


def _with_breakdown(row: ReportRow, groups: Mapping[str, Decimal], top: int) -> ReportRow:
    """The row's ``top`` biggest groups, then "other": the rest of the row's total (left out when
    nothing is left), so the breakdown always adds up to it (with Cost Explorer, what its second query
    put in no group, too)."""
    ranked = sorted(((g, a) for g, a in groups.items() if a != 0), key=lambda item: (-item[1], item[0]))[:top]
    rest = row.total - sum((amount for _, amount in ranked), ZERO)
    return ReportRow(month=row.month, environment=row.environment, amounts=row.amounts, accounts=row.accounts,
                     account_names=row.account_names, estimated=row.estimated,
                     breakdown=(*ranked, *([(OTHER, rest)] if rest != 0 else [])))


def month_sums(rows: Iterable[ReportRow]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        sums[row.month] += row.total
    return dict(sums)


def reconcile(report: Report) -> None:
    """Every month: the rows (environments plus unmapped) add up to the total, to the cent."""
    sums = month_sums(report.rows)
    for month in report.months:
        got, want = cents(sums.get(month, ZERO)), cents(report.totals.get(month, ZERO))
        if got != want:
            raise ReconciliationError(f"{month}: rows add up to {got} but the total is {want}")
    for row in report.rows:
        if row.breakdown and cents(sum((a for _, a in row.breakdown), ZERO)) != cents(row.total):
            raise ReconciliationError(f"{row.month} {row.environment}: the breakdown does not add up to the row total")


@dataclass(frozen=True)
class Delta:
    """Month-over-month change of one environment, between two closed (not estimated) months."""

    month: str
    previous: str
    environment: str
    total: Decimal
    previous_total: Decimal

    @property
    def change(self) -> Decimal:
        return self.total - self.previous_total

    @property
    def percent(self) -> Decimal | None:
        if self.previous_total == 0:
            return None
        return (self.change * 100 / self.previous_total).quantize(Decimal("0.1"))


def estimated_months(report: Report) -> tuple[str, ...]:
    return tuple(month for month in report.months if any(r.estimated for r in report.rows if r.month == month))


def deltas(report: Report) -> tuple[Delta, ...]:
    """Changes from each month to the next; estimated months have none, either side, and days none at all
    (day-to-day changes are noise: weekends, the first of the month's fees)."""
    if report.granularity != "monthly":
        return ()
    open_months = set(estimated_months(report))
    by_key = {(r.month, r.environment): r.total for r in report.rows}
    out: list[Delta] = []
    for previous, month in zip(report.months, report.months[1:], strict=False):
        if previous in open_months or month in open_months:
            continue
        for row in report.rows:
            if row.month == month and (previous, row.environment) in by_key:
                out.append(Delta(month, previous, row.environment, row.total, by_key[(previous, row.environment)]))
    return tuple(out)
