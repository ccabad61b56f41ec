"""``awsroles costs``: the monthly bill per environment, for finance."""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.core import ParameterSource

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.complete import complete_org_environments
from awsroles.errors import ExitCode, UsageError
from awsroles.fsutil import check_writable
from awsroles.render import FORMATS


@click.command()
@common_options(forms=FORMATS)
@click.option("--month", metavar="YYYY-MM", help="One month (default: the last complete month).")
@click.option("--from", "from_", metavar="YYYY-MM", help="First month of a range (inclusive).")
@click.option("--to", metavar="YYYY-MM", help="Last month of a range (inclusive; default: the last complete month).")
@click.option("--metric", type=click.Choice(["unblended", "amortized", "blended"]), default="unblended",
              show_default=True, help="unblended: the invoice view; amortized: the chargeback view (upfront fees "
              "spread); blended: consolidated billing's blended rates.")
@click.option("--net", is_flag=True, help="Net of discounts (NetUnblendedCost / NetAmortizedCost).")
@click.option("--env", "environments", metavar="NAME", multiple=True, shell_complete=complete_org_environments,
              help="Only these environments (repeat it, or a comma list; shared and unmapped too).")
@click.option("--account", "accounts", metavar="NAME|ID", multiple=True,
              help="Only these accounts, by name or 12-digit id (repeat it, or a comma list).")
@click.option("--by", "by", metavar="account|service|tag:KEY|category:NAME", default=None,
              help="Also break each environment down by account, service, cost allocation tag or cost category "
                   "(Cost Explorer: one more paid query, except for account).")
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True,
              help="With --by: groups shown per environment; the rest is 'other'.")
@click.option("--granularity", type=click.Choice(["monthly", "daily"]), default="monthly", show_default=True,
              help="One row per month, or per day, and environment.")
@click.option("--commitments", is_flag=True, help="Also Savings Plans and Reserved Instances per environment: "
              "coverage, utilization, on-demand equivalent, cost and savings.")
@click.option("--environment-tag", metavar="KEY", default="Environment", show_default=True,
              help="Organizations account tag that names the environment of accounts not in the org file.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, hidden=True,
              help="Deprecated: the same as -o/--output.")
@click.option("--xlsx", "xlsx_file", metavar="FILE.xlsx", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report as a spreadsheet, with a chart.")
@click.option("--chart", "chart_file", metavar="FILE.png|svg", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw stacked bars of cost per environment per month.")
@click.option("--source", type=click.Choice(["ce", "cur", "athena"]), default="ce", show_default=True,
              help="Cost Explorer; a CUR 2.0 / legacy CUR / FOCUS export read with DuckDB (--path); or the "
                   "same query in Athena (--athena-*).")
@click.option("--path", "cur_path", metavar="DIR|s3://BUCKET/PREFIX", help="With --source cur: the export.")
@click.option("--provider", metavar="all|aws|NAME", default="aws", show_default=True,
              help="With --source cur and a FOCUS export from several clouds: whose costs (NAME as the "
                   "export's ProviderName says, e.g. Microsoft); other clouds' accounts get a row each.")
@click.option("--athena-database", metavar="DB", help="With --source athena: the CUR 2.0 table's database.")
@click.option("--athena-table", metavar="TABLE", help="With --source athena: the CUR 2.0 table.")
@click.option("--athena-workgroup", metavar="NAME", default="primary", show_default=True)
@click.option("--athena-output", metavar="s3://BUCKET/PREFIX", help="With --source athena: query results location.")
@click.option("--max-scan-gb", type=click.FloatRange(0.001), default=50.0, show_default=True,
              help="With --source athena: stop a query that scans more than this.")
@click.option("--forecast", is_flag=True, help="Also the current month: spent so far plus Cost Explorer's "
              "forecast of the rest, per environment (one paid request per account).")
@click.option("--no-cache", is_flag=True, help="Ask Cost Explorer again even for cached closed months.")
@click.option("--profile", metavar="NAME", help="AWS profile (the billing account, or one that can reach it).")
@pass_app
def costs(app: App, month: str | None, from_: str | None, to: str | None, metric: str, net: bool,
          environments: tuple[str, ...], accounts: tuple[str, ...], by: str | None, top: int, granularity: str,
          commitments: bool, environment_tag: str, fmt: str | None, xlsx_file: Path | None,
          chart_file: Path | None, source: str, cur_path: str | None, athena_database: str | None,
          athena_table: str | None, athena_workgroup: str, athena_output: str | None, max_scan_gb: float,
          provider: str, forecast: bool, no_cache: bool, profile: str | None) -> int:
    """The monthly bill per environment, from Cost Explorer, in the payer account.

    One row per month and environment, then "(shared)" for the org file's accounts outside
    every environment (ops) and "(unmapped)" for accounts the org file does not know, both
    listed by id and name. Columns: usage, discounts, credits, refunds, tax, support, fees
    (a record type awsroles does not know gets an "unknown: TYPE" column), total, and the run
    rate (without credits and refunds). Every month's rows add up to the month's total to the
    cent. Cost Explorer keeps 14 months; a CUR export (--source cur) goes further back.

    Each Cost Explorer request costs $0.01; their number is printed on stderr. Closed months
    are cached locally, so running the same report again costs nothing. Cost Explorer's own
    total is checked against the sum of its groups: a difference is a warning with both.
    $AWSROLES_TODAY (YYYY-MM-DD) pins the day taken as today.

    \b
    Examples:
      awsroles costs                                 last month, invoice view
      awsroles costs --month 2026-10 -o csv > 2026-10.csv
      awsroles costs --from 2026-01 --to 2026-10 --metric amortized --net
      awsroles costs --by service --top 3 -o md
      awsroles costs --env prod --by account         prod, account by account
      awsroles costs --by tag:team --env prod,stage
      awsroles costs --granularity daily --env dev -o csv
      awsroles costs --commitments                   Savings Plans and RIs per environment
      awsroles costs --from 2025-11 --to 2026-10 --xlsx costs.xlsx --chart costs.png
      awsroles costs --source cur --path s3://acme-cur/cur2/ --month 2026-10
      awsroles costs --forecast
    """
    from awsroles.aws import for_org
    from awsroles.costs import ce as ce_source
    from awsroles.costs import formats
    from awsroles.costs.forecast import forecast as forecast_of
    from awsroles.costs.model import By
    from awsroles.costs.months import periods, resolve
    from awsroles.costs.months import today as today_of
    from awsroles.costs.report import build_report, reconcile
    from awsroles.costs.sources import SourceOptions, collect
    from awsroles.costs.views import names

    if fmt is not None:  # the old spelling of -o, kept for scripts and muscle memory
        app.warn(f"awsroles: warning: --format is deprecated: use -o {fmt} (--output {fmt})")
        app.output = fmt
    today = today_of(os.environ)  # the clock ($AWSROLES_TODAY pins it): the library never reads it
    if by is None and click.get_current_context().get_parameter_source("top") == ParameterSource.COMMANDLINE:
        raise UsageError("--top needs --by")
    breakdown = By.parse(by) if by is not None else None
    if net and metric == "blended":
        raise UsageError("--net: blended cost has no net variant; use --metric unblended or amortized")
    if breakdown is not None and commitments and app.output == "csv":
        raise UsageError("-o csv prints one table: --by or --commitments, not both (or -o json for both)")
    if chart_file is not None and chart_file.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--chart: {chart_file.name}: use a .png or .svg file")
    options = SourceOptions(
        source=source, cur_path=cur_path, athena_database=athena_database, athena_table=athena_table,
        athena_workgroup=athena_workgroup, athena_output=athena_output, max_scan_bytes=int(max_scan_gb * 1024**3),
        by=breakdown, granularity=granularity, environments=names(environments), accounts=names(accounts),
        commitments=commitments, environment_tag=environment_tag, use_cache=not no_cache, forecast=forecast,
        provider=provider)
    months = resolve(month, from_, to, today, history=options.history_months)
    for target in (xlsx_file, chart_file):  # before any paid request: fail now, not after paying
        if target is not None:
            check_writable(target)
    org = app.load_org()
    metric_name = f"net-{metric}" if net else metric
    options.check()
    aws = None if options.offline else for_org(org, profile)  # a local export needs no AWS at all
    got = collect(org, months, metric_name, options, today=today, aws=aws, warn=app.warn)
    requests = got.requests
    report = build_report(got.lines, got.accounts, periods(months, granularity, today), metric_name, by=breakdown,
                          top=top, only=got.only, requests=requests, source=source, granularity=granularity,
                          selection=got.selection.labels)
    reconcile(report)
    forecast_rows: list[dict[str, str]] = []
    if forecast and got.ce is not None:
        forecast_rows, extra = forecast_of(got.ce, got.accounts, metric_name, org, today=today,
                                           selection=got.selection)
        requests += extra
    if xlsx_file is not None:
        from awsroles.costs.xlsx import write_xlsx

        app.warn(f"wrote {write_xlsx(report, xlsx_file)}")
    if chart_file is not None:
        from awsroles.costs.xlsx import write_chart

        app.warn(f"wrote {write_chart(report, chart_file)}")
    result = formats.result(report, forecast_rows, got.commitments if commitments else None)
    # budget vs actual vs forecast, per environment and month: budgets are monthly and for whole environments
    if org.budgets and granularity == "monthly" and not options.accounts:
        from awsroles.costs.budgets import with_budgets

        result = with_budgets(result, report, forecast_rows, org)
    app.render(result)
    if source == "ce":
        app.warn(f"{requests} paid Cost Explorer request(s) (${requests * ce_source.PRICE_PER_REQUEST:.2f})"
                 + ("" if requests else ": everything came from the cache"))
    return ExitCode.OK

