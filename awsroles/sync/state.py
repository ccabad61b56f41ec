"""Read the live IAM state of accounts, in a number of calls that does not grow with resources.

Per account: one paginated ``GetAccountAuthorizationDetails`` (users, groups, roles and customer
managed policies with every document and attachment) and one paginated ``ListRoles`` under the
awsroles path (the only source of a role's MaxSessionDuration and Description). Accounts are read
in parallel with a bounded pool.

Ownership: awsroles owns a resource only when it sits at the org's IAM path (``/awsroles/`` by
default) *and* carries awsroles' mark: the ``managed-by = awsroles`` tag on roles, users and
customer managed policies (a policy's tags are not in GetAccountAuthorizationDetails: one
``ListPolicyTags`` per policy at the path), and, on groups, which IAM cannot tag, the inline
marker policy :data:`awsroles.iam.desired.GROUP_MARKER_POLICY`. Resources at the path without the
mark are read in full but flagged ``owned=False``: the plan reports them and never touches them.
Everything elsewhere is known by name and path only (to refuse collisions), except groups, read in
full so that a managed user's membership in them can be shown with what the group grants.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from awsroles.org.entries import Account
from awsroles.org.marks import MANAGED_BY_TAG

if TYPE_CHECKING:  # what other services hold, read by their own modules: loaded when an org uses them
    from awsroles.accounts.state import LiveOrganization
    from awsroles.budgets.state import LiveBudgets
    from awsroles.identity_center.state import LiveIdentityCenter
    from awsroles.sync.alarm_state import LiveAlarms

log = logging.getLogger(__name__)

Document = dict[str, Any]


@dataclass(frozen=True)
class LiveRole:
    name: str
    path: str
    trust_policy: Document
    max_session: int
    description: str
    managed: tuple[str, ...]
    inline: Mapping[str, Document]
    tags: Mapping[str, str]
    instance_profiles: tuple[str, ...] = ()
    boundary: str = ""  # ARN of the permissions boundary, if any
    owned: bool = True


@dataclass(frozen=True)
class LiveGroup:
    name: str
    path: str
    managed: tuple[str, ...]
    inline: Mapping[str, Document]
    members: tuple[str, ...]
    owned: bool = True


@dataclass(frozen=True)
class LiveUser:
    name: str
    path: str
    groups: tuple[str, ...]
    managed: tuple[str, ...]
    inline: Mapping[str, Document]
    tags: Mapping[str, str]
    boundary: str = ""
    owned: bool = True


@dataclass(frozen=True)
class LivePolicy:
    name: str
    path: str
    arn: str
    document: Document
    description: str
    default_version: str
    versions: tuple[str, ...]  # non-default version ids, oldest first
    attached_to: tuple[tuple[str, str], ...]  # (kind, name) of every user, group, role it is attached to
    tags: Mapping[str, str] = field(default_factory=dict)
    owned: bool = True


@dataclass(frozen=True)
class LiveAccount:
    """Everything at the org's path in one account (``owned`` says whether it carries awsroles'
    mark), the names of everything else (to avoid collisions), the groups elsewhere in full and
    every customer managed policy's document (to say what a foreign membership grants)."""

    account: Account
    roles: Mapping[str, LiveRole] = field(default_factory=dict)
    groups: Mapping[str, LiveGroup] = field(default_factory=dict)
    users: Mapping[str, LiveUser] = field(default_factory=dict)
    policies: Mapping[str, LivePolicy] = field(default_factory=dict)
    unmanaged: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # kind -> name -> path
    api_calls: int = 0
    other_groups: Mapping[str, LiveGroup] = field(default_factory=dict)  # groups at other paths
    documents: Mapping[str, Document] = field(default_factory=dict)  # customer managed policy ARN -> document
    budgets: LiveBudgets | None = None  # the billing account's budgets, when the org uses budgets
    organization: LiveOrganization | None = None  # the management account's organization, when the org uses accounts
    identity_center: LiveIdentityCenter | None = None  # the instance, in its account, when the org uses it
    alarms: LiveAlarms | None = None  # an environment account's break-glass alarm, when read (see Engine.read)

    def fingerprint_data(self) -> dict[str, Any]:
        """Everything read, in a form that hashes the same for the same live state."""
        from dataclasses import asdict

        data = asdict(self)
        data.pop("api_calls")
        return data


def _document(value: Any) -> Document:
    """Policy documents arrive decoded by botocore; some endpoints send URL-encoded JSON strings."""
    if isinstance(value, str):
        import json

        return dict(json.loads(unquote(value)))
    return dict(value or {})


def _tags(items: Any) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or ()}


def _inline(items: Any) -> dict[str, Document]:
    return {p["PolicyName"]: _document(p["PolicyDocument"]) for p in items or ()}


def _managed(items: Any) -> tuple[str, ...]:
    return tuple(sorted(p["PolicyArn"] for p in items or ()))


def _boundary(item: Any) -> str:
    return str((item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn", ""))


def has_group_marker(inline: Mapping[str, Document]) -> bool:
    from awsroles.iam.desired import GROUP_MARKER_POLICY

    return GROUP_MARKER_POLICY in inline


def is_marked(tags: Mapping[str, str]) -> bool:
    key, value = MANAGED_BY_TAG
    return tags.get(key) == value


Adopted = Mapping[str, Mapping[str, str]]  # kind (role, group, user) -> name -> the path it was adopted at


def _at(kind: str, name: str, where: str, path: str, adopted: Adopted, everywhere: frozenset[str]) -> bool:
    """Whether a resource is read in full: at the org's path, adopted in place where it is, or of a kind
    an import reads wherever it is (``everywhere``)."""
    return where == path or adopted.get(kind, {}).get(name) == where or kind in everywhere


def read_account(iam: Any, account: Account, path: str, adopted: Adopted | None = None,
                 everywhere: frozenset[str] = frozenset()) -> LiveAccount:
    """Read one account with ``iam`` (a botocore IAM client in that account).

    Read in full: what is at ``path``; what the org file adopted in place (``adopted``: kind -> name
    -> path; read in full only at exactly that path, with ``owned`` when it carries the mark); and,
    for an import that adopts in place, every resource of the kinds in ``everywhere``."""
    adopted = adopted or {}
    calls = 0
    details: dict[str, list[Any]] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=["User", "Role", "Group", "LocalManagedPolicy"]):
        calls += 1
        for key in details:
            details[key].extend(page.get(key, []))
    role_settings: dict[str, tuple[int, str]] = {}
    prefixes = ["/"] if "role" in everywhere else sorted({path, *adopted.get("role", {}).values()})
    for prefix in [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]:
        for page in iam.get_paginator("list_roles").paginate(PathPrefix=prefix):
            calls += 1
            for role in page.get("Roles", []):
                role_settings[role["RoleName"]] = (int(role.get("MaxSessionDuration", 3600)),
                                                   role.get("Description", ""))

    unmanaged: dict[str, dict[str, str]] = {"role": {}, "group": {}, "user": {}, "policy": {}}
    attachments: dict[str, list[tuple[str, str]]] = {}
    members: dict[str, list[str]] = {}

    users: dict[str, LiveUser] = {}
    for u in details["UserDetailList"]:
        for arn in _managed(u.get("AttachedManagedPolicies")):
            attachments.setdefault(arn, []).append(("user", u["UserName"]))
        for group in u.get("GroupList", []):
            members.setdefault(group, []).append(u["UserName"])
        if not _at("user", u["UserName"], u["Path"], path, adopted, everywhere):
            unmanaged["user"][u["UserName"]] = u["Path"]
            continue
        tags = _tags(u.get("Tags"))
        users[u["UserName"]] = LiveUser(
            u["UserName"], u["Path"], tuple(sorted(u.get("GroupList", []))), _managed(u.get("AttachedManagedPolicies")),
            _inline(u.get("UserPolicyList")), tags, _boundary(u),
            is_marked(tags) and _at("user", u["UserName"], u["Path"], path, adopted, frozenset()),
        )
    groups: dict[str, LiveGroup] = {}
    other_groups: dict[str, LiveGroup] = {}
    for g in details["GroupDetailList"]:
        for arn in _managed(g.get("AttachedManagedPolicies")):
            attachments.setdefault(arn, []).append(("group", g["GroupName"]))
        inline = _inline(g.get("GroupPolicyList"))
        owned = _at("group", g["GroupName"], g["Path"], path, adopted, frozenset()) and has_group_marker(inline)
        group = LiveGroup(g["GroupName"], g["Path"], _managed(g.get("AttachedManagedPolicies")), inline,
                          tuple(sorted(members.get(g["GroupName"], []))), owned)
        if not _at("group", g["GroupName"], g["Path"], path, adopted, everywhere):
            unmanaged["group"][g["GroupName"]] = g["Path"]
            other_groups[g["GroupName"]] = group
            continue
        groups[g["GroupName"]] = group
    roles: dict[str, LiveRole] = {}
    for r in details["RoleDetailList"]:
        for arn in _managed(r.get("AttachedManagedPolicies")):
            attachments.setdefault(arn, []).append(("role", r["RoleName"]))
        if not _at("role", r["RoleName"], r["Path"], path, adopted, everywhere):
            unmanaged["role"][r["RoleName"]] = r["Path"]
            continue
        max_session, description = role_settings.get(r["RoleName"], (3600, ""))
        tags = _tags(r.get("Tags"))
        roles[r["RoleName"]] = LiveRole(
            r["RoleName"], r["Path"], _document(r.get("AssumeRolePolicyDocument")), max_session, description,
            _managed(r.get("AttachedManagedPolicies")), _inline(r.get("RolePolicyList")), tags,
            tuple(p["InstanceProfileName"] for p in r.get("InstanceProfileList", [])), _boundary(r),
            is_marked(tags) and _at("role", r["RoleName"], r["Path"], path, adopted, frozenset()),
        )
    policies: dict[str, LivePolicy] = {}
    documents: dict[str, Document] = {}
    for p in details["Policies"]:
        name = p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1]  # moto leaves PolicyName out
        versions = sorted(p.get("PolicyVersionList", []), key=lambda v: str(v.get("CreateDate", "")))
        default = next((v for v in versions if v.get("IsDefaultVersion")), None)
        document = _document(default["Document"]) if default else {}
        documents[p["Arn"]] = document
        if p["Path"] != path:
            unmanaged["policy"][name] = p["Path"]
            continue
        policy_tags: dict[str, str] = {}
        for page in iam.get_paginator("list_policy_tags").paginate(PolicyArn=p["Arn"]):
            calls += 1
            policy_tags.update(_tags(page.get("Tags")))
        policies[name] = LivePolicy(
            name, p["Path"], p["Arn"], document,
            p.get("Description", ""), p.get("DefaultVersionId", ""),
            tuple(v["VersionId"] for v in versions if not v.get("IsDefaultVersion")),
            tuple(sorted(set(attachments.get(p["Arn"], [])))), policy_tags, is_marked(policy_tags),
        )
    log.debug("read %s (%s): %d calls", account.name, account.id, calls)
    return LiveAccount(account, roles, groups, users, policies, unmanaged, calls, other_groups, documents)


def read_accounts(
    accounts: list[Account],
    iam_for: Callable[[Account], Any],
    path: str,
    *,
    max_workers: int = 8,
    adopted: Adopted | None = None,
    on_read: Callable[[int, int], None] | None = None,
) -> dict[str, LiveAccount]:
    """Read ``accounts`` in parallel; ``iam_for(account)`` returns an IAM client in that account;
    ``adopted``: what the org file adopted in place (see :func:`read_account`); ``on_read(done,
    total)`` hears each account read, in this thread, as they finish (a person's progress)."""
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(accounts) or 1))) as pool:
        def read(account: Account) -> LiveAccount:
            return read_account(iam_for(account), account, path, adopted)

        futures = {a.name: pool.submit(read, a) for a in accounts}
        if on_read is not None:
            for done, _ in enumerate(as_completed(futures.values()), start=1):
                on_read(done, len(futures))
        return {name: future.result() for name, future in futures.items()}
