"""Pure functions: the org model -> IAM policy documents, and their canonical JSON form.

Every document is canonical and byte-stable (:mod:`awsroles.org.jsondoc`: fixed key order, sorted
statements and value lists, two-space indentation and a final newline) with meaningful Sids, so a
regenerated export diffs cleanly.
"""

from __future__ import annotations

import json
import re
from typing import Any

from awsroles.org import limits
from awsroles.org.entries import Team, TemporaryGrant
from awsroles.org.jsondoc import Document as Document
from awsroles.org.jsondoc import canonical as canonical
from awsroles.org.jsondoc import canonical_json as canonical_json
from awsroles.org.jsondoc import compact_size
from awsroles.org.model import Org
from awsroles.org.temporary import format_time

VERSION = "2012-10-17"


def policy_size(document: Document | str) -> int:
    """Characters IAM counts toward its size quotas (we count compact JSON, never less than IAM)."""
    return compact_size(document)


def sid(*words: str) -> str:
    """A Sid from words: ``sid("assume", "prod-eu", "roles")`` -> ``AssumeProdEuRoles``."""
    parts = re.split(r"[^A-Za-z0-9]+", " ".join(words))
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


# -- the documents awsroles generates -------------------------------------------------------


def mfa_conditions(org: Org) -> dict[str, dict[str, str]]:
    """Conditions every assume path carries when the org requires MFA."""
    if not org.mfa_required:
        return {}
    return {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": str(org.mfa_max_age)},
    }


def _assume_conditions(org: Org) -> dict[str, dict[str, str]]:
    conditions = mfa_conditions(org)
    conditions["StringEquals"] = {"sts:SourceIdentity": "${aws:username}"}
    return conditions


def people_arn_pattern(org: Org) -> str | list[str]:
    """The ``aws:PrincipalArn`` pattern of awsroles' people: IAM users in the ops account under the
    org's path (``arn:aws:iam::111111111111:user/awsroles/*``), and the exact ARN of each user adopted
    in place at another path (``user/alice``: never a pattern there, where users awsroles does not
    own live)."""
    pattern = f"arn:{org.partition}:iam::{org.ops.id}:user{org.path}*"
    adopted = [f"arn:{org.partition}:iam::{org.ops.id}:user{path}{name}"
               for name, path in sorted(org.adopted_in_place()["user"].items())]
    return [pattern, *adopted] if adopted else pattern


def trust_policy(org: Org) -> Document:
    """Trust policy of every awsroles role: awsroles' people in the ops account, with MFA and SourceIdentity.

    The principal is the ops account, narrowed by ``ArnLike aws:PrincipalArn`` to IAM users under
    the org's path: a user or role elsewhere in the ops account cannot assume the role, whatever
    its own policies allow. ``aws:PrincipalArn`` is the IAM user's ARN for its long-term key and
    for its ``GetSessionToken`` (MFA) sessions alike; a role session has the role's ARN, so no
    role can match. Each team's policy then names exactly its role ARNs, and the role insists
    that the session names the IAM user. Users adopted in place at another path are named one by
    one, by exact ARN (:func:`people_arn_pattern`).
    """
    conditions: dict[str, dict[str, Any]] = dict(_assume_conditions(org))
    conditions["ArnLike"] = {"aws:PrincipalArn": people_arn_pattern(org)}
    statement = {
        "Sid": "AssumeFromOpsAccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{org.partition}:iam::{org.ops.id}:root"},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Condition": conditions,
    }
    return canonical({"Version": VERSION, "Statement": [statement]})


# The room a team's policy has: IAM's inline policy characters per group, less the marker policy every
# awsroles group carries (awsroles.iam.desired.GROUP_MARKER_POLICY, this document).
GROUP_MARKER_DOCUMENT: Document = {"Version": VERSION, "Statement": [
    {"Sid": "OwnershipMarkerGrantsNothing", "Effect": "Deny", "Action": "iam:GetGroup", "NotResource": "*"}]}
TEAM_POLICY_ROOM = limits.GROUP_INLINE_POLICIES_MAX - compact_size(GROUP_MARKER_DOCUMENT)
PER_ENVIRONMENT, PER_ROLE = "per-environment", "per-role"  # the inline forms of a team's standing grants
MANAGED = "managed"  # the per-role statements in customer managed policies attached to the team's group
TEAM_MANAGED_POLICIES_MAX = 10  # IAM: managed policies attached to one group (not adjustable)


def team_policy(org: Org, team: Team, temporary: tuple[TemporaryGrant, ...] = ()) -> Document:
    """The ops-side policy of a team: assume exactly the granted roles, and one statement per
    temporary grant of the team in ``temporary`` (:func:`temporary_statement`).

    The standing grants take one of two forms (:func:`team_policy_form`): one statement per
    environment naming each granted role's ARN while that fits the group's room
    (:data:`TEAM_POLICY_ROOM`; a person reads it as the grants), else one statement per role over
    that role in any account, limited by ``aws:ResourceAccount`` to the accounts of the
    environments it is granted in. Both carry the same MFA and SourceIdentity conditions and allow
    exactly the same roles. When even the per-role form outgrows the room, the standing grants move
    to customer managed policies (:data:`MANAGED`, :func:`team_managed_policies`) and this inline
    policy keeps the rest (temporary grants, replaced roles): it may then have no statement at all."""
    return _team_policy(org, team, temporary, team_policy_form(org, team, temporary))


def team_policy_form(org: Org, team: Team, temporary: tuple[TemporaryGrant, ...] = ()) -> str:
    """:data:`PER_ENVIRONMENT` while that form fits the group's room, else :data:`PER_ROLE` while that
    one does, else :data:`MANAGED` (the size check then refuses a team that does not fit even so,
    naming the form and its sizes)."""
    if compact_size(_team_policy(org, team, temporary, PER_ENVIRONMENT)) <= TEAM_POLICY_ROOM:
        return PER_ENVIRONMENT
    if compact_size(_team_policy(org, team, temporary, PER_ROLE)) <= TEAM_POLICY_ROOM:
        return PER_ROLE
    return MANAGED


def team_managed_policies(org: Org, team: Team, temporary: tuple[TemporaryGrant, ...] = ()) -> tuple[Document, ...]:
    """The customer managed policies of a team in the :data:`MANAGED` form (none in the others): its
    per-role statements (:func:`_per_role_statements`), in order, each policy filled up to IAM's
    6,144 characters (:data:`limits.MANAGED_POLICY_MAX`, white space not counted). A role granted
    in more accounts than one statement can hold in one policy is split into several statements,
    each over a part of the accounts (``AssumeAdminInAccounts``, ``AssumeAdminInAccounts2``, ...):
    together they allow exactly what the one statement would."""
    if team_policy_form(org, team, temporary) != MANAGED:
        return ()
    # By role, each over its accounts in order: the same grants pack the same, however the file orders them.
    statements = sorted(_per_role_statements(org, team), key=lambda st: str(st["Resource"]))
    for statement in statements:
        statement["Condition"]["StringEquals"]["aws:ResourceAccount"] = sorted(
            statement["Condition"]["StringEquals"]["aws:ResourceAccount"])
    return tuple(canonical({"Version": VERSION, "Statement": part})
                 for part in _pack(statements, limits.MANAGED_POLICY_MAX))


def _pack(statements: list[Document], room: int) -> list[list[Document]]:
    """``statements`` into documents of at most ``room`` characters each, in order; a statement too
    big for a document of its own is split over its ``aws:ResourceAccount`` list."""
    def fits(part: list[Document]) -> bool:
        return compact_size({"Version": VERSION, "Statement": part}) <= room

    def with_accounts(statement: Document, ids: list[str], name: str) -> Document:
        condition = {k: dict(v) for k, v in statement["Condition"].items()}
        condition["StringEquals"]["aws:ResourceAccount"] = ids
        return {**statement, "Sid": name, "Condition": condition}

    taken = {str(st["Sid"]).lower() for st in statements}
    documents: list[list[Document]] = []
    current: list[Document] = []
    for statement in statements:
        if fits([*current, statement]):
            current.append(statement)
            continue
        if current and fits([statement]):
            documents.append(current)
            current = [statement]
            continue
        ids = list(statement["Condition"]["StringEquals"]["aws:ResourceAccount"])
        name, number = str(statement["Sid"]), 2
        while ids:
            low, high = 0, len(ids)  # the most accounts that still fit in the current document
            while low < high:
                middle = (low + high + 1) // 2
                if fits([*current, with_accounts(statement, ids[:middle], name)]):
                    low = middle
                else:
                    high = middle - 1
            if low == 0:
                if not current:
                    raise ValueError(f"statement {name} does not fit a managed policy even with one account")
                documents.append(current)
                current = []
                continue
            current.append(with_accounts(statement, ids[:low], name))
            ids = ids[low:]
            if ids:
                documents.append(current)
                current = []
                base = str(statement["Sid"])
                while f"{base}{number}".lower() in taken:
                    number += 1
                name = f"{base}{number}"
                taken.add(name.lower())
                number += 1
    if current:
        documents.append(current)
    return documents


def _team_policy(org: Org, team: Team, temporary: tuple[TemporaryGrant, ...], form: str) -> Document:
    statements = (_per_role_statements(org, team) if form == PER_ROLE else
                  [] if form == MANAGED else _per_environment_statements(org, team))
    replaced = _replaced_by_env(org, team)
    statements += [
        {
            # A hand-made role a granted role replaces (``replaces``): the team keeps it, as it was
            # used (no SourceIdentity), while people move to the new role; awsroles' MFA rules hold.
            "Sid": sid("assume", env, "replaced", "roles"),
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": arns,
            **({"Condition": mfa_conditions(org)} if org.mfa_required else {}),
        }
        for env, arns in replaced.items()
    ]
    statements += [temporary_statement(org, g) for g in temporary if g.team == team.name]
    return canonical({"Version": VERSION, "Statement": statements})


def _per_environment_statements(org: Org, team: Team) -> list[Document]:
    """One Sid per environment: assume exactly the granted role ARNs there."""
    by_env: dict[str, list[str]] = {}
    for grant in team.grants:
        by_env.setdefault(grant.environment, []).append(org.role_arn(grant.environment, grant.role))
    return [
        {
            "Sid": sid("assume", env, "roles"),
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Resource": arns,
            "Condition": _assume_conditions(org),
        }
        for env, arns in by_env.items()
    ]


def _per_role_statements(org: Org, team: Team) -> list[Document]:
    """One Sid per role: the role at its path in any account (``arn:PARTITION:iam::*:role/PATH/NAME``),
    where ``aws:ResourceAccount`` (the account that owns the role: IAM User Guide, "AWS global
    condition context keys") is one of the accounts of the environments the team is granted it in."""
    by_role: dict[str, list[str]] = {}
    for grant in team.grants:
        account = org.environment_account(grant.environment)
        org.require_ids((account,))
        by_role.setdefault(grant.role, []).append(account.id)
    statements: list[Document] = []
    taken: set[str] = set()
    for role, ids in by_role.items():
        name = base = sid("assume", role, "in", "accounts")
        number = 2
        while name.lower() in taken:  # two role names that differ only in punctuation
            name, number = f"{base}{number}", number + 1
        taken.add(name.lower())
        conditions: dict[str, dict[str, Any]] = {k: dict(v) for k, v in _assume_conditions(org).items()}
        conditions["StringEquals"]["aws:ResourceAccount"] = ids
        statements.append({
            "Sid": name,
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Resource": f"arn:{org.partition}:iam::*:role{org.role_path(role)}{role}",
            "Condition": conditions,
        })
    return statements


def _replaced_by_env(org: Org, team: Team) -> dict[str, list[str]]:
    """environment -> the ARNs of the hand-made roles that ``team``'s granted roles replace there
    (``replaces``, not yet ``retires``)."""
    roles = {r.name: r for r in org.roles}
    found: dict[str, list[str]] = {}
    for grant in team.grants:
        role = roles.get(grant.role)
        if role is None or not role.replaces or role.retire:
            continue
        account = org.environment_account(grant.environment)
        org.require_ids((account,))
        found.setdefault(grant.environment, []).append(f"arn:{org.partition}:iam::{account.id}:role{role.replaces}")
    return found


TEMPORARY_SID_PREFIX = "Temporary"


def temporary_sid(grant_id: str) -> str:
    """The Sid of a temporary grant's statement: ``Temporary`` and its id with each '-' as 'X'
    (``t-1402-backend`` -> ``TemporarytX1402Xbackend``). Ids are lower-case, so this is one-to-one:
    two grants never share a statement, and the id reads back from the Sid (:func:`temporary_id`)."""
    return TEMPORARY_SID_PREFIX + grant_id.replace("-", "X")


def temporary_id(statement_sid: str) -> str | None:
    """The id of the temporary grant a Sid belongs to (None: not a temporary grant's)."""
    rest = statement_sid[len(TEMPORARY_SID_PREFIX):] if statement_sid.startswith(TEMPORARY_SID_PREFIX) else ""
    if not rest or not re.fullmatch(r"[a-z0-9X]+", rest):
        return None
    return rest.replace("X", "-")


def temporary_statement(org: Org, grant: TemporaryGrant) -> dict[str, Any]:
    """A temporary grant's statement: what a standing grant allows on the role's ARN (MFA and
    SourceIdentity conditions included), bounded by ``aws:CurrentTime``: IAM itself stops honouring
    it at ``until`` (and before ``from``), whether awsroles ever runs again or not."""
    conditions: dict[str, dict[str, str]] = _assume_conditions(org)
    conditions["DateLessThan"] = {"aws:CurrentTime": format_time(grant.until)}
    if grant.start is not None:
        conditions["DateGreaterThan"] = {"aws:CurrentTime": format_time(grant.start)}
    return {
        "Sid": temporary_sid(grant.id),
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Resource": org.role_arn(grant.environment, grant.role),
        "Condition": conditions,
    }


def user_temporary_policy(org: Org, grants: tuple[TemporaryGrant, ...]) -> Document:
    """A person's own inline policy ``awsroles-temporary``: one statement per temporary grant."""
    return canonical({"Version": VERSION, "Statement": [temporary_statement(org, g) for g in grants]})


def temporary_grants_in(document: Document | str) -> dict[str, str]:
    """Temporary grant id -> its ``until`` in a policy document (live or desired)."""
    data = json.loads(document) if isinstance(document, str) else document
    statements = data.get("Statement", []) if isinstance(data, dict) else []
    out: dict[str, str] = {}
    for st in statements if isinstance(statements, list) else [statements]:
        if isinstance(st, dict) and isinstance(st.get("Sid"), str) and (found := temporary_id(st["Sid"])):
            condition = st.get("Condition")
            until = condition.get("DateLessThan", {}) if isinstance(condition, dict) else {}
            out[found] = str(until.get("aws:CurrentTime", "")) if isinstance(until, dict) else ""
    return out

