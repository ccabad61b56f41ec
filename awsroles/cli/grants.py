"""``awsroles grant``, ``awsroles revoke`` and ``awsroles team add|remove``: edit the org file, then
show (and with --apply, apply) the resulting plan. Every edit and every applied change is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.complete import (
    complete_org_environments,
    complete_org_roles,
    complete_team_roles,
    complete_teams,
    complete_users,
)
from awsroles.cli.orgedits import edit_then_plan, plan_options
from awsroles.errors import ExitCode, UsageError
from awsroles.org.durations import format_duration
from awsroles.render import FORMATS

if TYPE_CHECKING:
    from awsroles.org.model import Org
    from awsroles.people import audit
    from awsroles.sync.end_sessions import SessionEnd
    from awsroles.sync.end_sessions_ic import PermissionSetEnd
    from awsroles.sync.engine import Engine


@click.command()
@common_options
@plan_options
@click.option("--for", "for_", metavar="DURATION",
              help="Grant for a while only (15m to 7d: 4h, 90m, 1d): a [temporary ID] section whose IAM statement "
                   "ends by itself (IAM checks aws:CurrentTime). Needs --reason.")
@click.option("--reason", metavar="TEXT", help="Why (one line: an incident or ticket); required with --for.")
@click.option("--user", "user", metavar="NAME", shell_complete=complete_users,
              help="Grant one person instead of a team (with --for): then the arguments are ENV ROLE.")
@click.argument("team", required=False, shell_complete=complete_teams)
@click.argument("environment", metavar="ENV", required=False, shell_complete=complete_org_environments)
@click.argument("role", required=False, shell_complete=complete_org_roles)
@pass_app
def grant(app: App, team: str | None, environment: str | None, role: str | None, for_: str | None,
          reason: str | None, user: str | None, apply_: bool, no_plan: bool, profile: str | None, prune: bool) -> int:
    """Grant TEAM the role ROLE in environment ENV: edit the org file, then show the plan.

    The org file keeps its comments and layout; the edit is validated before it is written.
    With --apply the plan is applied. Each edit and each applied change goes to the audit log.

    With --for the grant is temporary: a [temporary ID] section with `until` (and the reason, and
    who granted it), and in IAM a statement bounded by aws:CurrentTime, so access ends on time even
    if awsroles never runs again. `awsroles revoke --temporary ID` ends it early.

    \b
    Example:
      awsroles grant backend stage readonly
      awsroles grant backend stage readonly --apply
      awsroles grant backend stage readonly --no-plan
      awsroles grant backend prod readonly --for 4h --reason INC-1234
      awsroles grant --user bob prod readonly --for 2h --reason INC-1234 --apply
    """
    if user is not None:  # grant --user NAME ENV ROLE
        if role is not None:
            raise UsageError("with --user, give ENV ROLE only (no TEAM)")
        team, environment, role = None, team, environment
    if environment is None or role is None:
        raise UsageError("missing arguments: TEAM ENV ROLE (or --user NAME ENV ROLE)")
    if for_ is not None or user is not None:
        return _grant_temporary(app, team, user, environment, role, for_, reason, apply_=apply_, no_plan=no_plan,
                                profile=profile, prune=prune)
    if reason is not None:
        raise UsageError("--reason goes with --for (a temporary grant)")
    assert team is not None
    current = app.load_org()
    already = any(g.environment == environment and g.role == role
                  for t in current.teams if t.name == team for g in t.grants)
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit

    return edit_then_plan(
        app, action="grant", target=f"team/{team}", details={"environment": environment, "role": role},
        edit=lambda: orgedit.grant(app.org_path, team, environment, role, checks=ORG_CHECKS), already=already,
        already_message=f"Team '{team}' is already granted role '{role}' in {environment}: nothing to change.",
        apply_=apply_, no_plan=no_plan, profile=profile, prune=prune)


def _grant_temporary(app: App, team: str | None, user: str | None, environment: str, role: str, for_: str | None,
                     reason: str | None, *, apply_: bool, no_plan: bool, profile: str | None, prune: bool) -> int:
    from datetime import datetime, timedelta, timezone

    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit
    from awsroles.org.entries import TemporaryGrant
    from awsroles.org.temporary import format_time, grant_id, window

    if for_ is None:
        raise UsageError("--user grants are temporary: give --for DURATION and --reason TEXT")
    try:
        seconds = window(for_)
    except ValueError as exc:
        raise UsageError(f"--for: {exc}") from None
    if not reason or not reason.strip() or "\n" in reason:
        raise UsageError("--for needs --reason TEXT (one line: why, e.g. an incident number)")
    current = app.load_org()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    holder = f"team/{team}" if team else f"user/{user}"
    taken = {g.id for g in current.temporary_grants}
    grant = TemporaryGrant(grant_id(now, team or user or "", environment, taken), environment, role,
                           now + timedelta(seconds=seconds), reason.strip(), team=team or "", user=user or "",
                           granted_by=_granted_by(current, profile, no_plan))
    return edit_then_plan(
        app, action="grant.temporary", target=holder,
        details={"id": grant.id, "environment": environment, "role": role, "until": format_time(grant.until),
                 "reason": grant.reason, "granted_by": grant.granted_by},
        edit=lambda: orgedit.add_temporary(app.org_path, grant, checks=ORG_CHECKS), already=False,
        already_message="", apply_=apply_, no_plan=no_plan, profile=profile, prune=prune,
        rerun=False)  # the same command again would add a second grant


def _granted_by(org: Org, profile: str | None, no_plan: bool) -> str:
    """Who grants: the caller's AWS identity (the last part of its ARN) when AWS is to be contacted
    and answers, else the local user name."""
    if not no_plan:
        try:
            from awsroles.aws import for_org

            return for_org(org, profile).whoami().arn.rsplit("/", 1)[-1]
        except Exception:  # who granted is a note; AWS errors surface with the plan
            pass
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@click.command()
@common_options
@plan_options
@click.option("--temporary", "temporary", metavar="ID",
              help="Revoke the temporary grant ID (remove its [temporary ID] section) instead of TEAM ENV ROLE.")
@click.option("--end-sessions", is_flag=True,
              help="Also end the team members' sessions of ROLE in ENV already issued, at once (a deny on "
                   "aws:TokenIssueTime in the role's awsroles-revoked-sessions policy; in IAM Identity Center, in "
                   "the permission set's inline policy).")
@click.option("--yes", "-y", is_flag=True, help="With --end-sessions: do not ask for confirmation.")
@click.argument("team", required=False, shell_complete=complete_teams)
@click.argument("environment", metavar="ENV", required=False, shell_complete=complete_org_environments)
@click.argument("role", required=False, shell_complete=complete_team_roles)
@pass_app
def revoke(app: App, team: str | None, environment: str | None, role: str | None, temporary: str | None,
           apply_: bool, no_plan: bool, profile: str | None, prune: bool, end_sessions: bool, yes: bool) -> int:
    """Revoke the role ROLE in environment ENV from TEAM: edit the org file, then show the plan.

    The revocation takes effect in AWS on apply. Sessions already issued for the role stay valid
    until they expire (at most the role's max_session), unless --end-sessions: then every session
    of the team's members for that role, issued before now, is refused at once, through a deny
    statement awsroles adds to the role (and removes once the longest session could have expired).
    It shows what it will do and asks, unless --yes.

    With --temporary ID, the temporary grant ID is revoked: its section leaves the org file and, on
    apply, its statement leaves IAM (an expired one is already ignored by IAM).

    \b
    Example:
      awsroles revoke backend stage readonly
      awsroles revoke backend stage readonly --apply
      awsroles revoke --temporary t-20261129-1402-backend-stage --apply
      awsroles revoke backend stage readonly --apply --end-sessions --yes
    """
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit

    if temporary is not None and end_sessions:
        raise UsageError("--end-sessions is for TEAM ENV ROLE; a temporary grant ends by itself at its until")
    if temporary is not None:
        if team is not None:
            raise UsageError("--temporary ID takes no TEAM ENV ROLE")
        found = next((g for g in app.load_org().temporary_grants if g.id == temporary), None)
        details: dict[str, object] = {"id": temporary}
        if found is not None:
            details |= {"environment": found.environment, "role": found.role}
        return edit_then_plan(
            app, action="revoke.temporary", target=(found.holder.replace(" ", "/") if found else "temporary"),
            details=details, edit=lambda: orgedit.remove_temporary(app.org_path, temporary, checks=ORG_CHECKS),
            already=False, already_message="", apply_=apply_, no_plan=no_plan, profile=profile, prune=prune)
    if team is None or environment is None or role is None:
        raise UsageError("missing arguments: TEAM ENV ROLE (or --temporary ID)")
    if end_sessions and no_plan:
        raise UsageError("--end-sessions writes to AWS at once: it cannot be used with --no-plan; nothing changed")
    engine: Engine | None = None
    prepared: list[SessionEnd] = []
    prepared_ic: list[PermissionSetEnd] = []
    if end_sessions:
        found_end = _prepare_end_sessions(app, profile, team, environment, role, yes)
        if found_end is None:
            app.warn("Nothing was changed.")
            return ExitCode.OK
        engine, prepared, prepared_ic = found_end
    revoked_role = role

    def sessions(org: Org) -> None:
        if end_sessions:
            return
        max_session = next((r.max_session for r in org.roles if r.name == revoked_role), None)
        longest = f"up to {format_duration(max_session)}, the role's max_session" if max_session else ""
        message = (f"Note: sessions already issued for role '{revoked_role}' in {environment} stay valid until they "
                   f"expire ({longest}); to end them now, run `awsroles revoke {team} {environment} {revoked_role} "
                   "--end-sessions`.")
        if app.output == "table":
            app.say(message)
        else:
            app.warn(message)

    def end(engine: Engine, auditor: audit.Auditor) -> None:
        from awsroles.sync.end_sessions import write

        done = write(engine.org, engine.iam, prepared)
        for item in done:
            auditor.record("revoke.end-sessions", f"role/{item.role}",
                           {"environment": item.environment, "people": list(item.people),
                            "issued_before": item.at}, account=item.account_id)
            app.say(f"Ended sessions: {item.description}.")
        if prepared_ic:
            from awsroles.sync import end_sessions_ic

            for ended in end_sessions_ic.write(engine.identity_center_runner(app.warn), prepared_ic):
                auditor.record("revoke.end-sessions", f"permission-set/{ended.permission_set}",
                               {"environment": ended.environment, "people": list(ended.people),
                                "issued_before": ended.at}, account=ended.account_id)
                app.say(f"Ended sessions: {ended.description}.")

    return edit_then_plan(
        app, action="revoke", target=f"team/{team}", details={"environment": environment, "role": role},
        edit=lambda: orgedit.revoke(app.org_path, team, environment, role, checks=ORG_CHECKS),
        already=False, already_message="",
        apply_=apply_, no_plan=no_plan, profile=profile, prune=prune, after_edit=sessions,
        engine=engine, before_plan=end if end_sessions else None)


def _prepare_end_sessions(app: App, profile: str | None, team: str, environment: str, role: str,
                          yes: bool) -> tuple[Engine | None, list[SessionEnd], list[PermissionSetEnd]] | None:
    """Read what ending the sessions needs, show it, ask (unless ``yes``): before anything changes.
    None when the answer is no."""
    import sys
    from datetime import datetime, timezone

    from awsroles.cli.planview import engine_for
    from awsroles.sync.end_sessions import prepare

    org = app.load_org()
    found = next((t for t in org.teams if t.name == team
                  and any(g.environment == environment and g.role == role for g in t.grants)), None)
    if found is None:  # not granted: the edit itself says why, with its did-you-mean, before any change
        return None, [], []
    if not found.members:
        raise UsageError(f"team '{team}' has no members whose sessions could be ended; nothing changed")
    engine = engine_for(app, profile, 8)
    now = datetime.now(timezone.utc)
    prepared = prepare(engine.org, engine.iam, [(environment, role)], found.members, now) \
        if org.uses_iam_users else []
    prepared_ic: list[PermissionSetEnd] = []
    if org.uses_identity_center:
        from awsroles.sync import end_sessions_ic

        prepared_ic = end_sessions_ic.prepare(engine.org, engine.identity_center_runner(app.warn),
                                              [(environment, role)], found.members, now)
    app.warn("--end-sessions will, at once:")
    for description in [*(i.description for i in prepared), *(i.description for i in prepared_ic)]:
        app.warn(f"  - {description}")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("revoke --end-sessions needs confirmation: run it in a terminal, or pass --yes; "
                             "nothing changed")
        if not click.confirm("Revoke, and end these sessions now?", default=False, err=True):
            return None
    return engine, prepared, prepared_ic


@click.group()
@common_options(forms=FORMATS)  # the global options, also between the group and its command
def team() -> None:
    """Team membership: add people to teams and remove them (edits the org file).

    \b
    Examples:
      awsroles team add backend alice --apply
      awsroles team remove backend bob --no-plan
    """


@team.command("add")
@common_options
@plan_options
@click.argument("team_name", metavar="TEAM", shell_complete=complete_teams)
@click.argument("user", shell_complete=complete_users)
@pass_app
def team_add(app: App, team_name: str, user: str, apply_: bool, no_plan: bool, profile: str | None,
             prune: bool) -> int:
    """Add USER to TEAM: edit the org file, then show the plan (a group membership in ops).

    \b
    Example:
      awsroles team add backend alice --apply
    """
    current = app.load_org()
    already = any(t.name == team_name and user in t.members for t in current.teams)
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit

    return edit_then_plan(
        app, action="team.add", target=f"team/{team_name}", details={"user": user},
        edit=lambda: orgedit.add_member(app.org_path, team_name, user, checks=ORG_CHECKS), already=already,
        already_message=f"User '{user}' is already a member of team '{team_name}': nothing to change.",
        apply_=apply_, no_plan=no_plan, profile=profile, prune=prune)


@team.command("remove")
@common_options
@plan_options
@click.argument("team_name", metavar="TEAM", shell_complete=complete_teams)
@click.argument("user", shell_complete=complete_users)
@pass_app
def team_remove(app: App, team_name: str, user: str, apply_: bool, no_plan: bool, profile: str | None,
                prune: bool) -> int:
    """Remove USER from TEAM: edit the org file, then show the plan.

    Sessions the user already has for the team's roles stay valid until they expire.

    \b
    Example:
      awsroles team remove backend bob --apply
    """
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit

    return edit_then_plan(
        app, action="team.remove", target=f"team/{team_name}", details={"user": user},
        edit=lambda: orgedit.remove_member(app.org_path, team_name, user, checks=ORG_CHECKS),
        already=False, already_message="",
        apply_=apply_, no_plan=no_plan, profile=profile, prune=prune)
