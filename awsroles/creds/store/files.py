"""Files for the stores that keep them: locks, the 0600-in-0700 rule, and whole-file stores.

Files are written whole, atomically (temp file, fsync, rename) under a lock on a ``.lock``
sibling; readers never lock (a rename is atomic).
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from awsroles.creds.store.base import StoreError, check_name
from awsroles.fsutil import atomic_write, file_lock, lock_path, private_dir

LOCK_TIMEOUT = 10.0  # seconds to wait for another awsroles process writing the same file


def store_lock(path: Path) -> AbstractContextManager[None]:
    """An exclusive lock on ``path``'s ``.lock`` sibling (filelock is imported only to write)."""
    def busy(_lock: Path, waited: float) -> StoreError:
        return StoreError(f"{path} is locked by another awsroles process (waited {waited:.0f} s)", "busy")

    return file_lock(lock_path(path), timeout=LOCK_TIMEOUT, busy=busy)


def resolve(path: Path) -> Path:
    return Path(os.path.realpath(path))


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or type(exc).__name__}", "unavailable") from None


def write_private(path: Path, data: bytes) -> None:
    private_dir(path.parent)
    atomic_write(path, data, mode=0o600)


Secrets = dict[str, dict[str, str]]


def secrets_from(data: Any) -> Secrets:
    if not isinstance(data, dict) or not all(
            isinstance(ns, str) and isinstance(entries, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())
            for ns, entries in data.items()):
        raise ValueError("not a secrets mapping")
    return data


class FileStore:
    """Whole-file stores: read all, change one entry, write all atomically under the lock."""

    name: str

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def _load(self, raw: bytes) -> Secrets:
        raise NotImplementedError

    def _dump(self, secrets: Secrets) -> bytes:
        raise NotImplementedError

    def _read_all(self) -> Secrets:
        raw = read_bytes(self.path)
        return {} if raw is None else self._load(raw)

    def _new(self) -> Secrets:
        """The contents of a store whose file does not exist yet."""
        return {}

    def get(self, namespace: str, key: str) -> str | None:
        check_name(namespace, key)
        return self._read_all().get(namespace, {}).get(key)

    def _change(self, namespace: str, key: str, value: str | None) -> None:
        private_dir(self.path.parent)
        path = resolve(self.path)
        with store_lock(path):
            raw = read_bytes(path)
            secrets = self._new() if raw is None else self._load(raw)
            if value is None:
                if key not in secrets.get(namespace, {}):
                    return
                del secrets[namespace][key]
                if not secrets[namespace]:
                    del secrets[namespace]
            else:
                secrets.setdefault(namespace, {})[key] = value
            write_private(path, self._dump(secrets))

    def set(self, namespace: str, key: str, value: str) -> None:
        check_name(namespace, key)
        self._change(namespace, key, value)

    def delete(self, namespace: str, key: str) -> None:
        check_name(namespace, key)
        self._change(namespace, key, None)

    def keys(self, namespace: str) -> list[str]:
        check_name(namespace, "-")
        return sorted(self._read_all().get(namespace, {}))
