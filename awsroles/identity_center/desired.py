"""Pure: the org model -> exactly what awsroles manages in IAM Identity Center.

The single statement of the Identity Center backend, as :mod:`awsroles.iam.desired` is of IAM's:
the plan, the Terraform export and the import all derive from it.

- every ``[user]`` is an Identity Store user (user name, display, given and family names, e-mail);
- every ``[team]`` is a group ``team-NAME`` whose members are the team's;
- every role granted somewhere is a permission set of the same name: its AWS managed policies, its
  policy files merged into the one inline policy a permission set has, its customer managed
  policy references, its permissions boundary, ``max_session`` as its session duration;
- every grant is an account assignment: the team's group, the role's permission set, the
  environment's account;
- every ``[temporary ID]`` not expired is a permission set of its own, bounded in time, assigned to
  the team's group or the user in the environment's account (:mod:`awsroles.identity_center.temporary`);
- in an org on Identity Center alone, the break-glass permission set (``awsroles-break-glass``),
  assigned to each person a ``[break-glass ENV]`` names in ENV's account: the way to ENV's
  break-glass role, an IAM role (:func:`awsroles.iam.breakglass.identity_center_trust_policy`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from awsroles.identity_center import names, temporary
from awsroles.org.entries import Role, TemporaryGrant
from awsroles.org.identity import split_policy_path
from awsroles.org.jsondoc import canonical_json
from awsroles.org.model import Org

POLICY_VERSION = "2012-10-17"


@dataclass(frozen=True)
class UserSpec:
    user_name: str
    display_name: str
    given_name: str
    family_name: str
    email: str
    user_type: str  # awsroles' mark

    def as_create(self) -> dict[str, object]:
        """The parameters of identitystore ``CreateUser`` (without IdentityStoreId)."""
        params: dict[str, object] = {"UserName": self.user_name, "DisplayName": self.display_name,
                                     "Name": {"GivenName": self.given_name, "FamilyName": self.family_name},
                                     "UserType": self.user_type}
        if self.email:
            params["Emails"] = [{"Value": self.email, "Type": "work", "Primary": True}]
        return params


@dataclass(frozen=True)
class GroupSpec:
    display_name: str
    description: str  # starts with awsroles' mark
    members: tuple[str, ...]  # user names, sorted


@dataclass(frozen=True, order=True)
class CustomerPolicy:
    name: str
    path: str = "/"

    def as_reference(self) -> dict[str, str]:
        return {"Name": self.name, "Path": self.path}


@dataclass(frozen=True)
class Boundary:
    """A permissions boundary: an AWS managed policy ARN, or a customer managed policy reference."""

    managed_arn: str = ""
    customer: CustomerPolicy | None = None

    def as_param(self) -> dict[str, object]:
        if self.customer is not None:
            return {"CustomerManagedPolicyReference": self.customer.as_reference()}
        return {"ManagedPolicyArn": self.managed_arn}

    def __str__(self) -> str:
        if self.customer is not None:
            return f"customer managed {self.customer.path}{self.customer.name}"
        return self.managed_arn


@dataclass(frozen=True)
class PermissionSetSpec:
    name: str
    description: str
    session_duration: str  # ISO 8601: PT1H
    managed: tuple[str, ...]  # AWS managed policy ARNs, sorted
    customer_managed: tuple[CustomerPolicy, ...]  # sorted
    inline: str | None  # canonical JSON of the one inline policy, or None
    boundary: Boundary | None
    tags: tuple[tuple[str, str], ...]
    temporary: str = ""  # a temporary grant's permission set: the grant's ID


@dataclass(frozen=True)
class AssignmentSpec:
    group: str  # the principal's name: a group's display name, or a user's user name (USER)
    permission_set: str
    account: str  # the account's name in the org file
    account_id: str
    principal_type: str = "GROUP"  # GROUP | USER (a temporary grant to one person)

    @property
    def label(self) -> str:
        return f"{self.group} -> {self.permission_set} in {self.account}"


@dataclass(frozen=True)
class IdentityCenterSpec:
    users: tuple[UserSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    permission_sets: tuple[PermissionSetSpec, ...] = ()
    assignments: tuple[AssignmentSpec, ...] = ()


def customer_policy(reference: str) -> CustomerPolicy:
    split = split_policy_path(reference)
    if split is None:  # the org file's reader has checked it already
        raise ValueError(f"not a customer managed policy reference: {reference}")
    path, name = split
    return CustomerPolicy(name, path)


def boundary_of(role: Role) -> Boundary | None:
    if not role.boundary:
        return None
    if role.boundary.startswith("arn:"):
        return Boundary(managed_arn=role.boundary)
    return Boundary(customer=customer_policy(role.boundary))


def merged_inline(role: Role) -> str | None:
    """The role's policy files as one document (a permission set has one inline policy): their
    statements in file order. Statement ids must be unique across the files (``checks``)."""
    if not role.policies:
        return None
    statements: list[object] = []
    for policy in role.policies:
        document = json.loads(policy.document)
        found = document.get("Statement", [])
        statements.extend(found if isinstance(found, list) else [found])
    return canonical_json({"Version": POLICY_VERSION, "Statement": statements})


def settings_digest(description: str, session_duration: str, managed: Iterable[str],
                    customer_managed: Iterable[tuple[str, str]], inline: str | None,
                    boundary: Mapping[str, Any] | None) -> str:
    """The digest of a permission set's settings, from the desired spec or the live permission set
    alike: kept in its ``awsroles-digest`` tag, so that a change made outside awsroles is drift."""
    document = canonical_json(json.loads(inline)) if inline else None
    text = json.dumps({"description": description, "session": session_duration, "managed": sorted(managed),
                       "customer": sorted([list(c) for c in customer_managed]), "inline": document,
                       "boundary": dict(boundary) if boundary else None}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def spec_digest(spec: PermissionSetSpec) -> str:
    return settings_digest(spec.description, spec.session_duration, spec.managed,
                           [(c.name, c.path) for c in spec.customer_managed], spec.inline,
                           spec.boundary.as_param() if spec.boundary else None)


def permission_set(org: Org, role: Role) -> PermissionSetSpec:
    spec = PermissionSetSpec(
        name=role.name,
        description=role.description[: names.DESCRIPTION_MAX],
        session_duration=names.iso_duration(role.max_session),
        managed=tuple(sorted(role.managed)),
        customer_managed=tuple(sorted(customer_policy(r) for r in role.customer_managed)),
        inline=merged_inline(role),
        boundary=boundary_of(role),
        tags=names.permission_set_tags(org.name),
    )
    return replace(spec, tags=tuple(sorted((*spec.tags, (names.DIGEST_TAG, spec_digest(spec))))))


def temporary_permission_set(org: Org, role: Role, grant: TemporaryGrant) -> PermissionSetSpec:
    """A temporary grant's own permission set: its role's, bounded in time (:mod:`.temporary`)."""
    spec = replace(permission_set(org, role), name=temporary.permission_set_name(grant.id),
                   description=temporary.description(grant, names.DESCRIPTION_MAX),
                   session_duration=temporary.SESSION, inline=temporary.inline_policy(role, grant),
                   tags=names.permission_set_tags(org.name), temporary=grant.id)
    return replace(spec, tags=tuple(sorted((*spec.tags, (temporary.TAG, grant.id),
                                            (names.DIGEST_TAG, spec_digest(spec))))))


def break_glass_permission_set(org: Org) -> PermissionSetSpec:
    """In an org on IAM Identity Center alone, the permission set each person a ``[break-glass ENV]``
    names is given in ENV's account: it may assume the org's break-glass roles with a reason tag,
    nothing else (each role trusts only this set's role in its own account:
    :func:`awsroles.iam.breakglass.identity_center_trust_policy`). One hour, the shortest session."""
    roles = sorted(org.role_arn(g.environment, g.role) for g in org.break_glass
                   if not org.environment_account(g.environment).pending)
    inline = canonical_json({"Version": POLICY_VERSION, "Statement": [{
        "Sid": "BreakGlassRolesOnly", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Resource": roles}]})
    spec = PermissionSetSpec(
        name=names.BREAK_GLASS_SET,
        description="Break-glass only: assume this account's break-glass role with a reason; every use alarms",
        session_duration=names.iso_duration(3600), managed=(), customer_managed=(), inline=inline, boundary=None,
        tags=names.permission_set_tags(org.name))
    return replace(spec, tags=tuple(sorted((*spec.tags, (names.DIGEST_TAG, spec_digest(spec))))))


def _break_glass(org: Org) -> tuple[list[PermissionSetSpec], list[AssignmentSpec]]:
    """The break-glass permission set and its assignments: each named person, in their environment's
    account (none in an org that also has IAM users: they assume the role as IAM users)."""
    if org.uses_iam_users:
        return [], []
    assignments = []
    for glass in org.break_glass:
        account = org.environment_account(glass.environment)
        if not account.pending:  # an account apply has yet to create: its role waits for its id
            assignments += [AssignmentSpec(person, names.BREAK_GLASS_SET, account.name, account.id, "USER")
                            for person in glass.people]
    return ([break_glass_permission_set(org)] if assignments else []), assignments


def _temporary(org: Org, now: datetime) -> tuple[list[PermissionSetSpec], list[AssignmentSpec]]:
    sets: list[PermissionSetSpec] = []
    assignments: list[AssignmentSpec] = []
    roles = {r.name: r for r in org.roles}
    for grant in org.active_temporary(now):
        spec = temporary_permission_set(org, roles[grant.role], grant)
        sets.append(spec)
        account = org.environment_account(grant.environment)
        if not account.pending:
            principal, kind = (names.group_name(grant.team), "GROUP") if grant.team else (grant.user, "USER")
            assignments.append(AssignmentSpec(principal, spec.name, account.name, account.id, kind))
    return sets, assignments


def desired_identity_center(org: Org, now: datetime | None = None) -> IdentityCenterSpec:
    """What awsroles manages in the org's Identity Center instance (nothing unless the org uses it).
    Grants to accounts apply has yet to create wait for their ids (as IAM's do). Temporary grants
    are desired while they have not expired at ``now`` (default: the current time)."""
    if not org.uses_identity_center:
        return IdentityCenterSpec()
    users = tuple(UserSpec(u.name, *u.person_names(), u.email, names.user_mark(org.name))
                  for u in sorted(org.users, key=lambda u: u.name))
    groups = tuple(GroupSpec(names.group_name(t.name), names.group_description(org.name, t.description),
                             tuple(sorted(t.members)))
                   for t in sorted(org.teams, key=lambda t: t.name))
    granted = {g.role for t in org.teams for g in t.grants}
    sets = tuple(permission_set(org, r) for r in sorted(org.roles, key=lambda r: r.name) if r.name in granted)
    temporary_sets, assignments = _temporary(org, now if now is not None else datetime.now(timezone.utc))
    sets += tuple(sorted(temporary_sets, key=lambda p: p.name))
    glass_sets, glass_assignments = _break_glass(org)
    sets += tuple(glass_sets)
    assignments += glass_assignments
    for team in org.teams:
        for grant in team.grants:
            account = org.environment_account(grant.environment)
            if not account.pending:
                assignments.append(AssignmentSpec(names.group_name(team.name), grant.role, account.name, account.id))
    return IdentityCenterSpec(users, groups, sets, tuple(sorted(
        assignments, key=lambda a: (a.principal_type, a.group, a.permission_set, a.account_id))))
