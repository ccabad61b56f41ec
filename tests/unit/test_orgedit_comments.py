"""Every edit the CLI makes keeps the comment at the end of the line it edits (docs/org-file.md:
"edits keep its comments"), with ``;`` and ``#``, on one-line and one-per-line lists, and leaves
every other commented line as it was."""

from __future__ import annotations

import contextlib
import difflib
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode, UsageError
from awsroles.org import edit as orgedit
from awsroles.org.entries import TemporaryGrant
from awsroles.org.parse import load_org
from tests.conftest import REPO

ORG = f"""\
[org]
name = acme
ops_account = ops              ; where people log in
policy_dir = {REPO / "policies"}

[account ops]
id = 111111111111

[account dev]    ; the sandbox
email = dev@acme.example       # no id yet: apply records it
environment = dev              # builds
description = dev account      ; for builds

[account stage]
id = 333333333333
environment = stage

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[role developer]
managed = arn:aws:iam::aws:policy/PowerUserAccess

[role readonly]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess

[team backend]
members = bob  ; backend leads
dev = developer   # builds here
stage = readonly ; look only

[team platform]
members =            ; nobody yet
dev = admin # all of dev

[team data]
members =
    alice   ; the first
    bob     # the second

[user alice]
email = alice@acme.example

[user bob]
email = bob@acme.example
"""


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text(ORG)
    load_org(path)  # the starting point is valid
    return path


def diff(path: Path, edit: Callable[[], object]) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of one edit."""
    before = path.read_text()
    edit()
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), path.read_text().splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_team_members_keep_the_comment_on_their_line(org_file: Path) -> None:
    assert diff(org_file, lambda: orgedit.add_member(org_file, "backend", "alice")) == (
        ["members = bob  ; backend leads"], ["members = bob, alice  ; backend leads"])
    assert diff(org_file, lambda: orgedit.remove_member(org_file, "backend", "bob")) == (
        ["members = bob, alice  ; backend leads"], ["members = alice  ; backend leads"])
    # an empty list with only a comment: the member goes before the comment
    assert diff(org_file, lambda: orgedit.add_member(org_file, "platform", "bob")) == (
        ["members =            ; nobody yet"], ["members = bob ; nobody yet"])
    assert [t.members for t in load_org(org_file).teams if t.name in ("backend", "platform")] == [("alice",), ("bob",)]


def test_one_per_line_members_keep_each_lines_comment(org_file: Path) -> None:
    orgedit.add_user(org_file, "carol")
    assert diff(org_file, lambda: orgedit.add_member(org_file, "data", "carol")) == ([], ["    carol"])
    assert "    alice   ; the first\n    bob     # the second\n    carol\n" in org_file.read_text()
    assert diff(org_file, lambda: orgedit.remove_member(org_file, "data", "alice")) == (["    alice   ; the first"], [])
    assert "members =\n    bob     # the second\n    carol\n" in org_file.read_text()


def test_grant_and_revoke_keep_the_comment_on_the_environment_line(org_file: Path) -> None:
    assert diff(org_file, lambda: orgedit.grant(org_file, "backend", "dev", "readonly")) == (
        ["dev = developer   # builds here"], ["dev = developer, readonly   # builds here"])
    assert diff(org_file, lambda: orgedit.grant(org_file, "backend", "stage", "developer")) == (
        ["stage = readonly ; look only"], ["stage = readonly, developer ; look only"])
    assert diff(org_file, lambda: orgedit.revoke(org_file, "backend", "dev", "developer")) == (
        ["dev = developer, readonly   # builds here"], ["dev = readonly   # builds here"])
    assert diff(org_file, lambda: orgedit.revoke(org_file, "platform", "dev", "admin")) == (
        ["dev = admin # all of dev"], [])  # the last role: the key (and its comment) goes, as documented
    grants = {(g.environment, g.role) for g in load_org(org_file).team("backend").grants}
    assert grants == {("dev", "readonly"), ("stage", "readonly"), ("stage", "developer")}


def test_users_add_and_remove_keep_the_comments_on_the_members_lines(org_file: Path) -> None:
    removed, added = diff(org_file, lambda: orgedit.add_user(org_file, "carol", teams=["backend", "platform", "data"]))
    assert removed == ["members = bob  ; backend leads", "members =            ; nobody yet"]
    assert added[:3] == ["members = bob, carol  ; backend leads", "members = carol ; nobody yet", "    carol"]
    # carol was platform's only member: that key goes, its comment with it (as an emptied grant)
    assert diff(org_file, lambda: orgedit.remove_user(org_file, "carol")) == (
        ["members = bob, carol  ; backend leads", "members = carol ; nobody yet", "    carol", "", "[user carol]"],
        ["members = bob  ; backend leads"])
    # bob: backend's only member (the key goes) and one line of data's one-per-line list
    removed, added = diff(org_file, lambda: orgedit.remove_user(org_file, "bob"))
    assert "    bob     # the second" in removed and "members = bob  ; backend leads" in removed
    assert added == []


def test_recording_an_account_id_keeps_the_sections_comments(org_file: Path) -> None:
    assert diff(org_file, lambda: orgedit.record_account_id(org_file, "dev", "222222222222")) == (
        [], ["id = 222222222222"])
    assert ("[account dev]    ; the sandbox\nid = 222222222222\nemail = dev@acme.example       # no id yet: apply "
            "records it\nenvironment = dev              # builds\n"
            "description = dev account      ; for builds\n") in org_file.read_text()


def test_temporary_grants_leave_every_comment_alone(org_file: Path) -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    grant = TemporaryGrant(id="t1", team="backend", user="", environment="dev", role="admin", start=None,
                           until=now + timedelta(hours=4), reason="incident 42", granted_by="alice")
    orgedit.add_temporary(org_file, grant)
    assert org_file.read_text().startswith(ORG)
    orgedit.remove_temporary(org_file, "t1")
    assert org_file.read_text() == ORG


def invoke(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, err.getvalue()


def test_the_cli_edits_keep_the_comment(org_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``awsroles team add backend alice`` and ``awsroles grant``, as a person types them."""
    monkeypatch.setenv("AWSROLES_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    for argv in (["team", "add", "backend", "alice"], ["grant", "backend", "dev", "readonly"],
                 ["revoke", "backend", "stage", "readonly"], ["team", "remove", "backend", "bob"]):
        code, err = invoke(*argv, "--file", str(org_file), "--no-plan")
        assert code == ExitCode.OK, err
    text = org_file.read_text()
    assert "members = alice  ; backend leads\ndev = developer, readonly   # builds here\n\n" in text


def test_an_account_id_already_there_with_a_comment_is_the_same_id(org_file: Path) -> None:
    org_file.write_text(ORG.replace("id = 333333333333\n", "id = 333333333333   ; stage, made by hand\n"))
    before = org_file.read_text()
    orgedit.record_account_id(org_file, "stage", "333333333333")  # the same id: nothing changes
    assert org_file.read_text() == before
    with pytest.raises(UsageError) as caught:
        orgedit.record_account_id(org_file, "stage", "999999999999")
    assert str(caught.value) == ("[account stage] has id 333333333333 in the org file now, not 999999999999: "
                                 "the file changed since the plan")
    assert org_file.read_text() == before


def test_approving_and_denying_a_request_keep_its_commented_lines(tmp_path: Path) -> None:
    """``approve`` and ``deny`` add their keys after the request's last line, which keeps its comment."""
    from awsroles.org.request_edit import approve, deny
    from awsroles.org.requests import approved_grant
    from tests.unit.test_requests import ASKED, CLASSIC, LATER, REQUEST, parse, with_approvers

    commented = REQUEST.replace("reason = INC-1234\n", "reason = INC-1234   ; paged at night\n").replace(
        "requested_at = 2026-11-30T01:02:00Z\n", "requested_at = 2026-11-30T01:02:00Z  # UTC\n")
    path = tmp_path / "org.ini"
    for decide, status in (("approve", "approved"), ("deny", "denied")):
        path.write_text(with_approvers(CLASSIC) + commented)
        org, problems = parse(path.read_text())
        assert org is not None and org.requests[0].reason == "INC-1234", problems
        if decide == "approve":
            approve(path, org.requests[0].id, approved_grant(org, org.requests[0], "alice", LATER), LATER)
        else:
            deny(path, org.requests[0].id, "alice", ASKED + timedelta(minutes=5), "use readonly")
        text = path.read_text()
        assert ("reason = INC-1234   ; paged at night\nrequested_at = 2026-11-30T01:02:00Z  # UTC\n"
                f"status = {status}\ndecided_by = alice\n") in text, text
