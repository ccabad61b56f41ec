"""How plans and applies look: shared by ``plan``, ``apply``, ``grant``/``revoke``/``team`` and ``demo``.

The engine for the org file (:func:`engine_for`), the plan as coloured lines for the table form
(:func:`plan_lines`, rendered by :mod:`awsroles.render` like every other result), the apply
progress (a bar on a terminal, one line per change otherwise) and the apply summary. Command
modules import this one, never each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from awsroles.cli.app import App
from awsroles.render import Result, console_for
from awsroles.sync.kinds import ACCOUNT

if TYPE_CHECKING:
    from awsroles.org.model import Org
    from awsroles.sync.apply import ApplyResult, Step
    from awsroles.sync.engine import Engine
    from awsroles.sync.plan import Change, Plan

_SYMBOL = {"create": ("+", "green"), "update": ("~", "yellow"), "adopt": ("&", "cyan"), "delete": ("-", "red")}


def escape(text: str) -> str:
    """rich's markup escape, imported when a plan is shown as text: commands that only use an
    engine (users, -o json) do not load rich's markup modules."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def engine_for(app: App, profile: str | None, workers: int) -> Engine:
    from awsroles.aws import for_org
    from awsroles.sync.engine import Engine

    org = app.load_org()
    return Engine(org, for_org(org, profile), max_workers=workers,
                  per_account=1 if workers == 1 else 4, on_read=ReadProgress(app))


class ReadProgress:
    """``reading accounts 120/301`` on stderr while plan (or apply) reads IAM, on a terminal only,
    rewritten in place and wiped once every account is read: with hundreds of accounts the read is
    what takes time. Nothing in logs, CI or pipes, whose output stays as it was."""

    def __init__(self, app: App) -> None:
        self.stream = app.stderr
        self.shown = getattr(self.stream, "isatty", lambda: False)()

    def __call__(self, done: int, total: int) -> None:
        if not self.shown:
            return
        self.stream.write("\r\x1b[K" if done >= total else f"\rreading accounts {done}/{total}")
        self.stream.flush()


def _change_line(change: Change) -> str:
    symbol, colour = _SYMBOL[change.action]
    label = "drift" if change.drift else change.action
    details = f": {escape(', '.join(change.details))}" if change.details else ""  # (IAM creates and deletes have none)
    return f"  [{colour}]{symbol} {change.kind} {escape(change.name)}[/] ({label}){details}"


def plan_lines(org: Org, plan: Plan, verbose: int = 0) -> list[str]:
    """The plan as people read it, in rich markup: per account, each change coloured, a diff
    under each update (under every change with -v), then leftovers, foreign memberships,
    unowned resources, conflicts and the totals."""
    lines: list[str] = []
    print_ = lines.append  # one line of markup
    calls = sum(plan.api_calls.values())
    print_(f"Plan for org {escape(org.name)}: {len(plan.api_calls)} accounts read with {calls} API calls")
    for account in org.accounts:
        changes = [c for c in plan.changes if c.account == account.name]
        if not changes:
            continue
        scps = any(c.kind in ("scp", "root") for c in changes)
        management = " (management account: accounts and OUs)" if any(c.kind in ("ou", "account")
                                                                        for c in changes) else ""
        management = " (management account: accounts, OUs and SCPs)" if scps else management
        print_(f"\n[bold]{escape(account.name)}[/] ({account.id}){management}")
        for change in changes:
            print_(_change_line(change))
            if verbose or change.action in ("update", "adopt"):
                for what, diff in change.diffs:
                    print_(f"      [dim]{escape(what)}[/]")
                    for line in diff.splitlines():
                        colour = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                        print_(f"      [{colour}]{escape(line)}[/]")
    if plan.kept:
        print_("\nLeftovers: managed by awsroles but no longer in the org file (kept; [bold]--prune[/] "
               "deletes them):")
        for change in plan.kept:
            print_(f"  {escape(change.account)}: {change.kind} {escape(change.name)}")
    if plan.foreign:
        print_("\n[yellow]Memberships in groups awsroles does not manage[/] (drift; "
               "[bold]--remove-foreign-memberships[/] removes them):")
        for finding in plan.foreign:
            print_(f"  {escape(str(finding))}")
    if plan.retained:
        print_("\nMade by awsroles but no longer in the org file (kept: apply never closes or removes an "
               "account, even with [bold]--prune[/]):")
        for finding in plan.retained:
            print_(f"  {escape(str(finding))}")
    if plan.unowned:
        print_("\nAt the awsroles path but not marked as awsroles' (never changed or deleted; "
               "[bold]--adopt[/] takes over those the org file declares):")
        for finding in plan.unowned:
            print_(f"  {escape(str(finding))}")
    for note in plan.notes:
        print_(f"\n[dim]Note: {escape(note)}[/]")
    if plan.conflicts:
        print_("\n[red]Conflicts[/] (apply refuses until they are resolved):")
        for conflict in plan.conflicts:
            print_(f"  {escape(str(conflict))}")
    waiting: list[str] = []
    if any(c.kind == ACCOUNT for c in plan.changes):
        from awsroles.sync.accounts import CREATE_ACCOUNT, RECORD_ID

        waiting = [c.name for c in plan.changes if c.kind == ACCOUNT and any(m in (CREATE_ACCOUNT, RECORD_ID)
                                                                             for m, _ in c.ops)]
    if waiting:
        print_(f"\nIAM in {', '.join(map(escape, waiting))} (and every grant that names them) is planned once apply "
               "has created them and written their ids into the org file; `awsroles apply` does both.")
    if plan.in_sync:
        print_("\nNo changes. AWS matches the org file.")
    elif plan.empty:
        pending = [f"{len(plan.kept)} leftover(s) (--prune)" if plan.kept else "",
                   f"{len(plan.foreign)} foreign membership(s) (--remove-foreign-memberships)" if plan.foreign else ""]
        print_(f"\nNo changes without options, but AWS does not match the org file: "
               f"{', '.join(p for p in pending if p)}.")
    else:
        drift = f", {plan.drifted} of them drift" if plan.drifted else ""
        adopt = f", {plan.count('adopt')} to adopt" if plan.count("adopt") else ""
        print_(f"\nPlan: {plan.count('create')} to create, {plan.count('update')} to update{drift}{adopt}, "
               f"{plan.count('delete')} to delete.")
    return lines


def show_plan(app: App, engine: Engine, plan: Plan) -> None:
    """The plan, in the table form, before apply asks."""
    app.render(Result(plan.as_dict(), markup=plan_lines(engine.org, plan, app.verbose)))


class ApplyProgress:
    """A progress bar on a terminal; one line per change otherwise (logs, CI, pipes)."""

    def __init__(self, app: App, total: int):
        self.app, self.total, self.n = app, total, 0
        self.bar: Any = None
        if getattr(app.stderr, "isatty", lambda: False)():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.description}"), console=console_for(app.stderr), transient=True)
            self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> ApplyProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def note(self, message: str) -> None:
        """A line about a change still running (an account being created), above the bar."""
        if self.bar is None:
            click.echo(f"  {message}", file=self.app.stderr)
        else:
            self.bar.console.print(escape(f"  {message}"))

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
