"""Org-file edits (awsroles.org.edit) and the audit log (awsroles.people.audit)."""

from __future__ import annotations

import difflib
import json
import os
import stat
from pathlib import Path

import pytest

from awsroles.errors import OrgFileError, UsageError
from awsroles.iam.checks import ORG_CHECKS
from awsroles.org import edit as orgedit
from awsroles.org.parse import load_org
from awsroles.people import audit
from tests.conftest import EXAMPLES, REPO


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    path = tmp_path / "awsroles.ini"
    path.write_text(text)
    path.chmod(0o640)
    return path


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines)."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def edit(path: Path, function, *args, **kwargs) -> tuple[list[str], list[str]]:
    before = path.read_text()
    function(path, *args, **kwargs)
    return changes(before, path.read_text())


def test_grant_adds_to_the_list_and_keeps_everything_else(org_file: Path) -> None:
    original = org_file.read_text()
    assert edit(org_file, orgedit.grant, "backend", "dev", "admin") == (
        ["dev = developer, readonly"], ["dev = developer, readonly, admin"])
    assert edit(org_file, orgedit.grant, "backend", "stage", "readonly") == ([], ["stage = readonly"])
    org = load_org(org_file)
    assert {(g.environment, g.role) for g in org.team("backend").grants} == {
        ("dev", "developer"), ("dev", "readonly"), ("dev", "admin"), ("stage", "readonly")}
    assert edit(org_file, orgedit.grant, "backend", "stage", "readonly") == ([], [])  # already granted: no-op
    assert stat.S_IMODE(org_file.stat().st_mode) == 0o640  # the mode survives the atomic replace
    assert edit(org_file, orgedit.revoke, "backend", "stage", "readonly") == (["stage = readonly"], [])
    assert edit(org_file, orgedit.revoke, "backend", "dev", "admin") == (
        ["dev = developer, readonly, admin"], ["dev = developer, readonly"])
    assert org_file.read_text() == original
    assert not list(org_file.parent.glob(".*.tmp"))
    assert not list(org_file.parent.glob("*.lock"))  # the lock lives in the lock directory: git status stays clean


def test_users_and_members(org_file: Path) -> None:
    original = org_file.read_text()
    removed, added = edit(org_file, orgedit.add_user, "carol", teams=["backend", "platform"],
                          email="carol@acme.example", console=True)
    assert removed == ["members = alice", "members = bob"]
    assert added == ["members = alice, carol", "members = bob, carol", "", "[user carol]",
                     "email = carol@acme.example", "console = yes"]
    assert org_file.read_text().endswith("[user carol]\nemail = carol@acme.example\nconsole = yes\n")
    org = load_org(org_file)
    assert org.user("carol").console and [t.name for t in org.teams_of("carol")] == ["platform", "backend"]
    assert edit(org_file, orgedit.add_user, "dave") == ([], ["", "[user dave]"])
    assert edit(org_file, orgedit.add_member, "platform", "dave") == (
        ["members = alice, carol"], ["members = alice, carol, dave"])
    assert edit(org_file, orgedit.remove_member, "platform", "dave") == (
        ["members = alice, carol, dave"], ["members = alice, carol"])
    orgedit.remove_user(org_file, "dave")
    orgedit.remove_user(org_file, "carol")
    assert org_file.read_text() == original


def test_one_per_line_lists_keep_their_style(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(
        "[org]\nname = acme\nops_account = ops\n\n[account ops]\nid = 111111111111\nenvironment = dev\n\n"
        "[role admin]\nmanaged = arn:aws:iam::aws:policy/AdministratorAccess\n\n"
        "[role viewer]  ; look only\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n\n"
        "[team t]\nmembers =\n    alice   ; the first\n    bob\n# grants\ndev = admin\n\n"
        "[user alice]\n\n[user bob]\n\n[user carol]\n")
    assert edit(path, orgedit.add_member, "t", "carol") == ([], ["    carol"])
    assert edit(path, orgedit.remove_member, "t", "alice") == (["    alice   ; the first"], [])
    assert edit(path, orgedit.grant, "t", "dev", "viewer") == (["dev = admin"], ["dev = admin, viewer"])
    assert "# grants\n" in path.read_text()


def test_unknown_names_say_did_you_mean_and_change_nothing(org_file: Path) -> None:
    original = org_file.read_text()
    cases = [
        (orgedit.grant, ("bakend", "dev", "admin"), "unknown team 'bakend' (did you mean 'backend'?)"),
        (orgedit.grant, ("backend", "stag", "admin"), "unknown environment 'stag' (did you mean 'stage'?)"),
        (orgedit.grant, ("backend", "dev", "admn"), "unknown role 'admn' (did you mean 'admin'?)"),
        (orgedit.revoke, ("backend", "prod", "admin"), "team 'backend' is not granted role 'admin' in prod"),
        (orgedit.add_member, ("backend", "alise"), "unknown user 'alise' (did you mean 'alice'?)"),
        (orgedit.remove_member, ("backend", "alice"), "user 'alice' is not a member of team 'backend'"),
        (orgedit.remove_user, ("bobby",), "unknown user 'bobby' (did you mean 'bob'?)"),
        (orgedit.add_user, ("bob",), "user 'bob' already exists in the org file"),
    ]
    for function, args, message in cases:
        with pytest.raises(UsageError) as info:
            function(org_file, *args)
        assert str(info.value) == message
    with pytest.raises(UsageError, match=r"unknown team 'frontent'"):
        orgedit.add_user(org_file, "erin", teams=["frontent"])
    assert org_file.read_text() == original


def test_an_edit_that_makes_the_file_invalid_is_never_written(org_file: Path, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "deny-iam-writes.json").write_text((REPO / "policies" / "deny-iam-writes.json").read_text())
    text = org_file.read_text().replace(str(REPO / "policies"), str(policies))
    org_file.write_text(text)
    load_org(org_file)
    (policies / "deny-iam-writes.json").unlink()  # deleted meanwhile
    with pytest.raises(OrgFileError, match=r"deny-iam-writes\.json not found"):
        orgedit.grant(org_file, "backend", "stage", "developer")
    assert org_file.read_text() == text
    (policies / "deny-iam-writes.json").write_text((REPO / "policies" / "deny-iam-writes.json").read_text())
    with pytest.raises(OrgFileError, match="user name 'bad name!' is not valid"):
        orgedit.add_user(org_file, "bad name!")
    assert org_file.read_text() == text
    assert not list(tmp_path.glob(".*.tmp"))


def test_edits_through_a_symlink_replace_the_target(org_file: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.ini"
    link.symlink_to(org_file)
    orgedit.grant(link, "backend", "stage", "readonly")
    assert link.is_symlink()
    assert "stage = readonly" in org_file.read_text()


def test_audit_lines_are_json_private_and_never_secret(tmp_path: Path) -> None:
    log = tmp_path / "state" / "audit.jsonl"
    first = audit.record("grant", actor="local:me", target="team/backend",
                         details={"environment": "stage", "role": "readonly"}, path=log)
    audit.record("apply.create", actor="arn:aws:iam::111111111111:user/admin", account="333333333333",
                 target="role readonly", path=log)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[0] == first
    assert set(first) == {"time", "actor", "action", "target", "account", "details"}
    assert str(first["time"]).endswith("Z")
    assert lines[1]["account"] == "333333333333"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    for details in ({"password": "x"}, {"SecretAccessKey": "x"}, {"nested": {"mfa_seed": "x"}},
                    {"SessionToken": "x"}, {"uri": "otpauth://totp/x?secret=ABC"}):
        with pytest.raises(ValueError, match="audit log"):
            audit.record("users.create", actor="local:me", details=details, path=log)
    assert len(log.read_text().splitlines()) == 2


def test_audit_path(tmp_path: Path) -> None:
    assert audit.audit_path({"AWSROLES_AUDIT_LOG": "/x/a.jsonl"}) == Path("/x/a.jsonl")
    assert audit.audit_path({"XDG_STATE_HOME": "/s"}) == Path("/s/awsroles/audit.jsonl")
    assert audit.audit_path({"HOME": "/h"}) == Path("/h/.local/state/awsroles/audit.jsonl")
    assert audit.local_actor().startswith("local:")
    assert os.sep in str(audit.audit_path())


# -- [org] identity (migrate identity-center) ---------------------------------------------------------


def test_identity_is_added_as_the_last_key_of_org_and_then_replaced_keeping_its_comment(org_file: Path) -> None:
    both = ("iam-users", "identity-center")
    added = edit(org_file, orgedit.edit_org, orgedit.identity_change(both))
    assert added == ([], ["identity = iam-users, identity-center"])
    text = org_file.read_text()
    assert text.index("policy_dir = ") < text.index("identity = ") < text.index("[account")
    assert load_org(org_file).identity == both
    org_file.write_text(text.replace("identity = iam-users, identity-center", "identity = iam-users, identity-center"
                                                                              "   ; while we move"))
    assert edit(org_file, orgedit.edit_org, orgedit.identity_change(("identity-center",))) == (
        ["identity = iam-users, identity-center   ; while we move"], ["identity = identity-center   ; while we move"])
    assert load_org(org_file).identity == ("identity-center",)


def test_a_preview_validates_and_writes_nothing(org_file: Path) -> None:
    before = org_file.read_text()
    edited = orgedit.preview_org(org_file, orgedit.identity_change(("iam-users", "identity-center")))
    assert org_file.read_text() == before and edited.before == before and edited.changed
    assert edited.org.uses_identity_center and edited.org.uses_iam_users
    assert [line for line in edited.diff().splitlines() if line[:1] in "+-"] == [
        f"--- {org_file} (now)", f"+++ {org_file} (edited)", "+identity = iam-users, identity-center"]
    org_file.write_text(before.replace("email = bob@acme.example\n", ""))
    with pytest.raises(OrgFileError) as caught:  # Identity Center needs every person's email (IAM's checks)
        orgedit.preview_org(org_file, orgedit.identity_change(("iam-users", "identity-center")), checks=ORG_CHECKS)
    assert str(caught.value).startswith(f"{org_file}:") and "user 'bob' needs an email" in str(caught.value)


def test_an_identity_edit_refuses_a_file_that_changed_since_it_was_read(org_file: Path) -> None:
    before = org_file.read_text()
    org_file.write_text(before + "\n[user carol]\nemail = carol@acme.example\n")
    with pytest.raises(UsageError, match="changed since it was read"):
        orgedit.edit_org(org_file, orgedit.identity_change(("identity-center",), expected=before))
    assert "identity" not in org_file.read_text()


def test_removing_a_user_takes_them_out_of_every_break_glass_section_too(org_file: Path) -> None:
    """Offboarding someone named in a [break-glass ENV] takes their name out of it (the others stay),
    so the offboarding need not be refused for it; the last one named stays, and the file says why."""
    orgedit.add_user(org_file, "carol")
    with org_file.open("a") as f:
        f.write("\n[break-glass prod]\npeople = alice, carol   ; on call\n"
                "managed = arn:aws:iam::aws:policy/ReadOnlyAccess\n")
    removed = edit(org_file, orgedit.remove_user, "carol")[0]
    assert "people = alice, carol   ; on call" in removed and "[user carol]" in removed
    assert "people = alice   ; on call\n" in org_file.read_text()
    assert load_org(org_file).break_glass[0].people == ("alice",)
    with pytest.raises(OrgFileError, match=r"\[break-glass prod\] needs people"):
        orgedit.remove_user(org_file, "alice", checks=ORG_CHECKS)
