"""Reading org-file values while collecting every problem as ``FILE:LINE: message``.

:class:`Builder` holds the problems of one org file and reads its values (lists with the line of
each item, durations, booleans, descriptions, names); a bad value is a problem, never an exception.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awsroles.errors import Problem
from awsroles.org.durations import format_duration, parse_duration
from awsroles.org.ini import IniKey, IniSection

NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DESCRIPTION = re.compile(r"[\t\n\r\x20-\x7e\xa1-\xff]*")
BOOLEANS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}

# RoleSessionName and SourceIdentity (both the IAM user name when awsroles assumes a role): 2-64
# characters of [\w+=,.@-] (STS API reference, AssumeRole); user names have the same characters.
SESSION_NAME_MIN = 2
LOWER_NAME_RULE = "use lower-case letters, digits and '-', starting with a letter or digit"
IAM_NAME_RULE = "use letters, digits and + = , . @ _ -"


def did_you_mean(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to a mistyped word, else ``""``."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


@dataclass
class Builder:
    """The problems of one org file (``file``; policy files are read from under ``base_dir``)."""

    file: str
    base_dir: Path
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, "warning"))

    # -- values ------------------------------------------------------------------------

    def items(self, key: IniKey, separators: str = r"[,\s]+") -> list[tuple[str, int]]:
        """A list value with the line of each item (continuation lines follow the key line)."""
        out: list[tuple[str, int]] = []
        for offset, text in enumerate(key.value.split("\n")):
            out.extend((item, key.line + offset) for item in re.split(separators, text) if item.strip())
        return [(item.strip(), line) for item, line in out]

    def duration(self, key: IniKey | None, default: int, low: int, high: int) -> int:
        if key is None:
            return default
        try:
            seconds = parse_duration(key.value)
        except ValueError as exc:
            self.error(key.line, f"{key.name}: {exc}")
            return default
        if not low <= seconds <= high:
            self.error(
                key.line,
                f"{key.name}: {format_duration(seconds)} is outside {format_duration(low)}..{format_duration(high)}",
            )
            return default
        return seconds

    def boolean(self, key: IniKey | None, default: bool) -> bool:
        if key is None:
            return default
        value = key.value.strip().lower()
        if value not in BOOLEANS:
            self.error(key.line, f"{key.name}: expected yes or no, got {key.value.strip()!r}")
            return default
        return BOOLEANS[value]

    def description(self, key: IniKey | None, limit: int) -> str:
        if key is None:
            return ""
        text = " ".join(key.value.split())
        if len(text) > limit:
            self.error(key.line, f"description is {len(text)} characters; IAM allows {limit}")
        elif not DESCRIPTION.fullmatch(text):
            self.error(key.line, "description has characters IAM does not accept")
        return text

    def name(
        self, section: IniSection, kind: str, name: str, pattern: re.Pattern[str], max_len: int, rule: str
    ) -> bool:
        if not pattern.fullmatch(name):
            self.error(section.line, f"{kind} name '{name}' is not valid: {rule}")
            return False
        if len(name) > max_len:
            self.error(section.line, f"{kind} name '{name}' is {len(name)} characters; IAM allows {max_len}")
            return False
        return True

    def unique_ignoring_case(self, seen: dict[str, tuple[str, int]], kind: str, name: str, line: int) -> bool:
        """IAM names are unique whatever their case: of 'Bob' and 'bob' the second is refused."""
        first = seen.setdefault(name.lower(), (name, line))
        if first != (name, line):
            self.error(line, f"{kind} name '{name}' differs only in case from {kind} '{first[0]}' (line {first[1]}); "
                       "IAM names ignore case")
            return False
        return True

    def unknown_keys(self, section: IniSection, known: Mapping[str, str]) -> None:
        for key in section.keys.values():
            if key.name not in known:
                hint = did_you_mean(key.name, known)
                self.error(key.line, f"unknown key '{key.name}' in [{section.name}]{hint}")
