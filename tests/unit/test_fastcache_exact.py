"""The fast cache's decisions, exactly (issue 21: the mutation score of awsroles/creds/fastcache.py).

What is written (the header to the byte), which sessions are served or listed (whose org, which
format, damaged files skipped), when a key is made, kept or left alone (never by a read, another
process's key kept), and what ``status`` says in each state. Races with other processes are played
by a path that acts as they would at the moment it is touched.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path, PosixPath

import pytest

from awsroles import paths
from awsroles.creds.fastcache import FastCache, FastState, aesgcm
from awsroles.creds.model import Credentials

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
CREDS = Credentials("ASIAEXAMPLE", "s3cr3t-value", "t0ken-value", SOON)
NAME = "role/444444444444/admin/alice"


def header(folder: Path, file: str = "prod.admin.session") -> bytes:
    return (folder / file).read_bytes().partition(b"\n")[0]


def test_the_header_is_magic_expiry_name_nonce_and_org(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    assert cache.put("prod", "admin", NAME, CREDS)
    magic, expiry, name, nonce, org = header(tmp_path / "cache").split(b" ")
    assert (magic, expiry, name, org) == (b"awsroles-fast-2", str(int(SOON.timestamp())).encode(), NAME.encode(), b"-")
    assert re.fullmatch(rb"[0-9a-f]{24}", nonce)  # AES-GCM's 96-bit nonce (NIST SP 800-38D's recommended size)
    assert FastCache(tmp_path / "c2", tmp_path / "run", org="acme").put("prod", "admin", NAME, CREDS)
    assert header(tmp_path / "c2").split(b" ")[4] == b"acme"
    assert FastCache(tmp_path / "c3", tmp_path / "run", org="../x").put("prod", "admin", NAME, CREDS)
    assert header(tmp_path / "c3").split(b" ")[4] == b"-"  # not a safe org name: none recorded


def test_the_default_cache_has_no_org_unless_given_one(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    (tmp_path / "run").mkdir()
    cache = FastCache.default(env)
    assert cache.put("prod", "admin", NAME, CREDS)
    assert header(cache.cache_dir).endswith(b" -")


@pytest.mark.parametrize("name", ["role/444444444444/admin/alice smith", "x y"])
def test_a_name_with_a_space_is_never_written(tmp_path: Path, name: str) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    assert cache.put("prod", "admin", name, CREDS) is False
    assert not (tmp_path / "cache").exists() and not (tmp_path / "run").exists()


def test_a_session_without_an_end_is_never_written(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    assert cache.put("prod", "admin", NAME, Credentials("AKIA", "s")) is False  # a long-term key: never here
    assert not (tmp_path / "cache").exists()


def test_a_cache_for_no_org_serves_every_orgs_sessions_and_one_for_an_org_only_its_own(tmp_path: Path) -> None:
    FastCache(tmp_path / "cache", tmp_path / "run", org="acme").put("prod", "admin", NAME, CREDS)
    assert FastCache(tmp_path / "cache", tmp_path / "run").get("prod", "admin", NAME) == CREDS
    assert FastCache(tmp_path / "cache", tmp_path / "run", org="acme").get("prod", "admin", NAME) == CREDS
    assert FastCache(tmp_path / "cache", tmp_path / "run", org="globex").get("prod", "admin", NAME) is None
    FastCache(tmp_path / "cache", tmp_path / "run").put("prod", "admin", NAME, CREDS)  # no org recorded
    assert FastCache(tmp_path / "cache", tmp_path / "run", org="acme").get("prod", "admin", NAME) is None


def entry(folder: Path, file: str, line: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_bytes(line + b"\nsealed")


def test_status_lists_sessions_from_their_headers(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    at = int(SOON.timestamp())
    entry(cache_dir, "a.double.session", b"awsroles-fast-2  %d role/1/double/alice 00 acme" % at)  # damaged
    entry(cache_dir, "b.trailing.session", b"awsroles-fast-2 %d role/1/trailing/alice 00 acme " % at)  # damaged
    entry(cache_dir, "c.old.session", b"awsroles-fast-1 %d role/1/old/alice 00 acme" % at)  # an older format
    entry(cache_dir, "d.acme.session", b"awsroles-fast-2 %d role/1/acme/alice 00 acme" % at)
    entry(cache_dir, "d.acmex.session", b"awsroles-fast-2 %d role/1/acmex/alice 00 acmeX" % at)  # not acme's
    entry(cache_dir, "e.globex.session", b"awsroles-fast-2 %d role/1/globex/alice 00 globex" % at)
    entry(cache_dir, "f.none.session", b"awsroles-fast-2 %d role/1/none/alice 00 -" % at)
    entry(cache_dir, "g.time.session", b"awsroles-fast-2 soon role/1/time/alice 00 -")  # damaged
    (cache_dir / "h.folder.session").mkdir()
    (cache_dir / "other.txt").write_bytes(b"awsroles-fast-2 %d role/1/txt/alice 00 -\n" % at)
    assert FastCache(cache_dir, None).entries() == [("role/1/acme/alice", SOON), ("role/1/acmex/alice", SOON),
                                                    ("role/1/globex/alice", SOON), ("role/1/none/alice", SOON)]
    assert FastCache(cache_dir, None, org="acme").entries() == [("role/1/acme/alice", SOON)]
    assert FastCache(tmp_path / "absent", None).entries() == []


def test_a_read_never_makes_or_removes_a_key(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    (tmp_path / "run").mkdir(mode=0o700)
    assert cache.get("prod", "admin", NAME) is None
    assert list((tmp_path / "run").iterdir()) == []
    (tmp_path / "run" / "cache.key").mkdir()  # damaged: a folder in its place
    assert cache.get("prod", "admin", NAME) is None
    assert cache.state() == FastState(False, f"off: {tmp_path / 'run' / 'cache.key'}: Is a directory; remove it",
                                      str(tmp_path / "run" / "cache.key"))
    assert (tmp_path / "run" / "cache.key").is_dir()
    assert cache.put("prod", "admin", NAME, CREDS)  # a write replaces an empty folder with a key
    assert len((tmp_path / "run" / "cache.key").read_bytes()) == 32


class KeyMadeMeanwhile(PosixPath):
    """The key folder, as another process makes the key just after this one found none."""

    other = b"k" * 32

    def read_bytes(self) -> bytes:
        if self.name == "cache.key" and not self.exists():
            fd = os.open(self, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, self.other)
            os.close(fd)
            raise FileNotFoundError(2, "No such file or directory", str(self))
        return super().read_bytes()


def test_a_key_another_process_made_meanwhile_is_used_not_replaced(tmp_path: Path) -> None:
    racing = FastCache(tmp_path / "cache", KeyMadeMeanwhile(tmp_path / "run"))
    assert racing.put("prod", "admin", NAME, CREDS)
    assert (tmp_path / "run" / "cache.key").read_bytes() == KeyMadeMeanwhile.other  # its sessions stay readable
    assert FastCache(tmp_path / "cache", tmp_path / "run").get("prod", "admin", NAME) == CREDS


class FilesGoneMeanwhile(PosixPath):
    """The cache folder, as another ``logout`` removes its files while this one lists them."""

    def glob(self, pattern: str) -> Iterator[PosixPath]:  # type: ignore[override]
        found = list(super().glob(pattern))
        for path in found:
            path.unlink()
        return iter(found)


def test_clear_and_delete_never_fail_on_a_file_already_gone(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    cache.put("prod", "admin", NAME, CREDS)
    cache.put("dev", "admin", NAME, CREDS)
    assert FastCache(FilesGoneMeanwhile(tmp_path / "cache"), tmp_path / "run").clear() == 2
    cache.delete("prod", "admin")  # nothing there: not an error


def test_delete_removes_that_environments_role_only(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    for environment, role in (("prod", "admin"), ("prod", "readonly"), ("dev", "admin")):
        cache.put(environment, role, NAME, CREDS)
    cache.delete("prod", "admin")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["dev.admin.session", "prod.readonly.session"]
    assert cache.get("prod", "readonly", NAME) == CREDS and cache.get("prod", "admin", NAME) is None


def test_what_status_says(tmp_path: Path) -> None:
    key = tmp_path / "run" / "cache.key"
    assert FastCache(tmp_path / "cache", None).state() == FastState(False, "off")
    assert FastCache(tmp_path / "cache", None, "", "off: why").state() == FastState(False, "off: why")
    runtime = FastCache(tmp_path / "cache", tmp_path / "run")
    assert runtime.state() == FastState(False, "not yet: its key (in memory ($XDG_RUNTIME_DIR, cleared at logout)) is "
                                               "made at your next login", str(key))
    other = FastCache(tmp_path / "cache", tmp_path / "run", kind="elsewhere")
    assert other.state() == FastState(False, f"not yet: its key ({tmp_path / 'run'}) is made at your next login",
                                      str(key))
    assert runtime.put("prod", "admin", NAME, CREDS)
    assert runtime.state() == FastState(True, "on: key in memory ($XDG_RUNTIME_DIR, cleared at logout)", str(key))
    assert other.state() == FastState(True, f"on: key {tmp_path / 'run'}", str(key))
    key.write_bytes(b"short")
    assert runtime.state() == FastState(False, f"not yet: its key {key} is damaged; replaced at your next login",
                                        str(key))
    (tmp_path / "run").chmod(0o750)
    assert runtime.state() == FastState(False, f"off: {tmp_path / 'run'} is not a private folder of yours (a link, "
                                               "another user's, or open to others): remove it")


def test_an_off_default_cache_still_lists_and_clears_its_org_sessions(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), paths.SHM_VAR: "", paths.FAST_CACHE_VAR: "off"}
    sessions = Path(paths.sessions_dir(env))
    FastCache(sessions, tmp_path / "run", org="acme").put("prod", "admin", NAME, CREDS)
    FastCache(sessions, tmp_path / "run", org="globex").put("dev", "admin", NAME, CREDS)
    off = FastCache.default(env, org="acme")
    assert off.cache_dir == sessions and off.key_dir is None and not off.enabled
    assert off.state() == FastState(False, "off: AWSROLES_FAST_CACHE=off")
    assert off.entries() == [(NAME, SOON)]
    assert off.clear() == 2


def test_a_write_that_fails_is_logged_by_its_kind(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="awsroles.creds.fastcache")
    key = tmp_path / "run" / "cache.key"
    key.mkdir(parents=True)
    (key / "something").write_text("not ours to delete")
    assert FastCache(tmp_path / "cache", tmp_path / "run").put("prod", "admin", NAME, CREDS) is False
    assert [r.getMessage() for r in caplog.records] == ["fast cache not written: OSError"]


def test_the_public_aesgcm_serves_when_the_binding_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # imported before the binding "moves"

    monkeypatch.setitem(sys.modules, "cryptography.hazmat.bindings._rust", None)  # importing it fails
    key, nonce = b"k" * 32, b"n" * 12
    sealed = aesgcm(key).encrypt(nonce, b"plain", b"header")  # type: ignore[attr-defined]
    assert AESGCM(key).decrypt(nonce, sealed, b"header") == b"plain"


def test_threads_making_the_key_at_once_all_get_the_one_key_written(tmp_path: Path) -> None:
    """A key file is never seen half written: threads (and processes) that find no key and make one at
    the same moment all end up with the key in the file. (It was created empty, then written: a
    thread that read it in between got 0 bytes, and AESGCM refused them: seen in CI, 20 threads.)"""
    for round_ in range(40):
        cache = FastCache(tmp_path / f"cache{round_}", tmp_path / f"run{round_}")
        keys, errors = _at_once(16, lambda cache=cache: cache._key(create=True))
        written = (tmp_path / f"run{round_}" / "cache.key").read_bytes()
        assert errors == [] and len(written) == 32
        assert keys == [written] * 16, round_
        assert sorted(p.name for p in (tmp_path / f"run{round_}").iterdir()) == ["cache.key"]  # no leftovers


def _at_once(count: int, call: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """``call`` in ``count`` threads released together: what each returned, and what each raised."""
    import threading

    start = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def one() -> None:
        start.wait()
        try:
            results.append(call())
        except BaseException as exc:  # any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors
