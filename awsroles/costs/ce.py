"""Cost Explorer as a cost source: ``GetCostAndUsage``, every page, every request counted.

Each request is paid ($0.01), so closed months (entirely in the past and no longer estimated)
are cached under the user cache directory; a re-run of the same report makes no request.

Lines: with ``by_service`` two queries run over the same months, LINKED_ACCOUNT + RECORD_TYPE
(lines with a ``record_type`` and no ``service``: the categories and totals) and
LINKED_ACCOUNT + SERVICE (lines with a ``service`` and ``record_type == ""``: the breakdown).
Both are totals over all record types, so they reconcile per account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from awsroles.costs import months as m
from awsroles.costs.model import METRICS, CostLine
from awsroles.errors import AwsrolesError, UsageError, aws_error_code, aws_error_message, from_aws
from awsroles.fsutil import atomic_write

PRICE_PER_REQUEST = Decimal("0.01")
_DENIED = ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException")


class BillingAccessError(AwsrolesError):
    """The credentials cannot read the bill (not the payer account, or Cost Explorer denied). Exit 1."""


class CostCache:
    """Closed months of one payer account, one 0600 JSON file per (metric, grouping, month)."""

    def __init__(self, root: Path, payer: str):
        self.root, self.payer = root, payer

    @classmethod
    def default(cls, payer: str) -> CostCache:
        from awsroles.paths import costs_cache_dir

        return cls(Path(costs_cache_dir()), payer)

    def _path(self, metric: str, grouping: str, month: str) -> Path:
        name = "-".join(re.sub(r"[^A-Za-z0-9_]", "_", p) for p in (self.payer, metric, grouping, month))
        return self.root / f"{name}.json"

    def get(self, metric: str, grouping: str, month: str) -> list[CostLine] | None:
        try:
            data = json.loads(self._path(metric, grouping, month).read_text(encoding="utf-8"))
            return [CostLine(**{**item, "amount": Decimal(item["amount"])}) for item in data["lines"]]
        except (OSError, ValueError, KeyError, TypeError, InvalidOperation):
            return None  # absent or unreadable: ask Cost Explorer again

    def put(self, metric: str, grouping: str, month: str, lines: Sequence[CostLine]) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = {"lines": [{**asdict(line), "amount": str(line.amount)} for line in lines]}
        atomic_write(self._path(metric, grouping, month), json.dumps(payload), mode=0o600)


def _runs(months: Sequence[str]) -> list[list[str]]:
    """Consecutive months grouped into runs: one query (and its pages) per run."""
    runs: list[list[str]] = []
    for month in months:
        if runs and m.end_date(runs[-1][-1]) == m.start_date(month):
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


def _query(ce: Any, run: Sequence[str], metric_name: str, second: str) -> tuple[list[CostLine], dict[str, bool], int]:
    """One GetCostAndUsage over ``run``, following NextPageToken to the end."""
    lines: list[CostLine] = []
    estimated: dict[str, bool] = {}
    requests = 0
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TimePeriod": {"Start": m.start_date(run[0]), "End": m.end_date(run[-1])},
            "Granularity": "MONTHLY",
            "Metrics": [metric_name],
            "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": second}],
        }
        if token:
            kwargs["NextPageToken"] = token
        requests += 1
        try:
            reply = ce.get_cost_and_usage(**kwargs)
        except AwsrolesError:  # aws.AwsGaveUp: still throttled after its last attempt (exit 8)
            raise
        except ClientError as exc:
            raise _billing_error(exc) from exc
        for result in reply.get("ResultsByTime", []):
            month = result["TimePeriod"]["Start"][:7]
            est = bool(result.get("Estimated", False))
            estimated[month] = estimated.get(month, False) or est
            for group in result.get("Groups", []):
                keys = group["Keys"]
                value = group["Metrics"][metric_name]
                amount = Decimal(str(value["Amount"]))
                account, key = keys[0], keys[1] if len(keys) > 1 else ""
                lines.append(CostLine(month=month, account_id=account,
                                      record_type=key if second == "RECORD_TYPE" else "",
                                      service=key if second == "SERVICE" else "",
                                      amount=amount, currency=value.get("Unit") or "USD", estimated=est))
        token = reply.get("NextPageToken") or None
        if not token:
            return lines, estimated, requests


def _billing_error(exc: ClientError) -> AwsrolesError:
    """What Cost Explorer's refusal means (no access to the bill, months it no longer has); the rest
    is errors.from_aws (throttled after the last retry: exit 8, else ``Cost Explorer: CODE: message``)."""
    code, message = aws_error_code(exc), aws_error_message(exc)
    if code in _DENIED or "member account" in message.lower() or "linked account" in message.lower():
        return BillingAccessError(
            f"no access to the bill ({code}: {message}). Run with credentials of the billing (payer) "
            "account, with ce:GetCostAndUsage allowed; a member account cannot read the consolidated bill")
    if code == "BillExpirationException":
        return UsageError(f"Cost Explorer no longer has these months ({message}); use a CUR export")
    if code == "DataUnavailableException":
        return AwsrolesError(f"Cost Explorer has no data yet ({message}); it appears within 24 hours "
                             "of enabling Cost Explorer")
    return from_aws(exc, "Cost Explorer")


def fetch(ce: Any, months: Sequence[str], metric: str, *, today: date, by_service: bool = False,
          cache: CostCache | None = None) -> tuple[list[CostLine], int]:
    """Cost lines for ``months`` and the number of paid requests made (0 when all came from the cache).

    ``today`` is the clock: only months closed by then (and no longer estimated) are cached.
    """
    if metric not in METRICS:
        raise UsageError(f"unknown metric '{metric}'; one of {', '.join(METRICS)}")
    lines: list[CostLine] = []
    requests = 0
    for grouping in ("RECORD_TYPE", "SERVICE") if by_service else ("RECORD_TYPE",):
        missing: list[str] = []
        for month in months:
            cached = cache.get(metric, grouping, month) if cache is not None else None
            if cached is None:
                missing.append(month)
            else:
                lines.extend(cached)
        for run in _runs(missing):
            got, estimated, n = _query(ce, run, METRICS[metric], grouping)
            requests += n
            lines.extend(got)
            if cache is None:
                continue
            for month in run:
                if m.is_closed(month, today) and month in estimated and not estimated[month]:
                    cache.put(metric, grouping, month, [line for line in got if line.month == month])
    return sorted(lines), requests



# GetCostForecast takes its own metric names.
_FORECAST_METRICS = {"unblended": "UNBLENDED_COST", "net-unblended": "NET_UNBLENDED_COST",
                     "amortized": "AMORTIZED_COST", "net-amortized": "NET_AMORTIZED_COST"}


def forecast(ce: Any, accounts: Sequence[str], metric: str, today: date) -> tuple[dict[str, Decimal], int]:
    """The forecast of the rest of the current month, per linked account, and the requests made.

    GetCostForecast has no GroupBy, so each account is one (paid) request filtered on
    LINKED_ACCOUNT. The forecast starts today and ends on the first of next month; on the last day
    of a month there is nothing left to forecast.
    """
    if metric not in _FORECAST_METRICS:
        raise UsageError(f"unknown metric '{metric}'; one of {', '.join(_FORECAST_METRICS)}")
    month = f"{today.year:04d}-{today.month:02d}"
    end = m.end_date(month)
    out: dict[str, Decimal] = {}
    requests = 0
    if today.isoformat() >= end:
        return out, requests
    for account in accounts:
        try:
            reply = ce.get_cost_forecast(
                TimePeriod={"Start": today.isoformat(), "End": end}, Metric=_FORECAST_METRICS[metric],
                Granularity="MONTHLY", Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}})
        except AwsrolesError:  # aws.AwsGaveUp
            raise
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "DataUnavailableException":  # a new account without history: nothing to forecast
                requests += 1
                continue
            raise _billing_error(exc) from exc
        requests += 1
        out[account] = Decimal(str(reply.get("Total", {}).get("Amount", "0")))
    return out, requests
