"""The CUR queries' rows as the cost model's lines and commitment sums (:mod:`awsroles.costs.cur_sql`
builds the queries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from .categories import BLANK
from .cur_commitments import COMMITMENT_COLUMNS
from .model import AWS, CostLine, is_aws


def commitment_rows(rows: Iterable[Sequence[Any]]) -> list[Any]:
    """The commitments query's rows (period, account, owner, then COMMITMENT_COLUMNS) as sums."""
    from .commitments import CommitmentSums

    out = []
    for period, account, owner, *values in rows:
        account = str(account or "").strip()
        owner = str(owner or "").strip()
        sums = {name: Decimal(str(value)) if value not in (None, "") else Decimal(0)
                for name, value in zip(COMMITMENT_COLUMNS, values, strict=True)}
        out.append(CommitmentSums(period=str(period), account_id=account.zfill(12) if account.isdigit() else account,
                                  owner=owner.zfill(12) if owner.isdigit() else owner, **sums))
    return out


def cost_lines(rows: Iterable[Sequence[Any]]) -> list[CostLine]:
    """The query's rows (month, account, record type, service, currency, provider, amount, open) as lines."""
    lines = []
    for month, account, record_type, service, currency, provider, amount, is_open in rows:
        provider = str(provider or "").strip() or AWS
        account = str(account or "").strip()
        if is_aws(provider):
            provider = AWS
            if account.isdigit() and len(account) < 12:  # an AWS account id that lost its leading zeros
                account = account.zfill(12)
        lines.append(CostLine(month=str(month), account_id=account or "(no account)",
                              record_type=str(record_type or "") or BLANK, amount=Decimal(amount),
                              currency=str(currency), group=str(service), estimated=bool(is_open),
                              provider=provider))
    # A month is open (not yet invoiced) when any of its lines has no invoice id.
    open_months = {line.month for line in lines if line.estimated}
    return [replace(line, estimated=line.month in open_months) for line in lines]
