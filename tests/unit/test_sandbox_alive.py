"""`sandbox stop` waits until the server is gone: what "gone" means (awsroles.sandbox.state.alive)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from awsroles.sandbox.state import alive


def test_a_running_process_is_alive_and_an_ended_one_is_not() -> None:
    assert alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not alive(child.pid)


def test_an_exited_child_not_yet_reaped_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # a zombie now: exited, not reaped
    assert not alive(child.pid)


def test_a_process_reaped_between_the_signal_and_the_proc_read_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone else's child (the detached server, reaped by init) can vanish after it answered the
    signal and before /proc is read: gone, not running (`sandbox stop` said stopped; it is)."""
    def vanished(self: Path, *args: object, **kwargs: object) -> str:
        raise FileNotFoundError(self)

    monkeypatch.setattr(Path, "read_text", vanished)
    assert not alive(os.getpid())
