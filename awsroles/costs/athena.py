"""Costs from a CUR 2.0 table in Amazon Athena, for a CUR that does not fit one machine.

The same SQL as the DuckDB reader (:mod:`awsroles.costs.cur_sql`), run by Athena; the query is
stopped when it scans more than a given number of bytes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import AwsrolesError, UsageError, from_aws, is_network_error
from .cur import CurError, check_months
from .cur_commitments import commitments_query
from .cur_rows import commitment_rows, cost_lines
from .cur_schema import CUR2_COLUMNS, Source
from .cur_sql import CurSql, check_metric, quote
from .model import By, CostLine

if TYPE_CHECKING:
    from ..aws import Aws
    from .commitments import CommitmentSums


ATHENA_COLUMNS = tuple(CUR2_COLUMNS)  # a CUR 2.0 table in Athena has every CUR 2.0 column


def athena_sql(table: str, months: Sequence[str], metric: str, *, by: By | None = None,
               granularity: str = "monthly", partition: str | None = None) -> str:
    """The SQL read_athena sends: the same builder as DuckDB, over a CUR 2.0 table.

    ``partition``: the table's partition column holding ``YYYY-MM`` (``billing_period`` for a CUR 2.0
    export table), so Athena reads only the months asked for and scans fewer bytes.
    """
    check_metric(metric)
    return CurSql(_athena_source()).query(table, months, metric, by, granularity, partition)


def _athena_source() -> Source:
    types = {name: "VARCHAR" for name in CUR2_COLUMNS.values()}
    for key in ("tags", "cost_categories"):  # map<string, string> in a CUR 2.0 table
        types[CUR2_COLUMNS[key]] = "MAP(VARCHAR, VARCHAR)"
    return Source("cur2", dict(CUR2_COLUMNS), text=False, types=types, dialect="athena")


def athena_commitments_sql(table: str, months: Sequence[str], *, granularity: str = "monthly",
                           partition: str | None = None) -> str:
    """The Savings Plans and Reserved Instance sums, as Athena runs them over a CUR 2.0 table."""
    return commitments_query(CurSql(_athena_source()), table, months, granularity, partition)


def read_athena(aws: Aws, database: str, table: str, workgroup: str, output_location: str,
                months: Sequence[str], metric: str, max_bytes: int, *, by: By | None = None,
                granularity: str = "monthly", partition: str | None = None, poll: float = 1.0) -> list[CostLine]:
    """The same aggregation run in Athena over a CUR 2.0 table; stops the query past ``max_bytes`` scanned."""
    sql = athena_sql(f"{quote(database)}.{quote(table)}", months, metric, by=by, granularity=granularity,
                     partition=partition)
    rows = _run_athena(aws, sql, database, workgroup, output_location, max_bytes, poll)
    if rows and rows[0][:2] == ["month", "account_id"]:
        rows = rows[1:]  # Athena's first row repeats the column names
    lines = cost_lines((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7].lower() == "true") for r in rows)
    check_months(lines, months, f"Athena table {database}.{table}", "AWS ")
    return lines


def read_athena_commitments(aws: Aws, database: str, table: str, workgroup: str, output_location: str,
                            months: Sequence[str], max_bytes: int, *, granularity: str = "monthly",
                            partition: str | None = None, poll: float = 1.0) -> list[CommitmentSums]:
    """:func:`read_commitments` run in Athena over a CUR 2.0 table, with the same bytes-scanned cutoff."""
    sql = athena_commitments_sql(f"{quote(database)}.{quote(table)}", months, granularity=granularity,
                                 partition=partition)
    rows = _run_athena(aws, sql, database, workgroup, output_location, max_bytes, poll)
    if rows and rows[0][:2] == ["period", "account_id"]:
        rows = rows[1:]
    return commitment_rows(rows)


def _run_athena(aws: Aws, sql: str, database: str, workgroup: str, output_location: str, max_bytes: int,
                poll: float) -> list[list[str]]:
    """Run ``sql``, stop it past ``max_bytes`` scanned, and return its rows as text."""
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
    return rows

