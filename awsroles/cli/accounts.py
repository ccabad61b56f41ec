"""``awsroles accounts close NAME``: close an account awsroles made, deliberately (docs/accounts.md)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.errors import ExitCode, UsageError
from awsroles.render import PLAIN_FORMS, Result


@click.group()
@common_options(forms=PLAIN_FORMS)  # the global options, also between the group and its command
def accounts() -> None:
    """The organization's accounts, beyond what apply does: closing one (docs/accounts.md).

    \b
    Example:
      awsroles accounts close sandbox-42 --dry-run
    """


@accounts.command()
@common_options
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")
@click.option("--confirm", "confirmed", metavar="NAME",
              help="The account's name, typed back in advance: close without asking (scripts; no terminal).")
@click.option("--dry-run", is_flag=True, help="Show what closing would do, and close nothing.")
@click.argument("name")
@pass_app
def close(app: App, profile: str | None, confirmed: str | None, dry_run: bool, name: str) -> int:
    """Close the account NAME (or its 12-digit id), after showing what AWS will do.

    Only an active member account that awsroles made or adopted (it carries awsroles' mark for
    this org) and that the org file no longer declares; never the management account. apply never
    closes an account, not even with --prune: this is the one way awsroles does.

    It shows the account (name, id, e-mail, OU) and what AWS does when it closes one, then asks
    for the account's name, typed back. Without a terminal, --confirm NAME is required.

    \b
    Examples:
      awsroles accounts close sandbox-42 --dry-run
      awsroles accounts close sandbox-42
      awsroles accounts close sandbox-42 --confirm sandbox-42 -o json
    """
    from awsroles.accounts.close import (
        API_DOC,
        GUIDE,
        POST_CLOSURE_DAYS,
        NotConfirmed,
        closable,
        close_account,
        reopen_until,
    )
    from awsroles.accounts.state import read_organization
    from awsroles.cli.planview import engine_for

    engine = engine_for(app, profile, 1)
    management = engine.org.management
    orgs = engine.organizations()
    closing = closable(engine.org, read_organization(orgs, f"the management account {management.name} "
                                                            f"({management.id})"), name)
    account = closing.account
    if confirmed is not None and confirmed != account.name:
        raise UsageError(f"--confirm {confirmed} is not the name of {closing.label}: nothing was closed")
    app.say(f"Closing account {account.name} ({account.id}), in the organization of {closing.management}:")
    app.say(f"  e-mail  {account.email}")
    app.say(f"  OU      {account.parent or '(the root)'}")
    app.say(f"  status  {account.status}")
    app.say("What AWS does when it closes an account:")
    for line in closing.consequences():
        app.say(f"  - {line}")
    app.say(f"  ({GUIDE}, {API_DOC})")
    if dry_run:
        app.say("Dry run: nothing was closed.")
        if app.output == "json":
            app.render(Result({**closing.as_dict(), "closed": False, "dry_run": True}))
        return ExitCode.OK
    if confirmed is None:
        if not sys.stdin.isatty():
            raise UsageError(f"closing {closing.label} needs its name typed back: run it in a terminal, or pass "
                             f"--confirm {account.name}")
        typed = str(click.prompt(f"\nType the account's name ({account.name}) to close it", default="",
                                 show_default=False, err=True)).strip()
        if typed != account.name:
            raise NotConfirmed(f"you typed {typed!r}, not {account.name!r}: nothing was closed")
    status = close_account(orgs, closing)
    until = reopen_until(datetime.now(timezone.utc).date())
    later = "it becomes SUSPENDED within minutes; " if status == "PENDING_CLOSURE" else ""
    app.render(Result({**closing.as_dict(), "status": status, "closed": True, "reopen_until": until.isoformat()},
                      notes=[f"\nClosed {closing.label}: it is {status} now; {later}AWS Support can reopen it until "
                             f"{until.isoformat()} ({POST_CLOSURE_DAYS} days)."]))
    return ExitCode.OK
