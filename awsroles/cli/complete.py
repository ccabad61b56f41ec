"""Tab completion for click: the dynamic callbacks, and the command tree the fast path reads.

The names come from :mod:`awsroles.cli.fastcomplete` (one set of completers, click-free): the
environments and roles the person holds (their user config, written by ``awsroles setup``), and
teams, users, environments and roles the org file declares (``--file``, ``$AWSROLES_FILE``,
``./awsroles.ini``, then the org file recorded at setup). Never raise: a missing or broken file
completes nothing.

Most requests never reach click: ``entry.py`` answers them from :mod:`awsroles.cli.completion_spec`,
the command tree :func:`build_spec` writes (``python -m awsroles.cli.complete``).
"""

from __future__ import annotations

import pprint
import sys
from collections.abc import Callable
from typing import Any

import click
from click.shell_completion import CompletionItem

from awsroles.cli.fastcomplete import COMPLETERS

ClickCompleter = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def _explicit_file(ctx: click.Context) -> str | None:
    """``--file`` as given on the command line being completed (before or after the command)."""
    current: click.Context | None = ctx
    while current is not None:
        file = getattr(current.obj, "file", None)
        if file:
            return str(file)
        current = current.parent
    return None


def _value(ctx: click.Context, name: str) -> str | None:
    """A value already on the line. When the option being completed still lacks its value
    (``login prod --role <TAB>``), click stops parsing and leaves the earlier words in
    ``ctx.args``: parse those again."""
    value = ctx.params.get(name)
    if value is None and ctx.args:
        try:
            again = ctx.command.make_context(ctx.info_name, list(ctx.args), parent=ctx.parent,
                                             resilient_parsing=True)
            value = again.params.get(name)
        except Exception:
            return None
    return value if isinstance(value, str) else None


def _callback(kind: str) -> ClickCompleter:
    names = COMPLETERS[kind]

    def callback(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        offered = names(lambda name: _value(ctx, name), _explicit_file(ctx))
        return [CompletionItem(name) for name in offered if name.startswith(incomplete)]

    callback.kind = kind  # type: ignore[attr-defined]  # what build_spec records
    callback.__name__ = f"complete_{kind}"
    return callback


complete_my_environments = _callback("my_environments")
complete_my_roles = _callback("my_roles")
complete_my_orgs = _callback("my_orgs")
complete_org_environments = _callback("org_environments")
complete_org_roles = _callback("org_roles")
complete_team_roles = _callback("team_roles")
complete_teams = _callback("teams")
complete_users = _callback("users")
complete_requests = _callback("requests")


# -- the command tree for the fast path ------------------------------------------------------------

def _completer(param: click.Parameter) -> Any:
    """How a parameter's value completes: a kind of COMPLETERS, a tuple of choices, "" for a plain
    string (nothing to offer), or None (click's own: files, the words ``exec`` runs, ...)."""
    custom = getattr(param, "_custom_shell_complete", None)
    if custom is not None:
        return getattr(custom, "kind", None)
    if isinstance(param.type, click.Choice) and param.type.case_sensitive and all(
            isinstance(choice, str) for choice in param.type.choices):
        return tuple(param.type.choices)
    if type(param.type) is click.types.StringParamType:
        return ""
    return None


def _supported(command: click.Command, params: list[click.Parameter]) -> bool:
    """Whether the fast path reads this command's words as click does."""
    if isinstance(command, click.Group) and command.chain:
        return False
    arguments = [p for p in params if isinstance(p, click.Argument)]
    if any(p.nargs not in (1, -1) or p.envvar for p in arguments):
        return False
    if any(p.nargs == -1 for p in arguments[:-1]):
        return False
    return all(p.nargs == 1 for p in params if isinstance(p, click.Option))


def build_spec(group: click.Group) -> dict[str, dict[str, Any]]:
    """Every command's words, by its path under ``group`` ("" for the group itself)."""
    spec: dict[str, dict[str, Any]] = {}

    def visit(path: str, command: click.Command, parent: click.Context | None) -> None:
        ctx = click.Context(command, info_name=path.rpartition(" ")[2] or "awsroles", parent=parent,
                            **command.context_settings)
        params = command.get_params(ctx)
        options: dict[str, tuple[str | None, bool, Any]] = {}
        for param in params:
            if isinstance(param, click.Option):
                takes_value = not (param.is_flag or param.count)
                for opt in [*param.opts, *param.secondary_opts]:
                    options[opt] = (param.name, takes_value, _completer(param) if takes_value else None)
        arguments = [(p.name, p.nargs, _completer(p)) for p in params if isinstance(p, click.Argument)]
        commands: dict[str, tuple[str, bool]] | None = None
        if isinstance(command, click.Group):
            commands = {}
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    commands[name] = (sub.get_short_help_str(), sub.hidden)
        spec[path] = {"supported": _supported(command, params), "commands": commands,
                      "options": options, "arguments": arguments}
        if isinstance(command, click.Group):
            for name in commands or ():
                sub = command.get_command(ctx, name)
                if sub is not None:
                    visit(f"{path} {name}".lstrip(), sub, ctx)

    visit("", group, None)
    return spec


def spec_source(spec: dict[str, dict[str, Any]]) -> str:
    """``awsroles/cli/completion_spec.py`` for ``spec``."""
    return ('"""The command tree the tab-completion fast path reads (awsroles/cli/fastcomplete.py).\n\n'
            "Generated from the click group by ``python -m awsroles.cli.complete > awsroles/cli/completion_spec.py``;\n"
            'do not edit: tests/unit/test_completion.py fails when it is out of date.\n"""\n\n'
            "from __future__ import annotations\n\n"
            "TYPE_CHECKING = False\n"
            "if TYPE_CHECKING:  # without importing typing: a <TAB> imports this module\n"
            "    from typing import Any\n\n"
            f"SPEC: dict[str, dict[str, Any]] = {pprint.pformat(spec, width=110, sort_dicts=False)}\n")


if __name__ == "__main__":
    from awsroles.cli.app import cli

    sys.stdout.write(spec_source(build_spec(cli)))
