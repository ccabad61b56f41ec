"""Org-file edits (awsroles.org.edit), each checked as the exact file text it leaves: where a new
key, member or section goes, the list's separator and indentation, the blank lines around
sections, and every refusal's message (with nothing written). The mutation score of the module
(docs/benchmarks.md) is what these tests are for: each pins a behaviour a small change to the code
would break without any other test noticing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from awsroles.errors import OrgFileError, UsageError
from awsroles.fsutil import file_lock, private_lock_path
from awsroles.iam.checks import ORG_CHECKS
from awsroles.org import edit as orgedit
from awsroles.org.entries import TemporaryGrant
from awsroles.org.parse import load_org

HEAD = """\
[org]
name = acme
ops_account = ops

[account ops]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[account stage]
id = 333333333333
environment = stage

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[role developer]
managed = arn:aws:iam::aws:policy/PowerUserAccess

[role readonly]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
"""

USERS = """
[user alice]

[user bob]

[user carol]

[user dave]
"""

TEAMS = """
[team spaced]
description = space-separated lists
dev = developer readonly

[team late]
dev = admin  ; ask first, role=admin
members = alice   ; members after the grants
description = keys in an odd order

[team lines]
description = one per line
members =
  alice, bob   ; two on a line
      carol
stage = readonly

[team  two]
members = alice
    bob

[team empty]
members =

[team bare]
; nothing yet

[team last]
"""

ORG = HEAD + USERS + TEAMS


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text(ORG)
    load_org(path)  # the starting point is valid
    return path


def edited(path: Path, old: str, new: str) -> str:
    """The fixture's text with ``old`` (found once) replaced by ``new``."""
    assert ORG.count(old) == 1, old
    return ORG.replace(old, new)


# -- lists: separator, indentation, comments ----------------------------------------------------------


def test_a_space_separated_list_stays_space_separated(org_file: Path) -> None:
    orgedit.grant(org_file, "spaced", "dev", "admin")
    assert org_file.read_text() == edited(org_file, "dev = developer readonly\n", "dev = developer readonly admin\n")
    orgedit.revoke(org_file, "spaced", "dev", "readonly")
    assert org_file.read_text() == edited(org_file, "dev = developer readonly\n", "dev = developer admin\n")


def test_a_new_continuation_line_is_indented_like_the_last_one(org_file: Path) -> None:
    orgedit.add_member(org_file, "lines", "dave")
    assert org_file.read_text() == edited(org_file, "      carol\n", "      carol\n      dave\n")


def test_a_list_with_one_continuation_line_gets_another(org_file: Path) -> None:
    orgedit.add_member(org_file, "two", "carol")
    assert org_file.read_text() == edited(org_file, "members = alice\n    bob\n",
                                          "members = alice\n    bob\n    carol\n")


def test_removing_from_a_continuation_line_keeps_its_other_items_and_comment(org_file: Path) -> None:
    orgedit.remove_member(org_file, "lines", "alice")
    assert org_file.read_text() == edited(org_file, "  alice, bob   ; two on a line\n", "  bob   ; two on a line\n")


def test_emptying_the_first_line_of_a_longer_list_leaves_the_bare_key(org_file: Path) -> None:
    orgedit.remove_member(org_file, "two", "alice")
    assert org_file.read_text() == edited(org_file, "members = alice\n    bob\n", "members =\n    bob\n")


def test_an_empty_list_gets_its_first_item_on_the_key_line(org_file: Path) -> None:
    orgedit.add_member(org_file, "empty", "carol")
    assert org_file.read_text() == edited(org_file, "members =\n\n[team bare]", "members = carol\n\n[team bare]")


def test_an_equals_sign_in_a_comment_is_not_taken_for_the_key(org_file: Path) -> None:
    orgedit.grant(org_file, "late", "dev", "readonly")
    assert org_file.read_text() == edited(org_file, "dev = admin  ; ask first", "dev = admin, readonly  ; ask first")


def test_removing_the_last_member_drops_the_key_and_its_comment(org_file: Path) -> None:
    orgedit.remove_member(org_file, "late", "alice")
    assert org_file.read_text() == edited(org_file, "members = alice   ; members after the grants\n", "")


# -- where a new key goes -----------------------------------------------------------------------------


def test_a_new_environment_goes_after_the_teams_last_grant(org_file: Path) -> None:
    orgedit.grant(org_file, "late", "stage", "readonly")
    assert org_file.read_text() == edited(org_file, "role=admin\n", "role=admin\nstage = readonly\n")


def test_a_teams_first_grant_goes_after_its_last_key(org_file: Path) -> None:
    orgedit.grant(org_file, "two", "dev", "readonly")
    assert org_file.read_text() == edited(org_file, "    bob\n", "    bob\ndev = readonly\n")


def test_members_go_after_the_description_when_the_team_has_none(org_file: Path) -> None:
    orgedit.add_member(org_file, "spaced", "alice")
    assert org_file.read_text() == edited(org_file, "description = space-separated lists\n",
                                          "description = space-separated lists\nmembers = alice\n")


def test_a_key_in_a_section_without_keys_goes_at_its_top(org_file: Path) -> None:
    orgedit.grant(org_file, "bare", "dev", "admin")
    assert org_file.read_text() == edited(org_file, "[team bare]\n; nothing yet\n",
                                          "[team bare]\ndev = admin\n; nothing yet\n")
    orgedit.add_member(org_file, "last", "alice")  # the last line of the file: nothing after the header
    assert org_file.read_text().endswith("\n[team last]\nmembers = alice\n")


def test_a_header_with_two_spaces_is_the_same_team(org_file: Path) -> None:
    orgedit.grant(org_file, "two", "stage", "readonly")
    assert "[team  two]\nmembers = alice\n    bob\nstage = readonly\n" in org_file.read_text()


def test_an_indented_key_after_a_blank_line_is_a_key_not_more_members(tmp_path: Path) -> None:
    """A blank line ends a list, as the validator reads it (it used to make the editor take
    ``    dev = admin`` for three more members: the grant was "not granted", a member added broke the file)."""
    path = tmp_path / "org.ini"
    original = HEAD + USERS + "\n[team t]\nmembers = alice\n\n    dev = admin\n"
    path.write_text(original)
    assert {(g.environment, g.role) for g in load_org(path).team("t").grants} == {("dev", "admin")}
    orgedit.add_member(path, "t", "bob")
    assert path.read_text() == original.replace("members = alice\n", "members = alice, bob\n")
    orgedit.revoke(path, "t", "dev", "admin")
    assert path.read_text() == original.replace("members = alice\n", "members = alice, bob\n").replace(
        "    dev = admin\n", "")


# -- users: where the section goes, and its blank lines -----------------------------------------------


def test_a_new_user_goes_after_the_last_user_with_one_blank_line_each_side(org_file: Path) -> None:
    orgedit.add_user(org_file, "erin", email="erin@acme.example", console=True)
    assert org_file.read_text() == edited(
        org_file, "[user dave]\n", "[user dave]\n\n[user erin]\nemail = erin@acme.example\nconsole = yes\n")
    orgedit.add_user(org_file, "frank")
    assert "console = yes\n\n[user frank]\n\n[team spaced]\n" in org_file.read_text()
    orgedit.add_user(org_file, "grace", email="grace@acme.example")
    assert "[user frank]\n\n[user grace]\nemail = grace@acme.example\n\n[team spaced]\n" in org_file.read_text()


def test_the_first_user_goes_at_the_end_after_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(HEAD)
    orgedit.add_user(path, "alice")
    assert path.read_text() == HEAD + "\n[user alice]\n"
    orgedit.add_user(path, "bob")  # after a user section with nothing in it, at the end of the file
    assert path.read_text() == HEAD + "\n[user alice]\n\n[user bob]\n"


def test_a_user_in_an_empty_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text("")
    with pytest.raises(OrgFileError, match=r"\[org\]"):
        orgedit.add_user(path, "alice")
    assert path.read_text() == ""


# -- sections appended at the end, and removed --------------------------------------------------------

GRANT = TemporaryGrant(id="t1", team="late", environment="dev", role="readonly",
                       until=datetime(2999, 1, 1, tzinfo=UTC), reason="incident 42", granted_by="alice")
SECTION = ("[temporary t1]\nteam = late\nenvironment = dev\nrole = readonly\nuntil = 2999-01-01T00:00:00Z\n"
           "reason = incident 42\ngranted_by = alice\n")


def test_a_section_appended_to_a_file_that_ends_with_a_blank_line_gets_no_second_one(org_file: Path) -> None:
    org_file.write_text(ORG + "\n")
    orgedit.add_temporary(org_file, GRANT)
    assert org_file.read_text() == ORG + "\n" + SECTION


def test_a_section_appended_after_an_empty_section_is_set_apart_by_one_blank_line(org_file: Path) -> None:
    orgedit.add_temporary(org_file, GRANT)
    assert org_file.read_text() == ORG + "\n" + SECTION
    orgedit.remove_temporary(org_file, "t1")
    assert org_file.read_text() == ORG


def test_removing_the_first_section_leaves_the_rest_as_it_was(org_file: Path) -> None:
    org_file.write_text(SECTION + "\n" + ORG)
    orgedit.remove_temporary(org_file, "t1")
    assert org_file.read_text() == ORG


def test_removing_a_section_leaves_one_blank_line_where_there_were_two(org_file: Path) -> None:
    org, rest = ORG.split("\n\n", 1)
    org_file.write_text(org + "\n\n\n" + SECTION + "\n" + rest)
    orgedit.remove_temporary(org_file, "t1")
    assert org_file.read_text() == ORG


# -- account ids -----------------------------------------------------------------------------------------


def test_an_id_goes_into_an_account_section_without_keys(org_file: Path) -> None:
    org_file.write_text(ORG + "\n[account spare]\n")
    with pytest.raises(OrgFileError):  # [account spare] needs an id (or an email) to be valid
        load_org(org_file)
    orgedit.record_account_id(org_file, "spare", "555555555555")
    assert org_file.read_text().endswith("\n[team last]\n\n[account spare]\nid = 555555555555\n")


def test_an_id_line_with_two_values_is_never_the_same_id(org_file: Path) -> None:
    org_file.write_text(ORG.replace("id = 333333333333\n", "id = 333333333333 444444444444\n"))
    with pytest.raises(UsageError) as caught:
        orgedit.record_account_id(org_file, "stage", "333333333333")
    assert str(caught.value) == ("[account stage] has id 333333333333 444444444444 in the org file now, not "
                                 "333333333333: the file changed since the plan")


# -- [org] identity ----------------------------------------------------------------------------------------


def test_an_identity_without_a_comment_is_replaced_whole(org_file: Path) -> None:
    org_file.write_text(ORG.replace("ops_account = ops\n", "ops_account = ops\nidentity = iam-users   \n"))
    orgedit.edit_org(org_file, orgedit.identity_change(("iam-users", "identity-center"), expected=org_file.read_text()))
    assert org_file.read_text() == ORG.replace("ops_account = ops\n",
                                               "ops_account = ops\nidentity = iam-users, identity-center\n")


def test_identity_refusals(org_file: Path) -> None:
    with pytest.raises(UsageError) as caught:
        orgedit.edit_org(org_file, orgedit.identity_change(("identity-center",), expected=ORG + "\n"))
    assert str(caught.value) == "the org file changed since it was read: run the command again"
    org_file.write_text(ORG.replace("[org]\n", "[account x]\n", 1))
    with pytest.raises(UsageError) as caught:
        orgedit.edit_org(org_file, orgedit.identity_change(("identity-center",)))
    assert str(caught.value) == "the org file has no [org] section"


# -- refusals: the message, and nothing written ------------------------------------------------------------


def test_unknown_names_are_refused_with_their_kind(org_file: Path) -> None:
    grant = TemporaryGrant(id="t9", user="alise", environment="dev", role="readonly",
                           until=datetime(2999, 1, 1, tzinfo=UTC), reason="x")
    by_alice = {**vars(grant), "user": "alice"}
    cases = [
        (lambda: orgedit.revoke(org_file, "late", "stag", "admin"),
         "unknown environment 'stag' (did you mean 'stage'?)"),
        (lambda: orgedit.revoke(org_file, "late", "dev", "admn"), "unknown role 'admn' (did you mean 'admin'?)"),
        (lambda: orgedit.remove_member(org_file, "late", "alise"), "unknown user 'alise' (did you mean 'alice'?)"),
        (lambda: orgedit.record_account_id(org_file, "stag", "333333333333"),
         "unknown account 'stag' (did you mean 'stage'?)"),
        (lambda: orgedit.add_temporary(org_file, grant), "unknown user 'alise' (did you mean 'alice'?)"),
        (lambda: orgedit.add_temporary(org_file, TemporaryGrant(**{**by_alice, "environment": "stag"})),
         "unknown environment 'stag' (did you mean 'stage'?)"),
        (lambda: orgedit.add_temporary(org_file, TemporaryGrant(**{**by_alice, "role": "admn"})),
         "unknown role 'admn' (did you mean 'admin'?)"),
        (lambda: orgedit.grant(org_file, "alice", "dev", "admin"),  # a user is no team
         "unknown team 'alice' (did you mean 'lines'?)"),
    ]
    for edit, message in cases:
        with pytest.raises(UsageError) as caught:
            edit()
        assert str(caught.value) == message
    assert org_file.read_text() == ORG


def test_each_edit_validates_with_the_checks_it_is_given(org_file: Path) -> None:
    """IAM's checks (here: Identity Center needs each person's email) refuse every edit they are given to."""
    text = ORG.replace("ops_account = ops\n", "ops_account = ops\nidentity = iam-users, identity-center\n")
    org_file.write_text(text)
    load_org(org_file)  # valid without IAM's checks
    edits = [
        lambda checks: orgedit.add_user(org_file, "erin", checks=checks),
        lambda checks: orgedit.remove_user(org_file, "dave", checks=checks),
        lambda checks: orgedit.grant(org_file, "late", "stage", "readonly", checks=checks),
        lambda checks: orgedit.revoke(org_file, "late", "dev", "admin", checks=checks),
        lambda checks: orgedit.add_member(org_file, "late", "bob", checks=checks),
        lambda checks: orgedit.remove_member(org_file, "late", "alice", checks=checks),
        lambda checks: orgedit.record_account_id(org_file, "stage", "333333333333", checks=checks),
        lambda checks: orgedit.add_temporary(org_file, GRANT, checks=checks),
    ]
    for edit in edits:
        with pytest.raises(OrgFileError, match="user 'alice' needs an email"):
            edit(ORG_CHECKS)
        assert org_file.read_text() == text
    orgedit.add_temporary(org_file, GRANT)
    with pytest.raises(OrgFileError, match="user 'alice' needs an email"):
        orgedit.remove_temporary(org_file, "t1", checks=ORG_CHECKS)


def test_a_file_configparser_cannot_read_is_reported_at_its_lines(org_file: Path) -> None:
    text = ORG + "\n[user alice]\n"
    org_file.write_text(text)
    with pytest.raises(OrgFileError) as caught:  # at the line it has now, not after the edit's new key
        orgedit.grant(org_file, "late", "stage", "readonly")
    line = text.splitlines().index("[user alice]", 30) + 1
    first = text.splitlines().index("[user alice]") + 1
    assert str(caught.value) == f"{org_file}:{line}: duplicate section [user alice] (first at line {first})"
    assert org_file.read_text() == text


def test_a_broken_file_is_reported_before_any_name_is_looked_up(org_file: Path) -> None:
    """Lines the validator cannot read (``key: value``) are the file's problem, whatever the edit names."""
    text = ORG.replace("[user dave]\n", "[user dave]\nemail: dave@acme.example\n")
    org_file.write_text(text)
    with pytest.raises(OrgFileError) as caught:
        orgedit.grant(org_file, "late", "dev", "no-such-role")
    line = text.splitlines().index("email: dave@acme.example") + 1
    assert str(caught.value) == f"{org_file}:{line}: cannot parse 'email: dave@acme.example': expected 'key = value'"


def test_an_empty_environment_is_the_files_problem_not_a_crash(org_file: Path) -> None:
    text = ORG.replace("[account ops]\nid = 111111111111\n", "[account ops]\nid = 111111111111\nenvironment =\n")
    org_file.write_text(text)
    with pytest.raises(OrgFileError, match="environment name '' is not valid"):
        orgedit.grant(org_file, "late", "stage", "readonly")
    assert org_file.read_text() == text


def test_a_file_without_a_final_newline_is_edited_and_gets_one(org_file: Path) -> None:
    org_file.write_text(ORG + "members = alice")  # [team last]'s only key, on the last line
    orgedit.add_member(org_file, "last", "bob")
    assert org_file.read_text() == ORG + "members = alice, bob\n"


def test_a_byte_order_mark_is_read_past_and_not_written_back(org_file: Path) -> None:
    org_file.write_bytes(b"\xef\xbb\xbf" + ORG.encode())
    orgedit.add_member(org_file, "empty", "carol")
    assert org_file.read_text(encoding="utf-8") == edited(org_file, "members =\n\n[team bare]",
                                                          "members = carol\n\n[team bare]")


def test_a_missing_or_unreadable_file_is_a_one_line_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.ini"
    with pytest.raises(UsageError) as caught:
        orgedit.grant(missing, "late", "dev", "readonly")
    assert str(caught.value) == f"{missing}: no such file (use --file or $AWSROLES_FILE)"
    binary = tmp_path / "binary.ini"
    binary.write_bytes(b"[org]\nname = \xff\n")
    with pytest.raises(UsageError) as caught:
        orgedit.grant(binary, "late", "dev", "readonly")
    assert str(caught.value) == (f"{binary}: cannot read: 'utf-8' codec can't decode byte 0xff in position 13: "
                                 "invalid start byte")


def test_an_edit_waits_for_the_lock_then_says_who_holds_it(org_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(orgedit, "LOCK_TIMEOUT", 0.2)
    lock = private_lock_path(org_file)
    with file_lock(lock, timeout=1), pytest.raises(orgedit.OrgFileLocked) as caught:
        orgedit.grant(org_file, "late", "dev", "readonly")
    assert str(caught.value) == (f"{org_file} is being edited by someone else (lock {lock} held for more than 0s); "
                                 "try again")
    assert org_file.read_text() == ORG
