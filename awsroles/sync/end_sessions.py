"""End live role sessions now: write the ``awsroles-revoked-sessions`` deny to roles awsroles owns.

Used by ``revoke --end-sessions``, ``users disable`` and ``users offboard``, through the same
per-account IAM clients apply uses (``iam_for(account)``). :func:`prepare` reads each role (its
max_session, its inline policies) and builds the document; :func:`write` puts it. Only roles at
the org's path carrying awsroles' mark are touched; a role that does not exist (never applied)
has no sessions to end and is skipped. See :mod:`awsroles.iam.revocations` for the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from awsroles.errors import aws_error_code
from awsroles.iam import revocations
from awsroles.iam.policies import policy_size
from awsroles.org.entries import Account, TemporaryGrant
from awsroles.org.model import Org
from awsroles.sync.state import _document, is_marked


@dataclass(frozen=True)
class SessionEnd:
    """One role whose sessions issued before ``at`` to ``people`` are to be refused."""

    environment: str
    account: str
    account_id: str
    role: str
    people: tuple[str, ...]
    at: str  # ISO 8601 UTC
    document: str | None  # the role's whole awsroles-revoked-sessions policy after the change
    skipped: str = ""  # why nothing is written (no such role, not awsroles')

    @property
    def description(self) -> str:
        where = f"role {self.role} in {self.environment} ({self.account_id})"
        if self.skipped:
            return f"{where}: nothing to do ({self.skipped})"
        if self.people == (revocations.EVERYONE,):
            return (f"{where}: refuse every session issued before {self.at} (its sessions do not say whose they "
                    "are: whoever still needs it assumes it again)")
        return f"{where}: refuse sessions of {', '.join(self.people)} issued before {self.at}"

    def as_dict(self) -> dict[str, Any]:
        return {"environment": self.environment, "account": self.account, "account_id": self.account_id,
                "role": self.role, "people": list(self.people), "issued_before": self.at,
                "policy": revocations.POLICY_NAME, "skipped": self.skipped}


def granted_to(org: Org, person: str) -> tuple[list[tuple[str, str]], list[TemporaryGrant]]:
    """What ``person`` may use: the (environment, role) of their teams' grants, in file order, and
    the temporary grants to them or their teams, expired ones too (a session from one may still be
    live)."""
    standing: list[tuple[str, str]] = []
    teams = org.teams_of(person)
    for team in teams:
        for grant in team.grants:
            if (grant.environment, grant.role) not in standing:
                standing.append((grant.environment, grant.role))
    names = {team.name for team in teams}
    return standing, [t for t in org.temporary_grants if t.user == person or t.team in names]


def roles_of(org: Org, person: str) -> list[tuple[str, str]]:
    """Every (environment, role) ``person`` may assume through their teams, then through temporary
    grants (:func:`granted_to`), then the break-glass roles that name them, in file order."""
    seen, temporary_grants = granted_to(org, person)
    for temporary in temporary_grants:
        if (temporary.environment, temporary.role) not in seen:
            seen.append((temporary.environment, temporary.role))
    for glass in org.break_glass:
        if person in glass.people and (glass.environment, glass.role) not in seen:
            seen.append((glass.environment, glass.role))
    return seen


def _inline(iam: Any, role: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        for name in page.get("PolicyNames", []):
            out[name] = _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
    return out


def prepare(org: Org, iam_for: Callable[[Account], Any], targets: Iterable[tuple[str, str]],
            people: Iterable[str], now: datetime) -> list[SessionEnd]:
    """For each (environment, role): the revocation of ``people``'s sessions issued before ``now``,
    merged into the role's live policy (expired statements dropped, size checked). Reads only."""
    new = revocations.revocation(now, people)
    out = []
    for environment, role in targets:
        account = org.environment_account(environment)
        base = (environment, account.name, account.id, role, new.people, new.issued_before)
        if account.pending:
            out.append(SessionEnd(*base, None, "the account does not exist yet"))
            continue
        iam = iam_for(account)
        try:
            live = iam.get_role(RoleName=role)["Role"]
        except Exception as exc:
            if aws_error_code(exc) not in ("NoSuchEntity", "NoSuchEntityException"):
                raise
            out.append(SessionEnd(*base, None, "the role does not exist, so no session of it does"))
            continue
        tags = {t["Key"]: t["Value"] for t in live.get("Tags", [])}
        if live.get("Path") != org.role_path(role) or not is_marked(tags):
            out.append(SessionEnd(*base, None, "not awsroles' role: never changed"))
            continue
        inline = _inline(iam, role)
        current = inline.pop(revocations.POLICY_NAME, None)
        others = sum(policy_size(d) for d in inline.values())
        document = revocations.add(current, new, now=now, max_session=int(live.get("MaxSessionDuration", 3600)),
                                   other_inline_size=others, role=f"role {role} in {environment}")
        out.append(SessionEnd(*base, document))
    return out


def write(org: Org, iam_for: Callable[[Account], Any], ends: Iterable[SessionEnd]) -> list[SessionEnd]:
    """Put each prepared policy; returns those written."""
    done = []
    for end in ends:
        if end.skipped or end.document is None:
            continue
        iam_for(org.account(end.account)).put_role_policy(
            RoleName=end.role, PolicyName=revocations.POLICY_NAME, PolicyDocument=end.document)
        done.append(end)
    return done
