"""The request edits (awsroles.org.request_edit) refuse exactly, write nothing when they refuse,
and validate with the checks they are given (the mutation score of the module, docs/benchmarks.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from awsroles.errors import OrgFileError, Problem, UsageError
from awsroles.org.checks import Sections
from awsroles.org.model import Org
from awsroles.org.request_edit import add_request, approve, deny
from awsroles.org.requests import RequestRefused, approved_grant
from tests.unit.test_requests import ASKED, LATER, REQUEST, parse, with_approvers

ID = "r-20261130-0102-bob-prod"


def refuse(_org: Org, sections: Sections) -> list[Problem]:
    return [sections.error("org", "", "refused by a check")]


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "org.ini"
    path.write_text(with_approvers() + REQUEST)
    return path


def test_each_request_edit_validates_with_the_checks_it_is_given(org_file: Path) -> None:
    before = org_file.read_text()
    org, problems = parse(before)
    assert org is not None, problems
    line = before.splitlines().index("[org]") + 1
    request = replace(org.requests[0], id="r-20261130-0102-bob-dev", environment="dev")
    edits = [
        lambda: add_request(org_file, request, checks=(refuse,)),
        lambda: approve(org_file, ID, approved_grant(org, org.requests[0], "alice", LATER), LATER, checks=(refuse,)),
        lambda: deny(org_file, ID, "alice", LATER, "no", checks=(refuse,)),
    ]
    for edit in edits:
        with pytest.raises(OrgFileError) as caught:
            edit()
        assert str(caught.value) == f"{org_file}:{line}: refused by a check"
        assert org_file.read_text() == before


def test_a_request_id_already_there_is_refused(org_file: Path) -> None:
    before = org_file.read_text()
    org, _ = parse(before)
    assert org is not None
    with pytest.raises(UsageError) as caught:
        add_request(org_file, replace(org.requests[0], reason="asked twice"))
    assert str(caught.value) == f"request '{ID}' already exists in the org file"
    assert org_file.read_text() == before


def test_an_approval_for_another_role_than_the_request_is_refused(org_file: Path) -> None:
    before = org_file.read_text()
    org, _ = parse(before)
    assert org is not None
    grant = approved_grant(org, org.requests[0], "alice", LATER)
    for changed in (replace(grant, role="readonly"), replace(grant, environment="dev"), replace(grant, user="alice")):
        with pytest.raises(UsageError) as caught:
            approve(org_file, ID, changed, LATER)
        assert str(caught.value) == f"request '{ID}' changed since it was read: run the command again"
        assert org_file.read_text() == before


def test_a_decision_on_an_invalid_file_names_its_line(org_file: Path) -> None:
    org_file.write_text(org_file.read_text() + "bogus = 1\n")
    before = org_file.read_text()
    with pytest.raises(OrgFileError) as caught:
        deny(org_file, ID, "alice", LATER, "no")
    line = len(before.splitlines())
    assert str(caught.value).startswith(f"{org_file}:{line}: ") and "'bogus'" in str(caught.value)
    assert org_file.read_text() == before


def test_an_expired_request_cannot_be_approved_only_closed(org_file: Path) -> None:
    before = org_file.read_text()
    org, _ = parse(before)
    assert org is not None
    grant = approved_grant(org, org.requests[0], "alice", LATER)
    days_later = ASKED + timedelta(days=3)
    with pytest.raises(RequestRefused) as caught:
        approve(org_file, ID, grant, days_later)
    assert str(caught.value) == (f"request '{ID}' expired unanswered at 2026-12-01T01:02:00Z ([org] request_expiry "
                                 "24h); ask for a new one")
    assert org_file.read_text() == before
    deny(org_file, ID, "alice", days_later, "too late")
    assert org_file.read_text().endswith("status = denied\ndecided_by = alice\n"
                                         "decided_at = 2026-12-03T01:02:00Z\ndecision_reason = too late\n")
