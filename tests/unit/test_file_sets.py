"""``fsutil.write_files``: a set of files is written whole or not at all. Failures are real where
root cannot dodge them (a path below a regular file: ENOTDIR) and injected where only permission
bits would cause them (a read-only folder; see tests/unit/test_unwritable.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from awsroles import fsutil
from awsroles.errors import FileWriteError
from awsroles.fsutil import write_files


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (temporaries too) with its content; folders as ``name/``."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root)) + ("/" if path.is_dir() else "")] = "" if path.is_dir() else path.read_text()
    return found


def test_every_file_is_written_with_its_folders(tmp_path: Path) -> None:
    write_files({tmp_path / "org.ini": "[org]\n", tmp_path / "policies" / "dev" / "a.json": "{}\n"})
    assert tree(tmp_path) == {"org.ini": "[org]\n", "policies/": "", "policies/dev/": "",
                              "policies/dev/a.json": "{}\n"}
    assert (tmp_path / "org.ini").stat().st_mode & 0o777 == 0o644


def test_one_file_that_cannot_be_written_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "org.ini").write_text("old\n")
    (tmp_path / "blocker").write_text("a file\n")
    before = tree(tmp_path)
    with pytest.raises(FileWriteError) as raised:
        write_files({tmp_path / "policies" / "a.json": "{}\n", tmp_path / "org.ini": "new\n",
                     tmp_path / "blocker" / "b.json": "{}\n"})
    assert str(raised.value) == (f"cannot write {tmp_path / 'blocker' / 'b.json'}: Not a directory "
                                 f"({tmp_path / 'blocker'} is a file)")
    assert tree(tmp_path) == before  # no temporaries, no policies/ folder, org.ini unchanged


def test_a_directory_in_the_way_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "org.ini").mkdir()
    with pytest.raises(FileWriteError, match=r"org\.ini: it is a directory"):
        write_files({tmp_path / "a.json": "{}\n", tmp_path / "org.ini": "[org]\n"})
    assert tree(tmp_path) == {"org.ini/": ""}


def test_a_read_only_folder_among_writable_ones_writes_nothing(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "kept.json").write_text("kept\n")
    real = tempfile.mkstemp

    def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        if Path(dir) == tmp_path:
            raise PermissionError(13, "Permission denied", str(tmp_path))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(fsutil.tempfile, "mkstemp", mkstemp)
    with pytest.raises(FileWriteError, match=r"cannot write .*org.ini: Permission denied"):
        write_files({tmp_path / "policies" / "kept.json": "changed\n", tmp_path / "policies" / "new.json": "{}\n",
                     tmp_path / "org.ini": "[org]\n"})
    assert tree(tmp_path) == {"policies/": "", "policies/kept.json": "kept\n"}


def test_a_rename_that_fails_puts_the_files_renamed_before_it_back(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.json").write_text("old a\n")
    os.chmod(tmp_path / "a.json", 0o600)
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name == "c.json":
            raise OSError(28, "No space left on device", str(dst))
        real(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", replace)
    with pytest.raises(FileWriteError, match=r"c.json: No space left on device"):
        write_files({tmp_path / "a.json": "new a\n", tmp_path / "b.json": "b\n", tmp_path / "c.json": "c\n"})
    monkeypatch.undo()
    assert tree(tmp_path) == {"a.json": "old a\n"}
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o600


def test_links_are_followed_to_the_file_they_name(tmp_path: Path) -> None:
    (tmp_path / "real.ini").write_text("old\n")
    (tmp_path / "link.ini").symlink_to(tmp_path / "real.ini")
    write_files({tmp_path / "link.ini": "new\n"})
    assert (tmp_path / "link.ini").is_symlink() and (tmp_path / "real.ini").read_text() == "new\n"


# -- import -O: refused before any AWS call (AWS is unreachable in tests: that would be exit 7) ----------


def invoke(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from awsroles.cli import run
    from awsroles.cli.app import App

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("place", ["a directory", "a read-only folder"])
def test_import_into_an_output_that_cannot_be_written_is_one_line_exit_1(
        place: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.errors import ExitCode

    if place == "a directory":
        target, reason = tmp_path / "out", "it is a directory"
        target.mkdir()
    else:
        target, reason = tmp_path / "ro" / "awsroles.ini", "Permission denied"
        target.parent.mkdir()
        real = tempfile.mkstemp

        def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
            if Path(dir) == target.parent:
                raise PermissionError(13, "Permission denied", str(dir))
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(fsutil.tempfile, "mkstemp", mkstemp)
    code, out, err = invoke("import", "--account", "dev=222222222222", "-O", str(target), "--force")
    assert (code, out, err) == (ExitCode.FAILURE, "", f"awsroles: error: cannot write {target}: {reason}\n")
