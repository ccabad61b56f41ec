"""The fast path everywhere (issue 13, item 2): where the fast cache keeps its key with and without
``$XDG_RUNTIME_DIR``, that it refuses folders that are not safely ours, and that it heals itself
when its key or files are lost or damaged, never raising and never silently off."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from awsroles import paths
from awsroles.creds import hotpath, userconfig
from awsroles.creds.fastcache import FastCache
from tests.unit.test_creds_local import CONFIG, CREDS, NAME


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), paths.SHM_VAR: str(tmp_path / "shm"), **extra}


def test_the_key_goes_to_the_runtime_dir_then_dev_shm_then_disk_only_when_asked(tmp_path: Path) -> None:
    run, shm = tmp_path / "run", tmp_path / "shm"
    run.mkdir()
    env = _env(tmp_path, XDG_RUNTIME_DIR=str(run))
    assert paths.fast_key_location(env) == ("runtime", str(run / "awsroles"))
    env = _env(tmp_path)  # no runtime dir (ssh, containers, sudo -u, CI), no shm folder either
    assert paths.fast_key_location(env) is None
    shm.mkdir()
    assert paths.fast_key_location(env) == ("memory", str(shm / f"awsroles-{os.getuid()}"))
    no_memory = {**env, paths.SHM_VAR: ""}  # e.g. macOS: neither
    assert paths.fast_key_location(no_memory) is None
    disk = {**no_memory, paths.FAST_CACHE_VAR: "disk", "XDG_STATE_HOME": str(tmp_path / "state")}
    assert paths.fast_key_location(disk) == ("disk", str(tmp_path / "state" / "awsroles" / "fastkey"))
    # disk is a fallback, never preferred to memory
    assert paths.fast_key_location({**disk, "XDG_RUNTIME_DIR": str(run)})[0] == "runtime"  # type: ignore[index]
    assert paths.fast_key_location({**env, "XDG_RUNTIME_DIR": str(run), paths.FAST_CACHE_VAR: "off"}) is None


def test_the_default_shm_folder_is_dev_shm(tmp_path: Path) -> None:
    location = paths.fast_key_location({"HOME": str(tmp_path)})
    if os.path.isdir("/dev/shm"):
        assert location == ("memory", f"/dev/shm/awsroles-{os.getuid()}")
    else:  # pragma: no cover - not Linux
        assert location is None


def test_private_folder_means_ours_closed_and_not_a_link(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.mkdir(mode=0o700)
    assert paths.private_folder(str(ours))
    ours.chmod(0o750)
    assert not paths.private_folder(str(ours))
    ours.chmod(0o700)
    link = tmp_path / "link"
    link.symlink_to(ours)
    assert not paths.private_folder(str(link))
    (tmp_path / "file").write_text("")
    assert not paths.private_folder(str(tmp_path / "file"))
    assert not paths.private_folder(str(tmp_path / "absent"))


@pytest.fixture
def no_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A session without $XDG_RUNTIME_DIR, with a world-writable /dev/shm-like folder."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    shm = tmp_path / "shm"
    shm.mkdir()
    shm.chmod(0o1777)
    monkeypatch.setenv(paths.SHM_VAR, str(shm))
    userconfig.save(CONFIG)
    return shm


def test_the_hot_path_answers_without_a_runtime_dir(no_runtime: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = FastCache.default()
    assert cache.kind == "memory" and not cache.state().active
    assert "made at your next login" in cache.state().detail
    assert cache.put("prod", "admin", NAME, CREDS)
    folder = no_runtime / f"awsroles-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "cache.key").stat().st_mode) == 0o600
    assert cache.state().active and cache.state().detail == "on: key in memory (/dev/shm, cleared at reboot)"
    assert hotpath.run(["credential-process", "prod"]) == 0
    assert json.loads(capsys.readouterr().out)["AccessKeyId"] == "ASIAEXAMPLE"


def test_a_folder_someone_else_could_have_made_is_never_used(no_runtime: Path) -> None:
    """/dev/shm is shared by every user: a link (or another user's folder) in our folder's place
    must not receive our key, and the hot path must not trust a key found there."""
    elsewhere = no_runtime.parent / "planted"
    elsewhere.mkdir(mode=0o700)
    (no_runtime / f"awsroles-{os.getuid()}").symlink_to(elsewhere)
    cache = FastCache.default()
    assert not cache.put("prod", "admin", NAME, CREDS)
    assert not (elsewhere / "cache.key").exists()
    state = cache.state()
    assert not state.active and "is not a private folder of yours" in state.detail
    assert hotpath.run(["credential-process", "prod"]) is None


def test_a_folder_opened_to_others_is_not_trusted_by_the_hot_path(no_runtime: Path) -> None:
    cache = FastCache.default()
    assert cache.put("prod", "admin", NAME, CREDS)
    folder = no_runtime / f"awsroles-{os.getuid()}"
    folder.chmod(0o755)
    assert hotpath.run(["credential-process", "prod"]) is None
    assert cache.get("prod", "admin", NAME) is None
    assert not cache.state().active
    assert cache.put("prod", "admin", NAME, CREDS)  # ours: tightened again, then used
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert cache.get("prod", "admin", NAME) == CREDS


@pytest.mark.parametrize("damage", ["empty", "short", "directory", "missing"])
def test_a_lost_or_damaged_key_is_replaced_at_the_next_put(tmp_path: Path, damage: str) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    assert cache.put("prod", "admin", NAME, CREDS)
    key = tmp_path / "run" / "cache.key"
    key.unlink()
    if damage == "empty":
        key.write_bytes(b"")
    elif damage == "short":
        key.write_bytes(b"x" * 16)
    elif damage == "directory":
        key.mkdir()
    assert cache.get("prod", "admin", NAME) is None  # a miss, never an error
    state = cache.state()
    assert not state.active and ("damaged" in state.detail or "not yet" in state.detail or "off" in state.detail)
    assert cache.put("prod", "admin", NAME, CREDS)
    assert key.is_file() and len(key.read_bytes()) == 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert cache.get("prod", "admin", NAME) == CREDS
    assert cache.state().active


def test_a_key_that_cannot_be_replaced_leaves_the_cache_off_with_a_reason(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    key = tmp_path / "run" / "cache.key"
    key.mkdir(parents=True)
    (key / "something").write_text("not ours to delete")
    assert cache.put("prod", "admin", NAME, CREDS) is False  # no exception
    assert cache.get("prod", "admin", NAME) is None
    state = cache.state()
    assert not state.active and state.detail.startswith("off:") and "cache.key" in state.detail
    assert (key / "something").exists()


def test_off_says_why(tmp_path: Path) -> None:
    off = FastCache.default({"HOME": str(tmp_path), paths.SHM_VAR: "", paths.FAST_CACHE_VAR: "off"})
    assert off.state().detail == "off: AWSROLES_FAST_CACHE=off"
    nowhere = FastCache.default({"HOME": str(tmp_path), paths.SHM_VAR: ""})
    assert not nowhere.state().active
    assert "no memory-backed folder" in nowhere.state().detail and "AWSROLES_FAST_CACHE=disk" in nowhere.state().detail
    assert nowhere.put("prod", "admin", NAME, CREDS) is False


def test_disk_mode_keeps_the_key_in_the_state_dir(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), paths.SHM_VAR: "", paths.FAST_CACHE_VAR: "disk"}
    cache = FastCache.default(env)
    assert cache.put("prod", "admin", NAME, CREDS)
    key = tmp_path / ".local" / "state" / "awsroles" / "fastkey" / "cache.key"
    assert key.is_file() and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert cache.state().detail == "on: key on disk (AWSROLES_FAST_CACHE=disk)"


def test_another_users_folder_in_our_place_is_never_used(no_runtime: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As if someone else had made /dev/shm/awsroles-UID first: we are a different uid from its owner."""
    folder = no_runtime / f"awsroles-{os.getuid()}"
    folder.mkdir(mode=0o700)
    me = os.getuid() + 1
    monkeypatch.setattr(os, "getuid", lambda: me)
    monkeypatch.setenv(paths.SHM_VAR, str(no_runtime))
    (no_runtime / f"awsroles-{me}").symlink_to(folder)  # not even through a link
    assert not paths.private_folder(str(folder))
    cache = FastCache(Path(paths.sessions_dir()), folder, "memory")
    assert not cache.put("prod", "admin", NAME, CREDS) and not (folder / "cache.key").exists()
    assert "not a private folder of yours" in cache.state().detail
