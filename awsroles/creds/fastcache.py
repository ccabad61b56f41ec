"""The hot-path cache of role sessions: encrypted at rest, its key only in memory-backed storage.

``credential-process`` runs on every AWS CLI call. Reading the OS keyring costs ~80 ms (D-Bus and
its imports), so role sessions are also kept here: one file per environment and role under the
cache dir, sealed with AES-256-GCM. The key's place is decided by
:func:`awsroles.paths.fast_key_location`: ``$XDG_RUNTIME_DIR/awsroles/cache.key`` (tmpfs, gone at
logout), else ``/dev/shm/awsroles-UID/cache.key`` (tmpfs, gone at reboot; the folder must be ours
and closed to others), else, only when asked (``AWSROLES_FAST_CACHE=disk``), a key file on disk.
A stolen disk or backup holds only ciphertext, except in that last case.

**Self-healing.** The cache is only ever a copy of the secret store: a lost key (reboot, logout),
an empty or damaged key, a damaged or foreign session file, all read as a miss; the vendor then
serves the session from the store and seals it again here (:meth:`FastCache.put` makes a new key
when the old one is gone or damaged). Nothing here raises: a cache that cannot be written is
reported by :meth:`FastCache.state` (``awsroles status``), never an error.

File format, chosen so the hot path (:mod:`awsroles.creds.hotpath`) needs neither json nor
dataclasses to answer: see :mod:`awsroles.creds.fastformat` (shared with the hot path, as the file
names in :mod:`awsroles.paths` are). ``status`` lists sessions from the headers alone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from awsroles import paths
from awsroles.creds.fastformat import MAGIC, NO_ORG
from awsroles.creds.model import Credentials
from awsroles.errors import AwsrolesError
from awsroles.fsutil import private_dir

log = logging.getLogger(__name__)

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


KINDS = {
    "runtime": "in memory ($XDG_RUNTIME_DIR, cleared at logout)",
    "memory": "in memory (/dev/shm, cleared at reboot)",
    "disk": "on disk (AWSROLES_FAST_CACHE=disk)",
}


@dataclass(frozen=True)
class FastState:
    """Whether ``credential-process`` can answer from the fast cache, and why not, in words."""

    active: bool
    detail: str
    key_file: str | None = None


class FastCache:
    def __init__(self, cache_dir: Path, key_dir: Path | None, kind: str = "runtime", off_reason: str = "",
                 org: str = ""):
        self.cache_dir = cache_dir
        self.key_dir = key_dir
        self.kind = kind
        self.off_reason = off_reason
        self.org = org  # written into every header; checked on reading when set

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None, org: str = "") -> FastCache:
        """The user's fast cache (see :mod:`awsroles.paths`), for ``org``'s sessions; off where its
        key has no safe place."""
        location = paths.fast_key_location(environ)
        sessions = Path(paths.sessions_dir(environ))
        if location is None:
            if paths.fast_cache_mode(environ) == "off":
                reason = f"off: {paths.FAST_CACHE_VAR}=off"
            else:
                reason = (f"off: no memory-backed folder here (no $XDG_RUNTIME_DIR, no {paths.DEFAULT_SHM}); "
                          f"{paths.FAST_CACHE_VAR}=disk keeps its key on disk instead (docs/credentials.md)")
            return cls(sessions, None, "", reason, org)
        kind, folder = location
        return cls(sessions, Path(folder), kind, org=org)

    @property
    def _org_field(self) -> bytes:
        return self.org.encode() if paths.safe_org_name(self.org) else NO_ORG

    @property
    def enabled(self) -> bool:
        return self.key_dir is not None

    def state(self) -> FastState:
        """For ``status``: on, not yet (no key until the next login), or off, and why."""
        if self.key_dir is None:
            return FastState(False, self.off_reason or "off")
        where = KINDS.get(self.kind, str(self.key_dir))
        path = self.key_dir / KEY_FILE
        if self.key_dir.exists() and not paths.private_folder(str(self.key_dir)):
            return FastState(False, f"off: {self.key_dir} is not a private folder of yours (a link, another "
                                    "user's, or open to others): remove it")
        try:
            size = len(path.read_bytes())
        except FileNotFoundError:
            return FastState(False, f"not yet: its key ({where}) is made at your next login", str(path))
        except OSError as exc:
            return FastState(False, f"off: {path}: {exc.strerror or type(exc).__name__}; remove it", str(path))
        if size != 32:
            return FastState(False, f"not yet: its key {path} is damaged; replaced at your next login", str(path))
        return FastState(True, f"on: key {where}", str(path))

    def _key(self, create: bool) -> bytes | None:
        """The 32-byte key; with ``create``, a new one when it is missing or damaged. None when
        there is none (and ``create`` is false) or its folder is not safe to use."""
        if self.key_dir is None:
            return None
        path = self.key_dir / KEY_FILE
        if create:
            private_dir(self.key_dir)
        if not paths.private_folder(str(self.key_dir)):
            return None  # e.g. /dev/shm/awsroles-UID made by someone else: never trust or fill it
        try:
            key = path.read_bytes()
            if len(key) == 32:
                return key
        except FileNotFoundError:
            if not create:
                return None
            return self._new_key(path, exclusive=True)
        except IsADirectoryError:
            if not create:
                return None
            path.rmdir()  # an empty one; anything else raises, and the cache stays off
        if not create:
            return None
        return self._new_key(path, exclusive=False)

    @staticmethod
    def _new_key(path: Path, exclusive: bool) -> bytes:
        """A new key, written whole before anyone can read it: into a file of its own (named for this
        process and this call), then linked in place (``exclusive``: only if there is no key yet; else
        the key another process or thread made first) or moved over a damaged one. A key file is
        never seen half written."""
        key = os.urandom(32)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        if not exclusive:
            os.replace(tmp, path)  # replace a damaged key whole
            return key
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process won the race: use its key
            return path.read_bytes()
        finally:
            os.unlink(tmp)
        return key

    def get(self, environment: str, role: str, name: str) -> Credentials | None:
        """The cached session of ``name`` (its header must say so), or None."""
        try:
            key = self._key(create=False)
            if key is None:
                return None
            data = (self.cache_dir / file_name(environment, role)).read_bytes()
            header, _, sealed = data.partition(b"\n")
            magic, _expiry, stored_name, nonce, org = header.split(b" ")
            if magic != MAGIC or stored_name.decode() != name or (self.org and org != self._org_field):
                return None
            plain = aesgcm(key).decrypt(bytes.fromhex(nonce.decode()), sealed, header)  # type: ignore[attr-defined]
            import json

            return Credentials.from_mapping(json.loads(plain))
        except Exception:  # missing, damaged, or sealed with the key of an earlier login: a miss
            return None

    def put(self, environment: str, role: str, name: str, credentials: Credentials) -> bool:
        """Seal ``credentials`` for the hot path; False (never an error) when it cannot."""
        try:
            return self._put(environment, role, name, credentials)
        except (OSError, AwsrolesError) as exc:  # FileWriteError is both
            log.debug("fast cache not written: %s", type(exc).__name__)
            return False

    def _put(self, environment: str, role: str, name: str, credentials: Credentials) -> bool:
        if credentials.expiration is None or " " in name:
            return False
        key = self._key(create=True)
        if key is None:
            return False
        nonce = os.urandom(12)
        header = b" ".join([MAGIC, str(int(credentials.expiration.timestamp())).encode(), name.encode(),
                            nonce.hex().encode(), self._org_field])
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
        return True

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
                    magic, expiry, name, _nonce, org = handle.readline().rstrip(b"\n").split(b" ")
                if magic == MAGIC and (not self.org or org == self._org_field):
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
