"""The only renderer: a command's :class:`Result` (plain data) as a table, JSON, CSV or Markdown.

Commands build a Result and hand it to :func:`render`; nothing else writes command output. The
library never prints. What each ``--output`` form means, on every command:

- ``table`` (the default): for people. The Result's tables (rich), its styled lines (rich
  markup: a plan's coloured changes and diffs), or its ready text (shell exports, a script),
  then its notes, one plain line each.
- ``json``: ``Result.data``, indented (or one JSON object per line for a stream of records).
- ``csv``: ``Result.csv``, or the one table; a header line, then one line per row.
- ``md``: the tables as Markdown tables (a ``## title`` above each), then the notes as a list;
  for commands that have a table form.

A command that has no form for a format says so before it does anything (:func:`check_form`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from awsroles.errors import UsageError

if TYPE_CHECKING:  # rich is imported when something is rendered: tab completion never pays for it
    from rich.console import Console
    from rich.table import Table as RichTable

FORMATS = ("table", "json", "csv", "md")
TABLE_FORMS = FORMATS  # commands that print tables have every form
PLAIN_FORMS = ("table", "json")  # commands that print messages and data, but no table
_NAMES = {"table": "table", "json": "JSON", "csv": "CSV", "md": "Markdown"}


@dataclass(frozen=True)
class Table:
    """Rows of text under column names. ``align`` gives "left" or "right" per column (default
    left); rows in ``bold`` are emphasised (totals); rows in ``sections`` start a new section
    (a rule above them in the terminal)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    title: str = ""
    align: Sequence[str] = ()
    bold: Collection[int] = frozenset()
    sections: Collection[int] = frozenset()

    def justify(self, column: int) -> str:
        return self.align[column] if column < len(self.align) else "left"


@dataclass
class Result:
    """What a command hands the renderer: human tables (or ready text), a JSON value, CSV rows."""

    data: Any  # JSON-serialisable
    tables: list[Table] = field(default_factory=list)
    csv: Table | None = None
    notes: list[str] = field(default_factory=list)  # extra lines for humans, after the tables
    text: str | None = None  # the table form as ready text, printed as is (before the notes)
    markup: list[str] | None = None  # the table form as lines of rich markup (colour), before the notes
    json_lines: bool = False  # data is a list of records: one compact JSON object per line


def check_form(fmt: str, forms: Collection[str], command: str = "this command") -> None:
    """A usage error, before a command does anything, for an output form it does not have."""
    if fmt not in forms:
        others = [f for f in FORMATS if f in forms]
        raise UsageError(f"{command} has no {_NAMES.get(fmt, fmt)} form; use --output "
                         f"{', '.join(others[:-1]) + ' or ' + others[-1] if len(others) > 1 else others[0]}")


def console_for(stream: TextIO) -> Console:
    """A terminal gets its own width; a pipe or file gets whole lines, never cut at 80 columns."""
    from rich.console import Console

    isatty = getattr(stream, "isatty", lambda: False)()
    return Console(file=stream, highlight=False, soft_wrap=False, width=None if isatty else 100_000)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def to_json_lines(records: Sequence[Any]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never runs: text starting like a formula (``=``, ``+``,
    ``-``, ``@``, a tab or CR; e.g. a grant's ``reason`` or a tag) gets a leading ``'``, as OWASP's
    "CSV Injection" advises. Numbers, and text that is one (``-61.20``), stay as they are."""
    if not isinstance(value, str) or not value.startswith(_FORMULA):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in table.columns])
    writer.writerows([csv_cell(c) for c in row] for row in table.rows)
    return buffer.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def to_markdown(result: Result) -> str:
    """Each table as a Markdown table (its title a ``##`` heading), then the notes as a list."""
    parts: list[str] = []
    for table in result.tables:
        lines = [f"## {table.title}", ""] if table.title else []
        lines.append("| " + " | ".join(_md_cell(c) for c in table.columns) + " |")
        lines.append("|" + "|".join("---:" if table.justify(i) == "right" else "---"
                                    for i in range(len(table.columns))) + "|")
        for n, row in enumerate(table.rows):
            cells = [_md_cell(c) for c in row]
            if n in table.bold:
                cells = [f"**{c}**" if c.strip() else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    if result.notes:
        parts.append("\n".join(f"- {note}" for note in result.notes))
    return "\n\n".join(parts) + "\n" if parts else ""


def rich_table(table: Table) -> RichTable:
    from rich.table import Table as RichTable
    from rich.text import Text

    out = RichTable(title=Text(table.title, style="table.title") if table.title else None, title_justify="left",
                    show_edge=False, pad_edge=False)
    for i, column in enumerate(table.columns):
        out.add_column(Text(column), overflow="fold", justify="right" if table.justify(i) == "right" else "left")
    for n, row in enumerate(table.rows):
        if n in table.sections and n:
            out.add_section()
        out.add_row(*(Text(cell) for cell in row), style="bold" if n in table.bold else None)
    return out


def render(result: Result, fmt: str, stream: TextIO) -> None:
    """Write ``result`` to ``stream`` in ``fmt`` (one of FORMATS)."""
    if fmt == "json":
        stream.write(to_json_lines(result.data) if result.json_lines else to_json(result.data))
    elif fmt == "csv":
        table = result.csv or (result.tables[0] if len(result.tables) == 1 else None)
        if table is None:
            raise UsageError("this command has no CSV form; use --output table or json")
        stream.write(to_csv(table))
    elif fmt == "md":
        if not result.tables and result.csv is None:
            raise UsageError("this command has no Markdown form; use --output table or json")
        stream.write(to_markdown(result))
    else:
        if result.tables:
            console = console_for(stream)
            plain = not getattr(stream, "isatty", lambda: False)()
            for i, table in enumerate(result.tables):
                if i:
                    console.print()
                if plain:  # a pipe or a file: no spaces after the last character of a line (titles are padded)
                    with console.capture() as captured:
                        console.print(rich_table(table))
                    stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
                else:
                    console.print(rich_table(table))
        if result.markup is not None:
            console = console_for(stream)
            for line in result.markup:
                console.print(line)
        if result.text is not None:
            stream.write(result.text)
        for note in result.notes:  # plain lines: never read as markup, never wrapped
            stream.write(note + "\n")
