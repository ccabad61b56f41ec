"""The report exactly, on hand-built lines: every row's amounts per column, its accounts and names, the
totals, the breakdowns, the month-over-month changes and the reconciliation's verdicts, each written out
by hand (no property, no sum recomputed from the code's own output), so a changed amount, a dropped
credit or refund, a row in the wrong place or a breakdown that no longer adds up fails a test.
Written against the mutation run of awsroles/costs/report.py (bench/mutation.py, docs/benchmarks.md)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from awsroles.costs.categories import CATEGORIES
from awsroles.costs.model import SHARED, UNMAPPED, AccountInfo, By, CostLine, Report, ReportRow
from awsroles.costs.report import (
    Delta,
    ReconciliationError,
    account_label,
    build_report,
    cents,
    deltas,
    estimated_months,
    month_sums,
    reconcile,
    view_of,
)
from awsroles.errors import AwsrolesError, ExitCode

D = Decimal
OPS, DEV, PROD, DATA, LEGACY, NAMELESS = ("111111111111", "222222222222", "444444444444", "555555555555",
                                          "666666666666", "777777777777")
STRAY = "888888888888"  # costs, but unknown to the org file and to Organizations
ACCOUNTS = {  # in org file order: prod before dev
    PROD: AccountInfo(PROD, "prod", "prod"),
    DEV: AccountInfo(DEV, "dev", "dev"),
    OPS: AccountInfo(OPS, "ops", None),  # in the org file, no environment: the shared row
    DATA: AccountInfo(DATA, "data", "prod", "tag Environment"),
    LEGACY: AccountInfo(LEGACY, "legacy", None, "unmapped"),  # listed by Organizations, no tag
    NAMELESS: AccountInfo(NAMELESS, "", "dev"),
}
SEP, OCT = "2026-09", "2026-10"


def line(month: str, account: str, record_type: str, amount: str, *, group: str = "", estimated: bool = False,
         provider: str = "AWS", currency: str = "EUR") -> CostLine:
    return CostLine(month, account, record_type, D(amount), currency=currency, group=group, estimated=estimated,
                    provider=provider)


def amounts(**columns: str) -> dict[str, Decimal]:
    """Every known column at zero, then ``columns`` (``unknown_X`` for the column ``unknown: X``)."""
    out = dict.fromkeys(CATEGORIES, D(0))
    for name, amount in columns.items():
        out[name.replace("unknown_", "unknown: ")] = D(amount)
    return out


LINES = [
    line("2026-08", DEV, "Usage", "999", currency="USD"),  # outside the months: dropped, its currency too
    line(SEP, PROD, "Usage", "100.10"),
    line(SEP, PROD, "Credit", "-10.01"),
    line(SEP, DATA, "Refund", "-2.02"),
    line(SEP, DATA, "Tax", "3.03"),
    line(SEP, DATA, "EdpDiscount", "-1.50"),
    line(SEP, DEV, "Usage", "50.50"),
    line(SEP, DEV, "RIFee", "5.00"),
    line(SEP, OPS, "Support", "29.00"),
    line(SEP, STRAY, "Usage", "1.25"),
    line(SEP, STRAY, "Credit", "-0.25"),  # a second line of the same unknown account: listed once
    line(SEP, LEGACY, "Fee", "0.75"),
    line(SEP, "azure-sub", "Usage", "40", provider="Microsoft Azure"),
    line(SEP, "gcp-project", "Usage", "20", provider=" Google Cloud "),
    line(OCT, PROD, "Usage", "120.00", estimated=True),
    line(OCT, PROD, "Usage", "0.40", estimated=True),
    line(OCT, DEV, "BrandNew", "4.00", estimated=True),
    line(OCT, DEV, "", "7", group="EC2", estimated=True),  # a --by line: no column, no total without --by
    line(OCT, STRAY, "Usage", "2", estimated=True),
]
MONTHS = [SEP, OCT]
PROVIDERS = ("(Google Cloud)", "(Microsoft Azure)")  # sorted by name


def test_every_row_and_total_exactly() -> None:
    report = build_report(LINES, ACCOUNTS, MONTHS, "net-amortized", requests=3, source="cur",
                          selection=["everything"])
    assert report == Report(
        metric="net-amortized", view="chargeback", currency="EUR", months=(SEP, OCT),
        rows=(
            ReportRow(SEP, "prod", amounts(usage="100.10", credits="-10.01", refunds="-2.02", tax="3.03",
                                           discounts="-1.50"), (PROD, DATA), ("prod", "data")),
            ReportRow(SEP, "dev", amounts(usage="50.50", fees="5.00"), (DEV, NAMELESS), ("dev", NAMELESS)),
            ReportRow(SEP, SHARED, amounts(support="29.00"), (OPS,), ("ops",)),
            ReportRow(SEP, PROVIDERS[0], amounts(usage="20"), ("gcp-project",), ("gcp-project",)),
            ReportRow(SEP, PROVIDERS[1], amounts(usage="40"), ("azure-sub",), ("azure-sub",)),
            ReportRow(SEP, UNMAPPED, amounts(usage="1.25", credits="-0.25", fees="0.75"), (LEGACY, STRAY),
                      ("legacy", STRAY)),
            ReportRow(OCT, "prod", amounts(usage="120.40"), (PROD, DATA), ("prod", "data"), estimated=True),
            ReportRow(OCT, "dev", amounts(unknown_BrandNew="4.00"), (DEV, NAMELESS), ("dev", NAMELESS),
                      estimated=True),
            ReportRow(OCT, SHARED, amounts(), (OPS,), ("ops",), estimated=True),
            ReportRow(OCT, PROVIDERS[0], amounts(), (), (), estimated=True),
            ReportRow(OCT, PROVIDERS[1], amounts(), (), (), estimated=True),
            ReportRow(OCT, UNMAPPED, amounts(usage="2"), (STRAY,), (STRAY,), estimated=True),
        ),
        # by hand: 100.10 - 10.01 - 2.02 + 3.03 - 1.50 + 50.50 + 5.00 + 29.00 + 1.25 - 0.25 + 0.75 + 40 + 20
        totals={SEP: D("235.85"), OCT: D("126.40")},
        requests=3, source="cur", granularity="monthly", by=None, top=5, selection=("everything",))
    reconcile(report)
    prod = report.rows[0]
    assert (prod.total, prod.run_rate) == (D("89.60"), D("101.63"))  # the credit and the refund are one-offs


def test_the_defaults_of_a_report() -> None:
    report = build_report([], {}, [OCT], "unblended")
    assert report == Report(metric="unblended", view="invoice", currency="USD", months=(OCT,),
                            rows=(ReportRow(OCT, UNMAPPED, amounts()),), totals={OCT: D(0)}, requests=0,
                            source="ce", granularity="monthly", by=None, top=5, selection=())
    reconcile(report)


def test_only_keeps_rows_in_report_order() -> None:
    report = build_report([x for x in LINES if x.account_id in (PROD, DATA, STRAY)], ACCOUNTS, [SEP], "unblended",
                          only=[UNMAPPED, "prod"])
    assert report.rows == (
        ReportRow(SEP, "prod", amounts(usage="100.10", credits="-10.01", refunds="-2.02", tax="3.03",
                                       discounts="-1.50"), (PROD, DATA), ("prod", "data")),
        ReportRow(SEP, UNMAPPED, amounts(usage="1.25", credits="-0.25"), (STRAY,), (STRAY,)),
    )
    assert report.totals == {SEP: D("90.60")}


def test_a_line_of_an_account_with_a_provider_in_the_org_file_goes_to_its_environment() -> None:
    # FOCUS names AWS in its own words; an org file account is never a provider row
    lines = [line(OCT, DEV, "Usage", "3", provider="Amazon Web Services"), line(OCT, DEV, "Usage", "4", provider="")]
    [dev, unmapped] = build_report(lines, {DEV: ACCOUNTS[DEV]}, [OCT], "unblended").rows
    assert (dev.environment, dev.amounts, unmapped.environment) == ("dev", amounts(usage="7"), UNMAPPED)


def test_an_account_the_org_knows_is_in_its_row_whatever_provider_a_line_names() -> None:
    lines = [line(OCT, DEV, "Usage", "3", provider="Microsoft Azure")]
    report = build_report(lines, {DEV: ACCOUNTS[DEV]}, [OCT], "unblended")
    assert [(r.environment, r.total) for r in report.rows] == [("dev", D("3")), (UNMAPPED, D(0))]


@pytest.mark.parametrize(("metric", "view"), [("unblended", "invoice"), ("net-unblended", "invoice"),
                                              ("amortized", "chargeback"), ("net-amortized", "chargeback"),
                                              ("blended", "blended")])
def test_the_view_of_each_metric(metric: str, view: str) -> None:
    assert view_of(metric) == view
    assert build_report([], {}, [OCT], metric).view == view


@pytest.mark.parametrize(("metric", "granularity", "message"), [
    ("cheapest", "monthly", "unknown metric 'cheapest'"),
    ("unblended", "hourly", "unknown granularity 'hourly'"),
])
def test_an_unknown_metric_or_granularity_is_refused(metric: str, granularity: str, message: str) -> None:
    with pytest.raises(AwsrolesError) as refused:
        build_report([], {}, [OCT], metric, granularity=granularity)
    assert str(refused.value) == message and refused.value.exit_code == ExitCode.FAILURE


def test_a_daily_report_keeps_its_granularity() -> None:
    days = ["2026-10-01", "2026-10-02"]
    lines = [line("2026-10-02", DEV, "Usage", "1.50", currency="USD")]
    report = build_report(lines, {DEV: ACCOUNTS[DEV]}, days, "unblended", granularity="daily")
    assert (report.granularity, report.months, report.totals) == ("daily", tuple(days),
                                                                  {days[0]: D(0), days[1]: D("1.50")})
    assert [r.amounts for r in report.rows if r.environment == "dev"] == [amounts(), amounts(usage="1.50")]


def test_cents_and_account_labels() -> None:
    assert cents(D("1.005")) == D("1.00") and str(cents(D("1.015"))) == "1.02" and str(cents(D("-3"))) == "-3.00"
    assert account_label(None, STRAY) == STRAY
    assert account_label(AccountInfo(NAMELESS, "", "dev"), NAMELESS) == NAMELESS
    assert account_label(AccountInfo(STRAY, STRAY, None, "unmapped"), STRAY) == STRAY
    assert account_label(ACCOUNTS[DATA], DATA) == "data (555555555555)"


# -- --by --------------------------------------------------------------------------------------


def test_by_account_names_each_account_and_ignores_group_lines() -> None:
    report = build_report(LINES, ACCOUNTS, MONTHS, "unblended", by=By("account"), top=5)
    breakdowns = {(r.month, r.environment): r.breakdown for r in report.rows}
    assert breakdowns == {
        (SEP, "prod"): (("prod (444444444444)", D("90.09")), ("data (555555555555)", D("-0.49"))),
        (SEP, "dev"): (("dev (222222222222)", D("55.50")),),
        (SEP, SHARED): (("ops (111111111111)", D("29.00")),),
        (SEP, PROVIDERS[0]): (("gcp-project", D("20")),),
        (SEP, PROVIDERS[1]): (("azure-sub", D("40")),),
        (SEP, UNMAPPED): ((STRAY, D("1.00")), ("legacy (666666666666)", D("0.75"))),
        (OCT, "prod"): (("prod (444444444444)", D("120.40")),),
        (OCT, "dev"): (("dev (222222222222)", D("4.00")),),  # the EC2 group line is not an account's cost
        (OCT, SHARED): (),
        (OCT, PROVIDERS[0]): (),
        (OCT, PROVIDERS[1]): (),
        (OCT, UNMAPPED): ((STRAY, D("2")),),
    }
    assert report.by == By("account") and report.totals == {SEP: D("235.85"), OCT: D("126.40")}
    # the rows are those without --by, each with its breakdown
    plain = build_report(LINES, ACCOUNTS, MONTHS, "unblended")
    assert [replace(r, breakdown=()) for r in report.rows] == list(plain.rows)
    assert [r.estimated for r in report.rows] == [False] * 6 + [True] * 6
    reconcile(report)


def test_by_service_ranks_groups_by_amount_then_name_and_other_is_the_rest() -> None:
    lines = [line(OCT, DEV, "Usage", "75"), line(OCT, DEV, "Credit", "-5"),  # the row: 70
             line(OCT, DEV, "", "30", group="S3"), line(OCT, DEV, "", "30", group="EC2"),
             line(OCT, DEV, "", "0", group="Lambda"), line(OCT, DEV, "", "-5", group="Credits"),
             line(OCT, DEV, "", "1", group="SQS"), line(OCT, DEV, "", "-1", group="SQS"),  # nets to nothing
             line(OCT, DEV, "", "15", group="RDS")]
    accounts = {DEV: ACCOUNTS[DEV]}

    def breakdown(top: int) -> tuple[tuple[str, Decimal], ...]:
        report = build_report(lines, accounts, [OCT], "unblended", by=By("service"), top=top)
        reconcile(report)
        assert report.totals == {OCT: D("70")} and report.top == top  # group lines never count twice
        return report.rows[0].breakdown

    ec2, s3, rds, credits = ("EC2", D("30")), ("S3", D("30")), ("RDS", D("15")), ("Credits", D("-5"))
    assert breakdown(5) == (ec2, s3, rds, credits)  # all named: nothing left over, no "other"
    assert breakdown(4) == (ec2, s3, rds, credits)
    assert breakdown(3) == (ec2, s3, rds, ("other", D("-5")))
    assert breakdown(1) == (ec2, ("other", D("40")))
    assert breakdown(0) == (("other", D("70")),)


def test_by_service_without_group_lines_is_all_other_and_an_empty_row_has_none() -> None:
    lines = [line(OCT, DEV, "Usage", "12.34")]
    report = build_report(lines, {DEV: ACCOUNTS[DEV], OPS: ACCOUNTS[OPS]}, [OCT], "unblended", by=By("service"))
    assert [(r.environment, r.breakdown) for r in report.rows] == [("dev", (("other", D("12.34")),)),
                                                                   (SHARED, ()), (UNMAPPED, ())]


# -- reconciliation --------------------------------------------------------------------------------


def _report(rows: tuple[ReportRow, ...], totals: dict[str, Decimal], months: tuple[str, ...] = (SEP, OCT)) -> Report:
    return Report("unblended", "invoice", "USD", months, rows, totals)


def test_month_sums_per_month() -> None:
    rows = (ReportRow(SEP, "dev", {"usage": D("1.10"), "credits": D("-0.10")}), ReportRow(SEP, "prod", {"tax": D(2)}),
            ReportRow(OCT, "dev", {"usage": D("0.005")}))
    assert month_sums(rows) == {SEP: D("3.00"), OCT: D("0.005")}
    assert month_sums(()) == {}


def test_reconcile_compares_each_month_to_the_cent() -> None:
    rows = (ReportRow(SEP, "dev", {"usage": D("10.004")}), ReportRow(SEP, "prod", {"usage": D("5.001")}))
    reconcile(_report(rows, {SEP: D("15.0049")}))  # under a cent apart: the same to the cent
    reconcile(_report(rows, {SEP: D("15.00"), OCT: D("0.004")}))  # a month without rows: 0.00
    reconcile(_report((), {}))
    with pytest.raises(ReconciliationError) as refused:
        reconcile(_report(rows, {SEP: D("15.01")}))
    assert str(refused.value) == "2026-09: rows add up to 15.00 but the total is 15.01"
    assert refused.value.exit_code == ExitCode.FAILURE
    with pytest.raises(ReconciliationError) as refused:
        reconcile(_report(rows, {SEP: D("15.00"), OCT: D("0.01")}))
    assert str(refused.value) == "2026-10: rows add up to 0.00 but the total is 0.01"
    with pytest.raises(ReconciliationError) as refused:
        reconcile(_report(rows, {}))
    assert str(refused.value) == "2026-09: rows add up to 15.00 but the total is 0.00"


def test_reconcile_checks_each_breakdown_against_its_row() -> None:
    def row(*breakdown: tuple[str, str]) -> ReportRow:
        return ReportRow(SEP, "dev", {"usage": D("10.004")}, breakdown=tuple((g, D(a)) for g, a in breakdown))

    reconcile(_report((row(),), {SEP: D("10")}))  # no breakdown: nothing to check
    reconcile(_report((row(("EC2", "7"), ("other", "3.001")),), {SEP: D("10")}))
    with pytest.raises(ReconciliationError) as refused:
        reconcile(_report((row(("EC2", "7"), ("other", "2.99")),), {SEP: D("10")}))
    assert str(refused.value) == "2026-09 dev: the breakdown does not add up to the row total"
    with pytest.raises(ReconciliationError):
        reconcile(_report((row(("EC2", "7")),), {SEP: D("10")}))


# -- month over month --------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "previous", "change", "percent"), [
    ("100", "80", "20", "25.0"), ("4", "3", "1", "33.3"), ("2", "3", "-1", "-33.3"), ("5", "3", "2", "66.7"),
    ("80.00", "80.00", "0.00", "0.0"), ("7", "0", "7", None), ("0", "7", "-7", "-100.0")])
def test_a_delta_is_the_change_and_its_percent_of_the_previous_month(total: str, previous: str, change: str,
                                                                      percent: str | None) -> None:
    delta = Delta(OCT, SEP, "dev", D(total), D(previous))
    assert delta.change == D(change)
    if percent is None:
        assert delta.percent is None
    else:
        assert str(delta.percent) == percent


def _monthly(totals: dict[str, tuple[str, bool]], environments: tuple[str, ...] = ("dev", "prod")) -> Report:
    rows = tuple(ReportRow(month, env, {"usage": D(amount) * (1 if env == "dev" else 2)}, estimated=estimated)
                 for month, (amount, estimated) in totals.items() for env in environments)
    return Report("unblended", "invoice", "USD", tuple(totals), rows, {})


def test_deltas_between_closed_months_only() -> None:
    report = _monthly({"2026-07": ("10", False), "2026-08": ("15", False), "2026-09": ("12", False),
                       OCT: ("1", True)})
    assert estimated_months(report) == (OCT,)
    assert deltas(report) == (
        Delta("2026-08", "2026-07", "dev", D(15), D(10)), Delta("2026-08", "2026-07", "prod", D(30), D(20)),
        Delta("2026-09", "2026-08", "dev", D(12), D(15)), Delta("2026-09", "2026-08", "prod", D(24), D(30)),
    )
    middle = _monthly({"2026-07": ("10", False), "2026-08": ("15", True), "2026-09": ("12", False)})
    assert estimated_months(middle) == ("2026-08",) and deltas(middle) == ()
    first = _monthly({"2026-07": ("10", True), "2026-08": ("15", False), "2026-09": ("12", False)})
    assert deltas(first) == (Delta("2026-09", "2026-08", "dev", D(12), D(15)),
                             Delta("2026-09", "2026-08", "prod", D(24), D(30)))
    assert deltas(_monthly({OCT: ("1", False)})) == ()


def test_a_month_is_estimated_when_any_of_its_rows_is() -> None:
    rows = (ReportRow(SEP, "dev", {}), ReportRow(SEP, "prod", {}, estimated=True), ReportRow(OCT, "dev", {}))
    assert estimated_months(Report("unblended", "invoice", "USD", (SEP, OCT), rows, {})) == (SEP,)


def test_a_row_new_this_month_has_no_delta() -> None:
    rows = (ReportRow(SEP, "dev", {"usage": D(1)}), ReportRow(OCT, "dev", {"usage": D(3)}),
            ReportRow(OCT, "stage", {"usage": D(2)}))
    report = Report("unblended", "invoice", "USD", (SEP, OCT), rows, {})
    assert deltas(report) == (Delta(OCT, SEP, "dev", D(3), D(1)),)


def test_days_have_no_deltas() -> None:
    rows = (ReportRow("2026-10-01", "dev", {"usage": D(1)}), ReportRow("2026-10-02", "dev", {"usage": D(3)}))
    daily = Report("unblended", "invoice", "USD", ("2026-10-01", "2026-10-02"), rows, {}, granularity="daily")
    assert deltas(daily) == ()
    monthly = Report("unblended", "invoice", "USD", ("2026-10-01", "2026-10-02"), rows, {})
    assert len(deltas(monthly)) == 1  # the same rows as months do have one
