"""Environment variables for shells, dotenv files and JSON (``env`` and ``sandbox env``)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence

ENV_FORMATS = ("sh", "fish", "powershell", "dotenv", "json")
# Unset by the shell formats: a session token or a profile left over from real AWS must not mix in.
UNSET_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def _fish_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _dotenv_quote(value: str) -> str:
    """Bare when plain, else single quotes (literal for bash, docker compose and python-dotenv
    alike), else double quotes with bash's escapes."""
    if value and all(c.isalnum() or c in "_-./:@%+,=" for c in value):
        return value
    if "'" not in value and "\\" not in value and "\n" not in value:
        return f"'{value}'"
    escaped = "".join("\\" + c if c in '\\"$`' else c for c in value)
    return f'"{escaped}"'


def format_env(variables: Mapping[str, str], fmt: str = "sh", unset: Sequence[str] = UNSET_VARIABLES) -> str:
    """``variables`` for a shell to evaluate (``sh``, ``fish``, ``powershell``), a ``dotenv``
    file or ``json``. The shell formats also unset ``unset``; dotenv and JSON only set."""
    if fmt == "sh":
        lines = [f"unset {' '.join(unset)}"] if unset else []
        lines += [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    elif fmt == "fish":
        lines = [f"set -e {name}" for name in unset]
        lines += [f"set -gx {name} {_fish_quote(value)}" for name, value in variables.items()]
    elif fmt == "powershell":
        lines = [f"Remove-Item Env:{name} -ErrorAction SilentlyContinue" for name in unset]
        lines += [f"$Env:{name} = {_powershell_quote(value)}" for name, value in variables.items()]
    elif fmt == "dotenv":
        lines = [f"{name}={_dotenv_quote(value)}" for name, value in variables.items()]
    elif fmt == "json":
        return json.dumps(dict(variables), indent=2) + "\n"
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(ENV_FORMATS)}")
    return "".join(line + "\n" for line in lines)


__all__ = ["ENV_FORMATS", "UNSET_VARIABLES", "format_env"]
