"""Every command that writes a file reports an unwritable path as one line with the path and the
reason, exit code 1 (issue 10: these ended in "internal error: NotADirectoryError ...").

How a path is made unwritable: the tests run as root in CI, and root ignores permission bits, so
``chmod 0500`` does not make a directory unwritable there (nor is ``chattr +i`` or a read-only
mount available in a container's tmp). What really fails, for root too, is a path *below a
regular file*: the kernel answers ENOTDIR ("Not a directory") whoever asks. A home that is a
regular file is the "read-only home" of these tests. (A ``chmod 0500`` variant would only run
for a normal user, and CI skips nothing: the reason text is the OS's own either way.)
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode, FileWriteError
from awsroles.fsutil import atomic_write, check_writable, private_dir
from awsroles.people import audit
from tests.conftest import EXAMPLES, REPO
from tests.unit.test_costs_cur import CUR2_COLUMNS, cur_row, write

CLASSIC = str(EXAMPLES / "classic.ini")


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def _a_file(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    return blocker


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(a folder no file can be created in, the reason the OS gives), for root too (see above)."""
    blocker = _a_file(tmp_path)
    yield blocker / "sub", f"Not a directory ({blocker} is a file)"


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "internal error" not in err and "Traceback" not in err
    return lines[0]


# -- the helpers --------------------------------------------------------------------------------


def test_atomic_write_names_the_path_and_the_reason(unwritable: tuple[Path, str]) -> None:
    folder, reason = unwritable
    with pytest.raises(FileWriteError) as caught:
        atomic_write(folder / "x.txt", "x")
    assert str(caught.value) == f"cannot write {folder / 'x.txt'}: {reason}"
    assert isinstance(caught.value, OSError) and caught.value.filename == str(folder / "x.txt")
    assert caught.value.exit_code == ExitCode.FAILURE


def test_check_writable_touches_nothing(tmp_path: Path) -> None:
    check_writable(tmp_path / "new.xlsx")
    check_writable(tmp_path / "a" / "b" / "new.ini", parents=True)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileWriteError, match="it is a directory"):
        check_writable(tmp_path)


# -- export ---------------------------------------------------------------------------------------


def test_export_into_an_unwritable_place(unwritable: tuple[Path, str]) -> None:
    folder, reason = unwritable
    for kind in ("policies", "terraform"):
        code, _, err = invoke("-f", CLASSIC, "export", kind, str(folder / "out"))
        assert code == ExitCode.FAILURE
        assert one_error_line(err) == f"awsroles: error: cannot write {folder / 'out'}: {reason}"


# -- costs --xlsx / --chart -----------------------------------------------------------------------


@pytest.fixture
def cur_export(tmp_path: Path) -> tuple[Path, str]:
    today = date.today()
    last = f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}"
    return write(tmp_path / "cur", CUR2_COLUMNS, [cur_row("Usage", 10.0, month=last)]), last


@pytest.mark.parametrize("option,name", [("--xlsx", "costs.xlsx"), ("--chart", "costs.png"), ("--chart", "c.svg")])
def test_costs_output_file_in_an_unwritable_place(cur_export: tuple[Path, str], unwritable: tuple[Path, str],
                                                  option: str, name: str) -> None:
    folder, reason = unwritable
    cur, month = cur_export
    code, out, err = invoke("-f", CLASSIC, "costs", "--source", "cur", "--path", str(cur), "--month", month,
                            option, str(folder / name))
    assert code == ExitCode.FAILURE
    assert one_error_line(err) == f"awsroles: error: cannot write {folder / name}: {reason}"
    assert out == ""  # checked before the report is made: with Cost Explorer, before paying for it


def test_costs_files_are_whole_or_absent(cur_export: tuple[Path, str], tmp_path: Path) -> None:
    cur, month = cur_export
    sheet, chart = tmp_path / "c.xlsx", tmp_path / "c.png"
    code, _, err = invoke("-f", CLASSIC, "costs", "--source", "cur", "--path", str(cur), "--month", month,
                          "--xlsx", str(sheet), "--chart", str(chart))
    assert code == ExitCode.OK, err
    assert sheet.read_bytes()[:2] == b"PK" and chart.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "c.xlsx", "cur"]  # no temp file left


# -- import --output-file ---------------------------------------------------------------------------


def test_import_output_file_in_an_unwritable_place(unwritable: tuple[Path, str]) -> None:
    folder, reason = unwritable
    target = folder / "deeper" / "awsroles.ini"
    code, _, err = invoke("import", "--account", "dev=222222222222", "-O", str(target))
    assert code == ExitCode.FAILURE  # not 7 (AWS unreachable in tests): refused before any AWS call
    assert one_error_line(err) == f"awsroles: error: cannot write {target}: {reason}"


# -- per-user state under a home that cannot be written ----------------------------------------------


@pytest.fixture
def file_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = _a_file(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_the_audit_log_under_an_unwritable_home(file_home: Path, tmp_path: Path) -> None:
    org = tmp_path / "org.ini"
    org.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    code, _, err = invoke("-f", str(org), "grant", "backend", "stage", "readonly", "--no-plan")
    log = file_home / ".local" / "state" / "awsroles" / "audit.jsonl"
    assert code == ExitCode.FAILURE
    assert one_error_line(err) == (f"awsroles: error: cannot write {log}: Not a directory ({file_home} is a file); "
                                   "set $AWSROLES_AUDIT_LOG to keep the audit log elsewhere")


def test_the_audit_log_itself_cannot_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "audit.jsonl").mkdir()
    with pytest.raises(FileWriteError, match=r"audit.jsonl: Is a directory; set \$AWSROLES_AUDIT_LOG"):
        audit.record("grant", actor="local:me", path=tmp_path / "audit.jsonl")


def test_private_directories_under_an_unwritable_home(file_home: Path) -> None:
    from awsroles.paths import cache_dir, config_dir, data_dir

    for folder in (config_dir(), data_dir(), cache_dir()):
        with pytest.raises(FileWriteError) as caught:
            private_dir(folder)
        assert str(caught.value) == f"cannot write {folder}: Not a directory ({file_home} is a file)"


def test_the_user_config_under_an_unwritable_home(file_home: Path) -> None:
    from awsroles.creds import userconfig

    config = userconfig.UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/awsroles/alice",
                                   ops_account_id="111111111111", org_name="acme", region="us-east-1")
    with pytest.raises(FileWriteError, match=r"^cannot write .*/awsroles: Not a directory"):
        userconfig.save(config)


def test_export_stopped_part_way_says_how_far_it_got(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails after others succeeded (a full disk, simulated: root cannot be refused a
    write any other way here) names the file, the reason, what was done and how to finish."""
    import errno

    from awsroles.export import tree

    real_write, calls = tree._Tree.write, []

    def full_disk(self: tree._Tree, relative: str, data: bytes, mode: int = 0o644) -> None:
        if relative != tree.MANIFEST:
            calls.append(relative)
        if len(calls) == 2 and relative == calls[-1]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(self, relative, data, mode)

    monkeypatch.setattr(tree._Tree, "write", full_disk)
    out = tmp_path / "out"
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(out))
    assert code == ExitCode.FAILURE
    assert one_error_line(err) == (f"awsroles: error: cannot write {out / calls[1]}: No space left on device; "
                                   "1 of 13 changes made; export again once fixed")
    monkeypatch.undo()
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(out))  # the re-run converges, with no --force
    assert code == ExitCode.OK, err


def test_export_of_a_name_the_file_system_refuses(tmp_path: Path) -> None:
    from awsroles.export.tree import write_tree

    long_name = "x" * 300 + ".json"
    with pytest.raises(FileWriteError, match=r"/x+\.json: File name too long; nothing was written$"):
        write_tree(tmp_path / "out", {"a.json": "{}\n", long_name: "{}\n"})
    assert list((tmp_path / "out").iterdir()) == []
