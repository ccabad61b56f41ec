"""`sandbox stop` waits until the server is gone: what "gone" means (awsroles.sandbox.state.alive)."""

from __future__ import annotations

import os
import socket
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


THREAD_OUTLIVES_MAIN = """
import ctypes, socket, sys, threading, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
print(listener.getsockname()[1], flush=True)
threading.Thread(target=time.sleep, args=(float(sys.argv[1]),)).start()
ctypes.CDLL(None).pthread_exit(None)  # the first thread ends; the other keeps the process (and its port)
"""


def test_a_zombie_first_thread_with_another_still_running_is_alive() -> None:
    """What `sandbox stop` saw: the server's first thread a zombie while its others were ending, its
    port still open. Alive until the last thread is gone."""
    child = subprocess.Popen([sys.executable, "-c", THREAD_OUTLIVES_MAIN, "1.5"], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    port = int(child.stdout.readline())
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert alive(child.pid)  # first thread a zombie, the other sleeping, the port open
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    child.wait(timeout=30)
    assert not alive(child.pid)
