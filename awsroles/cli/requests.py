"""``awsroles request``, ``requests``, ``approve`` and ``deny``: asking for a role for a while, and
deciding (docs/temporary-access.md, "Requests and approvals"). The org file is the state; an
approval becomes a ``[temporary ID]`` grant, planned and applied as ``grant --for --user`` does."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.complete import complete_org_environments, complete_org_roles, complete_requests
from awsroles.cli.orgedits import edit_then_plan
from awsroles.errors import ExitCode, UsageError
from awsroles.render import TABLE_FORMS

if TYPE_CHECKING:
    from awsroles.org.model import Org


def caller_arn(org: Org, profile: str | None) -> str:
    """Who runs the command, by GetCallerIdentity: through the person's own `awsroles setup` for this
    org when there is one (their IAM user's key, or their IAM Identity Center sign-in), else the AWS
    credentials the command uses (``--profile``, else the environment)."""
    from awsroles.aws import for_org
    from awsroles.errors import AwsrolesError, from_aws

    try:
        stored = _set_up(org)
        if stored is not None:
            return stored
        return for_org(org, profile, max_attempts=3).whoami().arn
    except AwsrolesError:
        raise
    except Exception as exc:
        raise from_aws(exc, "GetCallerIdentity") from exc


def _set_up(org: Org) -> str | None:
    """The ARN `awsroles setup` for this org says the person is: their stored key's IAM user in the
    ops account, or, signed in through IAM Identity Center, a role session the portal gives them in
    one of the org's accounts; None when they have not set up for this org."""
    from awsroles.aws import for_credentials
    from awsroles.cli.vending import make_vendor
    from awsroles.creds.sso_vend import IdentityCenterVendor
    from awsroles.creds.userconfig import NotSetUp
    from awsroles.org.requests import RequestRefused

    try:
        vendor = make_vendor()
        config = vendor.config
        if isinstance(vendor, IdentityCenterVendor):
            if config.org_name != org.name or not org.uses_identity_center:
                return None
            accounts = {a.id for a in org.accounts if not a.pending}
            arn = vendor.caller_arn(accounts, lambda c: for_credentials(c, config.region).whoami().arn)
            if arn is None:
                raise RequestRefused("IAM Identity Center gives you no role in this org's accounts yet, so AWS cannot "
                                     "say who you are (a role session is how it does): an admin can grant you one "
                                     "for a while with `awsroles grant --user NAME ENV ROLE --for DURATION`")
            return arn
        if config.identity_center or config.ops_account_id != org.ops.id:
            return None
        key = vendor.long_term()
    except NotSetUp:
        return None
    return for_credentials(key, config.region).whoami().arn


def _me(org: Org, profile: str | None) -> tuple[str, str]:
    """``(the person's name in the org file, ARN)`` of the caller; RequestRefused unless AWS says
    they are one of the org's people (an IAM user of the ops account, or an Identity Center session)."""
    from awsroles.org.requests import caller_person

    arn = caller_arn(org, profile)
    return caller_person(arn, org), arn


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@click.command()
@common_options
@click.option("--for", "for_", metavar="DURATION", required=True,
              help="How long, from approval (15m to 7d: 2h, 90m, 1d).")
@click.option("--reason", metavar="TEXT", required=True, help="Why (one line: an incident or ticket).")
@click.option("--profile", metavar="NAME",
              help="AWS profile of your own IAM user (or Identity Center session), if you have not run `awsroles "
                   "setup` (default: the environment).")
@click.argument("environment", metavar="ENV", shell_complete=complete_org_environments)
@click.argument("role", shell_complete=complete_org_roles)
@pass_app
def request(app: App, environment: str, role: str, for_: str, reason: str, profile: str | None) -> int:
    """Ask for ROLE in ENV for a while: a [request ID] section in the org file.

    You are who AWS says your credentials are (GetCallerIdentity), never a name given on the
    command line: your own IAM user in the ops account, or, in an org on IAM Identity Center, the
    session Identity Center names after you (through your `awsroles setup` sign-in). An approver
    (`[org] approvers`, or the environment's own) turns the request into a temporary grant with
    `awsroles approve ID`; the window starts then. Commit and push the org file so that they see
    it. Nothing changes in AWS.

    \b
    Example:
      awsroles request prod admin --for 2h --reason INC-1234
    """
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org.durations import format_duration
    from awsroles.org.request_edit import add_request
    from awsroles.org.requests import new_request
    from awsroles.org.temporary import format_time
    from awsroles.people import audit
    from awsroles.render import Result

    org = app.load_org()
    user, arn = _me(org, profile)
    asked = new_request(org, user, environment, role, for_, reason, _now())
    org = add_request(app.org_path, asked, checks=ORG_CHECKS)
    details: dict[str, object] = {"id": asked.id, "environment": environment, "role": role,
                                  "duration": format_duration(asked.duration), "reason": asked.reason,
                                  "file": str(app.org_path)}
    entry = audit.Auditor(arn).record("request", f"user/{user}", details)
    approvers = [a for a in org.approvers_of(environment) if a != user]
    who = ", ".join(approvers) if approvers else "nobody yet: the org file names no approvers for it"
    app.say(f"Requested {asked.id}: {role} in {environment} for {format_duration(asked.duration)}, "
            f"at {format_time(asked.requested_at)}.")
    app.say(f"Approvers: {who}. Commit and push {app.org_path}; an approver runs `awsroles approve {asked.id}` "
            f"(within {format_duration(org.request_expiry)}).")
    if app.output == "json":
        app.render(Result({**entry["details"], "user": user, "approvers": approvers}))  # type: ignore[dict-item]
    return ExitCode.OK


@click.command()
@common_options(forms=TABLE_FORMS)
@click.option("--state", "states", multiple=True, type=click.Choice(["pending", "approved", "denied", "expired"]),
              help="Only requests in this state (repeatable).")
@pass_app
def requests(app: App, states: tuple[str, ...]) -> int:
    """List the requests in the org file: pending, approved, denied or expired.

    A pending request expires when it has waited longer than `[org] request_expiry` (default
    24h); it can then no longer be approved.

    \b
    Examples:
      awsroles requests
      awsroles requests --state pending -o json
    """
    from awsroles.org.requests import listing
    from awsroles.render import Result, Table

    rows = [r for r in listing(app.load_org(), _now()) if not states or r["state"] in states]
    columns = ["id", "state", "user", "environment", "role", "duration", "reason", "requested_at", "expires_at",
               "decided_by", "decided_at", "grant"]
    table = Table(columns, [["" if r[c] is None else str(r[c]) for c in columns] for r in rows])
    app.render(Result(rows, tables=[table] if rows else [], csv=table, notes=[] if rows else ["no requests"]))
    return ExitCode.OK


@click.command()
@common_options
@click.option("--apply", "apply_", is_flag=True, help="Apply the resulting plan (like `awsroles apply --yes`).")
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials, for the plan.")
@click.option("--prune", is_flag=True,
              help="Also delete what awsroles manages but the org file no longer declares.")
@click.argument("request_id", metavar="ID", shell_complete=complete_requests)
@pass_app
def approve(app: App, request_id: str, apply_: bool, profile: str | None, prune: bool) -> int:
    """Approve request ID: a temporary grant of the role to the requester, from now.

    Only an approver of the request's environment may (`approvers` of its [account], else of
    [org]), never the requester; a request already decided, or pending longer than `[org]
    request_expiry`, is refused. You are who GetCallerIdentity says, as for `request`: your own
    IAM user in the ops account (your `awsroles setup` key, else the AWS credentials in use), or
    your IAM Identity Center session; any other role session is refused. The grant is a
    [temporary ID] section, shown in the plan and, with --apply, applied as `awsroles grant --user
    NAME ENV ROLE --for DURATION` does.

    \b
    Example:
      awsroles approve r-20261130-0102-bob-prod --apply
    """
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org.request_edit import approve as approve_edit
    from awsroles.org.requests import approved_grant, decide
    from awsroles.org.temporary import format_time

    org = app.load_org()
    me, arn = _me(org, profile)
    now = _now()
    found = decide(org, request_id, me, now)  # refused before anything changes (and again under the lock)
    grant = approved_grant(org, found, me, now)
    app.say(f"Approving {found.id}: {found.user} may assume {found.role} in {found.environment} until "
            f"{format_time(grant.until)}.")
    return edit_then_plan(
        app, action="request.approve", target=f"user/{found.user}",
        details={"request": found.id, "id": grant.id, "environment": grant.environment, "role": grant.role,
                 "from": format_time(now), "until": format_time(grant.until), "reason": grant.reason,
                 "approved_by": me, "approver_arn": arn},
        edit=lambda: approve_edit(app.org_path, found.id, grant, now, checks=ORG_CHECKS), already=False,
        already_message="", apply_=apply_, no_plan=False, profile=profile, prune=prune, rerun=False)


@click.command()
@common_options
@click.option("--reason", metavar="TEXT", required=True, help="Why not (one line).")
@click.option("--profile", metavar="NAME",
              help="AWS profile of your own IAM user (or Identity Center session), if you have not run `awsroles "
                   "setup` (default: the environment).")
@click.argument("request_id", metavar="ID", shell_complete=complete_requests)
@pass_app
def deny(app: App, request_id: str, reason: str, profile: str | None) -> int:
    """Deny request ID: mark it denied, with who, when and why. Nothing changes in AWS.

    The same people may deny as may approve; an expired request can be denied, which closes it.

    \b
    Example:
      awsroles deny r-20261130-0102-bob-prod --reason "use readonly"
    """
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org.request_edit import deny as deny_edit
    from awsroles.org.requests import decide
    from awsroles.org.temporary import REASON_MAX
    from awsroles.people import audit
    from awsroles.render import Result

    if not reason.strip() or "\n" in reason or len(reason.strip()) > REASON_MAX:
        raise UsageError(f"--reason: one line of at most {REASON_MAX} characters")
    org = app.load_org()
    me, arn = _me(org, profile)
    now = _now()
    found = decide(org, request_id, me, now, expired_ok=True)
    deny_edit(app.org_path, found.id, me, now, reason.strip(), checks=ORG_CHECKS)
    entry = audit.Auditor(arn).record("request.deny", f"user/{found.user}", {
        "request": found.id, "environment": found.environment, "role": found.role, "reason": reason.strip(),
        "denied_by": me, "file": str(app.org_path)})
    app.say(f"Denied {found.id} ({found.user}: {found.role} in {found.environment}).")
    if app.output == "json":
        app.render(Result(entry))
    return ExitCode.OK
