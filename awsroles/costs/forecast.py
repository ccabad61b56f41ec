"""The current month per environment: spent so far (Cost Explorer, estimated) plus its forecast of
the rest (``awsroles costs --forecast``).

The clock is a parameter (``today``); :func:`per_environment` is the arithmetic alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from awsroles.costs import ce as ce_source
from awsroles.costs.model import SHARED, UNMAPPED, AccountInfo, CostLine, row_of
from awsroles.costs.months import month_of
from awsroles.costs.views import Selection
from awsroles.org.model import Org


def per_environment(month: str, lines: Iterable[CostLine], ahead: Mapping[str, Decimal],
                    accounts: Mapping[str, AccountInfo], order: Sequence[str]) -> list[dict[str, str]]:
    """One row per environment with a cost: ``spent`` (the month's lines so far), ``forecast``
    (``ahead``: account -> the forecast of the rest) and their ``total``, as strings with two
    decimals. The org file's accounts outside every environment add up in the SHARED row, accounts
    the org does not know in the UNMAPPED row. Environments come in ``order`` (then SHARED, UNMAPPED)."""

    def environment(account: str) -> str:
        return row_of(accounts.get(account))

    spent: dict[str, Decimal] = {}
    rest: dict[str, Decimal] = {}
    for line in lines:
        env = environment(line.account_id)
        spent[env] = spent.get(env, Decimal(0)) + line.amount
    for account, amount in ahead.items():
        env = environment(account)
        rest[env] = rest.get(env, Decimal(0)) + amount
    cent, zero = Decimal("0.01"), Decimal(0)
    rows = []
    for env in [*order, SHARED, UNMAPPED]:
        if env in spent or env in rest:
            so_far, to_come = spent.get(env, zero).quantize(cent), rest.get(env, zero).quantize(cent)
            # the total of the rounded parts: the line reads "so far + forecast = total", to the cent
            rows.append({"month": month, "environment": env, "spent": f"{so_far:.2f}", "forecast": f"{to_come:.2f}",
                         "total": f"{so_far + to_come:.2f}"})
    return rows


def forecast(ce: Any, accounts: Mapping[str, AccountInfo], metric: str, org: Org, *,
             today: date, selection: Selection | None = None) -> tuple[list[dict[str, str]], int]:
    """The rows of :func:`per_environment` for ``today``'s month, and the paid requests made (one
    GetCostAndUsage for the month so far, one GetCostForecast per account). ``selection``: only the
    accounts and environments of ``--env``/``--account`` (and one forecast request per account kept)."""
    month = month_of(today)
    lines, requests = ce_source.fetch(ce, [month], metric, cache=None, today=today)

    def kept(account: str) -> bool:
        return selection is None or selection.keeps(account, row_of(accounts.get(account)))

    lines = [line for line in lines if kept(line.account_id)]
    ids = sorted(i for i in {line.account_id for line in lines} | {a.id for a in org.accounts} if kept(i))
    ahead, more = ce_source.forecast(ce, ids, metric, today)
    return per_environment(month, lines, ahead, accounts, list(org.environments)), requests + more
