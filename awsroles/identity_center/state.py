"""What is live in an IAM Identity Center instance, as far as awsroles needs to know.

Read from the instance's account (sso-admin and identitystore clients in its region): the instance,
every permission set (with its tags, for ownership, and, for awsroles' own and for those named like
a role of the org file, its settings and the accounts it is provisioned to), the users and groups
(every one: names are unique in the identity store, and a name awsroles wants may be taken), the
members of awsroles' groups and the groups of awsroles' users, and the account assignments of
awsroles' permission sets and of awsroles' groups. Reads of many permission sets or groups run a
few at a time (``max_workers``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from awsroles.errors import AwsrolesError, aws_error_code
from awsroles.identity_center import names

T = TypeVar("T")
R = TypeVar("R")


class NoInstance(AwsrolesError):
    """The account has no IAM Identity Center instance in the region."""


@dataclass(frozen=True)
class LiveUser:
    id: str
    user_name: str
    display_name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    user_type: str = ""


@dataclass(frozen=True)
class LiveGroup:
    id: str
    display_name: str
    description: str = ""
    members: tuple[str, ...] = ()  # user ids (read for awsroles' groups only)


@dataclass(frozen=True)
class LivePermissionSet:
    arn: str
    name: str
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""
    session_duration: str = ""
    managed: tuple[str, ...] = ()
    customer_managed: tuple[tuple[str, str], ...] = ()  # (name, path), sorted
    inline: str | None = None  # the inline policy's JSON text, or None
    boundary: dict[str, Any] | None = None  # as GetPermissionsBoundaryForPermissionSet answers
    accounts: tuple[str, ...] = ()  # account ids it is provisioned to
    detailed: bool = False  # its settings were read (awsroles' own, or named like a role)


@dataclass(frozen=True)
class LiveAssignment:
    account_id: str
    permission_set_arn: str
    principal_type: str  # GROUP | USER
    principal_id: str


@dataclass(frozen=True)
class LiveIdentityCenter:
    instance_arn: str
    identity_store_id: str
    permission_sets: tuple[LivePermissionSet, ...] = ()
    users: tuple[LiveUser, ...] = ()
    groups: tuple[LiveGroup, ...] = ()
    assignments: tuple[LiveAssignment, ...] = ()
    memberships: tuple[tuple[str, str], ...] = ()  # (group id, user id) of awsroles' users, any group
    api_calls: int = 0

    def permission_set(self, name: str) -> LivePermissionSet | None:
        return next((p for p in self.permission_sets if p.name == name), None)

    def user(self, user_name: str) -> LiveUser | None:
        """Identity Store user names are unique whatever their case."""
        return next((u for u in self.users if u.user_name.lower() == user_name.lower()), None)

    def group(self, display_name: str) -> LiveGroup | None:
        return next((g for g in self.groups if g.display_name.lower() == display_name.lower()), None)


class _Counter:
    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.calls += n


def _pages(client: Any, operation: str, key: str, counter: _Counter, **params: Any) -> list[Any]:
    items: list[Any] = []
    token = None
    while True:
        response = getattr(client, operation)(**params, **({"NextToken": token} if token else {}))
        counter.add()
        items.extend(response.get(key, []))
        token = response.get("NextToken")
        if not token:
            return items


def _map(fn: Callable[[T], R], items: Sequence[T], limit: int) -> list[R]:
    if limit <= 1 or len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(limit, len(items))) as pool:
        return list(pool.map(fn, items))


def find_instance(sso: Any, where: str) -> tuple[str, str, int]:
    """``(instance ARN, identity store id, calls)`` of the account's instance."""
    instances = sso.list_instances().get("Instances", [])
    if not instances:
        raise NoInstance(f"{where} has no IAM Identity Center instance: enable it (IAM Identity Center console, "
                         "Enable) in that account and region, or set [org] identity_center_account / "
                         "identity_center_region")
    return instances[0]["InstanceArn"], instances[0]["IdentityStoreId"], 1


def _user(item: dict[str, Any]) -> LiveUser:
    name = item.get("Name") or {}
    emails = item.get("Emails") or []
    email = next((e.get("Value", "") for e in emails if e.get("Primary")), emails[0].get("Value", "") if emails else "")
    return LiveUser(item["UserId"], item.get("UserName", ""), item.get("DisplayName", ""), name.get("GivenName", ""),
                    name.get("FamilyName", ""), email, item.get("UserType", ""))


def _permission_set(sso: Any, instance: str, arn: str, wanted: set[str], org: str, counter: _Counter,
                    detail_all: bool = False) -> LivePermissionSet:
    described = sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]
    tags = {t["Key"]: t["Value"] for t in _pages(sso, "list_tags_for_resource", "Tags", counter,
                                                 InstanceArn=instance, ResourceArn=arn)}
    counter.add()
    name = described.get("Name", "")
    base = LivePermissionSet(arn, name, tags, described.get("Description", ""), described.get("SessionDuration", ""))
    if names.permission_set_owner(tags) != org and name not in wanted and not detail_all:
        return base
    managed = tuple(sorted(p["Arn"] for p in _pages(sso, "list_managed_policies_in_permission_set",
                                                    "AttachedManagedPolicies", counter, InstanceArn=instance,
                                                    PermissionSetArn=arn)))
    customer = tuple(sorted((p["Name"], p.get("Path", "/")) for p in _pages(
        sso, "list_customer_managed_policy_references_in_permission_set", "CustomerManagedPolicyReferences",
        counter, InstanceArn=instance, PermissionSetArn=arn)))
    inline = sso.get_inline_policy_for_permission_set(InstanceArn=instance, PermissionSetArn=arn).get("InlinePolicy")
    counter.add()
    boundary = None
    try:
        boundary = sso.get_permissions_boundary_for_permission_set(
            InstanceArn=instance, PermissionSetArn=arn).get("PermissionsBoundary")
    except Exception as exc:
        if aws_error_code(exc) != "ResourceNotFoundException":
            raise
    counter.add()
    accounts = tuple(sorted(_pages(sso, "list_accounts_for_provisioned_permission_set", "AccountIds", counter,
                                   InstanceArn=instance, PermissionSetArn=arn)))
    return LivePermissionSet(arn, name, tags, base.description, base.session_duration, managed, customer,
                             inline if isinstance(inline, str) and inline.strip() else None, boundary or None,
                             accounts, True)


def read_identity_center(sso: Any, store: Any, org: str, *, where: str, wanted_sets: Iterable[str] = (),
                         max_workers: int = 8, detail_all: bool = False,
                         wanted_groups: Iterable[str] = ()) -> LiveIdentityCenter:
    """The instance of ``sso``'s account and region, read as the module docstring says; ``org`` is
    the org's name (whose marks make things awsroles'); ``wanted_sets`` the permission set names
    the org file wants (read in full even when not awsroles', to report conflicts); ``wanted_groups``
    the group names it wants (their members read even when not awsroles', so that adopting one adds
    only the members it lacks).

    ``detail_all`` (``awsroles import``): every permission set in full, with all its assignments
    (to groups and to users), and every group with its members and assignments, whoever owns them."""
    counter = _Counter()
    instance, store_id, calls = find_instance(sso, where)
    counter.add(calls)
    wanted = set(wanted_sets)
    arns = _pages(sso, "list_permission_sets", "PermissionSets", counter, InstanceArn=instance)
    sets = _map(lambda arn: _permission_set(sso, instance, arn, wanted, org, counter, detail_all), arns, max_workers)
    users = [_user(u) for u in _pages(store, "list_users", "Users", counter, IdentityStoreId=store_id)]
    groups = [LiveGroup(g["GroupId"], g.get("DisplayName", ""), g.get("Description", ""))
              for g in _pages(store, "list_groups", "Groups", counter, IdentityStoreId=store_id)]
    ours_groups = [g for g in groups if detail_all or names.group_owner(g.description) == org]
    ours_users = [u for u in users if names.user_owner(u.user_type) == org]

    def members(group: LiveGroup) -> LiveGroup:
        found = _pages(store, "list_group_memberships", "GroupMemberships", counter, IdentityStoreId=store_id,
                       GroupId=group.id)
        ids = tuple(sorted(m["MemberId"]["UserId"] for m in found if "UserId" in (m.get("MemberId") or {})))
        return LiveGroup(group.id, group.display_name, group.description, ids)

    named = {n.lower() for n in wanted_groups}
    to_read = ours_groups + [g for g in groups if g not in ours_groups and g.display_name.lower() in named]
    read = {g.id: g for g in _map(members, to_read, max_workers)}
    groups = [read.get(g.id, g) for g in groups]

    def memberships_of(user: LiveUser) -> list[tuple[str, str]]:
        found = _pages(store, "list_group_memberships_for_member", "GroupMemberships", counter,
                       IdentityStoreId=store_id, MemberId={"UserId": user.id})
        return [(m["GroupId"], user.id) for m in found]

    memberships = sorted({pair for pairs in _map(memberships_of, ours_users, max_workers) for pair in pairs})
    assignments: set[LiveAssignment] = set()
    ours_sets = [p for p in sets if p.detailed]

    def assignments_of(pair: tuple[LivePermissionSet, str]) -> list[LiveAssignment]:
        permission_set, account = pair
        found = _pages(sso, "list_account_assignments", "AccountAssignments", counter, InstanceArn=instance,
                       AccountId=account, PermissionSetArn=permission_set.arn)
        return [LiveAssignment(a["AccountId"], a["PermissionSetArn"], a["PrincipalType"], a["PrincipalId"])
                for a in found]

    pairs = [(p, account) for p in ours_sets for account in p.accounts]
    for found in _map(assignments_of, pairs, max_workers):
        assignments.update(found)

    def group_assignments(group: LiveGroup) -> list[LiveAssignment]:
        found = _pages(sso, "list_account_assignments_for_principal", "AccountAssignments", counter,
                       InstanceArn=instance, PrincipalId=group.id, PrincipalType="GROUP")
        return [LiveAssignment(a["AccountId"], a["PermissionSetArn"], a.get("PrincipalType", "GROUP"),
                               a.get("PrincipalId", group.id)) for a in found]

    for found in _map(group_assignments, ours_groups, max_workers):
        assignments.update(found)
    return LiveIdentityCenter(instance, store_id, tuple(sets), tuple(users), tuple(groups),
                              tuple(sorted(assignments, key=lambda a: (a.permission_set_arn, a.account_id,
                                                                       a.principal_id))),
                              tuple(memberships), counter.calls)
