"""Every broken org file in tests/data/broken is reported exactly as its ``.expected`` file says.

Each ``NAME.ini`` holds one or more deliberate mistakes; ``NAME.expected`` lists the exact lines
(``FILE:LINE: message``, FILE relative to the repository root) that validation reports, in order.
The broken files produce errors only, no warnings, so the expected lines are the complete output
of ``awsroles validate``. Other tests (the CLI ones) reuse :data:`BROKEN_FILES`,
:func:`expected_lines` and :func:`repo_relative`; run the validator with the repository root
as the working directory so the paths match.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from awsroles.iam.checks import check_org
from tests.conftest import DATA, REPO

BROKEN_DIR = DATA / "broken"
BROKEN_FILES = sorted(BROKEN_DIR.glob("*.ini"))


def expected_lines(org_file: Path) -> list[str]:
    """The exact lines validation reports for ``org_file`` (read from ``NAME.expected``)."""
    return org_file.with_suffix(".expected").read_text(encoding="utf-8").splitlines()


def repo_relative(path: Path) -> Path:
    """``path`` relative to the repository root, as the expected lines spell it."""
    return path.resolve().relative_to(REPO)


@pytest.fixture
def in_repo_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


@pytest.mark.parametrize("org_file", BROKEN_FILES, ids=lambda p: p.stem)
def test_broken_file_reports_exactly_the_expected_lines(org_file: Path, in_repo_root: Path) -> None:
    org, problems = check_org(repo_relative(org_file))
    assert org is None
    errors = [str(p) for p in problems if p.is_error]
    assert errors == expected_lines(org_file)
    assert [str(p) for p in problems if not p.is_error] == [], "broken files are meant to have errors only"


def test_every_broken_file_has_expected_lines() -> None:
    assert len(BROKEN_FILES) >= 20
    ini = {p.stem for p in BROKEN_FILES}
    expected = {p.stem for p in BROKEN_DIR.glob("*.expected")}
    assert ini == expected
    for org_file in BROKEN_FILES:
        lines = expected_lines(org_file)
        assert lines, f"{org_file.name}: no expected lines"
        shown = str(repo_relative(org_file))
        assert all(line.startswith(f"{shown}:") or line.startswith("tests/data/broken/policies/") for line in lines)


def test_one_run_reports_many_different_mistakes(in_repo_root: Path) -> None:
    """many-errors.ini: a dozen unrelated mistakes, every one reported in the same run."""
    org_file = BROKEN_DIR / "many-errors.ini"
    _, problems = check_org(repo_relative(org_file))
    messages = [p.message for p in problems]
    for fragment in (
        "invalid duration",
        "duplicate key",
        "is not 12 digits",
        "unknown key",
        "unknown section",
        "is outside",
        "not found",
        "undefined user",
        "undefined role",
        "undefined environment",
        "cannot parse",
        "not an e-mail address",
    ):
        assert any(fragment in m for m in messages), fragment
    assert len({p.line for p in problems}) == len(problems) == 12


def test_broken_policy_json_is_reported_at_its_own_line(in_repo_root: Path) -> None:
    _, problems = check_org(repo_relative(BROKEN_DIR / "policy-not-json.ini"))
    by_file = {p.file: p for p in problems}
    bad = by_file["tests/data/broken/policies/not-json.json"]
    assert bad.line == 6  # "Action" follows "Effect" without a comma
    assert "referenced from tests/data/broken/policy-not-json.ini:15" in bad.message


def test_absolute_paths_report_the_same_mistakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # somewhere else entirely
    org_file = BROKEN_DIR / "undefined-names.ini"
    _, problems = check_org(org_file)
    assert [f"{p.line}: {p.message}" for p in problems] == [
        line.split(":", 1)[1].strip() for line in expected_lines(org_file)
    ]
    assert {p.file for p in problems} == {str(org_file)}
