"""One category table for every source: each source's own spellings land in the same column, types no
source documents get a column of their own, and the run rate is right for an EDP customer.

The expected columns below are written out here, not read from awsroles.costs.categories, so a change
to the table that moves a record type fails a test."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from awsroles.costs import categories, formats
from awsroles.costs import ce as ce_source
from awsroles.costs.categories import CATEGORIES, SPELLINGS, TABLE, RecordType, category
from awsroles.costs.cur import read_cur
from awsroles.costs.model import AccountInfo, CostLine
from awsroles.costs.report import build_report, reconcile
from awsroles.render import render
from tests.unit.test_costs_cur import CUR2_COLUMNS, FOCUS_COLUMNS, LEGACY_COLUMNS, RI, cur_row, write

D = Decimal
DEV = "222222222222"
ACCOUNTS = {DEV: AccountInfo(DEV, "dev", "dev")}

# Cost Explorer's RECORD_TYPE values, as GetCostAndUsage groups them and as the console names them
# (AWS Cost Management User Guide: "Term comparisons"; "Filter and group options: Charge type").
CE = {
    "Usage": "usage",
    "DiscountedUsage": "usage",
    "Reservation applied usage": "usage",
    "SavingsPlanCoveredUsage": "usage",
    "Savings Plan Covered Usage": "usage",
    "SavingsPlanNegation": "usage",
    "Savings Plan Negation": "usage",
    "Enterprise Discount Program Discount": "discounts",
    "Private Rate Card Discount": "discounts",
    "Bundled Discount": "discounts",
    "Solution Provider Program Discount": "discounts",
    "Distributor Discount": "discounts",
    "Discount": "discounts",
    "Credit": "credits",
    "Refund": "refunds",
    "Tax": "tax",
    "Support": "support",
    "Support fee": "support",
    "RIFee": "fees",
    "Recurring reservation fee": "fees",
    "Upfront reservation fee": "fees",
    "SavingsPlanRecurringFee": "fees",
    "Savings Plan Recurring Fee": "fees",
    "SavingsPlanUpfrontFee": "fees",
    "Savings Plan Upfront Fee": "fees",
    "Fee": "fees",
    "Other out-of-cycle charges": "fees",
}
# The CUR's line_item_line_item_type values (AWS Data Exports User Guide: "Line item columns").
CUR = {
    "Usage": "usage",
    "DiscountedUsage": "usage",
    "SavingsPlanCoveredUsage": "usage",
    "SavingsPlanNegation": "usage",
    "EdpDiscount": "discounts",
    "PrivateRateDiscount": "discounts",
    "BundledDiscount": "discounts",
    "SppDiscount": "discounts",
    "DistributorDiscount": "discounts",
    "RiVolumeDiscount": "discounts",
    "Discount": "discounts",
    "Credit": "credits",
    "Refund": "refunds",
    "Tax": "tax",
    "RIFee": "fees",
    "Fee": "fees",
    "SavingsPlanRecurringFee": "fees",
    "SavingsPlanUpfrontFee": "fees",
}
# FOCUS 1.0/1.1 ChargeCategory values (the specification's allowed values).
FOCUS = {"Usage": "usage", "Purchase": "fees", "Tax": "tax", "Credit": "credits", "Adjustment": "refunds"}


def test_the_table_puts_each_spelling_in_one_known_column() -> None:
    assert CATEGORIES == ("usage", "discounts", "credits", "refunds", "tax", "support", "fees")
    seen: dict[str, str] = {}
    for row in TABLE:
        assert row.category in CATEGORIES and row.what
        for spelling in (*row.ce, *row.cur, *row.focus):
            assert seen.setdefault(spelling, row.category) == row.category, spelling
    assert set(seen) == set(SPELLINGS)


@pytest.mark.parametrize(("source", "spellings"), [("ce", CE), ("cur", CUR), ("focus", FOCUS)])
def test_every_documented_spelling_of_each_source_is_in_the_table(source: str, spellings: dict[str, str]) -> None:
    in_table = {s for row in TABLE for s in getattr(row, source)}
    for spelling, column in spellings.items():
        assert spelling in in_table, f"{source}: {spelling!r} is not in the table's {source} column"
        assert category(spelling) == column, spelling


def test_the_lookup_built_from_the_table_is_every_documented_spelling_and_nothing_else() -> None:
    # _lookup runs once at import; called again here, so a change to how it builds the mapping fails
    assert categories._lookup() == {**CE, **CUR, **FOCUS}


def test_the_table_refuses_a_row_in_no_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(categories, "TABLE", (*TABLE, RecordType("savings", ("Rebate",), what="a rebate")))
    with pytest.raises(AssertionError) as refused:
        categories._lookup()
    assert str(refused.value) == "a rebate: unknown category 'savings'"


def test_the_table_refuses_a_spelling_in_two_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same spelling twice in one column is fine (CUR and Cost Explorer share most); in two, refused
    monkeypatch.setattr(categories, "TABLE", (*TABLE, RecordType("credits", ("Credit",), ("Credit",))))
    assert categories._lookup()["Credit"] == "credits"
    monkeypatch.setattr(categories, "TABLE", (*TABLE, RecordType("refunds", (), (), ("Credit",), "a refund")))
    with pytest.raises(AssertionError) as refused:
        categories._lookup()
    assert str(refused.value) == "'Credit' is in two categories"


def test_an_unknown_type_is_a_column_of_its_own() -> None:
    assert category("Brand New Charge") == "unknown: Brand New Charge"
    assert category("") == "unknown: (blank)"
    assert category("usage") == "unknown: usage"  # spellings are exact, as AWS writes them


# -- each source, end to end: its own spellings in, the same columns out ---------------------------


class PagedCe:
    """Cost Explorer answering GetCostAndUsage grouped by LINKED_ACCOUNT and RECORD_TYPE with ``amounts``."""

    def __init__(self, amounts: dict[str, str]):
        self.amounts = amounts

    def get_cost_and_usage(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["GroupBy"][1] == {"Type": "DIMENSION", "Key": "RECORD_TYPE"}
        groups = [{"Keys": [DEV, record_type], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
                  for record_type, amount in self.amounts.items()]
        return {"ResultsByTime": [{"TimePeriod": {"Start": "2026-10-01"}, "Groups": groups, "Estimated": False}]}


def columns_of(lines: list[CostLine]) -> dict[str, Decimal]:
    report = build_report(lines, ACCOUNTS, ("2026-10",), "unblended")
    reconcile(report)
    [dev] = [r for r in report.rows if r.environment == "dev"]
    return {c: a for c, a in dev.amounts.items() if a}


def test_cost_explorer_spellings() -> None:
    amounts = {spelling: f"{i + 1}.25" for i, spelling in enumerate(CE)}
    lines, _ = ce_source.fetch(PagedCe(amounts), ["2026-10"], "unblended", today=date(2026, 11, 27))
    expected: dict[str, Decimal] = {}
    for spelling, column in CE.items():
        expected[column] = expected.get(column, D(0)) + D(amounts[spelling])
    assert columns_of(lines) == expected


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("layout", ["cur2", "legacy"])
def test_cur_spellings(tmp_path: Path, layout: str, fmt: str) -> None:
    rows = [cur_row(t, float(i + 1)) for i, t in enumerate(CUR)]
    rows += [cur_row("Fee", 1000.0, ri_arn=RI), cur_row("Fee", 29.0, product="AWSSupportBusiness")]
    folder = write(tmp_path, CUR2_COLUMNS if layout == "cur2" else LEGACY_COLUMNS, rows, fmt=fmt)
    expected: dict[str, Decimal] = {}
    for i, column in enumerate(CUR.values()):
        expected[column] = expected.get(column, D(0)) + D(i + 1)
    expected["fees"] += D(1000)  # an RI's upfront Fee
    expected["support"] = D(29)  # a Fee for AWS Support
    assert columns_of(read_cur(folder, ["2026-10"], "unblended")) == expected


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_focus_spellings(tmp_path: Path, fmt: str) -> None:
    def row(charge_category: str, billed: float, klass: str = "", commitment: str = "",
            service: str = "Amazon EC2") -> tuple[Any, ...]:
        return ("2026-10-01 00:00:00", DEV, charge_category, klass, billed, billed, service, "USD", commitment)

    rows = [row(c, float(i + 1)) for i, c in enumerate(FOCUS)]
    rows += [row("Usage", 100.0, commitment="Savings Plan"), row("Usage", 200.0, commitment="Reservation"),
             row("Purchase", 29.0, service="AWS Support (Business)"), row("Credit", -7.0, klass="Correction")]
    folder = write(tmp_path, FOCUS_COLUMNS, rows, fmt=fmt)
    expected: dict[str, Decimal] = {}
    for i, column in enumerate(FOCUS.values()):
        expected[column] = expected.get(column, D(0)) + D(i + 1)
    expected["usage"] += D(300)  # covered by a Savings Plan, by a Reservation
    expected["support"] = D(29)
    expected["refunds"] += D(-7)  # a correction to an invoiced month
    assert columns_of(read_cur(folder, ["2026-10"], "unblended")) == expected


def test_unknown_types_from_every_source_are_shown_by_name(tmp_path: Path) -> None:
    ce_lines, _ = ce_source.fetch(PagedCe({"Usage": "100", "Shiny New Thing": "2.5"}), ["2026-10"], "unblended",
                                  today=date(2026, 11, 27))
    cur_lines = read_cur(write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 100.0),
                                                                 cur_row("FlatRateSubscriptionX", 2.5),
                                                                 cur_row("", 1.0)]), [], "unblended")
    focus_row = ("2026-10-01 00:00:00", DEV, "Rebate", "", 2.5, 2.5, "Amazon EC2", "USD", "")
    focus_lines = read_cur(write(tmp_path / "focus", FOCUS_COLUMNS, [focus_row]), [], "unblended")
    assert columns_of(ce_lines) == {"usage": D(100), "unknown: Shiny New Thing": D("2.5")}
    assert columns_of(cur_lines) == {"usage": D(100), "unknown: FlatRateSubscriptionX": D("2.5"),
                                     "unknown: (blank)": D(1)}
    assert columns_of(focus_lines) == {"unknown: Rebate": D("2.5")}

    report = build_report(ce_lines, ACCOUNTS, ("2026-10",), "unblended")
    assert report.categories == (*CATEGORIES, "unknown: Shiny New Thing")
    shown = {fmt: _shown(report, fmt) for fmt in ("table", "csv", "json", "md")}
    [dev] = [r for r in csv.DictReader(io.StringIO(shown["csv"])) if r["environment"] == "dev"]
    assert dev["unknown: Shiny New Thing"] == "2.5" and dev["total"] == "102.5" and dev["run_rate"] == "102.5"
    data = json.loads(shown["json"])
    assert data["months"][0]["rows"][0]["amounts"]["unknown: Shiny New Thing"] == "2.5"
    for fmt in ("table", "md"):
        assert "unknown: Shiny New Thing" in shown[fmt].splitlines()[2 if fmt == "md" else 1]  # a column header
        assert "unknown: Shiny New Thing: record types awsroles does not know yet" in shown[fmt]


def _shown(report: Any, fmt: str) -> str:
    buffer = io.StringIO()
    render(formats.result(report), fmt, buffer)
    return buffer.getvalue()


# -- the run rate of an EDP customer -----------------------------------------------------------------

# One month of an EDP customer's bill: on-demand usage, Savings Plans, the EDP and a private rate
# discount, a promotional credit, a refund, tax and support. Run rate: everything but the credit and
# the refund (one-offs); the negotiated discounts recur every month, so they are in it.
BILL = [  # (Cost Explorer RECORD_TYPE, CUR line item type, unblended amount)
    ("Usage", "Usage", "10000.00"),
    ("SavingsPlanCoveredUsage", "SavingsPlanCoveredUsage", "3000.00"),
    ("SavingsPlanNegation", "SavingsPlanNegation", "-3000.00"),
    ("SavingsPlanRecurringFee", "SavingsPlanRecurringFee", "2100.00"),
    ("Enterprise Discount Program Discount", "EdpDiscount", "-1510.00"),
    ("Private Rate Card Discount", "PrivateRateDiscount", "-250.00"),
    ("Credit", "Credit", "-500.00"),
    ("Refund", "Refund", "-40.00"),
    ("Tax", "Tax", "830.40"),
]
EXPECTED = {"usage": D("10000.00"), "discounts": D("-1760.00"), "credits": D("-500.00"), "refunds": D("-40.00"),
            "tax": D("830.40"), "fees": D("2100.00")}
TOTAL, RUN_RATE = D("10630.40"), D("11170.40")  # by hand: 10000 + 2100 - 1760 + 830.40; + 500 + 40


def _dev_row(lines: list[CostLine]) -> Any:
    report = build_report(lines, ACCOUNTS, ("2026-10",), "unblended")
    reconcile(report)
    return next(r for r in report.rows if r.environment == "dev")


def test_run_rate_of_an_edp_customer_from_cost_explorer() -> None:
    ce = PagedCe({record_type: amount for record_type, _, amount in BILL})
    lines, _ = ce_source.fetch(ce, ["2026-10"], "unblended", today=date(2026, 11, 27))
    dev = _dev_row(lines)
    assert {c: a for c, a in dev.amounts.items() if a} == EXPECTED
    assert (dev.total, dev.run_rate) == (TOTAL, RUN_RATE)


def test_run_rate_of_an_edp_customer_from_the_cur(tmp_path: Path) -> None:
    rows = [cur_row(line_type, float(amount), sp_commitment=2100.0, sp_used=2100.0)
            for _, line_type, amount in BILL]
    dev = _dev_row(read_cur(write(tmp_path, CUR2_COLUMNS, rows), ["2026-10"], "unblended"))
    assert {c: a for c, a in dev.amounts.items() if a} == EXPECTED
    assert (dev.total, dev.run_rate) == (TOTAL, RUN_RATE)
