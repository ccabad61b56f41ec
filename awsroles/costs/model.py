"""Cost data as plain values, shared by every source (Cost Explorer, CUR/FOCUS, Athena) and renderer.

Money is ``Decimal`` end to end, never float: finance checks reports to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from awsroles.costs.categories import columns

METRICS = {  # our name -> Cost Explorer metric, and which view it belongs to
    "unblended": "UnblendedCost",
    "net-unblended": "NetUnblendedCost",
    "amortized": "AmortizedCost",
    "net-amortized": "NetAmortizedCost",
}
UNMAPPED = "(unmapped)"  # the row of accounts the org does not know
SHARED = "(shared)"  # the row of the org file's accounts that belong to no environment (ops, billing...)
AWS = "AWS"  # the provider of every Cost Explorer and CUR line (FOCUS exports name theirs)


def is_aws(provider: str) -> bool:
    """True for AWS as FOCUS exports name it (``ProviderName`` "AWS"), and for lines without a provider."""
    return provider.strip().lower() in ("", "aws", "amazon web services")


@dataclass(frozen=True, order=True)
class CostLine:
    """One amount: a month, a linked account, a record type (and optionally a service)."""

    month: str  # "2026-10"
    account_id: str
    record_type: str
    amount: Decimal
    currency: str = "USD"
    service: str = ""
    estimated: bool = False  # the month is still open (Cost Explorer: Estimated = true)
    provider: str = AWS  # FOCUS ProviderName; AWS for Cost Explorer and the CUR


@dataclass(frozen=True)
class AccountInfo:
    """An account as the report shows it: where its costs go."""

    id: str
    name: str
    environment: str | None  # None: the shared row (in the org file) or the unmapped row (unknown)
    source: str = "org file"  # "org file", "tag Environment", or "unmapped"

    @property
    def row(self) -> str:
        """The report row this account's costs go to."""
        if self.environment:
            return self.environment
        return SHARED if self.source == "org file" else UNMAPPED


def row_of(info: AccountInfo | None, provider: str = AWS) -> str:
    """The row of an account: its environment, the shared row for the org file's other accounts,
    ``(PROVIDER)`` for another cloud's accounts (FOCUS), else the unmapped row."""
    if info is not None and info.row != UNMAPPED:
        return info.row
    return UNMAPPED if is_aws(provider) else f"({provider.strip()})"


@dataclass(frozen=True)
class ReportRow:
    """One month and one environment (or the shared, a provider's or the unmapped row) with an amount
    per category (categories.CATEGORIES, then any ``unknown: <type>``)."""

    month: str
    environment: str  # an environment name, SHARED, "(PROVIDER)" or UNMAPPED
    amounts: dict[str, Decimal] = field(default_factory=dict)  # category -> amount
    accounts: tuple[str, ...] = ()  # account ids in this row (their names below)
    account_names: tuple[str, ...] = ()
    estimated: bool = False
    services: tuple[tuple[str, Decimal], ...] = ()  # with --by service: top N + "other"

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), Decimal("0"))

    @property
    def run_rate(self) -> Decimal:
        """The total without credits and refunds, the one-offs: what the environment costs month after
        month. Negotiated discounts (EDP, private rates...) recur, so they stay in."""
        return self.total - self.amounts.get("credits", Decimal("0")) - self.amounts.get("refunds", Decimal("0"))


@dataclass(frozen=True)
class Report:
    metric: str  # one of METRICS
    view: str  # "invoice" (unblended) or "chargeback" (amortized)
    currency: str
    months: tuple[str, ...]
    rows: tuple[ReportRow, ...]
    totals: dict[str, Decimal]  # month -> the total over all record types, straight from the source
    requests: int = 0  # paid Cost Explorer requests this run made
    source: str = "ce"

    @property
    def categories(self) -> tuple[str, ...]:
        """The columns: every known category, then an ``unknown: <type>`` column per type no table row names."""
        return columns({name for row in self.rows for name in row.amounts})
