"""Read an INI file with configparser, and know the line of every section and key.

configparser gives values but no line numbers, and stops at the first duplicate when strict.
We parse with ``strict=False`` (so one run can report everything) and walk the text once more
with the same rules configparser applies, recording where each section and key is and which
ones are duplicated. Nothing here raises on bad input: problems come back as data.
"""

from __future__ import annotations

import configparser
import io
import re
import sys
from dataclasses import dataclass, field

from awsroles.errors import Problem
from awsroles.org.dialect import COMMENT_PREFIXES, new_parser

__all__ = ["COMMENT_PREFIXES", "IniDocument", "IniKey", "IniSection", "new_parser", "read_ini", "section_line"]
_SECTION = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(r"(?P<option>.*?)\s*(?P<vi>=)\s*(?P<value>.*)$")
_NONSPACE = re.compile(r"\S")


@dataclass
class IniKey:
    name: str
    line: int
    value: str = ""


@dataclass
class IniSection:
    name: str
    line: int
    keys: dict[str, IniKey] = field(default_factory=dict)


@dataclass
class IniDocument:
    """Sections in file order; duplicated sections are merged into the first, as configparser does."""

    file: str
    sections: list[IniSection]
    problems: list[Problem]


def _strip_comment(line: str) -> str:
    """The line without its comment, exactly as configparser decides it (Python 3.10-3.13)."""
    if line.strip().startswith(COMMENT_PREFIXES):
        return ""
    comment_start = sys.maxsize
    if sys.version_info >= (3, 13):  # the earliest prefix at the start or after white space
        for prefix in COMMENT_PREFIXES:
            index = line.find(prefix)
            while index != -1:
                if index == 0 or line[index - 1].isspace():
                    comment_start = min(comment_start, index)
                    break
                index = line.find(prefix, index + 1)
    else:  # up to 3.12: the prefixes advance in step, and the first round with a hit wins
        positions = dict.fromkeys(COMMENT_PREFIXES, -1)
        while comment_start == sys.maxsize and positions:
            advanced: dict[str, int] = {}
            for prefix, start in positions.items():
                index = line.find(prefix, start + 1)
                if index == -1:
                    continue
                advanced[prefix] = index
                if index == 0 or line[index - 1].isspace():
                    comment_start = min(comment_start, index)
            positions = advanced
    return line[: comment_start if comment_start != sys.maxsize else None].strip()


def _scan(text: str, file: str) -> tuple[list[IniSection], list[Problem]]:
    sections: dict[str, IniSection] = {}
    problems: list[Problem] = []
    first_lines: dict[tuple[str, str], int] = {}
    current: IniSection | None = None
    option: str | None = None
    indent_level = 0
    for lineno, line in enumerate(io.StringIO(text), start=1):
        value = _strip_comment(line)
        if not value:
            indent_level = sys.maxsize
            continue
        first = _NONSPACE.search(line)
        cur_indent = first.start() if first else 0
        if current is not None and option and cur_indent > indent_level:
            continue  # continuation of the previous value
        indent_level = cur_indent
        header = _SECTION.match(value)
        if header:
            name = header.group("header")
            if name in sections:
                first_line = sections[name].line
                problems.append(Problem(file, lineno, f"duplicate section [{name}] (first at line {first_line})"))
                current = sections[name]
            else:
                current = sections[name] = IniSection(name, lineno)
            option = None
            continue
        if current is None:
            problems.append(Problem(file, lineno, f"expected a [section] header before {value[:40]!r}"))
            return list(sections.values()), problems
        match = _OPTION.match(value)
        if not match or not match.group("option"):
            problems.append(Problem(file, lineno, f"cannot parse {value[:60]!r}: expected 'key = value'"))
            if match:  # '= value': configparser ends the previous value here (its option name is '')
                option = None
            continue
        option = match.group("option").rstrip()
        if option in current.keys:
            first_line = first_lines[current.name, option]
            problems.append(
                Problem(file, lineno, f"duplicate key '{option}' in [{current.name}] (first at line {first_line})")
            )
            current.keys[option].line = lineno  # configparser keeps the last value: point at it
        else:
            current.keys[option] = IniKey(option, lineno)
            first_lines[current.name, option] = lineno
    return list(sections.values()), problems


def read_ini(text: str, file: str) -> IniDocument:
    """Parse ``text``; never raises. Values come from configparser, lines from our own scan."""
    sections, problems = _scan(text, file)
    if any("expected a [section] header" in p.message for p in problems):
        return IniDocument(file, [], problems)
    parser = new_parser()
    try:
        parser.read_string(text, source=file)
    except configparser.MissingSectionHeaderError:
        return IniDocument(file, [], problems or [Problem(file, 1, "expected a [section] header")])
    except configparser.ParsingError:
        pass  # our scan reported each bad line already; configparser kept the rest
    except configparser.Error as exc:  # pragma: no cover - strict=False makes this unreachable
        return IniDocument(file, [], [*problems, Problem(file, 1, str(exc).splitlines()[0])])
    found: list[IniSection] = []
    for section in sections:
        if not parser.has_section(section.name):
            continue
        for key in list(section.keys.values()):
            if parser.has_option(section.name, key.name):
                key.value = parser.get(section.name, key.name) or ""
            else:  # our scan and configparser disagree on a mangled line: trust configparser
                del section.keys[key.name]
        for name, raw in parser.items(section.name):
            if name and name not in section.keys:  # '' comes from a '= value' line, reported above
                section.keys[name] = IniKey(name, section.line, raw or "")
        found.append(section)
    return IniDocument(file, found, problems)


def section_line(text: str, kind: str, name: str) -> int:
    """The line of section ``[kind name]`` in ``text`` (blanks around and between the two as the org
    parser allows), or 0 when there is none."""
    for section in _scan(text, "")[0]:
        found_kind, _, found_name = section.name.strip().partition(" ")
        if (found_kind, found_name.strip()) == (kind, name):
            return section.line
    return 0
