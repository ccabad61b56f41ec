"""Cost maths: months, report building, reconciliation in every format, deltas, top N services."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest

from awsroles.costs import formats
from awsroles.costs.categories import CATEGORIES
from awsroles.costs.model import SHARED, UNMAPPED, AccountInfo, By, CostLine, Report
from awsroles.costs.months import last_complete_month, resolve
from awsroles.costs.report import ReconciliationError, build_report, deltas, reconcile
from awsroles.errors import AwsrolesError, ExitCode, UsageError
from awsroles.render import render

TODAY = date(2026, 11, 27)
D = Decimal

ACCOUNTS = {
    "111111111111": AccountInfo("111111111111", "ops", None),  # in the org file, no environment: shared
    "222222222222": AccountInfo("222222222222", "dev", "dev"),
    "444444444444": AccountInfo("444444444444", "prod", "prod"),
    "555555555555": AccountInfo("555555555555", "data", "prod", "tag Environment"),
}


def line(month: str, account: str, record_type: str, amount: str, *, group: str = "",
         estimated: bool = False) -> CostLine:
    return CostLine(month, account, record_type, D(amount), group=group, estimated=estimated)


LINES = [
    line("2026-09", "222222222222", "Usage", "100.004"),
    line("2026-09", "222222222222", "Credit", "-10.003"),
    line("2026-09", "444444444444", "Usage", "300.333"),
    line("2026-09", "555555555555", "Tax", "30.336"),
    line("2026-09", "111111111111", "Support", "29.001"),
    line("2026-09", "999999999999", "Usage", "1.115"),  # closed account, unknown anywhere
    line("2026-10", "222222222222", "Usage", "120.5051"),
    line("2026-10", "444444444444", "Usage", "250.2549"),
    line("2026-10", "444444444444", "Refund", "-0.333"),
    line("2026-10", "999999999999", "SomethingNew", "0.335"),
    line("2026-11", "222222222222", "Usage", "50.1", estimated=True),
    line("2026-11", "444444444444", "Usage", "70.2", estimated=True),
]
MONTHS = ("2026-09", "2026-10", "2026-11")


def report() -> Report:
    return build_report(LINES, ACCOUNTS, MONTHS, "unblended")


# -- months ------------------------------------------------------------------------------

def test_default_is_the_last_complete_month() -> None:
    assert resolve(None, None, None, TODAY) == ("2026-10",)
    assert last_complete_month(date(2026, 1, 5)) == "2025-12"


def test_ranges_are_inclusive() -> None:
    assert resolve(None, "2026-01", "2026-03", TODAY) == ("2026-01", "2026-02", "2026-03")
    assert resolve(None, "2025-11", None, TODAY)[-1] == "2026-10"
    assert resolve("2026-11", None, None, TODAY) == ("2026-11",)  # the open month is allowed


@pytest.mark.parametrize(("month", "from_", "to", "message"), [
    ("2026-13", None, None, "not a month"),
    ("26-10", None, None, "not a month"),
    ("october", None, None, "not a month"),
    (None, "2026-05", "2026-02", "reversed"),
    (None, None, "2026-02", "--to needs --from"),
    ("2026-10", "2026-01", None, "cannot be combined"),
    ("2026-12", None, None, "future"),
    ("2025-09", None, None, "13 before it"),
    (None, "2024-01", "2026-10", "beyond Cost Explorer"),
])
def test_bad_months_are_usage_errors(month: str | None, from_: str | None, to: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        resolve(month, from_, to, TODAY)
    assert caught.value.exit_code == ExitCode.USAGE


def test_the_oldest_month_cost_explorer_keeps_is_accepted() -> None:
    assert resolve("2025-10", None, None, TODAY) == ("2025-10",)


# -- building ----------------------------------------------------------------------------

def test_rows_in_org_order_with_the_shared_and_unmapped_rows_kept() -> None:
    rep = report()
    sept = [r for r in rep.rows if r.month == "2026-09"]
    assert [r.environment for r in sept] == ["dev", "prod", SHARED, UNMAPPED]
    shared, unmapped = sept[2], sept[3]
    assert (shared.accounts, shared.account_names) == (("111111111111",), ("ops",))  # under its own name
    assert shared.amounts["support"] == D("29.001") and shared.total == D("29.001")
    assert (unmapped.accounts, unmapped.account_names) == (("999999999999",), ("999999999999",))
    assert unmapped.amounts["usage"] == D("1.115") and unmapped.total == D("1.115")
    prod = sept[1]
    assert prod.accounts == ("444444444444", "555555555555")
    assert prod.amounts["tax"] == D("30.336")
    assert sept[0].amounts["credits"] == D("-10.003")
    assert sept[0].run_rate == D("100.004")
    oct_shared = next(r for r in rep.rows if r.month == "2026-10" and r.environment == SHARED)
    assert oct_shared.accounts == ("111111111111",) and oct_shared.total == 0  # listed even without costs
    oct_unmapped = next(r for r in rep.rows if r.month == "2026-10" and r.environment == UNMAPPED)
    # a record type no source documents is never folded into another column: it gets its own
    assert oct_unmapped.amounts["unknown: SomethingNew"] == D("0.335")
    assert rep.categories == (*CATEGORIES, "unknown: SomethingNew")


def test_an_org_without_accounts_outside_environments_has_no_shared_row() -> None:
    accounts = {k: v for k, v in ACCOUNTS.items() if v.environment}
    rep = build_report(LINES, accounts, MONTHS, "unblended")
    assert [r.environment for r in rep.rows if r.month == "2026-09"] == ["dev", "prod", UNMAPPED]
    unmapped = next(r for r in rep.rows if r.month == "2026-09" and r.environment == UNMAPPED)
    assert unmapped.accounts == ("111111111111", "999999999999")  # unknown to the org now: unmapped
    reconcile(rep)


def test_totals_come_from_the_lines_and_reconcile() -> None:
    rep = report()
    assert rep.totals["2026-09"] == D("450.786")
    reconcile(rep)


def test_reconcile_refuses_rows_that_do_not_add_up() -> None:
    rep = report()
    broken = Report(rep.metric, rep.view, rep.currency, rep.months, rep.rows,
                    {**rep.totals, "2026-10": rep.totals["2026-10"] + D("0.01")})
    with pytest.raises(ReconciliationError, match="2026-10"):
        reconcile(broken)


def test_the_estimated_month_is_marked_and_has_no_delta() -> None:
    rep = report()
    assert all(r.estimated == (r.month == "2026-11") for r in rep.rows)
    found = deltas(rep)
    assert {d.month for d in found} == {"2026-10"}
    dev = next(d for d in found if d.environment == "dev")
    assert dev.change == D("120.5051") - D("90.001")


def test_views() -> None:
    assert report().view == "invoice"
    assert build_report(LINES, ACCOUNTS, MONTHS, "net-amortized").view == "chargeback"


def test_top_services_plus_other() -> None:
    lines = [
        line("2026-10", "222222222222", "Usage", "100"),
        line("2026-10", "222222222222", "Tax", "10"),
        *(line("2026-10", "222222222222", "", a, group=s)
          for s, a in [("EC2", "50"), ("S3", "30"), ("RDS", "20"), ("Tax", "10")]),
    ]
    rep = build_report(lines, ACCOUNTS, ("2026-10",), "unblended", by=By("service"), top=2)
    dev = rep.rows[0]
    assert dev.breakdown == (("EC2", D("50")), ("S3", D("30")), ("other", D("30")))
    assert rep.totals["2026-10"] == D("110")  # service lines never count twice
    reconcile(rep)


def test_mixed_currencies_are_refused() -> None:
    lines = [CostLine("2026-10", "222222222222", "Usage", D("1")),
             CostLine("2026-10", "444444444444", "Usage", D("1"), currency="EUR")]
    with pytest.raises(AwsrolesError) as refused:
        build_report(lines, ACCOUNTS, ("2026-10",), "unblended")
    assert type(refused.value) is AwsrolesError and refused.value.exit_code == ExitCode.FAILURE  # not bad input
    assert str(refused.value) == "the bill mixes currencies (EUR, USD); report one at a time"


# -- every format reconciles ---------------------------------------------------------------

def _shown(rep: Report, fmt: str) -> str:
    """The report as `awsroles costs -o FMT` prints it."""
    buffer = io.StringIO()
    render(formats.result(rep), fmt, buffer)
    return buffer.getvalue()


def _cents(text: str) -> Decimal:
    return D(text.replace(",", "").replace("*", "")).quantize(D("0.01"))


def test_csv_reconciles() -> None:
    rep = report()
    rows = list(csv.DictReader(io.StringIO(_shown(rep, "csv"))))
    assert len(rows) == 12 and {r["currency"] for r in rows} == {"USD"}
    assert list(rows[0])[3:3 + len(CATEGORIES) + 1] == [*CATEGORIES, "unknown: SomethingNew"]
    for month in MONTHS:
        mine = [r for r in rows if r["month"] == month]
        assert sum(D(r["total"]) for r in mine).quantize(D("0.01")) == rep.totals[month].quantize(D("0.01"))
        for r in mine:
            assert sum(D(r[c]) for c in rep.categories) == D(r["total"])
            assert "E" not in r["total"]
    assert any(r["environment"] == SHARED and r["accounts"] == "111111111111" for r in rows)
    assert any(r["environment"] == UNMAPPED and r["accounts"] == "999999999999" for r in rows)


def test_json_reconciles() -> None:
    rep = report()
    data = json.loads(_shown(rep, "json"))
    for month in data["months"]:
        assert sum(D(r["total"]) for r in month["rows"]) == D(month["total"])
    assert [m["estimated"] for m in data["months"]] == [False, False, True]
    assert {d["month"] for d in data["deltas"]} == {"2026-10"}


def _displayed(text: str, sep: str) -> dict[str, tuple[list[Decimal], Decimal]]:
    out: dict[str, tuple[list[Decimal], Decimal]] = {}
    for raw in text.splitlines():
        cells = [c.strip().strip("*") for c in raw.strip().strip("|").split(sep)]  # Markdown: totals in bold
        if len(cells) < 11 or not re.match(r"\d{4}-\d{2}", cells[0]):
            continue
        month, total = cells[0][:7], _cents(cells[-2])
        rows, month_total = out.get(month, ([], D(0)))
        if "total" in cells[1]:
            out[month] = (rows, total)
        else:
            out[month] = ([*rows, total], month_total)
    return out


def test_markdown_reconciles_to_the_cent() -> None:
    rep = report()
    shown = _displayed(_shown(rep, "md"), "|")
    assert set(shown) == set(MONTHS)
    for month, (rows, total) in shown.items():
        assert len(rows) == 4
        assert sum(rows) == total == rep.totals[month].quantize(D("0.01"))
    assert "2026-11 (estimated)" in _shown(rep, "md")


def test_table_reconciles_to_the_cent() -> None:
    rep = report()
    shown = _displayed(_shown(rep, "table"), "│")
    assert set(shown) == set(MONTHS)
    for month, (rows, total) in shown.items():
        assert sum(rows) == total == rep.totals[month].quantize(D("0.01"))


def test_rounding_is_allocated_so_cents_add_up() -> None:
    values = [D("0.333"), D("0.333"), D("0.334")]
    assert sum(formats.allocate(values, sum(values))) == D("1.00")
    mixed = formats.allocate([D("-1.005"), D("2.005")], D("1.00"))
    assert sum(mixed) == D("1.00") and all(abs(a - v) < D("0.01") for a, v in zip(mixed, [D("-1.005"), D("2.005")],
                                                                                   strict=True))


def test_the_table_has_a_section_per_month_ending_in_a_bold_total() -> None:
    table = formats.table(report())
    assert [table.rows[i][1] for i in sorted(table.bold)] == ["total", "total", "total"]
    assert sorted(table.sections) == [0, 5, 10]  # where each month starts
    assert [table.justify(i) for i in range(len(table.columns))] == ["left", "left"] + ["right"] * 10
    lines = _shown(report(), "table").splitlines()
    assert len([line for line in lines if "┼" in line]) == 2  # a rule between months, none before the first
    assert next(line for line in lines if line.startswith("2026-09") and "dev" in line).endswith("   100.00")
    markdown = _shown(report(), "md").splitlines()
    assert markdown[0] == f"## {formats.title(report())}"
    assert markdown[3] == "|---|---|" + "---:|" * 10


def test_the_forecast_is_in_every_human_form_and_in_json() -> None:
    rows = [{"month": "2026-11", "environment": "dev", "spent": "10.00", "forecast": "5.00", "total": "15.00"}]
    result = formats.result(report(), rows)
    assert result.data["forecast"] == rows and "forecast" not in formats.result(report()).data
    line = "forecast 2026-11 dev: 10.00 so far + 5.00 forecast = 15.00 USD"
    buffer = io.StringIO()
    render(result, "table", buffer)
    assert buffer.getvalue().splitlines()[-1] == line
    buffer = io.StringIO()
    render(result, "md", buffer)
    assert buffer.getvalue().splitlines()[-1] == f"- {line}"


def test_forecast_lines_separate_thousands_as_the_table_does() -> None:
    rows = [{"month": "2026-11", "environment": "prod", "spent": "12345.60", "forecast": "1000.00",
             "total": "13345.60"}]
    assert formats.forecast_note(rows[0], "USD") == (
        "forecast 2026-11 prod: 12,345.60 so far + 1,000.00 forecast = 13,345.60 USD")
    assert formats.result(report(), rows).data["forecast"] == rows  # JSON keeps plain decimals
