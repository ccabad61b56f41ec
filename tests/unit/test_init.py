"""``awsroles init``: a starter that validates from wherever it is written, and never overwrites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awsroles.errors import ExitCode
from awsroles.iam.checks import check_org
from tests.unit.test_cli import invoke


def test_init_writes_a_starter_that_validates_where_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke("init")
    assert code == 0, err
    assert out.splitlines()[0] == "Wrote awsroles.ini, policies/deny-iam-writes.json."
    text = (tmp_path / "awsroles.ini").read_text()
    assert text.startswith("; Your org, as code: a starter written by `awsroles init`")
    assert "policy_dir = policies" in text and "../policies" not in text
    org, problems = check_org(tmp_path / "awsroles.ini")
    assert org is not None and not [p for p in problems if p.is_error], problems
    assert invoke("validate")[0] == 0  # ./awsroles.ini, from this folder


def test_init_never_overwrites_and_writes_nothing_when_refusing(tmp_path: Path) -> None:
    target = tmp_path / "org" / "awsroles.ini"
    code, out, _ = invoke("-f", str(target), "-o", "json", "init")
    policy = tmp_path / "org" / "policies" / "deny-iam-writes.json"
    assert code == 0 and json.loads(out)["files"] == [str(target), str(policy)]
    (tmp_path / "org" / "awsroles.ini").write_text("; mine\n")
    (tmp_path / "org" / "policies" / "deny-iam-writes.json").unlink()
    code, out, err = invoke("-f", str(target), "init")
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (f"awsroles: error: init never overwrites: {target} already exists; move them away, or give "
                   "another path with --file\n")
    assert target.read_text() == "; mine\n" and not (tmp_path / "org" / "policies" / "deny-iam-writes.json").exists()
