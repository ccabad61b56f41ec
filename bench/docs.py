"""Write a benchmark's results into its section of docs/benchmarks.md (between its markers)."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(name: str, report: str, note: str = "") -> None:
    """Replace what stands between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""
    text = DOCS.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        sys.exit(f"{DOCS} has no {start} ... {end} markers")
    machine = f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}"
    extra = f", {note}" if note else ""
    load = os.getloadavg()[1]  # the last 5 minutes: roughly while the benchmark ran
    measured = (f"Measured {time.strftime('%Y-%m-%d')} on {machine}, {os.cpu_count()} cores, load average "
                f"{load:.1f} over the last 5 minutes{extra}.")
    body = f"{start}\n{measured}\n\n{report}\n{end}"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    DOCS.write_text(head + body + tail)
