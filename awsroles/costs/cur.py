"""Costs from the Cost and Usage Report: CUR 2.0, legacy CUR or FOCUS 1.0 exports, read with DuckDB.

``read_cur`` reads Parquet or CSV(.gz) files from a local folder (or one file) or from
``s3://bucket/prefix`` (downloaded first; DuckDB never reaches the network), and
returns the same :class:`~awsroles.costs.model.CostLine` values the Cost Explorer source does: one
per billing month (or day), usage account, record type (and group, with ``by``), in ``Decimal``.
``read_commitments`` sums the same export's Savings Plans and Reserved Instance columns.

:mod:`awsroles.costs.athena` runs the same SQL in Amazon Athena, for a CUR that does not fit one
machine.

The schemas and the SQL (amortization included, following AWS's Cloud Intelligence Dashboards)
are in :mod:`awsroles.costs.cur_sql`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AwsrolesError, UsageError, from_aws, is_network_error
from .cur_commitments import commitments_query
from .cur_rows import commitment_rows, cost_lines
from .cur_schema import COLUMNS, Schema, Source, schema_of
from .cur_sql import CurSql, check_metric, check_month
from .model import By, CostLine, is_aws

if TYPE_CHECKING:
    from .commitments import CommitmentSums

if TYPE_CHECKING:
    from ..aws import Aws


class CurError(AwsrolesError):
    """The CUR could not be read or queried (S3, DuckDB, Athena)."""



# ---------------------------------------------------------------------------------------------
# Local and S3 files, with DuckDB
# ---------------------------------------------------------------------------------------------

_SUFFIXES = (".parquet", ".csv.gz", ".csv")
PROVIDERS_HELP = "all, aws, or a provider as the FOCUS export names it (ProviderName: Microsoft, Oracle...)"


def _files(path: Path) -> tuple[str, bool, bool, list[Path]]:
    """The DuckDB file expression for ``path``, whether it is CSV, whether it is hive-partitioned, and the files."""
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_file():
        return str(path), not path.name.endswith(".parquet"), False, [path]
    for suffix in _SUFFIXES:
        found = sorted(p for p in path.rglob(f"*{suffix}") if p.is_file())
        if found:
            hive = any("=" in part for part in found[0].relative_to(path).parts[:-1])
            return str(path / "**" / f"*{suffix}"), suffix != ".parquet", hive, found
    raise UsageError(f"{path}: no .parquet, .csv.gz or .csv files in this folder")


def _reader(pattern: str, csv: bool, hive: bool) -> str:
    literal = "'" + pattern.replace("'", "''") + "'"
    if csv:
        return f"read_csv({literal}, union_by_name = true, all_varchar = true, header = true)"
    return f"read_parquet({literal}, union_by_name = true, hive_partitioning = {str(hive).lower()})"


class _Local:
    """A local export opened in DuckDB (the view ``cur``), and how to name its files in messages."""

    def __init__(self, path: Path, label: str | None = None) -> None:
        import duckdb

        self.path, self.label = path, label or str(path)
        pattern, self.csv, hive, self.files = _files(path)
        self.con = duckdb.connect(config={"autoload_known_extensions": False,
                                          "autoinstall_known_extensions": False})
        self.con.execute("SET enable_progress_bar = false")  # a long query draws no progress bar on stderr
        try:
            self.con.execute(f"CREATE VIEW cur AS SELECT * FROM {_reader(pattern, self.csv, hive)}")
            described = self.con.execute("DESCRIBE cur").fetchall()
        except duckdb.Error as e:
            self.con.close()
            raise self.unreadable(e) from e
        names = [row[0] for row in described]
        schema, columns = schema_of(names, self.label)
        partition = next((n for n in names if n.lower() == "billing_period"), None) if hive else None
        self.source = Source(schema, columns, text=self.csv, partition=partition,
                             types={str(row[0]): str(row[1]) for row in described})

    def name(self, file: Path | str) -> str:
        """A file as the user knows it: under the label (the folder given, or the s3:// prefix)."""
        file = Path(file)
        if file == self.path:
            return self.label
        try:
            return self.label.rstrip("/") + "/" + file.relative_to(self.path).as_posix()
        except ValueError:
            return str(file)

    def run(self, sql: Callable[[str, bool], str]) -> list[Any]:
        """The rows of the query ``sql("cur", narrow)``: first narrow (each line's amount a BIGINT of
        10^-10 units, faster), and, if a line does not fit (an amount of 922,337,203 or more, or a
        difference of two such: DuckDB refuses the cast or the arithmetic, it never wraps), again wide
        (HUGEINT): the same exact sums either way."""
        import duckdb

        try:
            return self.con.execute(sql("cur", True)).fetchall()
        except (duckdb.ConversionException, duckdb.OutOfRangeException):
            return self.con.execute(sql("cur", False)).fetchall()

    def unreadable(self, error: Exception, sql: Callable[[str], str] | None = None) -> AwsrolesError:
        """One line for a DuckDB error: which file (found in the message, else by reading each file
        alone, with the query ``sql(table)`` when given), and DuckDB's reason without its SQL. A file
        that cannot be read is bad input (exit 2); anything else (out of memory, a full disk) stays
        a failure (exit 1)."""
        import duckdb

        reason = _reason(error)
        if not isinstance(error, (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException,
                                  duckdb.BinderException)):
            return CurError(f"{self.label}: cannot query the export: {reason}")
        culprit = next((f for f in self.files if str(f) in str(error)), None)
        if culprit is None and len(self.files) > 1:
            culprit = self._probe(sql if isinstance(error, duckdb.ConversionException) else None)
        what = "a CSV file" if self.csv else "a Parquet file"
        if culprit is None:
            return UsageError(f"{self.label}: cannot read the export: {reason}")
        if "magic bytes" in reason or "too small" in reason:
            reason = "not a Parquet file, or a truncated one (no Parquet footer)"
        return UsageError(f"{self.name(culprit)}: cannot read {what}: {reason.replace(str(culprit), '').strip()}")

    def _probe(self, sql: Callable[[str], str] | None) -> Path | None:
        """The first file that cannot be read on its own, if any (run only after an error): read whole,
        or, with ``sql``, queried as the export was (a value that is not a number)."""
        import duckdb

        for file in self.files:
            reader = _reader(str(file), self.csv, False)
            try:
                if sql is None:
                    cursor = self.con.execute(f"SELECT * FROM {reader}")
                    while cursor.fetchmany(100_000):
                        pass
                else:
                    self.con.execute(f"CREATE OR REPLACE VIEW probe AS SELECT * FROM {reader}")
                    self.con.execute(sql("probe")).fetchall()
            except duckdb.ConversionException:
                return file
            except duckdb.Error:
                if sql is None:
                    return file  # with sql: a file without a column the others have is not the culprit
        return None

    def months(self) -> list[str]:
        """The billing months the export holds (run only to explain a missing month)."""
        month = CurSql(self.source).month()
        return [row[0] for row in self.con.execute(f"SELECT DISTINCT {month} FROM cur ORDER BY 1").fetchall()
                if row[0]]

    def close(self) -> None:
        self.con.close()


def _reason(error: Exception) -> str:
    """DuckDB's message without the SQL it quotes (its first line) and without the error class."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", first).strip()


def detect(path: str | Path) -> Schema:
    """Which export a local folder or file holds: ``"cur2"``, ``"legacy"`` or ``"focus"`` (UsageError if none)."""
    local = _Local(Path(path))
    local.close()
    return local.source.schema


def read_cur(path: str | Path, months: Sequence[str], metric: str, *, by: By | None = None,
             granularity: str = "monthly", aws: Aws | None = None, provider: str = "aws",
             warn: Callable[[str], None] = lambda _m: None, label: str | None = None) -> list[CostLine]:
    """Cost lines per (month or day, account, record type[, group]) from a CUR/FOCUS export.

    ``path``: a local folder or file, or ``s3://bucket/prefix`` (needs ``aws``). ``months``: the
    ``YYYY-MM`` billing periods to keep (empty: all); a month the export has no line items for is a
    UsageError naming it (no export for that month is not "no spend"). ``metric``: one of
    ``model.METRICS``. ``by``: a group per line (service, tag value, cost category value).
    ``granularity``: ``daily`` makes each line's period the day its usage started. ``provider``
    (FOCUS exports from several clouds): ``aws`` (the default), ``all``, or a ProviderName; the
    providers left out are named through ``warn``.
    """
    check_metric(metric)
    for month in months:
        check_month(month)
    if not provider.strip():
        raise UsageError(f"--provider: empty; one of {PROVIDERS_HELP}")
    with _local_copy(path, aws) as (folder, fetched):
        return _read_local(folder, months, metric, by, granularity, provider, warn, label=fetched or label)


def read_export(path: str | Path, months: Sequence[str], metric: str, *, by: By | None = None,
                granularity: str = "monthly", aws: Aws | None = None, provider: str = "aws",
                warn: Callable[[str], None] = lambda _m: None,
                commitments: bool = False) -> tuple[list[CostLine], list[CommitmentSums] | None]:
    """:func:`read_cur` and, with ``commitments``, :func:`read_commitments` of the same export, which an
    ``s3://`` path downloads once for both."""
    with _local_copy(path, aws) as (folder, label):
        lines = read_cur(folder, months, metric, by=by, granularity=granularity, provider=provider, warn=warn,
                         label=label or str(folder))
        sums = _read_commitments(folder, months, granularity, label=label) if commitments else None
    return lines, sums


@contextmanager
def _local_copy(path: str | Path, aws: Aws | None) -> Iterator[tuple[Path, str | None]]:
    """``path`` as a local folder, and the name messages give it: an ``s3://`` prefix is downloaded
    through ``aws`` into a temporary folder, removed afterwards."""
    text = str(path)
    if not text.startswith("s3://"):
        yield Path(path), None
        return
    if aws is None:
        raise UsageError(f"{text}: reading from S3 needs AWS credentials")
    with tempfile.TemporaryDirectory(prefix="awsroles-cur-") as tmp:
        _download(aws, text, Path(tmp))
        yield Path(tmp), text


def check_options(source: Source, label: str, metric: str, by: By | None, provider: str = "aws",
                  warn: Callable[[str], None] = lambda _m: None) -> None:
    """UsageError for what this export cannot give; a warning for a tag or category it has no column for."""
    if metric.startswith("net-") and source.schema != "focus" and "net_unblended" not in source.columns:
        raise UsageError(f"{label}: --net needs {COLUMNS[source.schema]['net_unblended']}, which this "
                         "export does not have (it appears only for accounts with discounts)")
    if metric == "blended" and "blended" not in source.columns:
        if source.schema == "focus":
            raise UsageError(f"{label}: --metric blended: a FOCUS export has no blended cost (BilledCost is the "
                             "invoice view, EffectiveCost the amortized one); use a CUR export or Cost Explorer")
        raise UsageError(f"{label}: --metric blended needs {COLUMNS[source.schema]['blended']}, which this "
                         "export does not have")
    if source.schema != "focus" and provider.strip().lower() != "all" and not is_aws(provider):
        raise UsageError(f"{label}: --provider {provider}: a CUR export holds AWS costs only; "
                         "other clouds' costs come in FOCUS exports")
    if by is not None and by.kind in ("tag", "category") and CurSql(source).group_value(by) is None:
        what, why = (("tag", "a tag appears once activated as a cost allocation tag") if by.kind == "tag"
                     else ("cost category", "a cost category appears once it has rules"))
        warn(f"awsroles: warning: {label} has no column for the {what} {by.key!r}: every line is {by.missing} "
             f"({why})")


def _read_local(path: Path, months: Sequence[str], metric: str, by: By | None, granularity: str, provider: str,
                warn: Callable[[str], None], label: str | None = None) -> list[CostLine]:
    import duckdb

    local = _Local(path, label)
    source = local.source
    try:
        check_options(source, local.label, metric, by, provider, warn)

        def sql(table: str, narrow: bool = False) -> str:
            return CurSql(source, narrow=narrow).query(table, months, metric, by, granularity, source.partition)

        try:
            rows = local.run(sql)
        except duckdb.Error as e:
            raise local.unreadable(e, sql) from e
        lines, others = select_provider(cost_lines(rows), provider)
        if others:
            warn(f"awsroles: note: {local.label} also holds costs of {', '.join(others)}, left out of this "
                 "report: --provider all (or --provider NAME) shows them")
        label_of = "" if provider.lower() == "all" else ("AWS " if is_aws(provider) else f"{provider} ")
        check_months(lines, months, local.label, label_of, held=local.months)
    finally:
        local.close()
    return lines


def read_commitments(path: str | Path, months: Sequence[str], *, granularity: str = "monthly",
                     aws: Aws | None = None) -> list[CommitmentSums]:
    """The Savings Plans and Reserved Instance sums per period, account and owner of a CUR 2.0 or legacy
    CUR export (:func:`~awsroles.costs.cur_commitments.commitments_query`); a FOCUS export is a UsageError."""
    for month in months:
        check_month(month)
    with _local_copy(path, aws) as (folder, label):
        return _read_commitments(folder, months, granularity, label=label)


def _read_commitments(path: Path, months: Sequence[str], granularity: str,
                      label: str | None = None) -> list[CommitmentSums]:
    import duckdb

    local = _Local(path, label)
    try:
        refuse_focus_commitments(local.source, local.label)

        def sql(table: str, narrow: bool = False) -> str:
            return commitments_query(CurSql(local.source, narrow=narrow), table, months, granularity,
                                     local.source.partition)

        try:
            rows = local.run(sql)
        except duckdb.Error as e:
            raise local.unreadable(e, sql) from e
    finally:
        local.close()
    return commitment_rows(rows)


def refuse_focus_commitments(source: Source, label: str) -> None:
    if source.schema == "focus":
        raise UsageError(f"{label}: --commitments reads the CUR's Savings Plans and reservation columns; a FOCUS "
                         "export does not have them all: use a CUR 2.0 or legacy CUR export, or Cost Explorer")


def select_provider(lines: Sequence[CostLine], provider: str) -> tuple[list[CostLine], list[str]]:
    """The lines of ``provider`` (``all``, ``aws`` or a ProviderName, any case), and the providers left out."""
    wanted = provider.strip().lower()
    if wanted == "all":
        return list(lines), []

    def matches(line: CostLine) -> bool:
        return is_aws(line.provider) if is_aws(wanted) else line.provider.lower() == wanted

    kept = [line for line in lines if matches(line)]
    return kept, sorted({line.provider for line in lines if not matches(line)})


def check_months(lines: Sequence[CostLine], months: Sequence[str], where: str, what: str = "",
                 held: Callable[[], list[str]] | None = None) -> None:
    """UsageError when a month asked for has no line items at all: the export does not cover it
    (a month with no spend still has its line items, tax and fees). ``held``: the months the
    export does hold, asked only to say so in the message."""
    have = {line.month[:7] for line in lines}  # a day's line counts for its month
    missing = [m for m in months if m not in have]
    if not missing:
        return
    message = (f"{where}: no {what}line items for {', '.join(missing)}: "
               f"no export for {'that month' if len(missing) == 1 else 'these months'}")
    if held is not None:
        covered = held()
        if not covered:
            message += " (it holds no line items at all)"
        elif len(covered) == 1:
            message += f" (it holds {covered[0]} only)"
        else:
            message += f" (it holds {len(covered)} months, {covered[0]} to {covered[-1]})"
    raise UsageError(message)


_CHUNK = 1 << 20  # bytes read from S3 at a time: a large CUR file streams to disk, never into memory


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
                body = s3.get_object(Bucket=bucket, Key=key)["Body"]
                with body, target.open("wb") as out:
                    shutil.copyfileobj(body, out, _CHUNK)
                count += 1
    except Exception as e:  # botocore's ClientError and friends
        if isinstance(e, AwsrolesError):
            raise
        if is_network_error(e):  # exit 7, as everywhere
            raise from_aws(e, f"{url}: cannot read from S3") from e
        raise CurError(f"{url}: cannot read from S3: {e}") from e
    if count == 0:
        raise UsageError(f"{url}: no .parquet, .csv.gz or .csv objects under this prefix")
