"""Credential commands: setup, login, exec, env, credential-process.

status, logout and whoami are in sessions.py; profiles, console and serve in profiles.py; what
they all share (the person's vendor and store, the role options) in vending.py."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, common_options, env_format, pass_app
from awsroles.cli.vending import SESSION_VARIABLE, make_vendor, open_user_store, role_options, when
from awsroles.creds.browser import KINDS as BROWSERS
from awsroles.errors import ExitCode, UsageError
from awsroles.render import FORMATS

if TYPE_CHECKING:
    from awsroles.creds.model import Credentials
    from awsroles.creds.vend import RoleSession
    from awsroles.org.model import Org

def _session(environment: str, role: str | None, duration: int | None, mfa_code: str | None, *,
             captured: bool = False) -> RoleSession:
    return make_vendor(mfa_code, captured=captured).role_session(environment, role, duration=duration)


# -- setup ---------------------------------------------------------------------------------------


@click.command()
@common_options(org=True)
@click.option("--access-key-id", metavar="ID", help="Your ops access key id (prompted when omitted).")
@click.option("--secret-stdin", is_flag=True, help="Read the secret access key from standard input.")
@click.option("--store", "store_kind", type=click.Choice(["keyring", "file", "plaintext"]), default="keyring",
              show_default=True, help="Where the key and sessions live: the OS keyring, an encrypted file "
                                      "(headless machines), or a plaintext file (only if you must).")
@click.option("--mfa-command", metavar="CMD", default="", help="A command printing an MFA code, e.g. "
              "'ykman oath accounts code -s aws'.")
@click.option("--totp-seed-stdin", is_flag=True, help="Opt in: read your TOTP seed from standard input and keep "
              "it in the store, so codes are generated for you (weakens MFA to one factor).")
@click.option("--region", metavar="REGION", help="Your preferred region (default: the org's).")
@click.option("--browser", type=click.Choice(BROWSERS), default=None,
              help="Where `awsroles console` opens (see its --help; default: the one set before, else default).")
@click.option("--identity-center", "identity_center", is_flag=True,
              help="Sign in through IAM Identity Center (the default when the org uses nothing else).")
@click.option("--start-url", metavar="URL", default="",
              help="The AWS access portal URL (default: the org file's identity_center_start_url).")
@click.option("--share-sso-login", is_flag=True,
              help="Also keep the Identity Center sign-in in ~/.aws/sso/cache (plaintext, as the AWS CLI does), so "
                   "`aws sso login` and sso-session profiles share it.")
@pass_app
def setup(app: App, access_key_id: str | None, secret_stdin: bool, store_kind: str, mfa_command: str,
          totp_seed_stdin: bool, region: str | None, browser: str | None, identity_center: bool, start_url: str,
          share_sso_login: bool) -> int:
    """Store your ops access key in the keyring and record who you are and what you may assume.

    Finds your IAM user and MFA device (GetCallerIdentity, ListMFADevices) and copies the
    environments and roles you are granted from the org file into ~/.config/awsroles/config.ini.
    The key never goes to ~/.aws/credentials.

    In an org whose people sign in through IAM Identity Center, there is no key: setup signs
    you in (a code to approve in your browser), asks the access portal which roles you are given,
    and records them under the org file's names. The sign-in stays in the keyring; with
    --share-sso-login, also in ~/.aws/sso/cache, where the AWS CLI keeps it.

    \b
    Examples:
      awsroles setup
      awsroles setup --store file --mfa-command 'ykman oath accounts code -s aws'
      printf '%s' "$SECRET" | awsroles setup --access-key-id AKIA... --secret-stdin
      awsroles setup --identity-center --share-sso-login
    """
    from awsroles.aws import for_credentials
    from awsroles.creds import userconfig
    from awsroles.creds.fastcache import FastCache
    from awsroles.creds.orgs import place_for_setup
    from awsroles.creds.setup import SetupRequest
    from awsroles.creds.setup import setup as set_up
    from awsroles.render import Result

    org = app.load_org()
    beside = place_for_setup(org.name)  # a further org goes to orgs/NAME, beside the first one
    if identity_center or not org.uses_iam_users:
        if access_key_id or secret_stdin or totp_seed_stdin or mfa_command:
            raise UsageError("through IAM Identity Center there is no access key or MFA to give: leave out "
                             "--access-key-id, --secret-stdin, --mfa-command and --totp-seed-stdin")
        return _setup_identity_center(app, org, beside, store_kind, region, browser, start_url, share_sso_login)
    if start_url or share_sso_login:
        raise UsageError("--start-url and --share-sso-login are for signing in through IAM Identity Center: "
                         "add --identity-center")
    if store_kind == "plaintext":
        app.warn("warning: your key will be stored in a PLAINTEXT file; use the keyring or --store file if you can")
    if access_key_id is None:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for your access key: pass --access-key-id ID and give the secret "
                             "on standard input with --secret-stdin, e.g. printf '%s' \"$SECRET\" | awsroles setup "
                             "--access-key-id AKIA... --secret-stdin")
        access_key_id = str(click.prompt("Access key id", err=True)).strip()
    if secret_stdin:
        secret = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        secret = str(click.prompt("Secret access key", hide_input=True, err=True)).strip()
    else:
        raise UsageError("no terminal to ask for the secret access key: pass --secret-stdin")
    seed = ""
    if totp_seed_stdin:
        app.warn("warning: with the TOTP seed in your keyring, anyone with your unlocked session has both "
                 "factors; prefer a hardware key and --mfa-command")
        seed = (sys.stdin.readline() if secret_stdin or not sys.stdin.isatty() else
                click.prompt("TOTP seed (base32)", hide_input=True, err=True)).strip().replace(" ", "")
    if browser is None:  # running setup again keeps the browser chosen before
        with contextlib.suppress(UsageError):
            browser = userconfig.load().browser
    request = SetupRequest(access_key_id, secret, store=store_kind, mfa_command=mfa_command, totp_seed=seed,
                           region=region, browser=browser or "default")
    done = set_up(org, app.org_path, request, aws_for=for_credentials, open_store=open_user_store,
                  save=userconfig.save, fast=FastCache.default())
    config = done.config
    missing = " (your org requires one: enrol it first)" if done.mfa_required else ""
    mine = "; ".join(e + ": " + ", ".join(r) for e, r in done.environments.items()) or "nothing yet"
    app.render(Result(
        {"user": config.user_name, "arn": config.user_arn, "ops_account": config.ops_account_id,
         "store": done.store_name, "mfa_serial": config.mfa_serial or None, "environments": done.environments,
         "break_glass": done.break_glass, "settings": str(done.config_path), "browser": config.browser},
        notes=[f"{config.user_name} ({config.user_arn}) in {org.name}'s ops account {config.ops_account_id}",
               f"  key stored in: {done.store_name}",
               f"  MFA device:    {config.mfa_serial or 'none' + missing}",
               f"  you may assume: {mine}",
               *_break_glass_line(done.break_glass),
               f"  settings:      {done.config_path}",
               f"  console browser: {config.browser}",
               *([f"  beside {beside} (your first org): pick {org.name} with --org {org.name} or "
                  f"AWSROLES_ORG={org.name}"] if beside is not None else [])]))
    return ExitCode.OK


def _break_glass_line(environments: list[str]) -> list[str]:
    if not environments:
        return []
    return [f"  break-glass:   {', '.join(environments)} (awsroles login {environments[0]} --break-glass "
            "--reason TEXT; every use alarms)"]


def _setup_identity_center(app: App, org: Org, beside: str | None, store_kind: str, region: str | None,
                           browser: str | None, start_url: str, share: bool) -> int:
    from awsroles.creds import userconfig
    from awsroles.creds.factory import make_portal, make_signin
    from awsroles.creds.fastcache import FastCache
    from awsroles.creds.setup import SignInRequest, setup_identity_center
    from awsroles.render import Result

    if store_kind == "plaintext":
        app.warn("warning: your sign-in will be stored in a PLAINTEXT file; use the keyring or --store file if you can")
    if share:
        app.warn("note: your sign-in will also be kept in ~/.aws/sso/cache, a plaintext file (as the AWS CLI does)")
    if browser is None:
        with contextlib.suppress(UsageError):
            browser = userconfig.load().browser
    request = SignInRequest(store=store_kind, region=region, browser=browser or "default", start_url=start_url,
                            share_sso_login=share)
    done = setup_identity_center(org, app.org_path, request, signin_for=make_signin,
                                 portal=make_portal(org.identity_center_region_name), whoami=_session_user,
                                 open_store=open_user_store, save=userconfig.save, fast=FastCache.default())
    config = done.config
    mine = "; ".join(e + ": " + ", ".join(r) for e, r in done.environments.items()) or "nothing yet"
    app.render(Result(done.as_dict(), notes=[
        f"{config.user_name or 'you'} in {org.name}, through IAM Identity Center ({config.start_url})",
        f"  sign-in kept in: {done.store_name}" + (" and ~/.aws/sso/cache" if config.share_sso_login else ""),
        f"  you may assume: {mine}",
        *_break_glass_line(done.break_glass),
        *([f"  not in the org file (ignored): {', '.join(done.not_in_org_file)}"] if done.not_in_org_file else []),
        *(["  removed awsroles' copy of your sign-in from ~/.aws/sso/cache (not shared any more)"]
          if done.unshared else []),
        f"  settings:      {done.config_path}",
        *([f"  beside {beside} (your first org): pick {org.name} with --org {org.name} or "
           f"AWSROLES_ORG={org.name}"] if beside is not None else [])]))
    return ExitCode.OK


def _session_user(credentials: Credentials, region: str) -> str | None:
    """The person's name in a role session IAM Identity Center gave: its session name."""
    from awsroles.aws import for_credentials

    arn = for_credentials(credentials, region).whoami().arn
    return arn.rsplit("/", 1)[-1] if ":assumed-role/" in arn else None


# -- login, exec, env, credential-process ----------------------------------------------------------


@click.command()
@common_options
@role_options
@click.option("--break-glass", "break_glass", is_flag=True,
              help="Assume ENV's break-glass role ([break-glass ENV] names you): a new session every time, with "
                   "--reason; every use alarms.")
@click.option("--reason", metavar="TEXT", default=None,
              help="Why (required with --break-glass): a session tag AWS records with the AssumeRole, and a line "
                   "in the audit log.")
@pass_app
def login(app: App, environment: str, role: str | None, duration: int | None, mfa_code: str | None,
          break_glass: bool, reason: str | None) -> int:
    """Get (or reuse) a role session and show who you are, where, and until when.

    One MFA code per work day: the MFA session is cached (up to the org's mfa_max_age) and
    every granted role in every environment is assumed from it without a new code.

    With --break-glass, the break-glass role of ENV instead: never reused, never served by
    credential-process; use it with `awsroles exec ENV --break-glass`.

    \b
    Examples:
      awsroles login prod --role admin
      awsroles login dev                      (your only role in dev)
      awsroles login prod --break-glass --reason "INC-1234 database down"
    """
    if break_glass:
        return _break_glass_login(app, environment, role, duration, mfa_code, reason)
    if reason is not None:
        raise UsageError("--reason goes with --break-glass (a temporary grant's reason is the admin's: "
                         "`awsroles grant ... --for`)")
    session = _session(environment, role, duration, mfa_code)
    grant = session.grant
    data = {"environment": grant.environment,
            "role": grant.role, "account_id": grant.account_id, "role_arn": grant.role_arn,
            "expiration": when(session), "cached": session.cached}
    from awsroles.render import Result

    how = "reused the cached session" if session.cached else "new session"
    app.render(Result(data, notes=[
        f"{grant.role} in {grant.environment} ({grant.account_id}) until {when(session)} ({how})",
        f"  use it: awsroles exec {grant.environment} --role {grant.role} -- aws sts get-caller-identity"]))
    return ExitCode.OK


def _break_glass_login(app: App, environment: str, role: str | None, duration: int | None, mfa_code: str | None,
                       reason: str | None) -> int:
    if reason is None:
        raise UsageError("--break-glass needs --reason TEXT: why (an incident or ticket)")
    if role is not None:
        raise UsageError("--break-glass takes no --role: ENV's break-glass role is the one in [break-glass ENV]")
    from awsroles.creds import breakglass
    from awsroles.people.audit import record
    from awsroles.render import Result

    vendor = make_vendor(mfa_code)
    checked = breakglass.check_reason(reason)  # before anything reaches AWS
    breakglass.resolve(vendor, environment)
    session = breakglass.assume(vendor, environment, checked, duration)
    grant = session.grant
    expiry = session.credentials.expiration
    until = expiry.strftime("%Y-%m-%d %H:%M UTC") if expiry else "never"
    record("break-glass-login", actor=vendor.config.user_arn or vendor.config.user_name, account=grant.account_id,
           target=grant.role_arn, details={"environment": environment, "role": grant.role, "reason": session.reason,
                                           "until": until})
    data = {"environment": environment, "role": grant.role, "account_id": grant.account_id,
            "role_arn": grant.role_arn, "expiration": until, "break_glass": True, "reason": session.reason}
    app.render(Result(data, notes=[
        f"BREAK-GLASS {grant.role} in {environment} ({grant.account_id}) until {until}: the alarm has gone off",
        f"  reason: {session.reason}",
        f"  use it: awsroles exec {environment} --break-glass -- aws sts get-caller-identity"]))
    return ExitCode.OK


class _ExecCommand(click.Command):
    """``exec ENV [OPTIONS] [--] [COMMAND...]``: from the command's first word on, every word is the
    command's, even one that looks like an awsroles option (``ls -v``, ``aws ... --output json``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {name for param in self.get_params(ctx) if isinstance(param, click.Option)
                       and not param.is_flag and not param.count for name in param.opts}
        return super().parse_args(ctx, command_after_environment(args, takes_value))


def command_after_environment(args: list[str], takes_value: set[str]) -> list[str]:
    """``args`` with ``--`` inserted before the command's first word (the second word that is not
    an option or an option's value), unless a ``--`` already ends the options."""
    positional, i = 0, 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args
        if arg.startswith("-") and arg != "-":
            i += 2 if arg in takes_value else 1  # --role admin; --role=admin, -vv and -radmin are one word
            continue
        positional += 1
        if positional == 2:
            return [*args[:i], "--", *args[i:]]
        i += 1
    return args


@click.command("exec", cls=_ExecCommand, context_settings={"ignore_unknown_options": True})
@common_options(forms=FORMATS)  # exec prints nothing of its own: every form is accepted
@role_options
@click.option("--nest", is_flag=True, help="Allow running inside another `awsroles exec`.")
@click.option("--break-glass", "break_glass", is_flag=True,
              help="Use the break-glass session `login ENV --break-glass` made (never a new one).")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@pass_app
def exec_(app: App, environment: str, role: str | None, duration: int | None, mfa_code: str | None, nest: bool,
          break_glass: bool, command: tuple[str, ...]) -> int:
    """Run a command with the role's credentials in its environment (a shell when no command).

    The command's exit code is passed through. Inside, AWSROLES_SESSION names the session;
    running exec inside exec is refused unless --nest.

    \b
    Examples:
      awsroles exec prod --role admin -- aws s3 ls
      awsroles exec dev                       (a subshell)
      awsroles exec dev aws sts get-caller-identity --output json   (--output is aws's)
    """
    current = os.environ.get(SESSION_VARIABLE)
    if current and not nest:
        raise UsageError(f"already inside `awsroles exec` ({current}): exit that shell first, or pass --nest")
    vendor = make_vendor(mfa_code)
    if break_glass:
        if role is not None or duration is not None:
            raise UsageError("--break-glass takes no --role or --duration: it uses the session `awsroles login ENV "
                             "--break-glass` made")
        from awsroles.creds import breakglass

        grant, credentials = breakglass.stored(vendor, environment)
    else:
        session = vendor.role_session(environment, role, duration=duration)
        grant, credentials = session.grant, session.credentials
    from awsroles.creds.store.encrypted_file import PASSPHRASE_ENV

    # The command gets the role, never awsroles' own secrets: the file store's passphrase stays here.
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                        PASSPHRASE_ENV)}
    env.update(credentials.environment())
    env[SESSION_VARIABLE] = f"{grant.environment}/{grant.role}"
    env.setdefault("AWS_REGION", vendor.config.region)
    env.setdefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
    argv = list(command) or [os.environ.get("SHELL", "/bin/sh")]
    if argv and argv[0] == "--":
        argv = argv[1:] or [os.environ.get("SHELL", "/bin/sh")]
    import subprocess  # not at the top: tab completion imports this module

    try:
        return subprocess.call(argv, env=env)
    except FileNotFoundError:  # what a shell answers: 127 and 126
        app.warn(f"awsroles: error: command not found: {argv[0]}")
        return ExitCode.COMMAND_NOT_FOUND
    except (PermissionError, IsADirectoryError, OSError) as exc:
        app.warn(f"awsroles: error: cannot run {argv[0]}: {exc.strerror or exc}")
        return ExitCode.NOT_EXECUTABLE


@click.command("env")
@common_options
@role_options
@click.option("--format", "fmt", type=click.Choice(["sh", "fish", "powershell", "dotenv", "json"]), default="sh",
              show_default=True, help="How to print the variables (-o json is --format json).")
@pass_app
def env_(app: App, environment: str, role: str | None, duration: int | None, mfa_code: str | None, fmt: str) -> int:
    """Print the role's credentials as environment variables for a shell or a dotenv file.

    \b
    Examples:
      eval "$(awsroles env prod --role admin)"
      awsroles env dev --format fish | source
      awsroles env dev --format dotenv > .env
      awsroles env dev -o json | jq -r .AWS_CREDENTIAL_EXPIRATION

    `awsroles shell-init` installs `assume ENV [ROLE]`, which does the eval for you.
    """
    from awsroles.creds.shellenv import format_env
    from awsroles.render import Result

    fmt = env_format(app, fmt)  # before asking for an MFA code
    session = _session(environment, role, duration, mfa_code)
    variables = session.credentials.environment()
    variables[SESSION_VARIABLE] = f"{session.grant.environment}/{session.grant.role}"
    if session.credentials.expiration is not None:  # for prompts (shell-init): Unix time, no date parsing
        variables[f"{SESSION_VARIABLE}_EXPIRES"] = str(int(session.credentials.expiration.timestamp()))
    app.render(Result(variables, text=format_env(variables, fmt)))
    return ExitCode.OK


@click.command("credential-process")
@common_options
@role_options
@pass_app
def credential_process(app: App, environment: str, role: str | None, duration: int | None,
                       mfa_code: str | None) -> int:
    """Print credentials in the AWS credential_process format (for ~/.aws/config profiles).

    The cached path does not load boto3 and answers in a few milliseconds.

    \b
    Example (in ~/.aws/config; `awsroles profiles sync` writes these for you):
      [profile acme-prod-admin]
      credential_process = awsroles credential-process prod --role admin
    """
    import json

    from awsroles.render import Result

    session = _session(environment, role, duration, mfa_code, captured=True)  # the SDK reads stdout and stderr
    document = session.credentials.credential_process()  # the table form: one line, as the hot path prints it
    app.render(Result(json.loads(document), text=document + "\n"))
    return ExitCode.OK
