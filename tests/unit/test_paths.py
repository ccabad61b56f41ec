"""awsroles.paths: every per-user path, decided once, from an environment passed in."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from awsroles import paths
from awsroles.fsutil import lock_path, private_dir, private_lock_path


def test_defaults_under_home(tmp_path: Path) -> None:
    env = {"HOME": "/h"}
    assert paths.config_dir(env) == "/h/.config/awsroles"
    assert paths.user_config_file(env) == "/h/.config/awsroles/config.ini"
    assert paths.data_dir(env) == paths.secrets_dir(env) == "/h/.local/share/awsroles"
    assert paths.cache_dir(env) == "/h/.cache/awsroles"
    assert paths.sessions_dir(env) == "/h/.cache/awsroles/sessions"
    assert paths.costs_cache_dir(env) == "/h/.cache/awsroles/costs"
    assert paths.state_dir(env) == "/h/.local/state/awsroles"
    assert paths.audit_log(env) == "/h/.local/state/awsroles/audit.jsonl"
    assert paths.sandbox_dir(env) == "/h/.local/state/awsroles/sandbox"
    assert paths.runtime_dir(env) is None
    assert paths.lock_dir(env) == "/h/.cache/awsroles/locks"  # no runtime dir: under the cache


def test_xdg_directories(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    env = {"HOME": "/h", "XDG_CONFIG_HOME": "/c", "XDG_DATA_HOME": "/d", "XDG_CACHE_HOME": "/k",
           "XDG_STATE_HOME": "/s", "XDG_RUNTIME_DIR": str(run)}
    assert paths.config_dir(env) == "/c/awsroles"
    assert paths.data_dir(env) == "/d/awsroles"
    assert paths.cache_dir(env) == "/k/awsroles"
    assert paths.audit_log(env) == "/s/awsroles/audit.jsonl"
    assert paths.sandbox_dir(env) == "/s/awsroles/sandbox"
    assert paths.runtime_dir(env) == str(run / "awsroles")
    assert paths.lock_dir(env) == str(run / "awsroles" / "locks")


def test_relative_or_missing_xdg_directories_are_ignored(tmp_path: Path) -> None:
    env = {"HOME": "/h", "XDG_CONFIG_HOME": "rel", "XDG_CACHE_HOME": "", "XDG_STATE_HOME": "./s",
           "XDG_RUNTIME_DIR": str(tmp_path / "absent")}
    assert paths.config_dir(env) == "/h/.config/awsroles"
    assert paths.cache_dir(env) == "/h/.cache/awsroles"
    assert paths.state_dir(env) == "/h/.local/state/awsroles"
    assert paths.runtime_dir(env) is None  # not a directory


def test_one_config_dir_for_config_data_and_cache_and_the_audit_override() -> None:
    env = {"HOME": "/h", "AWSROLES_CONFIG_DIR": "/cfg", "XDG_CACHE_HOME": "/k", "AWSROLES_AUDIT_LOG": "/a/log"}
    assert paths.config_dir(env) == "/cfg"
    assert paths.data_dir(env) == "/cfg/data"
    assert paths.cache_dir(env) == "/cfg/cache"
    assert paths.sessions_dir(env) == "/cfg/cache/sessions"
    assert paths.audit_log(env) == "/a/log"
    assert paths.state_dir(env) == "/h/.local/state/awsroles"  # state is not configuration


def test_the_library_modules_take_their_paths_from_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.costs.ce import CostCache
    from awsroles.creds import userconfig
    from awsroles.creds.fastcache import FastCache
    from awsroles.people import audit
    from awsroles.sandbox.state import state_dir

    (tmp_path / "run").mkdir()
    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "run"), "XDG_STATE_HOME": "/s"}
    assert userconfig.config_path(env) == Path(paths.user_config_file(env))
    assert FastCache.default(env).cache_dir == Path(paths.sessions_dir(env))
    assert FastCache.default(env).key_dir == Path(paths.runtime_dir(env) or "")
    assert audit.audit_path(env) == Path("/s/awsroles/audit.jsonl")
    assert state_dir(env) == Path("/s/awsroles/sandbox")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "k"))
    assert CostCache.default("1").root == tmp_path / "k" / "awsroles" / "costs"


# -- the one file-lock helper (awsroles.fsutil) ---------------------------------------------------


def test_lock_path_is_beside_the_real_file(tmp_path: Path) -> None:
    target = tmp_path / "real.ini"
    target.write_text("")
    (tmp_path / "link.ini").symlink_to(target)
    assert lock_path(tmp_path / "link.ini") == lock_path(target) == tmp_path / "real.ini.lock"


def test_a_private_lock_is_in_the_lock_directory_one_per_real_file(tmp_path: Path) -> None:
    target = tmp_path / "org" / "awsroles.ini"
    target.parent.mkdir()
    target.write_text("")
    (tmp_path / "link.ini").symlink_to(target)
    environ = {"AWSROLES_CONFIG_DIR": str(tmp_path / "cfg"), "XDG_RUNTIME_DIR": ""}
    lock = private_lock_path(tmp_path / "link.ini", environ)
    assert lock == private_lock_path(target, environ)  # every name of one file, one lock
    assert lock.parent == tmp_path / "cfg" / "cache" / "locks" and lock.name.startswith("awsroles.ini-")
    assert lock.parent.stat().st_mode & 0o777 == 0o700
    other = tmp_path / "elsewhere" / "awsroles.ini"
    assert private_lock_path(other, environ) != lock  # same name, another file: another lock


def test_a_private_lock_without_a_writable_home_is_in_a_temp_dir_of_ours(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "a-file"
    home.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    lock = private_lock_path(tmp_path / "org.ini", {"HOME": str(home)})
    assert lock.parent == tmp_path / "tmp" / f"awsroles-locks-{os.getuid()}"
    assert lock.parent.stat().st_mode & 0o777 == 0o700


def test_private_dir_makes_every_missing_parent_0700_and_tightens_the_app_dir(tmp_path: Path) -> None:
    """~/.cache/awsroles/sessions: awsroles and sessions both 0700, also where an older version
    left ~/.cache/awsroles 0755; folders that were there already keep their mode."""
    (tmp_path / "home").mkdir(mode=0o755)
    (tmp_path / "home").chmod(0o755)
    made = private_dir(tmp_path / "home" / ".cache" / "awsroles" / "sessions")
    for folder in (made, made.parent, made.parent.parent):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert (tmp_path / "home").stat().st_mode & 0o777 == 0o755
    made.parent.chmod(0o755)
    private_dir(made.parent / "costs")
    assert made.parent.stat().st_mode & 0o777 == 0o700


def test_private_dir_is_0700(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    assert private_dir(str(folder)) == folder
    assert folder.stat().st_mode & 0o777 == 0o700
    folder.chmod(0o755)
    private_dir(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
