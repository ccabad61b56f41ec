"""Tab-completion callbacks: names read from the person's user config and the org file.

Pure functions over local files: no boto3, no network, and they never raise (a missing or
broken file simply completes nothing). ``awsroles login <TAB>`` and ``--role <TAB>`` read only
the user config written by ``awsroles setup`` (the person's own grants); team, user and org-wide
environment and role names come from the org file (``--file``, ``$AWSROLES_FILE``,
``./awsroles.ini``, then the org file recorded at setup).

The shell runs the program on every <TAB>, so the org file is read with configparser alone
(:func:`read_names`), never validated: the validator, the org-file editor (filelock,
configupdater) and boto3 stay unimported, and a file with a mistake still completes the names it
declares. Only names are needed from ``[user NAME]`` and ``[role NAME]`` sections, so configparser
is not given their bodies (thousands of users cost it tens of milliseconds).
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:
    from awsroles.creds.userconfig import UserConfig


def user_config() -> UserConfig | None:
    """The person's config, or None before ``awsroles setup`` (or when it cannot be read)."""
    from awsroles.creds import userconfig

    try:
        return userconfig.load()
    except Exception:  # completion must never fail loudly
        return None


def org_path(explicit: str | None, config: UserConfig | None = None) -> Path | None:
    """The org file to read names from, or None when there is none."""
    from awsroles.org.location import ENV_VAR, resolve_path

    candidates = [resolve_path(explicit)]
    if not explicit and not os.environ.get(ENV_VAR):
        config = config or user_config()
        if config and config.org_file:
            candidates.append(Path(config.org_file).expanduser())
    return next((p for p in candidates if p.is_file()), None)


@dataclass(frozen=True)
class OrgNames:
    """The names an org file declares, as written (not validated)."""

    environments: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    teams: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)  # team -> key -> values


def _words(value: str) -> tuple[str, ...]:
    """A list value (``dev = developer, readonly``) as its items."""
    return tuple(value.replace(",", " ").split())


# A [user NAME] or [role NAME] header line that configparser reads as exactly the section NAME
# (at the start of the line; nothing after it but a comment without ']').
_NAME_ONLY = re.compile(r"\[(?P<header>[ \t]*(?:user|role)[ \t]+[^\]\n]*)\][ \t]*(?:[#;][^\]\n]*)?\n?")


def _without_name_only_bodies(text: str) -> tuple[str, list[str]]:
    """``text`` without the [user NAME] and [role NAME] sections, and those sections' names."""
    kept: list[str] = []
    headers: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line[:1] == "[":
            match = _NAME_ONLY.fullmatch(line)
            skipping = match is not None
            if match is not None:
                headers.append(match["header"])
                continue
        if not skipping:
            kept.append(line)
    return "".join(kept), headers


def read_names(path: Path | None) -> OrgNames | None:
    """The names in the org file at ``path`` (configparser alone), or None when it cannot be read."""
    from awsroles.org.ini import new_parser  # the org file's parser settings, without the validator

    if path is None:
        return None
    parser = new_parser()
    try:
        text, headers = _without_name_only_bodies(path.read_text(encoding="utf-8-sig"))
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError:
        return None
    except configparser.ParsingError:
        pass  # a line configparser cannot read: it kept every other one
    except (OSError, ValueError, configparser.Error):
        return None
    environments: set[str] = set()
    roles: set[str] = set()
    users: set[str] = set()
    teams: dict[str, dict[str, tuple[str, ...]]] = {}
    for section in [*headers, *parser.sections()]:
        kind, _, name = section.strip().partition(" ")
        name = name.strip()
        if not name:
            continue
        if kind == "account":
            environments.update(_words(parser.get(section, "environment", fallback="") or ""))
        elif kind == "role":
            roles.add(name)
        elif kind == "user":
            users.add(name)
        elif kind == "team":
            teams[name] = {key: _words(value or "") for key, value in parser.items(section)}
    return OrgNames(tuple(sorted(environments)), tuple(sorted(roles)), tuple(sorted(users)), teams)


# -- the names -----------------------------------------------------------------------------------


def my_environments(config: UserConfig | None) -> list[str]:
    """The environments the person holds a grant in."""
    return config.environments if config else []


def my_roles(config: UserConfig | None, environment: str | None) -> list[str]:
    """Only the roles the person may assume in ``environment``."""
    return config.roles_in(environment) if config and environment else []


def org_environments(org: OrgNames | None) -> list[str]:
    return list(org.environments) if org else []


def org_roles(org: OrgNames | None) -> list[str]:
    return list(org.roles) if org else []


def team_roles(org: OrgNames | None, team: str | None, environment: str | None) -> list[str]:
    """The roles ``team`` holds in ``environment`` (what ``revoke`` can take away)."""
    if org is None:
        return []
    grants = org.teams.get(team or "")
    if grants is None:
        return org_roles(org)
    keys = [environment] if environment is not None else org.environments
    return sorted({role for key in keys for role in grants.get(key, ())})


def team_names(org: OrgNames | None) -> list[str]:
    return sorted(org.teams) if org else []


def user_names(org: OrgNames | None) -> list[str]:
    return list(org.users) if org else []


# -- click callbacks -----------------------------------------------------------------------------


def _items(names: Iterable[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


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


def _org(ctx: click.Context) -> OrgNames | None:
    return read_names(org_path(_explicit_file(ctx)))


def complete_my_environments(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(my_environments(user_config()), incomplete)


def complete_my_roles(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(my_roles(user_config(), _value(ctx, "environment")), incomplete)


def complete_org_environments(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(org_environments(_org(ctx)), incomplete)


def complete_org_roles(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(org_roles(_org(ctx)), incomplete)


def complete_team_roles(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(team_roles(_org(ctx), _value(ctx, "team"), _value(ctx, "environment")), incomplete)


def complete_teams(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(team_names(_org(ctx)), incomplete)


def complete_users(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(user_names(_org(ctx)), incomplete)
