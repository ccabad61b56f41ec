"""Savings Plans and Reserved Instances per environment: coverage, utilization and savings
(``awsroles costs --commitments``), from Cost Explorer or from the CUR.

Two points of view, as AWS's own reports take them:

- **coverage** is the environment's usage: how much of what its accounts ran, of the kind a
  commitment can cover, a commitment did cover. Savings Plans: the on-demand cost of covered usage
  against that of eligible usage left on demand (Cost Explorer's GetSavingsPlansCoverage:
  SpendCoveredBySavingsPlans and OnDemandCost). Reserved Instances: EC2 instance hours, reserved
  against on demand (GetReservationCoverage: ReservedHours and OnDemandHours).
- **utilization, on-demand equivalent, cost and savings** are the commitments the environment's
  accounts bought: how much of them was used, what the usage they covered would have cost on demand,
  what they cost (their amortized commitment: used and unused), and the difference, the net savings
  (negative when the unused part outweighs the discount). Savings Plans: GetSavingsPlansUtilization
  (TotalCommitment, UsedCommitment, Savings.OnDemandCostEquivalent,
  AmortizedCommitment.TotalAmortizedCommitment). Reserved Instances: GetReservationUtilization
  (PurchasedHours, TotalActualHours, OnDemandCostOfRIHoursUsed, TotalAmortizedFee).

Most organisations buy commitments in one account (the payer or a shared one): its row then holds
the utilization and savings, while each environment shows its coverage.

Reserved Instances are EC2's: Cost Explorer's reservation reports cover Amazon Elastic Compute
Cloud - Compute unless asked for another service, and the CUR's figures are kept to the same.

The same figures from the CUR (:func:`awsroles.costs.cur_commitments.commitments_query`): covered
usage is SavingsPlanCoveredUsage at its unblended (on-demand) cost and EC2 DiscountedUsage hours;
eligible on-demand usage is CUDOS's compute_savings_plan_eligible_spend (Savings Plans) and EC2
instance hours (BoxUsage, DedicatedUsage); the commitment is savings_plan_total_commitment_to_date
and savings_plan_used_commitment of SavingsPlanRecurringFee, and an EC2 RIFee's recurring fee plus
its amortized upfront fee (reservation_total_reserved_units, reservation_unused_quantity); the
on-demand equivalent is the covered usage's unblended cost (Savings Plans) and
pricing_public_on_demand_cost (reservations), counted for the account in the plan's or the
reservation's ARN.

Cost Explorer: one request per environment and report (four reports), filtered on the
environment's accounts (LINKED_ACCOUNT), MONTHLY or DAILY, every page; closed months are cached
like the cost report's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import ClientError

from awsroles.costs import months as m
from awsroles.costs.model import AccountInfo, row_of
from awsroles.errors import AwsrolesError, aws_error_code

ZERO = Decimal(0)
SAVINGS_PLANS = "Savings Plans"
RESERVATIONS = "Reserved Instances"
KINDS = (SAVINGS_PLANS, RESERVATIONS)
UNITS = {SAVINGS_PLANS: "cost", RESERVATIONS: "hours"}  # what coverage counts


@dataclass(frozen=True)
class CommitmentSums:
    """The CUR's sums of one period, usage account and commitment owner (see the module's docstring)."""

    period: str
    account_id: str
    owner: str  # the account in the covering plan's or reservation's ARN ("" for other lines)
    sp_covered: Decimal = ZERO
    sp_on_demand: Decimal = ZERO
    ri_hours: Decimal = ZERO
    ri_on_demand_hours: Decimal = ZERO
    ri_public: Decimal = ZERO
    sp_commitment: Decimal = ZERO
    sp_used: Decimal = ZERO
    ri_fee: Decimal = ZERO
    ri_purchased_hours: Decimal = ZERO
    ri_unused_hours: Decimal = ZERO


@dataclass(frozen=True)
class Commitment:
    """Savings Plans or Reserved Instances, one period (month or day) and one report row."""

    month: str
    environment: str
    kind: str  # SAVINGS_PLANS or RESERVATIONS
    covered: Decimal = ZERO  # usage a commitment covered: on-demand cost (Savings Plans) or hours (RIs)
    not_covered: Decimal = ZERO  # eligible usage left on demand, in the same unit
    purchased: Decimal = ZERO  # the commitments bought: Savings Plans' commitment, reserved hours
    used: Decimal = ZERO  # of which used, in the same unit
    on_demand_equivalent: Decimal = ZERO  # what the usage the commitments covered would have cost on demand
    cost: Decimal = ZERO  # what the commitments cost: their amortized commitment, used and unused

    @property
    def coverage(self) -> Decimal | None:
        """Percent of eligible usage a commitment covered; None without eligible usage."""
        total = self.covered + self.not_covered
        return None if total == 0 else (self.covered * 100 / total).quantize(Decimal("0.1"))

    @property
    def utilization(self) -> Decimal | None:
        """Percent of the commitments used; None without commitments."""
        return None if self.purchased == 0 else (self.used * 100 / self.purchased).quantize(Decimal("0.1"))

    @property
    def savings(self) -> Decimal:
        """Net savings: the on-demand equivalent less what the commitments cost."""
        return self.on_demand_equivalent - self.cost

    @property
    def empty(self) -> bool:
        return not any((self.covered, self.not_covered, self.purchased, self.used, self.on_demand_equivalent,
                        self.cost))


# -- from the CUR ----------------------------------------------------------------------------------


def from_cur(sums: Iterable[CommitmentSums], accounts: Mapping[str, AccountInfo], periods: Sequence[str],
             rows: Sequence[str]) -> list[Commitment]:
    """Per period, row of ``rows`` and kind: the usage accounts' coverage, the owners' utilization,
    on-demand equivalent, cost and savings."""
    totals: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))

    def add(period: str, account: str, kind: str, name: str, value: Decimal) -> None:
        if value:
            totals[(period, row_of(accounts.get(account)), kind)][name] += value

    for s in sums:
        owner = s.owner or s.account_id
        add(s.period, s.account_id, SAVINGS_PLANS, "covered", s.sp_covered)
        add(s.period, s.account_id, SAVINGS_PLANS, "not_covered", s.sp_on_demand)
        add(s.period, s.account_id, RESERVATIONS, "covered", s.ri_hours)
        add(s.period, s.account_id, RESERVATIONS, "not_covered", s.ri_on_demand_hours)
        add(s.period, s.account_id, SAVINGS_PLANS, "purchased", s.sp_commitment)
        add(s.period, s.account_id, SAVINGS_PLANS, "cost", s.sp_commitment)
        add(s.period, s.account_id, SAVINGS_PLANS, "used", s.sp_used)
        add(s.period, owner, SAVINGS_PLANS, "on_demand_equivalent", s.sp_covered)
        add(s.period, s.account_id, RESERVATIONS, "purchased", s.ri_purchased_hours)
        add(s.period, s.account_id, RESERVATIONS, "used", s.ri_purchased_hours - s.ri_unused_hours)
        add(s.period, s.account_id, RESERVATIONS, "cost", s.ri_fee)
        add(s.period, owner, RESERVATIONS, "on_demand_equivalent", s.ri_public)
    return _table(totals, periods, rows)


def _table(totals: Mapping[tuple[str, str, str], Mapping[str, Decimal]], periods: Sequence[str],
           rows: Sequence[str]) -> list[Commitment]:
    out = []
    for period in periods:
        for row in rows:
            for kind in KINDS:
                values = totals.get((period, row, kind), {})
                out.append(Commitment(period, row, kind, **{k: v for k, v in values.items()}))
    return out


# -- from Cost Explorer ----------------------------------------------------------------------------

# (operation, its results' list, its page token in the request, in the reply); None: no pages.
_REPORTS: dict[str, tuple[str, str, str | None]] = {
    "get_savings_plans_coverage": ("SavingsPlansCoverages", "NextToken", "NextToken"),
    "get_savings_plans_utilization": ("SavingsPlansUtilizationsByTime", "", None),
    "get_reservation_coverage": ("CoveragesByTime", "NextPageToken", "NextPageToken"),
    "get_reservation_utilization": ("UtilizationsByTime", "NextPageToken", "NextPageToken"),
}


def _amount(data: Any, *path: str) -> Decimal:
    for key in path:
        if not isinstance(data, Mapping):
            return ZERO
        data = data.get(key)
    try:
        return ZERO if data is None or data == "" else Decimal(str(data))
    except InvalidOperation:
        return ZERO


def _figures(operation: str, item: Mapping[str, Any]) -> dict[str, Decimal]:
    """One period's figures of one report, named as :class:`Commitment`'s fields."""
    if operation == "get_savings_plans_coverage":
        return {"covered": _amount(item, "Coverage", "SpendCoveredBySavingsPlans"),
                "not_covered": _amount(item, "Coverage", "OnDemandCost")}
    if operation == "get_savings_plans_utilization":
        return {"purchased": _amount(item, "Utilization", "TotalCommitment"),
                "used": _amount(item, "Utilization", "UsedCommitment"),
                "on_demand_equivalent": _amount(item, "Savings", "OnDemandCostEquivalent"),
                "cost": _amount(item, "AmortizedCommitment", "TotalAmortizedCommitment")}
    if operation == "get_reservation_coverage":
        return {"covered": _amount(item, "Total", "CoverageHours", "ReservedHours"),
                "not_covered": _amount(item, "Total", "CoverageHours", "OnDemandHours")}
    return {"purchased": _amount(item, "Total", "PurchasedHours"),
            "used": _amount(item, "Total", "TotalActualHours"),
            "on_demand_equivalent": _amount(item, "Total", "OnDemandCostOfRIHoursUsed"),
            "cost": _amount(item, "Total", "TotalAmortizedFee")}


def _ask(ce: Any, operation: str, start: str, end: str, ids: Sequence[str],
         granularity: str) -> tuple[dict[str, dict[str, Decimal]], int]:
    """One report for one row's accounts over [start, end): figures per period, and requests made."""
    from awsroles.costs.ce import _billing_error

    results, token_in, token_out = _REPORTS[operation]
    kwargs: dict[str, Any] = {"TimePeriod": {"Start": start, "End": end}, "Granularity": granularity.upper(),
                              "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": list(ids)}}}
    if operation == "get_savings_plans_coverage":
        kwargs["Metrics"] = ["SpendCoveredBySavingsPlans"]
    if operation == "get_reservation_coverage":
        kwargs["Metrics"] = ["Hour"]
    out: dict[str, dict[str, Decimal]] = {}
    requests = 0
    while True:
        requests += 1
        try:
            reply = getattr(ce, operation)(**kwargs)
        except AwsrolesError:  # aws.AwsGaveUp
            raise
        except ClientError as exc:
            if aws_error_code(exc) == "DataUnavailableException":  # no commitment, no eligible usage: zeros
                return out, requests
            raise _billing_error(exc) from exc
        for item in reply.get(results, []):
            begin = item["TimePeriod"]["Start"]
            period = begin[:7] if granularity == "monthly" else begin[:10]
            figures = _figures(operation, item)
            into = out.setdefault(period, {})
            for name, value in figures.items():
                into[name] = into.get(name, ZERO) + value
        token = reply.get(token_out) if token_out else None
        if not token:
            return out, requests
        kwargs[token_in] = token


def from_cost_explorer(ce: Any, months: Sequence[str], members: Mapping[str, Sequence[str]], *, today: date,
                       granularity: str = "monthly", cache: Any | None = None) -> tuple[list[Commitment], int]:
    """The four reports for each row of ``members`` (row -> its account ids) over ``months``: one request
    (and its pages) per report, row and run of uncached months. Cost Explorer takes no End after today:
    the open month ends today (nothing to ask on its first day). Returns the figures per period, row and
    kind, and the paid requests made."""
    totals: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(dict)
    requests = 0
    kinds = {"get_savings_plans_coverage": SAVINGS_PLANS, "get_savings_plans_utilization": SAVINGS_PLANS,
             "get_reservation_coverage": RESERVATIONS, "get_reservation_utilization": RESERVATIONS}
    from awsroles.costs.ce import _runs

    for row, ids in members.items():
        if not ids:
            continue
        key = ",".join(sorted(ids))
        for operation, kind in kinds.items():
            grouping = f"{operation}:{key}@{granularity.upper()}"
            missing = []
            for month in months:
                cached = cache.get_figures(grouping, month) if cache is not None else None
                if cached is None:
                    missing.append(month)
                    continue
                for period, figures in cached.items():
                    totals[(period, row, kind)].update(figures)
            for run in _runs(missing):
                start, end = m.start_date(run[0]), min(m.end_date(run[-1]), today.isoformat())
                if start >= end:
                    continue
                got, n = _ask(ce, operation, start, end, ids, granularity)
                requests += n
                for period, figures in got.items():
                    totals[(period, row, kind)].update(figures)
                if cache is not None:
                    for month in run:
                        if m.is_closed(month, today):
                            cache.put_figures(grouping, month, {p: f for p, f in got.items() if p[:7] == month})
    periods = _periods(months, granularity, today)
    return _table(totals, periods, list(members)), requests


def _periods(months: Sequence[str], granularity: str, today: date) -> list[str]:
    if granularity == "monthly":
        return list(months)
    return [day for month in months for day in m.days(month, today)]


def as_dict(item: Commitment) -> dict[str, Any]:
    """JSON-ready: amounts and hours as exact decimal strings, percentages as strings (None without a base)."""
    from awsroles.costs.formats import plain

    return {"environment": item.environment, "kind": item.kind, "coverage_unit": UNITS[item.kind],
            **{f.name: plain(getattr(item, f.name)) for f in fields(item)
               if f.name not in ("month", "environment", "kind")},
            "coverage": None if item.coverage is None else str(item.coverage),
            "utilization": None if item.utilization is None else str(item.utilization),
            "savings": plain(item.savings)}
