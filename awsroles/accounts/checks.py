"""Whole-model check of the org file's guardrails: the SCP each target's guardrails make must fit in
Organizations' 5,120 characters (``awsroles validate`` passes it to the org parser; the plan refuses
such an SCP too, as a conflict)."""

from __future__ import annotations

from awsroles.accounts import guardrails
from awsroles.errors import Problem
from awsroles.org.checks import Sections
from awsroles.org.entries import SCP_ROOT
from awsroles.org.model import Org


def check_scps(org: Org, sections: Sections) -> list[Problem]:
    """Each target whose guardrails make an SCP over the limit, at its section's line."""
    ctx = guardrails.context(org)
    problems: list[Problem] = []
    for target in org.scp_targets:
        for message in guardrails.check(target.guardrails, ctx) if target.guardrails else []:
            kind, name = ("org", "") if target.kind == SCP_ROOT else (target.kind, target.name)
            problems.append(sections.error(kind, name, f"{target.label}: {message}"))
    return problems
