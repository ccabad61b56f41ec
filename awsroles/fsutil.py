"""Filesystem helpers: atomic writes, and exports that clean up after themselves."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from awsroles.errors import UsageError

MANIFEST = ".awsroles-export"


def atomic_write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, fsync, then rename."""
    path = Path(os.path.realpath(path))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_tree(root: Path, files: Mapping[str, str], *, force: bool = False) -> list[str]:
    """Write ``files`` (relative path -> text) under ``root``; return the paths that changed.

    A manifest of what was written is kept in ``root``; files listed there by an earlier export
    that this one no longer produces are removed (and directories left empty). A file awsroles
    did not write is never removed, and never overwritten unless ``force``: the export refuses
    before writing anything.
    """
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a directory")
    manifest = root / MANIFEST
    previous = set(manifest.read_text(encoding="utf-8").split("\n")) - {""} if manifest.is_file() else set()
    for relative in files:
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise ValueError(f"refusing to write outside {root}: {relative}")
    foreign = [
        name for name in sorted(files)
        if (root / name).exists() and name not in previous
        and not ((root / name).is_file() and (root / name).read_bytes() == files[name].encode("utf-8"))
    ]
    if foreign and not force:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise UsageError(f"{root / foreign[0]}{more} exist and were not written by awsroles; "
                         "nothing was written (use --force to overwrite)")
    root.mkdir(parents=True, exist_ok=True)
    changed = []
    for relative in sorted(files):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_file() and target.read_text(encoding="utf-8") == files[relative]:
            continue
        atomic_write(target, files[relative])
        changed.append(relative)
    for stale in sorted(previous - set(files)):
        target = root / stale
        if ".." in Path(stale).parts or not target.is_file():
            continue
        target.unlink()
        changed.append(stale)
        parent = target.parent
        while parent != root and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    atomic_write(manifest, "".join(f"{name}\n" for name in sorted(files)))
    return changed
