"""Editing the AWS config file's text for ``profiles sync``: byte for byte, only what awsroles owns.

:func:`apply_profiles` is pure: the file's text in, the new text and what changed out. It refuses
(:class:`ProfileConflictError`) to take over a profile that exists unmarked, and a file that
botocore could not read either (:class:`ConfigFileError`). See :mod:`awsroles.creds.profiles`.
"""

from __future__ import annotations

import configparser
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from configupdater import ConfigUpdater
from configupdater.block import Comment
from configupdater.option import Option
from configupdater.section import Section

from awsroles.creds.profile_specs import MANAGED_KEY, OWNED_KEYS, Profile
from awsroles.errors import AwsrolesError, UsageError


class ProfileConflictError(UsageError):
    """A profile the sync would write exists already and is not managed by this sync."""

    def __init__(self, path: Path, names: Sequence[str]):
        self.path = path
        self.names = tuple(names)
        more = f" (and {len(names) - 1} more: {', '.join(names[1:])})" if len(names) > 1 else ""
        super().__init__(
            f"profile {names[0]!r}{more} already exists in {path} and is not managed by awsroles "
            "profiles sync; nothing was written (rename or remove it, or choose another name template)"
        )


class ConfigFileError(AwsrolesError):
    """The AWS config file cannot be read, parsed or locked. Nothing was written."""


@dataclass(frozen=True)
class SyncResult:
    """What a sync did (or, with ``dry_run``, would do). Profile names, each list sorted."""

    path: Path
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    dry_run: bool = False
    written: bool = field(default=False, compare=False)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "dry_run": self.dry_run,
            "written": self.written,
        }



def botocore_profile_name(section: str) -> str | None:
    """The profile a section header defines, by botocore's own rule (``configloader``)."""
    if section == "default":
        return "default"
    if not section.startswith("profile"):
        return None
    try:
        parts = shlex.split(section)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


def section_key(section: str) -> str | None:
    """What a sync calls a section: the profile's name (:func:`botocore_profile_name`), or
    ``sso-session NAME`` for botocore's ``[sso-session NAME]``; None for anything else."""
    profile = botocore_profile_name(section)
    if profile is not None:
        return profile
    parts = section.split()
    return f"sso-session {parts[1]}" if len(parts) == 2 and parts[0] == "sso-session" else None


def _managed_by(section: Section) -> str | None:
    option = section.get(MANAGED_KEY)
    if isinstance(option, Option) and option.value is not None:
        return option.value.strip()
    return None


def _parse(text: str, path: Path) -> ConfigUpdater:
    updater = ConfigUpdater()
    try:
        updater.read_string(text, source=str(path))
    except configparser.DuplicateSectionError as e:
        raise ConfigFileError(
            f"{path}:{e.lineno}: section [{e.section}] appears twice (botocore cannot read this file "
            "either); nothing was written"
        ) from None
    except configparser.DuplicateOptionError as e:
        raise ConfigFileError(
            f"{path}:{e.lineno}: key {e.option!r} appears twice in [{e.section}]; nothing was written"
        ) from None
    except configparser.MissingSectionHeaderError as e:
        raise ConfigFileError(f"{path}:{e.lineno}: text before the first [section]; nothing was written") from None
    except configparser.ParsingError as e:
        # The offending lines are left out of the message: a pasted secret is a typical one.
        lines = ", ".join(str(lineno) for lineno, _ in e.errors) or "?"
        raise ConfigFileError(f"{path}: cannot parse line(s) {lines}; nothing was written") from None
    except configparser.Error as e:
        raise ConfigFileError(f"{path}: cannot parse ({type(e).__name__}); nothing was written") from None
    return updater


def _update(section: Section, options: Sequence[tuple[str, str]]) -> bool:
    """Give ``section`` our keys' values in place; True if anything changed."""
    changed = False
    wanted = {key for key, _ in options}
    for key in OWNED_KEYS:
        if key not in wanted and isinstance(section.get(key), Option):
            del section[key]  # written by a sync of another style
            changed = True
    for key, value in options:
        current = section.get(key)
        if isinstance(current, Option):
            if (current.value or "").strip() != value or "\n" in (current.value or ""):
                current.value = value
                changed = True
            continue
        existing = list(section.option_blocks())
        if existing:
            existing[-1].add_after.option(key, value)
        else:
            section.insert_at(0).option(key, value)
        changed = True
    return changed


def _kept_tail(section: Section) -> str:
    """What survives a removed section: the comments after its last key (and what follows them)."""
    blocks = list(section.iter_blocks())
    last_option = max((i for i, b in enumerate(blocks) if isinstance(b, Option)), default=-1)
    tail = blocks[last_option + 1:]
    for i, block in enumerate(tail):
        if isinstance(block, Comment):
            return "".join(str(b) for b in tail[i:])
    return ""


def _trailing_blank_lines(text: str) -> int:
    core = text.rstrip(" \t\n")
    return max(text[len(core):].count("\n") - 1, 0) if core else 0


def _section_text(profile: Profile) -> str:
    return f"[{profile.kind} {profile.name}]\n" + "".join(f"{key} = {value}\n" for key, value in profile.options)


def apply_profiles(
    text: str, profiles: Sequence[Profile], *, org: str, path: Path = Path("config")
) -> tuple[str, SyncResult]:
    """Pure: the config file ``text`` with exactly ``profiles`` managed for ``org``.

    Raises :class:`ProfileConflictError` when a wanted name is taken by a profile that is not
    managed for ``org``, and :class:`ConfigFileError` when ``text`` is not a valid INI file.
    """
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    work = text.replace("\r\n", "\n") if crlf else text
    updater = _parse(work, path)
    wanted = {p.key: p for p in profiles}

    ours: dict[str, Section] = {}
    stale: list[Section] = []
    conflicts: list[str] = []
    for section in updater.iter_sections():
        name = section_key(section.name)
        if _managed_by(section) == org:
            if name in wanted and name not in ours:
                ours[name] = section
            else:
                stale.append(section)
        elif name is not None and name in wanted and name not in conflicts:
            conflicts.append(name)
    if conflicts:
        raise ProfileConflictError(path, conflicts)

    updated: list[str] = []
    unchanged: list[str] = []
    for name, section in ours.items():
        (updated if _update(section, wanted[name].options) else unchanged).append(name)

    stale_ids = {id(s) for s in stale}
    body = "".join(
        _kept_tail(b) if isinstance(b, Section) and id(b) in stale_ids else str(b) for b in updater.iter_blocks()
    )
    if stale and _trailing_blank_lines(body) > _trailing_blank_lines(work):
        # Removing the last profile leaves the blank line a sync put before it.
        keep = _trailing_blank_lines(work)
        body = body.rstrip(" \t\n") + "\n" * (keep + 1) if body.strip() else ""

    new = [p for p in profiles if p.key not in ours]
    if new:
        if body and not body.endswith("\n"):
            body += "\n"
        if body and not body.endswith("\n\n"):
            body += "\n"
        body += "\n".join(_section_text(p) for p in new)
    if crlf:
        body = body.replace("\n", "\r\n")

    result = SyncResult(
        path=path,
        added=tuple(sorted(p.key for p in new)),
        updated=tuple(sorted(updated)),
        removed=tuple(sorted(section_key(s.name) or s.name for s in stale)),
        unchanged=tuple(sorted(unchanged)),
    )
    return body, result
