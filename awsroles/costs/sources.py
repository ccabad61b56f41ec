"""Where a cost report's lines come from: Cost Explorer (``ce``), a CUR / FOCUS export read with
DuckDB (``cur``: a local folder, or S3), or the same query in Athena (``athena``).

:func:`collect` chooses the source, reaches the billing account (through the org's bootstrap
role) for everything but a local export, maps accounts to environments (the org file, then an
Organizations tag), and returns the lines with the number of paid Cost Explorer requests. The
clock (``today``) and the AWS access (``aws``) are passed in; warnings go to ``warn``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from awsroles.costs import ce as ce_source
from awsroles.costs import mapping
from awsroles.costs.model import AccountInfo, CostLine, is_aws
from awsroles.costs.months import HISTORY_MONTHS
from awsroles.errors import FileWriteError, UsageError

if TYPE_CHECKING:
    from awsroles.aws import Aws
    from awsroles.org.model import Org

SOURCES = ("ce", "cur", "athena")


@dataclass(frozen=True)
class SourceOptions:
    """What ``awsroles costs`` was asked for, as far as where the lines come from."""

    source: str = "ce"
    cur_path: str | None = None  # --source cur: a folder, a file, or s3://bucket/prefix
    athena_database: str | None = None
    athena_table: str | None = None
    athena_workgroup: str = "primary"
    athena_output: str | None = None  # s3://bucket/prefix for Athena's results
    max_scan_bytes: int = 50 * 1024**3
    by_service: bool = False
    environment_tag: str = mapping.DEFAULT_TAG
    use_cache: bool = True  # Cost Explorer: closed months from the local cache
    forecast: bool = False  # also the current month's forecast (Cost Explorer only)
    provider: str = "aws"  # FOCUS exports from several clouds: aws, all, or a ProviderName

    @property
    def history_months(self) -> int | None:
        """How far back the source goes (months.resolve's ``history``): Cost Explorer keeps the current
        month and the 13 before it; a CUR export or an Athena table has no such limit."""
        return HISTORY_MONTHS if self.source == "ce" else None

    @property
    def offline(self) -> bool:
        """A local CUR export: no AWS at all; accounts map from the org file alone."""
        return self.source == "cur" and not str(self.cur_path).startswith("s3://")

    def check(self) -> None:
        """UsageError for options that cannot work together, before any AWS call (some are paid)."""
        if self.source not in SOURCES:
            raise UsageError(f"unknown cost source '{self.source}'; one of {', '.join(SOURCES)}")
        if self.source == "cur" and not self.cur_path:
            raise UsageError("--source cur needs --path DIR or s3://BUCKET/PREFIX")
        if self.source == "athena" and not (self.athena_database and self.athena_table and self.athena_output):
            raise UsageError("--source athena needs --athena-database, --athena-table and --athena-output")
        if self.forecast and self.source != "ce":
            raise UsageError("--forecast comes from Cost Explorer: use it with --source ce")
        wanted = self.provider.strip().lower()
        if not wanted:
            raise UsageError("--provider: empty; all, aws, or a provider as a FOCUS export names it")
        if self.source != "cur" and wanted != "all" and not is_aws(wanted):
            raise UsageError(f"--provider {self.provider}: --source {self.source} holds AWS costs only; other "
                             "clouds' costs come in FOCUS exports (--source cur --path EXPORT)")


@dataclass(frozen=True)
class Collected:
    """The lines of the months asked for, the accounts they map to, and what it cost."""

    lines: list[CostLine]
    accounts: dict[str, AccountInfo]
    requests: int  # paid Cost Explorer requests (0 for cur and athena, or when all came from the cache)
    ce: Any | None = None  # the billing account's Cost Explorer client (--source ce), for the forecast


def collect(org: Org, months: Sequence[str], metric: str, options: SourceOptions, *, today: date,
            aws: Aws | None, warn: Callable[[str], None] = lambda _m: None,
            cache: ce_source.CostCache | None = None) -> Collected:
    """Read ``months`` of ``metric`` from the source ``options`` names.

    ``aws``: the caller's access (:func:`awsroles.aws.for_org`), in the billing account or able to
    reach it through the org's bootstrap role; None only for a local CUR export. ``cache``: where
    Cost Explorer's closed months are kept (default: the user's cache, a failed write being one
    warning; none with ``use_cache=False``).
    """
    options.check()
    if options.offline:
        lines = _cur(options, months, metric, None, warn)
        return Collected(lines, mapping.complete(mapping.account_map(org, None), (x.account_id for x in lines)), 0)
    if aws is None:
        raise UsageError(f"--source {options.source} reads from AWS: credentials are needed")
    from awsroles.aws import for_org  # for the billing account's S3 or Athena

    session = aws.for_account(org.billing.id, org.bootstrap_role, partition=org.partition)
    accounts = mapping.account_map(org, aws.client("organizations", session), tag=options.environment_tag, warn=warn)
    requests, ce = 0, None
    if options.source == "cur":
        lines = _cur(options, months, metric, for_org(org, aws.settings.profile, session=session), warn)
    elif options.source == "athena":
        from awsroles.costs.cur import read_athena

        assert options.athena_database and options.athena_table and options.athena_output  # check() said so
        lines = read_athena(for_org(org, aws.settings.profile, session=session), options.athena_database,
                            options.athena_table, options.athena_workgroup, options.athena_output, months, metric,
                            options.max_scan_bytes, by_service=options.by_service)
    else:
        ce = aws.client("ce", session)
        if cache is None and options.use_cache:
            cache = WarnOnFailedWrite(ce_source.CostCache.default(org.billing.id), warn)
        lines, requests = ce_source.fetch(ce, months, metric, by_service=options.by_service,
                                          cache=cache if options.use_cache else None, today=today)
    return Collected(lines, mapping.complete(accounts, (x.account_id for x in lines)), requests, ce)


def _cur(options: SourceOptions, months: Sequence[str], metric: str, aws: Aws | None,
         warn: Callable[[str], None]) -> list[CostLine]:
    from awsroles.costs.cur import read_cur

    return read_cur(str(options.cur_path), months, metric, by_service=options.by_service, aws=aws,
                    provider=options.provider, warn=warn)


class WarnOnFailedWrite(ce_source.CostCache):
    """A cost cache whose failed write (a read-only or full home) is one warning, not an error: the
    report was paid for and is still shown; only the next run is not free."""

    def __init__(self, cache: ce_source.CostCache, warn: Callable[[str], None]):
        super().__init__(cache.root, cache.payer)
        self.warn = warn
        self.failed = False

    def put(self, metric: str, grouping: str, month: str, lines: Sequence[CostLine]) -> None:
        if self.failed:
            return
        try:
            super().put(metric, grouping, month, lines)
        except OSError as exc:
            self.failed = True
            error = FileWriteError.from_os_error(exc.filename or self.root, exc)
            self.warn(f"awsroles: warning: {error}; closed months are not cached, so the next run pays again")

