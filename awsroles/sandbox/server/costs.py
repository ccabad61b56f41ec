"""A synthetic bill for Cost Explorer, answered as Cost Explorer would.

moto's Cost Explorer answers only what a test queued, whatever the request asks. The sandbox
instead holds a deterministic synthetic bill per payer account (seeded through
``POST /awsroles-sandbox/costs``) and answers GetCostAndUsage from it as Cost Explorer would:
the requested months, MONTHLY, grouped by LINKED_ACCOUNT and RECORD_TYPE or SERVICE, every
requested metric, the current month Estimated, and pages (NextPageToken) of four months.
moto has no GetCostForecast: the sandbox answers it from the same bill.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from awsroles.sandbox.server import clock

_SERVICES = (("Amazon Elastic Compute Cloud - Compute", 0.55), ("Amazon Relational Database Service", 0.2),
             ("Amazon Simple Storage Service", 0.1), ("AWS Lambda", 0.05), ("Amazon CloudWatch", 0.1))
_PAGE_MONTHS = 4


class CostData:
    def __init__(self) -> None:
        self.bills: dict[str, dict[str, Any]] = {}  # payer account -> {"accounts": {id: weight}, "months": n}

    def seed(self, payer: str, accounts: Mapping[str, float], months: int) -> None:
        self.bills[payer] = {"accounts": dict(accounts), "months": months}

    def reset(self) -> None:
        self.bills.clear()

    def lines(self, payer: str, month: str) -> list[tuple[str, str, str, float]]:
        """(account, record type, service, amount) of one month of ``payer``'s bill."""
        bill = self.bills[payer]
        now = datetime.fromtimestamp(clock.sandbox_time(), timezone.utc)
        current = now.year * 12 + now.month - 1
        year, number = (int(x) for x in month.split("-"))
        age = current - (year * 12 + number - 1)
        if age < 0 or age >= bill["months"]:
            return []
        growth = 1 + 0.03 * (bill["months"] - age)  # the bill grows 3% a month
        out = []
        for account, weight in sorted(bill["accounts"].items()):
            usage = 1000.0 * weight * growth * (0.5 if age == 0 else 1.0)  # the open month is half over
            for service, share in _SERVICES:
                out.append((account, "Usage", service, round(usage * share, 4)))
            out.append((account, "Tax", "Tax", round(usage * 0.08, 4)))
            if age % 4 == 1:
                out.append((account, "Credit", _SERVICES[0][0], round(-usage * 0.05, 4)))
            if weight >= 3:
                out.append((account, "Fee", "Savings Plans for AWS Compute usage", round(150.0 * weight, 4)))
        if age % 6 == 2:
            out.append((payer, "Refund", "Amazon Simple Storage Service", -42.5))
        out.append((payer, "Support", "AWS Support (Business)", round(0.03 * sum(x[3] for x in out), 4)))
        return out

    def answer(self, payer: str, request: Mapping[str, Any]) -> dict[str, Any]:
        start, end = request["TimePeriod"]["Start"][:7], request["TimePeriod"]["End"][:10]
        metrics = list(request.get("Metrics") or ["UnblendedCost"])
        keys = [g["Key"] for g in request.get("GroupBy", [])]
        months = []
        year, number = (int(x) for x in start.split("-"))
        while f"{year:04d}-{number:02d}-01" < end:
            months.append(f"{year:04d}-{number:02d}")
            year, number = (year + 1, 1) if number == 12 else (year, number + 1)
        first = int(request.get("NextPageToken") or 0)
        page = months[first:first + _PAGE_MONTHS]
        now = datetime.fromtimestamp(clock.sandbox_time(), timezone.utc)
        results = []
        for month in page:
            grouped: dict[tuple[str, ...], float] = {}
            for account, record_type, service, amount in self.lines(payer, month):
                values = {"LINKED_ACCOUNT": account, "RECORD_TYPE": record_type, "SERVICE": service}
                key = tuple(values.get(k, "") for k in keys)
                grouped[key] = grouped.get(key, 0.0) + amount
            year, number = (int(x) for x in month.split("-"))
            after = f"{year + (number == 12):04d}-{number % 12 + 1:02d}-01"
            results.append({
                "TimePeriod": {"Start": f"{month}-01", "End": after},
                "Total": {} if keys else {m: {"Amount": f"{sum(grouped.values()):.10f}", "Unit": "USD"}
                                          for m in metrics},
                "Groups": [{"Keys": list(k), "Metrics": {m: {"Amount": f"{v:.10f}", "Unit": "USD"} for m in metrics}}
                           for k, v in sorted(grouped.items())] if keys else [],
                "Estimated": month == f"{now.year:04d}-{now.month:02d}",
            })
        reply: dict[str, Any] = {"GroupDefinitions": request.get("GroupBy", []), "ResultsByTime": results,
                                 "DimensionValueAttributes": []}
        if first + _PAGE_MONTHS < len(months):
            reply["NextPageToken"] = str(first + _PAGE_MONTHS)
        return reply


cost_data = CostData()


def patch_cost_explorer() -> Callable[[], None]:
    from moto.ce.responses import CostExplorerResponse

    original = CostExplorerResponse.get_cost_and_usage

    def get_cost_and_usage(self: Any) -> str:
        payer = str(self.current_account)
        if payer not in cost_data.bills:
            return str(original(self))
        return json.dumps(cost_data.answer(payer, json.loads(self.body)))

    setattr(CostExplorerResponse, "get_cost_and_usage", get_cost_and_usage)  # noqa: B010
    had_forecast = hasattr(CostExplorerResponse, "get_cost_forecast")
    original_forecast = getattr(CostExplorerResponse, "get_cost_forecast", None)

    def get_cost_forecast(self: Any) -> str:
        """moto has no GetCostForecast: the rest of the current month is as much again as so far
        (the synthetic open month is half over), for the accounts in the LINKED_ACCOUNT filter."""
        payer = str(self.current_account)
        request = json.loads(self.body)
        if payer not in cost_data.bills:
            return json.dumps({"Total": {"Amount": "0", "Unit": "USD"}, "ForecastResultsByTime": []})
        now = datetime.fromtimestamp(clock.sandbox_time(), timezone.utc)
        wanted = set(request.get("Filter", {}).get("Dimensions", {}).get("Values", []))
        amount = sum(x[3] for x in cost_data.lines(payer, f"{now.year:04d}-{now.month:02d}")
                     if not wanted or x[0] in wanted)
        period = request["TimePeriod"]
        return json.dumps({"Total": {"Amount": f"{amount:.10f}", "Unit": "USD"},
                           "ForecastResultsByTime": [{"TimePeriod": period, "MeanValue": f"{amount:.10f}"}]})

    setattr(CostExplorerResponse, "get_cost_forecast", get_cost_forecast)  # noqa: B010

    def undo() -> None:
        setattr(CostExplorerResponse, "get_cost_and_usage", original)  # noqa: B010
        if had_forecast:
            setattr(CostExplorerResponse, "get_cost_forecast", original_forecast)  # noqa: B010
        else:
            delattr(CostExplorerResponse, "get_cost_forecast")

    return undo

