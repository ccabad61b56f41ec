"""A synthetic bill for Cost Explorer, answered as Cost Explorer would.

moto's Cost Explorer answers only what a test queued, whatever the request asks, and has no Savings
Plans or reservation reports. The sandbox instead holds a deterministic synthetic bill per payer
account (seeded through ``POST /awsroles-sandbox/costs``) and answers from it:

- ``GetCostAndUsage``: the requested period, MONTHLY or DAILY, grouped by up to two of
  LINKED_ACCOUNT, RECORD_TYPE, SERVICE, a TAG (``KEY$value``) or a COST_CATEGORY (``NAME$value``),
  or not grouped (``Total``); every requested metric (UnblendedCost, AmortizedCost, BlendedCost,
  NetUnblendedCost, NetAmortizedCost); the current month Estimated; pages of four months (or of 31
  days) with NextPageToken (AWS Cost Management API Reference, GetCostAndUsage).
- ``GetCostForecast``: the rest of the current month at the pace of the days so far (on the first
  day, at the previous month's pace).
- ``GetSavingsPlansCoverage``, ``GetSavingsPlansUtilization``, ``GetReservationCoverage`` and
  ``GetReservationUtilization``: filtered on LINKED_ACCOUNT, MONTHLY or DAILY, from the same bill,
  with their pages (the documented default of 20 results; NextToken, NextPageToken), the End no
  later than today (AWS: "Future dates can't be used as an End date").

The bill itself, and how it is made: :mod:`awsroles.sandbox.server.bill`.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from awsroles.sandbox.server.bill import HOURLY, RI_EFFECTIVE, ZERO, Bill, Commitments, Line, q

_PAGE_MONTHS = 4
_PAGE_DAYS = 31
_PAGE_RESULTS = 20  # the commitment reports' documented default MaxResults


class CostData:
    def __init__(self) -> None:
        self.bills: dict[str, Bill] = {}
        self._cache: dict[tuple[str, str, str], tuple[list[Line], dict[tuple[str, str], Commitments]]] = {}
        self._by_day: dict[tuple[str, str, str], dict[str, list[Line]]] = {}  # the same months' lines by day

    def seed(self, payer: str, accounts: Mapping[str, float], months: int,
             categories: Mapping[str, str] | None = None, today: date | None = None) -> None:
        self.bills[payer] = Bill(payer, dict(accounts), months, dict(categories or {}), today)
        self._cache = {k: v for k, v in self._cache.items() if k[0] != payer}
        self._by_day = {k: v for k, v in self._by_day.items() if k[0] != payer}

    def reset(self) -> None:
        self.bills.clear()
        self._cache.clear()
        self._by_day.clear()

    def month(self, payer: str, month: str) -> tuple[list[Line], dict[tuple[str, str], Commitments]]:
        bill = self.bills[payer]
        key = (payer, month, bill.now().date().isoformat())
        if key not in self._cache:
            self._cache[key] = bill.month_lines(month)
        return self._cache[key]

    def lines(self, payer: str, month: str) -> list[Line]:
        return self.month(payer, month)[0]

    def lines_of_day(self, payer: str, day: str) -> list[Line]:
        """The lines of one ``day`` (YYYY-MM-DD), indexed once per month: a DAILY report asks for each
        day of its months, and each day no longer scans its whole month."""
        month = day[:7]
        key = (payer, month, self.bills[payer].now().date().isoformat())
        if key not in self._by_day:
            index: dict[str, list[Line]] = {}
            for line in self.lines(payer, month):
                index.setdefault(line.day, []).append(line)
            self._by_day[key] = index
        return self._by_day[key].get(day, [])

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
        for day in _days(start, end):
            yield from self.lines_of_day(payer, day)

    def _figures_between(self, payer: str, start: str, end: str, accounts: set[str]) -> Commitments:
        out = Commitments()
        for month in sorted({day[:7] for day in _days(start, end)}):
            for (day, account), figures in self.month(payer, month)[1].items():
                if start <= day < end and (not accounts or account in accounts):
                    out.add(figures)
        return out

    # -- GetCostForecast ---------------------------------------------------------------------------

    def forecast(self, payer: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The rest of the current month at the pace of its days so far, for the LINKED_ACCOUNT filter;
        on the month's first day, which has none yet, at the pace of the month before (AWS forecasts
        from the account's history, not from the current month alone)."""
        bill = self.bills[payer]
        month = _month_of(bill.now())
        wanted = set(request.get("Filter", {}).get("Dimensions", {}).get("Values", []))
        days = bill.days(month)
        paced = month if days else _month_of(bill.now().replace(day=1) - timedelta(days=1))
        pace_days = bill.days(paced)
        spent = sum((line.metrics["UnblendedCost"] for line in self.lines(payer, paced)
                     if not wanted or line.account in wanted), ZERO)
        year, number = (int(x) for x in month.split("-"))
        rest = calendar.monthrange(year, number)[1] - len(days)
        amount = q(spent * rest / len(pace_days)) if pace_days else ZERO
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
