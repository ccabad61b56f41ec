"""``awsroles users list|show|create|disable|offboard``: people's lifecycle in the ops account."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.complete import complete_teams, complete_users
from awsroles.errors import ExitCode, UsageError
from awsroles.render import TABLE_FORMS, Result, Table

if TYPE_CHECKING:
    from awsroles.people.audit import Auditor
    from awsroles.people.listing import UserRow
    from awsroles.people.users import Step
    from awsroles.sync.end_sessions import SessionEnd
    from awsroles.sync.end_sessions_ic import PermissionSetEnd
    from awsroles.sync.engine import Engine

_profile = click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")


def _engine(app: App, profile: str | None) -> tuple[Engine, Any]:
    from awsroles.cli.planview import engine_for

    engine = engine_for(app, profile, 8)
    return engine, engine.iam(engine.org.ops)


def _auditor(engine: Engine) -> Auditor:
    """The audit trail of a users command: as the caller, in the ops account."""
    from awsroles.people.audit import Auditor

    return Auditor.of(engine.aws, engine.org.ops.id)


def _confirm(yes: bool, what: str, question: str) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{what} needs confirmation: run it in a terminal, or pass --yes")
    return click.confirm(question, default=False, err=True)


def _check_name(name: str, *, new: bool = True) -> None:
    """A usage error, before any AWS call, for a name IAM (or, for a new person, STS) cannot use."""
    from awsroles.org.names import check_iam_user_name, check_user_name

    problem = check_user_name(name) if new else check_iam_user_name(name)
    if problem is not None:
        raise UsageError(f"{problem}; nothing changed")


def _yesno(value: bool) -> str:
    return "yes" if value else "no"


def _keys_text(row: UserRow) -> str:
    return ", ".join(f"{k.id} {k.status} {k.age_days}d" + (" OLD" if k.old else "") for k in row.keys) or "-"


def _user_columns(row: UserRow) -> list[str]:
    where = "both" if row.in_org and row.in_aws else "org file only" if row.in_org else (
        "AWS only" if row.managed else "AWS (unmanaged)")
    return [row.name, row.path, ",".join(row.teams) or "-", _yesno(row.console), _yesno(row.mfa), _keys_text(row),
            where]


_COLUMNS = ("user", "path", "teams", "console", "mfa", "keys", "where")


@click.command("list")
@common_options(forms=TABLE_FORMS)
@_profile
@pass_app
def list_(app: App, profile: str | None) -> int:
    """Every IAM user in the ops account: teams, console access, MFA, access keys.

    Flags users in AWS (under the org's path) but missing from the org file and the reverse,
    and access keys older than 90 days (warnings on stderr).

    \b
    Example:
      awsroles users list
      awsroles users list -o json | jq '.[] | select(.mfa == false) | .name'
      awsroles users list -o csv > users.csv
    """
    from awsroles.people.listing import list_users

    engine, iam = _engine(app, profile)
    rows = list_users(engine.org, iam)
    csv_rows = [[r.name, r.path, " ".join(r.teams), _yesno(r.console), _yesno(r.mfa), str(len(r.keys)),
                 str(max((k.age_days for k in r.keys), default="")), _yesno(r.in_org), _yesno(r.in_aws)]
                for r in rows]
    app.render(Result(
        [r.as_dict() for r in rows],
        tables=[Table(_COLUMNS, [_user_columns(r) for r in rows], title=f"Users in {engine.org.ops_account}")],
        csv=Table(("user", "path", "teams", "console", "mfa", "keys", "oldest_key_days", "in_org", "in_aws"),
                  csv_rows),
    ))
    for row in rows:
        for warning in row.warnings:
            app.warn(f"warning: {warning}")
    return ExitCode.OK


@click.command()
@common_options(forms=TABLE_FORMS)
@_profile
@click.argument("name", shell_complete=complete_users)
@pass_app
def show(app: App, profile: str | None, name: str) -> int:
    """One user: teams, console access, MFA, access keys, and where they are known.

    \b
    Example:
      awsroles users show alice
      awsroles users show alice -o json
    """
    from awsroles.people.listing import get_user_row

    _check_name(name, new=False)
    engine, iam = _engine(app, profile)
    row = get_user_row(engine.org, iam, name)
    keys = Table(("key", "status", "age (days)", "last used"),
                 [[k.id, k.status, str(k.age_days), k.last_used or "never"] for k in row.keys], title="Access keys")
    summary = Table(("field", "value"), [[c, v] for c, v in zip(_COLUMNS, _user_columns(row), strict=True)], title=name)
    app.render(Result(row.as_dict(), tables=[summary, keys] if row.keys else [summary], csv=summary))
    for warning in row.warnings:
        app.warn(f"warning: {warning}")
    return ExitCode.OK


@click.command()
@common_options
@_profile
@click.argument("name")
@click.option("--team", "teams", multiple=True, required=True, metavar="TEAM", shell_complete=complete_teams,
              help="A team to join (repeatable).")
@click.option("--console", is_flag=True, help="Also create a temporary console password (shown once).")
@click.option("--email", metavar="EMAIL", help="The person's email, kept in the org file and as a tag.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def create(app: App, profile: str | None, name: str, teams: Sequence[str], console: bool, email: str | None,
           yes: bool) -> int:
    """Add a person: to the org file (comments kept), then as an IAM user in ops in their teams.

    With --console, a strong temporary password is generated and shown once; it must be changed
    at first sign-in and is never logged nor written anywhere. Without a terminal, --yes is required.

    \b
    Example:
      awsroles users create carol --team backend --email carol@acme.example --yes
      awsroles users create dave --team platform --team backend --console
    """
    from awsroles.people.users import create_user

    _check_name(name)
    engine, _iam = _engine(app, profile)
    if not _confirm(yes, "users create", f"Create user {name} in teams {', '.join(teams)}?"):
        app.warn("Nothing was changed.")
        return ExitCode.OK
    with _auditor(engine).if_stopped("users.create", name):
        created = create_user(app.org_path, engine.org, engine.aws, name, teams=teams, email=email,
                              console=console)
    data: dict[str, object] = {"name": created.name, "arn": created.arn, "teams": list(created.teams),
                               "groups": list(created.groups), "console": created.console,
                               "resumed": created.resumed}
    # The password is shown before anything else can fail: it is set, and never shown again.
    verb = "Finished creating" if created.resumed else "Created"
    notes = [f"{verb} user {created.name} ({created.arn}) in groups {', '.join(created.groups)}."]
    if created.password is not None:
        data["password"] = created.password
        data["password_reset_required"] = True
        notes.append(f"Temporary console password (shown once, must be changed at first sign-in): {created.password}")
    app.render(Result(data, notes=notes))
    _auditor(engine).record("users.create", name, {"teams": list(created.teams), "groups": list(created.groups),
                                                   "console": created.console, "email": email or "",
                                                   "resumed": created.resumed})
    return ExitCode.OK


@click.command()
@common_options
@_profile
@click.argument("name", shell_complete=complete_users)
@pass_app
def disable(app: App, profile: str | None, name: str) -> int:
    """Reversibly cut a person off: deactivate their access keys, remove their console password,
    and end their role sessions already issued.

    Their sessions of every role they could assume are refused at once (a deny on
    aws:TokenIssueTime for them in each role's awsroles-revoked-sessions policy, removed by a later
    plan once the role's max_session has passed; in an org on Identity Center too, in each
    permission set they may use there). MFA devices and team memberships stay; the org
    file is not changed. `awsroles users enable` undoes the rest (the keys it deactivated, and a
    new console password); sessions started after the disable are not affected. In an org on
    Identity Center alone it refuses (exit 2): the Identity Store API cannot disable a user.

    \b
    Example:
      awsroles users disable bob
    """
    from awsroles.people.suspend import disable as disable_user

    _check_name(name, new=False)
    engine, iam = _engine(app, profile)
    if not engine.org.uses_iam_users:
        raise UsageError(f"users disable cuts off an IAM user; in an org on Identity Center alone, disable {name} in "
                         "the IAM Identity Center console (Users, the user, Disable user access: the Identity Store "
                         f"API cannot), or run `awsroles users offboard {name}`, which ends their sessions and "
                         "deletes their Identity Center user; nothing changed")
    with _auditor(engine).if_stopped("users.disable", name):
        steps = disable_user(engine.org, iam, name)
        ended = _end_sessions(app, engine, name)
    _auditor(engine).record("users.disable", name, {"steps": [s.description for s in steps],
                                                    "sessions_ended": [e.as_dict() for e in ended if not e.skipped]})
    _show_steps(app, name, steps, "Disabled", ended=ended)
    return ExitCode.OK


@click.command()
@common_options
@_profile
@click.argument("name", shell_complete=complete_users)
@pass_app
def enable(app: App, profile: str | None, name: str) -> int:
    """Undo `users disable`: the access keys it deactivated active again, and a new console password.

    Only the keys `users disable` deactivated (recorded on the user) are made active; a key made
    inactive otherwise stays so. Where the org file gives NAME the console, a new temporary
    password is shown once (to be changed at first sign-in): IAM keeps no deleted password.

    \b
    Example:
      awsroles users enable bob
    """
    from awsroles.people.suspend import enable as enable_user

    _check_name(name, new=False)
    engine, iam = _engine(app, profile)
    with _auditor(engine).if_stopped("users.enable", name):
        steps, password = enable_user(engine.org, iam, name)
    _auditor(engine).record("users.enable", name, {"steps": [s.description for s in steps],
                                                   "console": "a new temporary password" if password else "unchanged"})
    notes = [f"Enabled {name}:" if steps or password else
             f"Enabled {name}: nothing to do (no key disabled by `users disable`, console as the org file says)."]
    notes += [f"  - {step.description}" for step in steps]
    if password:
        notes.append(f"  - a new temporary console password (shown once, must be changed at first sign-in): "
                     f"{password}")
    app.render(Result({"user": name, "steps": [s.as_dict() for s in steps], "console_password": password},
                      notes=notes))
    return ExitCode.OK


def _end_sessions(app: App, engine: Engine, name: str, *,
                  dry_run: bool = False) -> list[SessionEnd | PermissionSetEnd]:
    """End ``name``'s sessions of every role their teams grant, now (with ``dry_run``: only say so):
    in each role (the iam-users backend) and, in an org whose people are in Identity Center too, in
    each permission set they may use there."""
    from datetime import datetime, timezone

    from awsroles.sync.end_sessions import prepare, roles_of, write

    org, now = engine.org, datetime.now(timezone.utc)
    ended: list[SessionEnd | PermissionSetEnd] = []
    if org.uses_iam_users:
        prepared = prepare(org, engine.iam, roles_of(org, name), [name], now)
        if not dry_run:
            write(org, engine.iam, prepared)
        ended += prepared
    else:  # Identity Center alone: their break-glass roles' sessions say nobody's name: every one ends
        from awsroles.iam.revocations import EVERYONE

        glass = [(g.environment, g.role) for g in org.break_glass if name in g.people]
        prepared = prepare(org, engine.iam, glass, [EVERYONE], now) if glass else []
        if not dry_run:
            write(org, engine.iam, prepared)
        ended += prepared
    if org.uses_identity_center:
        from awsroles.sync import end_sessions_ic

        runner = engine.identity_center_runner(app.warn)
        prepared_ic = end_sessions_ic.prepare(org, runner, end_sessions_ic.permission_sets_of(org, name), [name], now)
        if not dry_run:
            end_sessions_ic.write(runner, prepared_ic)
        ended += prepared_ic
    return ended


def _show_steps(app: App, name: str, steps: Sequence[Step], verb: str, extra: Sequence[str] = (),
                ended: Sequence[SessionEnd | PermissionSetEnd] = (), identity_center: Sequence[str] = ()) -> None:
    sessions = [f"end sessions: {e.description}" for e in ended]
    notes = [f"{verb} {name}:" if steps or extra or sessions or identity_center else f"{verb} {name}: nothing to do."]
    notes += [f"  - {line}" for line in sessions]
    notes += [f"  - {step.description}" for step in steps]
    notes += [f"  - {line}" for line in identity_center]
    notes += [f"  - {line}" for line in extra]
    app.render(Result({"user": name, "steps": [s.as_dict() for s in steps], "org_file": list(extra),
                       "identity_center": list(identity_center),
                       "sessions_ended": [e.as_dict() for e in ended if not e.skipped]}, notes=notes))


@click.command()
@common_options
@_profile
@click.argument("name", shell_complete=complete_users)
@click.option("--dry-run", is_flag=True, help="List the steps; change nothing.")
@click.option("--keep-in-file", is_flag=True,
              help="Remove the IAM user only; keep the person in the org file (an org moving to Identity "
                   "Center: they keep their Identity Center user).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def offboard(app: App, profile: str | None, name: str, dry_run: bool, keep_in_file: bool, yes: bool) -> int:
    """Remove a person for good: their role sessions already issued, credentials, MFA devices,
    memberships, policies, the IAM user, their Identity Center user and its group memberships (in
    an org on Identity Center), and their entry in the org file (with --keep-in-file, not their
    entry nor their Identity Center user).

    Their sessions of every role they could assume are refused at once (a deny on
    aws:TokenIssueTime for them in each role's awsroles-revoked-sessions policy; in an org on
    Identity Center too, in each permission set they may use there).

    Refuses to offboard yourself or the last member of a team granted an admin role (one with
    AdministratorAccess; with --keep-in-file in an org on Identity Center alone, they keep it
    there). Without a terminal, --yes is required.

    \b
    Example:
      awsroles users offboard bob --dry-run
      awsroles users offboard bob --yes
      awsroles users offboard bob --keep-in-file --yes
    """
    from awsroles.people.users import check_file_removal, check_offboard, offboard_steps
    from awsroles.people.users import offboard as offboard_user

    _check_name(name, new=False)
    engine, iam = _engine(app, profile)
    org = engine.org
    check_offboard(org, engine.aws.whoami().person, name, keep_in_file=keep_in_file)
    check_file_removal(app.org_path, org, name, keep_in_file=keep_in_file)
    steps = offboard_steps(org, iam, name)
    in_file = any(u.name == name for u in org.users) and not keep_in_file
    ending = _end_sessions(app, engine, name, dry_run=True)
    extra = [f"remove {name} from the org file {app.org_path}"] if in_file else []
    in_identity_center: list[str] = []
    if org.uses_identity_center and not keep_in_file:
        from awsroles.sync import offboard_ic

        in_identity_center = offboard_ic.prepare(org, engine.identity_center_runner(app.warn), name).descriptions
    if dry_run:
        _show_steps(app, name, steps, "Would offboard", extra, ending, in_identity_center)
        return ExitCode.OK
    if not yes:
        _show_steps(app, name, steps, "Offboarding", extra, ending, in_identity_center)
    if not _confirm(yes, "users offboard", f"Offboard {name}? This cannot be undone."):
        app.warn("Nothing was changed.")
        return ExitCode.OK
    with _auditor(engine).if_stopped("users.offboard", name):
        ended = _end_sessions(app, engine, name)  # first: the sessions end before anything else changes
        done = offboard_user(app.org_path, org, engine.aws, name, keep_in_file=keep_in_file)
    _auditor(engine).record("users.offboard", name, {"steps": [s.description for s in done.steps],
                                                     "identity_center": list(done.identity_center),
                                                     "removed_from_file": done.removed_from_file,
                                                     "sessions_ended": [e.as_dict() for e in ended if not e.skipped]})
    _show_steps(app, name, done.steps, "Offboarded", extra, ended, done.identity_center)
    return ExitCode.OK
