"""`awsroles costs` against the sandbox's synthetic bill (awsroles.sandbox.server.costs), in process:
each row's credits, refunds, every other column and its total are the amounts the bill was seeded
with, line by line, not only a sum of the report's own rows (docs/costs.md)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.sandbox.server.costs import cost_data, patch_cost_explorer
from tests.conftest import EXAMPLES

TODAY = date(2026, 11, 29)
OPS, DEV, STAGE, PROD = "111111111111", "222222222222", "333333333333", "444444444444"
ROWS = {DEV: "dev", STAGE: "stage", PROD: "prod", OPS: "(shared)"}  # the classic org's accounts
# a record type of the bill -> the report's column (docs/costs.md, "Columns")
COLUMNS = {"Usage": "usage", "DiscountedUsage": "usage", "SavingsPlanCoveredUsage": "usage",
           "SavingsPlanNegation": "usage", "Enterprise Discount Program Discount": "discounts",
           "Private Rate Card Discount": "discounts", "Credit": "credits", "Refund": "refunds", "Tax": "tax",
           "Support": "support", "RIFee": "fees", "SavingsPlanRecurringFee": "fees"}
MONTHS = [f"{2025 + (10 + i) // 12}-{(10 + i) % 12 + 1:02d}" for i in range(12)]  # 2025-11 .. 2026-10


@pytest.fixture
def bill(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """13 months of the sandbox's bill for the classic org's payer (ops), as `sandbox start` seeds it."""
    undo = patch_cost_explorer()
    cost_data.seed(OPS, {OPS: 0.4, DEV: 1.5, STAGE: 2.0, PROD: 5.0}, 13, {}, TODAY)
    monkeypatch.setenv("AWSROLES_TODAY", TODAY.isoformat())
    try:
        yield
    finally:
        undo()
        cost_data.reset()


def seeded(month: str) -> dict[str, dict[str, Decimal]]:
    """The bill's own lines of ``month``, summed by report row and column."""
    out: dict[str, dict[str, Decimal]] = {}
    for line in cost_data.lines(OPS, month):
        row = out.setdefault(ROWS[line.account], {})
        column = COLUMNS[line.record_type]
        row[column] = row.get(column, Decimal(0)) + line.metrics["UnblendedCost"]
    return out


def report(*argv: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["-f", str(EXAMPLES / "classic.ini"), "costs", "--from", MONTHS[0], "--to", MONTHS[-1], "-o", "json",
                *argv], App(stdout=out, stderr=err))
    assert code == ExitCode.OK, err.getvalue()
    assert "warning" not in err.getvalue()
    return dict(json.loads(out.getvalue()))


def test_credits_refunds_and_totals_are_the_amounts_seeded(bill: None) -> None:
    data = report()
    assert [m["month"] for m in data["months"]] == MONTHS
    credited, refunded = set(), set()
    for month in data["months"]:
        want = seeded(month["month"])
        rows = {r["environment"]: r for r in month["rows"]}
        for name, amounts in want.items():
            row = rows[name]
            for column in ("usage", "discounts", "credits", "refunds", "tax", "support", "fees"):
                assert Decimal(row["amounts"][column]) == amounts.get(column, 0), (month["month"], name, column)
            assert Decimal(row["total"]) == sum(amounts.values())
            one_offs = amounts.get("credits", 0) + amounts.get("refunds", 0)
            assert Decimal(row["run_rate"]) == sum(amounts.values()) - one_offs  # credits and refunds left out
            if amounts.get("credits"):
                credited.add(month["month"])
            if amounts.get("refunds"):
                refunded.add(month["month"])
        assert Decimal(month["total"]) == sum(sum(a.values()) for a in want.values())
    # the bill credits 5% of EC2 every fourth month and refunds 42.50 to the payer every sixth
    assert credited == {"2026-02", "2026-06", "2026-10"}
    assert refunded == {"2026-03", "2026-09"}
    march = {r["environment"]: r for r in data["months"][MONTHS.index("2026-03")]["rows"]}
    assert Decimal(march["(shared)"]["amounts"]["refunds"]) == Decimal("-42.50")
    october = {r["environment"]: r for r in data["months"][MONTHS.index("2026-10")]["rows"]}
    assert all(Decimal(october[env]["amounts"]["credits"]) < 0 for env in ("dev", "stage", "prod", "(shared)"))


def test_the_csv_carries_the_same_credits_and_refunds(bill: None) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(["-f", str(EXAMPLES / "classic.ini"), "costs", "--from", "2026-09", "--to", "2026-10", "-o", "csv"],
               App(stdout=out, stderr=err))
    assert code == ExitCode.OK, err.getvalue()
    lines = out.getvalue().splitlines()
    header = lines[0].split(",")
    rows = {(r[0], r[1]): dict(zip(header, r, strict=False)) for r in (line.split(",") for line in lines[1:])}
    for month in ("2026-09", "2026-10"):
        for name, amounts in seeded(month).items():
            assert Decimal(rows[(month, name)]["credits"]) == amounts.get("credits", 0), (month, name)
            assert Decimal(rows[(month, name)]["refunds"]) == amounts.get("refunds", 0), (month, name)
