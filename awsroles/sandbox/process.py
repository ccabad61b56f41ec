"""The sandbox's server processes: a seeded moto server on 127.0.0.1, in a child process.

Two ways to run one:

- :class:`Sandbox`: owned by the caller (tests, ``awsroles demo``). By default the moto server
  runs in a child process, so every sandbox has its own state and moto's process-wide settings
  (IAM authorization, ``mock_aws``) are left alone; ``in_process=True`` runs it on a thread here.
- :func:`start_detached` / :func:`stop_detached`: ``awsroles sandbox start|stop``. The server
  outlives the command; what a shell needs to use it is kept in a state file
  (:mod:`awsroles.sandbox.state`).

Either way the server is seeded from the org file (:func:`awsroles.sandbox.seed.seed`) before
it is handed out.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsroles.fsutil import atomic_write, file_lock, private_dir
from awsroles.iam.checks import load_org
from awsroles.sandbox.client import (
    SandboxCredentials,
    SandboxError,
    advance_clock,
    answers,
    sandbox_aws,
    sandbox_env,
    sandbox_route,
)
from awsroles.sandbox.seed import ADMIN_USER, check_bare, seed
from awsroles.sandbox.server.main import HOST, SERVER_MODULE
from awsroles.sandbox.state import STATE_FILE, SandboxState, alive, read_state, state_dir, utc_now

if TYPE_CHECKING:  # boto3 is imported only where it is used: `sandbox env` and `status` start fast
    from awsroles.aws import Aws, Hook

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
LOG_FILE = "server.log"
LOCK_FILE = "sandbox.lock"
READY_FILE = "ready.json"


def _server_command(port: int, partition: str, ready_file: Path, *, exit_with_parent: bool) -> list[str]:
    command = [sys.executable, "-m", SERVER_MODULE, "--host", HOST, "--port", str(port),
               "--partition", partition, "--ready-file", str(ready_file)]
    return [*command, "--exit-with-parent"] if exit_with_parent else command


def _server_environ() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
    environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    source = str(Path(__file__).resolve().parents[2])  # run this very awsroles, installed or not
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (source, environ.get("PYTHONPATH", "")) if p)
    return environ


def _log_tail(log_file: Path, lines: int = 15) -> str:
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = text.strip().splitlines()[-lines:]
    return ("; its log ends:\n  " + "\n  ".join(tail)) if tail else ""


def _spawn(port: int, partition: str, ready_file: Path, log_file: Path, *, detached: bool) -> subprocess.Popen[bytes]:
    with contextlib.suppress(FileNotFoundError):
        ready_file.unlink()
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when an older log was left with other permissions
        return subprocess.Popen(
            _server_command(port, partition, ready_file, exit_with_parent=not detached),
            stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, cwd="/", env=_server_environ(),
            close_fds=True, start_new_session=detached,
        )
    finally:
        os.close(fd)


def _wait_ready(process: subprocess.Popen[bytes], ready_file: Path, log_file: Path, timeout: float) -> int:
    """The port the server listens on, once it answers; SandboxError if it does not in ``timeout``."""
    deadline = time.monotonic() + timeout
    port = 0
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise SandboxError(f"the sandbox server exited with code {code} before it was ready{_log_tail(log_file)}")
        if not port and ready_file.is_file():
            with contextlib.suppress(ValueError, KeyError, OSError):
                port = int(json.loads(ready_file.read_text(encoding="utf-8"))["port"])
        if port and answers(f"http://{HOST}:{port}", timeout=1.0):
            with contextlib.suppress(FileNotFoundError):
                ready_file.unlink()
            return port
        time.sleep(0.02)
    raise SandboxError(f"the sandbox server did not answer within {timeout:g}s (log: {log_file}){_log_tail(log_file)}")


def _terminate(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


class Sandbox:
    """A seeded sandbox owned by this process; a context manager.

    ``Sandbox(org_path).start()`` runs a moto server in a child process (stopped by
    :meth:`stop`, and by itself if this process dies), seeds it from the org file and is ready
    to use: :attr:`endpoint`, :attr:`credentials`, :meth:`env`, :meth:`aws`. With
    ``in_process=True`` the server runs on a thread in this process instead: faster to start,
    but moto's state is per process, so only one such sandbox at a time, sharing moto's data
    (and its IAM authorization setting, restored by :meth:`stop`) with any ``mock_aws``.
    """

    def __init__(self, org_path: str | os.PathLike[str] | None = None, *, in_process: bool = False, port: int = 0,
                 start_timeout: float = START_TIMEOUT, admin_user: str = ADMIN_USER, bare: bool = False,
                 console: bool = False) -> None:
        from awsroles.org.examples import example

        self.org_path = Path(org_path) if org_path is not None else example("classic")
        self.org = load_org(self.org_path)
        self.in_process = in_process
        self.requested_port = port
        self.start_timeout = start_timeout
        self.admin_user = admin_user
        self.bare = bare  # the management account alone (see awsroles.sandbox.seed.seed)
        self.console = console  # also a console-made org at path / (awsroles.sandbox.console_org)
        self.port = 0
        self.pid = 0
        self._credentials: SandboxCredentials | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._server: Any = None
        self._workdir: Path | None = None
        self.started_at = ""

    @property
    def endpoint(self) -> str:
        if not self.port:
            raise SandboxError("the sandbox is not running")
        return f"http://{HOST}:{self.port}"

    @property
    def region(self) -> str:
        return self.org.region

    @property
    def credentials(self) -> SandboxCredentials:
        if self._credentials is None:
            raise SandboxError("the sandbox is not running")
        return self._credentials

    @property
    def running(self) -> bool:
        return self._credentials is not None

    def start(self) -> Sandbox:
        if self.running:
            return self
        if importlib.util.find_spec("moto") is None:
            raise SandboxError("the sandbox runs on moto, which is not installed: pip install 'awsroles[sandbox]'")
        try:
            if self.in_process:
                from awsroles.sandbox.server.main import MotoServer

                self._server = MotoServer(HOST, self.requested_port, self.org.partition)
                self.port = self._server.start()
                self.pid = os.getpid()
            else:
                self._workdir = Path(tempfile.mkdtemp(prefix="awsroles-sandbox-"))
                log_file = self._workdir / LOG_FILE
                self._process = _spawn(self.requested_port, self.org.partition, self._workdir / READY_FILE,
                                       log_file, detached=False)
                self.pid = self._process.pid
                self.port = _wait_ready(self._process, self._workdir / READY_FILE, log_file, self.start_timeout)
            self._credentials = seed(self.endpoint, self.org, admin_user=self.admin_user, bare=self.bare,
                                     console=self.console)
            self.started_at = utc_now()
        except BaseException:
            self.stop()
            raise
        return self

    def reset(self, org_path: str | os.PathLike[str] | None = None, *, bare: bool | None = None,
              console: bool | None = None) -> Sandbox:
        """This running sandbox, emptied and seeded again, from ``org_path`` (default: its org
        file, read again): what a new one would be, without starting a server (about a second of
        CPU). Its admin has new keys. The new org must be in the partition the server serves.
        ``bare`` (default: as it was) seeds the management account alone; ``console`` (default: as it
        was) adds the console-made org."""
        if not self.running:
            raise SandboxError("the sandbox is not running")
        org = load_org(Path(org_path) if org_path is not None else self.org_path)
        if org.partition != self.org.partition:
            raise SandboxError(f"this sandbox serves the {self.org.partition} partition, not {org.partition}")
        if org_path is not None:
            self.org_path = Path(org_path)
        self.org = org
        if bare is not None:
            self.bare = bare
        if console is not None:
            self.console = console
        try:
            self._credentials = None
            sandbox_route(self.endpoint, "reset", {})
            self._credentials = seed(self.endpoint, self.org, admin_user=self.admin_user, bare=self.bare,
                                     console=self.console)
            self.started_at = utc_now()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._process is not None:
            _terminate(self._process)
            self._process = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._credentials = None
        self.port = 0

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The variables for a shell or a subprocess (see :func:`sandbox_env`)."""
        return sandbox_env(self.endpoint, self.credentials, self.region, self.org_path.resolve())

    def aws(self, *, hooks: Sequence[Hook] = ()) -> Aws:
        """An :class:`Aws` acting as the sandbox admin."""
        return sandbox_aws(self.endpoint, self.credentials, self.region, hooks=hooks)

    def advance_clock(self, seconds: float) -> float:
        """Move this sandbox's clock forward (see :func:`advance_clock`); the offset it now has."""
        return advance_clock(self.endpoint, seconds)

    def state(self) -> SandboxState:
        return SandboxState(self.pid, self.port, self.endpoint, self.region, self.credentials,
                            str(self.org_path.resolve()), self.started_at, bare=self.bare)


# -- the detached sandbox ----------------------------------------------------------------------


def _private_dir(directory: Path) -> Path:
    private_dir(directory.parent)  # .../awsroles and .../awsroles/sandbox are ours: both 0700
    return private_dir(directory)


@contextlib.contextmanager
def _lock(directory: Path, timeout: float = START_TIMEOUT * 2) -> Iterator[None]:
    """One ``sandbox start`` or ``stop`` at a time."""

    def busy(lock: Path, _waited: float) -> SandboxError:
        return SandboxError(f"another `awsroles sandbox` command holds {lock}; try again")

    with file_lock(directory / LOCK_FILE, timeout=timeout, busy=busy):
        yield


def start_detached(org_path: Path, *, directory: Path | None = None, port: int = 0,
                   timeout: float = START_TIMEOUT, bare: bool = False,
                   console: bool = False) -> tuple[SandboxState, bool]:
    """Start a sandbox that outlives this process, seeded from ``org_path`` (with ``bare``: its
    management account alone; with ``console``: also a console-made org at path ``/``).

    Returns the state and True, or the already running sandbox's state and False.
    """
    directory = _private_dir(directory or state_dir())
    with _lock(directory):
        running = read_state(directory)
        if running is not None:
            return running, False
        org = load_org(org_path)
        if bare:
            check_bare(org)  # before a server starts
        log_file = directory / LOG_FILE
        ready_file = directory / READY_FILE
        process = _spawn(port, org.partition, ready_file, log_file, detached=True)
        try:
            actual = _wait_ready(process, ready_file, log_file, timeout)
            endpoint = f"http://{HOST}:{actual}"
            credentials = seed(endpoint, org, bare=bare, console=console)
            state = SandboxState(process.pid, actual, endpoint, org.region, credentials,
                                 str(Path(org_path).resolve()), utc_now(), str(log_file),
                                 state_file=str(directory / STATE_FILE), bare=bare, console=console)
            atomic_write(directory / STATE_FILE, state.to_json(), mode=0o600)
        except BaseException:
            _terminate(process)
            raise
        process.returncode = 0  # it is meant to outlive us: no "still running" warning when collected
        return state, True


def stop_detached(directory: Path | None = None, *, timeout: float = STOP_TIMEOUT) -> SandboxState | None:
    """Stop the detached sandbox (SIGTERM, then SIGKILL after ``timeout``); None if none ran."""
    directory = directory or state_dir()
    if not directory.is_dir():
        return None
    with _lock(directory):
        state = read_state(directory)
        if state is None:
            return None
        for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.pid, signum)
            if _wait_gone(state.pid, wait):
                break
        else:
            raise SandboxError(f"the sandbox server (pid {state.pid}) does not stop")
        with contextlib.suppress(FileNotFoundError):
            (directory / STATE_FILE).unlink()
        return state


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True
