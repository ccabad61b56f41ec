"""Filesystem helpers: atomic writes, private directories, and the one file-lock helper.

Every failure to write is a :class:`~awsroles.errors.FileWriteError`, reported by the CLI as one
line ``cannot write PATH: REASON`` with exit code 1. (Export trees, written with a manifest and
no link followed, are :mod:`awsroles.export.tree`.)
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from awsroles import paths
from awsroles.errors import AwsrolesError, FileWriteError

LOCK_SUFFIX = ".lock"


class LockBusy(AwsrolesError):
    """Another process held a lock for longer than we would wait (exit code 1)."""

    def __init__(self, lock_file: str | os.PathLike[str], waited: float):
        self.lock_file, self.waited = os.fspath(lock_file), waited
        super().__init__(f"another awsroles process holds {self.lock_file} (waited {waited:g}s); try again")


def private_lock_path(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Path:
    """The lock file that guards ``path`` when ``path`` lives in a folder people keep (an org file
    in a git checkout): in the per-user lock directory (:func:`awsroles.paths.lock_dir`, created
    0700), named after the file and a hash of its real path, so nothing appears beside the file
    and every name of one file shares one lock. When that directory cannot be made (a home that
    cannot be written), a 0700 directory of this user's in the temporary folder."""
    import hashlib

    real = os.path.realpath(path)
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:16]
    try:
        directory = private_dir(paths.lock_dir(environ))
    except FileWriteError:  # a home that cannot be written must not stop an edit of a file that can
        directory = _own_temp_dir(f"awsroles-locks-{os.getuid()}")
    return directory / f"{os.path.basename(real)}-{digest}{LOCK_SUFFIX}"


def _own_temp_dir(name: str) -> Path:
    """``TMPDIR/name``, 0700 and ours: refused when someone else made it first."""
    directory = Path(tempfile.gettempdir()) / name
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    info = os.lstat(directory)
    if info.st_uid != os.getuid() or not os.path.isdir(directory) or os.path.islink(directory):
        raise FileWriteError(directory, "not a directory of this user's; remove it", errno.EPERM)
    os.chmod(directory, 0o700)
    return directory


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file that guards ``path``: ``PATH.lock`` beside it, links resolved first (so every
    name of one file shares one lock)."""
    return Path(os.path.realpath(path) + LOCK_SUFFIX)


@contextlib.contextmanager
def file_lock(lock_file: str | os.PathLike[str], *, timeout: float,
              busy: Callable[[Path, float], BaseException] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (created 0600, never deleted) while the block runs.

    The lock is on a separate file (:func:`lock_path` names the one for a file), so the file it
    guards can be replaced atomically meanwhile. Waits at most ``timeout`` seconds, then raises
    ``busy(lock_file, timeout)`` (default :class:`LockBusy`). Not re-entrant: a process that takes
    the same lock twice waits for itself.

    On POSIX this is ``flock(2)`` on the lock file, as filelock does there (so the two exclude each
    other), without importing filelock, whose import (asyncio and all) costs more CPU than most
    commands spend locking; elsewhere, and on a file system without ``flock``, filelock.
    """
    path = Path(lock_file)
    fd = _posix_lock(path, timeout)
    if fd == _BUSY:
        raise (busy or LockBusy)(path, timeout)
    if fd == _NO_FLOCK:
        from filelock import FileLock, Timeout

        lock = FileLock(os.fspath(lock_file), timeout=timeout, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            raise (busy or LockBusy)(path, timeout) from None
        try:
            yield
        finally:
            lock.release()
        return
    try:
        yield
    finally:
        os.close(fd)  # closing the last descriptor of the open file releases its flock


_BUSY, _NO_FLOCK = -1, -2
_LOCK_POLL = 0.05  # seconds between two tries, as filelock polls


def _posix_lock(path: Path, timeout: float) -> int:
    """A descriptor of ``path`` (created 0600, its folder too if missing, never a symlink followed)
    holding an exclusive ``flock``; _BUSY after ``timeout`` seconds of trying; _NO_FLOCK where
    there is no ``flock`` (not POSIX, or a file system without it)."""
    try:
        import fcntl
    except ImportError:
        return _NO_FLOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with contextlib.suppress(PermissionError):  # someone else's lock file: use it as it is
            os.fchmod(fd, 0o600)  # the umask cannot make it more open; an older one may be
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    if exc.errno in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
                        os.close(fd)
                        return _NO_FLOCK
                    raise
            left = deadline - time.monotonic()
            if left <= 0:
                os.close(fd)
                return _BUSY
            time.sleep(min(_LOCK_POLL, left))
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` with mode 0700, and every missing parent with 0700 too; tighten ``path``,
    and the nearest ``awsroles`` folder above it (``~/.cache/awsroles``, made 0755 by older
    versions), when they exist, are ours and are more open.

    For directories that hold secrets or a person's settings (see :mod:`awsroles.paths`). Raises
    FileWriteError (``cannot write PATH: REASON``, exit code 1) when it cannot be created, e.g.
    under a read-only home.
    """
    path = Path(path)
    try:
        missing = []
        current = path
        while not os.path.lexists(current) and current != current.parent:
            missing.append(current)
            current = current.parent
        for directory in reversed(missing):
            with contextlib.suppress(FileExistsError):  # made meanwhile by another process
                directory.mkdir(mode=0o700)  # the umask can only take bits away
        if not path.is_dir():
            raise FileExistsError(errno.EEXIST, "not a directory", str(path))
        app_dir = next((p for p in path.parents if p.name == "awsroles"), None)  # the nearest one only
        for directory in (path, *([app_dir] if app_dir else [])):
            info = directory.stat()
            if info.st_mode & 0o077 and info.st_uid == os.getuid():
                directory.chmod(0o700)
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            raise FileWriteError(path, "it exists and is not a directory", exc.errno or 0) from exc
        raise FileWriteError.from_os_error(path, exc) from exc
    return path


def atomic_write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, fsync, then rename.

    ``path`` may be a symbolic link (a dotfile kept elsewhere): its target is replaced. Raises
    FileWriteError (an OSError) naming ``path`` and the reason when it cannot be written.
    """
    given = path
    path = Path(os.path.realpath(path))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FileWriteError.from_os_error(given, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FileWriteError.from_os_error(given, exc) from exc
        raise


def ensure_dir(path: Path, mode: int = 0o777, hint: str = "") -> Path:
    """Create ``path`` and its parents (``mode`` for the new ones); FileWriteError if impossible."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=mode)
    except FileExistsError as exc:  # exists, but is not a directory
        raise FileWriteError(path, "it exists and is not a directory", exc.errno or 0, hint) from exc
    except OSError as exc:
        raise FileWriteError.from_os_error(path, exc, hint) from exc
    return path


def check_writable(path: Path, *, parents: bool = False) -> None:
    """Fail now, with FileWriteError, if a file cannot be created at ``path``.

    For commands that do slow or paid work before they write: a temp file is made next to
    ``path`` (with ``parents``, in the nearest existing folder above it, as the folders between
    will be created) and removed again. ``path`` itself is not touched.
    """
    if path.is_dir():
        raise FileWriteError(path, "it is a directory", errno.EISDIR)
    folder = path.absolute().parent
    while parents and not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FileWriteError.from_os_error(path, exc) from exc
    os.close(fd)
    os.unlink(tmp)


def write_files(files: Mapping[Path, str | bytes], mode: int = 0o644) -> None:
    """Write every file of ``files`` (path -> content), or none of them.

    Each file is first written in full to a temporary file in its own folder (missing folders are
    created), and only when all of them are written are they renamed into place. When anything
    fails, the temporary files and the folders made for them are removed and every existing file
    is left as it was (a rename that fails after others succeeded puts the earlier ones back), and
    FileWriteError names the file that could not be written. Links are resolved first, as by
    :func:`atomic_write`.
    """
    staged: list[tuple[Path, Path, str]] = []  # (temporary, target, the name given)
    made: list[Path] = []  # folders created here, parents first
    done: list[tuple[Path, bytes | None, int]] = []  # renamed: (target, its old content, old mode)
    given: str | os.PathLike[str] = "."
    try:
        for given, data in files.items():
            target = Path(os.path.realpath(given))
            if target.is_dir():
                raise FileWriteError(given, "it is a directory", errno.EISDIR)
            made.extend(_make_folders(target.parent))
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            staged.append((Path(tmp), target, os.fspath(given)))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
        for temporary, target, name in staged:
            given = name
            old = (target.read_bytes(), target.stat().st_mode & 0o7777) if target.is_file() else (None, mode)
            os.replace(temporary, target)
            done.append((target, *old))
    except BaseException as exc:
        _undo(staged, done, made)
        if isinstance(exc, OSError):
            raise FileWriteError.from_os_error(given, exc) from exc
        raise


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, parents first."""
    missing: list[Path] = []
    current = folder
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    made: list[Path] = []
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            if not directory.is_dir():
                raise
            continue
        made.append(directory)
    return made


def _undo(staged: list[tuple[Path, Path, str]], done: list[tuple[Path, bytes | None, int]],
          made: list[Path]) -> None:
    """Put back what :func:`write_files` changed: renamed files (their old content, or removed),
    temporary files, created folders."""
    for target, old, mode in reversed(done):
        with contextlib.suppress(OSError):
            if old is None:
                os.unlink(target)
            else:
                atomic_write(target, old, mode)
    for tmp, _target, _name in staged:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    for directory in reversed(made):
        with contextlib.suppress(OSError):
            directory.rmdir()
