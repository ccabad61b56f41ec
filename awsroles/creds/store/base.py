"""The secret store's interface: two namespaces, one protocol, one error type.

Two namespaces, used as the keyring's *service* names, hold different things and are never
deleted across one another: :data:`KEYS` (long-term access keys, a TOTP seed) and
:data:`SESSIONS` (cached MFA and role sessions). Every store works on one ``(namespace, key)``
at a time; nothing here deletes by pattern.
"""

from __future__ import annotations

from typing import Literal, Protocol

from awsroles.errors import AwsrolesError, ExitCode

KEYS = "awsroles-keys"
SESSIONS = "awsroles-sessions"
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


def check_name(namespace: str, key: str) -> None:
    """Namespaces and keys are names, never data: no control characters, no ``#`` (chunk suffix)."""
    if not namespace or not all(c.isalnum() or c in "._-" for c in namespace):
        raise ValueError(f"invalid secret store namespace {namespace!r}")
    if not key or len(key) > 512 or "#" in key or not key.isprintable():
        raise ValueError(f"invalid secret store key {key!r} (1-512 printable characters, no '#')")
