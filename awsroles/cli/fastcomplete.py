"""Tab completion without click: the shell's request answered in a few milliseconds.

The shell runs ``awsroles`` on every <TAB>, so a request is answered here, from ``entry.py``,
before click is imported (importing click and the group costs more than the whole answer). The
command tree comes from :mod:`awsroles.cli.completion_spec`, generated from the click group
(``python -m awsroles.cli.complete``; a test fails when it is out of date), and the names from
the person's user config and the org file (the same completers :mod:`awsroles.cli.complete`
gives click).

This answers exactly what click would, or nothing: :func:`complete` returns None for any line it
does not fully understand (an option name being completed, ``--opt=value``, ``--``, an unknown
word, a value without a dynamic completion), and click then answers the request as usual. A test
compares the two on many lines.

May import: ``os``, ``configparser`` and ``shlex`` of the standard library,
``awsroles.creds.confignames``, ``awsroles.org.location`` and ``awsroles.org.skim`` (never click,
boto3, filelock, configupdater, nor dataclasses, pathlib or typing: a test checks what a
completion process imports).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:  # without importing typing: each module a <TAB> imports costs it time
    from typing import Any

    from awsroles.creds.confignames import ConfigNames
    from awsroles.org.skim import OrgNames

COMPLETE_VAR = "_AWSROLES_COMPLETE"
FILE_OPTION = "file"  # the parameter name of -f/--file on every command

# -- the names -----------------------------------------------------------------------------------


def config_names(org: str | None = None) -> ConfigNames | None:
    """The person's grants and recorded org file (of ``org``, when ``--org`` is on the line; else
    of the org ``$AWSROLES_ORG`` or the first), or None before ``awsroles setup``."""
    from awsroles.creds.confignames import read_names

    if org:
        import os

        from awsroles import paths

        return read_names(paths.user_config_file({**os.environ, paths.ORG_VAR: org}))
    return read_names()


def org_path(explicit: str | None) -> str | None:
    """The org file to read names from (``--file``, ``$AWSROLES_FILE``, ``./awsroles.ini``, then
    the org file recorded at setup), or None when there is none."""
    from awsroles.org.location import ENV_VAR, resolve

    candidates = [resolve(explicit)]
    if not explicit and not os.environ.get(ENV_VAR):
        config = config_names()
        if config and config.org_file:
            candidates.append(os.path.expanduser(config.org_file))
    return next((p for p in candidates if os.path.isfile(p)), None)


def org_names(explicit: str | None) -> OrgNames | None:
    from awsroles.org.skim import read_names

    return read_names(org_path(explicit))


def team_roles(org: OrgNames | None, team: str | None, environment: str | None) -> list[str]:
    """The roles ``team`` holds in ``environment`` (what ``revoke`` can take away)."""
    if org is None:
        return []
    grants = org.teams.get(team or "")
    if grants is None:
        return list(org.roles)
    keys = [environment] if environment is not None else org.environments
    return sorted({role for key in keys for role in grants.get(key, ())})


Value = Callable[[str], "str | None"]  # a parameter's value already on the line, by name
Completer = Callable[[Value, "str | None"], list[str]]  # (value, --file) -> the names to offer


def _my_environments(value: Value, file: str | None) -> list[str]:
    config = config_names(value("org"))
    return config.environments if config else []


def _my_roles(value: Value, file: str | None) -> list[str]:
    config, environment = config_names(value("org")), value("environment")
    return config.roles_in(environment) if config and environment else []


def _my_orgs(value: Value, file: str | None) -> list[str]:
    from awsroles.creds.confignames import orgs_set_up

    return orgs_set_up()


def _org_environments(value: Value, file: str | None) -> list[str]:
    org = org_names(file)
    return list(org.environments) if org else []


def _org_roles(value: Value, file: str | None) -> list[str]:
    org = org_names(file)
    return list(org.roles) if org else []


def _team_roles(value: Value, file: str | None) -> list[str]:
    return team_roles(org_names(file), value("team"), value("environment"))


def _teams(value: Value, file: str | None) -> list[str]:
    org = org_names(file)
    return sorted(org.teams) if org else []


def _users(value: Value, file: str | None) -> list[str]:
    org = org_names(file)
    return list(org.users) if org else []


def _requests(value: Value, file: str | None) -> list[str]:
    org = org_names(file)
    return list(org.requests) if org else []


# What each dynamic completion offers, by kind: the environments and roles the person holds
# (their user config), or names the org file declares.
COMPLETERS: dict[str, Completer] = {
    "my_environments": _my_environments,
    "my_roles": _my_roles,
    "my_orgs": _my_orgs,
    "org_environments": _org_environments,
    "org_roles": _org_roles,
    "team_roles": _team_roles,
    "teams": _teams,
    "users": _users,
    "requests": _requests,
}

# -- the line ------------------------------------------------------------------------------------

Item = tuple[str, str]  # (value, help)


def _offer(completer: Any, values: Mapping[str, str], file: str | None, incomplete: str) -> list[Item] | None:
    if isinstance(completer, str) and completer in COMPLETERS:
        names = COMPLETERS[completer](values.get, file)
    elif isinstance(completer, (tuple, list)):  # a click.Choice (case-sensitive)
        names = list(completer)
    elif completer == "":  # a plain string: click offers nothing
        names = []
    else:
        return None  # nothing dynamic: click knows what to do (files, nothing, ...)
    return [(name, "") for name in names if name.startswith(incomplete)]


def complete(args: Sequence[str], incomplete: str, tree: Mapping[str, Any] | None = None) -> list[Item] | None:
    """What click would offer for ``args`` (the words before the one being completed) and
    ``incomplete``, or None when this cannot be sure: click then answers."""
    if tree is None:
        from awsroles.cli.completion_spec import SPEC

        tree = SPEC
    spec: Mapping[str, Any] = tree
    if "--" in args or "=" in incomplete or (incomplete and not incomplete[0].isalnum()):
        return None  # option names, --opt=value and the like: click's
    path, node = "", spec[""]
    if not node["supported"]:
        return None
    values: dict[str, str] = {}  # the current command's parameters given so far, by name
    file: str | None = None  # the last --file on the line (it sets the one App every command shares)
    given = 0  # positional words given to the current command
    words, i = list(args), 0
    while i < len(words):
        word = words[i]
        if word[:1] == "-":
            option = node["options"].get(word)
            if option is None:
                return None  # -vv, --opt=value, -fFILE, an unknown option, "-"
            name, takes_value, completer = option
            if not takes_value:
                i += 1
                continue
            if i + 1 == len(words):  # the value is the word being completed
                return _offer(completer, values, file, incomplete)
            value = words[i + 1]
            if value[:1] == "-":
                return None
            values[name] = value
            if name == FILE_OPTION:
                file = value
            i += 2
            continue
        if node["commands"] is not None:  # a group: the word names a subcommand
            child = f"{path} {word}".lstrip()
            if child not in spec:
                return None
            path, node, values, given = child, spec[child], {}, 0
            if not node["supported"]:
                return None  # a command whose words click reads its own way
            i += 1
            continue
        arguments = node["arguments"]
        if given < len(arguments):
            name, _nargs, completer = arguments[given]
        elif arguments and arguments[-1][1] == -1:
            name, _nargs, completer = arguments[-1]
        else:
            return None  # more words than the command takes: click's error to make
        if completer is None:
            return None  # e.g. the command `exec` runs, whose words are its own
        values.setdefault(name, word)
        given += 1
        i += 1
    if node["commands"] is not None:
        return [(name, help_) for name, (help_, hidden) in node["commands"].items()
                if name.startswith(incomplete) and not hidden]
    arguments = node["arguments"]
    if given < len(arguments):
        return _offer(arguments[given][2], values, file, incomplete)
    if arguments and arguments[-1][1] == -1:
        return _offer(arguments[-1][2], values, file, incomplete)
    return []  # every argument given: click offers nothing either


# -- the shells ----------------------------------------------------------------------------------


def split_arg_string(string: str) -> list[str]:
    """Words as click's shell_completion.split_arg_string gives them (shlex, tolerating an
    unclosed quote or a trailing escape)."""
    import shlex

    lex = shlex.shlex(string, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out: list[str] = []
    try:
        out.extend(lex)
    except ValueError:
        out.append(lex.token)
    return out


def completion_args(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """``(args, incomplete)`` from the variables the shell's completion function sets, as click reads them."""
    words = split_arg_string(environ["COMP_WORDS"])
    if shell == "fish":
        incomplete = environ["COMP_CWORD"]
        if incomplete:
            incomplete = split_arg_string(incomplete)[0]
        args = words[1:]
        if incomplete and args and args[-1] == incomplete:
            args.pop()
        return args, incomplete
    cword = int(environ["COMP_CWORD"])
    return words[1:cword], (words[cword] if cword < len(words) else "")


def _bash(value: str, help_: str) -> str:
    return f"plain,{value}"


def _zsh(value: str, help_: str) -> str:
    if help_:
        return f"plain\n{value.replace(':', chr(92) + ':')}\n{help_}"
    return f"plain\n{value}\n_"


def _fish(value: str, help_: str) -> str:
    if help_:
        return f"plain,{value}\t{help_.replace(chr(10), chr(92) + 'n').replace(chr(9), ' ')}"
    return f"plain,{value}"


FORMATS: dict[str, Callable[[str, str], str]] = {"bash": _bash, "zsh": _zsh, "fish": _fish}


def answer(environ: Mapping[str, str]) -> bytes | None:
    """The reply to a ``_AWSROLES_COMPLETE=SHELL_complete`` request, as click would write it, or
    None when click must answer (another instruction, another shell, a line this cannot read)."""
    shell, _, instruction = environ.get(COMPLETE_VAR, "").partition("_")
    if instruction != "complete" or shell not in FORMATS:
        return None
    try:
        args, incomplete = completion_args(shell, environ)
    except (KeyError, ValueError, IndexError):
        return None
    items = complete(args, incomplete)
    if items is None:
        return None
    return "\n".join(FORMATS[shell](value, help_) for value, help_ in items).encode() + b"\n"
