"""Session commands: status, logout, whoami (what you have, forgetting it, who AWS says you are)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.complete import complete_my_environments, complete_my_roles
from awsroles.cli.vending import SESSION_VARIABLE, make_vendor
from awsroles.errors import AwsrolesError, ExitCode, UsageError
from awsroles.render import FORMATS

if TYPE_CHECKING:
    from awsroles.creds.vend import Vendor


@click.command()
@common_options(forms=FORMATS, org=True)
@pass_app
def status(app: App) -> int:
    """Show your cached sessions: environment, role, expiry, where each came from and is kept, and
    whether the fast path (a cached `credential-process` in milliseconds) is on, and why not.
    Never any secret.

    \b
    Example:
      awsroles status
    """
    from datetime import datetime

    from awsroles.creds.model import iso, utcnow
    from awsroles.creds.store import SESSIONS
    from awsroles.render import Result, Table

    vendor = make_vendor()
    now = utcnow()
    expiries: dict[str, datetime | None] = {}
    fast_names: set[str] = set()
    for name, expiry in vendor.fast.entries() if vendor.fast is not None else []:
        fast_names.add(name)
        expiries[name] = expiry
    stored_names = set(vendor.store.keys(SESSIONS))
    signin = getattr(vendor, "signin", None)  # through IAM Identity Center: its sign-in, not an MFA session
    for name in stored_names - fast_names:
        creds = vendor._stored(name)
        expiries[name] = creds.expiration if creds else None
    token = signin.cached() if signin is not None else None
    if signin is not None and token is not None:  # in the store, or only in ~/.aws/sso/cache (`aws sso login`)
        expiries[signin.store_name] = token.expires_at
    fast = vendor.fast.state() if vendor.fast is not None else None
    table = []
    data = []
    for name in sorted(expiries, key=lambda n: (vendor.describe_session(n), n)):
        expiry = expiries[name]
        environment, role = vendor.describe_session(name)
        left = (expiry - now).total_seconds() if expiry else None
        state = "expired" if left is not None and left <= 0 else f"{int(left // 60)} min left" if left else "-"
        if signin is not None:
            source = ("your approval in the browser" if name == signin.store_name
                      else "from your Identity Center sign-in")
        else:
            source = ("your access key and an MFA code" if role == "MFA session"
                      else "assumed from your MFA session")
        kept = [place for place, here in (("fast cache", name in fast_names and bool(fast and fast.active)),
                                          ("store", name in stored_names),
                                          ("~/.aws/sso/cache", signin is not None and name == signin.store_name
                                           and signin.shared is not None
                                           and signin.shared.read(signin.session_name) is not None)) if here]
        table.append([environment, role, iso(expiry) if expiry else "-", state, source, " + ".join(kept) or "-"])
        data.append({"environment": environment, "role": role, "session": name,
                     "expiration": iso(expiry) if expiry else None,
                     "seconds_left": int(left) if left is not None else None,
                     "source": source, "kept_in": kept})
    config = vendor.config
    who = f"{config.user_name} (IAM Identity Center, {config.start_url})" if config.identity_center else \
        f"{config.user_name} ({config.user_arn})"
    notes = [f"{who} in {config.org_name or 'your org'}; secrets in {vendor.store.name}",
             f"fast path: {fast.detail if fast else 'off'}"]
    if not expiries:
        notes.append("no cached sessions")
    sessions = Table(["environment", "role", "expires", "state", "from", "kept in"], table)
    fast_path = {"active": bool(fast and fast.active), "detail": fast.detail if fast else "off"}
    app.render(Result(data={"user": config.user_name, "org": config.org_name, "store": vendor.store.name,
                            "fast_path": fast_path,
                            "sessions": data},
                      tables=[sessions] if table else [], csv=sessions, notes=notes))
    return ExitCode.OK


@click.command()
@common_options(org=True)
@click.argument("environment", required=False, shell_complete=complete_my_environments)
@click.option("--role", "-r", metavar="ROLE", shell_complete=complete_my_roles,
              help="With ENV: only this role's session.")
@click.option("--all", "everything", is_flag=True, help="Also delete your stored access key (asks first).")
@click.option("--yes", "-y", is_flag=True, help="With --all: do not ask.")
@pass_app
def logout(app: App, environment: str | None, role: str | None, everything: bool, yes: bool) -> int:
    """Forget your cached sessions (or only ENV's, or one role's); with --all, also your stored key.

    \b
    Examples:
      awsroles logout
      awsroles logout prod --role admin       (that session only; the MFA session stays)
      awsroles logout --all
      awsroles logout -o json                 (what was removed)
    """
    from awsroles.creds.store import KEYS, SESSIONS
    from awsroles.render import Result

    if role and not environment:
        raise UsageError("--role needs an environment: awsroles logout ENV --role ROLE")
    if environment and everything:
        raise UsageError("--all forgets everything: give it without ENV")
    vendor = make_vendor()
    if environment:
        grants = [vendor.resolve(environment, role)] if role else [
            g for g in vendor.config.grants if g.environment == environment]
        if not grants:
            vendor.resolve(environment, None)  # the usual "no role in ENV; your environments: ..." error
        stored = set(vendor.store.keys(SESSIONS))
        removed = []
        for grant in grants:
            name = vendor.role_session_name(grant)
            if name in stored:
                removed.append(name)
            vendor.store.delete(SESSIONS, name)
            if vendor.fast is not None:
                vendor.fast.delete(grant.environment, grant.role)
        which = ", ".join(f"{g.environment}/{g.role}" for g in grants)
        app.render(Result({"user": vendor.config.user_name, "store": vendor.store.name,
                           "sessions_forgotten": len(removed), "stored_sessions_removed": sorted(removed),
                           "access_key_deleted": False},
                          notes=[f"forgot {len(removed)} cached session(s) of {which}; the MFA session and the "
                                 "others stay"]))
        return ExitCode.OK
    signed_out = _sign_out(app, vendor)  # first: it needs the stored sign-in to end it at AWS
    count = vendor.fast.clear() if vendor.fast is not None else 0
    names = vendor.store.keys(SESSIONS)
    for name in names:
        vendor.store.delete(SESSIONS, name)
    user, forgotten_count = vendor.config.user_name, max(count, len(names))
    notes = [f"forgot {forgotten_count} cached session(s)"]
    key_deleted = False
    if signed_out is not None:
        notes.append(signed_out)
    if everything and vendor.config.identity_center:
        notes.append("through IAM Identity Center you have no stored access key")
    elif everything:
        if not yes and not sys.stdin.isatty():
            raise UsageError("--all deletes your stored key: confirm in a terminal, or pass --yes")
        if yes or click.confirm(f"Delete the access key of {user} from {vendor.store.name}?", default=False,
                                err=True):
            vendor.store.delete(KEYS, vendor.config.key_name)
            vendor.store.delete(KEYS, f"totp/{vendor.config.key_name}")
            key_deleted = True
            notes.append(f"deleted the stored access key of {user}")
        else:
            app.warn("kept the key")
    app.render(Result({"user": user, "store": vendor.store.name, "sessions_forgotten": forgotten_count,
                       "stored_sessions_removed": sorted(names), "cache_files_removed": count,
                       "access_key_deleted": key_deleted,
                       **({"signed_out": signed_out is not None} if vendor.config.identity_center else {})},
                      notes=notes))
    return ExitCode.OK


def _sign_out(app: App, vendor: Vendor) -> str | None:
    """Through IAM Identity Center: end the sign-in at AWS (the portal's Logout, so the token is
    dead wherever a copy of it is) and forget it here; what was done, in words (None: nothing)."""
    from awsroles.creds.sso_vend import IdentityCenterVendor

    if not isinstance(vendor, IdentityCenterVendor):
        return None
    token = vendor.signin.forget()
    if token is None:
        return None
    try:
        vendor.portal.logout(token.access_token)
    except AwsrolesError as exc:
        app.warn(f"warning: could not end the sign-in at AWS ({exc}); it was forgotten here and ends by itself "
                 f"at {token.expires_at:%H:%M UTC}")
        return "forgot the Identity Center sign-in"
    shared = " (and its copy in ~/.aws/sso/cache)" if vendor.signin.share else ""
    return f"signed out of IAM Identity Center{shared}"


@click.command()
@common_options(org=True)
@pass_app
def whoami(app: App) -> int:
    """Who AWS thinks you are: inside `awsroles exec` the role session, else your own user.

    \b
    Example:
      awsroles whoami
    """
    from awsroles.aws import for_credentials, for_org
    from awsroles.errors import from_aws

    inside = os.environ.get(SESSION_VARIABLE)
    try:
        if inside and os.environ.get("AWS_ACCESS_KEY_ID"):
            identity = for_org(None, max_attempts=3).whoami()  # the session `exec` put in the environment
        else:
            vendor = make_vendor()
            if vendor.config.identity_center:
                return _whoami_identity_center(app, vendor)
            identity = for_credentials(vendor.long_term(), vendor.config.region).whoami()
    except AwsrolesError:
        raise
    except Exception as exc:
        raise from_aws(exc, "GetCallerIdentity") from exc
    data = {"arn": identity.arn, "account": identity.account, "user_id": identity.user_id, "session": inside}
    from awsroles.render import Result

    app.render(Result(data, notes=[
        identity.arn, f"  account {identity.account}" + (f", inside `awsroles exec` ({inside})" if inside else "")]))
    return ExitCode.OK


def _whoami_identity_center(app: App, vendor: Vendor) -> int:
    """Outside `exec`, a person of IAM Identity Center is their sign-in: no AWS call needed."""
    from awsroles.creds.model import iso
    from awsroles.creds.sso_vend import IdentityCenterVendor
    from awsroles.render import Result

    assert isinstance(vendor, IdentityCenterVendor)
    config = vendor.config
    token = vendor.signin.cached()
    until = iso(token.expires_at) if token is not None else None
    data = {"user": config.user_name, "identity_center": config.start_url, "signed_in_until": until,
            "session": None}
    signed = f"  signed in until {until}" if until else "  not signed in: run `awsroles login ENV`"
    app.render(Result(data, notes=[f"{config.user_name or 'you'} through IAM Identity Center ({config.start_url})",
                                   signed]))
    return ExitCode.OK
