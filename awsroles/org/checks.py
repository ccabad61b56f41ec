"""Checks that need the whole model, and how such a check reports at a section's line.

A whole-model check is a function ``(org, sections) -> problems``: it runs once the org file has
no other error, and :class:`Sections` turns "at the [team backend] section" into ``FILE:LINE``.
The org's own cross-reference checks are here (:func:`check_references`); checks that need more
than the org (the sizes of the IAM documents generated from it, ``iam/checks.py``) are
passed in by the caller of :func:`awsroles.org.parse.parse_org`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from awsroles.errors import Problem
from awsroles.org import limits
from awsroles.org.durations import format_duration
from awsroles.org.marks import EVERYONE_GROUP
from awsroles.org.model import Org


@dataclass(frozen=True)
class Sections:
    """Where each section of one org file starts: ``(kind, name) -> line`` (``("org", "")`` for [org])."""

    file: str
    lines: Mapping[tuple[str, str], int]

    def line(self, kind: str, name: str = "") -> int:
        return self.lines.get((kind, name), 1)

    def error(self, kind: str, name: str, message: str) -> Problem:
        """An error reported at the line of section ``[kind name]``."""
        return Problem(self.file, self.line(kind, name), message)

    def warning(self, kind: str, name: str, message: str) -> Problem:
        return Problem(self.file, self.line(kind, name), message, "warning")


OrgCheck = Callable[[Org, Sections], list[Problem]]


def check_references(org: Org, sections: Sections) -> list[Problem]:
    """Group counts and unused definitions: users in no team or too many, roles granted nowhere."""
    problems: list[Problem] = []
    for user in org.users:
        teams = org.teams_of(user.name)
        if not teams:
            problems.append(sections.warning("user", user.name, f"user '{user.name}' is in no team"))
        elif len(teams) + 1 > limits.GROUPS_PER_USER:
            problems.append(sections.error(
                "user", user.name, f"user '{user.name}' is in {len(teams)} teams; IAM allows "
                f"{limits.GROUPS_PER_USER} groups per user and awsroles uses one ({EVERYONE_GROUP})"))
    granted = {g.role for t in org.teams for g in t.grants} | {g.role for g in org.temporary_grants}
    for role in org.roles:
        if role.name not in granted:
            problems.append(sections.warning("role", role.name,
                                             f"role '{role.name}' is granted to no team, so it is created nowhere"))
        elif org.session_duration > role.max_session:
            problems.append(sections.warning(
                "role", role.name, f"role '{role.name}' max_session {format_duration(role.max_session)} is shorter "
                f"than the org session_duration {format_duration(org.session_duration)}; sessions will be shortened"))
    return problems
