"""Sources independent of each other's limits (issue 14, item 2): a CUR export goes back further than
Cost Explorer's 14 months; a month the export does not hold and a file that cannot be read are one
clear line with exit code 2 (no SQL, no traceback); FOCUS exports from several clouds keep every
account id whole, give each other cloud a row, and show AWS alone unless asked."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.costs.athena import read_athena
from awsroles.costs.cur import read_cur
from awsroles.costs.mapping import complete, from_org
from awsroles.costs.model import UNMAPPED
from awsroles.costs.months import HISTORY_MONTHS, resolve
from awsroles.costs.report import build_report, reconcile
from awsroles.costs.sources import SourceOptions
from awsroles.errors import AwsrolesError, ExitCode, UsageError
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES
from tests.unit.test_costs_cur import CUR2_COLUMNS, cur_row, write

TODAY = date(2026, 11, 27)
CLASSIC = EXAMPLES / "classic.ini"


def months_back(n: int, today: date | None = None) -> str:
    today = today or date.today()
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def costs(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["-f", str(CLASSIC), "costs", *argv], App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def one_clean_line(err: str) -> str:
    """stderr is one line, an error, with no SQL and no traceback in it."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for sql in ("SELECT", "LINE 1", "read_parquet", "read_csv", "CAST(", "Traceback"):
        assert sql not in lines[0], lines[0]
    return lines[0]


# -- Cost Explorer's history is Cost Explorer's limit only --------------------------------------------


def test_the_history_limit_is_the_sources() -> None:
    assert SourceOptions(source="ce").history_months == HISTORY_MONTHS == 14
    assert SourceOptions(source="cur", cur_path="x").history_months is None
    assert SourceOptions(source="athena").history_months is None
    with pytest.raises(UsageError, match="beyond Cost Explorer's history"):
        resolve("2020-01", None, None, TODAY)
    assert resolve("2020-01", None, None, TODAY, history=None) == ("2020-01",)
    assert resolve(None, "2019-11", "2020-02", TODAY, history=None) == ("2019-11", "2019-12", "2020-01", "2020-02")
    with pytest.raises(UsageError, match="future"):
        resolve("2026-12", None, None, TODAY, history=None)  # the future is the future for every source


def test_a_cur_month_older_than_cost_explorer_keeps(tmp_path: Path) -> None:
    old = months_back(40)
    folder = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 120.5, month=old),
                                                    cur_row("Tax", 9.5, month=old, account="444444444444")])
    code, out, err = costs("--source", "cur", "--path", str(folder), "--month", old, "-o", "json")
    assert code == 0, err
    month = json.loads(out)["months"][0]
    assert month["month"] == old and Decimal(month["total"]) == Decimal("130")
    code, _, err = costs("--source", "ce", "--month", old)  # Cost Explorer itself: still refused, before AWS
    assert code == ExitCode.USAGE and "beyond Cost Explorer's history" in one_clean_line(err)


# -- a month the export does not hold --------------------------------------------------------------


def test_a_month_the_export_does_not_hold_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = write(tmp_path, CUR2_COLUMNS, [cur_row("Usage", 1.0, month="2026-08"),
                                            cur_row("Usage", 2.0, month="2026-10")])
    with pytest.raises(UsageError) as caught:
        read_cur(folder, ["2026-11"], "unblended")
    assert str(caught.value) == (f"{folder}: no AWS line items for 2026-11: no export for that month "
                                 "(it holds 2 months, 2026-08 to 2026-10)")
    assert caught.value.exit_code == ExitCode.USAGE
    with pytest.raises(UsageError, match=r"for 2026-07, 2026-09: no export for these months"):
        read_cur(folder, ["2026-07", "2026-08", "2026-09", "2026-10"], "unblended")
    assert len(read_cur(folder, ["2026-08", "2026-10"], "unblended")) == 2
    assert len(read_cur(folder, [], "unblended")) == 2  # no months asked: everything it holds


def test_a_missing_hive_partition_is_a_missing_month(tmp_path: Path) -> None:
    write(tmp_path / "BILLING_PERIOD=2026-10", CUR2_COLUMNS, [cur_row("Usage", 2.0)])
    with pytest.raises(UsageError, match=r"no AWS line items for 2026-09: .*\(it holds 2026-10 only\)"):
        read_cur(tmp_path, ["2026-09"], "amortized")


def test_the_command_says_which_month_is_missing_and_exits_2(tmp_path: Path) -> None:
    last = months_back(1)
    folder = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 1.0, month=months_back(3))])
    code, out, err = costs("--source", "cur", "--path", str(folder), "--month", last)
    assert code == ExitCode.USAGE and out == ""
    line = one_clean_line(err)
    assert line.startswith("awsroles: error: ") and f"no AWS line items for {last}: no export for that month" in line


def test_athena_months_without_line_items_are_an_error() -> None:
    from tests.unit.test_costs_cur import _FakeAthena, _FakeAws

    class Empty(_FakeAthena):
        def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
            return {"QueryExecution": {"Status": {"State": "SUCCEEDED"}, "Statistics": {"DataScannedInBytes": 1}}}

        def get_paginator(self, name: str) -> Any:
            header = {"Data": [{"VarCharValue": v} for v in ("month", "account_id", "record_type", "service",
                                                              "currency", "provider", "amount", "open")]}
            return type("P", (), {"paginate": lambda _self, **_k: [{"ResultSet": {"Rows": [header]}}]})()

    with pytest.raises(UsageError, match=r"Athena table cur\.cur2: no AWS line items for 2026-10"):
        read_athena(_FakeAws(Empty(scanned=1)), "cur", "cur2", "primary", "s3://out/", ["2026-10"],  # type: ignore[arg-type]
                    "amortized", 10**9, poll=0)


# -- files that cannot be read ---------------------------------------------------------------------


def _good_and(tmp_path: Path, name: str, content: bytes) -> tuple[Path, Path]:
    folder = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 1.0)])
    bad = folder / "BILLING_PERIOD=2026-10" / name
    bad.parent.mkdir()
    bad.write_bytes(content)
    return folder, bad


@pytest.mark.parametrize("content", [b"", b"not parquet at all", b"PAR1" + b"\0" * 64],
                         ids=["empty", "garbage", "truncated"])
def test_a_corrupt_parquet_file_is_named(tmp_path: Path, content: bytes) -> None:
    folder, bad = _good_and(tmp_path, "part-1.parquet", content)
    with pytest.raises(UsageError) as caught:
        read_cur(folder, ["2026-10"], "unblended")
    message = str(caught.value)
    assert message.startswith(f"{bad}: cannot read a Parquet file: ")
    assert "\n" not in message and "SELECT" not in message and "LINE" not in message
    with pytest.raises(UsageError, match=r"cannot read a Parquet file"):
        read_cur(bad, [], "unblended")  # the file alone


def test_a_half_written_parquet_file_is_named(tmp_path: Path) -> None:
    folder = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", float(i)) for i in range(50)])
    whole = (folder / "part-0.parquet").read_bytes()
    (folder / "part-1.parquet").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UsageError, match=r"part-1\.parquet: cannot read a Parquet file: not a Parquet file, or a "
                                         r"truncated one \(no Parquet footer\)$"):
        read_cur(folder, ["2026-10"], "amortized")


def test_a_csv_value_that_is_not_a_number_is_one_line(tmp_path: Path) -> None:
    import gzip

    folder = write(tmp_path, CUR2_COLUMNS, [cur_row("Usage", 1.0)], fmt="csv")
    bad = ",".join(str(v) for v in cur_row("Usage", 1.0)).replace(",1.0,", ",n/a,", 1)
    (folder / "part-1.csv.gz").write_bytes(gzip.compress((",".join(CUR2_COLUMNS) + "\n" + bad + "\n").encode()))
    with pytest.raises(UsageError) as caught:
        read_cur(folder, ["2026-10"], "unblended")
    message = str(caught.value)
    assert message.startswith(f"{folder / 'part-1.csv.gz'}: cannot read a CSV file: ")
    assert "\n" not in message and "SELECT" not in message
    assert "n/a" in message  # DuckDB's reason, without its SQL


def test_the_command_names_the_corrupt_file_and_exits_2(tmp_path: Path) -> None:
    last = months_back(1)
    folder = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 1.0, month=last)])
    (folder / "part-9.parquet").write_bytes(b"PAR1 torn")
    code, out, err = costs("--source", "cur", "--path", str(folder), "--month", last)
    assert code == ExitCode.USAGE and out == ""
    assert f"{folder / 'part-9.parquet'}: cannot read a Parquet file" in one_clean_line(err)


def test_a_corrupt_file_from_s3_is_named_by_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.aws import Aws, AwsSettings

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    local = write(tmp_path / "local", CUR2_COLUMNS, [cur_row("Usage", 2.0)])
    with mock_aws():
        aws = Aws(AwsSettings(region="us-east-1"))
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="cur")
        s3.put_object(Bucket="cur", Key="cur2/data/BILLING_PERIOD=2026-10/part-0.parquet",
                      Body=(local / "part-0.parquet").read_bytes())
        s3.put_object(Bucket="cur", Key="cur2/data/BILLING_PERIOD=2026-10/part-1.parquet", Body=b"torn")
        with pytest.raises(UsageError) as caught:
            read_cur("s3://cur/cur2", ["2026-10"], "unblended", aws=aws)
    assert str(caught.value).startswith("s3://cur/cur2/data/BILLING_PERIOD=2026-10/part-1.parquet: cannot read")
    assert "awsroles-cur-" not in str(caught.value)  # not the temporary folder it was downloaded to


# -- FOCUS exports from several clouds --------------------------------------------------------------

FOCUS_MULTI = ("BillingPeriodStart", "ProviderName", "BillingAccountId", "SubAccountId", "ChargeCategory",
               "ChargeClass", "BilledCost", "EffectiveCost", "ServiceName", "BillingCurrency",
               "CommitmentDiscountType")
AZURE_A = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
AZURE_B = "0f1e2d3c-4b5a-6978-8695-000000000001"  # the same first 12 characters as AZURE_A
OCI_A = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"
OCI_B = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfzzz"


def focus_row(provider: str, account: str, billed: float, *, category: str = "Usage",
              billing_account: str = "") -> tuple[Any, ...]:
    return ("2026-10-01 00:00:00", provider, billing_account or account, account, category, "", billed, billed,
            "Compute", "USD", "")


@pytest.fixture
def multi_cloud(tmp_path: Path) -> Path:
    rows = [focus_row("AWS", "222222222222", 100.0), focus_row("AWS", "444444444444", 300.0),
            focus_row("AWS", "12345678901", 1.0),  # an AWS id that lost its leading zero in the export
            focus_row("AWS", "", 5.0, category="Tax", billing_account="111111111111"),  # no sub account
            focus_row("Microsoft", AZURE_A, 40.0), focus_row("Microsoft", AZURE_B, 2.0),
            focus_row("Oracle", OCI_A, 7.0), focus_row("Oracle", OCI_B, 11.0)]
    return write(tmp_path / "focus", FOCUS_MULTI, rows)


def test_focus_shows_aws_alone_by_default_and_names_the_others(multi_cloud: Path) -> None:
    notes: list[str] = []
    lines = read_cur(multi_cloud, ["2026-10"], "unblended", warn=notes.append)
    assert {(x.account_id, x.amount) for x in lines} == {
        ("222222222222", Decimal(100)), ("444444444444", Decimal(300)), ("012345678901", Decimal(1)),
        ("111111111111", Decimal(5))}
    assert {x.provider for x in lines} == {"AWS"}
    assert notes == [f"awsroles: note: {multi_cloud} also holds costs of Microsoft, Oracle, left out of this "
                     "report: --provider all (or --provider NAME) shows them"]


def test_focus_keeps_every_account_id_whole_and_gives_each_cloud_a_row(multi_cloud: Path) -> None:
    lines = read_cur(multi_cloud, ["2026-10"], "unblended", provider="all")
    ids = {x.account_id: x.provider for x in lines}
    assert {AZURE_A, AZURE_B, OCI_A, OCI_B} <= set(ids)  # none cut to 12 characters, none merged
    assert ids[AZURE_A] == "Microsoft" and ids[OCI_B] == "Oracle"
    org = load_org(CLASSIC)
    report = build_report(lines, complete(from_org(org), (x.account_id for x in lines)), ("2026-10",), "unblended")
    reconcile(report)
    rows = {r.environment: r for r in report.rows}
    assert list(rows) == ["dev", "stage", "prod", "(shared)", "(Microsoft)", "(Oracle)", UNMAPPED]
    assert rows["(Microsoft)"].accounts == (AZURE_B, AZURE_A) and rows["(Microsoft)"].total == Decimal(42)
    assert rows["(Oracle)"].accounts == (OCI_A, OCI_B) and rows["(Oracle)"].total == Decimal(18)
    assert rows[UNMAPPED].accounts == ("012345678901",)  # AWS, unknown to the org
    assert rows["(shared)"].total == Decimal(5)  # the payer's tax, by its billing account
    assert report.totals["2026-10"] == Decimal(466)


def test_focus_one_provider_by_name(multi_cloud: Path) -> None:
    notes: list[str] = []
    lines = read_cur(multi_cloud, ["2026-10"], "unblended", provider="microsoft", warn=notes.append)
    assert {x.account_id for x in lines} == {AZURE_A, AZURE_B}
    assert "AWS, Oracle" in notes[0]
    with pytest.raises(UsageError, match="no Google Cloud line items for 2026-10"):
        read_cur(multi_cloud, ["2026-10"], "unblended", provider="Google Cloud")


def test_the_provider_option_is_checked(tmp_path: Path, multi_cloud: Path) -> None:
    cur = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 1.0)])
    with pytest.raises(UsageError, match="a CUR export holds AWS costs only"):
        read_cur(cur, [], "unblended", provider="Microsoft")
    assert len(read_cur(cur, [], "unblended", provider="all")) == 1
    with pytest.raises(UsageError, match="--provider Microsoft: --source ce holds AWS costs only"):
        SourceOptions(source="ce", provider="Microsoft").check()
    SourceOptions(source="ce", provider="all").check()
    with pytest.raises(AwsrolesError, match="--provider: empty"):
        SourceOptions(source="cur", cur_path="x", provider=" ").check()


def test_the_command_reads_a_multi_cloud_focus_export(tmp_path: Path) -> None:
    last = months_back(1)
    rows = [(last + "-01 00:00:00", *r[1:]) for r in (
        focus_row("AWS", "222222222222", 100.0), focus_row("Microsoft", AZURE_A, 40.0),
        focus_row("Oracle", OCI_A, 7.0), focus_row("Oracle", OCI_B, 11.0))]
    folder = write(tmp_path / "focus", FOCUS_MULTI, rows)
    code, out, err = costs("--source", "cur", "--path", str(folder), "--month", last, "-o", "json")
    assert code == 0 and "left out of this report: --provider all" in err
    month = json.loads(out)["months"][0]
    assert Decimal(month["total"]) == Decimal(100)
    code, out, err = costs("--source", "cur", "--path", str(folder), "--month", last, "-o", "json",
                           "--provider", "all")
    assert code == 0, err
    month = json.loads(out)["months"][0]
    oracle = next(r for r in month["rows"] if r["environment"] == "(Oracle)")
    assert [a["id"] for a in oracle["accounts"]] == [OCI_A, OCI_B] and Decimal(oracle["total"]) == Decimal(18)
    assert Decimal(month["total"]) == Decimal(158)
    code, _, err = costs("--provider", "Oracle")  # Cost Explorer: AWS only, refused before any AWS call
    assert code == ExitCode.USAGE and "--source ce holds AWS costs only" in one_clean_line(err)
