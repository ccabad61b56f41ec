"""The click group, the per-run context, and the options every command shares."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, overload

import click

from awsroles import __version__
from awsroles.errors import UsageError
from awsroles.render import FORMATS, PLAIN_FORMS, Result, check_form, render

if TYPE_CHECKING:
    from awsroles.org.model import Org

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    """Everything a command needs from the outside world; tests build their own."""

    file: str | None = None
    output: str = "table"
    verbose: int = 0
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    @property
    def org_path(self) -> Path:
        from awsroles.org.location import resolve_path

        return resolve_path(self.file)

    def load_org(self) -> Org:
        from awsroles.iam.checks import load_org

        return load_org(self.org_path)

    def render(self, result: Result) -> None:
        render(result, self.output, self.stdout)

    def say(self, message: str = "") -> None:
        """A line for humans on stdout, in the table form only (never inside JSON, CSV or Markdown)."""
        if self.output == "table":
            click.echo(message, file=self.stdout)

    def warn(self, message: str) -> None:
        click.echo(message, file=self.stderr)


pass_app = click.make_pass_decorator(App)


def shown(path: str | os.PathLike[str]) -> str:
    """A path as people read it: relative under the working directory, else as it is."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else os.fspath(path)


def env_format(app: App, fmt: str) -> str:
    """``env``'s and ``sandbox env``'s own ``--format`` against ``-o``: ``-o json`` is ``--format
    json``; the other formats are the table form. Both given, and different, is a usage error."""
    from click.core import ParameterSource

    if app.output == "json":
        if fmt != "json" and click.get_current_context().get_parameter_source("fmt") == ParameterSource.COMMANDLINE:
            raise UsageError(f"--format {fmt} and --output json disagree: give one of them")
        return "json"
    return fmt


# Every command that lives in its own module, by its full name -> "MODULE:ATTRIBUTE" under
# awsroles.cli: the one registry of the CLI. A group imports a command's module only when that
# command is run, completed or listed with its help (click's "lazily loading subcommands"), so a
# request imports what its words need and no more. A group's own subcommands may instead be
# defined next to it (accounts, export, profiles, sandbox, team).
COMMANDS: dict[str, str] = {
    "access": "access:access",
    "access review": "access_review:review",
    "accounts": "accounts:accounts",
    "apply": "plan:apply",
    "approve": "requests:approve",
    "completion": "completion:completion",
    "console": "profiles:console",
    "costs": "costs:costs",
    "credential-process": "creds:credential_process",
    "demo": "demo:demo",
    "deny": "requests:deny",
    "env": "creds:env_",
    "exec": "creds:exec_",
    "export": "export:export",
    "grant": "grants:grant",
    "import": "importer:import_",
    "init": "init:init",
    "login": "creds:login",
    "logout": "sessions:logout",
    "migrate": "migrate:migrate",
    "migrate identity-center": "migrate:identity_center",
    "plan": "plan:plan",
    "profiles": "profiles:profiles",
    "request": "requests:request",
    "requests": "requests:requests",
    "revoke": "grants:revoke",
    "sandbox": "sandbox:sandbox",
    "serve": "profiles:serve",
    "setup": "creds:setup",
    "shell-init": "shellinit:shell_init",
    "status": "sessions:status",
    "team": "grants:team",
    "users": "users:users",
    "users create": "users_lifecycle:create",
    "users disable": "users_lifecycle:disable",
    "users enable": "users_lifecycle:enable",
    "users keys": "users:keys",
    "users keys create": "users_credentials:keys_create",
    "users keys delete": "users_credentials:keys_delete",
    "users keys rotate": "users_credentials:keys_rotate",
    "users list": "users_lifecycle:list_",
    "users mfa": "users:mfa",
    "users mfa enroll": "users_credentials:mfa_enroll",
    "users mfa reset": "users_credentials:mfa_reset",
    "users offboard": "users_lifecycle:offboard",
    "users show": "users_lifecycle:show",
    "validate": "validate:validate",
    "whoami": "sessions:whoami",
}


def lazy_commands(group: str = "") -> dict[str, str]:
    """The commands of COMMANDS directly under ``group`` ("" for the top level): name -> import path."""
    prefix = f"{group} " if group else ""
    return {name[len(prefix):]: path for name, path in COMMANDS.items()
            if name.startswith(prefix) and " " not in name[len(prefix):]}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use, from ``lazy_subcommands`` (name -> "MODULE:ATTR")."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        module, _, attribute = self.lazy_subcommands[cmd_name].partition(":")
        command = getattr(importlib.import_module(f"awsroles.cli.{module}"), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"awsroles.cli.{module}:{attribute} is not a click command")
        return command


def _set(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None:
            setattr(ctx.ensure_object(App), attribute, value)

    return callback


def _output(forms: Collection[str]) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        app = ctx.ensure_object(App)
        if value is not None:
            app.output = value
        elif not ctx.resilient_parsing:  # given before the command name: checked before the command runs
            check_form(app.output, forms, ctx.command_path)

    return callback


def _more_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value:
        app = ctx.ensure_object(App)
        app.verbose += value
        logging.getLogger("awsroles").setLevel(logging.WARNING - 10 * min(app.verbose, 2))


def _org(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--org NAME``: which of your orgs, for this command and every awsroles it starts (``exec``):
    it sets ``$AWSROLES_ORG``, which :mod:`awsroles.paths` and :mod:`awsroles.creds.orgs` read."""
    from awsroles.paths import ORG_VAR, safe_org_name

    if value is None:
        return
    if not safe_org_name(value):
        raise click.BadParameter("letters, digits, - and _ only", param_hint="--org")
    os.environ[ORG_VAR] = value


def org_option(command: F) -> F:
    from awsroles.cli.complete import complete_my_orgs

    return click.option("--org", metavar="NAME", default=None, expose_value=False, is_eager=True, callback=_org,
                        shell_complete=complete_my_orgs,
                        help="Which of your orgs, when you have set up several (default: $AWSROLES_ORG, "
                             "else the first you set up).")(command)


@overload
def common_options(command: F) -> F: ...
@overload
def common_options(*, forms: Collection[str] = ..., verbose: bool = ..., file: bool = ...,
                   org: bool = ...) -> Callable[[F], F]: ...
def common_options(command: F | None = None, *, forms: Collection[str] = PLAIN_FORMS,
                   verbose: bool = True, file: bool = True, org: bool = False) -> F | Callable[[F], F]:
    """The global options, before or after the command name: ``--file``, ``--output`` and
    ``--verbose``. ``forms`` are the output forms the command has (render.py: table and json for
    commands that print no table); any other is a usage error before the command does anything.
    ``verbose=False`` and ``file=False`` leave out what the command declares itself; ``org=True``
    adds ``--org`` (the commands that use your own credentials)."""

    def decorate(command: F) -> F:
        if org:
            command = org_option(command)
        if verbose:
            command = click.option("--verbose", "-v", count=True, expose_value=False, callback=_more_verbose,
                                   help="More detail on stderr; -vv for debug logging.")(command)
        shown = [f for f in FORMATS if f in forms]
        command = click.option(
            "--output", "-o", type=click.Choice(shown), default=None, expose_value=False, is_eager=True,
            callback=_output(shown), help="Output format (default: table).",
        )(command)
        if not file:
            return command
        return click.option(
            "--file", "-f", "file", metavar="PATH", default=None, expose_value=False, is_eager=True,
            callback=_set("file"), help="The org file (default: $AWSROLES_FILE, then ./awsroles.ini).",
        )(command)

    return decorate(command) if command is not None else decorate


@click.group(cls=LazyGroup, lazy_subcommands=lazy_commands(),
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@common_options(forms=FORMATS, verbose=False, org=True)
@click.option("-v", "--verbose", count=True, help="More detail on stderr; -vv for debug logging.")
@click.version_option(__version__, "--version", prog_name="awsroles", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """awsroles: run AWS the multi-account way, with the whole org kept as code.

    People log in once to the ops account and switch into roles in one AWS account per
    environment. Teams, grants, roles and accounts live in one reviewable org file.

    \b
    Examples:
      awsroles validate                      check ./awsroles.ini
      awsroles -f examples/classic.ini access --env prod
      awsroles export terraform build/terraform
    """
    app = ctx.ensure_object(App)
    app.verbose = verbose
    # Only awsroles' own loggers get more verbose: botocore's debug output carries session tokens
    # in request headers, and secrets never go to logs.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=app.stderr)
    logging.getLogger("awsroles").setLevel(logging.WARNING - 10 * min(verbose, 2))
