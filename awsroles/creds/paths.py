"""Where awsroles keeps per-user files. Every directory is created 0700."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = _environ(environ)
    if env.get("AWSROLES_CONFIG_DIR"):
        return Path(env["AWSROLES_CONFIG_DIR"])
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "awsroles"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = _environ(environ)
    if env.get("AWSROLES_CONFIG_DIR"):
        return Path(env["AWSROLES_CONFIG_DIR"]) / "data"
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local" / "share")
    return Path(base) / "awsroles"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = _environ(environ)
    if env.get("AWSROLES_CONFIG_DIR"):
        return Path(env["AWSROLES_CONFIG_DIR"]) / "cache"
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".cache")
    return Path(base) / "awsroles"


def runtime_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """A memory-backed per-user directory (XDG_RUNTIME_DIR, cleared at logout), if there is one."""
    env = _environ(environ)
    base = env.get("XDG_RUNTIME_DIR")
    if not base or not Path(base).is_dir():
        return None
    return Path(base) / "awsroles"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700; tighten it if it exists.

    Raises FileWriteError (``cannot write PATH: REASON``, exit code 1) when it cannot be created,
    e.g. under a read-only home.
    """
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError as exc:
        from awsroles.errors import FileWriteError  # here: the credential hot path never loads it

        if isinstance(exc, FileExistsError):
            raise FileWriteError(path, "it exists and is not a directory", exc.errno or 0) from exc
        raise FileWriteError.from_os_error(path, exc) from exc
    return path
