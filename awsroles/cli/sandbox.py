"""``awsroles sandbox start|stop|env|status``: a local AWS to try awsroles on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from awsroles.cli.app import App, common_options, env_format, pass_app, shown
from awsroles.cli.complete import complete_users
from awsroles.creds.shellenv import ENV_FORMATS
from awsroles.errors import ExitCode, UsageError
from awsroles.org.location import ENV_VAR
from awsroles.render import FORMATS, Result


@click.group()
@common_options(forms=FORMATS)  # the global options, also between the group and its command
def sandbox() -> None:
    """A local AWS on 127.0.0.1 (a moto server), seeded from an org file.

    The sandbox has the org's accounts (with the org file's ids), the bootstrap role in every
    environment account and an admin user in the ops account. Its keys are fake, and work only
    against the sandbox. See docs/sandbox.md.

    \b
    Example:
      awsroles sandbox start && eval "$(awsroles sandbox env)"
    """


def private_starter(directory: Path) -> Path:
    """The starter org written under ``directory`` (the sandbox's state folder), afresh each time."""
    import shutil

    from awsroles.fsutil import private_dir
    from awsroles.org.starter import write_starter

    folder = private_dir(directory) / "org"
    shutil.rmtree(folder, ignore_errors=True)
    return write_starter(folder / "awsroles.ini")[0]


@sandbox.command()
@common_options
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: any free port).")
@click.option("--wait", "timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, metavar="SECONDS",
              help="How long to wait for the server to answer.")
@click.option("--bare", is_flag=True,
              help="Seed the organization with its management account alone (no other account, no role, no "
                   "bill): `awsroles apply` then creates the accounts the org file declares without an id.")
@click.option("--console-org", "console", is_flag=True,
              help="Also seed an org made by hand in the console, at IAM path / (users, groups allowed to assume "
                   "roles with MFA, roles in the environment accounts), for `awsroles import` to adopt.")
@pass_app
def start(app: App, port: int, timeout: float, bare: bool, console: bool) -> int:
    """Start the sandbox in the background and seed it from the org file.

    The org file is --file, else $AWSROLES_FILE, else ./awsroles.ini when there is one; without
    any, a private copy of the starter (`awsroles init`'s) under the sandbox's state folder, so
    no file of yours or of the awsroles checkout is ever edited through it. If a sandbox is
    already running, says where and starts nothing. The server keeps running after this command
    returns; its log and state are in $XDG_STATE_HOME/awsroles/sandbox.

    With --bare, the organization holds its management account alone, and the admin lives
    there: every other account of the org file must be without an id, for `awsroles apply` to
    create (see docs/accounts.md).

    With --console-org, the accounts also hold what an admin made by hand in the console,
    at IAM path /: users alice, bob, carol and ci-deploy in ops; groups Admins, Developers
    (allowed to assume the roles Admin and Developer, with MFA) and Auditors; and those
    roles in the environment accounts, trusting ops. Nothing of it is awsroles' (see
    docs/migrate-console.md).

    \b
    Examples:
      awsroles sandbox start
      awsroles -f examples/large.ini sandbox start --port 5000
      awsroles -f acme.ini sandbox start --bare
      awsroles sandbox start --console-org
    """
    from awsroles.sandbox.process import start_detached
    from awsroles.sandbox.state import read_state, state_dir

    org_path = app.org_path
    if not app.file and not os.environ.get(ENV_VAR) and not org_path.is_file():
        running = read_state(Path(state_dir()))  # running: leave its org file alone
        org_path = Path(running.org_file) if running else private_starter(Path(state_dir()))
    if bare and console:
        raise UsageError("--bare and --console-org: a bare sandbox has no environment accounts to hold the "
                         "console-made org; use one of them")
    state, started = start_detached(org_path, port=port, timeout=timeout, bare=bare, console=console)
    if not started:
        notes = [f"a sandbox is already running at {state.endpoint} (pid {state.pid}), "
                 f"seeded from {shown(state.org_file)}"]
        if Path(state.org_file) != org_path.resolve():
            notes.append(f"to use {shown(org_path)} instead: awsroles sandbox stop, then start again")
        app.render(Result(data={"started": False, **state.public()}, notes=notes))
        return ExitCode.OK
    app.render(Result(data={"started": True, **state.public()}, notes=[
        f"sandbox running at {state.endpoint} (pid {state.pid}), seeded from {shown(state.org_file)}"
        + (" (bare: the management account alone)" if state.bare else "")
        + (", with a console-made org at IAM path /" if state.console else ""),
        f"  admin: {state.credentials.user_arn}",
        f"  keys:  fake moto keys for this sandbox only, kept in plaintext in {state.state_file}",
        f"  log:   {state.log_file}",
        'use it:  eval "$(awsroles sandbox env)"',
        "stop it: awsroles sandbox stop",
    ]))
    return ExitCode.OK


@sandbox.command()
@common_options
@click.option("--wait", "timeout", type=click.FloatRange(min=0), default=10.0, show_default=True, metavar="SECONDS",
              help="How long to wait after SIGTERM before SIGKILL.")
@pass_app
def stop(app: App, timeout: float) -> int:
    """Stop the sandbox started by `awsroles sandbox start`; everything in it is gone.

    \b
    Example:
      awsroles sandbox stop
    """
    from awsroles.sandbox.process import stop_detached

    state = stop_detached(timeout=timeout)
    note = "no sandbox is running" if state is None else f"stopped the sandbox at {state.endpoint} (pid {state.pid})"
    app.render(Result(data={"stopped": state is not None, **(state.public() if state else {})}, notes=[note]))
    return ExitCode.OK


@sandbox.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(ENV_FORMATS), default="sh", show_default=True,
              help="sh (bash, zsh), fish, powershell, dotenv or json (-o json is --format json).")
@pass_app
def env(app: App, fmt: str) -> int:
    """Print the environment that points a shell at the sandbox, as its admin.

    Sets AWS_ENDPOINT_URL, the admin's (fake) keys, the region and AWSROLES_FILE (the org
    file the sandbox was seeded from); the shell formats also unset AWS_SESSION_TOKEN and
    AWS_PROFILE, so nothing from a real AWS login mixes in.

    \b
    Examples:
      eval "$(awsroles sandbox env)"
      awsroles sandbox env --format fish | source
      awsroles sandbox env --format powershell | Invoke-Expression
      awsroles sandbox env --format dotenv > .env
    """
    from awsroles.creds.shellenv import format_env
    from awsroles.sandbox.client import SandboxError
    from awsroles.sandbox.state import read_state

    fmt = env_format(app, fmt)
    state = read_state()
    if state is None:
        raise SandboxError("no sandbox is running; start one with `awsroles sandbox start`")
    app.render(Result(state.env(), text=format_env(state.env(), fmt)))
    return ExitCode.OK


@sandbox.command()
@common_options
@pass_app
def status(app: App) -> int:
    """Whether the sandbox runs, where, and with which org file.

    \b
    Examples:
      awsroles sandbox status
      awsroles sandbox status -o json | jq -r .endpoint
    """
    from awsroles.sandbox.state import read_state

    state = read_state()
    data: dict[str, Any] = {"running": state is not None, **(state.public() if state else {})}
    if state is None:
        notes = ["no sandbox is running (start one with `awsroles sandbox start`)"]
    else:
        notes = [f"running at {state.endpoint} (pid {state.pid}) since {state.started_at}",
                 f"  org file: {shown(state.org_file)}",
                 f"  region:   {state.region}",
                 f"  admin:    {state.credentials.user_arn} ({state.credentials.access_key_id})",
                 f"  state:    {state.state_file}",
                 f"  log:      {state.log_file}"]
    app.render(Result(data=data, notes=notes))
    return ExitCode.OK



@sandbox.command()
@common_options
@click.argument("name", shell_complete=complete_users)
@pass_app
def person(app: App, name: str) -> int:
    """Be NAME on the running sandbox: a key and an MFA device, and awsroles set up as NAME here.

    Gives the IAM user NAME (made by `awsroles apply`) an access key and an enabled virtual MFA
    device, then runs what `awsroles setup` does with that key, in this HOME. The key is a fake
    sandbox key, kept in a plaintext file; MFA codes come from `awsroles sandbox mfa-code NAME`,
    which the sandbox can make because it keeps the device's seed (sandbox only: against AWS, codes
    come from your authenticator). In a shell that ran `eval "$(awsroles sandbox env)"`.

    \b
    Examples:
      awsroles apply --yes && awsroles sandbox person alice && awsroles login prod --role admin
    """
    import shlex
    import sys

    from awsroles.creds import userconfig
    from awsroles.creds.factory import open_user_store
    from awsroles.creds.fastcache import FastCache
    from awsroles.creds.setup import SetupRequest, setup
    from awsroles.sandbox.client import sandbox_aws
    from awsroles.sandbox.person import enroll

    state, org, person = enroll(name)
    codes = f"{shlex.quote(sys.executable)} -m awsroles sandbox mfa-code {shlex.quote(name)}"
    request = SetupRequest(person.access_key_id, person.secret_access_key, store="plaintext", mfa_command=codes)
    done = setup(org, Path(state.org_file), request,
                 aws_for=lambda key, region: sandbox_aws(state.endpoint, (key.access_key_id, key.secret_access_key),
                                                         region or state.region),
                 open_store=lambda kind: open_user_store(kind), save=userconfig.save, fast=FastCache.default())
    mine = "; ".join(e + ": " + ", ".join(r) for e, r in done.environments.items()) or "nothing yet"
    app.render(Result(
        {"user": name, "arn": person.user_arn, "access_key_id": person.access_key_id,
         "mfa_serial": person.mfa_serial, "environments": done.environments, "settings": str(done.config_path)},
        notes=[f"you are {name} ({person.user_arn}) in this HOME now, on the sandbox at {state.endpoint}",
               f"  may assume: {mine}",
               f"  key:        {person.access_key_id}, a fake sandbox key in a plaintext file ({done.store_name})",
               f"  MFA codes:  `awsroles sandbox mfa-code {name}` (device {person.mfa_serial})",
               "next: awsroles login ENV --role ROLE"]))
    return ExitCode.OK


@sandbox.command("mfa-code")
@common_options(forms=("table",))  # the code alone, as an mfa_command prints it
@click.argument("name", shell_complete=complete_users)
@pass_app
def mfa_code(app: App, name: str) -> int:
    """Print a code NAME's sandbox MFA device shows now (after `awsroles sandbox person NAME`).

    A code the sandbox has not taken yet: it takes each code once, as AWS does.

    \b
    Examples:
      awsroles sandbox mfa-code alice
    """
    from awsroles.sandbox.person import mfa_code as code_of

    app.render(Result(None, text=code_of(name) + "\n"))
    return ExitCode.OK
