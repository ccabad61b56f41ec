"""The CUR side of the views, on exports written here: tags and cost categories as CUR 2.0 (maps in
Parquet, JSON in CSV), legacy CUR (a column each) and FOCUS (Tags, x_CostCategories) hold them; days;
blended cost; and the Savings Plans and Reserved Instance figures from the CUR's own columns, each
checked against values computed by hand from the rows below."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from moto import mock_aws

from awsroles.costs.athena import athena_commitments_sql, athena_sql
from awsroles.costs.commitments import from_cur
from awsroles.costs.cur import _Local, read_commitments, read_cur
from awsroles.costs.cur_commitments import commitments_query
from awsroles.costs.cur_sql import CurSql, snake
from awsroles.costs.model import AccountInfo, By, CostLine
from awsroles.errors import ExitCode, UsageError

D = Decimal
DEV, PROD, OPS = "222222222222", "444444444444", "111111111111"
SP = f"arn:aws:savingsplans::{OPS}:savingsplan/0a1b2c3d"
RI = f"arn:aws:ec2:us-east-1:{PROD}:reserved-instances/ri-1"


def copy(folder: Path, select: str, fmt: str = "parquet") -> Path:
    """``select`` (DuckDB SQL) written as one Parquet or CSV file under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ("part-0.parquet" if fmt == "parquet" else "part-0.csv")
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
    duckdb.connect().execute(f"COPY ({select}) TO '{target}' ({options})")
    return folder


def groups(lines: list[CostLine]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in lines:
        out[line.group] = out.get(line.group, D(0)) + line.amount
    return out


CUR2_TAGGED = f"""
SELECT * FROM (VALUES
  (TIMESTAMP '2026-10-01', 'inv', '{DEV}', 'Usage', 'AmazonEC2', 'USD', 10.25, 11.0, TIMESTAMP '2026-10-03 05:00:00',
   MAP {{'user_team': 'backend', 'user_cost_center': 'cc-1'}}, MAP {{'CostCenter': 'engineering'}}),
  (TIMESTAMP '2026-10-01', 'inv', '{DEV}', 'Usage', 'AmazonS3', 'USD', 5.5, 5.0, TIMESTAMP '2026-10-04 00:00:00',
   MAP {{'user_team': 'platform'}}, MAP {{'CostCenter': 'engineering'}}),
  (TIMESTAMP '2026-10-01', 'inv', '{PROD}', 'Usage', 'AmazonRDS', 'USD', 20.0, 19.0, TIMESTAMP '2026-10-04 00:00:00',
   MAP {{'user_team': 'backend'}}, MAP {{'cost_center': 'product'}}),
  (TIMESTAMP '2026-10-01', 'inv', '{PROD}', 'Tax', 'AmazonRDS', 'USD', 1.6, 1.6, TIMESTAMP '2026-10-01 00:00:00',
   MAP {{}}::MAP(VARCHAR, VARCHAR), MAP {{}}::MAP(VARCHAR, VARCHAR))
) t(bill_billing_period_start_date, bill_invoice_id, line_item_usage_account_id, line_item_line_item_type,
    line_item_product_code, line_item_currency_code, line_item_unblended_cost, line_item_blended_cost,
    line_item_usage_start_date, resource_tags, cost_category)"""


def test_cur2_tags_and_cost_categories_from_the_map_columns(tmp_path: Path) -> None:
    folder = copy(tmp_path, CUR2_TAGGED)
    assert groups(read_cur(folder, ["2026-10"], "unblended", by=By("tag", "team"))) == {
        "backend": D("30.25"), "platform": D("5.5"), "(untagged)": D("1.6")}
    # tag keys in snake case, as AWS writes them in the map: cost-center -> user_cost_center
    assert groups(read_cur(folder, ["2026-10"], "unblended", by=By("tag", "cost-center"))) == {
        "cc-1": D("10.25"), "(untagged)": D("27.1")}
    # a cost category by its name, or in snake case
    assert groups(read_cur(folder, ["2026-10"], "unblended", by=By("category", "CostCenter"))) == {
        "engineering": D("15.75"), "product": D("20"), "(uncategorized)": D("1.6")}


def test_a_cur2_csv_export_holds_its_maps_as_json(tmp_path: Path) -> None:
    select = f"""SELECT '2026-10-01 00:00:00' AS bill_billing_period_start_date, 'inv' AS bill_invoice_id,
        '{DEV}' AS line_item_usage_account_id, 'Usage' AS line_item_line_item_type,
        'AmazonEC2' AS line_item_product_code,
        '3.5' AS line_item_unblended_cost, '{{"user_team": "backend"}}' AS resource_tags,
        '{{"CostCenter": "engineering"}}' AS cost_category"""
    folder = copy(tmp_path, select, fmt="csv")
    assert groups(read_cur(folder, [], "unblended", by=By("tag", "team"))) == {"backend": D("3.5")}
    assert groups(read_cur(folder, [], "unblended", by=By("category", "CostCenter"))) == {"engineering": D("3.5")}


@pytest.mark.parametrize(("fmt", "tag", "category"), [
    ("csv", "resourceTags/user:team", "costCategory/CostCenter"),
    ("parquet", "resource_tags_user_team", "cost_category_cost_center")])
def test_legacy_cur_has_a_column_per_tag_and_category(tmp_path: Path, fmt: str, tag: str, category: str) -> None:
    names = ("bill/BillingPeriodStartDate", "lineItem/UsageAccountId", "lineItem/LineItemType",
             "lineItem/UnblendedCost", tag, category) if fmt == "csv" else (
        "bill_billing_period_start_date", "line_item_usage_account_id", "line_item_line_item_type",
        "line_item_unblended_cost", tag, category)
    rows = [("2026-10-01 00:00:00", DEV, "Usage", 4.0, "backend", "engineering"),
            ("2026-10-01 00:00:00", DEV, "Usage", 1.5, "", "")]
    values = ", ".join(f"('{a}', '{b}', '{c}', {d}, '{e}', '{f}')" for a, b, c, d, e, f in rows)
    select = f"SELECT * FROM (VALUES {values}) t({', '.join(chr(34) + n + chr(34) for n in names)})"
    folder = copy(tmp_path, select, fmt=fmt)
    assert groups(read_cur(folder, [], "unblended", by=By("tag", "team"))) == {"backend": D(4), "(untagged)": D("1.5")}
    assert groups(read_cur(folder, [], "unblended", by=By("category", "CostCenter"))) == {
        "engineering": D(4), "(uncategorized)": D("1.5")}
    warnings: list[str] = []
    lines = read_cur(folder, [], "unblended", by=By("tag", "owner"), warn=warnings.append)
    assert groups(lines) == {"(untagged)": D("5.5")}
    assert warnings == [f"awsroles: warning: {folder} has no column for the tag 'owner': every line is (untagged) "
                        "(a tag appears once activated as a cost allocation tag)"]


def test_focus_tags_and_cost_categories_are_json(tmp_path: Path) -> None:
    select = f"""SELECT * FROM (VALUES
        ('2026-10-01 00:00:00', '{DEV}', 'Usage', 2.0, 2.0, 'Amazon EC2', 'USD', '{{"team": "backend"}}',
         '{{"CostCenter": "engineering"}}', '2026-10-02 00:00:00'),
        ('2026-10-01 00:00:00', '{DEV}', 'Usage', 1.0, 1.0, 'Amazon S3', 'USD', '{{"user:team": "platform"}}',
         '{{}}', '2026-10-09 00:00:00')
        ) t(BillingPeriodStart, SubAccountId, ChargeCategory, BilledCost, EffectiveCost, ServiceName,
            BillingCurrency, Tags, x_CostCategories, ChargePeriodStart)"""
    folder = copy(tmp_path, select)
    assert groups(read_cur(folder, [], "unblended", by=By("tag", "team"))) == {"backend": D(2), "platform": D(1)}
    assert groups(read_cur(folder, [], "unblended", by=By("category", "CostCenter"))) == {
        "engineering": D(2), "(uncategorized)": D(1)}
    assert groups(read_cur(folder, [], "unblended", by=By("service"))) == {"Amazon EC2": D(2), "Amazon S3": D(1)}
    days = read_cur(folder, ["2026-10"], "amortized", granularity="daily")
    assert [(x.month, x.amount) for x in days] == [("2026-10-02", D(2)), ("2026-10-09", D(1))]
    with pytest.raises(UsageError, match="a FOCUS export has no blended cost") as caught:
        read_cur(folder, [], "blended")
    assert caught.value.exit_code == ExitCode.USAGE
    with pytest.raises(UsageError, match="--commitments reads the CUR's Savings Plans"):
        read_commitments(folder, [])


def test_days_come_from_the_usage_start_and_blended_from_its_column(tmp_path: Path) -> None:
    folder = copy(tmp_path, CUR2_TAGGED)
    lines = read_cur(folder, ["2026-10"], "blended", granularity="daily")
    assert sorted((x.month, x.account_id, x.amount) for x in lines) == [
        ("2026-10-01", PROD, D("1.6")), ("2026-10-03", DEV, D("11")), ("2026-10-04", DEV, D("5")),
        ("2026-10-04", PROD, D("19"))]
    missing = copy(tmp_path / "no-blended", CUR2_TAGGED.replace("line_item_blended_cost", "other_cost"))
    with pytest.raises(UsageError, match="--metric blended needs line_item_blended_cost"):
        read_cur(missing, [], "blended")


def test_a_month_of_days_is_a_month_the_export_holds(tmp_path: Path) -> None:
    folder = copy(tmp_path, CUR2_TAGGED)
    with pytest.raises(UsageError, match="no AWS line items for 2026-11"):
        read_cur(folder, ["2026-10", "2026-11"], "unblended", granularity="daily")


def test_services_by_name_else_service_code_else_product_code(tmp_path: Path) -> None:
    select = f"""SELECT * FROM (VALUES
        (TIMESTAMP '2026-10-01', '{DEV}', 'Usage', 'AmazonEC2', 'AWSDataTransfer', 1.5),
        (TIMESTAMP '2026-10-01', '{DEV}', 'Usage', 'AmazonEC2', NULL, 2.5)
        ) t(bill_billing_period_start_date, line_item_usage_account_id, line_item_line_item_type,
            line_item_product_code, product_servicecode, line_item_unblended_cost)"""
    folder = copy(tmp_path, select)
    assert groups(read_cur(folder, [], "unblended", by=By("service"))) == {"AWSDataTransfer": D("1.5"),
                                                                          "AmazonEC2": D("2.5")}


def test_snake_case_as_aws_writes_tag_keys() -> None:
    assert [snake(k) for k in ("CostCenter", "cost-center", "karpenter.sh/nodepool", "Team")] == [
        "cost_center", "cost_center", "karpenter_sh_nodepool", "team"]


def test_athena_reads_tags_with_element_at() -> None:
    sql = athena_sql('"cur"."cur2"', ["2026-10"], "unblended", by=By("tag", "team"))
    assert "element_at(\"resource_tags\", 'user_team')" in sql and "map_extract" not in sql
    daily = athena_commitments_sql('"cur"."cur2"', ["2026-10"], granularity="daily")
    assert "split_part" in daily and "CAST(\"line_item_usage_start_date\" AS DATE)" in daily


# -- Savings Plans and Reserved Instances from the CUR --------------------------------------------

COMMITMENT_COLUMNS = ("bill_billing_period_start_date", "bill_invoice_id", "line_item_usage_account_id",
                      "line_item_line_item_type", "line_item_product_code", "line_item_usage_type",
                      "line_item_operation", "line_item_usage_amount", "line_item_unblended_cost",
                      "pricing_public_on_demand_cost", "savings_plan_savings_plan_a_r_n",
                      "savings_plan_savings_plan_effective_cost", "savings_plan_total_commitment_to_date",
                      "savings_plan_used_commitment", "reservation_reservation_a_r_n", "reservation_effective_cost",
                      "reservation_amortized_upfront_fee_for_billing_period", "reservation_total_reserved_units",
                      "reservation_unused_quantity", "line_item_usage_start_date", "product_servicecode")


def row(account: str, line_type: str, *, product: str = "AmazonEC2", usage_type: str = "USE1-BoxUsage:m5.large",
        operation: str = "RunInstances", hours: float = 0.0, unblended: float = 0.0, public: float = 0.0,
        sp_arn: str = "", sp_effective: float = 0.0, commitment: float = 0.0, used: float = 0.0, ri_arn: str = "",
        ri_effective: float = 0.0, upfront: float = 0.0, reserved: float = 0.0, unused: float = 0.0,
        day: str = "2026-10-01", service_code: str = "") -> tuple[Any, ...]:
    return ("2026-10-01 00:00:00", "inv-1", account, line_type, product, usage_type, operation, hours, unblended,
            public, sp_arn, sp_effective, commitment, used, ri_arn, ri_effective, upfront, reserved, unused,
            f"{day} 00:00:00", service_code or product)


ROWS = [
    # prod: 600 of EC2 covered by the payer's Savings Plan (effective 432), 250 hours under its own reservation,
    # on demand: 300 of EC2 (3000 hours) and 50 of Lambda duration, all Savings Plans eligible
    row(PROD, "SavingsPlanCoveredUsage", hours=6000, unblended=600, public=600, sp_arn=SP, sp_effective=432),
    row(PROD, "SavingsPlanNegation", unblended=-600, sp_arn=SP),
    row(PROD, "DiscountedUsage", hours=250, public=25, ri_arn=RI, ri_effective=15, day="2026-10-02"),
    row(PROD, "Usage", hours=3000, unblended=300, public=300, day="2026-10-02"),
    row(PROD, "Usage", product="AWSLambda", usage_type="USE1-Lambda-GB-Second", operation="Invoke", unblended=50),
    # not eligible: Spot, data transfer, EBS
    row(PROD, "Usage", usage_type="USE1-SpotUsage:m5.large", hours=100, unblended=3),
    row(PROD, "Usage", usage_type="USE1-DataTransfer-Out-Bytes", operation="RunInstances", unblended=7,
        service_code="AWSDataTransfer"),
    row(PROD, "Usage", usage_type="USE1-EBS:VolumeUsage.gp3", operation="CreateVolume-Gp3", unblended=11),
    # prod's reservation: 300 hours bought, 50 unused; 4.5 recurring + 13.5 upfront amortized for the month
    row(PROD, "RIFee", usage_type="USE1-HeavyUsage:m5.large", unblended=4.5, ri_arn=RI, upfront=13.5, reserved=300,
        unused=50),
    # an RDS reservation: Cost Explorer's reservation reports count EC2's unless asked, and so does awsroles
    row(PROD, "RIFee", product="AmazonRDS", usage_type="USE1-HeavyUsage:db.r5.large", unblended=99, reserved=720,
        unused=720, ri_arn=RI.replace("ec2", "rds")),
    row(PROD, "DiscountedUsage", product="AmazonRDS", usage_type="USE1-InstanceUsage:db.r5.large", hours=10,
        public=5, ri_arn=RI.replace("ec2", "rds")),
    # the payer's Savings Plan: a commitment of 500, of which 432 used
    row(OPS, "SavingsPlanRecurringFee", product="ComputeSavingsPlans", usage_type="ComputeSP:1yrNoUpfront",
        operation="", unblended=500, sp_arn=SP, commitment=500, used=432),
    # dev: on demand only, eligible Fargate
    row(DEV, "Usage", product="AmazonECS", usage_type="USE1-Fargate-vCPU-Hours:perCPU", operation="FargateTask",
        unblended=40, day="2026-10-02"),
]
ACCOUNTS = {a: AccountInfo(a, n, e) for a, n, e in ((DEV, "dev", "dev"), (PROD, "prod", "prod"), (OPS, "ops", None))}


def write_commitments(folder: Path, fmt: str = "parquet", rows: Sequence[tuple[Any, ...]] = ROWS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    types = ["VARCHAR" if isinstance(v, str) else "DOUBLE" for v in rows[0]]
    columns = ", ".join(f"{c} {t}" for c, t in zip(COMMITMENT_COLUMNS, types, strict=True))
    con.execute(f"CREATE TABLE t ({columns})")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in COMMITMENT_COLUMNS)})", [list(r) for r in rows])
    target = folder / ("part-0.parquet" if fmt == "parquet" else "part-0.csv")
    con.execute(f"COPY t TO '{target}' ({'FORMAT parquet' if fmt == 'parquet' else 'FORMAT csv, HEADER'})")
    return folder


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_coverage_utilization_and_savings_from_the_curs_columns(tmp_path: Path, fmt: str) -> None:
    sums = read_commitments(write_commitments(tmp_path, fmt), ["2026-10"])
    items = {(c.environment, c.kind): c for c in from_cur(sums, ACCOUNTS, ["2026-10"], ["dev", "prod", "(shared)"])}
    prod_sp = items[("prod", "Savings Plans")]
    # covered 600 against eligible on demand 300 (EC2 RunInstances) + 50 (Lambda): 600 / 950
    assert (prod_sp.covered, prod_sp.not_covered, prod_sp.coverage) == (D(600), D(350), D("63.2"))
    prod_ri = items[("prod", "Reserved Instances")]
    # 250 reserved hours against 3000 on demand (Spot is not counted); prod owns the reservation:
    # 250 of its 300 hours used, worth 25 on demand, for 4.5 + 13.5 = 18
    assert (prod_ri.covered, prod_ri.not_covered, prod_ri.coverage) == (D(250), D(3000), D("7.7"))
    assert (prod_ri.utilization, prod_ri.on_demand_equivalent, prod_ri.cost, prod_ri.savings) == (
        D("83.3"), D(25), D(18), D(7))
    shared_sp = items[("(shared)", "Savings Plans")]
    # the payer owns the Savings Plan: 432 of 500 used; it covered 600 of on-demand usage
    assert (shared_sp.utilization, shared_sp.on_demand_equivalent, shared_sp.cost, shared_sp.savings) == (
        D("86.4"), D(600), D(500), D(100))
    assert shared_sp.coverage is None  # the payer ran nothing a Savings Plan could cover
    assert items[("dev", "Savings Plans")].coverage == D("0.0")  # 40 of Fargate, on demand
    assert items[("dev", "Reserved Instances")].empty


def test_a_usage_amount_too_large_for_the_fast_sums_gives_the_same_figures(tmp_path: Path) -> None:
    """Lambda's GB-seconds run to billions in one line. Each line is summed first as a 64-bit count of
    10^-10 units (faster), which 3e9 overflows; the reader then sums it wide: the same figures."""
    big = [(*r[:7], 3e9, *r[8:]) if r[5] == "USE1-Lambda-GB-Second" else r for r in ROWS]
    assert big != ROWS
    large = write_commitments(tmp_path / "large", rows=big)
    local = _Local(large)
    try:
        asked: list[bool] = []

        def sql(table: str, narrow: bool = False) -> str:
            asked.append(narrow)
            return commitments_query(CurSql(local.source, narrow=narrow), table, ["2026-10"])

        with pytest.raises(duckdb.ConversionException):  # the fast query alone refuses it, never wraps
            local.con.execute(sql("cur", True)).fetchall()
        asked.clear()
        assert local.run(sql) and asked == [True, False]  # fast, then wide
    finally:
        local.close()
    normal = read_commitments(write_commitments(tmp_path / "normal"), ["2026-10"])
    assert read_commitments(large, ["2026-10"]) == normal and normal


def test_commitments_per_day(tmp_path: Path) -> None:
    sums = read_commitments(write_commitments(tmp_path), ["2026-10"], granularity="daily")
    days = from_cur(sums, ACCOUNTS, ["2026-10-01", "2026-10-02"], ["dev", "prod"])
    covered = {(c.month, c.environment, c.kind): c.covered for c in days}
    assert covered[("2026-10-01", "prod", "Reserved Instances")] == 0
    assert covered[("2026-10-02", "prod", "Reserved Instances")] == D(250)
    assert covered[("2026-10-01", "prod", "Savings Plans")] == D(600)
    not_covered = {(c.month, c.environment, c.kind): c.not_covered for c in days}
    assert not_covered[("2026-10-02", "dev", "Savings Plans")] == D(40)


AWKWARD_MAPS = f"""
SELECT * FROM (VALUES
  ('{DEV}', 1.0, MAP {{'user_team': 'backend', 'user_other': 'x'}}),
  ('{DEV}', 2.0, MAP {{'user_other': 'x', 'user_team': 'platform'}}),
  ('{DEV}', 4.0, MAP {{'user_Team': 'wrong case'}}),
  ('{DEV}', 8.0, MAP {{'user_team': ''}}),
  ('{DEV}', 16.0, MAP {{'user_team': NULL::VARCHAR}}),
  ('{DEV}', 32.0, MAP {{}}::MAP(VARCHAR, VARCHAR)),
  ('{PROD}', 64.0, NULL::MAP(VARCHAR, VARCHAR))
) t(line_item_usage_account_id, line_item_unblended_cost, resource_tags)"""


def test_a_map_lookup_is_the_value_map_extract_value_gives(tmp_path: Path) -> None:
    """A tag's value is read from the map as the value at its key's position (cheaper than
    map_extract_value): the same value, wherever the key is, and NULL (untagged) for a key of another
    case, a NULL value, an empty map and a NULL map, as DuckDB's own map_extract_value gives."""
    folder = copy(tmp_path, AWKWARD_MAPS.replace("SELECT * FROM", "SELECT TIMESTAMP '2026-10-01' AS "
                                                 "bill_billing_period_start_date, 'inv' AS bill_invoice_id, 'Usage' AS "
                                                 "line_item_line_item_type, 'USD' AS line_item_currency_code, * FROM"))
    local = _Local(folder)
    try:
        lookup = CurSql(local.source).group_value(By("tag", "team"))
        assert lookup is not None and "list_position(map_keys(" in lookup
        ours = local.con.execute(f"SELECT line_item_unblended_cost, {lookup} FROM cur ORDER BY 1").fetchall()
        duckdbs = local.con.execute("SELECT line_item_unblended_cost, map_extract_value(resource_tags, 'user_team') "
                                    "FROM cur ORDER BY 1").fetchall()
        assert ours == duckdbs == [(1.0, "backend"), (2.0, "platform"), (4.0, None), (8.0, ""), (16.0, None),
                                   (32.0, None), (64.0, None)]
    finally:
        local.close()
    assert groups(read_cur(folder, ["2026-10"], "unblended", by=By("tag", "team"))) == {
        "backend": D(1), "platform": D(2), "(untagged)": D(124)}


def test_an_s3_export_is_downloaded_once_for_the_costs_and_the_commitments(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.aws import Aws, AwsSettings
    from awsroles.costs import cur

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    local = write_commitments(tmp_path / "local")
    downloads: list[str] = []
    real = cur._download
    monkeypatch.setattr(cur, "_download", lambda aws, url, into: (downloads.append(url), real(aws, url, into))[1])
    with mock_aws():
        aws = Aws(AwsSettings(region="us-east-1"))
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="cur")
        s3.put_object(Bucket="cur", Key="cur2/data/BILLING_PERIOD=2026-10/part-0.parquet",
                      Body=(local / "part-0.parquet").read_bytes())
        lines, sums = cur.read_export("s3://cur/cur2", ["2026-10"], "unblended", aws=aws, commitments=True)
    assert downloads == ["s3://cur/cur2"]
    assert sum(x.amount for x in lines) == D(sum(r[8] for r in ROWS))  # every line item's unblended cost
    assert sums is not None and sum(x.sp_commitment for x in sums) == D(500)
