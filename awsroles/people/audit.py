"""The audit trail: every write an admin makes, one JSON line in a local log.

``$AWSROLES_AUDIT_LOG``, else ``$XDG_STATE_HOME/awsroles/audit.jsonl`` (default
``~/.local/state/awsroles/audit.jsonl``; see :mod:`awsroles.paths`). A directory it creates is
0700, the file 0600; lines are appended under the file's ``.lock`` (:func:`awsroles.fsutil.file_lock`).
Secrets (passwords, secret keys, MFA seeds, tokens) never reach it: :func:`record` refuses them.
"""

from __future__ import annotations

import contextlib
import datetime
import getpass
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from awsroles import paths
from awsroles.errors import FileWriteError, PartlyDone
from awsroles.fsutil import file_lock, lock_path

if TYPE_CHECKING:
    from awsroles.aws import Aws

log = logging.getLogger(__name__)

ENV_VAR = paths.AUDIT_LOG_VAR
LOCK_TIMEOUT = 30.0  # seconds to wait for another process appending to the log
SECRET_WORDS = ("password", "passwd", "secret", "seed", "token", "privatekey", "private_key", "otpauth",
                "credential")


def audit_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the audit log is (see the module docstring)."""
    return Path(paths.audit_log(environ))


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
        with file_lock(lock_path(path), timeout=LOCK_TIMEOUT):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                with contextlib.suppress(OSError):
                    os.fchmod(fd, 0o600)
                os.write(fd, line)
            finally:
                os.close(fd)
    except OSError as exc:
        raise FileWriteError.from_os_error(path, exc, f"set ${ENV_VAR} to keep the audit log elsewhere") from exc
    return entry


class Auditor:
    """The audit trail of one command: the one way commands record what they did.

    ``actor`` is the caller's ARN, or a function giving it (asked when the first line is written,
    e.g. ``aws.whoami``); ``account`` is the account acted in, unless a line names its own.
    Every line written is kept in :attr:`records` (``grant --output json`` prints them).
    """

    def __init__(self, actor: str | Callable[[], str], account: str | None = None, *, path: Path | None = None):
        self._actor = actor
        self.account = account
        self.path = path
        self.records: list[dict[str, object]] = []

    @classmethod
    def of(cls, aws: Aws, account: str | None = None, *, path: Path | None = None) -> Auditor:
        """Acting as whoever ``aws``'s credentials are (GetCallerIdentity, asked at most once)."""
        return cls(lambda: aws.whoami().arn, account, path=path)

    @property
    def actor(self) -> str:
        if callable(self._actor):
            self._actor = self._actor()
        return self._actor

    def record(self, action: str, target: str = "", details: Mapping[str, object] | None = None, *,
               account: str | None = None) -> dict[str, object]:
        """Write one line (see :func:`record`) and keep it."""
        entry = record(action, actor=self.actor, account=account or self.account, target=target, details=details,
                       path=self.path)
        self.records.append(entry)
        return entry

    @contextlib.contextmanager
    def if_stopped(self, action: str, target: str) -> Iterator[None]:
        """A command that stops part-way (:class:`~awsroles.errors.PartlyDone`) still records what
        it did, then the error goes on; a failure to record is a warning, never in its way."""
        try:
            yield
        except PartlyDone as stopped:
            try:
                self.record(action, target, {"stopped": stopped.failed, "done": list(stopped.done),
                                             "not_done": list(stopped.not_done)})
            except Exception as exc:  # what stopped matters more than the audit write
                log.warning("could not record %s %s in the audit trail: %s", action, target, exc)
            raise
