"""The freedesktop Secret Service over D-Bus (secretstorage/jeepney), with a deadline on every call.

The keyring library's own SecretService backend calls ``Collection.unlock()`` without a timeout,
which blocks until someone answers a GUI prompt that a person in an SSH session cannot see; this
one never opens an unlock prompt unless asked to (and then with a time limit). It also keeps the
hot path ~80 ms faster (``import keyring`` costs that much). Items carry keyring's attributes
(``service``, ``username``), so ``keyring get awsroles-keys NAME`` and seahorse see them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from awsroles.creds.store.base import HEADLESS_HINT, StoreError

if TYPE_CHECKING:
    from secretstorage.collection import Collection
    from secretstorage.dhcrypto import Session

DBUS_TIMEOUT = 5.0  # seconds to wait for any one answer from the Secret Service


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
