"""Cost data as plain values, shared by every source (Cost Explorer, CUR/FOCUS, Athena) and renderer.

Money is ``Decimal`` end to end, never float: finance checks reports to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# Columns of a report, in order. Cost Explorer's RECORD_TYPE values map onto them (see CATEGORY).
CATEGORIES = ("usage", "credits", "refunds", "tax", "support", "fees", "other")
CATEGORY = {
    "Usage": "usage",
    "DiscountedUsage": "usage",
    "SavingsPlanCoveredUsage": "usage",
    "SavingsPlanRecurringFee": "fees",
    "SavingsPlanUpfrontFee": "fees",
    "SavingsPlanNegation": "usage",
    "RIFee": "fees",
    "Recurring reservation fee": "fees",
    "Upfront reservation fee": "fees",
    "Fee": "fees",
    "Credit": "credits",
    "Refund": "refunds",
    "Tax": "tax",
    "Support": "support",
    "BundledDiscount": "credits",
    "Discount": "credits",
    "EdpDiscount": "credits",
    "PrivateRateDiscount": "credits",
    "Distributor Discount": "credits",
}
METRICS = {  # our name -> Cost Explorer metric, and which view it belongs to
    "unblended": "UnblendedCost",
    "net-unblended": "NetUnblendedCost",
    "amortized": "AmortizedCost",
    "net-amortized": "NetAmortizedCost",
}
UNMAPPED = "(unmapped)"


def category(record_type: str) -> str:
    return CATEGORY.get(record_type, "other")


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


@dataclass(frozen=True)
class AccountInfo:
    """An account as the report shows it: where its costs go."""

    id: str
    name: str
    environment: str | None  # None: unmapped (management account, new or closed accounts...)
    source: str = "org file"  # "org file", "tag Environment", or "unmapped"


@dataclass(frozen=True)
class ReportRow:
    """One month and one environment (or the unmapped row) with an amount per category."""

    month: str
    environment: str  # an environment name, or UNMAPPED
    amounts: dict[str, Decimal] = field(default_factory=dict)  # category -> amount
    accounts: tuple[str, ...] = ()  # account ids in this row (for the unmapped row: names too, below)
    account_names: tuple[str, ...] = ()
    estimated: bool = False
    services: tuple[tuple[str, Decimal], ...] = ()  # with --by service: top N + "other"

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), Decimal("0"))

    @property
    def run_rate(self) -> Decimal:
        """The total without credits and refunds: what the environment costs when nothing is given back."""
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
