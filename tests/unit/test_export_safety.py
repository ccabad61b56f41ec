"""`export` writes only inside its directory and deletes only what it wrote (issue 10, deliverable 5).

Each test plants what an attacker or a careless manifest edit could: absolute and ``..`` paths in
``.awsroles-export``, symbolic links inside the target pointing out of it, a foreign non-empty
directory. Files outside the export live in ``outside/`` and must come through untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode, UsageError
from awsroles.export import tree
from awsroles.export.tree import MANIFEST, write_tree
from tests.conftest import EXAMPLES, REPO

CLASSIC = str(EXAMPLES / "classic.ini")


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below ``folder``: file contents, link targets, directories (links not followed)."""
    seen: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            seen[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            seen[name] = "/"
        else:
            seen[name] = path.read_text()
    return seen


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the export, with a file in a subfolder: neither may ever be touched."""
    folder = tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "victim.txt").write_text("precious\n")
    return folder


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """An export made by awsroles, with its manifest."""
    directory = tmp_path / "out"
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(directory))
    assert code == ExitCode.OK, err
    return directory


def add_to_manifest(directory: Path, *lines: str) -> None:
    with (directory / MANIFEST).open("a") as manifest:
        manifest.writelines(f"{line}\n" for line in lines)


# -- the manifest is validated: nothing is deleted that awsroles did not write there ---------------


def test_an_absolute_path_in_the_manifest_deletes_nothing(exported: Path, outside: Path) -> None:
    # Before: the victim was unlinked, then every emptied parent up to / (outside/sub, outside...).
    victim = outside / "sub" / "victim.txt"
    add_to_manifest(exported, str(victim))
    before = snapshot(outside)
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported))
    assert code == ExitCode.OK, err
    assert snapshot(outside) == before
    assert f"{victim}: not removed: absolute path in {MANIFEST}" in err


def test_a_dotdot_path_in_the_manifest_deletes_nothing(exported: Path, outside: Path) -> None:
    add_to_manifest(exported, "../outside/sub/victim.txt", "dev/../../outside/sub/victim.txt")
    before = snapshot(outside)
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported))
    assert code == ExitCode.OK, err
    assert snapshot(outside) == before
    assert err.count("not removed: path leaves the directory (..)") == 2


def test_a_manifest_path_through_a_linked_directory_deletes_nothing(exported: Path, outside: Path) -> None:
    # Before: `link/sub/victim.txt` passed the `..` check and `is_file()` followed the link.
    (exported / "link").symlink_to(outside)
    add_to_manifest(exported, "link/sub/victim.txt")
    before = snapshot(outside)
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported))
    assert code == ExitCode.OK, err
    assert snapshot(outside) == before
    assert (exported / "link").is_symlink()
    assert "link/sub/victim.txt: not removed: link is a symbolic link" in err


def test_a_listed_symbolic_link_is_not_removed(exported: Path, outside: Path) -> None:
    # Before: the link itself was unlinked: awsroles never wrote a link, so it is not awsroles' to delete.
    (exported / "mine.json").symlink_to(outside / "sub" / "victim.txt")
    add_to_manifest(exported, "mine.json")
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported))
    assert code == ExitCode.OK, err
    assert (exported / "mine.json").is_symlink()
    assert "mine.json: not removed: mine.json is a symbolic link" in err


def test_a_listed_file_changed_since_is_kept(tmp_path: Path) -> None:
    org = tmp_path / "org.ini"
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    org.write_text(text)
    out = tmp_path / "out"
    assert invoke("-f", str(org), "export", "policies", str(out))[0] == ExitCode.OK
    edited = out / "prod" / "roles" / "admin.trust.json"
    edited.write_text("my notes\n")
    org.write_text(text.replace("prod = admin\n", ""))  # prod's files are no longer produced
    code, out_json, err = invoke("-f", str(org), "-o", "json", "export", "policies", str(out))
    assert code == ExitCode.OK, err
    assert edited.read_text() == "my notes\n"
    kept = json.loads(out_json)["kept"]
    assert kept == [{"path": "prod/roles/admin.trust.json", "reason": "not removed: changed since awsroles wrote it"}]
    assert "prod/roles/admin.trust.json: not removed: changed since awsroles wrote it" in err


def test_a_file_changed_since_is_not_overwritten_without_force(exported: Path) -> None:
    edited = exported / "dev" / "roles" / "admin.trust.json"
    edited.write_text("my notes\n")
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported))
    assert code == ExitCode.USAGE
    assert "admin.trust.json changed since awsroles wrote them; nothing was written (use --force" in err
    assert edited.read_text() == "my notes\n"
    assert invoke("-f", CLASSIC, "export", "policies", str(exported), "--force")[0] == ExitCode.OK
    assert json.loads(edited.read_text())["Version"] == "2012-10-17"


def test_the_manifest_is_in_sha256sum_format(exported: Path) -> None:
    lines = (exported / MANIFEST).read_text().splitlines()
    assert lines and all(len(line.split("  ", 1)[0]) == 64 for line in lines)
    for line in lines:
        checksum, relative = line.split("  ", 1)
        assert hashlib.sha256((exported / relative).read_bytes()).hexdigest() == checksum


def test_an_older_manifest_without_checksums(tmp_path: Path, outside: Path) -> None:
    """Lines with no checksum prove nothing: identical files are fine, others need --force, and a
    stale one is kept (with a warning) rather than deleted on trust."""
    out = tmp_path / "out"
    write_tree(out, {"a.json": "A\n", "old.json": "old\n"})
    (out / MANIFEST).write_text("a.json\nold.json\n")
    result = write_tree(out, {"a.json": "A\n"})
    assert result.changed == [] and (out / "old.json").read_text() == "old\n"
    assert result.kept == [("old.json", f"not removed: listed with no checksum in {MANIFEST} (an older awsroles); "
                                        "delete it yourself if it is not needed")]
    (out / MANIFEST).write_text("a.json\n")
    with pytest.raises(UsageError, match="changed since awsroles wrote them"):
        write_tree(out, {"a.json": "B\n"})


def test_a_linked_manifest_is_not_read(tmp_path: Path, outside: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    fake = outside / "fake-manifest"
    fake.write_text(hashlib.sha256(b"precious\n").hexdigest() + "  victim.txt\n")
    (out / MANIFEST).symlink_to(fake)
    with pytest.raises(UsageError, match="is not empty and holds no earlier awsroles export"):
        write_tree(out, {"a.json": "A\n"})
    result = write_tree(out, {"a.json": "A\n"}, force=True)
    assert result.kept == [(MANIFEST, "ignored: is a symbolic link")]
    assert not (out / MANIFEST).is_symlink()  # the link was replaced, its target left alone
    assert fake.read_text().endswith("  victim.txt\n")


# -- writes stay inside the directory and never go through a link -----------------------------------


def test_a_linked_directory_inside_the_target_is_refused(exported: Path, outside: Path) -> None:
    # Before: dev/ -> outside/ and the export wrote outside/roles/*.json.
    for path in sorted((exported / "dev").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (exported / "dev").rmdir()
    (exported / "dev").symlink_to(outside, target_is_directory=True)
    before, inside = snapshot(outside), snapshot(exported)
    for force in ((), ("--force",)):
        code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported), *force)
        assert code == ExitCode.USAGE
        assert f"{exported / 'dev'} is a symbolic link" in err and "nothing was written" in err
        assert snapshot(outside) == before and snapshot(exported) == inside


def test_a_linked_file_is_not_written_through(exported: Path, outside: Path) -> None:
    # Before: index.json was listed in the manifest, so the export wrote through the link into victim.txt.
    (exported / "index.json").unlink()
    (exported / "index.json").symlink_to(outside / "sub" / "victim.txt")
    before = snapshot(outside)
    for force in ((), ("--force",)):
        code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported), *force)
        assert code == ExitCode.USAGE
        assert f"{exported / 'index.json'} is a symbolic link" in err
        assert snapshot(outside) == before


def test_a_link_that_appears_after_the_checks_is_not_followed(exported: Path, outside: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A race: a link appears where a new directory goes, between the checks and the writes.
    Directories are created and opened with O_NOFOLLOW, so the write stops instead of landing outside."""
    real_plan = tree._plan

    def plan_then_plant(*args: object, **kwargs: object) -> object:
        result = real_plan(*args, **kwargs)
        (exported / "newenv").symlink_to(outside, target_is_directory=True)
        return result

    monkeypatch.setattr(tree, "_plan", plan_then_plant)
    before = snapshot(outside)
    with pytest.raises(UsageError, match=r"newenv is a symbolic link; stopped after 0 of \d+ changes"):
        write_tree(exported, {"newenv/roles/admin.trust.json": "{}\n"})
    assert snapshot(outside) == before


def test_unsafe_names_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    for name in ("/etc/passwd", "../x.json", "a/../../x.json", "a//b.json", "./a.json", "", MANIFEST):
        with pytest.raises(ValueError, match="refusing to write"):
            write_tree(tmp_path / "out", {"ok.json": "{}\n", name: "{}\n"})
    assert not (tmp_path / "out").exists()


def test_the_directory_itself_may_be_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(tmp_path / "alias"))
    assert code == ExitCode.OK, err
    assert (real / "index.json").is_file() and (real / MANIFEST).is_file()


# -- a non-empty directory that is not an earlier export is refused unless --force -----------------


def test_a_foreign_non_empty_directory_is_refused(tmp_path: Path) -> None:
    # Before: `export terraform /etc` wrote into /etc; here etc/ holds one file of someone else's.
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("root:x:0:0\n")
    code, _, err = invoke("-f", CLASSIC, "export", "terraform", str(etc))
    assert code == ExitCode.USAGE
    assert err == (f"awsroles: error: {etc} is not empty and holds no earlier awsroles export (no {MANIFEST}); "
                   "nothing was written (export to a new or empty directory, or use --force to write into it)\n")
    assert snapshot(etc) == {"passwd": "root:x:0:0\n"}

    code, _, err = invoke("-f", CLASSIC, "export", "terraform", str(etc), "--force")
    assert code == ExitCode.OK, err
    assert (etc / "passwd").read_text() == "root:x:0:0\n" and (etc / MANIFEST).is_file()
    assert invoke("-f", CLASSIC, "export", "terraform", str(etc))[0] == ExitCode.OK  # now it is an export


def test_an_empty_or_new_directory_needs_no_force(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for directory in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        code, _, err = invoke("-f", CLASSIC, "export", "terraform", str(directory))
        assert code == ExitCode.OK, err
        assert (directory / MANIFEST).is_file()


def test_a_directory_where_a_file_goes_is_refused_even_with_force(exported: Path) -> None:
    (exported / "index.json").unlink()
    (exported / "index.json").mkdir()
    (exported / "index.json" / "keep").write_text("x\n")
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(exported), "--force")
    assert code == ExitCode.USAGE
    assert f"{exported / 'index.json'} is a directory" in err
    assert (exported / "index.json" / "keep").read_text() == "x\n"
