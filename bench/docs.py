"""Write a benchmark's results into its section of docs/benchmarks.md (between its markers).

Each section starts with where it was measured: the interpreter, the CPU, the cores, the load
average, and the time of a fixed reference loop (:func:`reference_ms`). The machines this project
runs on share their hosts, whose speed varies by more than 2x from one hour to another, so two
sections' times compare only next to their reference times."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

REFERENCE_LOOP = 3_000_000  # iterations: about 0.1-0.3 s of one core


def reference_ms(repeat: int = 5, clock: Callable[[], float] = time.perf_counter) -> float:
    """The best of ``repeat`` runs of the same pure-Python loop, in milliseconds: the host's speed, for
    one core, at the time of writing (the same work on every machine and run)."""
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        total = 0
        for i in range(REFERENCE_LOOP):
            total += i * i % 7
        best = min(best, clock() - start)
    return best * 1000


def cpu_model() -> str:
    """The CPU's model name as Linux reports it, else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()

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
    measured = (f"Measured {time.strftime('%Y-%m-%d')} on {machine} ({cpu_model()}), {os.cpu_count()} cores, "
                f"load average {load:.1f} over the last 5 minutes{extra}; reference loop {reference_ms():.0f} ms "
                "(bench/docs.py: higher is a slower host).")
    body = f"{start}\n{measured}\n\n{report}\n{end}"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    DOCS.write_text(head + body + tail)
