"""The fork server's children are the command: the same output, status and streams as the script;
their own processes; signals and a killed caller reach them; they step aside where they would differ."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import forkserver
from tests.conftest import EXAMPLES, REPO

pytestmark = pytest.mark.e2e
# reads the secret from stdin before anything else: a command that waits
WAITING = ["-f", str(EXAMPLES / "classic.ini"), "setup", "--access-key-id", "AKIAIOSFODNN7EXAMPLE", "--secret-stdin",
           "--store", "file"]


@pytest.fixture(scope="module")
def server(fork_server: forkserver.ForkServer | None,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[forkserver.ForkServer]:
    """The worker's fork server; with the suite's off (PYTEST_AWSROLES_FORKSERVER=off), one of this
    module's own: these tests are about it."""
    if fork_server is not None:
        yield fork_server
        return
    own = forkserver.ForkServer(tmp_path_factory.mktemp("own-forkserver"))
    try:
        yield own
    finally:
        own.close()


@pytest.fixture(autouse=True)
def _named(server: forkserver.ForkServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server in the environment the test's processes inherit (as tests/conftest.py does)."""
    monkeypatch.setenv(forkserver.VARIABLE, server.socket)


Ran = subprocess.CompletedProcess[str]


def both(argv: list[str], **kwargs: object) -> tuple[Ran, Ran]:
    real = subprocess.run([forkserver.REAL, *argv], capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload]
    forked = subprocess.run([*forkserver.command(), *argv], capture_output=True, text=True, timeout=60, **kwargs)  # type: ignore[call-overload]
    return real, forked


@pytest.mark.parametrize("argv", [
    ["--version"],
    ["-f", str(EXAMPLES / "classic.ini"), "validate"],
    ["-f", str(EXAMPLES / "classic.ini"), "access", "-o", "csv"],
    ["-f", str(REPO / "tests" / "data" / "broken" / "bad-account-id.ini"), "validate"],
    ["plan"],  # no org file here: a usage error
    ["no-such-command"],
    ["login", "--help"],
], ids=lambda argv: " ".join(argv)[-40:])
def test_a_forked_command_prints_and_exits_as_the_script_does(server: forkserver.ForkServer, argv: list[str],
                                                              tmp_path: Path) -> None:
    # In this environment the client forks (test_a_signal_... below finds the child it makes)
    real, forked = both(argv, cwd=tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (real.returncode, real.stdout, real.stderr)


def test_the_child_reads_the_callers_stdin_cwd_and_environment(server: forkserver.ForkServer, tmp_path: Path) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "policies")  # what the example names, beside its folder
    work = tmp_path / "work"
    work.mkdir()
    (work / "awsroles.ini").write_text((EXAMPLES / "classic.ini").read_text())
    env = {**os.environ, "AWSROLES_FILE": str(EXAMPLES / "large.ini")}
    real, forked = both(["validate"], cwd=work, env=env)
    assert real.returncode == forked.returncode == 0
    assert forked.stdout == real.stdout and "large.ini" in forked.stdout  # AWSROLES_FILE, not the folder's file
    real, forked = both(["validate"], cwd=work)
    assert real.returncode == forked.returncode == 0
    assert forked.stdout == real.stdout and "awsroles.ini" in forked.stdout  # the folder's file
    # stdin: the secret read from it (then AWS, which is nowhere here: exit 7)
    real, forked = both(WAITING, input="a-secret\n")
    assert real.returncode == forked.returncode == 7 and forked.stderr == real.stderr


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def waiting_child(server: forkserver.ForkServer, before: set[int]) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = children_of(server.process.pid) - before
        if new:
            return new.pop()
        time.sleep(0.02)
    raise AssertionError("no child forked")


def test_a_signal_to_the_caller_reaches_the_child_and_the_caller_ends_as_it_does(server: forkserver.ForkServer) -> None:
    """SIGTERM to a command waiting on its stdin: the script and the forked child both end by the
    signal, and the caller's status says so (-SIGTERM), as a shell would see it."""
    statuses = []
    for command in ([forkserver.REAL], forkserver.command()):
        before = children_of(server.process.pid)
        proc = subprocess.Popen([*command, *WAITING], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        if command != [forkserver.REAL]:
            child = waiting_child(server, before)
            assert child != proc.pid  # a process of its own
        else:
            time.sleep(1.0)  # the script is at its read of stdin
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        statuses.append(proc.returncode)
    assert statuses == [-signal.SIGTERM, -signal.SIGTERM]


def test_killing_the_caller_kills_the_child(server: forkserver.ForkServer) -> None:
    before = children_of(server.process.pid)
    proc = subprocess.Popen([*forkserver.command(), *WAITING], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    child = waiting_child(server, before)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while child in children_of(server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child not in children_of(server.process.pid)


def the_script_itself(pid: int, server: forkserver.ForkServer, before: set[int]) -> bool:
    """Process ``pid`` became the script (exec'd in place), and the server forked nothing."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if forkserver.REAL.encode() in cmdline:
            return children_of(server.process.pid) == before
        time.sleep(0.02)
    return False


def test_it_steps_aside_for_another_interpreter_setting(server: forkserver.ForkServer) -> None:
    before = children_of(server.process.pid)
    proc = subprocess.Popen([*forkserver.command(), *WAITING], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONHASHSEED": "7"})
    try:
        assert the_script_itself(proc.pid, server, before)
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def test_it_steps_aside_for_a_terminal(server: forkserver.ForkServer) -> None:
    before = children_of(server.process.pid)
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child, on the terminal
        command = forkserver.command()[0]
        os.execv(command, [command, *WAITING])
    try:
        assert the_script_itself(pid, server, before)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def test_a_request_read_in_pieces_is_read_whole() -> None:
    """The server reads the length and the body however the stream splits them: here the length
    comes in three pieces, the first alone with the descriptors (a read stops after them)."""
    request = b'{"argv": ["awsroles", "--version"]}'
    data = forkserver._LENGTH.pack(len(request)) + request
    ours, theirs = socket.socketpair()
    with ours, theirs, open(os.devnull) as null:
        socket.send_fds(theirs, [data[:1]], [null.fileno()])

        def rest() -> None:
            theirs.sendall(data[1:2])
            time.sleep(0.05)
            theirs.sendall(data[2:])

        sender = threading.Thread(target=rest)
        sender.start()
        got, fds = forkserver._read(ours)
        sender.join()
        for fd in fds:
            os.close(fd)
    assert got == {"argv": ["awsroles", "--version"]} and len(fds) == 1


def test_a_server_that_does_not_start_is_an_error_that_leaves_nothing_open(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", shutil.which("false") or "/bin/false")  # exits at once, never "ready"
    with pytest.raises(RuntimeError, match="did not start") as caught:
        forkserver.ForkServer(tmp_path / "broken")
    monkeypatch.undo()
    log = str(tmp_path / "broken" / "server.log")
    # checked while the half-made server is still held (by the traceback): its files are closed already
    assert caught.tb is not None
    assert [fd for fd in os.listdir("/proc/self/fd") if os.path.realpath(f"/proc/self/fd/{fd}") == log] == []


def test_the_services_it_reads_ahead_are_every_one_awsroles_makes_clients_of() -> None:
    """The botocore data read ahead (``forkserver.SERVICES``) is that of every service the code
    names in a ``client("...")`` call: a new one left out would only make its children slower."""
    import re

    named = {m for path in (REPO / "awsroles").rglob("*.py")
             for m in re.findall(r'client\(\s*"([a-z0-9-]+)"', path.read_text(encoding="utf-8"))}
    assert named and named <= set(forkserver.SERVICES), sorted(named - set(forkserver.SERVICES))
