"""The names an org file declares, skimmed with configparser alone (for tab completion).

The shell runs the program on every <TAB>, so the org file is read here without the validator:
the parser's settings come from :mod:`awsroles.org.ini` and nothing else of the org package is
imported, and a file with a mistake still gives the names it declares. Only names are needed from
``[user NAME]`` and ``[role NAME]`` sections, so configparser is not given their bodies (thousands
of users cost it tens of milliseconds). Never raises: a file that cannot be read gives None.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


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
    """The names in the org file at ``path``, or None when it cannot be read."""
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
