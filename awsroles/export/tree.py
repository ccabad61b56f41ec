"""Writing an export tree: a folder of generated files, touching nothing but what awsroles wrote.

:func:`write_tree` keeps a manifest of what it wrote (with checksums), follows no symbolic link
below the folder, refuses to overwrite files it did not write (unless ``force``) and removes
only files it wrote that are still unchanged. Every failure to write is a
:class:`~awsroles.errors.FileWriteError`; every refusal a :class:`~awsroles.errors.UsageError`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from awsroles.errors import FileWriteError, UsageError, describe_os_error
from awsroles.fsutil import ensure_dir

MANIFEST = ".awsroles-export"
_CHECKSUMMED = re.compile(r"([0-9a-f]{64})  (.+)")
# Every directory below an export's root is opened with O_NOFOLLOW: a symbolic link is never followed.
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_LINK_ERRNOS = (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)  # O_NOFOLLOW on a link: ELOOP (EMLINK on BSD)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unsafe_reason(relative: str) -> str:
    """Why ``relative`` is not a plain relative path that stays inside its directory ("" if it is)."""
    if not relative:
        return "empty path"
    if "\0" in relative:
        return "holds a NUL byte"
    if relative.startswith("/"):
        return "absolute path"
    parts = relative.split("/")
    if ".." in parts:
        return "path leaves the directory (..)"
    if any(part in ("", ".") for part in parts):
        return "not a plain relative path"
    if relative == MANIFEST:
        return "the manifest itself"
    return ""


@dataclass(frozen=True)
class TreeResult:
    """What :func:`write_tree` did.

    ``changed``: relative paths written or removed. ``kept``: (path, why) for each file listed in
    the previous manifest that was not removed (changed by someone since, a symbolic link, a path
    outside the directory...), to show as a warning.
    """

    changed: list[str]
    kept: list[tuple[str, str]]


class _Blocked(Exception):
    """Something in the way that awsroles will not write through, even with ``force``."""

    def __init__(self, relative: str, why: str):
        super().__init__(f"{relative} {why}")
        self.relative, self.why = relative, why


class _Tree:
    """An export directory, opened once. Every path below it is reached through directory
    descriptors opened with O_NOFOLLOW, so no symbolic link is followed, whatever changes meanwhile.
    """

    def __init__(self, fd: int):
        self._fds: dict[tuple[str, ...], int] = {(): fd}

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def entries(self) -> list[str]:
        return os.listdir(self._fds[()])

    @staticmethod
    def _kind(parent: int, name: str) -> str:
        try:
            mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
        except OSError:
            return "changed while awsroles was reading it"
        if stat.S_ISLNK(mode):
            return "is a symbolic link"
        if stat.S_ISDIR(mode):
            return "is a directory"
        return "is a file, not a directory" if stat.S_ISREG(mode) else "is not a regular file"

    def parent(self, relative: str, *, create: bool) -> tuple[int, str] | None:
        """(descriptor of the directory that holds ``relative``, its last name).

        None when a directory on the way does not exist (and not ``create``). _Blocked when one
        is a symbolic link or not a directory.
        """
        parts = relative.split("/")
        dirs = tuple(parts[:-1])
        for depth in range(1, len(dirs) + 1):
            key = dirs[:depth]
            if key in self._fds:
                continue
            above, name = self._fds[key[:-1]], key[-1]
            try:
                try:
                    fd = os.open(name, _DIR_FLAGS, dir_fd=above)
                except FileNotFoundError:
                    if not create:
                        return None
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, dir_fd=above)
                    fd = os.open(name, _DIR_FLAGS, dir_fd=above)
            except OSError as exc:
                if exc.errno in _LINK_ERRNOS:
                    raise _Blocked("/".join(key), self._kind(above, name)) from None
                raise
            self._fds[key] = fd
        return self._fds[dirs], parts[-1]

    def read(self, relative: str) -> bytes | None:
        """The content of the regular file ``relative``; None if absent; _Blocked if not a file."""
        where = self.parent(relative, create=False)
        if where is None:
            return None
        parent, name = where
        try:
            mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(mode):
            raise _Blocked(relative, self._kind(parent, name))
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=parent)
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS:
                raise _Blocked(relative, self._kind(parent, name)) from None
            raise
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise _Blocked(relative, "is not a regular file")
            return handle.read()

    def write(self, relative: str, data: bytes, mode: int = 0o644) -> None:
        """Write ``relative`` atomically (temp file, fsync, rename), creating its directories."""
        where = self.parent(relative, create=True)
        assert where is not None
        parent, name = where
        while True:
            tmp = f".{name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                             dir_fd=parent)
                break
            except FileExistsError:
                continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                os.fchmod(handle.fileno(), mode)
            os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=parent)
            raise

    def remove(self, relative: str) -> None:
        """Remove the file ``relative`` (never a link's target), then its parents left empty."""
        where = self.parent(relative, create=False)
        if where is None:
            return
        parent, name = where
        os.unlink(name, dir_fd=parent)
        dirs = tuple(relative.split("/")[:-1])
        while dirs:
            try:
                os.rmdir(dirs[-1], dir_fd=self._fds[dirs[:-1]])  # only succeeds when empty
            except OSError:
                return
            os.close(self._fds.pop(dirs))
            dirs = dirs[:-1]


def _read_manifest(text: str) -> tuple[dict[str, str | None], list[tuple[str, str]]]:
    """Entries of a manifest (path -> sha256, or None for a line with no checksum), and the lines
    ignored, with why. Only plain relative paths inside the directory are honoured."""
    entries: dict[str, str | None] = {}
    ignored: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        match = _CHECKSUMMED.fullmatch(line)
        relative, checksum = (match.group(2), match.group(1)) if match else (line, None)
        why = unsafe_reason(relative)
        if why:
            ignored.append((relative, f"not removed: {why} in {MANIFEST}"))
        else:
            entries[relative] = checksum
    return entries, ignored


def _refuse(root: Path, paths: Iterable[str], what: str, advice: str) -> UsageError:
    listed = sorted(paths)
    more = f" and {len(listed) - 1} more" if len(listed) > 1 else ""
    return UsageError(f"{root / listed[0]}{more} {what}; nothing was written ({advice})")


def write_tree(root: Path, files: Mapping[str, str], *, force: bool = False) -> TreeResult:
    """Write ``files`` (relative path -> text) under ``root``, and nothing outside it.

    A manifest (``root/.awsroles-export``, in ``sha256sum`` format) records each file written and
    its checksum. A file is awsroles' only while its content still has the checksum recorded when
    awsroles wrote it; files listed there that this export no longer produces are then removed
    (with directories left empty). Everything is checked before anything is written:

    - no symbolic link below ``root`` is followed, and none is written through, even with
      ``force`` (``root`` itself may be a link: the caller named it);
    - a file awsroles did not write (or that was changed since) is not overwritten unless ``force``;
    - a non-empty ``root`` with no manifest (not an earlier export) is refused unless ``force``;
    - a manifest line that is not a plain relative path inside ``root`` is ignored, and a listed
      file that is not a regular file with its recorded checksum is kept (``TreeResult.kept``).

    Refusals are UsageError, with nothing written; write failures are FileWriteError.
    """
    for relative in files:
        why = unsafe_reason(relative)
        if why:
            raise ValueError(f"refusing to write {relative!r} under {root}: {why}")
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        ensure_dir(root)
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.lexists(root) and not os.path.isdir(root):
            raise UsageError(f"{root} exists and is not a directory") from None
        raise FileWriteError.from_os_error(root, exc) from exc
    tree = _Tree(fd)
    try:
        payloads = {relative: text.encode("utf-8") for relative, text in files.items()}
        plan = _plan(root, tree, payloads, force)
        changed: list[str] = []
        recorded = dict(plan.previous)  # what the manifest says, kept true as the export goes
        relative = MANIFEST
        try:
            if not plan.had_manifest:  # first mark the directory as an export, should the run stop part-way
                tree.write(MANIFEST, b"")
            for relative in plan.write:
                tree.write(relative, payloads[relative])
                recorded[relative] = sha256(payloads[relative])
                changed.append(relative)
            for relative in plan.remove:
                tree.remove(relative)
                del recorded[relative]
                changed.append(relative)
            relative = MANIFEST
            tree.write(MANIFEST, _manifest({name: sha256(data) for name, data in payloads.items()}))
        except (_Blocked, OSError) as exc:
            # Stopped part-way: record what was written, so that the next export recognises it.
            with contextlib.suppress(_Blocked, OSError):
                tree.write(MANIFEST, _manifest(recorded))
            total = len(plan.write) + len(plan.remove)
            if isinstance(exc, _Blocked):  # something changed under us since the checks
                raise UsageError(f"{root / exc.relative} {exc.why}; stopped after {len(changed)} of {total} "
                                 "changes") from None
            done = f"{len(changed)} of {total} changes made; export again once fixed"
            raise FileWriteError.from_os_error(root / relative, exc, done) from exc
        return TreeResult(changed, plan.kept)
    finally:
        tree.close()


def _entries(root: Path, tree: _Tree) -> list[str]:
    try:
        return tree.entries()
    except OSError as exc:
        raise FileWriteError.from_os_error(root, exc, "nothing was written") from exc


def _manifest(entries: Mapping[str, str | None]) -> bytes:
    return "".join(f"{entries[name]}  {name}\n" if entries[name] else f"{name}\n"
                   for name in sorted(entries)).encode("utf-8")


@dataclass(frozen=True)
class _Plan:
    write: list[str]
    remove: list[str]
    kept: list[tuple[str, str]]
    previous: dict[str, str | None]
    had_manifest: bool


def _plan(root: Path, tree: _Tree, payloads: Mapping[str, bytes], force: bool) -> _Plan:
    """What to write and remove in an existing ``root``; UsageError when it must be refused."""
    kept: list[tuple[str, str]] = []
    blocked: dict[str, str] = {}
    try:
        manifest_bytes = tree.read(MANIFEST)
    except _Blocked as exc:
        kept.append((MANIFEST, f"ignored: {exc.why}"))
        manifest_bytes = None
    except OSError as exc:
        raise FileWriteError.from_os_error(root / MANIFEST, exc, "nothing was written") from exc
    previous, ignored = _read_manifest(manifest_bytes.decode("utf-8", "replace") if manifest_bytes else "")
    kept.extend(ignored)

    write: list[str] = []
    foreign: list[str] = []
    for relative in sorted(payloads):
        try:
            current = tree.read(relative)
        except _Blocked as exc:
            blocked[exc.relative] = exc.why
            continue
        except OSError as exc:
            raise FileWriteError.from_os_error(root / relative, exc, "nothing was written") from exc
        if current == payloads[relative]:
            continue
        write.append(relative)
        if current is not None and (previous.get(relative) is None or previous[relative] != sha256(current)):
            foreign.append(relative)

    remove: list[str] = []
    for relative in sorted(set(previous) - set(payloads)):
        try:
            current = tree.read(relative)
        except _Blocked as exc:
            kept.append((relative, f"not removed: {exc.relative} {exc.why}"))
            continue
        except OSError as exc:
            kept.append((relative, f"not removed: {describe_os_error(exc)}"))
            continue
        if current is None:
            continue
        if previous[relative] is None:
            kept.append((relative, f"not removed: listed with no checksum in {MANIFEST} (an older awsroles); "
                                   "delete it yourself if it is not needed"))
        elif previous[relative] != sha256(current):
            kept.append((relative, "not removed: changed since awsroles wrote it"))
        else:
            remove.append(relative)

    if blocked:
        first = sorted(blocked)[0]
        more = f" (and {len(blocked) - 1} more in the way)" if len(blocked) > 1 else ""
        raise UsageError(f"{root / first} {blocked[first]}{more}: awsroles writes no file through a link or in "
                         "place of a directory; nothing was written (remove it, or export to another directory)")
    if foreign and not force:
        never = [name for name in foreign if name not in previous]
        if never:
            raise _refuse(root, never, "exist and were not written by awsroles", "use --force to overwrite")
        raise _refuse(root, foreign, "changed since awsroles wrote them", "use --force to overwrite")
    if manifest_bytes is None and not force and _entries(root, tree):
        raise UsageError(f"{root} is not empty and holds no earlier awsroles export (no {MANIFEST}); nothing "
                         "was written (export to a new or empty directory, or use --force to write into it)")
    return _Plan(write, remove, kept, previous, manifest_bytes is not None)
