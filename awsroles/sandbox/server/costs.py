"""A synthetic bill for Cost Explorer, answered as Cost Explorer would.

moto's Cost Explorer answers only what a test queued, whatever the request asks, and has no Savings
Plans or reservation reports. The sandbox instead holds a deterministic synthetic bill per payer
account (seeded through ``POST /awsroles-sandbox/costs``) and answers from it:

- ``GetCostAndUsage``: the requested period, MONTHLY or DAILY, grouped by up to two of
  LINKED_ACCOUNT, RECORD_TYPE, SERVICE, a TAG (``KEY$value``) or a COST_CATEGORY (``NAME$value``),
  or not grouped (``Total``); every requested metric (UnblendedCost, AmortizedCost, BlendedCost,
  NetUnblendedCost, NetAmortizedCost); the current month Estimated; pages of four months (or of 31
  days) with NextPageToken (AWS Cost Management API Reference, GetCostAndUsage).
- ``GetCostForecast``: the rest of the current month at the pace of the days so far.
- ``GetSavingsPlansCoverage``, ``GetSavingsPlansUtilization``, ``GetReservationCoverage`` and
  ``GetReservationUtilization``: filtered on LINKED_ACCOUNT, MONTHLY or DAILY, from the same bill,
  with their pages (the documented default of 20 results; NextToken, NextPageToken), the End no
  later than today (AWS: "Future dates can't be used as an End date").

The bill, per account of weight ``w`` and month (``g`` grows it 3% a month; the current month holds
the days before today): on-demand usage of five services at 1000 * w * g a month, spread evenly over
the days, each with a cost allocation tag ``team`` (EC2 and Lambda ``backend``, RDS ``data``, S3
``platform``, CloudWatch untagged); an Enterprise Discount Program discount of 3% of usage; for
accounts of weight 2 or more a Compute Savings Plan (bought by the payer) covering 60% of their EC2
(SavingsPlanCoveredUsage and its SavingsPlanNegation; the payer's SavingsPlanRecurringFee of a
commitment 0.75 of the covered on-demand cost, 96% used) and a private rate discount of 2% of RDS;
for accounts of weight 3 or more an EC2 Reserved Instance of their own covering 10% of their EC2
(DiscountedUsage at 40% off, an RIFee for hours 90% used); on the first day of the month tax (8%),
a credit every fourth month, a refund every sixth (the payer) and Business support (3%, the payer).
Every account has the cost category ``CostCenter`` the seed gives it (or none). Amounts are exact
to 1/10000 (Decimal), so each view adds up exactly to every other.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from awsroles.sandbox.server import clock

D = Decimal
Q = D("0.0001")
ZERO = D(0)
EC2 = "Amazon Elastic Compute Cloud - Compute"
RDS = "Amazon Relational Database Service"
LAMBDA = "AWS Lambda"
# service, share of the account's usage, its team tag, eligible for a Compute Savings Plan
_SERVICES = ((EC2, D("0.55"), "backend"), (RDS, D("0.20"), "data"), ("Amazon Simple Storage Service", D("0.10"),
             "platform"), (LAMBDA, D("0.05"), "backend"), ("AmazonCloudWatch", D("0.10"), ""))
SP_COVERED = D("0.6")  # of EC2, in accounts of weight >= 2
SP_EFFECTIVE = D("0.72")  # the Savings Plan rate against on demand
SP_COMMITMENT = D("0.75")  # the commitment against the covered on-demand cost: 96% used
RI_COVERED = D("0.1")  # of EC2, in accounts of weight >= 3
RI_EFFECTIVE = D("0.6")  # the reservation's rate against on demand
RI_USED = D("0.9")  # of the reserved hours
HOURLY = D("0.10")  # the on-demand price of one EC2 instance hour
EDP, PRIVATE_RATE, TAX, SUPPORT, CREDIT = D("0.03"), D("0.02"), D("0.08"), D("0.03"), D("0.05")
METRICS = ("UnblendedCost", "AmortizedCost", "BlendedCost", "NetUnblendedCost", "NetAmortizedCost")
TAG_KEY = "team"
CATEGORY = "CostCenter"
_PAGE_MONTHS = 4
_PAGE_DAYS = 31
_PAGE_RESULTS = 20  # the commitment reports' documented default MaxResults


def q(value: Decimal) -> Decimal:
    return value.quantize(Q)


@dataclass(frozen=True)
class Line:
    """One amount of the bill: a day, an account, a record type (Cost Explorer's spelling), a service,
    the team tag, and its amount in every metric."""

    day: str
    account: str
    record_type: str
    service: str
    team: str
    metrics: dict[str, Decimal]


@dataclass
class Commitments:
    """One account's Savings Plans and reservation figures for one day (see GetSavingsPlansCoverage...)."""

    sp_covered: Decimal = ZERO  # on-demand cost of its usage a Savings Plan covered
    sp_on_demand: Decimal = ZERO  # its eligible usage left on demand (EC2, Lambda)
    ri_hours: Decimal = ZERO  # its EC2 hours a reservation covered
    ri_on_demand_hours: Decimal = ZERO  # its EC2 hours on demand
    sp_commitment: Decimal = ZERO  # the Savings Plans it owns: the commitment
    sp_used: Decimal = ZERO
    sp_on_demand_equivalent: Decimal = ZERO
    ri_purchased_hours: Decimal = ZERO  # the reservations it owns
    ri_used_hours: Decimal = ZERO
    ri_fee: Decimal = ZERO
    ri_on_demand_equivalent: Decimal = ZERO

    def add(self, other: Commitments) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _metrics(unblended: Decimal, *, amortized: Decimal | None = None, blended: Decimal | None = None,
             net: Decimal | None = None, net_amortized: Decimal | None = None) -> dict[str, Decimal]:
    amortized = unblended if amortized is None else amortized
    return {"UnblendedCost": unblended, "AmortizedCost": amortized,
            "BlendedCost": unblended if blended is None else blended,
            "NetUnblendedCost": unblended if net is None else net,
            "NetAmortizedCost": amortized if net_amortized is None else net_amortized}


@dataclass
class Bill:
    payer: str
    accounts: dict[str, float]
    months: int
    categories: dict[str, str] = field(default_factory=dict)  # account -> its CostCenter value
    today: date | None = None  # the bill's today, pinned ($AWSROLES_TODAY at seed time); else the clock

    def now(self) -> datetime:
        """The bill's now: its pinned day (plus the sandbox clock's advance), else the sandbox's time."""
        if self.today is not None:
            start = datetime(self.today.year, self.today.month, self.today.day, 12, tzinfo=timezone.utc)
            return start + timedelta(seconds=clock.sandbox_clock.offset)
        return datetime.fromtimestamp(clock.sandbox_time(), timezone.utc)

    def age(self, month: str) -> int:
        now = self.now()
        year, number = (int(x) for x in month.split("-"))
        return now.year * 12 + now.month - 1 - (year * 12 + number - 1)

    def days(self, month: str) -> list[str]:
        """The days of ``month`` the bill holds: all, or those before today in the current month."""
        year, number = (int(x) for x in month.split("-"))
        last = calendar.monthrange(year, number)[1]
        age = self.age(month)
        if age < 0 or age >= self.months:
            return []
        if age == 0:
            last = self.now().day - 1
        return [f"{month}-{d:02d}" for d in range(1, last + 1)]

    # -- the lines ---------------------------------------------------------------------------------

    def month_lines(self, month: str) -> tuple[list[Line], dict[tuple[str, str], Commitments]]:
        """Every line of ``month`` and every account's commitment figures per day."""
        days = self.days(month)
        if not days:
            return [], {}
        age = self.age(month)
        year, number = (int(x) for x in month.split("-"))
        in_month = calendar.monthrange(year, number)[1]
        growth = 1 + D(3) * (self.months - age) / 100
        lines: list[Line] = []
        figures: dict[tuple[str, str], Commitments] = {}
        for day in days:
            sp_owner = Commitments()
            for account, weight in sorted(self.accounts.items()):
                usage = D(1000) * D(str(weight)) * growth / in_month  # one day's on-demand usage
                lines.extend(self._day(day, account, D(str(weight)), usage, figures, sp_owner))
            payer = figures.setdefault((day, self.payer), Commitments())
            if sp_owner.sp_covered:
                commitment = q(sp_owner.sp_covered * SP_COMMITMENT)
                used = sp_owner.sp_used
                payer.sp_commitment += commitment
                payer.sp_used += used
                payer.sp_on_demand_equivalent += sp_owner.sp_covered
                lines.append(Line(day, self.payer, "SavingsPlanRecurringFee", "Savings Plans for AWS Compute usage",
                                  "", _metrics(commitment, amortized=commitment - used, blended=commitment,
                                               net=commitment, net_amortized=commitment - used)))
        lines.extend(self._monthly(month, days[0], age, lines))
        return lines, figures

    def _day(self, day: str, account: str, weight: Decimal, usage: Decimal,
             figures: dict[tuple[str, str], Commitments], sp_owner: Commitments) -> Iterable[Line]:
        mine = figures.setdefault((day, account), Commitments())
        for service, share, team in _SERVICES:
            amount = usage * share
            on_demand = amount
            if service == EC2 and weight >= 2:
                covered = q(amount * SP_COVERED)
                effective = q(covered * SP_EFFECTIVE)
                on_demand -= covered
                mine.sp_covered += covered
                sp_owner.sp_covered += covered
                sp_owner.sp_used += effective
                yield Line(day, account, "SavingsPlanCoveredUsage", service, team,
                           _metrics(covered, amortized=effective))
                yield Line(day, account, "SavingsPlanNegation", service, team,
                           _metrics(-covered, amortized=ZERO, net_amortized=ZERO))
            if service == EC2 and weight >= 3:
                reserved = q(amount * RI_COVERED)  # its on-demand equivalent
                on_demand -= reserved
                hours = reserved / HOURLY
                purchased = hours / RI_USED
                fee = q(purchased * HOURLY * RI_EFFECTIVE)
                effective = q(reserved * RI_EFFECTIVE)
                mine.ri_hours += hours
                mine.ri_purchased_hours += purchased
                mine.ri_used_hours += hours
                mine.ri_fee += fee
                mine.ri_on_demand_equivalent += reserved
                half = q(reserved / 2)
                yield Line(day, account, "DiscountedUsage", service, team,
                           _metrics(ZERO, amortized=effective, blended=half))
                yield Line(day, account, "RIFee", service, "",
                           _metrics(fee, amortized=fee - effective, blended=fee - half))
            on_demand = q(on_demand)
            discount = -q(on_demand * EDP)
            if service == RDS and weight >= 2:
                discount -= q(on_demand * PRIVATE_RATE)
            if service in (EC2, LAMBDA):
                mine.sp_on_demand += on_demand
            if service == EC2:
                mine.ri_on_demand_hours += on_demand / HOURLY
            yield Line(day, account, "Usage", service, team,
                       _metrics(on_demand, net=on_demand + discount, net_amortized=on_demand + discount))
            edp = -q(on_demand * EDP)
            yield Line(day, account, "Enterprise Discount Program Discount", service, team,
                       _metrics(edp, net=ZERO, net_amortized=ZERO))
            if discount != edp:
                yield Line(day, account, "Private Rate Card Discount", service, team,
                           _metrics(discount - edp, net=ZERO, net_amortized=ZERO))

    def _monthly(self, month: str, first: str, age: int, lines: list[Line]) -> Iterable[Line]:
        """Tax, credits, refunds and support: on the month's first day, from the month's other lines."""
        by_account: dict[str, Decimal] = {}
        ec2: dict[str, Decimal] = {}
        for line in lines:
            by_account[line.account] = by_account.get(line.account, ZERO) + line.metrics["UnblendedCost"]
            if line.record_type == "Usage" and line.service == EC2:
                ec2[line.account] = ec2.get(line.account, ZERO) + line.metrics["UnblendedCost"]
        out: list[Line] = []
        for account in sorted(by_account):
            out.append(Line(first, account, "Tax", "Tax", "", _metrics(q(by_account[account] * TAX))))
            if age % 4 == 1 and account in ec2:
                out.append(Line(first, account, "Credit", EC2, "", _metrics(-q(ec2[account] * CREDIT))))
        if age % 6 == 2:
            out.append(Line(first, self.payer, "Refund", "Amazon Simple Storage Service", "",
                            _metrics(D("-42.5"))))
        total = sum((line.metrics["UnblendedCost"] for line in [*lines, *out]), ZERO)
        out.append(Line(first, self.payer, "Support", "AWS Support (Business)", "", _metrics(q(total * SUPPORT))))
        return out

    # -- answers -----------------------------------------------------------------------------------

    def group_value(self, line: Line, key: tuple[str, str]) -> str:
        kind, name = key
        if kind == "TAG":
            return f"{name}${line.team if name == TAG_KEY else ''}"
        if kind == "COST_CATEGORY":
            return f"{name}${self.categories.get(line.account, '') if name == CATEGORY else ''}"
        return {"LINKED_ACCOUNT": line.account, "RECORD_TYPE": line.record_type, "SERVICE": line.service}.get(name, "")


class CostData:
    def __init__(self) -> None:
        self.bills: dict[str, Bill] = {}
        self._cache: dict[tuple[str, str, str], tuple[list[Line], dict[tuple[str, str], Commitments]]] = {}

    def seed(self, payer: str, accounts: Mapping[str, float], months: int,
             categories: Mapping[str, str] | None = None, today: date | None = None) -> None:
        self.bills[payer] = Bill(payer, dict(accounts), months, dict(categories or {}), today)
        self._cache = {k: v for k, v in self._cache.items() if k[0] != payer}

    def reset(self) -> None:
        self.bills.clear()
        self._cache.clear()

    def month(self, payer: str, month: str) -> tuple[list[Line], dict[tuple[str, str], Commitments]]:
        bill = self.bills[payer]
        key = (payer, month, bill.now().date().isoformat())
        if key not in self._cache:
            self._cache[key] = bill.month_lines(month)
        return self._cache[key]

    def lines(self, payer: str, month: str) -> list[Line]:
        return self.month(payer, month)[0]

    # -- GetCostAndUsage ---------------------------------------------------------------------------

    def answer(self, payer: str, request: Mapping[str, Any]) -> dict[str, Any]:
        bill = self.bills[payer]
        granularity = request.get("Granularity", "MONTHLY")
        metrics = list(request.get("Metrics") or ["UnblendedCost"])
        groups = [(g["Type"], g["Key"]) for g in request.get("GroupBy", [])]
        periods = _periods(request["TimePeriod"]["Start"], request["TimePeriod"]["End"], granularity)
        first = int(request.get("NextPageToken") or 0)
        size = _PAGE_MONTHS if granularity == "MONTHLY" else _PAGE_DAYS
        page = periods[first:first + size]
        results = []
        for start, end in page:
            grouped: dict[tuple[str, ...], dict[str, Decimal]] = {}
            for line in self._lines_between(payer, start, end):
                key = tuple(bill.group_value(line, g) for g in groups)
                sums = grouped.setdefault(key, dict.fromkeys(metrics, ZERO))
                for name in metrics:
                    sums[name] += line.metrics.get(name, ZERO)
            total = {name: sum((g[name] for g in grouped.values()), ZERO) for name in metrics}
            results.append({
                "TimePeriod": {"Start": start, "End": end},
                "Total": {} if groups else {name: {"Amount": f"{total[name]:f}", "Unit": "USD"} for name in metrics},
                "Groups": [{"Keys": list(k), "Metrics": {name: {"Amount": f"{v[name]:f}", "Unit": "USD"}
                                                         for name in metrics}}
                           for k, v in sorted(grouped.items())] if groups else [],
                "Estimated": start[:7] == _month_of(bill.now()),
            })
        reply: dict[str, Any] = {"GroupDefinitions": request.get("GroupBy", []), "ResultsByTime": results,
                                 "DimensionValueAttributes": []}
        if first + size < len(periods):
            reply["NextPageToken"] = str(first + size)
        return reply

    def _lines_between(self, payer: str, start: str, end: str) -> Iterable[Line]:
        for month in sorted({day[:7] for day in _days(start, end)}):
            for line in self.lines(payer, month):
                if start <= line.day < end:
                    yield line

    def _figures_between(self, payer: str, start: str, end: str, accounts: set[str]) -> Commitments:
        out = Commitments()
        for month in sorted({day[:7] for day in _days(start, end)}):
            for (day, account), figures in self.month(payer, month)[1].items():
                if start <= day < end and (not accounts or account in accounts):
                    out.add(figures)
        return out

    # -- GetCostForecast ---------------------------------------------------------------------------

    def forecast(self, payer: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The rest of the current month at the pace of its days so far, for the LINKED_ACCOUNT filter."""
        bill = self.bills[payer]
        month = _month_of(bill.now())
        wanted = set(request.get("Filter", {}).get("Dimensions", {}).get("Values", []))
        days = bill.days(month)
        spent = sum((line.metrics["UnblendedCost"] for line in self.lines(payer, month)
                     if not wanted or line.account in wanted), ZERO)
        year, number = (int(x) for x in month.split("-"))
        rest = calendar.monthrange(year, number)[1] - len(days)
        amount = q(spent * rest / len(days)) if days else ZERO
        period = request["TimePeriod"]
        return {"Total": {"Amount": f"{amount:f}", "Unit": "USD"},
                "ForecastResultsByTime": [{"TimePeriod": period, "MeanValue": f"{amount:f}"}]}

    # -- the Savings Plans and reservation reports -------------------------------------------------

    def commitments(self, payer: str, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        bill = self.bills[payer]
        period = request["TimePeriod"]
        today = bill.now().date().isoformat()
        if period["End"] > today:
            raise ValueError(f"end date past the current date ({today}): future dates can't be used as an End date")
        granularity = request.get("Granularity", "MONTHLY")
        accounts = set(request.get("Filter", {}).get("Dimensions", {}).get("Values", []))
        periods = _periods(period["Start"], period["End"], granularity)
        token = "NextToken" if operation == "GetSavingsPlansCoverage" else "NextPageToken"
        first = int(request.get(token) or 0)
        results = []
        for start, end in periods[first:first + _PAGE_RESULTS]:
            f = self._figures_between(payer, start, end, accounts)
            results.append(_report(operation, {"Start": start, "End": end}, f))
        key = {"GetSavingsPlansCoverage": "SavingsPlansCoverages", "GetSavingsPlansUtilization":
               "SavingsPlansUtilizationsByTime", "GetReservationCoverage": "CoveragesByTime",
               "GetReservationUtilization": "UtilizationsByTime"}[operation]
        reply: dict[str, Any] = {key: results}
        if operation == "GetSavingsPlansUtilization":  # no pages: the whole period, and its Total
            total = self._figures_between(payer, period["Start"], period["End"], accounts)
            reply = {key: [_report(operation, {"Start": s, "End": e}, self._figures_between(payer, s, e, accounts))
                           for s, e in periods],
                     "Total": {k: v for k, v in _report(operation, period, total).items() if k != "TimePeriod"}}
        elif first + _PAGE_RESULTS < len(periods):
            reply[token] = str(first + _PAGE_RESULTS)
        return reply


def _pct(part: Decimal, whole: Decimal) -> str:
    return f"{(part * 100 / whole):f}" if whole else "0"


def _money(value: Decimal) -> str:
    return f"{q(value):f}"


def _report(operation: str, period: Mapping[str, str], f: Commitments) -> dict[str, Any]:
    """One period of one report, in the shape the AWS Cost Management API Reference gives it."""
    if operation == "GetSavingsPlansCoverage":
        total = f.sp_covered + f.sp_on_demand
        return {"Attributes": {}, "TimePeriod": dict(period), "Coverage": {
            "SpendCoveredBySavingsPlans": _money(f.sp_covered), "OnDemandCost": _money(f.sp_on_demand),
            "TotalCost": _money(total), "CoveragePercentage": _pct(f.sp_covered, total)}}
    if operation == "GetSavingsPlansUtilization":
        unused = f.sp_commitment - f.sp_used
        return {"TimePeriod": dict(period),
                "Utilization": {"TotalCommitment": _money(f.sp_commitment), "UsedCommitment": _money(f.sp_used),
                                "UnusedCommitment": _money(unused),
                                "UtilizationPercentage": _pct(f.sp_used, f.sp_commitment)},
                "Savings": {"NetSavings": _money(f.sp_on_demand_equivalent - f.sp_commitment),
                            "OnDemandCostEquivalent": _money(f.sp_on_demand_equivalent)},
                "AmortizedCommitment": {"AmortizedRecurringCommitment": _money(f.sp_commitment),
                                        "AmortizedUpfrontCommitment": "0",
                                        "TotalAmortizedCommitment": _money(f.sp_commitment)}}
    if operation == "GetReservationCoverage":
        running = f.ri_hours + f.ri_on_demand_hours
        coverage = {"CoverageHours": {"OnDemandHours": f"{f.ri_on_demand_hours:f}", "ReservedHours": f"{f.ri_hours:f}",
                                      "TotalRunningHours": f"{running:f}",
                                      "CoverageHoursPercentage": _pct(f.ri_hours, running)},
                    "CoverageCost": {"OnDemandCost": _money(f.ri_on_demand_hours * HOURLY)}}
        return {"TimePeriod": dict(period), "Groups": [], "Total": coverage}
    unused = f.ri_purchased_hours - f.ri_used_hours
    savings = f.ri_on_demand_equivalent - f.ri_fee
    return {"TimePeriod": dict(period), "Groups": [], "Total": {
        "UtilizationPercentage": _pct(f.ri_used_hours, f.ri_purchased_hours),
        "PurchasedHours": f"{f.ri_purchased_hours:f}", "TotalActualHours": f"{f.ri_used_hours:f}",
        "UnusedHours": f"{unused:f}", "OnDemandCostOfRIHoursUsed": _money(f.ri_on_demand_equivalent),
        "NetRISavings": _money(savings), "TotalPotentialRISavings": _money(savings + unused * HOURLY * RI_EFFECTIVE),
        "AmortizedUpfrontFee": "0", "AmortizedRecurringFee": _money(f.ri_fee), "TotalAmortizedFee": _money(f.ri_fee),
        "RICostForUnusedHours": _money(unused * HOURLY * RI_EFFECTIVE), "RealizedSavings": _money(savings),
        "UnrealizedSavings": _money(unused * HOURLY * (1 - RI_EFFECTIVE))}}


def _month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def _days(start: str, end: str) -> list[str]:
    first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days)]


def _periods(start: str, end: str, granularity: str) -> list[tuple[str, str]]:
    """[start, end) cut into months (from their first day) or days, as Cost Explorer reports them."""
    if granularity == "DAILY":
        days = _days(start, end)
        return [(d, (date.fromisoformat(d) + timedelta(days=1)).isoformat()) for d in days]
    out: list[tuple[str, str]] = []
    cursor = date.fromisoformat(start[:10])
    stop = date.fromisoformat(end[:10])
    while cursor < stop:
        after = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        out.append((cursor.isoformat(), min(after, stop).isoformat()))
        cursor = after
    return out


cost_data = CostData()

_REPORTS = ("get_savings_plans_coverage", "get_savings_plans_utilization", "get_reservation_coverage",
            "get_reservation_utilization")


def patch_cost_explorer() -> Callable[[], None]:
    from moto.ce.responses import CostExplorerResponse

    original = CostExplorerResponse.get_cost_and_usage

    def get_cost_and_usage(self: Any) -> str:
        payer = str(self.current_account)
        if payer not in cost_data.bills:
            return str(original(self))
        return json.dumps(cost_data.answer(payer, json.loads(self.body)))

    saved: dict[str, Any] = {name: getattr(CostExplorerResponse, name, None)
                             for name in ("get_cost_forecast", *_REPORTS)}
    setattr(CostExplorerResponse, "get_cost_and_usage", get_cost_and_usage)  # noqa: B010

    def get_cost_forecast(self: Any) -> str:
        """moto has no GetCostForecast: the rest of the current month at the pace of its days so far."""
        payer = str(self.current_account)
        request = json.loads(self.body)
        if payer not in cost_data.bills:
            return json.dumps({"Total": {"Amount": "0", "Unit": "USD"}, "ForecastResultsByTime": []})
        return json.dumps(cost_data.forecast(payer, request))

    setattr(CostExplorerResponse, "get_cost_forecast", get_cost_forecast)  # noqa: B010

    def report(name: str) -> Callable[[Any], Any]:
        operation = "".join(part.capitalize() for part in name.split("_"))

        def answer(self: Any) -> Any:
            payer = str(self.current_account)
            if payer not in cost_data.bills:
                return 400, {}, json.dumps({"__type": "DataUnavailableException", "message": "no data"})
            try:
                return json.dumps(cost_data.commitments(payer, operation, json.loads(self.body)))
            except ValueError as exc:
                return 400, {}, json.dumps({"__type": "ValidationException", "message": str(exc)})

        answer.__name__ = name
        return answer

    for name in _REPORTS:
        setattr(CostExplorerResponse, name, report(name))

    def undo() -> None:
        setattr(CostExplorerResponse, "get_cost_and_usage", original)  # noqa: B010
        for name, method in saved.items():
            if method is None:
                delattr(CostExplorerResponse, name)
            else:
                setattr(CostExplorerResponse, name, method)

    return undo
