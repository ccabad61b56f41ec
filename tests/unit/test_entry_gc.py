"""The cyclic garbage collector is off for a command's first seconds (awsroles.entry.collect_later)."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from awsroles import entry


@pytest.fixture(autouse=True)
def gc_restored() -> Iterator[None]:
    """The test suite's own setting (tests/conftest.py) is put back after each test."""
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def _timer() -> threading.Thread:
    return next(t for t in threading.enumerate() if t.name == "awsroles-gc-later")


def test_off_now_and_back_on_later_from_a_daemon_thread() -> None:
    gc.enable()
    entry.collect_later(0.2)
    assert not gc.isenabled()
    timer = _timer()
    assert timer.daemon  # never keeps the process alive
    timer.join(5)
    assert gc.isenabled()


def test_the_cli_runs_with_it_off_until_the_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def cli_main() -> None:
        seen.append(gc.isenabled())

    assert entry.GC_AFTER >= 5  # long enough for every short command; `serve` and friends get it back
    monkeypatch.setattr(entry, "GC_AFTER", 0.1)
    monkeypatch.setattr("awsroles.cli.runner.main", cli_main)
    monkeypatch.setattr(sys, "argv", ["awsroles", "--version"])
    gc.enable()
    entry.main()
    assert seen == [False]
    _timer().join(5)
    assert gc.isenabled()


def test_a_command_ends_at_once_however_long_the_timer() -> None:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "awsroles", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < entry.GC_AFTER  # the daemon timer did not hold the exit
