"""The costs command under a home that cannot be written (moto in-process for Cost Explorer).

The cost cache is an optimisation: when it cannot be written the report, already paid for, is
still shown, with one warning naming the path and the reason. The home here is a regular file,
which fails for root too (see tests/unit/test_unwritable.py).
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from tests.aws.test_costs_ce import PAGES, own_total, queue
from tests.conftest import EXAMPLES


def test_costs_under_an_unwritable_home_still_reports(moto_aws: None, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    month = f"{date.today().year - (date.today().month == 1)}-{(date.today().month - 2) % 12 + 1:02d}"
    pages = (*PAGES, own_total("310.3800000001"))  # then Cost Explorer's own total, checked against the groups
    queue(*[json.loads(json.dumps(p).replace("2026-10", month)) for p in pages], account="111111111111")
    out, err = io.StringIO(), io.StringIO()
    code = run(["-f", str(EXAMPLES / "classic.ini"), "costs", "-o", "json"], App(stdout=out, stderr=err))
    assert code == ExitCode.OK, err.getvalue()  # before: "internal error: NotADirectoryError"
    assert json.loads(out.getvalue())["requests"] == 4
    cache = home / ".cache" / "awsroles" / "costs"
    warnings = [line for line in err.getvalue().splitlines() if "warning" in line]
    assert warnings == [f"awsroles: warning: cannot write {cache}: Not a directory ({home} is a file); closed "
                        "months are not cached, so the next run pays again"]
