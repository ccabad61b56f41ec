"""The OS keyring, with the backend *pinned by name*, never the keyring library's auto-detection.

A missing desktop keyring is a clear :class:`~awsroles.creds.store.base.StoreError` instead of a
silent fallback to a plaintext or null keyring. On Linux the store talks to the Secret Service
directly (:mod:`awsroles.creds.store.secret_service`); macOS and Windows use the keyring library's
own Keychain and Credential Manager backends, imported by module, only there. Long values are
chunked (:mod:`awsroles.creds.store.chunks`). The keyring cannot list its entries, so the store
keeps an index of key *names* (never values) per namespace in a JSON file (0600, in a 0700
directory).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

from awsroles.creds.store.base import HEADLESS_HINT, StoreError, check_name
from awsroles.creds.store.chunks import DEFAULT_MAX_CHUNK, chunk, parse_header, value_digest
from awsroles.creds.store.files import read_bytes, resolve, store_lock, write_private
from awsroles.creds.store.secret_service import SecretServiceBackend
from awsroles.errors import UsageError
from awsroles.fsutil import private_dir

log = logging.getLogger("awsroles.creds.store")  # one logger for the store, whichever backend logs

# keyring backend names -> what people call them
# keyring backend names -> what people call them
KEYRING_BACKENDS = {
    "secretservice": "keyring (Secret Service)",
    "macos": "keyring (macOS Keychain)",
    "windows": "keyring (Windows Credential Manager)",
}


class KeyringBackend(Protocol):
    """What :class:`KeyringStore` drives: keyring's backend methods, with one difference:
    ``delete_password`` of an absent entry is not an error. Raise :class:`StoreError` for failures."""

    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


class KeyringLibraryBackend:
    """One of the keyring library's own backends (macOS Keychain, Windows Credential Manager),
    with its errors turned into :class:`StoreError` and a delete of an absent entry made quiet."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def __repr__(self) -> str:
        return f"KeyringLibraryBackend({type(self._backend).__module__})"

    def _call(self, method: str, *args: str) -> Any:
        from keyring.errors import KeyringLocked, PasswordDeleteError

        try:
            return getattr(self._backend, method)(*args)
        except KeyringLocked:
            raise StoreError("the keyring is locked; unlock it and retry", "locked") from None
        except PasswordDeleteError:
            if method == "delete_password" and self.get_password(*args[:2]) is None:
                return None  # it was not there
            raise StoreError(f"the keyring would not delete {args[0]} {args[1]}", "unavailable") from None
        except Exception as exc:  # keyring errors, pywintypes.error, ctypes failures: one line, no traceback
            raise StoreError(f"the keyring refused the request ({type(exc).__name__})", "unavailable") from None

    def get_password(self, service: str, username: str) -> str | None:
        value = self._call("get_password", service, username)
        return value if isinstance(value, str) else None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._call("set_password", service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._call("delete_password", service, username)


def keyring_backend(backend: str, environ: Mapping[str, str] | None = None, *,
                    unlock_timeout: float | None = None) -> KeyringBackend:
    """The pinned backend by name; only that backend's module is imported, and its own viability
    check (keyring's ``priority``, which raises where it cannot work) is the only check."""
    if backend == "secretservice":
        return SecretServiceBackend(environ, unlock_timeout=unlock_timeout)
    if backend not in KEYRING_BACKENDS:
        raise UsageError(f"unknown keyring backend {backend!r}; use one of {', '.join(KEYRING_BACKENDS)}")
    try:
        if backend == "macos":
            from keyring.backends import macOS

            cls: Any = macOS.Keyring
        else:
            from keyring.backends import Windows

            cls = Windows.WinVaultKeyring
        cls.priority  # noqa: B018 - raises RuntimeError ("macOS required", "Requires Windows and pywin32")
        return KeyringLibraryBackend(cls())
    except Exception as exc:
        raise StoreError(f"the {KEYRING_BACKENDS[backend]} cannot be used here ({exc}); {HEADLESS_HINT}",
                         "unavailable") from None


class KeyringStore:
    """The OS keyring, backend pinned; chunked values; a names-only index for :meth:`keys`.

    ``impl`` replaces the real backend (tests inject an in-memory one); ``backend`` then only
    names the store. ``index_path`` is the JSON index of key names per namespace.
    """

    READ_ATTEMPTS = 3  # a reader that meets a half-rewritten chunked value retries this often

    def __init__(self, backend: str, index_path: Path, *, max_chunk: int = DEFAULT_MAX_CHUNK,
                 impl: KeyringBackend | None = None, environ: Mapping[str, str] | None = None,
                 unlock_timeout: float | None = None) -> None:
        if backend not in KEYRING_BACKENDS and impl is None:
            raise UsageError(f"unknown keyring backend {backend!r}; use one of {', '.join(KEYRING_BACKENDS)}")
        if max_chunk < 64:
            raise ValueError("max_chunk must be at least 64")
        self.backend = backend
        self.name = KEYRING_BACKENDS.get(backend, f"keyring ({backend})")
        self.index_path = index_path
        self.max_chunk = max_chunk
        self._impl = impl
        self._environ = environ
        self._unlock_timeout = unlock_timeout

    def __repr__(self) -> str:
        return f"KeyringStore({self.backend!r}, index={str(self.index_path)!r})"

    @property
    def impl(self) -> KeyringBackend:
        if self._impl is None:
            self._impl = keyring_backend(self.backend, self._environ, unlock_timeout=self._unlock_timeout)
        return self._impl

    def close(self) -> None:
        close = getattr(self._impl, "close", None)
        if callable(close):
            close()

    def get(self, namespace: str, key: str) -> str | None:
        check_name(namespace, key)
        for attempt in range(self.READ_ATTEMPTS):
            if attempt:
                time.sleep(0.05 * attempt)
            value = self._read(namespace, key)
            if value is not False:
                return value
        raise StoreError(f"the keyring entry {namespace} {key} is incomplete or damaged (its chunks do not "
                         "match); store it again, or delete it", "corrupt")

    def _read(self, namespace: str, key: str) -> str | Literal[False] | None:
        """The value, None if absent, False if its chunks do not add up (yet)."""
        first = self.impl.get_password(namespace, key)
        if first is None:
            return None
        try:
            header = parse_header(first)
        except ValueError:
            return False
        if header is None:
            return first
        count, digest, data = header
        parts = [data]
        for index in range(1, count):
            part = self.impl.get_password(namespace, f"{key}#{index}")
            if part is None:
                return False
            parts.append(part)
        value = "".join(parts)
        return value if value_digest(value) == digest else False

    def _chunk_count(self, namespace: str, key: str) -> int:
        first = self.impl.get_password(namespace, key)
        try:
            header = parse_header(first) if first is not None else None
        except ValueError:
            return 1
        return header[0] if header else (0 if first is None else 1)

    def set(self, namespace: str, key: str, value: str) -> None:
        check_name(namespace, key)
        parts = chunk(value, self.max_chunk)
        old = self._chunk_count(namespace, key)
        # Later chunks first, the header last: a reader sees the old value, or a mismatch it retries.
        for index in range(len(parts) - 1, 0, -1):
            self.impl.set_password(namespace, f"{key}#{index}", parts[index])
        self.impl.set_password(namespace, key, parts[0])
        for index in range(len(parts), old):
            self.impl.delete_password(namespace, f"{key}#{index}")
        log.debug("stored %s %s in %s (%d entries)", namespace, key, self.name, len(parts))
        self._index(namespace, key, present=True)

    def delete(self, namespace: str, key: str) -> None:
        check_name(namespace, key)
        count = self._chunk_count(namespace, key)
        self.impl.delete_password(namespace, key)  # first: readers then see "absent", not a torn value
        index = 1
        # the known chunks, then any orphans a crashed write left behind
        while index < count or self.impl.get_password(namespace, f"{key}#{index}") is not None:
            self.impl.delete_password(namespace, f"{key}#{index}")
            index += 1
        self._index(namespace, key, present=False)

    def keys(self, namespace: str) -> list[str]:
        check_name(namespace, "-")
        return sorted(self._load_index().get(namespace, []))

    def _load_index(self) -> dict[str, list[str]]:
        raw = read_bytes(self.index_path)
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
            names = data["names"]
            return {str(ns): [str(k) for k in keys] for ns, keys in names.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring the damaged keyring index %s", self.index_path)
            return {}

    def _index(self, namespace: str, key: str, *, present: bool) -> None:
        if (key in self._load_index().get(namespace, [])) == present:
            return  # the common case (refreshing a session) does not touch the file
        private_dir(self.index_path.parent)
        path = resolve(self.index_path)
        with store_lock(path):
            names = self._load_index()
            current = set(names.get(namespace, []))
            names[namespace] = sorted(current | {key} if present else current - {key})
            document = {"version": 1, "about": "names of the secrets awsroles keeps in the keyring; no values",
                        "names": {ns: keys for ns, keys in sorted(names.items()) if keys}}
            write_private(path, (json.dumps(document, indent=1) + "\n").encode("utf-8"))
