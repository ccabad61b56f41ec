"""``awsroles plan`` and ``awsroles apply``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from awsroles.cli.app import App, F, cli, common_options, pass_app
from awsroles.errors import AwsrolesError, ExitCode, UsageError
from awsroles.render import console_for, to_json

if TYPE_CHECKING:
    from awsroles.apply import ApplyResult, Step
    from awsroles.engine import Engine
    from awsroles.plan import Change, Plan

_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


def engine_for(app: App, profile: str | None, workers: int) -> Engine:
    from awsroles.aws import Aws, AwsSettings
    from awsroles.engine import Engine

    org = app.load_org()
    return Engine(org, Aws(AwsSettings(region=org.region, profile=profile)), max_workers=workers,
                  per_account=1 if workers == 1 else 4)


def aws_options(command: F) -> F:
    command = click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")(command)
    command = click.option("--parallel", "workers", type=click.IntRange(1, 64), default=8, show_default=True,
                           help="Accounts worked on at once (1: one change at a time, in order).")(command)
    return click.option("--prune", is_flag=True,
                        help="Also delete what awsroles manages but the org file no longer declares.")(command)


def _change_line(change: Change) -> str:
    symbol, colour = _SYMBOL[change.action]
    label = "drift" if change.drift else change.action
    details = f": {escape(', '.join(change.details))}" if change.details and change.action == "update" else ""
    return f"  [{colour}]{symbol} {change.kind} {escape(change.name)}[/] ({label}){details}"


def show_plan(app: App, engine: Engine, plan: Plan) -> None:
    console = console_for(app.stdout)
    org = engine.org
    calls = sum(plan.api_calls.values())
    console.print(f"Plan for org {escape(org.name)}: {len(plan.api_calls)} accounts read with {calls} API calls")
    for account in org.accounts:
        changes = [c for c in plan.changes if c.account == account.name]
        if not changes:
            continue
        console.print(f"\n[bold]{escape(account.name)}[/] ({account.id})")
        for change in changes:
            console.print(_change_line(change))
            if app.verbose or change.action == "update":
                for what, diff in change.diffs:
                    console.print(f"      [dim]{escape(what)}[/]")
                    for line in diff.splitlines():
                        colour = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                        console.print(f"      [{colour}]{escape(line)}[/]")
    if plan.kept:
        console.print("\nManaged by awsroles but no longer in the org file (kept; [bold]--prune[/] deletes them):")
        for change in plan.kept:
            console.print(f"  {escape(change.account)}: {change.kind} {escape(change.name)}")
    if plan.conflicts:
        console.print("\n[red]Conflicts[/] (apply refuses until they are resolved):")
        for conflict in plan.conflicts:
            console.print(f"  {escape(str(conflict))}")
    if plan.empty:
        console.print("\nNo changes. AWS matches the org file.")
    else:
        drift = f", {plan.drifted} of them drift" if plan.drifted else ""
        console.print(f"\nPlan: {plan.count('create')} to create, {plan.count('update')} to update{drift}, "
                      f"{plan.count('delete')} to delete.")


@cli.command()
@common_options
@aws_options
@click.option("--detailed-exitcode", is_flag=True,
              help=f"Exit {int(ExitCode.CHANGES_PENDING)} when there are changes, 0 when there are none.")
@pass_app
def plan(app: App, profile: str | None, workers: int, prune: bool, detailed_exitcode: bool) -> int:
    """Show what apply would change in AWS, per account, without changing anything.

    Reads every account in a constant number of API calls (GetAccountAuthorizationDetails),
    then lists creates, updates (with a diff of each policy document), drift (managed things
    changed outside awsroles) and, with --prune, deletes.

    \b
    Examples:
      awsroles plan
      awsroles plan -o json > plan.json
      awsroles plan --detailed-exitcode || echo "changes pending"
    """
    engine = engine_for(app, profile, workers)
    result = engine.plan(prune=prune)
    if app.output == "json":
        app.stdout.write(to_json(result.as_dict()))
    elif app.output == "csv":
        raise UsageError("plan has no CSV form; use --output table or json")
    else:
        show_plan(app, engine, result)
    if detailed_exitcode and not result.empty:
        return ExitCode.CHANGES_PENDING
    return ExitCode.OK


class _Progress:
    """A progress bar on a terminal; one line per change otherwise (logs, CI, pipes)."""

    def __init__(self, app: App, total: int):
        self.app, self.total, self.n = app, total, 0
        self.bar: Any = None
        if getattr(app.stderr, "isatty", lambda: False)():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.description}"), console=console_for(app.stderr), transient=True)
            self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __call__(self, step: Step) -> None:
        self.n += 1
        change = step.change
        mark = {"done": "ok", "failed": "FAILED", "skipped": "skipped"}.get(step.status, step.status)
        error = f": {step.error}" if step.error else ""
        line = f"{change.account}: {change.action} {change.kind} {change.name} ... {mark}{error}"
        if self.bar is None:
            click.echo(f"[{self.n}/{self.total}] {line}", file=self.app.stderr)
            return
        self.bar.update(self.task, advance=1, description=escape(f"{change.account}: {change.kind} {change.name}"))
        if step.status != "done":
            self.bar.console.print(escape(line))


def show_result(app: App, result: ApplyResult) -> None:
    if app.output == "json":
        app.stdout.write(to_json(result.as_dict()))
        return
    for line in result.summary():  # what was done, failed and not attempted, and how to finish
        app.say(line)


@cli.command()
@common_options
@aws_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def apply(app: App, profile: str | None, workers: int, prune: bool, yes: bool) -> int:
    """Make AWS match the org file: show the plan, ask, then apply it.

    Accounts are changed in parallel, each in dependency order. Only what awsroles manages
    (the org's IAM path) is ever changed or deleted. Without a terminal, --yes is required.

    \b
    Examples:
      awsroles apply
      awsroles apply --prune --yes
    """
    engine = engine_for(app, profile, workers)
    plan_ = engine.plan(prune=prune)
    if app.output != "json":
        show_plan(app, engine, plan_)
    if plan_.conflicts:
        raise AwsrolesError(f"{len(plan_.conflicts)} conflict(s) with resources awsroles does not manage; "
                            "nothing was changed")
    if not plan_.changes:
        if app.output == "json":
            app.stdout.write(to_json({"ok": True, "done": 0, "steps": []}))
        return ExitCode.OK
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("apply needs confirmation: run it in a terminal, or pass --yes")
        if not click.confirm("\nApply these changes?", default=False, err=True):
            app.warn("Nothing was changed.")
            return ExitCode.OK
    with _Progress(app, len(plan_.changes)) as progress:
        result = engine.apply(plan_, on_step=progress)
    show_result(app, result)
    return ExitCode.OK if result.ok else ExitCode.FAILURE
