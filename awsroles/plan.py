"""Pure: desired state vs live state -> an ordered list of changes, each with its IAM operations.

The plan decides everything; :mod:`awsroles.apply` only executes the operations in order. Every
operation is idempotent or tolerated when repeated (see ``apply.BENIGN``), so a re-run after a
partial apply converges.

Kinds of change: ``create``, ``update`` and ``delete``. An update is marked ``drift`` when the
live resource was changed outside awsroles (its settings no longer hash to the digest tag that
awsroles wrote). Deletes of managed resources that left the org file happen only with
``prune``; otherwise they are listed as ``kept``. A desired name already taken by a resource that
awsroles does not manage is a ``Conflict``: the plan never touches it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles import policies
from awsroles.desired import (
    DIGEST_TAG,
    AccountSpec,
    RoleSpec,
    UserSpec,
    role_digest,
    user_digest,
)
from awsroles.durations import format_duration
from awsroles.model import Account, Org
from awsroles.state import LiveAccount, LiveGroup, LivePolicy, LiveRole, LiveUser

Op = tuple[str, dict[str, Any]]
REQUIRE_NO_CREDENTIALS = "awsroles:require-no-credentials"  # a guard apply runs before deleting a user
MAX_POLICY_VERSIONS = 5


@dataclass(frozen=True)
class Change:
    account: str
    account_id: str
    action: str  # create | update | delete
    kind: str  # policy | group | role | user
    name: str
    details: tuple[str, ...] = ()
    diffs: tuple[tuple[str, str], ...] = ()  # (what, unified diff of canonical JSON: live -> org file)
    drift: bool = False
    ops: tuple[Op, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account, "account_id": self.account_id, "action": self.action, "kind": self.kind,
            "name": self.name, "drift": self.drift, "details": list(self.details),
            "diffs": [{"what": w, "diff": d} for w, d in self.diffs],
            "operations": [{"call": method, "params": params} for method, params in self.ops],
        }


@dataclass(frozen=True)
class Conflict:
    account: str
    account_id: str
    kind: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.account} ({self.account_id}): {self.kind} {self.name}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"account": self.account, "account_id": self.account_id, "kind": self.kind, "name": self.name,
                "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    kept: tuple[Change, ...] = ()  # deletes that need --prune
    conflicts: tuple[Conflict, ...] = ()
    api_calls: Mapping[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.changes and not self.conflicts

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def drifted(self) -> int:
        return sum(1 for c in self.changes if c.drift)

    def as_dict(self) -> dict[str, Any]:
        return {
            "empty": self.empty,
            "summary": {"create": self.count("create"), "update": self.count("update"),
                        "delete": self.count("delete"), "drift": self.drifted, "kept": len(self.kept),
                        "conflicts": len(self.conflicts)},
            "changes": [c.as_dict() for c in self.changes],
            "kept": [c.as_dict() for c in self.kept],
            "conflicts": [c.as_dict() for c in self.conflicts],
            "api_calls": dict(self.api_calls),
        }


# -- helpers ----------------------------------------------------------------------------------


def _json(document: Mapping[str, Any] | str) -> str:
    return document if isinstance(document, str) else policies.canonical_json(dict(document))


def _diff(what: str, live: Mapping[str, Any] | str | None, desired: Mapping[str, Any] | str | None) -> tuple[str, str]:
    before = _json(live).splitlines(keepends=True) if live is not None else []
    after = _json(desired).splitlines(keepends=True) if desired is not None else []
    text = "".join(difflib.unified_diff(before, after, "live", "org file", n=2))
    return what, text


def _tags(items: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in items]


def _tag_ops(kind: str, name_param: str, name: str, live: Mapping[str, str],
             desired: tuple[tuple[str, str], ...]) -> tuple[list[Op], list[str]]:
    want = dict(desired)
    ops: list[Op] = []
    details: list[str] = []
    changed = {k: v for k, v in want.items() if live.get(k) != v}
    removed = sorted(k for k in live if k not in want and not k.startswith("aws:"))
    if changed:
        ops.append((f"tag_{kind}", {name_param: name, "Tags": _tags(tuple(sorted(changed.items())))}))
        details.extend(f"tag {k}" for k in sorted(changed) if k != DIGEST_TAG)
    if removed:
        ops.append((f"untag_{kind}", {name_param: name, "TagKeys": removed}))
        details.extend(f"remove tag {k}" for k in removed)
    return ops, details


def _attach_ops(kind: str, name_param: str, name: str, live: tuple[str, ...],
                desired: tuple[str, ...]) -> tuple[list[Op], list[str]]:
    ops: list[Op] = []
    details: list[str] = []
    for arn in sorted(set(desired) - set(live)):
        ops.append((f"attach_{kind}_policy", {name_param: name, "PolicyArn": arn}))
        details.append(f"attach {arn}")
    for arn in sorted(set(live) - set(desired)):
        ops.append((f"detach_{kind}_policy", {name_param: name, "PolicyArn": arn}))
        details.append(f"detach {arn}")
    return ops, details


def _inline_ops(kind: str, name_param: str, name: str, live: Mapping[str, Any],
                desired: Mapping[str, str]) -> tuple[list[Op], list[str], list[tuple[str, str]]]:
    ops: list[Op] = []
    details: list[str] = []
    diffs: list[tuple[str, str]] = []
    for policy, document in sorted(desired.items()):
        if policy not in live or not policies.same_document(live[policy], document):
            ops.append((f"put_{kind}_policy", {name_param: name, "PolicyName": policy, "PolicyDocument": document}))
            details.append(f"{'change' if policy in live else 'add'} inline policy {policy}")
            diffs.append(_diff(f"inline policy {policy}", live.get(policy), document))
    for policy in sorted(set(live) - set(desired)):
        ops.append((f"delete_{kind}_policy", {name_param: name, "PolicyName": policy}))
        details.append(f"remove inline policy {policy}")
        diffs.append(_diff(f"inline policy {policy}", live[policy], None))
    return ops, details, diffs


# -- per kind -----------------------------------------------------------------------------------


class _AccountPlanner:
    def __init__(self, org: Org, account: Account, spec: AccountSpec, live: LiveAccount):
        self.org, self.account, self.spec, self.live = org, account, spec, live
        self.changes: list[Change] = []
        self.deletes: list[Change] = []
        self.conflicts: list[Conflict] = []
        self.delete_conflicts: list[Conflict] = []  # only matter when pruning

    def change(self, action: str, kind: str, name: str, ops: list[Op], details: list[str] | None = None,
               diffs: list[tuple[str, str]] | None = None, drift: bool = False) -> None:
        change = Change(self.account.name, self.account.id, action, kind, name, tuple(details or ()),
                        tuple(diffs or ()), drift, tuple(ops))
        (self.deletes if action == "delete" else self.changes).append(change)

    def taken(self, kind: str, name: str) -> bool:
        path = self.live.unmanaged.get(kind, {}).get(name)
        if path is None:
            return False
        self.conflicts.append(Conflict(
            self.account.name, self.account.id, kind, name,
            f"exists at path {path}, which awsroles does not manage and never touches: rename or remove it, "
            f"or, for a user or group, move it under {self.org.path} (update-user/update-group --new-path) to "
            "let awsroles adopt it (a role's path cannot change)",
        ))
        return True

    def policy_arn(self, name: str) -> str:
        return f"arn:{self.org.partition}:iam::{self.account.id}:policy{self.org.path}{name}"

    # managed policies ---------------------------------------------------------------------

    def policies(self) -> None:
        for spec in self.spec.policies:
            live = self.live.policies.get(spec.name)
            if live is None:
                if not self.taken("policy", spec.name):
                    self.change("create", "policy", spec.name, [("create_policy", {
                        "PolicyName": spec.name, "Path": spec.path, "PolicyDocument": spec.document,
                        "Description": spec.description, "Tags": _tags(spec.tags)})])
            elif not policies.same_document(live.document, spec.document):
                ops: list[Op] = []
                if len(live.versions) + 1 >= MAX_POLICY_VERSIONS:
                    ops.append(("delete_policy_version", {"PolicyArn": live.arn, "VersionId": live.versions[0]}))
                ops.append(("create_policy_version", {"PolicyArn": live.arn, "PolicyDocument": spec.document,
                                                      "SetAsDefault": True}))
                self.change("update", "policy", spec.name, ops, ["new default version"],
                            [_diff("policy document", live.document, spec.document)])

    def delete_policy(self, live: LivePolicy) -> None:
        foreign = [f"{kind} {name}" for kind, name in live.attached_to if not self._managed(kind, name)]
        if foreign:
            self.delete_conflicts.append(Conflict(self.account.name, self.account.id, "policy", live.name,
                                           f"left the org file but is attached to {', '.join(foreign)}, which "
                                           "awsroles does not manage; detach it there first"))
            return
        ops: list[Op] = [(f"detach_{kind}_policy", {_NAME_PARAM[kind]: name, "PolicyArn": live.arn})
                         for kind, name in live.attached_to]
        ops += [("delete_policy_version", {"PolicyArn": live.arn, "VersionId": v}) for v in live.versions]
        ops.append(("delete_policy", {"PolicyArn": live.arn}))
        self.change("delete", "policy", live.name, ops)

    def _managed(self, kind: str, name: str) -> bool:
        return name in {"user": self.live.users, "group": self.live.groups, "role": self.live.roles}[kind]

    # groups ----------------------------------------------------------------------------------

    def groups(self) -> None:
        for spec in self.spec.groups:
            live = self.live.groups.get(spec.name)
            inline = {p.name: p.document for p in spec.inline}
            if live is None:
                if self.taken("group", spec.name):
                    continue
                ops: list[Op] = [("create_group", {"GroupName": spec.name, "Path": spec.path})]
                ops += _inline_ops("group", "GroupName", spec.name, {}, inline)[0]
                ops += _attach_ops("group", "GroupName", spec.name, (), spec.managed)[0]
                self.change("create", "group", spec.name, ops)
                continue
            inline_ops, details, diffs = _inline_ops("group", "GroupName", spec.name, live.inline, inline)
            attach_ops, attach_details = _attach_ops("group", "GroupName", spec.name, live.managed, spec.managed)
            if inline_ops or attach_ops:
                self.change("update", "group", spec.name, inline_ops + attach_ops, details + attach_details, diffs)

    def delete_group(self, live: LiveGroup) -> None:
        ops: list[Op] = [("remove_user_from_group", {"GroupName": live.name, "UserName": u}) for u in live.members]
        ops += [("delete_group_policy", {"GroupName": live.name, "PolicyName": p}) for p in sorted(live.inline)]
        ops += [("detach_group_policy", {"GroupName": live.name, "PolicyArn": a}) for a in live.managed]
        ops.append(("delete_group", {"GroupName": live.name}))
        self.change("delete", "group", live.name, ops)

    # roles ---------------------------------------------------------------------------------

    def roles(self) -> None:
        for spec in self.spec.roles:
            live = self.live.roles.get(spec.name)
            inline = {p.name: p.document for p in spec.inline}
            if live is None:
                if self.taken("role", spec.name):
                    continue
                params: dict[str, Any] = {
                    "RoleName": spec.name, "Path": spec.path, "AssumeRolePolicyDocument": spec.trust_policy,
                    "MaxSessionDuration": spec.max_session, "Tags": _tags(spec.tags)}
                if spec.description:
                    params["Description"] = spec.description
                ops: list[Op] = [("create_role", params)]
                ops += _attach_ops("role", "RoleName", spec.name, (), spec.managed)[0]
                ops += _inline_ops("role", "RoleName", spec.name, {}, inline)[0]
                self.change("create", "role", spec.name, ops)
                continue
            self.update_role(spec, live, inline)

    def update_role(self, spec: RoleSpec, live: LiveRole, inline: dict[str, str]) -> None:
        ops: list[Op] = []
        details: list[str] = []
        diffs: list[tuple[str, str]] = []
        if not policies.same_document(live.trust_policy, spec.trust_policy):
            ops.append(("update_assume_role_policy", {"RoleName": spec.name, "PolicyDocument": spec.trust_policy}))
            details.append("trust policy")
            diffs.append(_diff("trust policy", live.trust_policy, spec.trust_policy))
        if live.max_session != spec.max_session or live.description != spec.description:
            ops.append(("update_role", {"RoleName": spec.name, "MaxSessionDuration": spec.max_session,
                                        "Description": spec.description}))
            if live.max_session != spec.max_session:
                details.append(f"max_session {format_duration(live.max_session)} -> "
                               f"{format_duration(spec.max_session)}")
            if live.description != spec.description:
                details.append(f"description {live.description!r} -> {spec.description!r}")
        attach_ops, attach_details = _attach_ops("role", "RoleName", spec.name, live.managed, spec.managed)
        inline_ops, inline_details, inline_diffs = _inline_ops("role", "RoleName", spec.name, live.inline, inline)
        tag_ops, tag_details = _tag_ops("role", "RoleName", spec.name, live.tags, spec.tags)
        ops += attach_ops + inline_ops + tag_ops
        if not ops:
            return
        live_digest = role_digest(live.path, live.trust_policy, live.max_session, live.description, live.managed,
                                  live.inline)
        drift = live.tags.get(DIGEST_TAG) not in (None, live_digest)
        self.change("update", "role", spec.name, ops, details + attach_details + inline_details + tag_details,
                    diffs + inline_diffs, drift)

    def delete_role(self, live: LiveRole) -> None:
        ops: list[Op] = [("remove_role_from_instance_profile", {"InstanceProfileName": p, "RoleName": live.name})
                         for p in live.instance_profiles]
        ops += [("delete_role_policy", {"RoleName": live.name, "PolicyName": p}) for p in sorted(live.inline)]
        ops += [("detach_role_policy", {"RoleName": live.name, "PolicyArn": a}) for a in live.managed]
        ops.append(("delete_role", {"RoleName": live.name}))
        self.change("delete", "role", live.name, ops)

    # users ---------------------------------------------------------------------------------

    def users(self) -> None:
        for spec in self.spec.users:
            live = self.live.users.get(spec.name)
            if live is None:
                if self.taken("user", spec.name):
                    continue
                ops: list[Op] = [("create_user", {"UserName": spec.name, "Path": spec.path, "Tags": _tags(spec.tags)})]
                ops += [("add_user_to_group", {"GroupName": g, "UserName": spec.name}) for g in spec.groups]
                self.change("create", "user", spec.name, ops)
                continue
            self.update_user(spec, live)

    def update_user(self, spec: UserSpec, live: LiveUser) -> None:
        managed_groups = set(self.live.groups) | {g.name for g in self.spec.groups}
        current = tuple(g for g in live.groups if g in managed_groups)  # other groups are not ours
        ops: list[Op] = []
        details: list[str] = []
        for group in sorted(set(spec.groups) - set(current)):
            ops.append(("add_user_to_group", {"GroupName": group, "UserName": spec.name}))
            details.append(f"join {group}")
        for group in sorted(set(current) - set(spec.groups)):
            ops.append(("remove_user_from_group", {"GroupName": group, "UserName": spec.name}))
            details.append(f"leave {group}")
        tag_ops, tag_details = _tag_ops("user", "UserName", spec.name, live.tags, spec.tags)
        ops += tag_ops
        if not ops:
            return
        drift = live.tags.get(DIGEST_TAG) not in (None, user_digest(live.path, current, live.tags))
        self.change("update", "user", spec.name, ops, details + tag_details, [], drift)

    def delete_user(self, live: LiveUser) -> None:
        ops: list[Op] = [(REQUIRE_NO_CREDENTIALS, {"UserName": live.name})]
        ops += [("remove_user_from_group", {"GroupName": g, "UserName": live.name}) for g in live.groups]
        ops += [("delete_user_policy", {"UserName": live.name, "PolicyName": p}) for p in sorted(live.inline)]
        ops += [("detach_user_policy", {"UserName": live.name, "PolicyArn": a}) for a in live.managed]
        ops.append(("delete_user", {"UserName": live.name}))
        self.change("delete", "user", live.name, ops)

    # all -------------------------------------------------------------------------------------

    def run(self) -> None:
        self.policies()
        self.groups()
        self.roles()
        self.users()
        wanted_users = {u.name for u in self.spec.users}
        wanted_roles = {r.name for r in self.spec.roles}
        wanted_groups = {g.name for g in self.spec.groups}
        wanted_policies = {p.name for p in self.spec.policies}
        for name in sorted(set(self.live.users) - wanted_users):
            self.delete_user(self.live.users[name])
        for name in sorted(set(self.live.roles) - wanted_roles):
            self.delete_role(self.live.roles[name])
        for name in sorted(set(self.live.groups) - wanted_groups):
            self.delete_group(self.live.groups[name])
        for name in sorted(set(self.live.policies) - wanted_policies):
            self.delete_policy(self.live.policies[name])


_NAME_PARAM = {"user": "UserName", "group": "GroupName", "role": "RoleName"}


def accounts_to_read(org: Org) -> list[Account]:
    """The accounts awsroles may manage something in: ops and every environment account."""
    return [a for a in org.accounts if a.name == org.ops_account or a.environment]


def make_plan(org: Org, specs: tuple[AccountSpec, ...], live: Mapping[str, LiveAccount], *,
              prune: bool = False) -> Plan:
    """The ordered plan: per account (file order), creates and updates (policies, groups, roles,
    users), then deletes in reverse dependency order (users, roles, groups, policies)."""
    by_name = {s.account.name: s for s in specs}
    changes: list[Change] = []
    kept: list[Change] = []
    conflicts: list[Conflict] = []
    for account in accounts_to_read(org):
        if account.name not in live:
            continue
        planner = _AccountPlanner(org, account, by_name.get(account.name, AccountSpec(account)), live[account.name])
        planner.run()
        changes.extend(planner.changes)
        (changes if prune else kept).extend(planner.deletes)
        conflicts.extend(planner.conflicts)
        if prune:
            conflicts.extend(planner.delete_conflicts)
    calls = {name: state.api_calls for name, state in live.items()}
    return Plan(tuple(changes), tuple(kept), tuple(conflicts), calls)


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.as_dict(), indent=2, ensure_ascii=False) + "\n"

