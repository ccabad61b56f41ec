"""The audit trail: every write an admin makes, one JSON line in a local log.

``$AWSROLES_AUDIT_LOG``, else ``$XDG_STATE_HOME/awsroles/audit.jsonl`` (default
``~/.local/state/awsroles/audit.jsonl``). The directory is 0700 and the file 0600. Secrets
(passwords, secret keys, MFA seeds, tokens) never reach it: :func:`record` refuses them.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import getpass
import json
import os
from collections.abc import Mapping
from pathlib import Path

from awsroles.errors import FileWriteError

ENV_VAR = "AWSROLES_AUDIT_LOG"
SECRET_WORDS = ("password", "passwd", "secret", "seed", "token", "privatekey", "private_key", "otpauth",
                "credential")


def audit_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the audit log is (see the module docstring)."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR])
    state = environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "awsroles" / "audit.jsonl"
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    return home / ".local" / "state" / "awsroles" / "audit.jsonl"


def local_actor() -> str:
    """The actor when AWS was not reached: ``local:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"local:{user}"


def _check_no_secrets(value: object, where: str = "details") -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            squashed = str(key).lower().replace("-", "").replace(" ", "")
            if any(word.replace("_", "") in squashed.replace("_", "") for word in SECRET_WORDS):
                raise ValueError(f"refusing to write {where}.{key} to the audit log: it looks like a secret")
            _check_no_secrets(inner, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for inner in value:
            _check_no_secrets(inner, where)
    elif isinstance(value, str) and value.lower().startswith("otpauth:"):
        raise ValueError(f"refusing to write {where} to the audit log: it is an MFA seed URI")


def record(action: str, *, actor: str, account: str | None = None, target: str = "",
           details: Mapping[str, object] | None = None, path: Path | None = None) -> dict[str, object]:
    """Append one JSON line for ``action`` to the audit log and return it as a dict.

    Raises ValueError when ``details`` holds anything that looks like a secret, and FileWriteError
    (exit code 1: ``cannot write PATH: REASON``) when the log cannot be written.
    """
    details = dict(details or {})
    _check_no_secrets(details)
    entry: dict[str, object] = {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"),
        "actor": actor,
        "action": action,
        "target": target,
        "account": account,
        "details": details,
    }
    line = (json.dumps(entry, sort_keys=False, default=str, ensure_ascii=False) + "\n").encode("utf-8")
    path = audit_path() if path is None else Path(path)
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(OSError):
                os.chmod(path.parent, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            with contextlib.suppress(OSError):
                os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                os.write(fd, line)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    except OSError as exc:
        raise FileWriteError.from_os_error(path, exc, f"set ${ENV_VAR} to keep the audit log elsewhere") from exc
    return entry
