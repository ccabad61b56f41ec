"""``[temporary ID]`` sections: grants that end by themselves (docs/temporary-access.md).

:func:`read_temporary` reads them (every mistake at its ``FILE:LINE``); :func:`parse_time` and
:func:`format_time` are the one spelling of their timestamps (UTC, ISO 8601 with ``Z``), and
:func:`check_expired` is the whole-model check that warns about sections whose ``until`` has passed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timezone

from awsroles.errors import Problem
from awsroles.org.builder import Builder, did_you_mean
from awsroles.org.checks import OrgCheck, Sections
from awsroles.org.durations import format_duration, parse_duration
from awsroles.org.entries import Role, TemporaryGrant, User
from awsroles.org.ini import IniKey, IniSection
from awsroles.org.keys import TEMPORARY_KEYS
from awsroles.org.model import Org

ID = re.compile(r"[a-z0-9-]{1,64}")
ID_RULE = "1 to 64 lower-case letters, digits and '-'"
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?Z")
REASON_MAX = 256
WINDOW_MIN = 15 * 60  # `grant --for`, a request's duration: at least 15 minutes (the shortest role session) ...
WINDOW_MAX = 7 * 86400  # ... and at most 7 days: longer access is a standing grant, reviewed as one


def parse_time(text: str) -> datetime:
    """``2026-11-29T18:02:00Z`` (seconds optional) as an aware UTC datetime; ValueError otherwise."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text.strip()}' is not a UTC time like 2026-11-29T18:02:00Z (ISO 8601, ending in Z)")
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError as exc:
        raise ValueError(f"'{text.strip()}' is not a valid time: {exc}") from None


def format_time(moment: datetime) -> str:
    """The org file's and IAM's spelling of a moment: ``2026-11-29T18:02:00Z`` (whole seconds, UTC)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def permission_set_name(grant_id: str) -> str:
    """A temporary grant's own permission set in IAM Identity Center: ``awsroles-tmp-`` and 12 hex
    digits of sha256(ID), 25 characters (a permission set name has at most 32; an ID up to 64). Here,
    beside the ID, because the Identity Center backend and the sign-in (``setup``) both name it."""
    return "awsroles-tmp-" + hashlib.sha256(grant_id.encode("utf-8")).hexdigest()[:12]


def grant_id(now: datetime, holder: str, environment: str, taken: set[str]) -> str:
    """A new id: ``t-20261129-1402-backend-stage`` (the moment of granting, to the minute, the team or
    person, the environment), with ``-2``, ``-3``... when taken; at most 64 characters."""
    words = re.sub(r"[^a-z0-9-]+", "-", f"{holder}-{environment}".lower()).strip("-")
    base = f"t-{now.astimezone(timezone.utc):%Y%m%d-%H%M}-{words}"[:60].rstrip("-")
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base}-{n}"
    return found


def window(text: str) -> int:
    """A temporary grant's length (``grant --for``, a request's ``duration``) in seconds: 15
    minutes to 7 days; ValueError with a readable message otherwise."""
    seconds = parse_duration(text)
    if not WINDOW_MIN <= seconds <= WINDOW_MAX:
        raise ValueError(f"{format_duration(seconds)} is outside {format_duration(WINDOW_MIN)}..7d")
    return seconds


def _time(b: Builder, key: IniKey | None) -> datetime | None:
    if key is None:
        return None
    try:
        return parse_time(key.value)
    except ValueError as exc:
        b.error(key.line, f"{key.name}: {exc}")
        return None


def read_temporary(b: Builder, found: list[tuple[str, IniSection]], users: list[User], teams: list[str],
                   roles: list[Role], environments: list[str]) -> list[TemporaryGrant]:
    """The ``[temporary ID]`` sections (for either backend: IAM statements for IAM users, a permission
    set of its own in IAM Identity Center, see docs/temporary-access.md)."""
    grants: list[TemporaryGrant] = []
    user_names = [u.name for u in users]
    role_names = [r.name for r in roles]
    for name, section in found:
        b.unknown_keys(section, TEMPORARY_KEYS)
        keys = section.keys
        ok = True
        if not ID.fullmatch(name):
            b.error(section.line, f"temporary grant id '{name}' is not valid: {ID_RULE}")
            ok = False
        team = keys["team"].value.strip() if "team" in keys else ""
        user = keys["user"].value.strip() if "user" in keys else ""
        if ("team" in keys) == ("user" in keys):
            b.error(section.line, f"[temporary {name}] needs exactly one of team and user")
            ok = False
        elif "team" in keys and team not in teams:
            b.error(keys["team"].line, f"undefined team '{team}' in [temporary {name}]{did_you_mean(team, teams)}")
            ok = False
        elif "user" in keys and user not in user_names:
            b.error(keys["user"].line,
                    f"undefined user '{user}' in [temporary {name}]{did_you_mean(user, user_names)}")
            ok = False
        values: dict[str, str] = {}
        for key in ("environment", "role", "reason"):
            if key not in keys or not keys[key].value.strip():
                b.error(keys[key].line if key in keys else section.line, f"[temporary {name}] needs {key}")
                ok = False
            else:
                values[key] = keys[key].value.strip()
        environment, role = values.get("environment", ""), values.get("role", "")
        if environment and environment not in environments:
            b.error(keys["environment"].line, f"undefined environment '{environment}' in [temporary {name}]"
                    f"{did_you_mean(environment, environments)}")
            ok = False
        elif role and role not in role_names:
            b.error(keys["role"].line, f"undefined role '{role}' in [temporary {name}]{did_you_mean(role, role_names)}")
            ok = False
        reason = values.get("reason", "")
        if "\n" in reason or len(reason) > REASON_MAX:
            b.error(keys["reason"].line, f"reason: one line of at most {REASON_MAX} characters")
            ok = False
        until = _time(b, keys.get("until"))
        if "until" not in keys:
            b.error(section.line, f"[temporary {name}] needs until (UTC: 2026-11-29T18:02:00Z)")
        start = _time(b, keys.get("from"))
        if until is None or ("from" in keys and start is None):
            ok = False
        elif start is not None and start >= until:
            b.error(keys["from"].line, f"from {format_time(start)} is not before until {format_time(until)}")
            ok = False
        granted_by = keys["granted_by"].value.strip() if "granted_by" in keys else ""
        if ok and until is not None:
            grants.append(TemporaryGrant(name, environment, role, until, reason, team, user, start, granted_by))
    return grants


def check_expired(now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> OrgCheck:
    """The check that warns about every ``[temporary ID]`` whose ``until`` has passed (``now()``)."""

    def check(org: Org, sections: Sections) -> list[Problem]:
        moment = now()
        return [sections.warning("temporary", g.id, f"temporary grant '{g.id}' expired at {format_time(g.until)}: "
                                 f"IAM no longer honours it; `awsroles revoke --temporary {g.id}` removes the "
                                 "section") for g in org.expired_temporary(moment)]

    return check
