"""The one table of record types: every spelling each source uses, and the report column it goes to.

Three sources name the same charges differently:

- Cost Explorer's ``RECORD_TYPE`` dimension (``GetCostAndUsage`` grouped by it), in the API's
  spelling and in the console's ("charge type"). AWS Cost Management User Guide, "Term comparisons"
  (https://docs.aws.amazon.com/cost-management/latest/userguide/manage-cost-categories.html#cost-categories-terms)
  and "Filter and group options: Charge type"
  (https://docs.aws.amazon.com/cost-management/latest/userguide/ce-filtering.html).
- The Cost and Usage Report's ``line_item_line_item_type`` (``lineItem/LineItemType`` in legacy
  CUR). AWS Data Exports User Guide, "Line item columns"
  (https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2-line-item.html) and
  "Discount details" (https://docs.aws.amazon.com/cur/latest/userguide/discount-details.html).
- FOCUS ``ChargeCategory`` (Usage, Purchase, Tax, Credit, Adjustment) and ``ChargeClass``
  (Correction). FOCUS specification 1.0 and 1.1, columns ChargeCategory and ChargeClass
  (https://github.com/FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec, specification/columns/).

Some distinctions need more than the type column (an RI's upfront ``Fee`` has a reservation ARN,
an AWS Support ``Fee`` the product code ``AWSSupport*``; a FOCUS ``Usage`` row has a commitment
discount type): :mod:`awsroles.costs.cur_sql` makes them and names the result with a spelling from
this table. Every source's lines keep their own spelling; :func:`category` puts each in its column.

A type in no row of the table (AWS adds some now and then) is never folded into another column:
it becomes a column of its own, ``unknown: <type>``, so the report still adds up and says what it
did not recognise.
"""

from __future__ import annotations

from dataclasses import dataclass

# The report's columns, in order. Unknown types add "unknown: <type>" columns after these.
CATEGORIES = ("usage", "discounts", "credits", "refunds", "tax", "support", "fees")
UNKNOWN = "unknown: "
BLANK = "(blank)"  # the name of a line whose type column is empty


@dataclass(frozen=True)
class RecordType:
    """One kind of charge, with its report column and its spelling in each source."""

    category: str  # one of CATEGORIES
    ce: tuple[str, ...] = ()  # Cost Explorer RECORD_TYPE: the API's spelling first, then the console's
    cur: tuple[str, ...] = ()  # CUR line_item_line_item_type (and the names cur_sql gives derived kinds)
    focus: tuple[str, ...] = ()  # FOCUS ChargeCategory (and the names cur_sql gives derived kinds)
    what: str = ""


TABLE: tuple[RecordType, ...] = (
    # -- usage ----------------------------------------------------------------------------------------
    RecordType("usage", ("Usage",), ("Usage",), ("Usage",),
               "usage at on-demand rates"),
    RecordType("usage", ("DiscountedUsage", "Reservation applied usage"), ("DiscountedUsage",),
               ("DiscountedUsage",),  # FOCUS: Usage covered by a Reservation (cur_sql)
               "usage covered by a Reserved Instance"),
    RecordType("usage", ("SavingsPlanCoveredUsage", "Savings Plan Covered Usage"), ("SavingsPlanCoveredUsage",),
               ("SavingsPlanCoveredUsage",),  # FOCUS: Usage covered by a Savings Plan (cur_sql)
               "usage covered by a Savings Plan, at on-demand rates (unblended) or Savings Plan rates (amortized)"),
    RecordType("usage", ("SavingsPlanNegation", "Savings Plan Negation"), ("SavingsPlanNegation",), (),
               "the Savings Plan benefit that offsets covered usage (negative)"),
    # -- negotiated discounts: recurring price reductions, kept in the run rate ------------------------
    RecordType("discounts", ("Enterprise Discount Program Discount",), ("EdpDiscount",), (),
               "Enterprise Discount Program (EDP) discount"),
    RecordType("discounts", ("Private Rate Card Discount",), ("PrivateRateDiscount",), (),
               "private pricing (private rate card) discount"),
    RecordType("discounts", ("Bundled Discount",), ("BundledDiscount",), (),
               "usage of one service made free or cheaper by usage of another"),
    RecordType("discounts", ("Solution Provider Program Discount",), ("SppDiscount",), (),
               "AWS Solution Provider Program (reseller) discount"),
    RecordType("discounts", ("Distributor Discount",), ("DistributorDiscount",), (),
               "AWS distributor discount"),
    RecordType("discounts", (), ("RiVolumeDiscount",), (),
               "Reserved Instance volume discount tier"),
    RecordType("discounts", ("Discount",), ("Discount",), (),
               "any other discount AWS applied"),
    # -- one-offs: kept out of the run rate -------------------------------------------------------------
    RecordType("credits", ("Credit",), ("Credit",), ("Credit",),
               "credits AWS applied (promotional, service credits)"),
    RecordType("refunds", ("Refund",), ("Refund",),
               ("Refund",  # FOCUS ChargeClass Correction: a correction to an invoiced period (cur_sql)
                "Adjustment"),  # FOCUS: "charges that do not fall into other category values"
               "money AWS refunded, corrections to invoiced months"),
    # -- tax, support, fees ----------------------------------------------------------------------------
    RecordType("tax", ("Tax",), ("Tax",), ("Tax",),
               "taxes (VAT, sales tax)"),
    RecordType("support", ("Support", "Support fee"),
               ("Support",),  # CUR: a Fee whose product code is AWSSupport* (cur_sql)
               ("Support",),  # FOCUS: a Purchase of an "AWS Support" service (cur_sql)
               "AWS Support plans"),
    RecordType("fees", ("RIFee", "Recurring reservation fee"), ("RIFee", "Recurring reservation fee"), (),
               "the monthly fee of a Reserved Instance"),
    RecordType("fees", ("Upfront reservation fee",),
               ("Upfront reservation fee",),  # CUR: a Fee with a reservation ARN (cur_sql)
               (), "the upfront fee of a Reserved Instance"),
    RecordType("fees", ("SavingsPlanRecurringFee", "Savings Plan Recurring Fee"), ("SavingsPlanRecurringFee",), (),
               "the recurring fee of a No or Partial Upfront Savings Plan"),
    RecordType("fees", ("SavingsPlanUpfrontFee", "Savings Plan Upfront Fee"), ("SavingsPlanUpfrontFee",), (),
               "the upfront fee of an All or Partial Upfront Savings Plan"),
    RecordType("fees", ("Fee", "Other out-of-cycle charges"), ("Fee",),
               ("Fee", "Purchase"),  # FOCUS: Purchase, "bought upfront or on a recurring basis"
               "other upfront or subscription fees"),
)


def _lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for row in TABLE:
        if row.category not in CATEGORIES:
            raise AssertionError(f"{row.what}: unknown category {row.category!r}")
        for spelling in (*row.ce, *row.cur, *row.focus):
            if out.setdefault(spelling, row.category) != row.category:
                raise AssertionError(f"{spelling!r} is in two categories")
    return out


SPELLINGS = _lookup()  # every spelling of every source -> its category


def category(record_type: str) -> str:
    """The report column of ``record_type`` (any source's spelling); ``unknown: <type>`` if none knows it."""
    found = SPELLINGS.get(record_type)
    if found is not None:
        return found
    return UNKNOWN + (record_type or BLANK)


def is_unknown(name: str) -> bool:
    return name.startswith(UNKNOWN)


def columns(names: set[str] | frozenset[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The report's columns: every known category, then the unknown ones among ``names``, sorted."""
    return (*CATEGORIES, *sorted(n for n in set(names) if is_unknown(n)))
