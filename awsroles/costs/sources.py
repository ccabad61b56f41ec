"""Where a cost report's lines come from: Cost Explorer (``ce``), a CUR / FOCUS export read with
DuckDB (``cur``: a local folder, or S3), or the same query in Athena (``athena``).

:func:`collect` chooses the source, reaches the billing account (through the org's bootstrap
role) for everything but a local export, maps accounts to environments (the org file, then an
Organizations tag), checks ``--env``/``--account`` against them before any paid request, and
returns the lines of the accounts kept (with Cost Explorer's own totals checked against its groups
first), the Savings Plans and Reserved Instance figures when asked, and the number of paid Cost
Explorer requests. The clock (``today``) and the AWS access (``aws``) are passed in; warnings go to
``warn``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from awsroles.costs import ce as ce_source
from awsroles.costs import mapping, views
from awsroles.costs.commitments import Commitment
from awsroles.costs.model import GRANULARITIES, AccountInfo, By, CostLine, is_aws, row_of
from awsroles.costs.months import HISTORY_MONTHS, periods
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
    by: By | None = None  # --by: a breakdown inside each environment
    granularity: str = "monthly"  # or "daily"
    environments: tuple[str, ...] = ()  # --env: the rows to keep (names, as given)
    accounts: tuple[str, ...] = ()  # --account: the accounts to keep (names or ids, as given)
    commitments: bool = False  # also Savings Plans and Reserved Instance coverage, utilization, savings
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
        if self.granularity not in GRANULARITIES:
            raise UsageError(f"--granularity {self.granularity}: one of {', '.join(GRANULARITIES)}")
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
    selection: views.Selection = field(default_factory=views.Selection)  # --env / --account
    only: tuple[str, ...] | None = None  # the report rows to show (None: all)
    commitments: list[Commitment] = field(default_factory=list)  # with --commitments


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
        known = mapping.account_map(org, None)
        selection = views.select(options.environments, options.accounts, known)
        lines, sums = _cur(options, months, metric, None, warn)
        return _kept(lines, known, 0, None, selection, sums, None, months, options, today)
    if aws is None:
        raise UsageError(f"--source {options.source} reads from AWS: credentials are needed")
    from awsroles.aws import for_org  # for the billing account's S3 or Athena

    session = aws.for_account(org.billing.id, org.bootstrap_role, partition=org.partition)
    known = mapping.account_map(org, aws.client("organizations", session), tag=options.environment_tag, warn=warn)
    selection = views.select(options.environments, options.accounts, known)  # before any paid request
    requests, ce, sums = 0, None, None
    if options.source == "cur":
        lines, sums = _cur(options, months, metric, for_org(org, aws.settings.profile, session=session), warn)
    elif options.source == "athena":
        from awsroles.costs.athena import read_athena, read_athena_commitments

        assert options.athena_database and options.athena_table and options.athena_output  # check() said so
        access = for_org(org, aws.settings.profile, session=session)
        where = (access, options.athena_database, options.athena_table, options.athena_workgroup,
                 options.athena_output)
        lines = read_athena(*where, months, metric, options.max_scan_bytes, by=options.by,
                            granularity=options.granularity)
        if options.commitments:
            sums = read_athena_commitments(*where, months, options.max_scan_bytes, granularity=options.granularity)
    else:
        ce = aws.client("ce", session)
        if cache is None and options.use_cache:
            cache = WarnOnFailedWrite(ce_source.CostCache.default(org.billing.id), warn)
        cache = cache if options.use_cache else None
        lines, requests = ce_source.fetch(ce, months, metric, by=options.by, granularity=options.granularity,
                                          cache=cache, today=today)
        problems, more = ce_source.total_check(ce, months, metric, lines, today=today,
                                               granularity=options.granularity, cache=cache)
        requests += more
        for problem in problems:
            warn(f"awsroles: warning: {problem}")
    return _kept(lines, known, requests, ce, selection, sums, cache, months, options, today)


def _kept(lines: list[CostLine], known: dict[str, AccountInfo], requests: int, ce: Any | None,
          selection: views.Selection, sums: Any, cache: ce_source.CostCache | None, months: Sequence[str],
          options: SourceOptions, today: date) -> Collected:
    """The lines of the accounts ``selection`` keeps, and the commitments of the rows it keeps."""
    accounts = mapping.complete(known, (x.account_id for x in lines))
    kept = [line for line in lines if selection.keeps(line.account_id, row_of(accounts.get(line.account_id),
                                                                              line.provider))]
    only = selection.only(accounts)
    figures: list[Commitment] = []
    if options.commitments:
        from awsroles.costs import commitments

        members: dict[str, list[str]] = {}
        for account in sorted({*accounts, *(x.account_id for x in kept)}):
            row = row_of(accounts.get(account))
            if selection.keeps(account, row):
                members.setdefault(row, []).append(account)
        order = _row_order(accounts, members, only)
        periods_asked = periods(months, options.granularity, today)
        if sums is not None:
            kept_sums = [s for s in sums if selection.keeps(s.account_id, row_of(accounts.get(s.account_id)))
                         or (s.owner and selection.keeps(s.owner, row_of(accounts.get(s.owner))))]
            figures = commitments.from_cur(kept_sums, accounts, periods_asked, order)
        elif ce is not None:
            figures, more = commitments.from_cost_explorer(ce, months, {r: members.get(r, []) for r in order},
                                                           today=today, granularity=options.granularity,
                                                           cache=cache)
            requests += more
    return Collected(kept, accounts, requests, ce, selection, only, figures)


def _row_order(accounts: dict[str, AccountInfo], members: dict[str, list[str]],
               only: tuple[str, ...] | None) -> list[str]:
    """The rows of the commitments table, in the report's order: environments, shared, unmapped."""
    from awsroles.costs.model import SHARED, UNMAPPED

    environments = list(dict.fromkeys(info.environment for info in accounts.values() if info.environment))
    order = [*environments, SHARED, *sorted(set(members) - {*environments, SHARED, UNMAPPED}), UNMAPPED]
    order = [row for row in order if row in members or row in environments]
    return [row for row in order if only is None or row in only]


def _cur(options: SourceOptions, months: Sequence[str], metric: str, aws: Aws | None,
         warn: Callable[[str], None]) -> tuple[list[CostLine], Any]:
    """The export's lines and, with --commitments, its commitment sums (an S3 export downloaded once)."""
    from awsroles.costs.cur import read_export

    return read_export(str(options.cur_path), months, metric, by=options.by, granularity=options.granularity,
                       aws=aws, provider=options.provider, warn=warn, commitments=options.commitments)


class WarnOnFailedWrite(ce_source.CostCache):
    """A cost cache whose failed write (a read-only or full home) is one warning, not an error: the
    report was paid for and is still shown; only the next run is not free."""

    def __init__(self, cache: ce_source.CostCache, warn: Callable[[str], None]):
        super().__init__(cache.root, cache.payer)
        self.warn = warn
        self.failed = False

    def put(self, metric: str, grouping: str, month: str, lines: Sequence[CostLine]) -> None:
        self._guarded(lambda: super(WarnOnFailedWrite, self).put(metric, grouping, month, lines))

    def put_figures(self, grouping: str, month: str, periods: dict[str, dict[str, Decimal]]) -> None:
        self._guarded(lambda: super(WarnOnFailedWrite, self).put_figures(grouping, month, periods))

    def _guarded(self, write: Callable[[], None]) -> None:
        if self.failed:
            return
        try:
            write()
        except OSError as exc:
            self.failed = True
            error = FileWriteError.from_os_error(exc.filename or self.root, exc)
            self.warn(f"awsroles: warning: {error}; closed months are not cached, so the next run pays again")

