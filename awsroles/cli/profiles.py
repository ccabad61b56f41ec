"""Credentials for other programs: AWS CLI and SDK profiles, the console, a local credential endpoint."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.vending import make_vendor, role_options
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
@pass_app
def profiles_sync(app: App, template: str, dry_run: bool) -> int:
    """Write one [profile] per environment and role you may assume into ~/.aws/config.

    Each profile runs `awsroles credential-process`, so the AWS CLI and every SDK work with
    --profile. Comments and every other profile are kept; profiles for roles you lost are
    removed. The file is changed atomically, under a lock.

    \b
    Examples:
      awsroles profiles sync
      aws sts get-caller-identity --profile acme-prod-admin
    """
    from awsroles.creds import userconfig
    from awsroles.creds.profiles import sync_profiles
    from awsroles.org.model import Grant
    from awsroles.paths import safe_org_name

    config = userconfig.load()
    grants = [Grant(g.environment, g.role) for g in config.grants]
    script = Path(sys.executable).parent / "awsroles"  # the console script of this installation
    command = [str(script)] if script.is_file() and os.access(script, os.X_OK) else [sys.executable, "-m", "awsroles"]
    pin = config.org_name if safe_org_name(config.org_name) else ""  # the org its credential-process uses
    result = sync_profiles(grants, org=config.org_name or "awsroles", region=config.region, template=template,
                           command=command, dry_run=dry_run, pin_org=pin)
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
@click.option("--print", "print_only", is_flag=True, help="Print the URL instead of opening a browser.")
@click.option("--region", metavar="REGION", help="The console in this region (default: yours, from setup).")
@click.option("--service", metavar="NAME", help="Open this service's console (s3, ec2, iam, cloudwatch, ...).")
@click.option("--destination", metavar="PATH", help="Open this console page (/cloudwatch/home#alarms, or a "
              "whole console URL); never a page outside the AWS console.")
@pass_app
def console(app: App, environment: str, role: str | None, duration: int | None, mfa_code: str | None,
            print_only: bool, region: str | None, service: str | None, destination: str | None) -> int:
    """Open the AWS console as the role (a federated sign-in URL), or print the URL.

    The sign-in URL is a secret for about 15 minutes: --print writes it to stdout only. (There is
    no switch-role link: the console's Switch Role sets no source identity, which every awsroles
    role requires.)

    \b
    Examples:
      awsroles console prod --role admin
      awsroles console dev --print
      awsroles console prod --service cloudwatch --region eu-west-1
      awsroles console prod --destination '/s3/buckets/acme-logs'
    """
    from awsroles.creds import console as consolelib

    vendor = make_vendor(mfa_code)
    page = consolelib.destination(vendor.config.partition, region=region or vendor.config.region, service=service,
                                  path=destination)  # checked before anything is asked of AWS
    session = vendor.role_session(environment, role, duration=duration)
    endpoint = os.environ.get("AWSROLES_FEDERATION_ENDPOINT") or None
    url = consolelib.signin_url(session.credentials, destination=page, endpoint=endpoint,
                                partition=vendor.config.partition)
    if print_only:
        from awsroles.render import Result

        app.render(Result({"url": url}, text=url + "\n"))
        return ExitCode.OK
    import webbrowser

    if not webbrowser.open(url):
        raise UsageError("no browser could be opened here: use --print")
    app.say(f"opened the console for {environment}" + (f" as {role}" if role else ""))
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

    server = CredentialServer(provider, port=port, on_error=on_error)
    server.start()
    app.warn(f"serving {grant.role} in {grant.environment} at {server.url} (Ctrl-C to stop); set:")
    from awsroles.render import Result

    app.render(Result(server.environment(), text=format_env(server.environment(), "sh", unset=())))
    app.stdout.flush()
    try:
        import signal

        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return ExitCode.OK
