"""The impact report's findings about assuming roles: trust policies replaced by awsroles' (a source
identity required, MFA required or more recent, principals narrowed to the org's users), and people
who could assume their roles without MFA and will need it (:mod:`awsroles.importer.impact`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awsroles.importer.assume_mfa import assume_without_mfa
from awsroles.importer.documents import allows_assume_role, mfa_of, statements_of
from awsroles.importer.impact_model import (
    Impact,
    UserCredentials,
    calls,
    document_of,
    environment_of,
    granted_people,
    roles_text,
)
from awsroles.org.durations import format_duration
from awsroles.org.model import Org
from awsroles.sync.plan import Plan
from awsroles.sync.state import Document, LiveAccount


def _conditions(document: Document) -> list[Mapping[str, Any]]:
    """The conditions of the statements that allow sts:AssumeRole."""
    out = []
    for statement in statements_of(document):
        if allows_assume_role(statement):
            condition = statement.get("Condition")
            out.append(condition if isinstance(condition, Mapping) else {})
    return out


def _has_key(conditions: Mapping[str, Any], key: str) -> bool:
    return any(isinstance(pairs, Mapping) and any(str(k).lower() == key.lower() for k in pairs)
               for pairs in conditions.values())


def requires_source_identity(document: Document) -> bool:
    """Every statement that allows sts:AssumeRole requires ``sts:SourceIdentity`` (None allow it: False)."""
    conditions = _conditions(document)
    return bool(conditions) and all(_has_key(c, "sts:SourceIdentity") for c in conditions)


def narrowed_to_principals(document: Document) -> bool:
    """Every statement that allows sts:AssumeRole names its principals by ``aws:PrincipalArn``."""
    conditions = _conditions(document)
    return bool(conditions) and all(_has_key(c, "aws:PrincipalArn") for c in conditions)


# -- trust policies --------------------------------------------------------------------------------


def trust_impacts(org: Org, plan: Plan, live: Mapping[str, LiveAccount]) -> list[Impact]:
    source: list[tuple[str, str]] = []
    mfa: list[tuple[str, str]] = []
    narrowed: list[tuple[str, str]] = []
    for change in plan.changes:
        if change.kind != "role" or change.action not in ("update", "adopt"):
            continue
        for params in calls(change, "update_assume_role_policy"):
            state = live.get(change.account)
            role = state.roles.get(change.name) if state is not None else None
            if role is None:
                continue
            before, after = role.trust_policy, document_of(params.get("PolicyDocument"))
            key = (environment_of(org, change.account), change.name)
            if requires_source_identity(after) and not requires_source_identity(before):
                source.append(key)
            if _stricter_mfa(mfa_of(before), mfa_of(after)):
                mfa.append(key)
            if narrowed_to_principals(after) and not narrowed_to_principals(before):
                narrowed.append(key)
    granted = granted_people(org)

    def people(roles: list[tuple[str, str]]) -> tuple[str, ...]:
        return tuple(sorted(set().union(*(granted.get(r, set()) for r in roles))))

    out: list[Impact] = []
    if source:
        out.append(Impact(
            "source-identity", f"roles {roles_text(source)}", people(source),
            "After apply these roles can be assumed only with a source identity that is the caller's own IAM user "
            "name (sts:SourceIdentity). `aws sts assume-role` without `--source-identity`, AWS CLI profiles with "
            "role_arn and source_profile (botocore cannot set a source identity) and the console's Switch Role are "
            "refused.",
            "Each person runs `awsroles setup` once, then `awsroles login ENV --role ROLE` (or `exec`, `env`, "
            "`console` instead of Switch Role); `awsroles profiles sync` writes AWS CLI profiles that work."))
    if mfa:
        age = f", signed in with MFA less than {format_duration(org.mfa_max_age)} ago" if org.mfa_required else ""
        out.append(Impact(
            "role-mfa", f"roles {roles_text(mfa)}", people(mfa),
            f"After apply these roles can be assumed only with an MFA session{age}.",
            "People sign in with MFA: `awsroles login` asks for the code."))
    if narrowed:
        out.append(Impact(
            "trust-narrowed", f"roles {roles_text(narrowed)}", people(narrowed),
            f"After apply these roles trust only IAM users under {org.path} in the ops account ({org.ops.id}): "
            "roles, and users at other paths, that could assume them can no longer.",
            f"Move automation that assumed them to roles awsroles does not manage, or its users under {org.path}."))
    return out


def _stricter_mfa(before: tuple[bool, int | None] | None, after: tuple[bool, int | None] | None) -> bool:
    if after is None or not after[0]:
        return False
    if before is None or not before[0]:
        return True
    return after[1] is not None and (before[1] is None or after[1] < before[1])


# -- roles that could be assumed without MFA -------------------------------------------------------


def assume_mfa_impacts(org: Org, live: Mapping[str, LiveAccount],
                credentials: Mapping[str, UserCredentials] | None) -> list[Impact]:
    out = []
    for person in assume_without_mfa(org, live):
        name = person.user
        found = credentials.get(name) if credentials is not None else None
        after = (f"After apply every role needs an MFA session, signed in with MFA less than "
                 f"{format_duration(org.mfa_max_age)} ago")
        if found is None:
            after += "; their access keys were not read"
        elif found.access_keys:
            after += (f": access key {', '.join(found.access_keys)} alone can no longer assume "
                      f"{'it' if len(person.roles) == 1 else 'them'}")
        else:
            after += " (they have no active access key)"
        change = (f"Could assume {roles_text(person.roles)} without MFA: {'; '.join(person.reasons)}. {after}.")
        todo = ("Assume roles with `awsroles login ENV --role ROLE` (or `exec`, `env`, `console`), which asks for the "
                "MFA code; scripts get an MFA session first (`awsroles exec ENV --role ROLE -- CMD`).")
        if found is not None and not found.mfa_devices:
            enrol = ("they enrol a device themselves (`awsroles setup`)" if org.self_mfa_enrollment
                     else f"an admin enrols one (`awsroles users mfa enroll {name}`)")
            todo = f"They have no MFA device: before apply, {enrol}. " + todo
        out.append(Impact("assume-mfa", f"user {name}", (name,), change, todo))
    return out
