"""Where secrets live: one small interface, and the backends behind it.

The interface (:mod:`.base`): two namespaces that are never deleted across one another,
:data:`KEYS` (long-term access keys, a TOTP seed) and :data:`SESSIONS` (cached MFA and role
sessions), the :class:`SecretStore` protocol (one ``(namespace, key)`` at a time; nothing deletes
by pattern) and :class:`StoreError`. The backends, one module each (pick one with
:func:`open_store`):

- :mod:`.keyring_store`: the OS keyring, backend pinned by name (:mod:`.secret_service` on Linux,
  over D-Bus, never waiting on a prompt; the keyring library's Keychain and Credential Manager
  backends on macOS and Windows); long values chunked (:mod:`.chunks`); a names-only index.
- :mod:`.encrypted_file`: one file for headless machines, AES-256-GCM, scrypt from a passphrase.
- :mod:`.plaintext`: only when explicitly asked for (the sandbox, throwaway machines).
- :mod:`.memory`: tests.

Files are written whole, atomically, under a lock (:mod:`.files`). Secrets never appear in reprs,
errors or logs: messages name the namespace and key, never the value. Importing the package
imports no keyring, D-Bus or crypto library: each is imported where a backend first needs it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from awsroles.creds.store.base import KEYS, SESSIONS, SecretStore, StoreError
from awsroles.creds.store.encrypted_file import EncryptedFileStore, passphrase_from_env_or_prompt
from awsroles.creds.store.keyring_store import KeyringStore
from awsroles.creds.store.memory import MemoryStore
from awsroles.creds.store.plaintext import PlaintextFileStore
from awsroles.errors import UsageError

__all__ = ["KEYS", "SESSIONS", "STORE_KINDS", "SecretStore", "StoreError", "open_store", "platform_keyring"]

STORE_KINDS = ("keyring", "keyring:secretservice", "keyring:macos", "keyring:windows", "file", "plaintext",
               "memory")


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
