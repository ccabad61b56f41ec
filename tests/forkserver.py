"""Test speed only: ``awsroles`` processes forked from one that has already imported awsroles.

An ``awsroles`` process spends most of its CPU importing (Python, botocore, awsroles, click,
rich): about 0.3 s of the 0.5 s an end-to-end test's command costs on 2 cores, hundreds of times a
run. A *fork server* imports all of that once; each ``awsroles`` a test runs is then a real, separate
process forked from it, which runs :func:`awsroles.entry.main` with the test's arguments,
environment, working folder and standard streams (the very file descriptors, passed over a Unix
socket), talks to the sandbox over HTTP through botocore's own credential chain, and exits with
its own status, which the caller gets as its exit status (a signal as a signal).

What is skipped is only the start: the interpreter's, the imports, and botocore's reading of its
data files (service models, endpoint rules; read-only, the same for every process). So the fork
server is not used where the start *is* the promise, and the command falls back to the real script
(the console script of the venv, exec'd in place: the same process) whenever the forked child
could differ:

- a terminal on a standard stream or a controlling terminal (prompts, colours, ``/dev/tty``);
- ``PYTHON*`` or locale variables other than the server's (the interpreter decides those as it
  starts; but ``PYTHONUNBUFFERED`` and ``PYTHONDONTWRITEBYTECODE``, which the child applies);
- no fork server named in the environment (a test that built an environment of its own, :data:`VARIABLE`),
  or none answering.

Tests of the start itself (what a command imports, the hot paths' budgets, signals, shell
completion) run :data:`REAL`, the script itself, never this. ``PYTEST_AWSROLES_FORKSERVER=off`` in the
environment of ``pytest`` runs every test with real processes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIABLE = "PYTEST_AWSROLES_FORKSERVER"  # not AWSROLES_*: tests drop those from the environments they build
REAL = shutil.which("awsroles", path=os.path.dirname(sys.executable)) or "awsroles"


_EMULATED = ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")  # the child does as the interpreter would
_LENGTH = struct.Struct("!I")
_STATUS = struct.Struct("!i")
_active: ForkServer | None = None  # this process's fork server (:func:`command`)


def _startup(env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The variables the interpreter reads as it starts: a child forked from the server has the
    server's, so a client whose differ runs the real script."""
    return {name: value for name, value in env.items()
            if (name.startswith(("PYTHON", "LC_")) or name == "LANG") and name not in _EMULATED}


# The client: the ``awsroles`` a test runs. ``python -S`` (no site: 15 ms less a start), the
# standard library only; anything it cannot hand over exactly, it execs the real script for.
CLIENT = r'''#!{python} -S
import os, sys
REAL = {real!r}
STARTUP = {startup!r}
def real():
    os.execv(REAL, [REAL, *sys.argv[1:]])
path = os.environ.get({variable!r}, "")
if not path.startswith("/") or any(os.isatty(fd) for fd in (0, 1, 2)):
    real()
if {{n: v for n, v in os.environ.items()
        if (n.startswith(("PYTHON", "LC_")) or n == "LANG") and n not in {emulated!r}}} != STARTUP:
    real()
try:
    os.close(os.open("/dev/tty", os.O_RDWR))
except OSError:
    pass
else:
    real()
import json, signal, socket, struct
request = json.dumps({{"argv": [REAL, *sys.argv[1:]], "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    conn.connect(path)
    socket.send_fds(conn, [struct.pack("!I", len(request)) + request], [0, 1, 2])
    data = b""
    while len(data) < 4:
        more = conn.recv(4 - len(data))
        if not more:
            raise OSError("no child")
        data += more
except OSError:
    conn.close()
    real()
child = struct.unpack("!i", data)[0]
def forward(number, frame):
    try:
        os.kill(child, number)
    except OSError:
        pass
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(number, forward)
data = b""
while len(data) < 4:
    more = conn.recv(4 - len(data))
    if not more:
        sys.exit(1)
    data += more
code = struct.unpack("!i", data)[0]
if code < 0:  # the child ended by a signal: so does its caller, as a shell would see it
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
    sys.exit(128 - code)
sys.exit(code)
'''


# What awsroles imports inside functions that most children reach (measured: the modules children
# imported beyond the preloaded ones, over the end-to-end and docs tests): the renderer's rich (and
# its tables), the encrypted file store's cipher and key derivation, the codecs botocore and urllib3 use.
LAZY = ("rich.console", "rich.markup", "rich.table", "rich._emoji_codes", "encodings.idna", "encodings.utf_8_sig",
        "cryptography.hazmat.primitives.ciphers.aead", "cryptography.hazmat.primitives.kdf.scrypt")

# The AWS services awsroles makes clients of (``grep -o 'client("[a-z-]*"' -r awsroles``).
SERVICES = ("iam", "sts", "organizations", "account", "budgets", "ce", "cloudtrail", "identitystore", "sso-admin",
            "sso", "sso-oidc", "s3", "athena")


def _preload() -> None:
    """Every module of awsroles a command may import, and what they import (boto3, botocore,
    click, rich): but the sandbox's server (moto), which runs in a process of its own."""
    import importlib
    import pkgutil

    import boto3  # noqa: F401
    import botocore.session  # noqa: F401

    import awsroles

    for module in pkgutil.walk_packages(awsroles.__path__, "awsroles."):
        if not module.name.startswith(("awsroles.sandbox.server", "awsroles.__main__")):
            importlib.import_module(module.name)
    for name in LAZY:
        importlib.import_module(name)
    _read_botocore_data()


def _read_botocore_data() -> None:
    """botocore's data files (each service's model, endpoint rules and paginators; the endpoints and
    partitions) read once, into the one loader every session of a process shares
    (:func:`awsroles.aws.sessions._shared_loader`), and each service's model and client class made
    once (the same module's caches). Without it each child parsed the same JSON and built the same
    classes again: measured on the sandbox, a child's ``plan`` took 0.24 s of CPU, 0.15 with it;
    ``users list`` 0.21 and 0.11; all the children of the end-to-end and docs tests, 87 s and 63.
    Only files are read: no client made here ever sends a request."""
    from botocore.exceptions import DataNotFoundError

    from awsroles.aws.sessions import Session, _shared_loader

    session = Session(region_name="us-east-1", aws_access_key_id="preload", aws_secret_access_key="preload")
    _shared_loader(session.botocore_session)
    for service in SERVICES:
        session.client(service, endpoint_url="http://127.0.0.1:9")
        with contextlib.suppress(DataNotFoundError):  # a service without paginators
            session.botocore_session.get_paginator_model(service)


def _read(conn: socket.socket) -> tuple[dict[str, object], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    while len(data) < 4:  # the length itself may come in pieces
        more = conn.recv(4 - len(data))
        if not more:
            raise OSError("the client went away")
        data += more
    (length,) = _LENGTH.unpack(data[:4])
    body = data[4:]
    while len(body) < length:
        more = conn.recv(length - len(body))
        if not more:
            raise OSError("the client went away")
        body += more
    return json.loads(body), list(fds)


_KEPT: list[object] = []  # the server's own standard streams: collected, they would close fds 0-2


def _stdio(*, unbuffered: bool) -> None:
    """Standard streams made as the interpreter makes them as it starts (``create_stdio``), for the
    descriptors the client passed: buffered or not as ``PYTHONUNBUFFERED`` says, stderr line-buffered,
    a terminal never (the client runs the real script then)."""
    for fd, name, mode in ((0, "stdin", "rb"), (1, "stdout", "wb"), (2, "stderr", "wb")):
        old = getattr(sys, name)
        _KEPT.append(old)
        raw = io.FileIO(fd, mode, closefd=False)
        raw.name = f"<{name}>"  # type: ignore[misc]
        buffer: io.RawIOBase | io.BufferedIOBase = (
            raw if unbuffered and fd else io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw))
        stream = io.TextIOWrapper(buffer, encoding=old.encoding, errors=old.errors, newline="\n",  # type: ignore[arg-type]
                                  line_buffering=not unbuffered and fd == 2, write_through=unbuffered)
        stream.mode = mode[0]  # type: ignore[misc]
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _child(request: dict[str, object], fds: list[int]) -> None:
    """In the forked child: become the process the client would have started, run, exit."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(str(request["cwd"]))
        env = request["env"]
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update(env)
        time.tzset()
        tempfile.tempdir = None
        sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
        _stdio(unbuffered=bool(env.get("PYTHONUNBUFFERED")))
        argv = request["argv"]
        assert isinstance(argv, list)
        sys.argv = [str(a) for a in argv]
        from awsroles.entry import main

        try:
            main()
            code = 0
        except SystemExit as stop:
            if stop.code is None:
                code = 0
            elif isinstance(stop.code, int):
                code = stop.code
            else:
                print(stop.code, file=sys.stderr)
                code = 1
        except KeyboardInterrupt:
            code = 130
        except BaseException:  # as the interpreter would: the traceback on stderr, status 1
            import traceback

            traceback.print_exc()
            code = 1
        import atexit
        import threading

        threading._shutdown()  # type: ignore[attr-defined]  # as the interpreter does at exit
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                code = 120 if code == 0 else code
    finally:
        os._exit(code & 0xFF)


def serve(path: str) -> None:
    """The fork server's loop: accept, fork a child per request, report each child's status; a
    client that goes away (killed) takes its child with it, as a killed process would be gone."""
    sys.path[0] = os.path.dirname(REAL)  # as the script's: not this folder, nor '' (a child's cwd)
    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    children: dict[int, tuple[int, socket.socket]] = {}  # pid -> (pidfd, the client's connection)
    print("ready", flush=True)
    while True:
        for key, _events in selector.select():
            if key.data == "accept":
                conn, _ = listener.accept()
                try:
                    request, fds = _read(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:  # the child: nothing of the server's but what it preloaded
                    selector.close()
                    listener.close()
                    conn.close()
                    for pidfd, other in children.values():
                        os.close(pidfd)
                        other.close()
                    _child(request, fds)
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                children[pid] = (pidfd, conn)
                selector.register(pidfd, selectors.EVENT_READ, ("exited", pid))
                selector.register(conn, selectors.EVENT_READ, ("client", pid))
                with contextlib.suppress(OSError):
                    conn.sendall(_STATUS.pack(pid))
            elif key.data[0] == "client":  # the client closed (or wrote, which it never does): gone
                pid = key.data[1]
                selector.unregister(key.fileobj)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            else:
                pid = key.data[1]
                pidfd, conn = children.pop(pid)
                selector.unregister(pidfd)
                os.close(pidfd)
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(conn)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):
                    conn.sendall(_STATUS.pack(os.waitstatus_to_exitcode(status)))
                conn.close()


def command() -> list[str]:
    """``awsroles`` as an end-to-end test runs it: this worker's fork server's client (it runs the
    real script by itself where it must), else the venv's script."""
    return [_active.command] if _active is not None else [REAL]


class ForkServer:
    """A fork server for this test process, and the folder with its ``awsroles`` in front of PATH."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bin = folder / "bin"
        self.bin.mkdir(parents=True)
        self.socket = str(folder / "fork.sock")
        self.command = str(self.bin / "awsroles")
        startup = _startup(os.environ)
        Path(self.command).write_text(CLIENT.format(python=sys.executable, real=REAL, startup=startup,
                                                    emulated=_EMULATED, variable=VARIABLE))
        os.chmod(self.command, 0o755)
        # Nothing of AWS, and a HOME of its own that no one uses: a child's HOME is its client's.
        env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "AWSROLES_"))}
        env["HOME"] = str(folder / "no-home")
        self.log = open(folder / "server.log", "w")  # noqa: SIM115  # closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-c", f"import tests.forkserver as f; f.serve({self.socket!r})"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, env=env,
            cwd=str(Path(__file__).resolve().parent.parent), start_new_session=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != b"ready":
            self.close()  # what did start goes, and the log is closed before it is read
            raise RuntimeError(f"the fork server did not start: {(folder / 'server.log').read_text()}")
        global _active
        _active = self

    def close(self) -> None:
        global _active
        if _active is self:
            _active = None
        with contextlib.suppress(ProcessLookupError):  # the server and any child still running
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()
