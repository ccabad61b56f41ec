"""``awsroles migrate identity-center``: move an org from IAM users to IAM Identity Center, by
editing ``[org] identity`` in two steps (library: :mod:`awsroles.people.migrate`)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, LazyGroup, common_options, lazy_commands, pass_app, shown
from awsroles.errors import ExitCode, UsageError
from awsroles.render import FORMATS, Result

if TYPE_CHECKING:
    from awsroles.aws import Aws
    from awsroles.org.edit import Edited
    from awsroles.people.migrate import Finish


@click.group(cls=LazyGroup, lazy_subcommands=lazy_commands("migrate"))
@common_options(forms=FORMATS)  # the global options, also between the group and its command
def migrate() -> None:
    """Move the org to another way for people to reach their roles.

    \b
    Examples:
      awsroles migrate identity-center --dry-run
      awsroles migrate identity-center --finish
    """


def _aws(app: App, profile: str | None) -> Aws:
    from awsroles.aws import for_org

    return for_org(app.load_org(), profile)


def _diff_lines(edited: Edited) -> list[str]:
    from awsroles.cli.planview import escape

    path = shown(edited.path)
    lines = [f"\nThe org file {escape(path)}:"]
    for line in edited.diff().splitlines()[2:]:
        colour = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        lines.append(f"  [{colour}]{escape(line)}[/]")
    return lines


def _audit(aws: Aws, action: str, edited: Edited) -> None:
    from awsroles.people.audit import Auditor

    Auditor(lambda: aws.whoami().arn).record(action, f"org/{edited.org.name}", {
        "file": str(edited.path), "identity": ", ".join(edited.org.identity)})


def _confirm(yes: bool, question: str) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("migrate identity-center --finish needs confirmation: run it in a terminal, or pass --yes; "
                         "nothing was changed")
    return click.confirm(question, default=False, err=True)


@click.command("identity-center")
@common_options
@click.option("--finish", is_flag=True,
              help="The last step: once Identity Center is applied and people have switched, make it the only "
                   "way in (identity = identity-center) and show what `apply --prune` will delete in IAM.")
@click.option("--dry-run", is_flag=True, help="Check and show everything; do not edit the org file.")
@click.option("--yes", "-y", is_flag=True, help="--finish: do not ask for confirmation.")
@click.option("--recent-days", type=click.IntRange(0, 3650), default=7, show_default=True, metavar="DAYS",
              help="--finish: warn about anyone who used their IAM password or keys in the last DAYS days.")
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")
@pass_app
def identity_center(app: App, finish: bool, dry_run: bool, yes: bool, recent_days: int,
                    profile: str | None) -> int:
    """Move the org from IAM users to IAM Identity Center, with people working throughout.

    Without --finish (the start): checks that the org can move (valid with Identity Center's
    rules: every [user] has an email, the Identity Center account has an id, and its instance
    exists), sets `identity = iam-users, identity-center` in the org file (comments and order
    kept) and shows what `awsroles apply` will then create in Identity Center. IAM users keep
    working. Run again, it changes nothing.

    With --finish: refuses unless the org runs both and Identity Center matches the org file
    (nothing left to apply there). Shows who still uses IAM (console password, access keys and
    their last use, MFA devices), warns about anyone who used it in the last --recent-days
    days, asks, then sets `identity = identity-center` and shows what `awsroles apply --prune`
    will delete in IAM and the commands that finish the move. It deletes nothing itself.

    \b
    Examples:
      awsroles migrate identity-center --dry-run
      awsroles migrate identity-center && awsroles apply
      awsroles migrate identity-center --finish
    """
    aws = _aws(app, profile)
    if finish:
        return _finish(app, aws, dry_run, yes, recent_days)
    return _start(app, aws, dry_run)


def _start(app: App, aws: Aws, dry_run: bool) -> int:
    from awsroles.cli.planview import escape, plan_lines
    from awsroles.people.migrate import prepare_start, write

    start = prepare_start(app.org_path, aws)
    path = escape(shown(app.org_path))
    if start.moved:
        app.render(Result(start.as_dict(), markup=[
            f"{path} says identity = identity-center: the org has moved already; nothing to change. "
            "`awsroles migrate identity-center --finish` shows what is left of IAM."]))
        return ExitCode.OK
    lines = [f"Moving org {escape(start.edit.org.name)} from IAM users to IAM Identity Center "
             f"(instance {escape(start.instance_arn)})."]
    if start.already:
        lines.append(f"\n{path} already says identity = iam-users, identity-center: nothing to change.")
    else:
        lines += _diff_lines(start.edit)
    lines += ["\nIn Identity Center:", *plan_lines(start.edit.org, start.plan, app.verbose)]
    written = False
    if not start.already and not dry_run:
        write(start.edit)
        _audit(aws, "migrate.identity-center.start", start.edit)
        written = True
        lines.append(f"\nWrote {path}: identity = iam-users, identity-center (IAM users keep working).")
    elif not start.already:
        lines.append(f"\nDry run: {path} was not changed (run without --dry-run to edit it).")
    lines += ["\nNext:",
              "  1. awsroles apply      creates the above in Identity Center; IAM stays as it is",
              "  2. people sign in through Identity Center (the AWS access portal of the instance; see "
              "docs/identity-center.md) and use it instead of their IAM user",
              "  3. awsroles migrate identity-center --finish      once everyone has switched"]
    app.render(Result({**start.as_dict(), "written": written}, markup=lines))
    return ExitCode.OK


def _finish_lines(app: App, finish: Finish) -> list[str]:
    from awsroles.cli.planview import escape

    lines = []
    if finish.uses:
        lines.append("Who still uses IAM (the IAM users awsroles manages):")
        lines += [f"  {escape(u.name)}: {escape(u.summary())}" for u in finish.uses]
    else:
        lines.append("Nobody: awsroles manages no IAM user.")
    if finish.moved:
        lines.append(f"\n{escape(shown(app.org_path))} says identity = identity-center already: nothing to change.")
    else:
        lines += _diff_lines(finish.edit)
    if finish.removals:
        lines.append("\nThen `awsroles apply --prune` deletes in IAM (nothing else of IAM is touched):")
        accounts: dict[str, list[str]] = {}
        for change in finish.removals:
            accounts.setdefault(f"{change.account} ({change.account_id})", []).append(f"{change.kind} {change.name}")
        lines += [f"  [red]{escape(account)}: {escape(', '.join(items))}[/]" for account, items in accounts.items()]
    else:
        lines.append("\nNothing of awsroles' is left in IAM.")
    return lines


def _finish(app: App, aws: Aws, dry_run: bool, yes: bool, recent_days: int) -> int:
    from awsroles.cli.planview import escape
    from awsroles.people.migrate import prepare_finish, write

    finish = prepare_finish(app.org_path, aws, now=datetime.now(timezone.utc), recent_days=recent_days)
    for use in finish.recent:
        app.warn(f"warning: {use.name} used IAM in the last {recent_days} days ({use.summary()}): make sure they "
                 "sign in through Identity Center before their IAM user goes")
    lines = _finish_lines(app, finish)
    written = False
    if not finish.moved and not dry_run:
        if app.output != "json":
            app.render(Result(None, markup=lines))
            lines = []
        question = (f"\nMake Identity Center the only way in ({shown(app.org_path)}: identity = identity-center)? "
                    "Nothing is deleted until `awsroles apply --prune`.")
        if not _confirm(yes, question):
            app.warn("Nothing was changed.")
            return ExitCode.INTERRUPTED
        write(finish.edit)
        _audit(aws, "migrate.identity-center.finish", finish.edit)
        written = True
        lines.append(f"\nWrote {escape(shown(app.org_path))}: identity = identity-center.")
    elif not finish.moved:
        lines.append(f"\nDry run: {escape(shown(app.org_path))} was not changed (run without --dry-run to edit it).")
    steps = finish.next_steps()
    if steps:
        lines.append("\nNext:" if written or finish.moved else "\nThen:")
        if finish.to_offboard:
            lines.append("  Offboard from IAM those who still hold IAM credentials (they keep their Identity Center "
                         "user and their place in the org file):")
        lines += [f"    {escape(step)}" for step in steps]
    if finish.caller and finish.caller in {c.name for c in finish.removals if c.kind == "user"}:
        lines.append(f"\n[yellow]You are signed in as IAM user {escape(finish.caller)}, which those commands "
                     "remove: run them with your Identity Center sign-in (--profile), or ask another admin.[/]")
    app.render(Result({**finish.as_dict(), "written": written}, markup=lines))
    return ExitCode.OK
