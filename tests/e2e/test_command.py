"""The `awsroles` command as a user runs it: a subprocess, real exit codes, real streams."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO
from tests.e2e.inprocess import invoke
from tests.forkserver import command

pytestmark = pytest.mark.e2e
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ini"))


def awsroles(*argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *argv], cwd=cwd, capture_output=True, text=True, timeout=60, env=os.environ)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_every_example_validates_strictly(path: Path) -> None:
    result = awsroles("--file", str(path.relative_to(REPO)), "validate", "--strict")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "valid:" in result.stdout


def test_python_dash_m_works() -> None:
    result = subprocess.run([sys.executable, "-m", "awsroles", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("awsroles ")


def test_broken_file_exits_2_with_file_line_messages_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "org.ini"
    bad.write_text("[org]\nname = acme\nops_account = ops\n\n[account ops]\nid = 1234\n[team x]\nmembers = zed\n")
    result = awsroles("-f", str(bad), "validate")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert f"{bad}:6: account id '1234' is not 12 digits" in lines
    assert f"{bad}:8: undefined user 'zed' in team 'x'; add a [user zed] section" in lines
    assert "Traceback" not in result.stderr


def test_output_to_a_closed_pipe_is_quiet() -> None:
    exe = shutil.which("awsroles", path=os.path.dirname(sys.executable)) or "awsroles"
    script = f"'{exe}' -f examples/large.ini access -o csv | head -1"
    result = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("user,team,environment,role")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_validate_does_not_import_boto3() -> None:
    code = (
        "import sys; from awsroles.cli import run; "
        f"rc = run(['-f', {str(EXAMPLES / 'classic.ini')!r}, '-o', 'json', 'validate']); "
        "sys.stderr.write(str('boto3' in sys.modules or 'botocore' in sys.modules)); sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr == "False"


def test_validate_each_broken_file_exits_2_with_exactly_the_expected_lines() -> None:
    from tests.unit.test_broken_files import BROKEN_FILES, expected_lines, repo_relative

    assert BROKEN_FILES
    for index, org_file in enumerate(BROKEN_FILES):
        shown = str(repo_relative(org_file))
        # the first as a process (exit status, streams); the others in this process, the same lines
        result = awsroles("validate", "--file", shown) if index == 0 else invoke(
            ["validate", "--file", shown], os.environ, cwd=REPO)
        assert result.returncode == 2, shown
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        count = len(expected_lines(org_file))
        assert lines == [*expected_lines(org_file), f"{shown}: {count} problem{'s' if count > 1 else ''}"]


def test_export_twice_is_byte_identical(tmp_path: Path) -> None:
    for example in EXAMPLE_FILES:
        for kind in ("policies", "terraform"):
            first, second = tmp_path / f"{example.stem}-{kind}-1", tmp_path / f"{example.stem}-{kind}-2"
            for target in (first, second):
                result = awsroles("-f", str(example), "export", kind, str(target))
                assert result.returncode == 0, result.stderr
            a = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
            b = {p.relative_to(second): p.read_bytes() for p in second.rglob("*") if p.is_file()}
            # IAM's many documents; Identity Center's: the index, and a permission set's inline policy
            assert a == b and len(a) > (5 if "identity = identity-center" not in example.read_text() else 2)
