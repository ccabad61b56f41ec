"""Costs from the Cost and Usage Report: CUR 2.0, legacy CUR or FOCUS 1.0 exports, read with DuckDB.

``read_cur`` reads Parquet or CSV(.gz) files from a local folder (or one file) or from
``s3://bucket/prefix`` (downloaded through boto3 first; DuckDB never reaches the network), and
returns the same :class:`~awsroles.costs.model.CostLine` values the Cost Explorer source does: one
per billing month, usage account, record type (and service, with ``by_service``), in ``Decimal``.

``read_athena`` runs the same SQL in Amazon Athena, for a CUR that does not fit one machine, and
stops the query when it scans more than a given number of bytes.

The schemas and the SQL (amortization included, following AWS's Cloud Intelligence Dashboards)
are in :mod:`awsroles.costs.cur_sql`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AwsrolesError, UsageError, from_aws, is_network_error
from .cur_sql import (
    COLUMNS,
    CUR2_COLUMNS,
    CurSql,
    Schema,
    Source,
    check_metric,
    check_month,
    cost_lines,
    quote,
    schema_of,
)
from .model import CostLine

if TYPE_CHECKING:
    from ..aws import Aws


class CurError(AwsrolesError):
    """The CUR could not be read or queried (S3, DuckDB, Athena)."""



# ---------------------------------------------------------------------------------------------
# Local and S3 files, with DuckDB
# ---------------------------------------------------------------------------------------------

_SUFFIXES = (".parquet", ".csv.gz", ".csv")


def _files(path: Path) -> tuple[str, bool, bool]:
    """The DuckDB file expression for ``path``, whether it is CSV, and whether it is hive-partitioned."""
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_file():
        return str(path), not path.name.endswith(".parquet"), False
    for suffix in _SUFFIXES:
        found = next(iter(path.rglob(f"*{suffix}")), None)
        if found is not None:
            hive = any("=" in part for part in found.relative_to(path).parts[:-1])
            return str(path / "**" / f"*{suffix}"), suffix != ".parquet", hive
    raise UsageError(f"{path}: no .parquet, .csv.gz or .csv files in this folder")


def _connect(path: Path) -> tuple[Any, Source]:
    import duckdb

    pattern, csv, hive = _files(path)
    con = duckdb.connect(config={"autoload_known_extensions": False, "autoinstall_known_extensions": False})
    literal = "'" + pattern.replace("'", "''") + "'"
    if csv:
        reader = f"read_csv({literal}, union_by_name = true, all_varchar = true, header = true)"
    else:
        reader = f"read_parquet({literal}, union_by_name = true, hive_partitioning = {str(hive).lower()})"
    try:
        con.execute(f"CREATE VIEW cur AS SELECT * FROM {reader}")
        names = [row[0] for row in con.execute("DESCRIBE cur").fetchall()]
    except duckdb.Error as e:
        raise UsageError(f"{path}: cannot read: {e}") from e
    schema, columns = schema_of(names, str(path))
    partition = next((n for n in names if n.lower() == "billing_period"), None) if hive else None
    return con, Source(schema, columns, text=csv, partition=partition)


def detect(path: str | Path) -> Schema:
    """Which export a local folder or file holds: ``"cur2"``, ``"legacy"`` or ``"focus"`` (UsageError if none)."""
    con, source = _connect(Path(path))
    con.close()
    return source.schema


def read_cur(path: str | Path, months: Sequence[str], metric: str, *, by_service: bool = False,
             aws: Aws | None = None) -> list[CostLine]:
    """Cost lines per (month, account, record type[, service]) from a CUR/FOCUS export.

    ``path``: a local folder or file, or ``s3://bucket/prefix`` (needs ``aws``). ``months``: the
    ``YYYY-MM`` billing periods to keep (empty: all). ``metric``: one of ``model.METRICS``.
    """
    check_metric(metric)
    for month in months:
        check_month(month)
    text = str(path)
    if text.startswith("s3://"):
        if aws is None:
            raise UsageError(f"{text}: reading from S3 needs AWS credentials")
        with tempfile.TemporaryDirectory(prefix="awsroles-cur-") as tmp:
            _download(aws, text, Path(tmp))
            return _read_local(Path(tmp), months, metric, by_service)
    return _read_local(Path(path), months, metric, by_service)


def _read_local(path: Path, months: Sequence[str], metric: str, by_service: bool) -> list[CostLine]:
    import duckdb

    con, source = _connect(path)
    try:
        if metric.startswith("net-") and source.schema != "focus" and "net_unblended" not in source.columns:
            raise UsageError(f"{path}: --net needs {COLUMNS[source.schema]['net_unblended']}, which this "
                             "export does not have (it appears only for accounts with discounts)")
        sql = CurSql(source).query("cur", months, metric, by_service, source.partition)
        rows = con.execute(sql).fetchall()
    except duckdb.Error as e:
        raise CurError(f"{path}: query failed: {e}") from e
    finally:
        con.close()
    return cost_lines(rows)


def _download(aws: Aws, url: str, into: Path) -> None:
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise UsageError(f"{url}: expected s3://bucket/prefix")
    s3 = aws.client("s3")
    count = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key: str = obj["Key"]
                if not key.endswith(_SUFFIXES):
                    continue
                relative = key[len(prefix):].lstrip("/") or key.rsplit("/", 1)[-1]
                target = into / relative
                if into.resolve() not in target.resolve().parents:
                    continue  # a key with '..' in it: never write outside the temp folder
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(target))
                count += 1
    except Exception as e:  # botocore's ClientError and friends
        if isinstance(e, AwsrolesError):
            raise
        if is_network_error(e):  # exit 7, as everywhere
            raise from_aws(e, f"{url}: cannot read from S3") from e
        raise CurError(f"{url}: cannot read from S3: {e}") from e
    if count == 0:
        raise UsageError(f"{url}: no .parquet, .csv.gz or .csv objects under this prefix")

# ---------------------------------------------------------------------------------------------
# Athena
# ---------------------------------------------------------------------------------------------

ATHENA_COLUMNS = tuple(CUR2_COLUMNS)  # a CUR 2.0 table in Athena has every CUR 2.0 column


def athena_sql(table: str, months: Sequence[str], metric: str, *, by_service: bool = False,
               partition: str | None = None) -> str:
    """The SQL read_athena sends: the same builder as DuckDB, over a CUR 2.0 table.

    ``partition``: the table's partition column holding ``YYYY-MM`` (``billing_period`` for a CUR 2.0
    export table), so Athena reads only the months asked for and scans fewer bytes.
    """
    check_metric(metric)
    source = Source("cur2", dict(CUR2_COLUMNS), text=False)
    return CurSql(source).query(table, months, metric, by_service, partition)


def read_athena(aws: Aws, database: str, table: str, workgroup: str, output_location: str,
                months: Sequence[str], metric: str, max_bytes: int, *, by_service: bool = False,
                partition: str | None = None, poll: float = 1.0) -> list[CostLine]:
    """The same aggregation run in Athena over a CUR 2.0 table; stops the query past ``max_bytes`` scanned."""
    sql = athena_sql(f"{quote(database)}.{quote(table)}", months, metric, by_service=by_service, partition=partition)
    athena = aws.client("athena")
    try:
        started = athena.start_query_execution(
            QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=workgroup,
            ResultConfiguration={"OutputLocation": output_location})
        qid = started["QueryExecutionId"]
        while True:
            execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
            state = execution["Status"]["State"]
            if scanned > max_bytes:
                if state in ("QUEUED", "RUNNING"):
                    athena.stop_query_execution(QueryExecutionId=qid)
                raise UsageError(f"Athena query {qid} scanned {scanned} bytes, over the cutoff of {max_bytes}: "
                                 "stopped; narrow the months or raise the cutoff")
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                reason = execution["Status"].get("StateChangeReason", "")
                raise CurError(f"Athena query {qid} {state.lower()}: {reason}")
            time.sleep(poll)
        rows: list[list[str]] = []
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
            for row in page["ResultSet"]["Rows"]:
                rows.append([d.get("VarCharValue", "") for d in row["Data"]])
    except AwsrolesError:
        raise
    except Exception as e:
        if is_network_error(e):  # exit 7, as everywhere
            raise from_aws(e, "Athena") from e
        raise CurError(f"Athena: {e}") from e
    if rows and rows[0][:2] == ["month", "account_id"]:
        rows = rows[1:]  # Athena's first row repeats the column names
    return cost_lines((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7].lower() == "true") for r in rows)

