"""bench/docs.py: what a benchmark's section in docs/benchmarks.md says of where it was measured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import docs


def test_a_section_says_the_cpu_the_load_and_the_reference_time(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nbefore\n<!-- x:start -->\nold numbers\n<!-- x:end -->\nafter\n")
    monkeypatch.setattr(docs, "DOCS", page)
    monkeypatch.setattr(docs, "reference_ms", lambda: 123.4)
    monkeypatch.setattr(docs, "cpu_model", lambda: "Some CPU 9000")

    docs.write_section("x", "| a | b |", "a note")

    text = page.read_text()
    assert "old numbers" not in text and text.startswith("# Benchmarks\n\nbefore\n") and text.endswith("after\n")
    measured = text.split("<!-- x:start -->\n")[1].splitlines()[0]
    assert re.fullmatch(r"Measured \d{4}-\d\d-\d\d on CPython \S+, \S+ \(Some CPU 9000\), \d+ cores, load average "
                        r"\d+\.\d over the last 5 minutes, a note; reference loop 123 ms \(bench/docs\.py: higher is "
                        r"a slower host\)\.", measured), measured
    assert "| a | b |\n<!-- x:end -->" in text


def test_the_reference_loop_times_the_same_work_each_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs, "REFERENCE_LOOP", 1000)
    ticks = iter([0.0, 0.5, 1.0, 1.2, 2.0, 2.9])  # three runs: 0.5 s, 0.2 s, 0.9 s
    # the best run, in milliseconds
    assert docs.reference_ms(repeat=3, clock=lambda: next(ticks)) == pytest.approx(200.0)


def test_the_cpu_model_is_a_name() -> None:
    assert docs.cpu_model().strip()
