"""The names an org file declares, skimmed with configparser alone (for tab completion).

The shell runs the program on every <TAB>, so the org file is read here without the validator:
the parser's settings come from :mod:`awsroles.org.dialect` and nothing else is imported (no
dataclasses, pathlib or typing: each costs a <TAB> milliseconds), and a file with a mistake still
gives the names it declares. Only names are needed from ``[user NAME]`` and ``[role NAME]``
sections, so configparser is not given their bodies (thousands of users cost it tens of
milliseconds). Never raises: a file that cannot be read gives None.
"""

from __future__ import annotations

import configparser
import os
import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # without importing typing (see above)
    from collections.abc import Mapping


class OrgNames:
    """The names an org file declares, as written (not validated)."""

    __slots__ = ("environments", "requests", "roles", "teams", "users")

    def __init__(self, environments: tuple[str, ...] = (), roles: tuple[str, ...] = (), users: tuple[str, ...] = (),
                 teams: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
                 requests: tuple[str, ...] = ()) -> None:
        self.environments = environments
        self.roles = roles
        self.users = users
        self.teams: Mapping[str, Mapping[str, tuple[str, ...]]] = teams or {}  # team -> key -> values
        self.requests = requests  # [request ID] sections not decided yet (no ``status``)

    def _key(self) -> tuple[object, ...]:
        return self.environments, self.roles, self.users, self.teams, self.requests

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OrgNames) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable mapping inside, like a dataclass with eq

    def __repr__(self) -> str:
        return (f"OrgNames(environments={self.environments!r}, roles={self.roles!r}, users={self.users!r}, "
                f"teams={self.teams!r}, requests={self.requests!r})")


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


def read_names(path: str | os.PathLike[str] | None) -> OrgNames | None:
    """The names in the org file at ``path``, or None when it cannot be read."""
    from awsroles.org.dialect import new_parser

    if path is None:
        return None
    parser = new_parser()
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text, headers = _without_name_only_bodies(handle.read())
        parser.read_string(text, source=os.fspath(path))
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
    requests: list[str] = []
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
        elif kind == "request" and not parser.has_option(section, "status") and name not in requests:
            requests.append(name)
    return OrgNames(tuple(sorted(environments)), tuple(sorted(roles)), tuple(sorted(users)), teams, tuple(requests))
