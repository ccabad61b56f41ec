"""The org file's guardrails vocabulary: the names a ``guardrails`` list may hold, and its parsing.

What each guardrail denies, statement by statement, and the one SCP made of a list, are
:mod:`awsroles.accounts.guardrails` (which builds on this table); here is only what validate
needs to read the org file, so that ``awsroles.org`` depends on nothing but itself.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")  # eu-west-1, us-gov-west-1, ap-southeast-5

# name -> (what it does, in one line; whether it takes arguments, region names)
NAMES: dict[str, tuple[str, bool]] = {
    "deny-leave-organization": ("no account can leave the organization", False),
    "deny-root-user": ("the root user of a member account can do nothing", False),
    "protect-awsroles": ("awsroles' roles, policies and bootstrap role change only through the bootstrap role",
                         False),
    "protect-security-services": ("CloudTrail, AWS Config and GuardDuty cannot be stopped or reconfigured", False),
    "allowed-regions": ("nothing outside the regions listed, but global services", True),
}


@dataclass(frozen=True)
class Guardrail:
    """One entry of an org file's ``guardrails`` list: a name from :data:`NAMES`, and its arguments."""

    name: str
    arguments: tuple[str, ...] = ()

    def __str__(self) -> str:
        return " ".join((self.name, *self.arguments))


def parse(text: str) -> tuple[list[Guardrail], list[str]]:
    """An org file's ``guardrails`` value (entries separated by commas or lines; an entry is a name and,
    for ``allowed-regions``, regions separated by spaces) -> the guardrails, and a problem per bad entry."""
    found: list[Guardrail] = []
    problems: list[str] = []
    seen: set[str] = set()
    for entry in (e.strip() for e in re.split(r"[,\n]", text)):
        if not entry:
            continue
        name, *arguments = entry.split()
        if name not in NAMES:
            close = difflib.get_close_matches(name, NAMES, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(NAMES)}"
            problems.append(f"unknown guardrail {name!r}: {hint}")
            continue
        if name in seen:
            problems.append(f"guardrail {name} is listed twice")
            continue
        seen.add(name)
        takes = NAMES[name][1]
        if takes and not arguments:
            problems.append(f"{name} needs at least one region: {name} eu-west-1 eu-central-1")
            continue
        if not takes and arguments:
            problems.append(f"{name} takes no arguments (got {' '.join(arguments)!r})")
            continue
        bad = [a for a in arguments if not REGION.match(a)]
        if bad:
            problems.append(f"{name}: not a region name: {', '.join(bad)} (expected names such as eu-west-1)")
            continue
        found.append(Guardrail(name, tuple(arguments)))
    return found, problems
