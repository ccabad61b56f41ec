"""``sandbox start --console-org``: refused with --bare before any server starts; the seed refuses it too."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.org.parse import load_org
from awsroles.sandbox.client import SandboxError
from awsroles.sandbox.seed import seed
from tests.conftest import EXAMPLES


def test_bare_and_console_org_are_refused_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["-f", str(EXAMPLES / "classic.ini"), "sandbox", "start", "--bare", "--console-org"],
                   App(stdout=out, stderr=err))
    assert code == ExitCode.USAGE
    assert err.getvalue().startswith("awsroles: error: --bare and --console-org: a bare sandbox has no environment "
                                     "accounts")
    assert "Traceback" not in err.getvalue()


def test_the_seed_refuses_a_console_org_in_a_bare_sandbox(tmp_path: Path) -> None:
    org = load_org(EXAMPLES / "classic.ini")
    with pytest.raises(SandboxError, match="a bare sandbox has no environment accounts"):
        seed("http://127.0.0.1:9", org, bare=True, console=True)
