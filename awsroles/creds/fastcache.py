"""The hot-path cache of role sessions: encrypted at rest, its key only in memory-backed storage.

``credential-process`` runs on every AWS CLI call. Reading the OS keyring costs ~80 ms (D-Bus and
its imports), so role sessions are also kept here: one file per session under the cache dir,
sealed with AES-GCM; the 256-bit key lives in ``$XDG_RUNTIME_DIR/awsroles/cache.key`` (tmpfs,
0600, gone at logout or reboot). A stolen disk or backup holds only ciphertext. Where there is no
runtime dir (macOS), this cache is off and sessions come from the secret store.

File names are a hash of the session's name; the file's first line is a small non-secret header
(name and expiry) so ``status`` can list sessions without decrypting anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from awsroles.creds.model import Credentials, iso, parse_time
from awsroles.creds.paths import private_dir

_KEY_FILE = "cache.key"
_SUFFIX = ".session"


class FastCache:
    def __init__(self, cache_dir: Path, key_dir: Path | None):
        self.cache_dir = cache_dir
        self.key_dir = key_dir

    @property
    def enabled(self) -> bool:
        return self.key_dir is not None

    def _file(self, name: str) -> Path:
        return self.cache_dir / (hashlib.sha256(name.encode()).hexdigest()[:32] + _SUFFIX)

    def _key(self, create: bool) -> bytes | None:
        if self.key_dir is None:
            return None
        path = self.key_dir / _KEY_FILE
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

    def get(self, name: str) -> Credentials | None:
        key = self._key(create=False)
        if key is None:
            return None
        try:
            data = self._file(name).read_bytes()
        except OSError:
            return None
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            header, _, sealed = data.partition(b"\n")
            meta = json.loads(header)
            if meta.get("name") != name:
                return None
            plain = AESGCM(key).decrypt(sealed[:12], sealed[12:], header)
            return Credentials.from_json(plain.decode())
        except Exception:  # a damaged file or a key from an earlier login: a cache miss
            return None

    def put(self, name: str, credentials: Credentials) -> None:
        key = self._key(create=True)
        if key is None:
            return
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        header = json.dumps({"name": name, "expires": iso(credentials.expiration) if credentials.expiration else ""},
                            separators=(",", ":")).encode()
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key).encrypt(nonce, credentials.to_json().encode(), header)
        private_dir(self.cache_dir)
        target = self._file(name)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(header + b"\n" + sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)

    def delete(self, name: str) -> None:
        self._file(name).unlink(missing_ok=True)

    def entries(self) -> list[tuple[str, datetime | None]]:
        """(name, expiry) of every cached session, read from the headers only."""
        out: list[tuple[str, datetime | None]] = []
        if not self.cache_dir.is_dir():
            return out
        for path in sorted(self.cache_dir.glob(f"*{_SUFFIX}")):
            try:
                with open(path, "rb") as handle:
                    meta = json.loads(handle.readline())
                out.append((str(meta["name"]), parse_time(meta["expires"]) if meta.get("expires") else None))
            except (OSError, ValueError, KeyError):
                continue
        return out

    def clear(self) -> int:
        count = 0
        if self.cache_dir.is_dir():
            for path in self.cache_dir.glob(f"*{_SUFFIX}"):
                path.unlink(missing_ok=True)
                count += 1
        return count
