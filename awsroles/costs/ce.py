"""Cost Explorer as a cost source: ``GetCostAndUsage``, every page, every request counted.

Each request is paid ($0.01), so closed months (entirely in the past and no longer estimated)
are cached under the user cache directory; a re-run of the same report makes no request.

Lines: always LINKED_ACCOUNT + RECORD_TYPE (lines with a ``record_type`` and no ``group``: the
categories and totals). With ``--by service|tag:KEY|category:NAME`` a second query over the same
months groups by LINKED_ACCOUNT and the SERVICE dimension, the TAG or the COST_CATEGORY (lines with
a ``group`` and ``record_type == ""``: the breakdown); Cost Explorer allows two GroupBy, so the
account is always one of them. Both are totals over all record types, so they reconcile per account
(``--by account`` needs no second query). Cost Explorer names a tag's group ``KEY$value`` and a cost
category's ``NAME$value``, with nothing after the ``$`` for costs without one.

:func:`total_check` asks Cost Explorer for its own total of each period (no GroupBy) and compares it
with the sum of the groups the report is built from.
"""

from __future__ import annotations

import hashlib
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
from awsroles.costs.model import GRANULARITIES, METRICS, By, CostLine
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
        parts = [self.payer, metric, grouping, month]
        if not re.fullmatch(r"[A-Z_]+", grouping):  # a tag key, a cost category, daily: no two share a file
            parts[2] += "_" + hashlib.sha256(grouping.encode()).hexdigest()[:12]
        name = "-".join(re.sub(r"[^A-Za-z0-9_]", "_", p) for p in parts)
        return self.root / f"{name}.json"

    def get(self, metric: str, grouping: str, month: str) -> list[CostLine] | None:
        try:
            data = json.loads(self._path(metric, grouping, month).read_text(encoding="utf-8"))
            lines = []
            for item in data["lines"]:
                item = {("group" if key == "service" else key): value for key, value in item.items()}  # older files
                lines.append(CostLine(**{**item, "amount": Decimal(item["amount"])}))
            return lines
        except (OSError, ValueError, KeyError, TypeError, InvalidOperation):
            return None  # absent or unreadable: ask Cost Explorer again

    def put(self, metric: str, grouping: str, month: str, lines: Sequence[CostLine]) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = {"lines": [{**asdict(line), "amount": str(line.amount)} for line in lines]}
        atomic_write(self._path(metric, grouping, month), json.dumps(payload), mode=0o600)

    def get_figures(self, grouping: str, month: str) -> dict[str, dict[str, Decimal]] | None:
        """A closed month of a Savings Plans or reservation report (period -> figure -> amount)."""
        try:
            data = json.loads(self._path("figures", grouping, month).read_text(encoding="utf-8"))
            return {period: {k: Decimal(v) for k, v in figures.items()} for period, figures in data["periods"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError, InvalidOperation):
            return None

    def put_figures(self, grouping: str, month: str, periods: dict[str, dict[str, Decimal]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = {"periods": {p: {k: str(v) for k, v in f.items()} for p, f in periods.items()}}
        atomic_write(self._path("figures", grouping, month), json.dumps(payload), mode=0o600)


def _runs(months: Sequence[str]) -> list[list[str]]:
    """Consecutive months grouped into runs: one query (and its pages) per run."""
    runs: list[list[str]] = []
    for month in months:
        if runs and m.end_date(runs[-1][-1]) == m.start_date(month):
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


GROUPINGS = {"service": ("DIMENSION", "SERVICE"), "tag": ("TAG", ""), "category": ("COST_CATEGORY", "")}


def grouping_of(by: By | None) -> tuple[str, str] | None:
    """The second GroupBy (type, key) of ``--by``; None for none or ``account`` (the first query has it)."""
    if by is None or by.kind not in GROUPINGS:
        return None
    kind, key = GROUPINGS[by.kind]
    return kind, key or by.key


def _group_value(kind: str, key: str, by: By | None) -> str:
    """A group's name: the service as is; ``KEY$value`` -> value, or (untagged)/(uncategorized)."""
    if kind in ("TAG", "COST_CATEGORY"):
        value = key.partition("$")[2] if "$" in key else key
        return value or (by.missing if by is not None else "")
    return key


def _query(ce: Any, run: Sequence[str], metric_name: str, second: tuple[str, str] | None,
           granularity: str = "monthly", by: By | None = None) -> tuple[list[CostLine], dict[str, bool], int]:
    """One GetCostAndUsage over ``run``, following NextPageToken to the end. ``second``: the second
    GroupBy after LINKED_ACCOUNT (type, key); None for no GroupBy at all (Cost Explorer's own total,
    lines without an account or a record type)."""
    lines: list[CostLine] = []
    estimated: dict[str, bool] = {}
    requests = 0
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TimePeriod": {"Start": m.start_date(run[0]), "End": m.end_date(run[-1])},
            "Granularity": granularity.upper(),
            "Metrics": [metric_name],
        }
        if second is not None:
            kwargs["GroupBy"] = [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": second[0], "Key": second[1]}]
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
            start = result["TimePeriod"]["Start"]
            period = start[:7] if granularity == "monthly" else start[:10]
            est = bool(result.get("Estimated", False))
            estimated[period] = estimated.get(period, False) or est
            if second is None:
                value = (result.get("Total") or {}).get(metric_name) or {"Amount": "0"}
                lines.append(CostLine(month=period, account_id="", record_type="", amount=Decimal(str(value["Amount"])),
                                      currency=value.get("Unit") or "USD", estimated=est))
                continue
            for group in result.get("Groups", []):
                keys = group["Keys"]
                value = group["Metrics"][metric_name]
                amount = Decimal(str(value["Amount"]))
                account, key = keys[0], keys[1] if len(keys) > 1 else ""
                record = second == ("DIMENSION", "RECORD_TYPE")
                lines.append(CostLine(month=period, account_id=account,
                                      record_type=key if record else "",
                                      group="" if record else _group_value(second[0], key, by),
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


RECORD_TYPE = ("DIMENSION", "RECORD_TYPE")


def _cache_key(second: tuple[str, str] | None, granularity: str) -> str:
    """The cache's name of a query: RECORD_TYPE, SERVICE (as before), TAG:KEY, COST_CATEGORY:NAME, TOTAL,
    each with @DAILY for days."""
    if second is None:
        name = "TOTAL"
    elif second[0] == "DIMENSION":
        name = second[1]
    else:
        name = f"{second[0]}:{second[1]}"
    return name if granularity == "monthly" else f"{name}@{granularity.upper()}"


def _fetch_grouping(ce: Any, months: Sequence[str], metric: str, second: tuple[str, str] | None, *, today: date,
                    granularity: str, by: By | None, cache: CostCache | None) -> tuple[list[CostLine], int]:
    """The lines of one query over ``months``: the cached closed months, the others asked, one query per
    run of consecutive months (with its pages)."""
    grouping = _cache_key(second, granularity)
    lines: list[CostLine] = []
    requests = 0
    missing: list[str] = []
    for month in months:
        cached = cache.get(metric, grouping, month) if cache is not None else None
        if cached is None:
            missing.append(month)
        else:
            lines.extend(cached)
    for run in _runs(missing):
        got, estimated, n = _query(ce, run, METRICS[metric], second, granularity, by)
        requests += n
        lines.extend(got)
        if cache is None:
            continue
        for month in run:
            periods = [p for p in estimated if p[:7] == month]
            if m.is_closed(month, today) and periods and not any(estimated[p] for p in periods):
                cache.put(metric, grouping, month, [line for line in got if line.month[:7] == month])
    return lines, requests


def fetch(ce: Any, months: Sequence[str], metric: str, *, today: date, by: By | None = None,
          granularity: str = "monthly", cache: CostCache | None = None) -> tuple[list[CostLine], int]:
    """Cost lines for ``months`` and the number of paid requests made (0 when all came from the cache).

    ``today`` is the clock: only months closed by then (and no longer estimated) are cached. With
    ``granularity="daily"`` the lines' periods are days (``2026-10-05``).
    """
    if metric not in METRICS:
        raise UsageError(f"unknown metric '{metric}'; one of {', '.join(METRICS)}")
    if granularity not in GRANULARITIES:
        raise UsageError(f"unknown granularity '{granularity}'; one of {', '.join(GRANULARITIES)}")
    lines: list[CostLine] = []
    requests = 0
    second = grouping_of(by)
    for grouping in (RECORD_TYPE, second) if second is not None else (RECORD_TYPE,):
        got, n = _fetch_grouping(ce, months, metric, grouping, today=today, granularity=granularity, by=by,
                                 cache=cache)
        lines.extend(got)
        requests += n
    return sorted(lines), requests


def total_check(ce: Any, months: Sequence[str], metric: str, lines: Sequence[CostLine], *, today: date,
                granularity: str = "monthly", cache: CostCache | None = None) -> tuple[list[str], int]:
    """Cost Explorer's own total of each period (one more query, without GroupBy, cached as the others)
    against the sum of the groups ``lines`` (what :func:`fetch` returned): a sentence for each period
    where they differ by a cent or more, with both numbers, and the paid requests made. The groups of
    a ``--by`` query are checked against the record types', too."""
    totals, requests = _fetch_grouping(ce, months, metric, None, today=today, granularity=granularity, by=None,
                                       cache=cache)
    own = {line.month: line.amount for line in totals}
    groups: dict[str, Decimal] = {}
    breakdown: dict[str, Decimal] = {}
    for line in lines:
        if line.record_type:
            groups[line.month] = groups.get(line.month, Decimal(0)) + line.amount
        elif line.group:
            breakdown[line.month] = breakdown.get(line.month, Decimal(0)) + line.amount
    cent = Decimal("0.01")
    problems = []
    for period in sorted(set(own) | set(groups)):
        total, summed = own.get(period, Decimal(0)), groups.get(period, Decimal(0))
        if abs(total - summed) >= cent:
            problems.append(f"{period}: Cost Explorer's total is {total.quantize(cent)} but its groups "
                            f"(account and record type) add up to {summed.quantize(cent)} "
                            f"(a difference of {(total - summed).quantize(cent)}); the report shows the groups")
        if breakdown and abs(breakdown.get(period, Decimal(0)) - summed) >= cent:
            problems.append(f"{period}: the breakdown's groups add up to "
                            f"{breakdown.get(period, Decimal(0)).quantize(cent)} but the record types to "
                            f"{summed.quantize(cent)}; the difference is in 'other'")
    return problems, requests



# GetCostForecast takes its own metric names.
_FORECAST_METRICS = {"unblended": "UNBLENDED_COST", "net-unblended": "NET_UNBLENDED_COST",
                     "amortized": "AMORTIZED_COST", "net-amortized": "NET_AMORTIZED_COST",
                     "blended": "BLENDED_COST"}


def forecast(ce: Any, accounts: Sequence[str], metric: str, today: date) -> tuple[dict[str, Decimal], int]:
    """The forecast of the rest of the current month, per linked account, and the requests made.

    GetCostForecast has no GroupBy, so each account is one (paid) request filtered on
    LINKED_ACCOUNT. The forecast starts today (GetCostForecast's earliest start) and ends on the
    first of next month: today is part of it, so on a month's last day it is that day's forecast;
    on its first, the whole month's (Cost Explorer forecasts from history, not the month so far).
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
