"""Credentials for other programs: AWS CLI and SDK profiles, the console, a local credential endpoint."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.vending import make_vendor, role_options
from awsroles.creds.browser import KINDS as BROWSERS
from awsroles.errors import ExitCode, UsageError
from awsroles.render import FORMATS


@click.group()
@common_options(forms=FORMATS, org=True)  # the global options, also between the group and its command
def profiles() -> None:
    """AWS CLI and SDK profiles for the roles you may assume.

    \b
    Examples:
      awsroles profiles sync --dry-run
      awsroles profiles sync && aws s3 ls --profile acme-prod-readonly
    """


@profiles.command("sync")
@common_options(org=True)
@click.option("--template", default="{org}-{environment}-{role}", show_default=True,
              help="Profile names; {org}, {environment} and {role} are filled in.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--style", type=click.Choice(["credential-process", "sso-session"]), default="credential-process",
              show_default=True, help="credential-process: profiles run awsroles (every SDK). sso-session (IAM "
              "Identity Center only): an [sso-session] and profiles the AWS CLI v2 and recent SDKs read "
              "themselves, from the sign-in shared in ~/.aws/sso/cache (awsroles setup --share-sso-login).")
@pass_app
def profiles_sync(app: App, template: str, dry_run: bool, style: str) -> int:
    """Write one [profile] per environment and role you may assume into ~/.aws/config.

    Each profile runs `awsroles credential-process`, so the AWS CLI and every SDK work with
    --profile. Comments and every other profile are kept; profiles for roles you lost are
    removed. The file is changed atomically, under a lock.

    Through IAM Identity Center, --style sso-session writes an [sso-session awsroles-ORG] and
    profiles with sso_account_id and sso_role_name instead: the AWS CLI v2 and SDKs that support
    them use the sign-in awsroles shares in ~/.aws/sso/cache without running awsroles.

    \b
    Examples:
      awsroles profiles sync
      aws sts get-caller-identity --profile acme-prod-admin
      awsroles profiles sync --style sso-session
    """
    from awsroles.creds import userconfig
    from awsroles.creds.profiles import sync_profiles
    from awsroles.org.entries import Grant
    from awsroles.paths import safe_org_name

    config = userconfig.load()
    grants = [Grant(g.environment, g.role) for g in config.grants]
    script = Path(sys.executable).parent / "awsroles"  # the console script of this installation
    command = [str(script)] if script.is_file() and os.access(script, os.X_OK) else [sys.executable, "-m", "awsroles"]
    pin = config.org_name if safe_org_name(config.org_name) else ""  # the org its credential-process uses
    wanted = None
    if style == "sso-session":
        if not config.identity_center:
            raise UsageError("--style sso-session is for people who sign in through IAM Identity Center; you use "
                             "an access key: leave --style out")
        if not config.share_sso_login:
            raise UsageError("sso-session profiles read the sign-in from ~/.aws/sso/cache, where awsroles keeps it "
                             "only when asked: run `awsroles setup --identity-center --share-sso-login` first")
        from awsroles.creds.profile_specs import SsoGrant, sso_session_profiles

        wanted = sso_session_profiles(
            [SsoGrant(g.environment, g.role, g.account_id, g.permission_set) for g in config.grants],
            org=config.org_name or "awsroles", region=config.region, session=config.sso_session,
            start_url=config.start_url, sso_region=config.sso_region, template=template)
    result = sync_profiles(grants, org=config.org_name or "awsroles", region=config.region, template=template,
                           command=command, dry_run=dry_run, pin_org=pin, profiles=wanted)
    from awsroles.render import Result

    verb = "would change" if dry_run else "changed" if result.changed else "unchanged"
    notes = [f"{result.path}: {verb}"]
    for label, names in (("added", result.added), ("updated", result.updated), ("removed", result.removed)):
        notes += [f"  {label}: {name}" for name in names]
    if result.unchanged:
        notes.append(f"  unchanged: {len(result.unchanged)} profile(s)")
    app.render(Result(result.as_dict(), notes=notes))
    return ExitCode.OK


@click.command()
@common_options
@role_options
@click.option("--browser", type=click.Choice(BROWSERS), default=None,
              help="Where to open it: default (the system's browser), firefox (a container per role; needs the "
                   "'Open external links in a container' add-on), chrome, chromium, brave or edge (a browser "
                   "profile of its own per role), stdout (print the URL). Default: the browser setting "
                   "(awsroles setup --browser), else default.")
@click.option("--print", "print_only", is_flag=True,
              help="Print the URL on stdout instead of opening a browser (--browser stdout).")
@click.option("--region", metavar="REGION", help="The console in this region (default: yours, from setup).")
@click.option("--service", metavar="NAME", help="Open this service's console (s3, ec2, iam, cloudwatch, ...).")
@click.option("--destination", metavar="PATH", help="Open this console page (/cloudwatch/home#alarms, or a "
              "whole console URL); never a page outside the AWS console.")
@pass_app
def console(app: App, environment: str, role: str | None, duration: int | None, mfa_code: str | None,
            browser: str | None, print_only: bool, region: str | None, service: str | None,
            destination: str | None) -> int:
    """Open the AWS console as the role (a federated sign-in URL), or print the URL.

    With --browser firefox, chrome, chromium, brave or edge each environment and role gets a
    Firefox container or a browser profile of its own (named ORG-ENV-ROLE), so two roles stay
    signed in side by side. The sign-in URL is a secret for 15 minutes: --print writes it to
    stdout only, with a warning on stderr; it is never logged. (There is no switch-role link: the
    console's Switch Role sets no source identity, which every awsroles role requires.)

    \b
    Examples:
      awsroles console prod --role admin
      awsroles console prod --role admin --browser firefox
      awsroles console dev --print | xclip -selection clipboard
      awsroles console prod --service cloudwatch --region eu-west-1
      awsroles console prod --destination '/s3/buckets/acme-logs'
    """
    from awsroles.creds import browser as browsers
    from awsroles.creds import console as consolelib
    from awsroles.creds import userconfig
    from awsroles.render import Result

    vendor = make_vendor(mfa_code)
    config = vendor.config
    # Everything that can be refused is checked before anything is asked of AWS (or of you: MFA).
    kind = browsers.choose(browser, print_only=print_only, configured=config.browser,
                           configured_in=str(userconfig.config_path()))
    page = consolelib.destination(config.partition, region=region or config.region, service=service,
                                  path=destination)
    chosen = browsers.find(kind)
    grant = vendor.resolve(environment, role)
    name = browsers.profile_name(config.org_name, grant.environment, grant.role)
    session = vendor.role_session(grant.environment, grant.role, duration=duration)
    endpoint = os.environ.get("AWSROLES_FEDERATION_ENDPOINT") or None
    url = consolelib.signin_url(session.credentials, destination=page, endpoint=endpoint,
                                partition=config.partition)
    if chosen.kind == browsers.STDOUT:
        app.warn(f"warning: this URL signs whoever opens it in to the console as {grant.role} in "
                 f"{grant.environment}: it is a credential, valid for 15 minutes; keep it out of chats and tickets")
        app.render(Result({"url": url}, text=url + "\n"))
        return ExitCode.OK
    opened = browsers.open_url(chosen, url, name=name)
    where = (f" in the Firefox container {opened.container}" if opened.container else
             f" in its own {opened.kind} profile ({opened.profile_dir})" if opened.profile_dir else "")
    app.render(Result({"environment": grant.environment, "role": grant.role, **opened.as_dict()},
                      notes=[f"opened the console for {grant.environment} as {grant.role}{where}"]))
    return ExitCode.OK


@click.command()
@common_options
@role_options
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: any free one).")
@pass_app
def serve(app: App, environment: str, role: str | None, duration: int | None, mfa_code: str | None,
          port: int) -> int:
    """Serve the role's credentials to long-running programs, refreshed as they expire.

    A local endpoint for the SDKs' container-credentials provider, on 127.0.0.1 only, that
    refuses requests without its token. Prints the two variables programs need; runs until
    interrupted.

    \b
    Example:
      awsroles serve prod --role readonly
      # in another shell, with the printed variables:
      AWS_CONTAINER_CREDENTIALS_FULL_URI=... AWS_CONTAINER_AUTHORIZATION_TOKEN=... my-service
    """
    from awsroles.creds.server import CredentialServer
    from awsroles.creds.shellenv import format_env

    vendor = make_vendor(mfa_code)
    first = vendor.role_session(environment, role, duration=duration)  # ask for the MFA code now, not later
    grant = first.grant

    def provider() -> Any:
        return vendor.role_session(grant.environment, grant.role, duration=duration).credentials

    def on_error(exc: BaseException) -> None:
        app.warn(f"awsroles serve: could not refresh {grant.environment}/{grant.role}: {exc}")

    import signal
    import time

    from awsroles.render import Result

    server = CredentialServer(provider, port=port, on_error=on_error)
    server.start()
    # before the variables are printed: whoever reads them may stop it at once
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        app.warn(f"serving {grant.role} in {grant.environment} at {server.url} (Ctrl-C to stop); set:")
        app.render(Result(server.environment(), text=format_env(server.environment(), "sh", unset=())))
        app.stdout.flush()
        # Not signal.pause(): only a signal to this thread wakes it, so a SIGTERM the kernel gave another
        # thread (or one that came just before it) left it waiting for a second one. A sleep ends anyway.
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return ExitCode.OK
