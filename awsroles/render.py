"""Turn command results (plain data) into tables, JSON or CSV. The library never prints."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from awsroles.errors import UsageError

if TYPE_CHECKING:  # rich is imported when something is rendered: tab completion never pays for it
    from rich.console import Console
    from rich.table import Table as RichTable

FORMATS = ("table", "json", "csv")


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    title: str = ""


@dataclass
class Result:
    """What a command hands the renderer: human tables, a JSON value, and CSV rows."""

    data: Any  # JSON-serialisable
    tables: list[Table] = field(default_factory=list)
    csv: Table | None = None
    notes: list[str] = field(default_factory=list)  # extra lines for humans, after the tables


def console_for(stream: TextIO) -> Console:
    """A terminal gets its own width; a pipe or file gets whole lines, never cut at 80 columns."""
    from rich.console import Console

    isatty = getattr(stream, "isatty", lambda: False)()
    return Console(file=stream, highlight=False, soft_wrap=False, width=None if isatty else 100_000)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buffer.getvalue()


def rich_table(table: Table) -> RichTable:
    from rich.table import Table as RichTable

    out = RichTable(title=table.title or None, title_justify="left", show_edge=False, pad_edge=False)
    for column in table.columns:
        out.add_column(column, overflow="fold")
    for row in table.rows:
        out.add_row(*row)
    return out


def render(result: Result, fmt: str, stream: TextIO) -> None:
    if fmt == "json":
        stream.write(to_json(result.data))
    elif fmt == "csv":
        table = result.csv or (result.tables[0] if len(result.tables) == 1 else None)
        if table is None:
            raise UsageError("this command has no CSV form; use --output table or json")
        stream.write(to_csv(table))
    else:
        console = console_for(stream)
        for i, table in enumerate(result.tables):
            if i:
                console.print()
            console.print(rich_table(table))
        for note in result.notes:
            console.print(note)
