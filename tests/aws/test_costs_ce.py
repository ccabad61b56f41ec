"""Cost Explorer source and account mapping against moto in-process; the costs command end to end."""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from moto.moto_api._internal.models import moto_api_backend

from awsroles.aws import Aws, AwsSettings
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.costs import ce as ce_source
from awsroles.costs.mapping import account_map
from awsroles.costs.model import SHARED, UNMAPPED, By
from awsroles.errors import ExitCode
from awsroles.org.model import Org
from tests.conftest import EXAMPLES

TODAY = date(2026, 11, 27)
CALLER = "123456789012"  # moto's default account: where the test's own credentials are


def group(account: str, key: str, amount: str) -> dict[str, Any]:
    return {"Keys": [account, key], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}


def page(groups: list[dict[str, Any]], token: str | None = None, month: str = "2026-10",
         estimated: bool = False) -> dict[str, Any]:
    end = "2026-11-01" if month == "2026-10" else "2026-12-01"
    result: dict[str, Any] = {
        "ResultsByTime": [{"TimePeriod": {"Start": f"{month}-01", "End": end}, "Total": {},
                           "Groups": groups, "Estimated": estimated}],
        "DimensionValueAttributes": [],
    }
    if token:
        result["NextPageToken"] = token
    return result


def queue(*pages: dict[str, Any], account: str = CALLER) -> None:
    for p in pages:
        moto_api_backend.set_ce_cost_usage(result=p, account_id=account)


PAGES = (
    page([group("222222222222", "Usage", "100.0000000001"), group("444444444444", "Usage", "200.5")], "p2"),
    page([group("444444444444", "Credit", "-20.25"), group("111111111111", "Support", "29")], "p3"),
    page([group("999999999999", "Tax", "1.13")]),
)


def own_total(amount: str, month: str = "2026-10") -> dict[str, Any]:
    """Cost Explorer's answer without GroupBy: its own total of the month."""
    reply = page([], month=month)
    reply["ResultsByTime"][0]["Total"] = {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}
    return reply


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, session: Any) -> None:
        def count(**_: Any) -> None:
            self.calls += 1

        session.register("before-call.ce.GetCostAndUsage", count)


@pytest.fixture
def aws(moto_aws: None) -> tuple[Aws, Counter]:
    counter = Counter()
    return Aws(AwsSettings(region="us-east-1"), hooks=[counter]), counter


def test_every_page_is_followed_and_counted(aws: tuple[Aws, Counter], tmp_path: Path) -> None:
    client, counter = aws
    queue(*PAGES)
    lines, requests = ce_source.fetch(client.client("ce"), ("2026-10",), "unblended", today=TODAY)
    assert requests == 3 == counter.calls
    assert {(line.account_id, line.record_type) for line in lines} == {
        ("222222222222", "Usage"), ("444444444444", "Usage"), ("444444444444", "Credit"),
        ("111111111111", "Support"), ("999999999999", "Tax")}
    assert sum(line.amount for line in lines) == Decimal("310.3800000001")
    assert all(isinstance(line.amount, Decimal) and not line.estimated for line in lines)


def test_the_cache_makes_a_rerun_free(aws: tuple[Aws, Counter], tmp_path: Path) -> None:
    client, counter = aws
    queue(*PAGES)
    cache = ce_source.CostCache(tmp_path / "costs", "111111111111")
    first, n1 = ce_source.fetch(client.client("ce"), ("2026-10",), "unblended", cache=cache, today=TODAY)
    second, n2 = ce_source.fetch(client.client("ce"), ("2026-10",), "unblended", cache=cache, today=TODAY)
    assert (n1, n2) == (3, 0) and counter.calls == 3
    assert first == second
    files = list((tmp_path / "costs").iterdir())
    assert len(files) == 1 and "111111111111" in files[0].name and "UnblendedCost" not in files[0].name
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600


def test_open_and_estimated_months_are_never_cached(aws: tuple[Aws, Counter], tmp_path: Path) -> None:
    client, _counter = aws
    queue(page([group("222222222222", "Usage", "5")], month="2026-11", estimated=True))
    cache = ce_source.CostCache(tmp_path / "costs", "111111111111")
    lines, n1 = ce_source.fetch(client.client("ce"), ("2026-11",), "unblended", cache=cache, today=TODAY)
    _, n2 = ce_source.fetch(client.client("ce"), ("2026-11",), "unblended", cache=cache, today=TODAY)
    assert lines[0].estimated and (n1, n2) == (1, 1)
    assert not (tmp_path / "costs").exists()


def test_by_service_makes_a_second_query(aws: tuple[Aws, Counter]) -> None:
    client, _counter = aws
    queue(page([group("222222222222", "Usage", "10")]), page([group("222222222222", "Amazon S3", "10")]))
    lines, requests = ce_source.fetch(client.client("ce"), ("2026-10",), "unblended", by=By("service"), today=TODAY)
    assert requests == 2
    assert {(line.record_type, line.group) for line in lines} == {("Usage", ""), ("", "Amazon S3")}


def test_no_billing_access_is_a_clear_error() -> None:
    import boto3

    client = boto3.client("ce", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_cost_and_usage", "AccessDeniedException",
                                 "Linked account doesn't have access to cost explorer.")
        with pytest.raises(ce_source.BillingAccessError, match="billing \\(payer\\) account") as caught:
            ce_source.fetch(client, ("2026-10",), "unblended", today=TODAY)
    assert caught.value.exit_code == ExitCode.FAILURE


def test_accounts_map_from_the_org_file_then_tags(moto_aws: None) -> None:
    from awsroles.org.parse import load_org

    org: Org = load_org(EXAMPLES / "classic.ini")
    organizations = Aws(AwsSettings(region="us-east-1")).client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    tagged = organizations.create_account(AccountName="data", Email="d@example.com",
                                          Tags=[{"Key": "Environment", "Value": "prod"}])["CreateAccountStatus"]
    plain = organizations.create_account(AccountName="new", Email="n@example.com")["CreateAccountStatus"]
    accounts = account_map(org, organizations)
    assert accounts["222222222222"].environment == "dev"
    assert accounts["111111111111"].environment is None and accounts["111111111111"].name == "ops"
    assert accounts[tagged["AccountId"]].environment == "prod"
    assert accounts[tagged["AccountId"]].source == "tag Environment"
    assert accounts[plain["AccountId"]].environment is None and accounts[plain["AccountId"]].name == "new"


def test_organizations_denied_falls_back_to_the_org_file_with_a_warning() -> None:
    import boto3

    from awsroles.org.parse import load_org

    org = load_org(EXAMPLES / "classic.ini")
    warnings: list[str] = []
    client = boto3.client("organizations", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("list_accounts", "AccessDeniedException", "not the management account")
        accounts = account_map(org, client, warn=warnings.append)
    assert accounts["444444444444"].environment == "prod"
    assert len(warnings) == 1 and "org file only" in warnings[0]


def test_the_costs_command(moto_aws: None, tmp_path: Path) -> None:
    month = f"{date.today().year - (date.today().month == 1)}-{(date.today().month - 2) % 12 + 1:02d}"
    # the three pages grouped by account and record type, then Cost Explorer's own total (their sum)
    pages = [json.loads(json.dumps(p).replace("2026-10", month)) for p in (*PAGES, own_total("310.3800000001"))]
    for p in pages:
        p["ResultsByTime"][0]["TimePeriod"]["End"] = "2099-01-01"  # not read by awsroles
    queue(*pages, account="111111111111")  # the billing account of the classic org
    out, err = io.StringIO(), io.StringIO()
    code = run(["-f", str(EXAMPLES / "classic.ini"), "costs", "-o", "json"], App(stdout=out, stderr=err))
    assert code == ExitCode.OK, err.getvalue()
    data = json.loads(out.getvalue())
    assert data["requests"] == 4 and "4 paid Cost Explorer request(s)" in err.getvalue()
    assert "warning" not in err.getvalue()  # the groups add up to Cost Explorer's total
    rows = data["months"][0]["rows"]
    assert [r["environment"] for r in rows] == ["dev", "stage", "prod", SHARED, UNMAPPED]
    # ops is in the org file (no environment): the shared row, by name; 999... is known nowhere
    assert rows[-2]["accounts"] == [{"id": "111111111111", "name": "ops"}]
    assert Decimal(rows[-2]["amounts"]["support"]) == Decimal("29")
    assert rows[-1]["accounts"] == [{"id": "999999999999", "name": "999999999999"}]
    assert sum(Decimal(r["total"]) for r in rows) == Decimal(data["months"][0]["total"])
    again = io.StringIO()
    err2 = io.StringIO()
    assert run(["-f", str(EXAMPLES / "classic.ini"), "costs", "-o", "csv"], App(stdout=again, stderr=err2)) == 0
    assert "0 paid Cost Explorer request(s)" in err2.getvalue()
    # The spreadsheet and the chart, from the cache.
    sheet, chart = tmp_path / "costs.xlsx", tmp_path / "costs.svg"
    assert run(["-f", str(EXAMPLES / "classic.ini"), "costs", "--xlsx", str(sheet), "--chart", str(chart)],
               App(stdout=io.StringIO(), stderr=io.StringIO())) == 0
    from openpyxl import load_workbook

    book = load_workbook(sheet)
    total_column = [c.value for c in book["Costs"][1]].index("total")
    total = sum(Decimal(str(r[total_column])) for r in book["Costs"].iter_rows(min_row=2, values_only=True))
    assert total.quantize(Decimal("0.01")) == Decimal(data["months"][0]["total"]).quantize(Decimal("0.01"))
    assert chart.read_bytes().startswith(b"<?xml")


def test_bad_month_on_the_command_line_exits_2() -> None:
    err = io.StringIO()
    code = run(["-f", str(EXAMPLES / "classic.ini"), "costs", "--from", "2026-05", "--to", "2026-02"],
               App(stdout=io.StringIO(), stderr=err))
    assert code == ExitCode.USAGE and "reversed" in err.getvalue() and "Traceback" not in err.getvalue()
