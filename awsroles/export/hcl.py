"""A small HCL writer whose output is already ``terraform fmt``-clean.

Only what the Terraform export needs: blocks, attributes, quoted strings, numbers, booleans,
lists, objects and raw expressions (references, function calls). Build a tree of
:class:`Block`, :class:`Attribute` and :class:`Blank` and call :func:`render`.

Layout follows ``terraform fmt`` (hclwrite's formatter; checked against terraform 1.11):

* two spaces of indentation per nesting level, one blank line between top-level blocks;
* in a run of consecutive lines that each hold a whole single-line attribute (or object item),
  every ``=`` stands one space after the longest name of the run. Anything else ends a run: a
  blank line, a block header, a line that opens a multi-line value (``tags = {``), a closing
  bracket. terraform fmt measures names in grapheme clusters, so object keys are written in
  ASCII (other characters as ``\\uNNNN`` escapes) and the width is simply ``len()``;
* within a body, a nested block or a multi-line attribute is set off by a blank line on each
  side (terraform fmt would accept either; this is the conventional style), and
  :class:`Blank` asks for a blank line between two single-line attributes.

Strings are escaped for HCL templates: ``\\``, ``"``, newline, carriage return and tab get
backslash escapes, other control characters ``\\uNNNN``, and ``${`` / ``%{`` are written as
``$${`` / ``%%{`` so Terraform never reads them as interpolations or directives (IAM policy
variables such as ``${aws:username}`` survive).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

INDENT = "  "

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Words that must not be written as bare object keys: `{ for = 1 }` starts a for expression,
# and `true`/`false`/`null` would be read as values, not as the key names.
_KEYWORDS = frozenset({"for", "in", "if", "else", "endif", "endfor", "true", "false", "null"})
_SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Printable ASCII but the quote and the backslash: written as is, but for a template's `${` or `%{`.
_PLAIN = re.compile(r'[ !#-\[\]-~]*')


@dataclass(frozen=True)
class Expr:
    """A raw HCL expression written as is, e.g. ``aws_iam_role.dev_admin.name``.

    It must fit on one line and have balanced brackets; the caller escapes any string in it.
    """

    text: str


Value: TypeAlias = str | int | bool | Expr | Sequence["Value"] | Mapping[str, "Value"]


@dataclass(frozen=True)
class Attribute:
    """``name = value`` in a body."""

    name: str
    value: Value


@dataclass(frozen=True)
class Blank:
    """A blank line between two attributes (blocks and multi-line values get one anyway)."""


@dataclass(frozen=True)
class Block:
    """``type "label" ... { body }``, with optional ``#`` comment lines written just above it."""

    type: str
    labels: tuple[str, ...] = ()
    body: tuple[BodyItem, ...] = ()
    comments: tuple[str, ...] = ()


BodyItem: TypeAlias = Attribute | Block | Blank


# -- strings and names --------------------------------------------------------------------


def _unicode_escape(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        raise ValueError(f"lone surrogate U+{code:04X} cannot be written to a UTF-8 file")
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _needs_unicode_escape(char: str, ascii_only: bool) -> bool:
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
        return True
    if code in (0x2028, 0x2029, 0xFEFF):  # line/paragraph separators and BOM: invisible trouble
        return True
    return ascii_only and code > 0x7F


def escape(text: str, *, ascii_only: bool = False) -> str:
    """The body of an HCL quoted string (without the quotes) whose value is exactly ``text``.

    With ``ascii_only``, every non-ASCII character is written as a ``\\u`` escape.
    """
    if _PLAIN.fullmatch(text) and "${" not in text and "%{" not in text:
        return text  # most names, ARNs and descriptions: nothing to escape (a large org's export has 20,000)
    return _escape_each(text, ascii_only)


def _escape_each(text: str, ascii_only: bool) -> str:
    """:func:`escape`, a character at a time."""
    out: list[str] = []
    for index, char in enumerate(text):
        if char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
        elif char in "$%" and text[index + 1 : index + 2] == "{":
            out.append(char * 2)
        elif _needs_unicode_escape(char, ascii_only):
            out.append(_unicode_escape(char))
        else:
            out.append(char)
    return "".join(out)


def quote(text: str, *, ascii_only: bool = False) -> str:
    """An HCL quoted string literal whose value is exactly ``text``."""
    return f'"{escape(text, ascii_only=ascii_only)}"'


def is_identifier(text: str) -> bool:
    """True if ``text`` is an ASCII HCL identifier (letters, digits, ``_``, ``-``; no leading digit or dash)."""
    return _IDENTIFIER.fullmatch(text) is not None


def identifier(text: str) -> str:
    """``text`` made into an identifier: other characters become ``_``; ``_`` is put before a leading digit or dash."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", text)
    if not cleaned or not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = f"_{cleaned}"
    return cleaned


@dataclass
class Locals:
    """Unique local names per resource type: ``locals("aws_x", "a.b")`` is ``a_b``, then ``a_b_2``..."""

    taken: dict[str, set[str]] = field(default_factory=dict)

    def __call__(self, resource_type: str, text: str) -> str:
        taken = self.taken.setdefault(resource_type, set())
        base = identifier(text)
        name, number = base, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        taken.add(name)
        return name


def _key(name: str) -> str:
    if is_identifier(name) and name not in _KEYWORDS:
        return name
    return quote(name, ascii_only=True)


def _require_identifier(kind: str, name: str) -> None:
    if not is_identifier(name):
        raise ValueError(f"{kind} {name!r} is not an HCL identifier")


# -- layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """One output line: ``lead`` at ``depth``; ``assign`` ("= value") is aligned with its neighbours."""

    depth: int
    lead: str
    assign: str | None = None


_BLANK = _Line(0, "")


def _scalar(value: str | int | bool | Expr) -> str:
    if isinstance(value, Expr):
        if "\n" in value.text:
            raise ValueError(f"expression spans lines: {value.text!r}")
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return quote(value)


def _value(value: Value, depth: int) -> tuple[str, list[_Line]]:
    """The text that follows ``name = `` and, for a multi-line value, the lines after it."""
    if isinstance(value, (str, int, bool, Expr)):
        return _scalar(value), []
    if isinstance(value, Mapping):
        if not value:
            return "{}", []
        lines: list[_Line] = []
        for name, item in value.items():
            lines.extend(_assignment(_key(name), item, depth + 1))
        return "{", [*lines, _Line(depth, "}")]
    items = list(value)
    if not items:
        return "[]", []
    rendered = [_value(item, depth + 1) for item in items]
    if len(rendered) == 1 and not rendered[0][1]:
        return f"[{rendered[0][0]}]", []
    lines = []
    for first, rest in rendered:
        if rest:
            lines.append(_Line(depth + 1, first))
            lines.extend(rest[:-1])
            lines.append(_Line(rest[-1].depth, rest[-1].lead + ","))
        else:
            lines.append(_Line(depth + 1, first + ","))
    return "[", [*lines, _Line(depth, "]")]


def _assignment(lead: str, value: Value, depth: int) -> list[_Line]:
    first, rest = _value(value, depth)
    if not rest:
        return [_Line(depth, lead, f"= {first}")]
    return [_Line(depth, f"{lead} = {first}"), *rest]


def _block(block: Block, depth: int) -> list[_Line]:
    _require_identifier("block type", block.type)
    lines = [_Line(depth, f"# {c}" if c else "#") for c in block.comments]
    header = " ".join([block.type, *(quote(label) for label in block.labels)])
    body = _body(block.body, depth + 1)
    if not body:
        return [*lines, _Line(depth, f"{header} {{}}")]
    return [*lines, _Line(depth, f"{header} {{"), *body, _Line(depth, "}")]


def _body(items: Sequence[BodyItem], depth: int) -> list[_Line]:
    out: list[_Line] = []
    blank_wanted = False
    previous_multi = False
    for item in items:
        if isinstance(item, Blank):
            blank_wanted = True
            continue
        if isinstance(item, Block):
            lines = _block(item, depth)
            multi = True
        else:
            _require_identifier("attribute name", item.name)
            lines = _assignment(item.name, item.value, depth)
            multi = len(lines) > 1
        if out and (blank_wanted or multi or previous_multi):
            out.append(_BLANK)
        out.extend(lines)
        blank_wanted = False
        previous_multi = multi
    return out


def _align(lines: list[_Line]) -> list[str]:
    """Indent, and align the ``=`` of each run of single-line assignments as terraform fmt does."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.assign is None:
            out.append(f"{INDENT * line.depth}{line.lead}" if line.lead else "")
            index += 1
            continue
        end = index
        while end < len(lines) and lines[end].assign is not None:
            end += 1
        run = lines[index:end]
        for member in run:
            if not member.lead.isascii():
                raise ValueError(f"non-ASCII name {member.lead!r}: terraform fmt would align it differently")
        width = max(len(INDENT * m.depth) + len(m.lead) for m in run)
        for member in run:
            pad = width - len(INDENT * member.depth) - len(member.lead) + 1
            out.append(f"{INDENT * member.depth}{member.lead}{' ' * pad}{member.assign}")
        index = end
    return out


def render(items: Sequence[BodyItem], header: Sequence[str] = ()) -> str:
    """A whole file: ``#`` header comment lines, a blank line, then ``items`` (ends with a newline)."""
    lines = [_Line(0, f"# {c}" if c else "#") for c in header]
    body = _body(items, 0)
    if lines and body:
        lines.append(_BLANK)
    lines.extend(body)
    return "".join(f"{text}\n" for text in _align(lines))
