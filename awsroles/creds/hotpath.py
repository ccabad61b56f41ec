"""The cached path of ``awsroles credential-process``: runs on every AWS CLI call.

Only ``os``, ``sys`` and ``time`` and the AES-GCM binding: no click, rich, boto3, json,
dataclasses, typing or pathlib (each costs milliseconds to import, and this path is a few
milliseconds of work). Arguments are parsed by hand; the answer is the sealed
``credential_process`` JSON from the fast cache (see :mod:`awsroles.creds.fastcache`), written as
is. Anything else (a miss, a session inside its refresh window, an option this path does not
know) returns None and the full CLI takes over.
"""

from __future__ import annotations

import os
import sys
import time

ADVISORY_REFRESH = 15 * 60  # the same threshold as awsroles.creds.vend
MAGIC = b"awsroles-fast-1"


def _parse(argv: list[str]) -> tuple[str, str | None] | None:
    """``credential-process ENV [--role ROLE | --role=ROLE | -r ROLE]``; None for anything else."""
    if not argv or argv[0] != "credential-process":
        return None
    environment, role = None, None
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("--role", "-r") and rest:
            role = rest.pop(0)
        elif arg.startswith("--role="):
            role = arg.split("=", 1)[1]
        elif not arg.startswith("-") and environment is None:
            environment = arg
        else:
            return None
    if not environment or "/" in environment or (role is not None and "/" in role):
        return None
    return environment, role


def _home(environ: os._Environ[str] | dict[str, str]) -> str:
    return environ.get("HOME") or os.path.expanduser("~")


def cache_dir(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """The same directory as ``awsroles.creds.paths.cache_dir() / "sessions"`` (a test checks)."""
    if environ.get("AWSROLES_CONFIG_DIR"):
        return os.path.join(environ["AWSROLES_CONFIG_DIR"], "cache", "sessions")
    base = environ.get("XDG_CACHE_HOME") or os.path.join(_home(environ), ".cache")
    return os.path.join(base, "awsroles", "sessions")


def key_dir(environ: os._Environ[str] | dict[str, str] = os.environ) -> str | None:
    """The same directory as ``awsroles.creds.paths.runtime_dir()`` (a test checks)."""
    base = environ.get("XDG_RUNTIME_DIR")
    if not base or not os.path.isdir(base):
        return None
    return os.path.join(base, "awsroles")


def _answer(environment: str, role: str | None) -> bytes | None:
    keys = key_dir()
    if keys is None:
        return None
    sessions = cache_dir()
    if role is None:  # the only role cached for this environment, if exactly one
        prefix = environment + "."
        found = [n for n in os.listdir(sessions) if n.startswith(prefix) and n.endswith(".session")]
        if len(found) != 1:
            return None
        name = found[0]
    else:
        name = f"{environment}.{role}.session"
    with open(os.path.join(sessions, name), "rb") as handle:
        data = handle.read()
    header, _, sealed = data.partition(b"\n")
    magic, expiry, _session, nonce = header.split(b" ")
    if magic != MAGIC or int(expiry) - time.time() <= ADVISORY_REFRESH:
        return None
    with open(os.path.join(keys, "cache.key"), "rb") as handle:
        key = handle.read()
    try:
        from cryptography.hazmat.bindings._rust import openssl

        cipher = openssl.aead.AESGCM(key)
    except (ImportError, AttributeError):  # pragma: no cover - see fastcache.aesgcm
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        cipher = AESGCM(key)
    plain: bytes = cipher.decrypt(bytes.fromhex(nonce.decode()), sealed, header)
    return plain


def run(argv: list[str]) -> int | None:
    parsed = _parse(argv)
    if parsed is None:
        return None
    try:
        answer = _answer(*parsed)
    except Exception:  # a miss of any kind: the full CLI will explain if something is wrong
        return None
    if answer is None:
        return None
    sys.stdout.buffer.write(answer + b"\n")
    sys.stdout.flush()
    return 0
