"""The CUR / FOCUS source: schema detection, CUDOS amortization, month filter, reconciliation, S3, Athena."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from moto import mock_aws

from awsroles.aws import Aws, AwsSettings
from awsroles.costs.athena import athena_sql, read_athena
from awsroles.costs.cur import detect, read_cur
from awsroles.costs.model import By, CostLine
from awsroles.errors import AwsrolesError, ExitCode, UsageError

RI = "arn:aws:ec2:eu-west-1:100000000000:reserved-instances/ri-1"
CUR2_COLUMNS = (
    "bill_billing_period_start_date", "bill_invoice_id", "line_item_usage_account_id", "line_item_line_item_type",
    "line_item_product_code", "line_item_currency_code", "line_item_unblended_cost", "line_item_net_unblended_cost",
    "savings_plan_savings_plan_effective_cost", "savings_plan_net_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date", "savings_plan_used_commitment", "reservation_effective_cost",
    "reservation_net_effective_cost", "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee", "reservation_reservation_a_r_n",
)
LEGACY_COLUMNS = (
    "bill/BillingPeriodStartDate", "bill/InvoiceId", "lineItem/UsageAccountId", "lineItem/LineItemType",
    "lineItem/ProductCode", "lineItem/CurrencyCode", "lineItem/UnblendedCost", "lineItem/NetUnblendedCost",
    "savingsPlan/SavingsPlanEffectiveCost", "savingsPlan/NetSavingsPlanEffectiveCost",
    "savingsPlan/TotalCommitmentToDate", "savingsPlan/UsedCommitment", "reservation/EffectiveCost",
    "reservation/NetEffectiveCost", "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedRecurringFee", "reservation/ReservationARN",
)
FOCUS_COLUMNS = ("BillingPeriodStart", "SubAccountId", "ChargeCategory", "ChargeClass", "BilledCost", "EffectiveCost",
                 "ServiceName", "BillingCurrency", "CommitmentDiscountType")


def cur_row(line_type: str, unblended: float = 10.0, *, month: str = "2026-10", account: str = "222222222222",
            invoice: str = "inv-1", product: str = "AmazonEC2", net: float | None = None, sp_effective: float = 0.0,
            sp_commitment: float = 0.0, sp_used: float = 0.0, ri_effective: float = 0.0, ri_upfront: float = 0.0,
            ri_recurring: float = 0.0, ri_arn: str = "") -> tuple[Any, ...]:
    net_value = unblended * 0.9 if net is None else net
    return (f"{month}-01 00:00:00", invoice, account, line_type, product, "USD", unblended, net_value,
            sp_effective, sp_effective * 0.9, sp_commitment, sp_used, ri_effective, ri_effective * 0.9,
            ri_upfront, ri_recurring, ri_arn)


def write(folder: Path, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], fmt: str = "parquet",
          name: str = "part-0") -> Path:
    """Write ``rows`` with DuckDB as Parquet (timestamps, doubles) or CSV.gz (text) under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    names = ", ".join('"' + c + '"' for c in columns)
    placeholders = ", ".join("?" for _ in columns)
    types = []
    for column, value in zip(columns, rows[0], strict=True):
        lower = column.lower()
        if isinstance(value, float):
            types.append("DOUBLE")
        elif "periodstart" in lower.replace("_", "").replace("/", "") or "billing_period_start" in lower:
            types.append("TIMESTAMP" if fmt == "parquet" else "VARCHAR")
        else:
            types.append("VARCHAR")
    con.execute(f"CREATE TABLE t ({', '.join(f'{q} {t}' for q, t in zip(names.split(', '), types, strict=True))})")
    con.executemany(f"INSERT INTO t VALUES ({placeholders})", [list(r) for r in rows])
    if fmt == "parquet":
        target = folder / f"{name}.parquet"
        con.execute(f"COPY t TO '{target}' (FORMAT parquet)")
    else:
        target = folder / f"{name}.csv.gz"
        con.execute(f"COPY t TO '{target}' (FORMAT csv, HEADER, COMPRESSION gzip)")
    con.close()
    return folder


def amounts(lines: Sequence[CostLine]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in lines:
        out[line.record_type] = out.get(line.record_type, Decimal(0)) + line.amount
    return out


# --- detection and bad input ----------------------------------------------------------------


def test_detect_each_schema(tmp_path: Path) -> None:
    assert detect(write(tmp_path / "c2", CUR2_COLUMNS, [cur_row("Usage")])) == "cur2"
    assert detect(write(tmp_path / "lg", LEGACY_COLUMNS, [cur_row("Usage")], fmt="csv")) == "legacy"
    focus = ("2026-10-01 00:00:00", "222222222222", "Usage", "", 1.0, 1.0, "Amazon EC2", "USD", "")
    assert detect(write(tmp_path / "fo", FOCUS_COLUMNS, [focus])) == "focus"
    assert detect(write(tmp_path / "fc", FOCUS_COLUMNS, [focus], fmt="csv")) == "focus"
    legacy_parquet = (*CUR2_COLUMNS, "resource_tags_user_environment")
    assert detect(write(tmp_path / "lp", legacy_parquet, [(*cur_row("Usage"), "prod")])) == "legacy"


def test_wrong_schema_names_missing_columns(tmp_path: Path) -> None:
    folder = write(tmp_path / "bad", ("line_item_usage_account_id", "line_item_line_item_type", "cost"),
                   [("222222222222", "Usage", 1.0)])
    with pytest.raises(UsageError) as caught:
        read_cur(folder, [], "unblended")
    message = str(caught.value)
    assert "bill_billing_period_start_date" in message and "line_item_unblended_cost" in message
    assert caught.value.exit_code == ExitCode.USAGE


def test_empty_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        detect(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"no \.parquet"):
        detect(tmp_path / "empty")


@pytest.mark.parametrize("months, metric", [(["2026-13"], "unblended"), (["26-10"], "unblended"),
                                            ([], "blended"), ([], "gross")])
def test_bad_month_or_metric(tmp_path: Path, months: list[str], metric: str) -> None:
    folder = write(tmp_path, CUR2_COLUMNS, [cur_row("Usage")])
    with pytest.raises(UsageError):
        read_cur(folder, months, metric)


# --- amortization, one line item type at a time (CUDOS) --------------------------------------

AMORTIZATION = [
    ("Usage", cur_row("Usage", 10.0), "Usage", "10"),
    ("SavingsPlanCoveredUsage", cur_row("SavingsPlanCoveredUsage", 10.0, sp_effective=6.5),
     "SavingsPlanCoveredUsage", "6.5"),
    ("SavingsPlanRecurringFee", cur_row("SavingsPlanRecurringFee", 100.0, sp_commitment=100.0, sp_used=92.25),
     "SavingsPlanRecurringFee", "7.75"),
    ("SavingsPlanNegation", cur_row("SavingsPlanNegation", -10.0), "SavingsPlanNegation", "0"),
    ("SavingsPlanUpfrontFee", cur_row("SavingsPlanUpfrontFee", 8760.0), "SavingsPlanUpfrontFee", "0"),
    ("DiscountedUsage", cur_row("DiscountedUsage", 0.0, ri_effective=3.25, ri_arn=RI), "DiscountedUsage", "3.25"),
    ("RIFee", cur_row("RIFee", 50.0, ri_upfront=1.5, ri_recurring=2.25, ri_arn=RI), "Recurring reservation fee",
     "3.75"),
    ("Fee with RI (upfront)", cur_row("Fee", 1000.0, ri_arn=RI), "Upfront reservation fee", "0"),
    ("Fee without RI", cur_row("Fee", 12.0), "Fee", "12"),
    ("Support fee", cur_row("Fee", 100.0, product="AWSSupportBusiness"), "Support", "100"),
    ("Credit", cur_row("Credit", -5.0), "Credit", "-5"),
    ("Refund", cur_row("Refund", -2.5), "Refund", "-2.5"),
    ("Tax", cur_row("Tax", 1.75), "Tax", "1.75"),
]


@pytest.mark.parametrize("label, row, record_type, expected", AMORTIZATION, ids=[a[0] for a in AMORTIZATION])
def test_amortization_per_line_item_type(tmp_path: Path, label: str, row: tuple[Any, ...], record_type: str,
                                         expected: str) -> None:
    folder = write(tmp_path, CUR2_COLUMNS, [row])
    [line] = read_cur(folder, ["2026-10"], "amortized")
    assert (line.record_type, line.amount) == (record_type, Decimal(expected))
    [invoice] = read_cur(folder, ["2026-10"], "unblended")
    assert invoice.amount == Decimal(str(row[6]))  # the invoice view is always the unblended cost


def test_amortization_legacy_csv_matches_cur2(tmp_path: Path) -> None:
    rows = [a[1] for a in AMORTIZATION]
    parquet = read_cur(write(tmp_path / "c2", CUR2_COLUMNS, rows), [], "amortized")
    legacy = read_cur(write(tmp_path / "lg", LEGACY_COLUMNS, rows, fmt="csv"), [], "amortized")
    assert amounts(parquet) == amounts(legacy)


def test_net_amortized_uses_net_columns(tmp_path: Path) -> None:
    rows = [cur_row("Usage", 10.0, net=8.0), cur_row("SavingsPlanCoveredUsage", 10.0, sp_effective=5.0),
            cur_row("DiscountedUsage", 0.0, ri_effective=4.0, ri_arn=RI)]
    folder = write(tmp_path, CUR2_COLUMNS, rows)
    got = amounts(read_cur(folder, [], "net-amortized"))
    assert got == {"Usage": Decimal("8"), "SavingsPlanCoveredUsage": Decimal("4.5"), "DiscountedUsage": Decimal("3.6")}
    assert amounts(read_cur(folder, [], "net-unblended"))["Usage"] == Decimal("8")


def test_net_without_net_columns_is_a_usage_error(tmp_path: Path) -> None:
    columns = [c for c in CUR2_COLUMNS if "net_" not in c]
    keep = [i for i, c in enumerate(CUR2_COLUMNS) if "net_" not in c]
    folder = write(tmp_path, columns, [tuple(cur_row("Usage")[i] for i in keep)])
    with pytest.raises(UsageError, match="line_item_net_unblended_cost"):
        read_cur(folder, [], "net-amortized")
    assert amounts(read_cur(folder, [], "amortized")) == {"Usage": Decimal("10")}


# --- FOCUS ----------------------------------------------------------------------------------


def test_focus_views_and_record_types(tmp_path: Path) -> None:
    def row(category: str, billed: float, effective: float, klass: str = "", commitment: str = "",
            service: str = "Amazon EC2") -> tuple[Any, ...]:
        return ("2026-10-01 00:00:00", "222222222222", category, klass, billed, effective, service, "USD", commitment)

    rows = [row("Usage", 10.0, 10.0), row("Usage", 0.0, 4.0, commitment="Savings Plan"),
            row("Usage", 0.0, 3.0, commitment="Reservation"), row("Purchase", 100.0, 0.0),
            row("Purchase", 29.0, 29.0, service="AWS Support (Business)"), row("Tax", 2.0, 2.0),
            row("Credit", -5.0, -5.0), row("Adjustment", -1.0, -1.0), row("Usage", -0.5, -0.5, klass="Correction")]
    for fmt in ("parquet", "csv"):
        folder = write(tmp_path / fmt, FOCUS_COLUMNS, rows, fmt=fmt)
        billed = amounts(read_cur(folder, [], "unblended"))
        effective = amounts(read_cur(folder, [], "amortized"))
        # ChargeCategory as FOCUS spells it (the category table reads it), but what only other columns tell
        assert billed == {"Usage": Decimal(10), "SavingsPlanCoveredUsage": Decimal(0), "DiscountedUsage": Decimal(0),
                          "Purchase": Decimal(100), "Support": Decimal(29), "Tax": Decimal(2), "Credit": Decimal(-5),
                          "Adjustment": Decimal(-1), "Refund": Decimal("-0.5")}
        assert effective["SavingsPlanCoveredUsage"] == Decimal(4) and effective["Purchase"] == Decimal(0)
        assert effective["DiscountedUsage"] == Decimal(3)


# --- months, accounts, services, open months --------------------------------------------------


def test_month_filter_and_estimated(tmp_path: Path) -> None:
    rows = [cur_row("Usage", 1.0, month="2026-09"), cur_row("Usage", 2.0, month="2026-10"),
            cur_row("Usage", 4.0, month="2026-11", invoice="")]
    folder = write(tmp_path, CUR2_COLUMNS, rows)
    assert [(line.month, line.amount) for line in read_cur(folder, ["2026-10"], "unblended")] == [
        ("2026-10", Decimal(2))]
    lines = read_cur(folder, ["2026-09", "2026-11"], "unblended")
    assert [(line.month, line.estimated) for line in lines] == [("2026-09", False), ("2026-11", True)]
    assert len(read_cur(folder, [], "unblended")) == 3


def test_hive_partitioned_folders_and_by_service(tmp_path: Path) -> None:
    write(tmp_path / "BILLING_PERIOD=2026-09", CUR2_COLUMNS, [cur_row("Usage", 1.0, month="2026-09")])
    write(tmp_path / "BILLING_PERIOD=2026-10", CUR2_COLUMNS,
          [cur_row("Usage", 2.0), cur_row("Usage", 3.0, product="AmazonS3", account="333333333333")])
    lines = read_cur(tmp_path, ["2026-10"], "unblended", by=By("service"))
    assert [(line.account_id, line.group, line.amount) for line in lines] == [
        ("222222222222", "AmazonEC2", Decimal(2)), ("333333333333", "AmazonS3", Decimal(3))]


def test_legacy_csv_keeps_leading_zero_account_ids(tmp_path: Path) -> None:
    folder = write(tmp_path, LEGACY_COLUMNS, [cur_row("Usage", account="012345678901")], fmt="csv")
    [line] = read_cur(folder, [], "unblended")
    assert line.account_id == "012345678901"


def test_reconciliation_to_the_cent(tmp_path: Path) -> None:
    types = ["Usage", "Usage", "Usage", "Credit", "Tax", "Fee", "Refund", "SavingsPlanNegation"]
    rows = [cur_row(types[i % len(types)], round(((i * 7919) % 1000) / 7.0 - 20, 8), month=f"2026-{9 + i % 3:02d}",
                    account=f"{200000000000 + i % 5}") for i in range(1000)]
    for fmt in ("parquet", "csv"):
        folder = write(tmp_path / fmt, CUR2_COLUMNS, rows, fmt=fmt)
        lines = read_cur(folder, [], "unblended")
        for month in ("2026-09", "2026-10", "2026-11"):
            ours = sum((line.amount for line in lines if line.month == month), Decimal(0))
            source = sum((Decimal(str(r[6])) for r in rows if r[0].startswith(month)), Decimal(0))
            assert ours.quantize(Decimal("0.01")) == source.quantize(Decimal("0.01"))
            assert isinstance(ours, Decimal)


def test_sums_in_units_equal_the_decimal_cast_line_by_line(tmp_path: Path) -> None:
    """DuckDB sums money in integer units of 10^-10 (CurSql.units), for speed: each line must count exactly
    what CAST(x AS DECIMAL(38, 10)) makes of it, for doubles with more than ten decimals, negative halves,
    lines too large for a 64-bit count of units, and DECIMAL columns."""
    values = [0.1, 0.2, -0.30000000000000004, 1e-11, 5e-11, -5e-11, 0.12345678905, 123456.123456789012,
              2.5e9, -7.75e9, 9.3e8 + 0.01, 1e15 / 3, -1e-10, 0.0]
    rows = [cur_row("Usage", v, account=f"{200000000000 + i}") for i, v in enumerate(values)]
    folder = write(tmp_path / "double", CUR2_COLUMNS, rows)
    con = duckdb.connect()
    cast = dict(con.execute(f"SELECT line_item_usage_account_id, CAST(line_item_unblended_cost AS DECIMAL(38, 10))"
                            f" FROM '{folder}/part-0.parquet'").fetchall())
    lines = read_cur(folder, [], "unblended")
    assert {line.account_id: line.amount for line in lines} == cast
    assert sum(cast.values(), Decimal(0)) == sum((line.amount for line in lines), Decimal(0))
    # A DECIMAL column (some Parquet writers) counts exactly, with its own digits.
    decimal_folder = tmp_path / "decimal"
    decimal_folder.mkdir()
    con.execute(f"COPY (SELECT * REPLACE (CAST(line_item_unblended_cost AS DECIMAL(24, 6)) AS line_item_unblended_cost)"
                f" FROM '{folder}/part-0.parquet') TO '{decimal_folder}/part-0.parquet' (FORMAT parquet)")
    expected = dict(con.execute(f"SELECT line_item_usage_account_id, CAST(line_item_unblended_cost AS DECIMAL(38, 10))"
                                f" FROM '{decimal_folder}/part-0.parquet'").fetchall())
    assert {line.account_id: line.amount for line in read_cur(decimal_folder, [], "unblended")} == expected


def test_an_export_is_summed_fast_and_wide_only_when_a_line_needs_it(tmp_path: Path) -> None:
    """The reader's first query counts each line in 64 bits (faster); only an export with a line of
    922,337,203 or more runs the query again with 128 bits."""
    from awsroles.costs.cur import _Local
    from awsroles.costs.cur_sql import CurSql

    for name, amount, expected in (("small", 922337203.0, [True]), ("large", 922337204.0, [True, False])):
        folder = write(tmp_path / name, CUR2_COLUMNS, [cur_row("Usage", amount), cur_row("Usage", -amount)])
        local = _Local(folder)
        try:
            asked: list[bool] = []
            source = local.source

            def sql(table: str, narrow: bool = False, asked: list[bool] = asked, source: Any = source) -> str:
                asked.append(narrow)
                return CurSql(source, narrow=narrow).query(table, [], "unblended")

            assert local.run(sql) and asked == expected, name
        finally:
            local.close()
        assert [line.amount for line in read_cur(folder, [], "unblended")] == [Decimal(0)]


# --- S3 and Athena through moto, in-process ---------------------------------------------------


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield Aws(AwsSettings(region="us-east-1"))


def test_s3_prefix(tmp_path: Path, moto_aws: Aws) -> None:
    local = write(tmp_path / "local", CUR2_COLUMNS, [cur_row("Usage", 2.0), cur_row("Tax", 0.5)])
    s3 = moto_aws.client("s3")
    s3.create_bucket(Bucket="cur")
    s3.put_object(Bucket="cur", Key="exports/cur2/data/BILLING_PERIOD=2026-10/part-0.parquet",
                  Body=(local / "part-0.parquet").read_bytes())
    s3.put_object(Bucket="cur", Key="exports/cur2/metadata/manifest.json", Body=b"{}")
    lines = read_cur("s3://cur/exports/cur2", ["2026-10"], "amortized", aws=moto_aws)
    assert amounts(lines) == {"Usage": Decimal(2), "Tax": Decimal("0.5")}
    with pytest.raises(UsageError, match=r"no \.parquet"):
        read_cur("s3://cur/nothing-here", [], "amortized", aws=moto_aws)
    with pytest.raises(UsageError):
        read_cur("s3://cur/exports", [], "amortized")  # no credentials object


def test_athena_reads_queued_results(moto_aws: Aws) -> None:
    from moto.athena.models import QueryResults, athena_backends

    def data(*values: str) -> dict[str, Any]:
        return {"Data": [{"VarCharValue": v} for v in values]}

    header = data("month", "account_id", "record_type", "service", "currency", "provider", "amount", "open")
    rows = [header, data("2026-10", "222222222222", "Usage", "", "USD", "AWS", "12.3400000000", "false"),
            data("2026-10", "222222222222", "Tax", "", "USD", "AWS", "1.0000000000", "false")]
    athena_backends["123456789012"]["us-east-1"].query_results_queue.append(QueryResults(rows, []))
    lines = read_athena(moto_aws, "cur", "cur2", "primary", "s3://athena-out/", ["2026-10"], "amortized",
                        10**9, poll=0)
    assert amounts(lines) == {"Usage": Decimal("12.34"), "Tax": Decimal(1)}


def test_athena_commitments_read_queued_results(moto_aws: Aws) -> None:
    from moto.athena.models import QueryResults, athena_backends

    from awsroles.costs.athena import read_athena_commitments

    def data(*values: str) -> dict[str, Any]:
        return {"Data": [{"VarCharValue": v} for v in values]}

    header = data("period", "account_id", "owner", "sp_covered", "sp_on_demand", "ri_hours", "ri_on_demand_hours",
                  "ri_public", "sp_commitment", "sp_used", "ri_fee", "ri_purchased_hours", "ri_unused_hours")
    rows = [header, data("2026-10", "444444444444", "111111111111", "600", "0", "0", "0", "0", "0", "0", "0", "0", "0"),
            data("2026-10", "111111111111", "", "0", "0", "0", "0", "0", "500", "432", "0", "0", "0")]
    athena_backends["123456789012"]["us-east-1"].query_results_queue.append(QueryResults(rows, []))
    sums = read_athena_commitments(moto_aws, "cur", "cur2", "primary", "s3://athena-out/", ["2026-10"], 10**9,
                                   poll=0)
    assert [(x.account_id, x.owner, x.sp_covered, x.sp_commitment, x.sp_used) for x in sums] == [
        ("444444444444", "111111111111", Decimal(600), 0, 0), ("111111111111", "", 0, Decimal(500), Decimal(432))]


class _FakeAthena:
    def __init__(self, scanned: int) -> None:
        self.scanned = scanned
        self.stopped = False

    def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        assert "savings_plan_savings_plan_effective_cost" in kwargs["QueryString"]
        return {"QueryExecutionId": "q1"}

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        return {"QueryExecution": {"Status": {"State": "RUNNING"},
                                   "Statistics": {"DataScannedInBytes": self.scanned}}}

    def stop_query_execution(self, QueryExecutionId: str) -> None:
        self.stopped = True


class _FakeAws:
    def __init__(self, client: _FakeAthena) -> None:
        self._client = client

    def client(self, service: str) -> _FakeAthena:
        return self._client


def test_athena_bytes_scanned_cutoff_stops_the_query() -> None:
    fake = _FakeAthena(scanned=5 * 10**9)
    with pytest.raises(UsageError, match="over the cutoff"):
        read_athena(_FakeAws(fake), "cur", "cur2", "primary", "s3://out/", ["2026-10"], "amortized",  # type: ignore[arg-type]
                    10**9, poll=0)
    assert fake.stopped


def test_athena_sql_is_the_duckdb_sql() -> None:
    sql = athena_sql('"cur"."cur2"', ["2026-10"], "amortized")
    assert "'SavingsPlanRecurringFee'" in sql and "IN ('2026-10')" in sql and "GROUP BY 1, 2, 3, 4, 5, 6" in sql
    pruned = athena_sql("t", ["2026-10"], "amortized", partition="billing_period")
    assert "WHERE \"billing_period\" IN ('2026-10')" in pruned
    with pytest.raises(AwsrolesError):  # an unknown metric is a usage error
        athena_sql("t", [], "unblended-ish")


def test_the_costs_command_reads_a_local_export_without_aws(tmp_path: Path) -> None:
    import io
    import json as jsonlib
    from datetime import date

    from awsroles.cli import run
    from awsroles.cli.app import App
    from tests.conftest import EXAMPLES

    today = date.today()
    last = f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}"  # the last complete month
    rows = [cur_row("Usage", 100.0, account="222222222222", month=last),
            cur_row("Usage", 300.0, account="444444444444", month=last),
            cur_row("Tax", 8.0, account="444444444444", month=last),
            cur_row("Usage", 5.0, account="999999999999", month=last)]
    folder = write(tmp_path / "cur", CUR2_COLUMNS, rows)
    out, err = io.StringIO(), io.StringIO()
    code = run(["-f", str(EXAMPLES / "classic.ini"), "costs", "--source", "cur", "--path", str(folder),
                "--month", last, "-o", "json"], App(stdout=out, stderr=err))
    assert code == 0, err.getvalue()
    month = jsonlib.loads(out.getvalue())["months"][0]
    by_env = {r["environment"]: Decimal(r["total"]) for r in month["rows"]}
    assert by_env["dev"] == Decimal("100") and by_env["prod"] == Decimal("308")
    assert by_env["(unmapped)"] == Decimal("5")  # an account the org file does not know: kept, not dropped
    assert sum(by_env.values()) == Decimal(month["total"]) == Decimal("413")
    assert "paid Cost Explorer" not in err.getvalue()


def test_costs_format_is_a_deprecated_alias_of_output(tmp_path: Path) -> None:
    import io
    from datetime import date

    from awsroles.cli import run
    from awsroles.cli.app import App
    from tests.conftest import EXAMPLES

    today = date.today()
    last = f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}"
    folder = write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 100.0, account="222222222222", month=last)])
    base = ["-f", str(EXAMPLES / "classic.ini"), "costs", "--source", "cur", "--path", str(folder), "--month", last]

    def costs(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return run([*base, *argv], App(stdout=out, stderr=err)), out.getvalue(), err.getvalue()

    for fmt in ("md", "csv", "json", "table"):
        new, old = costs("-o", fmt), costs("--format", fmt)
        assert new[0] == old[0] == 0, old[2]
        assert old[1] == new[1] and new[1]
        assert old[2] == f"awsroles: warning: --format is deprecated: use -o {fmt} (--output {fmt})\n" + new[2]
    assert costs("-o", "md")[1].startswith("## Costs by environment, invoice view (unblended), USD\n\n| month |")
    assert "--format" not in costs("--help")[1]  # hidden: the help shows -o
