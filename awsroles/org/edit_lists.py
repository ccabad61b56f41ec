"""List values of the org file (``members = alice, bob`` or one per line), edited line by line so
their style survives: the separator, the indentation, the comments at the end of a line.

Lines are read as the validator's configparser reads them (a comment starts at ``;`` or ``#``
after whitespace; a continuation line is indented); :mod:`awsroles.org.edit` uses these on the
options configupdater holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from configupdater import Option, Section

_COMMENT = re.compile(r"\s[;#]")
_SPLIT = re.compile(r"[,\s]+")


def split_line(line: str, first: bool) -> tuple[str, str, str]:
    """(prefix, content, tail): the key part (or indentation), the list items, the comment and newline."""
    body = line[:-1] if line.endswith("\n") else line
    newline = line[len(body):]
    if first:
        key, _, rest = body.partition("=")
        prefix = key + "="
        spaces = len(rest) - len(rest.lstrip())
        prefix, rest = prefix + rest[:spaces], rest[spaces:]
    else:
        spaces = len(body) - len(body.lstrip())
        prefix, rest = body[:spaces], body[spaces:]
    # a comment starts at `;` or `#` after whitespace, as the validator's configparser reads it;
    # right after the key's spaces (``members =   ; nobody yet``) the whole value is the comment
    comment = 0 if rest[:1] in (";", "#") and prefix[-1:].isspace() else None
    match = _COMMENT.search(rest)
    if comment is None and match:
        comment = match.start()
    content, tail = (rest[:comment], rest[comment:]) if comment is not None else (rest, "")
    stripped = content.rstrip()
    return prefix, stripped, content[len(stripped):] + tail + newline


def list_items(content: str) -> list[str]:
    return [item for item in _SPLIT.split(content) if item]


def list_values(option: Option) -> list[str]:
    return [item for i, line in enumerate(option.lines) for item in list_items(split_line(line, i == 0)[1])]


def join_items(items: Sequence[str], like: str) -> str:
    separator = ", " if "," in like or len(list_items(like)) < 2 else " "
    return separator.join(items)


def add_item(option: Option, item: str) -> None:
    lines = option.lines
    if len(lines) > 1:  # one per line (or several lines): a new line, indented like the last one
        last = lines[-1]
        indent = last[: len(last) - len(last.lstrip())] or "    "
        if not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(f"{indent}{item}\n")
        return
    prefix, content, tail = split_line(lines[0], True)
    if not content:
        prefix = prefix.rstrip() + " "
        tail = tail.lstrip(" \t") if tail.strip() else tail
        if tail.strip():
            tail = " " + tail
    lines[0] = prefix + join_items([*list_items(content), item], content) + tail


def remove_item(option: Option, item: str) -> bool:
    """Remove ``item``; True when the list is now empty."""
    lines = option.lines
    kept: list[str] = []
    for i, line in enumerate(lines):
        prefix, content, tail = split_line(line, i == 0)
        items = list_items(content)
        if item not in items:
            kept.append(line)
            continue
        rest = [x for x in items if x != item]
        if rest:
            kept.append(prefix + join_items(rest, content) + tail)
        elif i == 0:
            kept.append(prefix.rstrip() + tail)
        # an emptied continuation line is dropped
    lines[:] = kept
    return not list_values(option)


def insert_option(section: Section, key: str, value: str, after: Sequence[str]) -> None:
    """A new ``key = value`` line after the last option whose key is in ``after``, else after the
    last option, else at the top of the section."""
    options = [b for b in section.iter_blocks() if isinstance(b, Option)]
    anchors = [o for o in options if o.key in after] or options
    if anchors:
        anchors[-1].add_after.option(key, value)
        return
    blocks = list(section.iter_blocks())
    if blocks:
        blocks[0].add_before.option(key, value)
    else:
        section.set(key, value)
