"""The `awsroles` command (a subprocess) where it may not write: one line naming the path and the
reason, the documented exit code, no traceback (issue 10, deliverable 5).

Tests run as root, which permission bits do not stop; a path below a regular file fails for
everyone (ENOTDIR), so a home that is a regular file stands for a read-only home.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.forkserver import command

pytestmark = pytest.mark.e2e
CLASSIC = str(EXAMPLES / "classic.ini")


def awsroles(*argv: str, env: dict[str, str] | None = None, stdin: str | None = None,
             cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *argv], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=env if env is not None else os.environ.copy(), input=stdin)


def only_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        result.stderr
    return lines[0]


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("")
    return path


def test_export_below_a_file(blocker: Path) -> None:
    result = awsroles("-f", CLASSIC, "export", "terraform", str(blocker / "tf"))
    assert result.returncode == 1
    assert only_line(result) == f"awsroles: error: cannot write {blocker / 'tf'}: Not a directory ({blocker} is a file)"


def test_export_into_a_foreign_directory_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    foreign = tmp_path / "etc"
    foreign.mkdir()
    (foreign / "hosts").write_text("127.0.0.1 localhost\n")
    result = awsroles("-f", CLASSIC, "export", "terraform", str(foreign))
    assert result.returncode == 2
    assert "is not empty and holds no earlier awsroles export" in only_line(result)
    assert sorted(p.name for p in foreign.iterdir()) == ["hosts"]


def test_costs_xlsx_below_a_file(blocker: Path) -> None:
    # Refused before Cost Explorer is asked (AWS_ENDPOINT_URL points nowhere in tests: asking would exit 7).
    result = awsroles("-f", CLASSIC, "costs", "--xlsx", str(blocker / "c.xlsx"))
    assert result.returncode == 1
    assert only_line(result) == (f"awsroles: error: cannot write {blocker / 'c.xlsx'}: Not a directory "
                                 f"({blocker} is a file)")


def test_grant_with_an_unwritable_home(blocker: Path, tmp_path: Path) -> None:
    org = tmp_path / "org.ini"
    org.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWSROLES_", "XDG_")) or k == "AWSROLES_SHM_DIR"}
    env["HOME"] = str(blocker)
    result = awsroles("-f", str(org), "grant", "backend", "stage", "readonly", "--no-plan", env=env)
    assert result.returncode == 1
    log = blocker / ".local" / "state" / "awsroles" / "audit.jsonl"
    assert only_line(result) == (f"awsroles: error: cannot write {log}: Not a directory ({blocker} is a file); "
                                 "set $AWSROLES_AUDIT_LOG to keep the audit log elsewhere")


def test_setup_with_an_unwritable_home(sandbox: SandboxHandle, blocker: Path) -> None:
    """`setup` checks the key against AWS (the sandbox admin is an IAM user in ops), then cannot
    store it: one line, exit 1, and the sandbox is not changed."""
    env = {k: v for k, v in sandbox.env.items() if not k.startswith("XDG_")}
    env.update(HOME=str(blocker), AWSROLES_FILE=str(sandbox.org_path))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    creds = sandbox.credentials
    result = awsroles("setup", "--access-key-id", creds.access_key_id, "--secret-stdin", "--store", "plaintext",
                      env=env, stdin=creds.secret_access_key + "\n")
    assert result.returncode == 1, result.stderr
    warning, error = result.stderr.splitlines()[0], result.stderr.splitlines()[-1]
    assert "PLAINTEXT" in warning and "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert error.startswith(f"awsroles: error: cannot write {blocker}/") and \
        error.endswith(f": Not a directory ({blocker} is a file)"), result.stderr
