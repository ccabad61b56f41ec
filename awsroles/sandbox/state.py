"""The detached sandbox's state file: where it is, what it holds, and whether its server still runs.

``awsroles sandbox start`` keeps what a shell needs to use the sandbox in ``sandbox.json`` under
:func:`state_dir`, including the admin's keys: fake moto keys, valid only against this server,
kept in plaintext (0600 in a 0700 directory) on purpose. Nothing else in awsroles may do that.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from awsroles import paths
from awsroles.sandbox.client import SandboxCredentials, sandbox_env
from awsroles.sandbox.server.main import SERVER_MODULE

log = logging.getLogger(__name__)

STATE_FILE = "sandbox.json"


@dataclass(frozen=True)
class SandboxState:
    """A running sandbox, as kept in the state file."""

    pid: int
    port: int
    endpoint: str
    region: str
    credentials: SandboxCredentials
    org_file: str
    started_at: str  # UTC, ISO 8601
    log_file: str = ""
    state_file: str = field(default="", compare=False)  # where it was read from; not stored
    bare: bool = False  # seeded with the management account alone (``sandbox start --bare``)
    console: bool = False  # seeded with a console-made org too (``sandbox start --console-org``)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("state_file")
        data["note"] = "awsroles sandbox: fake moto keys, valid only against this local server"
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, state_file: str = "") -> SandboxState:
        data = json.loads(text)
        return cls(
            pid=int(data["pid"]), port=int(data["port"]), endpoint=str(data["endpoint"]),
            region=str(data["region"]), credentials=SandboxCredentials(**data["credentials"]),
            org_file=str(data["org_file"]), started_at=str(data["started_at"]),
            log_file=str(data.get("log_file", "")), state_file=state_file, bare=bool(data.get("bare", False)),
            console=bool(data.get("console", False)),
        )

    def public(self) -> dict[str, Any]:
        """What ``status`` shows: everything but the secret key."""
        return {
            "pid": self.pid, "port": self.port, "endpoint": self.endpoint, "region": self.region,
            "org_file": self.org_file, "started_at": self.started_at, "access_key_id": self.credentials.access_key_id,
            "admin": self.credentials.user_arn, "log_file": self.log_file, "state_file": self.state_file,
            "bare": self.bare, "console": self.console,
        }

    def env(self) -> dict[str, str]:
        return sandbox_env(self.endpoint, self.credentials, self.region, self.org_file)


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/awsroles/sandbox``, by default ``~/.local/state/awsroles/sandbox`` (see
    :mod:`awsroles.paths`)."""
    return Path(paths.sandbox_dir(environ))


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def alive(pid: int) -> bool:
    """True when ``pid`` runs: a zombie does not, once all its threads have ended. (A process's
    first thread can show as a zombie while others are still ending, and they hold its files: the
    sandbox server's port stays open until the last one is gone.)"""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child that has exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:  # reaped between the two looks: gone
        return False
    except OSError:  # no /proc to read: it answered the signal, so it runs
        return True
    with contextlib.suppress(IndexError):
        if stat.rsplit(")", 1)[1].split()[0] != "Z":
            return True
        try:
            return len(os.listdir(f"/proc/{pid}/task")) > 1  # threads still ending beside the zombie
        except FileNotFoundError:
            return False
        except OSError:
            return True
    return True


def is_sandbox_server(pid: int) -> bool:
    """``pid`` runs and is our server (where /proc tells; a reused pid must never be killed)."""
    if not alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc here: trust the pid
    except OSError:
        return False
    return SERVER_MODULE.encode() in cmdline


def read_state(directory: Path | None = None) -> SandboxState | None:
    """The running detached sandbox, or None. A state file whose server is gone is removed."""
    directory = directory or state_dir()
    path = directory / STATE_FILE
    try:
        state = SandboxState.from_json(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable sandbox state %s: %s", path, exc)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    if not is_sandbox_server(state.pid):
        log.info("removing stale sandbox state %s: process %d is gone", path, state.pid)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    return state
