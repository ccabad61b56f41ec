"""Cost data as plain values, shared by every source (Cost Explorer, CUR/FOCUS, Athena) and renderer.

Money is ``Decimal`` end to end, never float: finance checks reports to the cent.

A report's periods are months (``2026-10``) or, with daily granularity, days (``2026-10-05``):
the fields keep the name ``month`` either way, and :data:`GRANULARITIES` names the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from awsroles.costs.categories import columns
from awsroles.errors import UsageError

METRICS = {  # our name -> Cost Explorer metric, and which view it belongs to
    "unblended": "UnblendedCost",
    "net-unblended": "NetUnblendedCost",
    "amortized": "AmortizedCost",
    "net-amortized": "NetAmortizedCost",
    "blended": "BlendedCost",
}
GRANULARITIES = {"monthly": "month", "daily": "day"}  # --granularity -> what one period is called
UNMAPPED = "(unmapped)"  # the row of accounts the org does not know
SHARED = "(shared)"  # the row of the org file's accounts that belong to no environment (ops, billing...)
AWS = "AWS"  # the provider of every Cost Explorer and CUR line (FOCUS exports name theirs)


def is_aws(provider: str) -> bool:
    """True for AWS as FOCUS exports name it (``ProviderName`` "AWS"), and for lines without a provider."""
    return provider.strip().lower() in ("", "aws", "amazon web services")


# The breakdowns of ``--by``: what a line's ``group`` holds.
BY_KINDS = ("account", "service", "tag", "category")
UNTAGGED = "(untagged)"  # the group of costs without the tag (Cost Explorer: "KEY$")
UNCATEGORIZED = "(uncategorized)"  # the group of costs no rule of the cost category matched


@dataclass(frozen=True)
class By:
    """A breakdown inside each environment: ``account``, ``service``, ``tag:KEY`` (a cost allocation
    tag) or ``category:NAME`` (a cost category)."""

    kind: str  # one of BY_KINDS
    key: str = ""  # the tag key or the cost category's name

    @classmethod
    def parse(cls, text: str) -> By:
        kind, colon, key = text.strip().partition(":")
        kind, key = kind.strip().lower(), key.strip()
        usage = "--by account, service, tag:KEY or category:NAME"
        if kind not in BY_KINDS:
            raise UsageError(f"--by {text}: {usage}")
        if kind in ("tag", "category") and not key:
            raise UsageError(f"--by {text}: name the {'tag key' if kind == 'tag' else 'cost category'}, "
                             f"e.g. --by {kind}:{'team' if kind == 'tag' else 'CostCenter'}")
        if kind in ("account", "service") and colon:
            raise UsageError(f"--by {text}: {usage}")
        return cls(kind, key)

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else self.kind

    @property
    def label(self) -> str:
        """The breakdown's column name: ``service``, ``tag team``, ``cost category CostCenter``."""
        return {"tag": f"tag {self.key}", "category": f"cost category {self.key}"}.get(self.kind, self.kind)

    @property
    def missing(self) -> str:
        """The group of costs without a value (no tag, no category rule)."""
        return UNCATEGORIZED if self.kind == "category" else UNTAGGED


@dataclass(frozen=True, order=True)
class CostLine:
    """One amount: a period (a month, or a day), a linked account, a record type (and optionally a
    group: the service, the tag's value or the cost category's value of ``--by``)."""

    month: str  # "2026-10"; a day, "2026-10-05", with daily granularity
    account_id: str
    record_type: str
    amount: Decimal
    currency: str = "USD"
    group: str = ""
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
    breakdown: tuple[tuple[str, Decimal], ...] = ()  # with --by: the top N groups + "other"

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
    granularity: str = "monthly"  # one of GRANULARITIES: months are days with "daily"
    by: By | None = None  # the breakdown inside each environment (--by)
    top: int = 5  # with --by: the groups named per row, before "other"
    selection: tuple[str, ...] = ()  # what --env / --account kept, for people ("prod", "account data")

    @property
    def period(self) -> str:
        """What one period is called: "month", or "day"."""
        return GRANULARITIES[self.granularity]

    @property
    def categories(self) -> tuple[str, ...]:
        """The columns: every known category, then an ``unknown: <type>`` column per type no table row names."""
        return columns({name for row in self.rows for name in row.amounts})
