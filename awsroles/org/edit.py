"""Comment-preserving, validated, locked and atomic edits of the org file.

Every edit runs under a lock (a file in the per-user lock directory, never beside the org file:
a checkout stays clean), reads the current text with configupdater, changes only the lines it
must, validates the result like ``awsroles validate`` and only then replaces the file atomically
(keeping its mode). An edit that would make the file
invalid raises :class:`~awsroles.errors.OrgFileError` and writes nothing.
"""

from __future__ import annotations

import configparser
import difflib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from configupdater import ConfigUpdater, Option, Section

from awsroles.errors import OrgFileError, UsageError
from awsroles.fsutil import atomic_write, file_lock, private_lock_path
from awsroles.org.builder import did_you_mean
from awsroles.org.checks import OrgCheck
from awsroles.org.edit_lists import (
    add_item,
    insert_option,
    list_values,
    remove_item,
    split_line,
)
from awsroles.org.entries import TemporaryGrant
from awsroles.org.keys import TEAM_KEYS
from awsroles.org.model import Org
from awsroles.org.parse import parse_org

LOCK_TIMEOUT = 30.0  # seconds to wait for another edit of the same file


class OrgFileLocked(UsageError):
    """Another edit holds the org file's lock for too long."""


def _updater(text: str) -> ConfigUpdater:
    # a blank line ends a value, as in the validator's dialect (awsroles.org.dialect): an indented
    # ``key = value`` after a blank line is a key of its own, never more items of the list above it
    updater = ConfigUpdater(delimiters=("=",), comment_prefixes=("#", ";"), inline_comment_prefixes=None,
                            strict=True, empty_lines_in_values=False)
    updater.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    updater.read_string(text)
    return updater


def edit_org(
    path: Path, change: Callable[[ConfigUpdater], None], *, checks: Sequence[OrgCheck] = ()
) -> Org:
    """Apply ``change`` to the org file at ``path``, validate, write atomically; return the new org.

    Raises OrgFileError (nothing written) if the result is not valid, UsageError if ``change`` does.
    When the text does not change, the file is not rewritten. ``checks``: the whole-model checks
    beyond the org's own (IAM's ``ORG_CHECKS``, ``iam/checks.py``), as for ``parse_org``.
    """
    return _edit(path, change, checks, write=True).org


@dataclass(frozen=True)
class Edited:
    """An edit of the org file: its text before and after, and the org it makes."""

    path: Path
    before: str
    after: str
    org: Org

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        """The edit as a unified diff (\"\" when the text does not change)."""
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                            f"{self.path} (now)", f"{self.path} (edited)"))


def preview_org(path: Path, change: Callable[[ConfigUpdater], None], *, checks: Sequence[OrgCheck] = ()) -> Edited:
    """What :func:`edit_org` would make of the file, validated the same way, without writing it."""
    return _edit(path, change, checks, write=False)


def _edit(path: Path, change: Callable[[ConfigUpdater], None], checks: Sequence[OrgCheck], *,
          write: bool) -> Edited:
    path = Path(path)
    real = Path(os.path.realpath(path))

    def busy(lock: Path, waited: float) -> OrgFileLocked:
        return OrgFileLocked(f"{path} is being edited by someone else (lock {lock} held for more than "
                             f"{waited:.0f}s); try again")

    with file_lock(private_lock_path(real), timeout=LOCK_TIMEOUT, busy=busy):
        try:
            text = real.read_text(encoding="utf-8-sig")
            mode = real.stat().st_mode & 0o7777
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file (use --file or $AWSROLES_FILE)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read: {exc}") from None
        if text and not text.endswith("\n"):
            text += "\n"
        try:
            updater = _updater(text)
        except configparser.Error as exc:
            _org, problems = parse_org(text, str(path), path.parent, checks)
            if any(p.is_error for p in problems):
                raise OrgFileError(problems) from None
            raise UsageError(f"{path}: cannot be edited: {exc}") from None
        change(updater)
        new_text = str(updater)
        org, problems = parse_org(new_text, str(path), path.parent, checks)
        if org is None:
            raise OrgFileError(problems)
        if write and new_text != text:
            atomic_write(real, new_text, mode=mode)
        return Edited(path, text, new_text, org)


# -- reading the updater ------------------------------------------------------------------------


def _sections(updater: ConfigUpdater, kind: str) -> dict[str, Section]:
    found: dict[str, Section] = {}
    for section in updater.iter_sections():
        k, _, name = section.name.strip().partition(" ")
        if k == kind and name.strip():
            found.setdefault(name.strip(), section)
    return found


def _environments(updater: ConfigUpdater) -> list[str]:
    return [values[0] for section in _sections(updater, "account").values()
            if "environment" in section and (values := list_values(section["environment"]))]


def _pick(kind: str, name: str, known: Iterable[str]) -> None:
    known = list(known)
    if name not in known:
        raise UsageError(f"unknown {kind} '{name}'{did_you_mean(name, known)}")


def _team(updater: ConfigUpdater, team: str) -> Section:
    teams = _sections(updater, "team")
    _pick("team", team, teams)
    return teams[team]


# -- the edits ------------------------------------------------------------------------------------


def add_user(path: Path, name: str, *, teams: Sequence[str] = (), email: str | None = None,
             console: bool = False, checks: Sequence[OrgCheck] = ()) -> Org:
    """A new ``[user NAME]`` (after the last user, else at the end), added to each team's members."""

    def change(updater: ConfigUpdater) -> None:
        users = _sections(updater, "user")
        if name in users:
            raise UsageError(f"user '{name}' already exists in the org file")
        team_sections = [_team(updater, t) for t in dict.fromkeys(teams)]
        section = Section(f"user {name}")
        everything = list(updater.iter_sections())
        previous = list(users.values())[-1] if users else (everything[-1] if everything else None)
        if previous is None:
            updater.add_section(section)
        else:
            blocks = list(previous.iter_blocks())
            previous.add_after.section(section)
            if not blocks or type(blocks[-1]).__name__ != "Space":
                previous.add_after.space()
        if email is not None:
            section.set("email", email)
        if console:
            section.set("console", "yes")
        if updater.iter_sections() and list(updater.iter_sections())[-1] is not section:
            options = list(section.iter_blocks())
            (options[-1] if options else section).add_after.space()
        for team in team_sections:
            _add_member_to(team, name)

    return edit_org(path, change, checks=checks)


def remove_user(path: Path, name: str, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """Drop ``[user NAME]``, and NAME from every team's members and every ``[break-glass]``'s people."""
    return edit_org(path, _user_removal(name), checks=checks)


def preview_remove_user(path: Path, name: str, *, checks: Sequence[OrgCheck] = ()) -> Edited:
    """What :func:`remove_user` would make of the file (OrgFileError when the result is not valid,
    e.g. a ``[temporary]`` section still names the user), without writing it."""
    return preview_org(path, _user_removal(name), checks=checks)


def _user_removal(name: str) -> Callable[[ConfigUpdater], None]:
    def change(updater: ConfigUpdater) -> None:
        users = _sections(updater, "user")
        _pick("user", name, users)
        section = users[name]
        last = list(updater.iter_sections())[-1] is section
        section.detach()
        for team in _sections(updater, "team").values():
            if "members" in team and name in list_values(team["members"]) and remove_item(team["members"], name):
                team["members"].detach()
        for glass in _sections(updater, "break-glass").values():  # the last one named: the file says so
            if "people" in glass and name in list_values(glass["people"]) and remove_item(glass["people"], name):
                glass["people"].detach()
        if last:  # no trailing blank line left behind at the end of the file
            remaining = list(updater.iter_sections())
            if remaining:
                blocks = list(remaining[-1].iter_blocks())
                while blocks and type(blocks[-1]).__name__ == "Space":
                    blocks.pop().detach()

    return change


def grant(path: Path, team: str, environment: str, role: str, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """Add ``role`` to the team's ``ENVIRONMENT =`` list; already granted: nothing changes."""

    def change(updater: ConfigUpdater) -> None:
        section = _team(updater, team)
        _pick("environment", environment, _environments(updater))
        _pick("role", role, _sections(updater, "role"))
        if environment in section:
            option = section[environment]
            if role not in list_values(option):
                add_item(option, role)
        else:
            grant_keys = [o.key for o in section.iter_blocks() if isinstance(o, Option) and o.key not in TEAM_KEYS]
            insert_option(section, environment, role, grant_keys or list(TEAM_KEYS))

    return edit_org(path, change, checks=checks)


def revoke(path: Path, team: str, environment: str, role: str, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """Remove ``role`` from the team's grants in ``environment``; the key goes when it is empty."""

    def change(updater: ConfigUpdater) -> None:
        section = _team(updater, team)
        _pick("environment", environment, _environments(updater))
        _pick("role", role, _sections(updater, "role"))
        if environment not in section or role not in list_values(section[environment]):
            raise UsageError(f"team '{team}' is not granted role '{role}' in {environment}")
        if remove_item(section[environment], role):
            section[environment].detach()

    return edit_org(path, change, checks=checks)


def identity_change(identity: Sequence[str], *, expected: str | None = None) -> Callable[[ConfigUpdater], None]:
    """The edit that makes ``[org] identity`` name ``identity`` (``iam-users, identity-center``):
    the key's value is replaced, its comment kept, or the key added as the last of ``[org]``.
    ``expected``: the text the file must still have (else UsageError: it changed since it was read)."""
    value = ", ".join(identity)

    def change(updater: ConfigUpdater) -> None:
        if expected is not None and str(updater) != expected:
            raise UsageError("the org file changed since it was read: run the command again")
        orgs = [s for s in updater.iter_sections() if s.name.strip() == "org"]
        if not orgs:
            raise UsageError("the org file has no [org] section")
        section = orgs[0]
        if "identity" not in section:
            insert_option(section, "identity", value, ())
            return
        option = section["identity"]
        prefix, _content, tail = split_line(option.lines[0], True)
        option.lines[:] = [prefix + value + tail if tail.strip() else prefix + value + "\n"]

    return change


def _add_member_to(section: Section, user: str) -> None:
    if "members" in section:
        if user not in list_values(section["members"]):
            add_item(section["members"], user)
    else:
        insert_option(section, "members", user, ["description"])


def add_member(path: Path, team: str, user: str, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """Add ``user`` to the team's members; already a member: nothing changes."""

    def change(updater: ConfigUpdater) -> None:
        section = _team(updater, team)
        _pick("user", user, _sections(updater, "user"))
        _add_member_to(section, user)

    return edit_org(path, change, checks=checks)


def remove_member(path: Path, team: str, user: str, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """Remove ``user`` from the team's members."""

    def change(updater: ConfigUpdater) -> None:
        section = _team(updater, team)
        _pick("user", user, _sections(updater, "user"))
        if "members" not in section or user not in list_values(section["members"]):
            raise UsageError(f"user '{user}' is not a member of team '{team}'")
        if remove_item(section["members"], user):
            section["members"].detach()

    return edit_org(path, change, checks=checks)


def record_account_id(path: Path, account: str, account_id: str, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """Write ``id = ACCOUNT_ID`` as the first line of ``[account ACCOUNT]`` (what apply does once it
    has created or found the account); the same id already there: nothing changes. Another id
    there is refused: the file changed since the plan."""

    def change(updater: ConfigUpdater) -> None:
        accounts = _sections(updater, "account")
        _pick("account", account, accounts)
        section = accounts[account]
        if "id" in section:
            current = " ".join(list_values(section["id"]))  # without a comment at the end of the line
            if current != account_id:
                raise UsageError(f"[account {account}] has id {current} in the org file now, not {account_id}: "
                                 "the file changed since the plan")
            return
        blocks = [b for b in section.iter_blocks() if isinstance(b, Option)]
        if blocks:
            blocks[0].add_before.option("id", account_id)
        else:
            section.set("id", account_id)

    return edit_org(path, change, checks=checks)


def append_section(updater: ConfigUpdater, name: str, values: Sequence[tuple[str, str]]) -> Section:
    """A new ``[name]`` section with ``values`` at the end of the file, after a blank line."""
    sections = list(updater.iter_sections())
    section = Section(name)
    if sections:
        last = sections[-1]
        blocks = list(last.iter_blocks())
        if not blocks or type(blocks[-1]).__name__ != "Space":
            last.add_after.space()
    updater.add_section(section)
    for key, value in values:
        section.set(key, value)
    return section


def sections_of(updater: ConfigUpdater, kind: str) -> dict[str, Section]:
    """The ``[kind NAME]`` sections by NAME (the first of each name)."""
    return _sections(updater, kind)


def temporary_change(grant: TemporaryGrant) -> Callable[[ConfigUpdater], None]:
    """The edit that adds ``[temporary ID]`` for ``grant`` at the end of the file (an ID already
    there, or an unknown team, user, environment or role: UsageError)."""
    from awsroles.org.temporary import format_time

    def change(updater: ConfigUpdater) -> None:
        existing = _sections(updater, "temporary")
        if grant.id in existing:
            raise UsageError(f"temporary grant '{grant.id}' already exists in the org file")
        if grant.team:
            _team(updater, grant.team)
        else:
            _pick("user", grant.user, _sections(updater, "user"))
        _pick("environment", grant.environment, _environments(updater))
        _pick("role", grant.role, _sections(updater, "role"))
        values = [("team" if grant.team else "user", grant.team or grant.user), ("environment", grant.environment),
                  ("role", grant.role)]
        if grant.start is not None:
            values.append(("from", format_time(grant.start)))
        values += [("until", format_time(grant.until)), ("reason", grant.reason)]
        if grant.granted_by:
            values.append(("granted_by", grant.granted_by))
        append_section(updater, f"temporary {grant.id}", values)

    return change


def add_temporary(path: Path, grant: TemporaryGrant, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """A new ``[temporary ID]`` section at the end of the file, validated like any edit (an ID
    already there is refused)."""
    return edit_org(path, temporary_change(grant), checks=checks)


def remove_temporary(path: Path, grant_id: str, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """Drop the ``[temporary ID]`` section (and the blank line before it)."""

    def change(updater: ConfigUpdater) -> None:
        found = _sections(updater, "temporary")
        if grant_id not in found:
            raise UsageError(f"no temporary grant '{grant_id}' in the org file{did_you_mean(grant_id, found)}")
        section = found[grant_id]
        sections = list(updater.iter_sections())
        index = sections.index(section)
        section.detach()
        if index > 0:  # the blank line that separated it from the section before
            blocks = list(sections[index - 1].iter_blocks())
            while blocks and type(blocks[-1]).__name__ == "Space":
                blocks.pop().detach()
            if index < len(sections) - 1:
                sections[index - 1].add_after.space()

    return edit_org(path, change, checks=checks)
