"""Pure: the org model -> exactly the IAM resources that ``apply`` creates, per account.

This is the single statement of "what awsroles manages". The policy export, the Terraform
export and the plan are all derived from it, so they cannot disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from awsroles.iam import breakglass, compare, policies
from awsroles.iam.self_service import self_service_policy
from awsroles.org.entries import Account, TemporaryGrant
from awsroles.org.identity import split_policy_path
from awsroles.org.marks import (
    BREAK_GLASS_POLICY_NAME,
    BREAK_GLASS_TAG,
    EVERYONE_GROUP,
    MANAGED_BY_TAG,
    SELF_SERVICE_POLICY,
    TEAM_POLICY_NAME,
    TEMPORARY_POLICY_NAME,
    team_managed_policy_name,
)
from awsroles.org.model import Org

Tags = tuple[tuple[str, str], ...]

# IAM groups cannot be tagged, so awsroles marks the groups it owns with this inline policy. It
# grants nothing: a Deny whose NotResource "*" matches no resource, limited to one read action so
# that even a policy engine that misread NotResource could only hide iam:GetGroup. A group at the
# org's path without it is not awsroles' (see awsroles.sync.state).
GROUP_MARKER_POLICY = "awsroles-managed-by"


def group_marker_document() -> str:
    """The marker's document (canonical JSON): :data:`awsroles.iam.policies.GROUP_MARKER_DOCUMENT`."""
    return policies.canonical_json(policies.GROUP_MARKER_DOCUMENT)


# A role's or user's settings as awsroles last wrote them, hashed. When the live resource no
# longer hashes to its tag, someone changed it outside awsroles: the plan calls that drift.
DIGEST_TAG = "awsroles-digest"
# Tags awsroles keeps on a resource as state, not as what the org file wants: never desired,
# never drift, never removed by apply, never imported. `users disable` records the keys it
# deactivated here, for `users enable`.
DISABLED_KEYS_TAG = "awsroles-disabled-keys"
STATE_TAGS = frozenset({DISABLED_KEYS_TAG})


@dataclass(frozen=True)
class InlinePolicy:
    name: str
    document: str  # canonical JSON


@dataclass(frozen=True)
class RoleSpec:
    name: str
    path: str
    trust_policy: str
    max_session: int
    description: str
    managed: tuple[str, ...]
    inline: tuple[InlinePolicy, ...]
    tags: Tags
    boundary: str = ""  # ARN of the permissions boundary ("": none)


@dataclass(frozen=True)
class ManagedPolicySpec:
    name: str
    path: str
    description: str
    document: str
    tags: Tags


@dataclass(frozen=True)
class GroupSpec:
    name: str
    path: str
    inline: tuple[InlinePolicy, ...]
    managed: tuple[str, ...]  # ARNs of managed policies attached to the group


@dataclass(frozen=True)
class UserSpec:
    name: str
    path: str
    groups: tuple[str, ...]
    tags: Tags
    inline: tuple[InlinePolicy, ...] = ()  # only awsroles-temporary, while the user has temporary grants
    boundary: str = ""  # ARN of the permissions boundary ("": none)


@dataclass(frozen=True)
class AccountSpec:
    """What awsroles manages in one account."""

    account: Account
    roles: tuple[RoleSpec, ...] = ()
    policies: tuple[ManagedPolicySpec, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    users: tuple[UserSpec, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.roles or self.policies or self.groups or self.users)


@dataclass(frozen=True, order=True)
class Resource:
    """One resource in a flat, comparable form: (account, type, name, document or value)."""

    account: str
    type: str
    name: str
    value: str


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def role_digest(path: str, trust: Mapping[str, Any] | str, max_session: int, description: str,
                managed: tuple[str, ...], inline: Mapping[str, Mapping[str, Any] | str], boundary: str = "") -> str:
    """The digest of a role's settings, from the desired spec or from the live role alike. A role
    without a permissions boundary hashes as it did before roles could have one, so that roles
    awsroles made earlier are not taken for drift."""
    def doc(d: Mapping[str, Any] | str) -> Any:
        return compare.normalized(json.loads(d) if isinstance(d, str) else dict(d))

    settings: dict[str, Any] = {
        "path": path, "trust": doc(trust), "max_session": max_session, "description": description,
        "managed": sorted(managed), "inline": {k: doc(v) for k, v in inline.items()},
    }
    if boundary:
        settings["boundary"] = boundary
    return _digest(settings)


def user_digest(path: str, groups: tuple[str, ...], tags: Mapping[str, str], boundary: str = "") -> str:
    """The digest of a user's settings (path, awsroles groups, tags other than the digest, permissions
    boundary). A user without a boundary hashes as before users could have one, so that users
    awsroles made earlier are not taken for drift."""
    settings: dict[str, Any] = {"path": path, "groups": sorted(groups),
                                "tags": {k: v for k, v in tags.items() if k != DIGEST_TAG and k not in STATE_TAGS}}
    if boundary:
        settings["boundary"] = boundary
    return _digest(settings)


def _with_role_digest(spec: RoleSpec) -> RoleSpec:
    digest = role_digest(spec.path, spec.trust_policy, spec.max_session, spec.description, spec.managed,
                         {p.name: p.document for p in spec.inline}, spec.boundary)
    return replace(spec, tags=tuple(sorted((*spec.tags, (DIGEST_TAG, digest)))))


def _with_user_digest(spec: UserSpec) -> UserSpec:
    digest = user_digest(spec.path, spec.groups, dict(spec.tags), spec.boundary)
    return replace(spec, tags=tuple(sorted((*spec.tags, (DIGEST_TAG, digest)))))


def _managed_tags(*extra: tuple[str, str]) -> Tags:
    return tuple(sorted((MANAGED_BY_TAG, *extra)))


def self_service_policy_arn(org: Org) -> str:
    return f"arn:{org.partition}:iam::{org.ops.id}:policy{org.path}{SELF_SERVICE_POLICY}"


def customer_managed_arns(org: Org, account: Account, references: tuple[str, ...]) -> tuple[str, ...]:
    """A role's ``customer_managed`` policies (``[/path/]name``) as ARNs in ``account``."""
    arns = []
    for reference in references:
        split = split_policy_path(reference)
        if split is not None:  # the org file's reader has checked every reference
            arns.append(f"arn:{org.partition}:iam::{account.id}:policy{split[0]}{split[1]}")
    return tuple(arns)


def boundary_arn(org: Org, account: Account, boundary: str) -> str:
    """A role's (or, in the ops account, a user's) ``boundary`` as the ARN IAM takes in ``account``: a
    managed policy ARN as it is; a customer managed ``[/path/]name`` as that policy's ARN in
    ``account``; "" for none."""
    if not boundary or boundary.startswith("arn:"):
        return boundary
    arns = customer_managed_arns(org, account, (boundary,))
    return arns[0] if arns else ""


def _environment_roles(org: Org, account: Account) -> tuple[RoleSpec, ...]:
    if not account.environment:
        return ()
    trust = policies.canonical_json(policies.trust_policy(org)) if org.uses_iam_users else ""
    specs = []
    for name in org.grants_in(account.environment) if org.uses_iam_users else ():  # else permission sets
        role = org.role(name)
        specs.append(
            RoleSpec(
                name=role.name,
                path=org.role_path(role.name),
                trust_policy=trust,
                max_session=role.max_session,
                description=role.description,
                managed=tuple(sorted((*role.managed, *customer_managed_arns(org, account, role.customer_managed)))),
                inline=tuple(sorted((InlinePolicy(p.name, p.document) for p in role.policies), key=lambda p: p.name)),
                tags=_managed_tags(),
                boundary=boundary_arn(org, account, role.boundary),
            )
        )
    glass = org.break_glass_in(account.environment)
    if glass is not None:
        specs.append(
            RoleSpec(
                name=glass.role,
                path=org.path,
                trust_policy=policies.canonical_json(breakglass.trust_policy(org, glass)),
                max_session=glass.max_session,
                description=f"Break-glass: {', '.join(glass.people)} only, "
                            f"{'with MFA' if org.uses_iam_users else 'through IAM Identity Center'} and a reason; "
                            "every use alarms",
                managed=tuple(sorted(glass.managed)),
                inline=tuple(sorted((InlinePolicy(p.name, p.document) for p in glass.policies),
                                    key=lambda p: p.name)),
                tags=_managed_tags((BREAK_GLASS_TAG, glass.environment)),
            )
        )
    return tuple(_with_role_digest(s) for s in specs)


def _ops_resources(org: Org, temporary: tuple[TemporaryGrant, ...] = ()
                   ) -> tuple[tuple[ManagedPolicySpec, ...], tuple[GroupSpec, ...], tuple[UserSpec, ...]]:
    self_service = ManagedPolicySpec(
        name=SELF_SERVICE_POLICY,
        path=org.path,
        description="Lets each user manage their own password, MFA device and access keys",
        document=policies.canonical_json(self_service_policy(org)),
        tags=_managed_tags(),
    )
    marker = InlinePolicy(GROUP_MARKER_POLICY, group_marker_document())
    groups = [GroupSpec(EVERYONE_GROUP, org.path, (marker,), (self_service_policy_arn(org),))]
    managed: list[ManagedPolicySpec] = [self_service]
    for team in org.teams:
        inline: tuple[InlinePolicy, ...] = (marker,)
        if team.grants or any(g.team == team.name for g in temporary):
            document = policies.team_policy(org, team, temporary)
            if document["Statement"]:  # in the managed form, only what stays inline (if anything)
                inline = (marker, InlinePolicy(TEAM_POLICY_NAME, policies.canonical_json(document)))
        parts = policies.team_managed_policies(org, team, temporary)
        team_policies = [ManagedPolicySpec(
            name=team_managed_policy_name(team.name, number), path=org.path,
            description=f"The roles team {team.name} may assume, part {number} (the group's inline policy has no "
                        "room for them all)",  # IAM cannot change a description: no count of parts in it
            document=policies.canonical_json(part), tags=_managed_tags()) for number, part in enumerate(parts, 1)]
        managed += team_policies
        path, name = org.team_group(team.name)
        arns = tuple(sorted(f"arn:{org.partition}:iam::{org.ops.id}:policy{p.path}{p.name}" for p in team_policies))
        groups.append(GroupSpec(name, path, inline, arns))
    users = []
    for user in org.users:
        extra = list(user.tags)
        if user.email:
            extra.append(("email", user.email))
        teams = sorted(org.team_group(t.name)[1] for t in org.teams_of(user.name))
        own = tuple(g for g in temporary if g.user == user.name)
        inline = ()
        if own:
            text = policies.canonical_json(policies.user_temporary_policy(org, own))
            inline = (InlinePolicy(TEMPORARY_POLICY_NAME, text),)
        glass = breakglass.person_policy(org, user.name)
        if glass is not None:
            inline += (InlinePolicy(BREAK_GLASS_POLICY_NAME, policies.canonical_json(glass)),)
        boundary = boundary_arn(org, org.ops, org.user_boundary_of(user.name))
        users.append(replace(_with_user_digest(
            UserSpec(user.name, org.user_path(user.name), tuple([EVERYONE_GROUP, *teams]), _managed_tags(*extra),
                     boundary=boundary)), inline=inline))
    return tuple(managed), tuple(sorted(groups, key=lambda g: g.name)), tuple(sorted(users, key=lambda u: u.name))


def desired_state(org: Org, now: datetime | None = None) -> tuple[AccountSpec, ...]:
    """Every account awsroles manages something in, with what it manages there (file order). When
    people come through IAM Identity Center alone (``[org] identity``), only the break-glass roles
    (their people reach them from a permission set: :mod:`awsroles.iam.breakglass`): roles, teams and
    people are Identity Center's. Temporary grants are desired while they have not expired at ``now``
    (default: the current time)."""
    if not org.uses_iam_users:
        return tuple(AccountSpec(a, roles) for a in org.accounts
                     if (roles := tuple(sorted(_environment_roles(org, a), key=lambda r: r.name))))
    temporary = org.active_temporary(now if now is not None else datetime.now(timezone.utc))
    specs = []
    for account in org.accounts:
        roles = tuple(sorted(_environment_roles(org, account), key=lambda r: r.name))
        if account.name == org.ops_account:
            managed, groups, users = _ops_resources(org, temporary)
            specs.append(AccountSpec(account, roles, managed, groups, users))
        elif roles:
            specs.append(AccountSpec(account, roles))
    return tuple(specs)


def _tags_text(tags: Tags) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(tags))


def flatten(specs: tuple[AccountSpec, ...]) -> set[Resource]:
    """The flat set of resources, named after their Terraform types, for equivalence checks."""
    out: set[Resource] = set()
    for spec in specs:
        a = spec.account.name
        for role in spec.roles:
            out.add(Resource(a, "aws_iam_role", role.name, role.trust_policy))
            out.add(Resource(a, "aws_iam_role#max_session_duration", role.name, str(role.max_session)))
            out.add(Resource(a, "aws_iam_role#path", role.name, role.path))
            out.add(Resource(a, "aws_iam_role#description", role.name, role.description))
            out.add(Resource(a, "aws_iam_role#tags", role.name, _tags_text(role.tags)))
            if role.boundary:
                out.add(Resource(a, "aws_iam_role#permissions_boundary", role.name, role.boundary))
            for arn in role.managed:
                out.add(Resource(a, "aws_iam_role_policy_attachment", role.name, arn))
            for inline in role.inline:
                out.add(Resource(a, "aws_iam_role_policy", f"{role.name}/{inline.name}", inline.document))
        for policy in spec.policies:
            out.add(Resource(a, "aws_iam_policy", policy.name, policy.document))
            out.add(Resource(a, "aws_iam_policy#path", policy.name, policy.path))
            out.add(Resource(a, "aws_iam_policy#description", policy.name, policy.description))
            out.add(Resource(a, "aws_iam_policy#tags", policy.name, _tags_text(policy.tags)))
        for group in spec.groups:
            out.add(Resource(a, "aws_iam_group", group.name, group.path))
            for inline in group.inline:
                out.add(Resource(a, "aws_iam_group_policy", f"{group.name}/{inline.name}", inline.document))
            for arn in group.managed:
                out.add(Resource(a, "aws_iam_group_policy_attachment", group.name, arn))
        for user in spec.users:
            out.add(Resource(a, "aws_iam_user", user.name, user.path))
            out.add(Resource(a, "aws_iam_user#tags", user.name, _tags_text(user.tags)))
            out.add(Resource(a, "aws_iam_user_group_membership", user.name, ",".join(sorted(user.groups))))
            if user.boundary:
                out.add(Resource(a, "aws_iam_user#permissions_boundary", user.name, user.boundary))
            for inline in user.inline:
                out.add(Resource(a, "aws_iam_user_policy", f"{user.name}/{inline.name}", inline.document))
    return out
