"""What the commands that edit the org file share (grant, revoke, team, request, approve): the
options that say whether to plan and apply, and :func:`edit_then_plan`, which makes the edit,
records it in the audit log, then shows (and with --apply, applies) the resulting plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, F
from awsroles.errors import AwsrolesError, ExitCode

if TYPE_CHECKING:
    from awsroles.org.model import Org
    from awsroles.people import audit
    from awsroles.sync.engine import Engine


def plan_options(command: F) -> F:
    command = click.option("--prune", is_flag=True,
                           help="Also delete what awsroles manages but the org file no longer declares "
                                "(e.g. a role no team is granted any more).")(command)
    command = click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")(command)
    command = click.option("--no-plan", is_flag=True,
                           help="Only edit the org file; do not contact AWS (run `awsroles plan` later).")(command)
    return click.option("--apply", "apply_", is_flag=True,
                        help="Apply the resulting plan (like `awsroles apply --yes`).")(command)


def edit_then_plan(app: App, *, action: str, target: str, details: dict[str, object],
                   edit: Callable[[], Org], already: bool, already_message: str, apply_: bool, no_plan: bool,
                   profile: str | None, prune: bool, after_edit: Callable[[Org], None] | None = None,
                   engine: Engine | None = None,
                   before_plan: Callable[[Engine, audit.Auditor], None] | None = None,
                   rerun: bool = True) -> int:
    """Make the edit, record it, then show the plan (with ``apply_``, apply it). ``rerun``: whether
    running the same command again with --apply would apply it (not for one-time edits: approve)."""
    from awsroles.cli.planview import ApplyProgress, engine_for, show_plan
    from awsroles.people import audit
    from awsroles.render import Result

    path = app.org_path
    details = {**details, "file": str(path)}
    org: Org | None = None
    if already:
        app.say(already_message)
        edit()  # validates the file and the names; writes nothing
        if no_plan:
            return ExitCode.OK
    else:
        org = edit()
    actor = audit.local_actor()
    aws_error: BaseException | None = None
    if not no_plan:
        try:
            engine = engine or engine_for(app, profile, 8)
            actor = engine.aws.whoami().arn
        except Exception as exc:
            aws_error = exc
    auditor = audit.Auditor(actor)  # every line it writes is printed with --output json
    try:
        if not already:
            auditor.record(action, target, details)
            app.say(f"Changed {path}: {action} {target} " + " ".join(f"{k}={v}" for k, v in details.items()
                                                                      if k != "file"))
            if after_edit is not None and org is not None:
                after_edit(org)
        if no_plan:
            app.say("AWS was not contacted: run `awsroles plan` to see, `awsroles apply` to make the change.")
            return ExitCode.OK
        if aws_error is not None or engine is None:
            changed = "was not changed" if already else "was changed"
            app.warn(f"The org file {path} {changed}, but AWS could not be reached: run `awsroles plan` "
                     "and `awsroles apply` once it can be.")
            raise aws_error or AwsrolesError("AWS could not be reached")
        if before_plan is not None:
            before_plan(engine, auditor)
        plan = engine.plan(prune=prune)
        if app.output != "json":
            app.say()
            show_plan(app, engine, plan)
        if not apply_:
            if plan.changes:
                again = " (or this command with --apply)" if rerun else ""
                app.say(f"\nRun `awsroles apply`{again} to make these changes.")
            return ExitCode.OK
        if plan.conflicts:
            raise AwsrolesError(f"{len(plan.conflicts)} conflict(s) with resources awsroles does not manage; "
                                "the org file was changed but nothing in AWS was")
        if not plan.changes:
            return ExitCode.OK
        with ApplyProgress(app, len(plan.changes)) as progress:
            result = engine.apply(plan, on_step=progress)
        accounts = {a.name: a.id for a in engine.org.accounts}
        for step in result.steps:
            if step.status == "done":
                change = step.change
                auditor.record(f"apply.{change.action}", f"{change.kind} {change.name}",
                               {"account_name": change.account, "because": f"{action} {target}"},
                               account=accounts.get(change.account))
        if engine.recorded:  # accounts created on the way: IAM in them is the next apply's
            app.say(f"Wrote the ids of {', '.join(engine.recorded)} into {path}: run `awsroles apply` for IAM in "
                    f"{'it' if len(engine.recorded) == 1 else 'them'}.")
        if result.ok:
            from awsroles.sync.apply import changes_made

            app.say(f"Apply complete: {changes_made(result.count('done'))}.")
            return ExitCode.OK
        for step in result.steps:
            if step.status in ("failed", "skipped"):
                app.warn(f"  {step.change.account}: {step.change.action} {step.change.kind} {step.change.name}: "
                         f"{step.status}: {step.error}")
        app.warn("Apply incomplete: run `awsroles apply` again once the cause is fixed.")
        return ExitCode.FAILURE
    finally:  # JSON lines, the audit log's own format (the table form said it as it went)
        app.render(Result(auditor.records, json_lines=True))
