"""The hot-path cache of role sessions: encrypted at rest, its key only in memory-backed storage.

``credential-process`` runs on every AWS CLI call. Reading the OS keyring costs ~80 ms (D-Bus and
its imports), so role sessions are also kept here: one file per environment and role under the
cache dir, sealed with AES-256-GCM; the key lives in ``$XDG_RUNTIME_DIR/awsroles/cache.key``
(tmpfs, 0600, gone at logout or reboot). A stolen disk or backup holds only ciphertext. Where
there is no runtime dir (macOS), this cache is off and sessions come from the secret store.

File format, chosen so the hot path (:mod:`awsroles.creds.hotpath`) needs neither json nor
dataclasses to answer: see :mod:`awsroles.creds.fastformat` (shared with the hot path, as the file
names in :mod:`awsroles.paths` are). ``status`` lists sessions from the headers alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from awsroles import paths
from awsroles.creds.fastformat import MAGIC
from awsroles.creds.model import Credentials
from awsroles.fsutil import private_dir

KEY_FILE = paths.CACHE_KEY_FILE
SUFFIX = paths.SESSION_SUFFIX
file_name = paths.session_file_name


def aesgcm(key: bytes) -> object:
    """cryptography's AESGCM. The public module costs ~10 ms more to import than the class it
    re-exports from the Rust bindings; the hot path takes the binding, with the public one as the
    fallback if that private path ever moves (tests check both are the same class)."""
    try:
        from cryptography.hazmat.bindings._rust import openssl

        return openssl.aead.AESGCM(key)
    except (ImportError, AttributeError):  # pragma: no cover - depends on the cryptography release
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(key)


class FastCache:
    def __init__(self, cache_dir: Path, key_dir: Path | None):
        self.cache_dir = cache_dir
        self.key_dir = key_dir

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> FastCache:
        """The user's fast cache (see :mod:`awsroles.paths`): off where there is no runtime dir."""
        runtime = paths.runtime_dir(environ)
        return cls(Path(paths.sessions_dir(environ)), Path(runtime) if runtime is not None else None)

    @property
    def enabled(self) -> bool:
        return self.key_dir is not None

    def _key(self, create: bool) -> bytes | None:
        if self.key_dir is None:
            return None
        path = self.key_dir / KEY_FILE
        try:
            key = path.read_bytes()
            return key if len(key) == 32 else None
        except FileNotFoundError:
            if not create:
                return None
        private_dir(self.key_dir)
        key = os.urandom(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race: use its key
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    def get(self, environment: str, role: str, name: str) -> Credentials | None:
        """The cached session of ``name`` (its header must say so), or None."""
        key = self._key(create=False)
        if key is None:
            return None
        try:
            data = (self.cache_dir / file_name(environment, role)).read_bytes()
            header, _, sealed = data.partition(b"\n")
            magic, _expiry, stored_name, nonce = header.split(b" ")
            if magic != MAGIC or stored_name.decode() != name:
                return None
            plain = aesgcm(key).decrypt(bytes.fromhex(nonce.decode()), sealed, header)  # type: ignore[attr-defined]
            import json

            return Credentials.from_mapping(json.loads(plain))
        except Exception:  # missing, damaged, or sealed with the key of an earlier login: a miss
            return None

    def put(self, environment: str, role: str, name: str, credentials: Credentials) -> None:
        key = self._key(create=True)
        if key is None or credentials.expiration is None or " " in name:
            return
        nonce = os.urandom(12)
        header = b" ".join([MAGIC, str(int(credentials.expiration.timestamp())).encode(), name.encode(),
                            nonce.hex().encode()])
        sealed = aesgcm(key).encrypt(nonce, credentials.credential_process().encode(), header)  # type: ignore[attr-defined]
        private_dir(self.cache_dir)
        target = self.cache_dir / file_name(environment, role)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(header + b"\n" + sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)

    def delete(self, environment: str, role: str) -> None:
        (self.cache_dir / file_name(environment, role)).unlink(missing_ok=True)

    def entries(self) -> list[tuple[str, datetime | None]]:
        """(name, expiry) of every cached session, read from the headers only."""
        out: list[tuple[str, datetime | None]] = []
        if not self.cache_dir.is_dir():
            return out
        for path in sorted(self.cache_dir.glob(f"*{SUFFIX}")):
            try:
                with open(path, "rb") as handle:
                    magic, expiry, name, _nonce = handle.readline().rstrip(b"\n").split(b" ")
                if magic == MAGIC:
                    out.append((name.decode(), datetime.fromtimestamp(int(expiry), timezone.utc)))
            except (OSError, ValueError):
                continue
        return out

    def clear(self) -> int:
        count = 0
        if self.cache_dir.is_dir():
            for path in self.cache_dir.glob(f"*{SUFFIX}"):
                path.unlink(missing_ok=True)
                count += 1
        return count
