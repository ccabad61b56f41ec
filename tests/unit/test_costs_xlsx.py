"""The spreadsheet and the chart: numbers read back equal the report, to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from awsroles.costs.categories import CATEGORIES
from awsroles.costs.model import Report, ReportRow
from awsroles.costs.xlsx import write_chart, write_xlsx
from awsroles.errors import UsageError


def report() -> Report:
    rows = []
    totals: dict[str, Decimal] = {}
    for month in ("2026-09", "2026-10"):
        for environment, usage in (("dev", "120.10"), ("prod", "980.55"), ("(unmapped)", "3.05")):
            amounts = {"usage": Decimal(usage), "credits": Decimal("-10.00"), "tax": Decimal("12.34")}
            rows.append(ReportRow(month, environment, amounts, estimated=month == "2026-10"))
            totals[month] = totals.get(month, Decimal("0")) + sum(amounts.values(), Decimal("0"))
    return Report("unblended", "invoice", "USD", ("2026-09", "2026-10"), tuple(rows), totals)


def test_xlsx_numbers_reconcile(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    data = report()
    path = write_xlsx(data, tmp_path / "costs.xlsx")
    book = load_workbook(path)
    sheet = book["Costs"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["month", "environment", "currency"] and header[3:3 + len(CATEGORIES)] == list(CATEGORIES)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(data.rows)
    total_column = header.index("total")
    for month, expected in data.totals.items():
        got = sum(Decimal(str(r[total_column])) for r in rows if r[0] == month)
        assert got.quantize(Decimal("0.01")) == expected
    assert {r[header.index("estimated")] for r in rows if r[0] == "2026-10"} == {"estimated"}
    pivot = book["By environment"]
    assert [c.value for c in pivot[1]] == ["month", "dev", "prod", "(unmapped)"]
    assert pivot._charts, "the workbook carries a chart"


def test_chart_png_and_svg(tmp_path: Path) -> None:
    png = write_chart(report(), tmp_path / "costs.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = write_chart(report(), tmp_path / "a.svg").read_bytes()
    second = write_chart(report(), tmp_path / "b.svg").read_bytes()
    assert first.startswith(b"<?xml") and first == second  # byte-stable
    with pytest.raises(UsageError, match=r"use a \.png or \.svg file"):
        write_chart(report(), tmp_path / "costs.gif")
