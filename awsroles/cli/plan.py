"""``awsroles plan`` and ``awsroles apply``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, F, common_options, pass_app
from awsroles.cli.planview import ApplyProgress, engine_for, plan_lines, show_plan, show_result
from awsroles.errors import AwsrolesError, ExitCode, UsageError
from awsroles.render import Result

if TYPE_CHECKING:
    from awsroles.sync.apply import ApplyResult
    from awsroles.sync.plan import PlanOptions

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
    and, with --prune, deletes. When the org file declares accounts without an id, or OUs, it
    reads the organization too and shows the accounts and OUs to create or move (docs/accounts.md).

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
    saved = [f"\nSaved the plan to {out}: `awsroles apply {out}` applies exactly this plan."] if out else []
    app.render(Result(result.as_dict(), markup=plan_lines(engine.org, result, app.verbose), notes=saved))
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

    Accounts declared without an id are created first (through AWS Organizations, in the
    management account), their ids written into the org file; then IAM in them is planned and
    applied too (asked for again without --yes). No account is ever closed or removed.

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
    with ApplyProgress(app, len(plan_.changes)) as progress:
        result = engine.apply(plan_, on_step=progress, progress=progress.note)
    table = app.output != "json"
    if table:
        show_result(app, result)
    recorded = dict(engine.recorded)
    if recorded:
        names = ", ".join(f"{name} ({account_id})" for name, account_id in recorded.items())
        app.say(f"\nWrote the ids of {names} into {app.org_path}.")
    from awsroles.sync.apply import ApplyResult

    steps = list(result.steps)
    if result.ok and recorded and plan_file is not None:
        app.say("IAM in those accounts is not in the saved plan: run `awsroles plan`, then `awsroles apply`.")
    elif result.ok and recorded:
        second = _after_new_accounts(app, plan_.options, profile, workers, yes)
        steps += second.steps if second is not None else []
    done = ApplyResult(steps)
    if not table:
        app.render(Result({**done.as_dict(), "recorded": recorded}))
    return ExitCode.OK if done.ok else ExitCode.FAILURE


def _after_new_accounts(app: App, options: PlanOptions, profile: str | None, workers: int,
                        yes: bool) -> ApplyResult | None:
    """Accounts were created (or found) and their ids written into the org file: IAM in them, and
    the grants that name them, can now be planned; apply that second plan (asking first, unless
    --yes). None when nothing was applied."""
    app.say("Planning IAM in them now that they exist:")
    then = engine_for(app, profile, workers)
    plan_ = then.plan(options=options)
    if app.output != "json":
        show_plan(app, then, plan_)
    if plan_.conflicts:
        raise AwsrolesError(f"{len(plan_.conflicts)} conflict(s) with resources awsroles does not manage; "
                            "the accounts were made, nothing else was changed")
    if not plan_.changes:
        return None
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("apply needs confirmation: run it in a terminal, or pass --yes")
        if not click.confirm("\nApply these changes too?", default=False, err=True):
            app.warn("The accounts were made; nothing else was changed: run `awsroles apply` to finish.")
            return None
    with ApplyProgress(app, len(plan_.changes)) as progress:
        result = then.apply(plan_, on_step=progress, progress=progress.note)
    if app.output != "json":
        show_result(app, result)
    return result
