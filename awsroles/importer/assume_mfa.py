"""Pure: who could assume their roles without MFA before the first apply, and cannot after it.

In a hand-made org, a group's policy often allows ``sts:AssumeRole`` with no MFA condition, or
with ``BoolIfExists aws:MultiFactorAuthPresent`` (true when MFA was used, *and* when the key is
absent: requests signed with a long-term access key carry no MFA key at all, IAM User Guide,
"AWS global condition context keys", aws:MultiFactorAuthPresent). A cross-account AssumeRole needs
both the caller's identity policies and the role's trust policy to allow it, so a person could
assume a role without MFA when some policy of theirs (their groups' inline and customer managed
policies, their own) allows it without requiring MFA *and* the role's trust policy does too.

When the org requires MFA, the first apply writes awsroles' team policy and trust policy, which
require it (``Bool aws:MultiFactorAuthPresent true`` and an MFA age): such a person then needs an
MFA session for every role the org file grants them, and their access keys alone can no longer
assume any. :func:`assume_without_mfa` finds them, per person, with the roles and why.

Not seen: AWS managed policies attached to a group or user (their documents are not read: an
``AdministratorAccess`` group allows assuming any role), and Deny statements elsewhere that already
refused requests without MFA (then nothing changes for that person in practice).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from awsroles.importer.documents import per_role, statements_of
from awsroles.org.model import Org
from awsroles.sync.state import Document, LiveAccount

REQUIRED, IF_PRESENT, NONE = "required", "if-present", "none"
_MFA_PRESENT = "aws:multifactorauthpresent"
_MFA_AGE = "aws:multifactorauthage"


@dataclass(frozen=True)
class WithoutMfa:
    """One person who could assume some of their roles without MFA."""

    user: str
    roles: tuple[tuple[str, str], ...]  # (environment, role), sorted
    reasons: tuple[str, ...]  # what allowed it: "policy assume-admin of group Admins (no MFA condition)", ...


def mfa_requirement(statement: Mapping[str, Any]) -> str:
    """How a statement asks for MFA: ``required`` (``Bool`` true, or a ``Numeric*`` MFA age: both false
    when the key is absent), ``if-present`` (the same with ``IfExists``: long-term keys pass) or
    ``none``."""
    condition = statement.get("Condition")
    found = NONE
    for operator, pairs in condition.items() if isinstance(condition, Mapping) else ():
        if not isinstance(pairs, Mapping):
            continue
        keys = {str(k).lower(): v for k, v in pairs.items()}
        op = str(operator)
        exists = op.endswith("IfExists")
        base = op.removesuffix("IfExists")
        if _MFA_PRESENT in keys and base == "Bool" and _truthy(keys[_MFA_PRESENT]):
            if not exists:
                return REQUIRED
            found = IF_PRESENT
        if _MFA_AGE in keys and base.startswith("NumericLessThan"):
            if not exists:
                return REQUIRED
            found = IF_PRESENT
    return found


def _truthy(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(str(v).lower() == "true" for v in values)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []


def _allows_assume(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow" and any(
        fnmatch.fnmatchcase("sts:assumerole", a.lower()) for a in _listed(statement.get("Action")))


def _without_mfa(document: Document) -> list[tuple[list[str], str]]:
    """(resources, requirement) of each statement allowing sts:AssumeRole without requiring MFA."""
    out = []
    for statement in statements_of(document):
        if _allows_assume(statement):
            requirement = mfa_requirement(statement)
            if requirement != REQUIRED:
                out.append((per_role(statement)[1], requirement))  # per-role form: each account listed
    return out


def _trust_without_mfa(document: Document, ops_id: str, user_arn: str) -> str | None:
    """How the trust policy lets ``user_arn`` of the ops account in without MFA (None: it does not)."""
    for statement in statements_of(document):
        if not _allows_assume(statement):
            continue
        principal = statement.get("Principal")
        names = _listed(principal.get("AWS")) if isinstance(principal, Mapping) else _listed(principal)
        if not any(n in ("*", ops_id, f"arn:aws:iam::{ops_id}:root", user_arn) or n.endswith(f"::{ops_id}:root")
                   for n in names):
            continue
        requirement = mfa_requirement(statement)
        if requirement != REQUIRED:
            return requirement
    return None


_SAID = {NONE: "no MFA condition", IF_PRESENT: "MFA only if present (IfExists): access keys pass"}


def assume_without_mfa(org: Org, live: Mapping[str, LiveAccount]) -> tuple[WithoutMfa, ...]:
    """The org file's people who could assume roles it grants them without MFA, as IAM stands now
    (nothing when the org does not require MFA, or people come through IAM Identity Center)."""
    ops = live.get(org.ops_account)
    if not org.mfa_required or not org.uses_iam_users or ops is None:
        return ()
    groups = {**ops.other_groups, **ops.groups}
    out = []
    for user in org.users:
        live_user = ops.users.get(user.name)
        if live_user is None:
            continue
        sources: list[tuple[str, Document]] = []
        for name in live_user.groups:
            group = groups.get(name)
            if group is None:
                continue
            sources += [(f"policy {p} of group {name}", d) for p, d in sorted(group.inline.items())]
            sources += [(f"policy {a.rsplit('/', 1)[-1]} of group {name}", ops.documents[a])
                        for a in group.managed if a in ops.documents]
        sources += [(f"{user.name}'s own policy {p}", d) for p, d in sorted(live_user.inline.items())]
        sources += [(f"{user.name}'s own policy {a.rsplit('/', 1)[-1]}", ops.documents[a])
                    for a in live_user.managed if a in ops.documents]
        allowing = [(label, resources, requirement) for label, document in sources
                    for resources, requirement in _without_mfa(document)]
        if not allowing:
            continue
        user_arn = f"arn:{org.partition}:iam::{org.ops.id}:user{live_user.path}{user.name}"
        roles: set[tuple[str, str]] = set()
        reasons: set[str] = set()
        for environment, role_name in _granted(org, user.name):
            account = org.environments.get(environment)
            state = live.get(account.name) if account is not None else None
            role = state.roles.get(role_name) if state is not None else None
            if account is None or role is None:
                continue
            arn = f"arn:{org.partition}:iam::{account.id}:role{role.path}{role.name}"
            by = [(label, requirement) for label, resources, requirement in allowing
                  if any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources)]
            trust = _trust_without_mfa(role.trust_policy, org.ops.id, user_arn)
            if not by or trust is None:
                continue
            roles.add((environment, role_name))
            reasons.update(f"{label} ({_SAID[requirement]})" for label, requirement in by)
            reasons.add(f"the trust policy of {role_name} in {environment} ({_SAID[trust]})")
        if roles:
            out.append(WithoutMfa(user.name, tuple(sorted(roles)), tuple(sorted(reasons))))
    return tuple(out)


def _granted(org: Org, user: str) -> Iterable[tuple[str, str]]:
    return sorted({(g.environment, g.role) for team in org.teams_of(user) for g in team.grants})
