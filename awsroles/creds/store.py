"""Where secrets live: one small interface, and the backends behind it.

Two namespaces, used as the keyring's *service* names, hold different things and are never
deleted across one another: :data:`KEYS` (long-term access keys, a TOTP seed) and
:data:`SESSIONS` (cached MFA and role sessions). Every store works on one ``(namespace, key)``
at a time; nothing here deletes by pattern.

Backends (pick one with :func:`open_store`):

- :class:`KeyringStore`: the OS keyring with the backend *pinned by name*, never the keyring
  library's auto-detection, so a missing desktop keyring is a clear :class:`StoreError` instead of a
  silent fallback to a plaintext or null keyring. On Linux it talks to the Secret Service directly
  (:class:`SecretServiceBackend`, over secretstorage/jeepney): it never opens an unlock prompt unless
  asked to (and then with a time limit), because keyring's own SecretService backend calls
  ``Collection.unlock()`` without a timeout, which blocks until someone answers a GUI prompt that a
  person in an SSH session cannot see. It also keeps the hot path ~80 ms faster (``import keyring``
  costs that much). Items carry keyring's attributes (``service``, ``username``), so
  ``keyring get awsroles-keys NAME`` and seahorse see them. macOS and Windows use the keyring
  library's own Keychain and Credential Manager backends, imported by module, only there.
  Values longer than ``max_chunk`` UTF-16 code units (Windows' credential store holds about 1,280)
  are split into ``key``, ``key#1``, ``key#2``..., the first one starting with
  ``awsroles-chunks:N:<sha256 prefix>:``; they are reassembled and checked on read.
  The keyring cannot list its entries, so the store keeps an index of key *names* (never values)
  per namespace in a JSON file (0600, in a 0700 directory).
- :class:`EncryptedFileStore`: one file for headless machines, AES-256-GCM with a key derived by
  scrypt from a passphrase (``AWSROLES_PASSPHRASE`` or a terminal prompt).
- :class:`PlaintextFileStore`: only when explicitly asked for (the sandbox, throwaway machines).
- :class:`MemoryStore`: tests.

Files are written whole, atomically (temp file, fsync, rename) under a lock on a ``.lock``
sibling; readers never lock (a rename is atomic). Secrets never appear in reprs, errors or logs:
messages name the namespace and key, never the value.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, Protocol

from awsroles.errors import AwsrolesError, ExitCode, UsageError
from awsroles.fsutil import atomic_write, file_lock, lock_path, private_dir

if TYPE_CHECKING:
    from secretstorage.collection import Collection
    from secretstorage.dhcrypto import Session

log = logging.getLogger(__name__)

KEYS = "awsroles-keys"
SESSIONS = "awsroles-sessions"
PASSPHRASE_ENV = "AWSROLES_PASSPHRASE"
DEFAULT_MAX_CHUNK = 1200  # UTF-16 code units; Windows' credential store holds 1,280 (2,560 bytes)
CHUNK_PREFIX = "awsroles-chunks:"
LOCK_TIMEOUT = 10.0  # seconds to wait for another awsroles process writing the same file
DBUS_TIMEOUT = 5.0  # seconds to wait for any one answer from the Secret Service

# keyring backend names -> what people call them
KEYRING_BACKENDS = {
    "secretservice": "keyring (Secret Service)",
    "macos": "keyring (macOS Keychain)",
    "windows": "keyring (Windows Credential Manager)",
}
STORE_KINDS = ("keyring", "keyring:secretservice", "keyring:macos", "keyring:windows", "file", "plaintext",
               "memory")
HEADLESS_HINT = "use `awsroles setup --store file` on headless machines"

Reason = Literal["unavailable", "locked", "passphrase", "corrupt", "busy"]


class StoreError(AwsrolesError):
    """The secret store cannot be used. ``reason`` says why, for callers that react differently:

    - ``unavailable``: no keyring service (headless, no D-Bus session, no default collection...);
    - ``locked``: the keyring is locked, or it wanted a prompt it was not allowed to show;
    - ``passphrase``: no passphrase could be had, or it does not decrypt the file;
    - ``corrupt``: a file or a chunked value is damaged or incomplete;
    - ``busy``: another process held the store's file lock too long.
    """

    exit_code = ExitCode.STORE

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason: Reason = reason


class SecretStore(Protocol):
    """Secrets by ``(namespace, key)``. ``keys`` lists names only, never values."""

    name: str

    def get(self, namespace: str, key: str) -> str | None: ...
    def set(self, namespace: str, key: str, value: str) -> None: ...
    def delete(self, namespace: str, key: str) -> None: ...  # no error if absent
    def keys(self, namespace: str) -> list[str]: ...


def _check_name(namespace: str, key: str) -> None:
    """Namespaces and keys are names, never data: no control characters, no ``#`` (chunk suffix)."""
    if not namespace or not all(c.isalnum() or c in "._-" for c in namespace):
        raise ValueError(f"invalid secret store namespace {namespace!r}")
    if not key or len(key) > 512 or "#" in key or not key.isprintable():
        raise ValueError(f"invalid secret store key {key!r} (1-512 printable characters, no '#')")


# --------------------------------------------------------------------------------------------------
# Files: locks and the 0600-in-0700 rule


def _file_lock(path: Path) -> AbstractContextManager[None]:
    """An exclusive lock on ``path``'s ``.lock`` sibling (filelock is imported only to write)."""
    def busy(_lock: Path, waited: float) -> StoreError:
        return StoreError(f"{path} is locked by another awsroles process (waited {waited:.0f} s)", "busy")

    return file_lock(lock_path(path), timeout=LOCK_TIMEOUT, busy=busy)


def _resolve(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or type(exc).__name__}", "unavailable") from None


def _write_private(path: Path, data: bytes) -> None:
    private_dir(path.parent)
    atomic_write(path, data, mode=0o600)


# --------------------------------------------------------------------------------------------------
# Memory


class MemoryStore:
    """A dict, for tests (and for the sandbox when nothing may touch the disk)."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self._data: dict[str, dict[str, str]] = {}

    def __repr__(self) -> str:
        return f"MemoryStore({sum(len(v) for v in self._data.values())} secrets)"

    def get(self, namespace: str, key: str) -> str | None:
        _check_name(namespace, key)
        return self._data.get(namespace, {}).get(key)

    def set(self, namespace: str, key: str, value: str) -> None:
        _check_name(namespace, key)
        self._data.setdefault(namespace, {})[key] = value

    def delete(self, namespace: str, key: str) -> None:
        _check_name(namespace, key)
        self._data.get(namespace, {}).pop(key, None)

    def keys(self, namespace: str) -> list[str]:
        _check_name(namespace, "-")
        return sorted(self._data.get(namespace, {}))


# --------------------------------------------------------------------------------------------------
# Keyring


class KeyringBackend(Protocol):
    """What :class:`KeyringStore` drives: keyring's backend methods, with one difference:
    ``delete_password`` of an absent entry is not an error. Raise :class:`StoreError` for failures."""

    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


def _unavailable(detail: str) -> StoreError:
    return StoreError(f"no desktop keyring is running (Secret Service): {detail}; {HEADLESS_HINT}", "unavailable")


class _TimedConnection:
    """A jeepney connection whose every call has a deadline: a stuck daemon cannot hang us."""

    def __init__(self, connection: Any, timeout: float) -> None:
        self._connection = connection
        self._timeout = timeout

    def send_and_get_reply(self, message: Any, *, timeout: float | None = None, **kwargs: Any) -> Any:
        return self._connection.send_and_get_reply(
            message, timeout=self._timeout if timeout is None else timeout, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def _connect(address: str, timeout: float) -> Any:
    """A jeepney connection to ``address`` whose handshake and ``Hello`` are time-limited.

    ``jeepney.io.blocking.open_dbus_connection`` limits only the authentication: its connection
    says ``Hello`` with no time limit, so a wedged bus would hang us there. This is its
    constructor with a deadline on that call (and the library's own function if its internals
    ever move)."""
    from jeepney.bus import get_bus  # type: ignore[import-untyped]
    from jeepney.io import blocking  # type: ignore[import-untyped]

    try:
        from jeepney.bus_messages import message_bus  # type: ignore[import-untyped]
        from jeepney.io.common import MessageFilters  # type: ignore[import-untyped]

        base, prep_socket = blocking.DBusConnectionBase, blocking.prep_socket
    except (ImportError, AttributeError):  # pragma: no cover - a future jeepney
        return blocking.open_dbus_connection(bus=address, auth_timeout=timeout)

    class BoundedConnection(blocking.DBusConnection):  # type: ignore[misc]
        def __init__(self, sock: Any) -> None:
            base.__init__(self, sock)
            self._filters = MessageFilters()
            self.bus_proxy = blocking.Proxy(message_bus, self, timeout=timeout)
            self.unique_name = self.bus_proxy.Hello()[0]

    sock = prep_socket(get_bus(address), timeout=timeout)
    try:
        return BoundedConnection(sock)
    except BaseException:
        sock.close()
        raise


class SecretServiceBackend:
    """The freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet 5.97+) over D-Bus.

    Uses the default collection (alias ``default``, normally "Login"). Fails fast, never prompts:
    a locked collection raises ``StoreError("locked")`` unless ``unlock_timeout`` is given, in which
    case the service's unlock prompt is shown and waited for at most that long. The session bus
    address comes from ``environ`` (``DBUS_SESSION_BUS_ADDRESS``, else ``$XDG_RUNTIME_DIR/bus``).
    """

    ATTRIBUTES: ClassVar[dict[str, str]] = {"application": "awsroles"}

    def __init__(self, environ: Mapping[str, str] | None = None, *, timeout: float = DBUS_TIMEOUT,
                 unlock_timeout: float | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._timeout = timeout
        self._unlock_timeout = unlock_timeout
        self._connection: Any = None
        self._collection: Collection | None = None

    def __repr__(self) -> str:
        return "SecretServiceBackend()"

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = self._collection = None

    def _address(self) -> str:
        address = self._environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if address:
            return address
        runtime = self._environ.get("XDG_RUNTIME_DIR", "")
        if runtime and Path(runtime, "bus").exists():
            return f"unix:path={Path(runtime, 'bus')}"
        raise _unavailable("DBUS_SESSION_BUS_ADDRESS is not set")

    def _open(self) -> Collection:
        """Connect once; check the service and the default collection; refuse a locked one."""
        import secretstorage

        if self._collection is None:
            address = self._address()
            try:
                raw = _connect(address, self._timeout)
            except TimeoutError:
                raise _unavailable(f"the D-Bus session bus did not answer within {self._timeout:g} s") from None
            except (OSError, ValueError, RuntimeError, StopIteration) as exc:
                raise _unavailable(f"cannot connect to the D-Bus session bus ({type(exc).__name__})") from None
            connection = _TimedConnection(raw, self._timeout)
            try:
                if not secretstorage.check_service_availability(connection):
                    raw.close()
                    raise _unavailable("nothing provides org.freedesktop.secrets on the session bus")
                collection = secretstorage.Collection(connection)
            except secretstorage.ItemNotFoundException:
                raw.close()
                raise StoreError("the Secret Service has no default keyring (collection); create one "
                                 f"with your desktop's keyring manager (e.g. seahorse), or {HEADLESS_HINT}",
                                 "unavailable") from None
            except StoreError:
                raise
            except Exception as exc:
                raw.close()
                self._raise(exc)
            self._connection, self._collection = raw, collection
        collection = self._collection
        prompted = False
        try:
            locked = collection.is_locked()
            if locked and self._unlock_timeout:
                self._prompt_unlock(collection)
                prompted, locked = True, collection.is_locked()
        except StoreError:
            raise
        except Exception as exc:
            self._raise(exc)
        if locked:
            how = "its unlock prompt was dismissed" if prompted else "awsroles does not wait on unlock prompts"
            raise StoreError(f"the keyring is locked (Secret Service collection {self._label(collection)}; {how}); "
                             "unlock it (log in to the desktop, or open seahorse) and retry", "locked")
        return collection

    @staticmethod
    def _label(collection: Collection) -> str:
        try:
            return repr(collection.get_label() or collection.collection_path)
        except Exception:
            return repr(collection.collection_path)

    def _prompt_unlock(self, collection: Collection) -> None:
        from secretstorage.util import add_match_rules

        add_match_rules(collection.connection)
        try:
            collection.unlock(timeout=self._unlock_timeout)
        except TimeoutError:
            raise StoreError(f"the keyring is locked and its unlock prompt was not answered within "
                             f"{self._unlock_timeout:g} s", "locked") from None

    def _raise(self, exc: BaseException) -> NoReturn:
        """Turn any secretstorage/jeepney failure into a one-line StoreError (no values in it)."""
        import secretstorage

        name = getattr(exc, "name", "") or ""
        if isinstance(exc, (secretstorage.LockedException, secretstorage.PromptDismissedException)) \
                or name.endswith(".IsLocked"):
            raise StoreError("the keyring is locked; unlock it and retry", "locked") from None
        if isinstance(exc, secretstorage.SecretServiceNotAvailableException):
            self.close()
            raise _unavailable("the Secret Service is not running") from None
        if isinstance(exc, TimeoutError):
            self.close()
            raise _unavailable(f"the Secret Service did not answer within {self._timeout:g} s") from None
        if isinstance(exc, (ConnectionError, OSError)):
            self.close()
            raise _unavailable(f"the D-Bus connection failed ({type(exc).__name__})") from None
        detail = name or type(exc).__name__
        raise StoreError(f"the Secret Service refused the request ({detail})", "unavailable") from None

    def _query(self, service: str, username: str) -> dict[str, str]:
        return {"service": service, "username": username}

    def _no_prompt(self, connection: Any, prompt: str) -> None:
        """A write the service wants confirmed: ask only if unlocking is allowed, within the limit."""
        if len(prompt) <= 1:
            return
        if not self._unlock_timeout:
            raise StoreError("the keyring asked for confirmation; awsroles never waits on a prompt", "locked")
        from secretstorage.util import add_match_rules, exec_prompt

        add_match_rules(connection)
        try:
            dismissed, _ = exec_prompt(connection, prompt, timeout=self._unlock_timeout)
        except TimeoutError:
            dismissed = True
        if dismissed:
            raise StoreError("the keyring's confirmation prompt was dismissed or not answered", "locked")

    @staticmethod
    def _session(collection: Collection) -> Session:
        """One transport-encryption session per connection (a DH exchange), not one per item."""
        from secretstorage.util import open_session

        if collection.session is None:
            collection.session = open_session(collection.connection)
        return collection.session

    def get_password(self, service: str, username: str) -> str | None:
        collection = self._open()
        try:
            self._session(collection)
            for item in collection.search_items(self._query(service, username)):
                return item.get_secret().decode("utf-8")
        except StoreError:
            raise
        except UnicodeDecodeError:
            raise StoreError(f"the keyring entry {service} {username} is not text", "corrupt") from None
        except Exception as exc:
            self._raise(exc)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        from secretstorage.collection import COLLECTION_IFACE
        from secretstorage.defines import SS_PREFIX
        from secretstorage.util import DBusAddressWrapper, format_secret

        collection = self._open()
        attributes = {**self.ATTRIBUTES, **self._query(service, username)}
        properties = {SS_PREFIX + "Item.Label": ("s", f"awsroles: {service} {username}"),
                      SS_PREFIX + "Item.Attributes": ("a{ss}", attributes)}
        try:
            session = self._session(collection)
            secret = format_secret(session, password.encode("utf-8"), "text/plain")
            wrapper = DBusAddressWrapper(collection.collection_path, COLLECTION_IFACE, collection.connection)
            # replace=True: an item with the same attributes is overwritten, not duplicated
            _, prompt = wrapper.call("CreateItem", "a{sv}(oayays)b", properties, secret, True)
            self._no_prompt(collection.connection, prompt)
        except StoreError:
            raise
        except Exception as exc:
            self._raise(exc)

    def delete_password(self, service: str, username: str) -> None:
        from secretstorage.item import ITEM_IFACE
        from secretstorage.util import DBusAddressWrapper

        collection = self._open()
        try:
            for item in list(collection.search_items(self._query(service, username))):
                wrapper = DBusAddressWrapper(item.item_path, ITEM_IFACE, collection.connection)
                (prompt,) = wrapper.call("Delete", "")
                self._no_prompt(collection.connection, prompt)
        except StoreError:
            raise
        except Exception as exc:
            self._raise(exc)


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


def _units(text: str) -> int:
    """Length in UTF-16 code units, what Windows' limit counts."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _split(value: str, first: int, rest: int) -> list[str]:
    """Split into parts of at most ``first`` then ``rest`` UTF-16 units, never inside a character."""
    if value.isascii():
        parts = [value[:first]]
        parts.extend(value[i:i + rest] for i in range(first, len(value), rest))
        return parts
    parts = []
    current: list[str] = []
    size, limit = 0, first
    for char in value:
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, rest
        current.append(char)
        size += width
    parts.append("".join(current))
    return parts


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _header(count: int, digest: str) -> str:
    return f"{CHUNK_PREFIX}{count}:{digest}:"


def chunk(value: str, max_chunk: int) -> list[str]:
    """``value`` as the entries to store under ``key``, ``key#1``...: one entry when it fits
    (and does not itself look like a header), else a header-prefixed first entry and the rest."""
    if _units(value) <= max_chunk and not value.startswith(CHUNK_PREFIX):
        return [value]
    digest, count = _digest(value), 1
    for _ in range(5):  # the header grows with the count's digits: converges in two rounds
        parts = _split(value, max_chunk - len(_header(count, digest)), max_chunk)
        if len(parts) == count:
            break
        count = len(parts)
    parts[0] = _header(count, digest) + parts[0]
    return parts


def _parse_header(first: str) -> tuple[int, str, str] | None:
    """(count, digest, first data) from a chunked first entry, or None if it is not one."""
    if not first.startswith(CHUNK_PREFIX):
        return None
    fields = first[len(CHUNK_PREFIX):].split(":", 2)
    if len(fields) != 3 or not fields[0].isdigit() or int(fields[0]) < 1 or len(fields[1]) != 16:
        raise ValueError("bad chunk header")
    return int(fields[0]), fields[1], fields[2]


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
        _check_name(namespace, key)
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
            header = _parse_header(first)
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
        return value if _digest(value) == digest else False

    def _chunk_count(self, namespace: str, key: str) -> int:
        first = self.impl.get_password(namespace, key)
        try:
            header = _parse_header(first) if first is not None else None
        except ValueError:
            return 1
        return header[0] if header else (0 if first is None else 1)

    def set(self, namespace: str, key: str, value: str) -> None:
        _check_name(namespace, key)
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
        _check_name(namespace, key)
        count = self._chunk_count(namespace, key)
        self.impl.delete_password(namespace, key)  # first: readers then see "absent", not a torn value
        index = 1
        # the known chunks, then any orphans a crashed write left behind
        while index < count or self.impl.get_password(namespace, f"{key}#{index}") is not None:
            self.impl.delete_password(namespace, f"{key}#{index}")
            index += 1
        self._index(namespace, key, present=False)

    def keys(self, namespace: str) -> list[str]:
        _check_name(namespace, "-")
        return sorted(self._load_index().get(namespace, []))

    def _load_index(self) -> dict[str, list[str]]:
        raw = _read_bytes(self.index_path)
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
        path = _resolve(self.index_path)
        with _file_lock(path):
            names = self._load_index()
            current = set(names.get(namespace, []))
            names[namespace] = sorted(current | {key} if present else current - {key})
            document = {"version": 1, "about": "names of the secrets awsroles keeps in the keyring; no values",
                        "names": {ns: keys for ns, keys in sorted(names.items()) if keys}}
            _write_private(path, (json.dumps(document, indent=1) + "\n").encode("utf-8"))


# --------------------------------------------------------------------------------------------------
# Files

Secrets = dict[str, dict[str, str]]


def _secrets_from(data: Any) -> Secrets:
    if not isinstance(data, dict) or not all(
            isinstance(ns, str) and isinstance(entries, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())
            for ns, entries in data.items()):
        raise ValueError("not a secrets mapping")
    return data


class _FileStore:
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
        raw = _read_bytes(self.path)
        return {} if raw is None else self._load(raw)

    def _new(self) -> Secrets:
        """The contents of a store whose file does not exist yet."""
        return {}

    def get(self, namespace: str, key: str) -> str | None:
        _check_name(namespace, key)
        return self._read_all().get(namespace, {}).get(key)

    def _change(self, namespace: str, key: str, value: str | None) -> None:
        private_dir(self.path.parent)
        path = _resolve(self.path)
        with _file_lock(path):
            raw = _read_bytes(path)
            secrets = self._new() if raw is None else self._load(raw)
            if value is None:
                if key not in secrets.get(namespace, {}):
                    return
                del secrets[namespace][key]
                if not secrets[namespace]:
                    del secrets[namespace]
            else:
                secrets.setdefault(namespace, {})[key] = value
            _write_private(path, self._dump(secrets))

    def set(self, namespace: str, key: str, value: str) -> None:
        _check_name(namespace, key)
        self._change(namespace, key, value)

    def delete(self, namespace: str, key: str) -> None:
        _check_name(namespace, key)
        self._change(namespace, key, None)

    def keys(self, namespace: str) -> list[str]:
        _check_name(namespace, "-")
        return sorted(self._read_all().get(namespace, {}))


class PlaintextFileStore(_FileStore):
    """Secrets in a JSON file (0600 in a 0700 directory), readable by anyone who can read the file.
    Only for when the user explicitly asks (the sandbox, throwaway machines)."""

    def __init__(self, path: Path, *, i_understand_this_is_plaintext: bool = False) -> None:
        if not i_understand_this_is_plaintext:
            raise UsageError("the plaintext store keeps secrets unencrypted on disk; it is used only when "
                             "asked for explicitly (`--store plaintext`)")
        super().__init__(path)
        self.name = f"plaintext file {path} (not encrypted)"

    def _load(self, raw: bytes) -> Secrets:
        try:
            data = json.loads(raw)
            if data.get("format") != "awsroles-plaintext-secrets" or data.get("version") != 1:
                raise ValueError("not an awsroles secrets file")
            return _secrets_from(data["secrets"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StoreError(f"{self.path} is not a readable awsroles secrets file", "corrupt") from None

    def _dump(self, secrets: Secrets) -> bytes:
        document = {"format": "awsroles-plaintext-secrets", "version": 1, "secrets": secrets}
        return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")


MAGIC = b"awsroles-encrypted-secrets 1\n"
SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P = 16, 8, 1  # ~0.12 s and 64 MiB here; bounded on read (tampering)
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024


class EncryptedFileStore(_FileStore):
    """One file: a magic line, a JSON header line, then AES-256-GCM ciphertext of the secrets.

    The header holds the scrypt parameters and salt, the nonce, and the key *names* per namespace
    (so :meth:`keys` and ``status`` need no passphrase); all of it is authenticated as associated
    data when the file is decrypted. The key is derived once per process (``passphrase_source`` is
    called at the first read or write of an existing file, or the first write of a new one); each
    write uses a new random nonce with the file's salt.
    """

    def __init__(self, path: Path, passphrase_source: Callable[[], str]) -> None:
        super().__init__(path)
        self.name = f"encrypted file {path}"
        self._passphrase_source = passphrase_source
        self._passphrase: str | None = None
        self._keys: dict[tuple[bytes, int, int, int], bytes] = {}
        self._params: tuple[bytes, int, int, int] | None = None  # (salt, log_n, r, p) of the file read last

    def _derive(self, salt: bytes, log_n: int, r: int, p: int) -> bytes:
        params = (salt, log_n, r, p)
        if params not in self._keys:
            from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

            if self._passphrase is None:
                passphrase = self._passphrase_source()
                if not passphrase:
                    raise StoreError("an empty passphrase cannot protect the secret store", "passphrase")
                self._passphrase = passphrase
            self._keys[params] = Scrypt(salt=salt, length=32, n=2 ** log_n, r=r, p=p).derive(
                self._passphrase.encode("utf-8"))
        return self._keys[params]

    def _corrupt(self) -> StoreError:
        return StoreError(f"{self.path} is not a readable awsroles encrypted secrets file", "corrupt")

    def _header(self, raw: bytes) -> tuple[dict[str, Any], bytes, bytes]:
        """(header, associated data, ciphertext) from the raw file."""
        if not raw.startswith(MAGIC):
            raise self._corrupt()
        end = raw.find(b"\n", len(MAGIC))
        if end < 0:
            raise self._corrupt()
        try:
            header = json.loads(raw[len(MAGIC):end])
            log_n, r, p = int(header["log_n"]), int(header["r"]), int(header["p"])
            salt, nonce = base64.b64decode(header["salt"]), base64.b64decode(header["nonce"])
            names = header["names"]
            if not (10 <= log_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16 and 128 * r * 2 ** log_n <= MAX_SCRYPT_MEMORY
                    and len(salt) >= 16 and len(nonce) == 12 and isinstance(names, dict)):
                raise ValueError("bad header")
        except (ValueError, KeyError, TypeError):
            raise self._corrupt() from None
        return header, raw[:end + 1], raw[end + 1:]

    def _load(self, raw: bytes) -> Secrets:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        header, associated, ciphertext = self._header(raw)
        salt, nonce = base64.b64decode(header["salt"]), base64.b64decode(header["nonce"])
        params = (salt, int(header["log_n"]), int(header["r"]), int(header["p"]))
        key = self._derive(*params)
        try:
            plaintext = AESGCM(key).decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            self._passphrase = None  # a second attempt asks again
            self._keys.pop(params, None)
            raise StoreError(f"cannot decrypt {self.path}: wrong passphrase? (or the file was damaged); "
                             f"set {PASSPHRASE_ENV} or enter the one used when it was created",
                             "passphrase") from None
        try:
            secrets = _secrets_from(json.loads(plaintext))
        except ValueError:
            raise self._corrupt() from None
        self._params = params
        return secrets

    def _new(self) -> Secrets:
        self._params = None  # a new file gets a new salt
        return {}

    def _dump(self, secrets: Secrets) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._params is None:
            self._params = (os.urandom(16), SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
        salt, log_n, r, p = self._params
        key = self._derive(salt, log_n, r, p)
        nonce = os.urandom(12)
        header = {"cipher": "AES-256-GCM", "kdf": "scrypt", "log_n": log_n, "r": r, "p": p,
                  "salt": base64.b64encode(salt).decode(), "nonce": base64.b64encode(nonce).decode(),
                  "names": {ns: sorted(entries) for ns, entries in sorted(secrets.items())}}
        associated = MAGIC + json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n"
        plaintext = json.dumps(secrets, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return associated + AESGCM(key).encrypt(nonce, plaintext, associated)

    def keys(self, namespace: str) -> list[str]:
        """Names from the header, without the passphrase (authenticated only when decrypting)."""
        _check_name(namespace, "-")
        raw = _read_bytes(self.path)
        if raw is None:
            return []
        header, _, _ = self._header(raw)
        names = header["names"].get(namespace, [])
        return sorted(str(name) for name in names) if isinstance(names, list) else []


# --------------------------------------------------------------------------------------------------
# Choosing a store


def passphrase_from_env_or_prompt(prompter: Callable[[str], str] | None, *,
                                  environ: Mapping[str, str] | None = None,
                                  isatty: Callable[[], bool] | None = None) -> str:
    """``$AWSROLES_PASSPHRASE``, else ask ``prompter`` (e.g. ``getpass.getpass``), but only on a
    terminal: without one (a credential_process, CI) this raises instead of waiting for input."""
    env = os.environ if environ is None else environ
    if env.get(PASSPHRASE_ENV):
        return env[PASSPHRASE_ENV]
    interactive = isatty() if isatty is not None else sys.stdin.isatty()
    if prompter is None or not interactive:
        raise StoreError(f"the encrypted secret store needs its passphrase: set {PASSPHRASE_ENV} "
                         "(there is no terminal to ask on)", "passphrase")
    passphrase = prompter("Passphrase for the awsroles secret store: ")
    if not passphrase:
        raise StoreError("no passphrase given for the encrypted secret store", "passphrase")
    return passphrase


def platform_keyring(platform: str | None = None) -> str:
    """The keyring backend for this platform: Keychain on macOS, Credential Manager on Windows,
    the Secret Service elsewhere (Linux, the BSDs)."""
    platform = sys.platform if platform is None else platform
    if platform == "darwin":
        return "macos"
    if platform in ("win32", "cygwin"):
        return "windows"
    return "secretservice"


def open_store(kind: str, *, directory: Path, prompter: Callable[[str], str] | None = None,
               environ: Mapping[str, str] | None = None, platform: str | None = None) -> SecretStore:
    """The store ``kind`` names (one of :data:`STORE_KINDS`), its files under ``directory``.

    Nothing is touched until the first call: opening a store is free, and a missing keyring is
    reported by the first ``get``/``set`` as a :class:`StoreError`.
    """
    if kind == "memory":
        return MemoryStore()
    if kind == "keyring" or kind.startswith("keyring:"):
        backend = kind.partition(":")[2] or platform_keyring(platform)
        return KeyringStore(backend, directory / "keyring-index.json", environ=environ)
    if kind == "file":
        source = functools.partial(passphrase_from_env_or_prompt, prompter, environ=environ)
        return EncryptedFileStore(directory / "secrets.bin", source)
    if kind == "plaintext":
        return PlaintextFileStore(directory / "secrets.json", i_understand_this_is_plaintext=True)
    raise UsageError(f"unknown secret store {kind!r}; use one of {', '.join(STORE_KINDS)}")
