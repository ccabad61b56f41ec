"""``awsroles plan`` and ``awsroles apply``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from awsroles.cli.app import App, F, common_options, pass_app
from awsroles.errors import AwsrolesError, ExitCode, UsageError
from awsroles.render import Result, console_for

if TYPE_CHECKING:
    from awsroles.sync.apply import ApplyResult, Step
    from awsroles.sync.engine import Engine
    from awsroles.sync.plan import Change, Plan, PlanOptions

_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "adopt": ("&", "cyan"), "delete": ("-", "red")}


def engine_for(app: App, profile: str | None, workers: int) -> Engine:
    from awsroles.aws import for_org
    from awsroles.sync.engine import Engine

    org = app.load_org()
    return Engine(org, for_org(org, profile), max_workers=workers,
                  per_account=1 if workers == 1 else 4)


def aws_options(command: F) -> F:
    command = click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")(command)
    command = click.option("--parallel", "workers", type=click.IntRange(1, 64), default=8, show_default=True,
                           help="Accounts worked on at once (1: one change at a time, in order).")(command)
    return plan_options(command)


def plan_options(command: F) -> F:
    command = click.option("--remove-foreign-memberships", is_flag=True,
                           help="Also take managed users out of groups awsroles does not manage.")(command)
    command = click.option("--adopt", is_flag=True,
                           help="Put awsroles' mark on resources at its path that the org file declares, and "
                                "manage them from now on.")(command)
    return click.option("--prune", is_flag=True,
                        help="Also delete what awsroles manages but the org file no longer declares.")(command)


def options_of(prune: bool, adopt: bool, remove_foreign_memberships: bool) -> PlanOptions:
    from awsroles.sync.plan import PlanOptions

    return PlanOptions(prune=prune, adopt=adopt, remove_foreign_memberships=remove_foreign_memberships)


def _change_line(change: Change) -> str:
    symbol, colour = _SYMBOL[change.action]
    label = "drift" if change.drift else change.action
    details = (f": {escape(', '.join(change.details))}" if change.details and change.action in ("update", "adopt")
               else "")
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
            if app.verbose or change.action in ("update", "adopt"):
                for what, diff in change.diffs:
                    console.print(f"      [dim]{escape(what)}[/]")
                    for line in diff.splitlines():
                        colour = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                        console.print(f"      [{colour}]{escape(line)}[/]")
    if plan.kept:
        console.print("\nLeftovers: managed by awsroles but no longer in the org file (kept; [bold]--prune[/] "
                      "deletes them):")
        for change in plan.kept:
            console.print(f"  {escape(change.account)}: {change.kind} {escape(change.name)}")
    if plan.foreign:
        console.print("\n[yellow]Memberships in groups awsroles does not manage[/] (drift; "
                      "[bold]--remove-foreign-memberships[/] removes them):")
        for finding in plan.foreign:
            console.print(f"  {escape(str(finding))}")
    if plan.unowned:
        console.print("\nAt the awsroles path but not marked as awsroles' (never changed or deleted; "
                      "[bold]--adopt[/] takes over those the org file declares):")
        for finding in plan.unowned:
            console.print(f"  {escape(str(finding))}")
    if plan.conflicts:
        console.print("\n[red]Conflicts[/] (apply refuses until they are resolved):")
        for conflict in plan.conflicts:
            console.print(f"  {escape(str(conflict))}")
    if plan.in_sync:
        console.print("\nNo changes. AWS matches the org file.")
    elif plan.empty:
        pending = [f"{len(plan.kept)} leftover(s) (--prune)" if plan.kept else "",
                   f"{len(plan.foreign)} foreign membership(s) (--remove-foreign-memberships)" if plan.foreign else ""]
        console.print(f"\nNo changes without options, but AWS does not match the org file: "
                      f"{', '.join(p for p in pending if p)}.")
    else:
        drift = f", {plan.drifted} of them drift" if plan.drifted else ""
        adopt = f", {plan.count('adopt')} to adopt" if plan.count("adopt") else ""
        console.print(f"\nPlan: {plan.count('create')} to create, {plan.count('update')} to update{drift}{adopt}, "
                      f"{plan.count('delete')} to delete.")


@click.command()
@common_options
@aws_options
@click.option("--detailed-exitcode", is_flag=True,
              help=f"Exit {int(ExitCode.CHANGES_PENDING)} unless AWS matches the org file exactly (changes, "
                   "leftovers, conflicts or foreign memberships), 0 when it does.")
@click.option("--out", "out", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan to FILE; `awsroles apply FILE` applies exactly it, or refuses if the org file "
                   "or AWS changed since.")
@pass_app
def plan(app: App, profile: str | None, workers: int, prune: bool, adopt: bool, remove_foreign_memberships: bool,
         detailed_exitcode: bool, out: Path | None) -> int:
    """Show what apply would change in AWS, per account, without changing anything.

    Reads every account in a constant number of API calls (GetAccountAuthorizationDetails),
    then lists creates, updates (with a diff of each policy document), drift (managed things
    changed outside awsroles, including any policy, boundary or group that gives a managed
    person more power), leftovers, resources at the awsroles path that awsroles does not own,
    and, with --prune, deletes.

    \b
    Examples:
      awsroles plan
      awsroles plan -o json > plan.json
      awsroles plan --detailed-exitcode || echo "AWS does not match the org file"
      awsroles plan --prune --out prune.plan && awsroles apply prune.plan
    """
    engine = engine_for(app, profile, workers)
    live = engine.read()
    result = engine.plan(options=options_of(prune, adopt, remove_foreign_memberships), live=live)
    if out is not None:
        from awsroles.sync.planfile import make_saved

        write_file(out, make_saved(result, app.org_path, live, org=engine.org).to_json())
    if app.output == "table":  # the plan as people read it: coloured, a diff under each update
        show_plan(app, engine, result)
        if out is not None:
            app.say(f"\nSaved the plan to {out}: `awsroles apply {out}` applies exactly this plan.")
    else:
        app.render(Result(result.as_dict()))
    if detailed_exitcode and not result.in_sync:
        return ExitCode.CHANGES_PENDING
    return ExitCode.OK


def write_file(path: Path, text: str) -> None:
    """Write a plan file atomically, 0600; an unwritable path is a one-line error."""
    from awsroles.fsutil import atomic_write

    try:
        atomic_write(path, text, mode=0o600)
    except OSError as exc:
        raise AwsrolesError(f"cannot write {path}: {exc.strerror or exc}") from exc


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
    # The summary says what was done, failed and not attempted, and how to finish.
    app.render(Result(result.as_dict(), notes=list(result.summary())))


@click.command()
@common_options
@aws_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.argument("plan_file", metavar="[PLANFILE]", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def apply(app: App, profile: str | None, workers: int, prune: bool, adopt: bool, remove_foreign_memberships: bool,
          yes: bool, plan_file: Path | None) -> int:
    """Make AWS match the org file: show the plan, ask, then apply it.

    Accounts are changed in parallel, each in dependency order. Only what awsroles owns (at the
    org's IAM path and carrying its mark) is ever changed or deleted. Without a terminal, --yes
    is required. Given PLANFILE (from `plan --out`), applies exactly that plan without asking,
    after checking that neither the org file nor AWS changed since it was made.

    \b
    Examples:
      awsroles apply
      awsroles apply --prune --yes
      awsroles plan --out changes.plan && awsroles apply changes.plan
    """
    engine = engine_for(app, profile, workers)
    if plan_file is not None:
        from awsroles.sync.planfile import check_fresh, check_untampered, load_saved

        if prune or adopt or remove_foreign_memberships:
            raise UsageError("a saved plan carries its own options: give --prune/--adopt/--remove-foreign-memberships "
                             "to `awsroles plan --out`, not to apply")
        saved = load_saved(plan_file)
        live = engine.read()
        check_fresh(saved, app.org_path, live, org=engine.org)
        check_untampered(saved, engine.plan(options=saved.plan.options, live=live))
        plan_ = saved.plan
        yes = True  # the saved plan is what was reviewed, as with terraform
    else:
        plan_ = engine.plan(options=options_of(prune, adopt, remove_foreign_memberships))
    if app.output != "json":
        show_plan(app, engine, plan_)
    if plan_.conflicts:
        raise AwsrolesError(f"{len(plan_.conflicts)} conflict(s) with resources awsroles does not manage; "
                            "nothing was changed")
    if not plan_.changes:
        app.render(Result({"ok": True, "done": 0, "steps": []}))  # nothing to say in the table form
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
