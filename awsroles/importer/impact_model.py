"""The impact report's items (:class:`Impact`, the :data:`KINDS` in report order), the credentials it
names (:class:`UserCredentials`), and what its parts share: who may use a role, how roles and
environments read in a sentence (:mod:`awsroles.importer.impact`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from awsroles.org.model import Org
from awsroles.sync.plan import Change
from awsroles.sync.state import Document

KINDS = ("source-identity", "role-mfa", "assume-mfa", "trust-narrowed", "mfa", "moved", "replaced",
         "grant-removed", "grant-moved", "policy-removed", "boundary-removed", "boundary-set", "kept")


@dataclass(frozen=True)
class UserCredentials:
    """What one IAM user signs in with, as read for the report (:mod:`awsroles.importer.credentials`)."""

    mfa_devices: tuple[str, ...] = ()  # serial numbers
    access_keys: tuple[str, ...] = ()  # ids of the active keys
    console: bool = False  # has a console password


@dataclass(frozen=True)
class Impact:
    """One behaviour that changes (or is kept) at the first apply, and for whom."""

    kind: str  # one of KINDS
    subject: str  # what it is about: "role admin in dev, prod", "user alice", "team platform"
    people: tuple[str, ...]  # IAM user names affected
    change: str  # what changes, in plain language
    todo: str = ""  # what the people (or the admin) do about it

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "people": list(self.people), "change": self.change,
                "todo": self.todo}


def granted_people(org: Org) -> dict[tuple[str, str], set[str]]:
    """(environment, role) -> the people the org file lets assume it."""
    out: dict[tuple[str, str], set[str]] = {}
    for team in org.teams:
        for grant in team.grants:
            out.setdefault((grant.environment, grant.role), set()).update(team.members)
    return out


def environment_of(org: Org, account: str) -> str:
    found = next((a for a in org.accounts if a.name == account), None)
    return (found.environment if found is not None else None) or account


def roles_text(roles: Iterable[tuple[str, str]]) -> str:
    by_name: dict[str, list[str]] = {}
    for environment, role in sorted(roles, key=lambda r: (r[1], r[0])):
        by_name.setdefault(role, []).append(environment)
    return "; ".join(f"{role} in {', '.join(envs)}" for role, envs in by_name.items())


def calls(change: Change, *names: str) -> list[dict[str, Any]]:
    return [params for call, params in change.ops if call in names]


def document_of(value: Any) -> Document:
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return dict(value) if isinstance(value, Mapping) else {}
