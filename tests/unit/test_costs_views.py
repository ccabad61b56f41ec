"""The views of a cost report, without AWS: --env/--account, --by, daily periods, blended, the pinned
day; every expected value is computed by hand from the lines below."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from awsroles.costs import formats, views
from awsroles.costs.model import SHARED, UNMAPPED, AccountInfo, By, CostLine
from awsroles.costs.months import days, periods, today
from awsroles.costs.report import build_report, deltas, reconcile
from awsroles.errors import ExitCode, UsageError
from awsroles.render import render

D = Decimal
OPS, DEV, PROD, DATA, STRAY = "111111111111", "222222222222", "444444444444", "555555555555", "999999999999"
ACCOUNTS = {
    OPS: AccountInfo(OPS, "ops", None),  # in the org file, no environment: shared
    DEV: AccountInfo(DEV, "dev", "dev"),
    PROD: AccountInfo(PROD, "prod", "prod"),
    DATA: AccountInfo(DATA, "data", "prod", "tag Environment"),
    STRAY: AccountInfo(STRAY, STRAY, None, "unmapped"),
}


def line(month: str, account: str, record_type: str, amount: str, group: str = "") -> CostLine:
    return CostLine(month, account, record_type, D(amount), group=group)


LINES = [
    line("2026-10", DEV, "Usage", "100.25"),
    line("2026-10", PROD, "Usage", "300.50"),
    line("2026-10", PROD, "Tax", "24.04"),
    line("2026-10", DATA, "Usage", "75.10"),
    line("2026-10", DATA, "Credit", "-5.00"),
    line("2026-10", OPS, "Support", "15.00"),
    line("2026-10", STRAY, "Usage", "1.11"),
]


# -- --by ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "by"), [
    ("account", By("account")), ("service", By("service")), ("tag:team", By("tag", "team")),
    ("TAG:cost-center", By("tag", "cost-center")), ("category:Cost Center", By("category", "Cost Center"))])
def test_by_parses(text: str, by: By) -> None:
    assert By.parse(text) == by


@pytest.mark.parametrize(("text", "message"), [("region", "--by account, service, tag:KEY or category:NAME"),
                                               ("tag", "name the tag key"), ("tag:", "name the tag key"),
                                               ("category:", "name the cost category"),
                                               ("service:EC2", "--by account, service")])
def test_a_bad_by_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        By.parse(text)
    assert caught.value.exit_code == ExitCode.USAGE


def test_by_account_breaks_each_environment_down_by_its_accounts() -> None:
    report = build_report(LINES, ACCOUNTS, ("2026-10",), "unblended", by=By("account"), top=5)
    rows = {row.environment: row for row in report.rows}
    # prod: prod 300.50 + 24.04 = 324.54, data (a tagged account) 75.10 - 5.00 = 70.10
    assert rows["prod"].breakdown == (("prod (444444444444)", D("324.54")), ("data (555555555555)", D("70.10")))
    assert rows[SHARED].breakdown == (("ops (111111111111)", D("15.00")),)
    assert rows[UNMAPPED].breakdown == (("999999999999", D("1.11")),)
    reconcile(report)
    top1 = build_report(LINES, ACCOUNTS, ("2026-10",), "unblended", by=By("account"), top=1)
    assert {r.environment: r.breakdown for r in top1.rows}["prod"] == (("prod (444444444444)", D("324.54")),
                                                                      ("other", D("70.10")))


def test_by_tag_uses_the_group_lines_and_other_is_the_rest() -> None:
    tagged = [*LINES, line("2026-10", PROD, "", "200.00", "backend"), line("2026-10", PROD, "", "100.50", "data"),
              line("2026-10", DATA, "", "60.00", "(untagged)")]
    report = build_report(tagged, ACCOUNTS, ("2026-10",), "unblended", by=By("tag", "team"), top=2)
    prod = next(r for r in report.rows if r.environment == "prod")
    # the row's total is 324.54 + 70.10 = 394.64; the two biggest groups, then the rest: 394.64 - 200.00 - 100.50
    assert prod.total == D("394.64")
    assert prod.breakdown == (("backend", D("200.00")), ("data", D("100.50")), ("other", D("94.14")))
    assert report.totals["2026-10"] == D("511.00")  # group lines never count twice
    reconcile(report)


# -- --env / --account -------------------------------------------------------------------------


def test_names_take_repeats_and_comma_lists() -> None:
    assert views.names(["prod,stage", " dev ", "prod", ""]) == ("prod", "stage", "dev")


def test_env_keeps_those_rows_and_their_lines_and_the_total_is_theirs() -> None:
    selection = views.select(["prod", "shared"], [], ACCOUNTS)
    assert selection.rows == ("prod", SHARED)
    kept = [x for x in LINES if selection.keeps(x.account_id, ACCOUNTS[x.account_id].row)]
    report = build_report(kept, ACCOUNTS, ("2026-10",), "unblended", only=selection.only(ACCOUNTS),
                          selection=selection.labels)
    assert [r.environment for r in report.rows] == ["prod", SHARED]
    assert report.totals["2026-10"] == D("300.50") + D("24.04") + D("75.10") - D("5.00") + D("15.00")
    reconcile(report)
    assert formats.title(report) == "Costs by environment (prod, (shared) only), invoice view (unblended), USD"


def test_account_keeps_that_account_in_its_environment() -> None:
    selection = views.select([], ["data"], ACCOUNTS)
    assert selection.accounts == (DATA,) and selection.only(ACCOUNTS) == ("prod",)
    kept = [x for x in LINES if selection.keeps(x.account_id, ACCOUNTS[x.account_id].row)]
    report = build_report(kept, ACCOUNTS, ("2026-10",), "unblended", only=selection.only(ACCOUNTS),
                          selection=selection.labels)
    [prod] = report.rows
    assert prod.total == D("70.10") and report.totals["2026-10"] == D("70.10")
    assert selection.labels == ("account data",)
    by_id = views.select([], [STRAY, "PROD"], ACCOUNTS)  # an id the org does not know; names in any case
    assert by_id.accounts == (STRAY, PROD) and by_id.only(ACCOUNTS) == (UNMAPPED, "prod")


@pytest.mark.parametrize(("envs", "accounts", "message"), [
    (["prdo"], [], "--env: unknown environment 'prdo' (did you mean 'prod'?); one of dev, prod, (shared), (unmapped)"),
    (["staging"], [], "--env: unknown environment 'staging'; one of dev, prod, (shared), (unmapped)"),
    ([], ["daat"], "--account: unknown account 'daat' (did you mean 'data'?); name one of data, dev, ops, prod, "
                   "or give its 12-digit id"),
    ([], ["12345"], "--account: unknown account '12345'"),
    (["dev"], ["prod"], "--account prod: it is in prod, not in --env dev"),
])
def test_unknown_names_are_one_line_usage_errors(envs: list[str], accounts: list[str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        views.select(envs, accounts, ACCOUNTS)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_name_two_accounts_share_must_be_an_id() -> None:
    twins = {**ACCOUNTS, "666666666666": AccountInfo("666666666666", "data", None, "unmapped")}
    with pytest.raises(UsageError, match="names 2 accounts"):
        views.select([], ["data"], twins)


def test_special_rows_in_any_spelling() -> None:
    assert views.select(["unmapped", "(shared)", "PROD"], [], ACCOUNTS).rows == (UNMAPPED, SHARED, "prod")


# -- daily -----------------------------------------------------------------------------------


def test_days_of_a_month_and_of_the_open_month() -> None:
    assert len(days("2026-02", date(2026, 11, 29))) == 28
    assert days("2026-11", date(2026, 11, 3)) == ("2026-11-01", "2026-11-02")  # before today only
    assert days("2026-11", date(2026, 11, 1)) == ()
    assert periods(("2026-09", "2026-10"), "daily", date(2026, 11, 29))[29:31] == ("2026-09-30", "2026-10-01")
    assert periods(("2026-09",), "monthly", date(2026, 11, 29)) == ("2026-09",)


def test_a_daily_report_has_days_and_no_month_over_month_changes() -> None:
    lines = [line("2026-10-01", DEV, "Usage", "1.5"), line("2026-10-01", DEV, "Tax", "0.12"),
             line("2026-10-02", DEV, "Usage", "2.25"), line("2026-10-02", PROD, "Usage", "4")]
    report = build_report(lines, ACCOUNTS, ("2026-10-01", "2026-10-02"), "unblended", granularity="daily")
    assert report.period == "day" and deltas(report) == ()
    assert report.totals == {"2026-10-01": D("1.62"), "2026-10-02": D("6.25")}
    data = formats.as_dict(report)
    assert [d["day"] for d in data["days"]] == ["2026-10-01", "2026-10-02"] and "months" not in data
    out = io.StringIO()
    render(formats.result(report), "csv", out)
    assert out.getvalue().startswith("day,environment,currency,usage,")
    assert "daily" in formats.title(report)


# -- output ----------------------------------------------------------------------------------


def test_the_breakdown_in_every_form_adds_up_to_each_row() -> None:
    report = build_report(LINES, ACCOUNTS, ("2026-10",), "unblended", by=By("account"), top=5)
    result = formats.result(report)
    out = io.StringIO()
    render(result, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["month", "environment", "account", "currency", "amount"]
    for row in report.rows:
        mine = [D(r["amount"]) for r in rows if r["environment"] == row.environment]
        assert sum(mine, D(0)) == row.total
    data = json.loads(json.dumps(result.data))
    assert data["by"] == "account"
    prod = next(r for r in data["months"][0]["rows"] if r["environment"] == "prod")
    assert prod["breakdown"] == [{"name": "prod (444444444444)", "amount": "324.54"},
                                 {"name": "data (555555555555)", "amount": "70.1"}]
    table = result.tables[1]
    assert table.title == "By account (top 5, then other), USD"
    assert ["", "", "data (555555555555)", "70.10"] in [list(r) for r in table.rows]


def test_blended_is_its_own_view() -> None:
    report = build_report(LINES, ACCOUNTS, ("2026-10",), "blended")
    assert report.view == "blended" and formats.title(report).startswith("Costs by environment, blended view (blended)")


# -- the day taken as today --------------------------------------------------------------------


def test_awsroles_today_pins_the_day() -> None:
    assert today({"AWSROLES_TODAY": "2026-11-29"}) == date(2026, 11, 29)
    assert today({}, clock=lambda: date(2030, 1, 2)) == date(2030, 1, 2)
    assert today({"AWSROLES_TODAY": " "}, clock=lambda: date(2030, 1, 2)) == date(2030, 1, 2)
    with pytest.raises(UsageError, match=r"\$AWSROLES_TODAY: '29/11/2026' is not a day; write it as YYYY-MM-DD"):
        today({"AWSROLES_TODAY": "29/11/2026"})
