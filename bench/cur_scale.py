"""Benchmark: the per-environment cost report from a large CUR 2.0 export (run on demand).

    python bench/cur_scale.py [--rows 20000000] [--accounts 40] [--write-docs] [--no-pandas]

Generates (once, cached under /tmp) a synthetic CUR 2.0 Parquet month with DuckDB itself: line
items over 40 accounts, resource tags and a cost category (map columns, as CUR 2.0 has them), and
a realistic line item type mix (Savings Plans and Reserved Instance rows included, with the
columns coverage and utilization read). Then, each in a fresh child process so its peak memory
(ru_maxrss) is its own, best of 3:

- awsroles, each view ``awsroles costs --source cur`` has: ``read_cur`` (amortized, exact Decimal)
  and the report per environment (``build_report``), plain, ``--by account``, ``--by service``,
  ``--by tag:team``, ``--by category:CostCenter``, ``--granularity daily`` and ``--metric
  blended``; and ``--commitments`` (``read_commitments`` and the Savings Plans and Reserved
  Instance figures per environment);
- plain pandas (+ pyarrow) doing the plain aggregation (float64), run with the Python of
  ``--pandas-python`` (default: a throwaway venv in /tmp/cur-bench-pandas, created if missing;
  pandas is not a project dependency).

Target: under 2 s and under 1 GB peak memory on 2 cores, for every view.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.docs import write_section  # noqa: E402

ENVIRONMENTS = ("prod", "stage", "dev", "qa", "data", "shared", "sandbox")
TYPES_SQL = """CASE
    WHEN i % 100 < 78 THEN 'Usage'
    WHEN i % 100 < 86 THEN 'SavingsPlanCoveredUsage'
    WHEN i % 100 < 93 THEN 'SavingsPlanNegation'
    WHEN i % 100 < 97 THEN 'DiscountedUsage'
    WHEN i % 100 = 97 THEN 'Tax'
    WHEN i % 100 = 98 THEN 'Credit'
    ELSE ['Fee', 'RIFee', 'SavingsPlanRecurringFee', 'Refund'][1 + (i // 100) % 4] END"""


SCHEMA = "v2"  # the generated columns: a new version is generated anew, not read from the cache
VARIANTS = {  # label -> (by, granularity, metric, commitments)
    "per environment": (None, "monthly", "amortized", False),
    "`--by account`": ("account", "monthly", "amortized", False),
    "`--by service`": ("service", "monthly", "amortized", False),
    "`--by tag:team`": ("tag:team", "monthly", "amortized", False),
    "`--by category:CostCenter`": ("category:CostCenter", "monthly", "amortized", False),
    "`--granularity daily`": (None, "daily", "amortized", False),
    "`--metric blended`": (None, "monthly", "blended", False),
    "`--commitments`": (None, "monthly", "amortized", True),
}


def generate(path: Path, rows: int, accounts: int) -> None:
    """One CUR 2.0 month as Parquet, written by DuckDB from range()."""
    import duckdb

    envs = "[" + ", ".join(f"'{e}'" for e in ENVIRONMENTS) + "]"
    sql = f"""
    COPY (
      SELECT
        'inv-2026-10' AS bill_invoice_id,
        '100000000000' AS bill_payer_account_id,
        TIMESTAMP '2026-10-01 00:00:00' AS bill_billing_period_start_date,
        TIMESTAMP '2026-11-01 00:00:00' AS bill_billing_period_end_date,
        CAST(200000000000 + i % {accounts} AS VARCHAR) AS line_item_usage_account_id,
        t AS line_item_line_item_type,
        TIMESTAMP '2026-10-01 00:00:00' + INTERVAL 1 HOUR * (i % 744) AS line_item_usage_start_date,
        ['AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda', 'AmazonCloudWatch'][1 + (i // 7) % 5]
          AS line_item_product_code,
        CASE WHEN (i // 7) % 5 = 3 THEN 'USE1-Lambda-GB-Second'
             WHEN (i // 7) % 5 = 0 OR t IN ('SavingsPlanCoveredUsage', 'DiscountedUsage', 'RIFee')
             THEN 'USE1-BoxUsage:m5.large' ELSE 'USE1-TimedStorage-ByteHrs' END AS line_item_usage_type,
        CASE WHEN (i // 7) % 5 = 0 THEN 'RunInstances' ELSE 'Invoke' END AS line_item_operation,
        ['AmazonEC2', 'AmazonS3', 'AmazonRDS', 'AWSLambda', 'AmazonCloudWatch'][1 + (i // 7) % 5]
          AS product_servicecode,
        1.0::DOUBLE AS line_item_usage_amount,
        'arn:aws:ec2:eu-west-1:' || CAST(200000000000 + i % {accounts} AS VARCHAR) || ':instance/i-'
          || lpad(CAST(hash(i) % 500000 AS VARCHAR), 8, '0') AS line_item_resource_id,
        'USD' AS line_item_currency_code,
        CAST((hash(i) % 10000000) / 1e6 AS DOUBLE) AS line_item_unblended_cost,
        CAST((hash(i) % 10000000) / 1.1e6 AS DOUBLE) AS line_item_net_unblended_cost,
        CAST((hash(i) % 10000000) / 1.05e6 AS DOUBLE) AS line_item_blended_cost,
        CAST((hash(i) % 10000000) / 1e6 AS DOUBLE) AS pricing_public_on_demand_cost,
        CASE WHEN t IN ('SavingsPlanCoveredUsage', 'SavingsPlanNegation', 'SavingsPlanRecurringFee')
          THEN 'arn:aws:savingsplans::100000000000:savingsplan/sp-' || CAST(i % 5 AS VARCHAR) ELSE '' END
          AS savings_plan_savings_plan_a_r_n,
        CASE WHEN t = 'SavingsPlanCoveredUsage' THEN CAST((hash(i) % 10000000) / 1.4e6 AS DOUBLE) ELSE 0.0::DOUBLE END
          AS savings_plan_savings_plan_effective_cost,
        CASE WHEN t = 'SavingsPlanRecurringFee' THEN 3.5::DOUBLE ELSE 0.0::DOUBLE END
          AS savings_plan_total_commitment_to_date,
        CASE WHEN t = 'SavingsPlanRecurringFee' THEN 3.1::DOUBLE ELSE 0.0::DOUBLE END AS savings_plan_used_commitment,
        CASE WHEN t = 'DiscountedUsage' THEN CAST((hash(i) % 10000000) / 1.6e6 AS DOUBLE) ELSE 0.0::DOUBLE END
          AS reservation_effective_cost,
        CASE WHEN t = 'RIFee' THEN 0.25::DOUBLE ELSE 0.0::DOUBLE END
          AS reservation_unused_amortized_upfront_fee_for_billing_period,
        CASE WHEN t = 'RIFee' THEN 0.5::DOUBLE ELSE 0.0::DOUBLE END AS reservation_unused_recurring_fee,
        CASE WHEN t = 'RIFee' THEN 1.25::DOUBLE ELSE 0.0::DOUBLE END
          AS reservation_amortized_upfront_fee_for_billing_period,
        CASE WHEN t = 'RIFee' THEN 744.0::DOUBLE ELSE 0.0::DOUBLE END AS reservation_total_reserved_units,
        CASE WHEN t = 'RIFee' THEN 74.4::DOUBLE ELSE 0.0::DOUBLE END AS reservation_unused_quantity,
        CASE WHEN t IN ('DiscountedUsage', 'RIFee') OR (t = 'Fee' AND i % 2 = 0)
          THEN 'arn:aws:ec2:eu-west-1:100000000000:reserved-instances/ri-' || CAST(i % 20 AS VARCHAR)
          ELSE '' END AS reservation_reservation_a_r_n,
        MAP {{'user_environment': {envs}[1 + (i % {accounts}) % {len(ENVIRONMENTS)}],
             'user_team': 'team' || CAST(i % 13 AS VARCHAR),
             'user_cost_center': 'cc' || CAST(i % 29 AS VARCHAR)}} AS resource_tags,
        MAP {{'CostCenter': ['product', 'engineering', 'data'][1 + (i % {accounts}) % 3]}} AS cost_category
      FROM (SELECT range AS i, {TYPES_SQL} AS t FROM range({rows}))
    ) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
    """
    tmp = path.with_suffix(".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(sql.replace(f"'{path}'", f"'{tmp}'"))
    tmp.rename(path)


def environment_of(accounts: int) -> dict[str, str]:
    return {f"{200000000000 + a}": ENVIRONMENTS[a % len(ENVIRONMENTS)] for a in range(accounts)}


def child_awsroles(folder: str, accounts: int, variant: str) -> None:
    from awsroles.costs.model import AccountInfo, By

    by_text, granularity, metric, commitments = VARIANTS[variant]
    by = By.parse(by_text) if by_text else None
    envs = environment_of(accounts)
    known = {a: AccountInfo(a, a, e) for a, e in envs.items()}
    times, cpus = [], []
    for _ in range(3):
        start, cpu = time.perf_counter(), time.process_time()
        if commitments:
            from awsroles.costs.commitments import from_cur
            from awsroles.costs.cur import read_commitments

            sums = read_commitments(folder, ["2026-10"])
            figures = from_cur(sums, known, ["2026-10"], list(ENVIRONMENTS))
            count, check = len(sums), sum((f.cost for f in figures), Decimal(0))
        else:
            from awsroles.costs.cur import read_cur
            from awsroles.costs.months import periods
            from awsroles.costs.report import build_report, reconcile

            lines = read_cur(folder, ["2026-10"], metric, by=by, granularity=granularity)
            report = build_report(lines, known, periods(["2026-10"], granularity, date(2026, 11, 29)), metric,
                                  by=by, granularity=granularity)
            reconcile(report)
            count, check = len(lines), sum(report.totals.values(), Decimal(0))
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    print(f"{min(times)} {min(cpus)} {count} {check:.2f}")


PANDAS_CHILD = r"""
import sys, time
import numpy as np, pandas as pd
folder, accounts = sys.argv[1], int(sys.argv[2])
envs = {str(200000000000 + a): %(envs)r[a %% %(n)d] for a in range(accounts)}
cols = ["bill_billing_period_start_date", "line_item_usage_account_id", "line_item_line_item_type",
        "line_item_unblended_cost", "savings_plan_savings_plan_effective_cost",
        "savings_plan_total_commitment_to_date", "savings_plan_used_commitment", "reservation_effective_cost",
        "reservation_unused_amortized_upfront_fee_for_billing_period", "reservation_unused_recurring_fee",
        "reservation_reservation_a_r_n"]
times, cpus = [], []
for _ in range(3):
    start, cpu = time.perf_counter(), time.process_time()
    df = pd.read_parquet(folder, columns=cols)
    t = df["line_item_line_item_type"]
    amortized = np.select(
        [t == "SavingsPlanCoveredUsage", t == "SavingsPlanRecurringFee", t == "SavingsPlanNegation",
         t == "SavingsPlanUpfrontFee", t == "DiscountedUsage", t == "RIFee",
         (t == "Fee") & (df["reservation_reservation_a_r_n"].fillna("") != "")],
        [df["savings_plan_savings_plan_effective_cost"],
         df["savings_plan_total_commitment_to_date"] - df["savings_plan_used_commitment"], 0, 0,
         df["reservation_effective_cost"],
         df["reservation_unused_amortized_upfront_fee_for_billing_period"]
         + df["reservation_unused_recurring_fee"], 0],
        df["line_item_unblended_cost"])
    out = pd.DataFrame({"month": df["bill_billing_period_start_date"].dt.strftime("%%Y-%%m"),
                        "env": df["line_item_usage_account_id"].map(envs).fillna("(unmapped)"),
                        "type": t, "amount": amortized})
    result = out.groupby(["month", "env", "type"], observed=True)["amount"].sum()
    times.append(time.perf_counter() - start)
    cpus.append(time.process_time() - cpu)
print(f"{min(times)} {min(cpus)} {len(result)} {result.sum():.2f}")
"""


def peak(command: list[str]) -> tuple[float, float, float, str]:
    """Best time (s), best CPU time (s, user + system, all threads), peak RSS (MiB) and output of
    ``command``, run in a fresh child of /usr/bin/time.

    Not os.wait4 on our own child: Linux keeps ru_maxrss across fork + exec, so a child of this
    (large, data-generating) process would report our peak, not its own.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *command], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command[:3])} failed:\n{proc.stderr}")
        kib = int(rss.read().split()[-1])
    words = proc.stdout.split()
    return float(words[0]), float(words[1]), kib / 1024, proc.stdout.strip()


def pandas_python(given: str | None) -> str | None:
    if given:
        return given
    venv = Path("/tmp/cur-bench-pandas")
    python = venv / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run([str(python), "-m", "pip", "install", "-q", "pandas", "pyarrow"], check=True,
                           capture_output=True)
        except subprocess.CalledProcessError:
            return None
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--cache", default="/tmp/awsroles-cur-bench")
    parser.add_argument("--pandas-python", help="a Python with pandas and pyarrow (default: a venv in /tmp)")
    parser.add_argument("--no-pandas", action="store_true", help="leave the pandas comparison out")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="per environment", help=argparse.SUPPRESS)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if args.child:
        child_awsroles(args.child, args.accounts, args.variant)
        return
    folder = Path(args.cache) / f"{SCHEMA}-rows={args.rows}-accounts={args.accounts}" / "BILLING_PERIOD=2026-10"
    data = folder / "part-0.parquet"
    generated = "cached"
    if not data.exists():
        start = time.perf_counter()
        generate(data, args.rows, args.accounts)
        generated = f"generated in {time.perf_counter() - start:.1f} s"
    size = data.stat().st_size / 2**20
    print(f"{args.rows} line items, {args.accounts} accounts, {size:.0f} MiB Parquet ({generated})", flush=True)
    results = {}
    for variant in VARIANTS:
        mine = peak([sys.executable, __file__, "--child", str(folder.parent), "--accounts", str(args.accounts),
                     "--variant", variant])
        results[f"awsroles (DuckDB, Decimal): {variant}"] = mine
        print(variant, mine, flush=True)
    python = None if args.no_pandas else pandas_python(args.pandas_python)
    if python:
        envs = ENVIRONMENTS
        code = PANDAS_CHILD % {"envs": envs, "n": len(envs)}
        theirs = peak([python, "-c", code, str(folder.parent), str(args.accounts)])
        results["plain pandas + pyarrow (float64): per environment, the same aggregation"] = theirs
    table = ["| implementation, view | best of 3 | CPU time (both cores) | peak memory (RSS) | check: total |",
             "|---|---|---|---|---|"]
    for name, (seconds, cpu, mib, out) in results.items():
        table.append(f"| {name} | {seconds:.2f} s | {cpu:.2f} s | {mib:.0f} MiB | {out.split()[-1]} |")
    shape = (f"One CUR 2.0 month: {args.rows:,} line items, {args.accounts} accounts, resource tags and a cost "
             f"category, {size:.0f} MiB of Parquet (zstd); the report per month and environment (amortized, but for "
             "blended) with each view; the check is its total (for `--commitments`, the commitments' cost).")
    slowest = max(seconds for name, (seconds, _c, _m, _o) in results.items() if name.startswith("awsroles"))
    heaviest = max(mib for name, (_s, _c, mib, _o) in results.items() if name.startswith("awsroles"))
    met = "met" if slowest < 2 and heaviest < 1024 else "NOT met"
    verdict = (f"Target: every view under 2 s and under 1 GiB: {met} (slowest {slowest:.2f} s, most memory "
               f"{heaviest:.0f} MiB).")
    report = "\n".join([shape, "", *table, "", verdict])
    print(report)
    if args.write_docs:
        _write_docs(report)


def _write_docs(report: str) -> None:
    write_section("cur_scale", report)


if __name__ == "__main__":
    main()
