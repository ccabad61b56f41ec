"""Pure: the desired state -> a browsable tree of policy documents (relative path -> JSON text).

Layout (``<account>`` is the account's name in the org file)::

    <account>/roles/<role>.trust.json            trust policy
    <account>/roles/<role>.<policy>.json         inline permission policies
    <account>/groups/<group>.<policy>.json       team policies (ops account)
    <account>/policies/<policy>.json             customer managed policies (ops account)
    <account>/permission-sets/<role>.json        permission sets' inline policies (Identity Center account)
    index.json                                   every resource, with managed ARNs and settings
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from awsroles.iam.desired import AccountSpec


def role_trust_path(account: str, role: str) -> str:
    return f"{account}/roles/{role}.trust.json"


def role_inline_path(account: str, role: str, policy: str) -> str:
    return f"{account}/roles/{role}.{policy}.json"


def group_inline_path(account: str, group: str, policy: str) -> str:
    return f"{account}/groups/{group}.{policy}.json"


def user_inline_path(account: str, user: str, policy: str) -> str:
    return f"{account}/users/{user}.{policy}.json"


def managed_policy_path(account: str, policy: str) -> str:
    return f"{account}/policies/{policy}.json"


def policy_files(specs: tuple[AccountSpec, ...], identity_center: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every policy document, keyed by its path in the export tree, plus ``index.json`` (with
    ``identity_center``'s entry when given: the org's Identity Center resources)."""
    files: dict[str, str] = {}
    index: dict[str, Any] = {"accounts": []}
    for spec in specs:
        name = spec.account.name
        entry: dict[str, Any] = {"name": name, "id": spec.account.id, "environment": spec.account.environment}
        roles = []
        for role in spec.roles:
            files[role_trust_path(name, role.name)] = role.trust_policy
            for inline in role.inline:
                files[role_inline_path(name, role.name, inline.name)] = inline.document
            entry_role: dict[str, Any] = {
                "name": role.name,
                "path": role.path,
                "description": role.description,
                "max_session_duration": role.max_session,
                "trust_policy": role_trust_path(name, role.name),
                "managed_policies": list(role.managed),
                "inline_policies": {p.name: role_inline_path(name, role.name, p.name) for p in role.inline},
                "tags": dict(role.tags),
            }
            if role.boundary:
                entry_role["permissions_boundary"] = role.boundary
            roles.append(entry_role)
        groups = []
        for group in spec.groups:
            for inline in group.inline:
                files[group_inline_path(name, group.name, inline.name)] = inline.document
            groups.append(
                {
                    "name": group.name,
                    "path": group.path,
                    "managed_policies": list(group.managed),
                    "inline_policies": {p.name: group_inline_path(name, group.name, p.name) for p in group.inline},
                }
            )
        managed = []
        for policy in spec.policies:
            files[managed_policy_path(name, policy.name)] = policy.document
            managed.append(
                {"name": policy.name, "path": policy.path, "document": managed_policy_path(name, policy.name),
                 "tags": dict(policy.tags)}
            )
        users = []
        for u in spec.users:
            user: dict[str, Any] = {"name": u.name, "path": u.path, "groups": list(u.groups), "tags": dict(u.tags)}
            if u.boundary:
                user["permissions_boundary"] = u.boundary
            if u.inline:  # a person's temporary grants
                for inline in u.inline:
                    files[user_inline_path(name, u.name, inline.name)] = inline.document
                user["inline_policies"] = {p.name: user_inline_path(name, u.name, p.name) for p in u.inline}
            users.append(user)
        entry.update({"roles": roles, "policies": managed, "groups": groups, "users": users})
        index["accounts"].append(entry)
    if identity_center is not None:
        index["identity_center"] = dict(identity_center)
    files["index.json"] = json.dumps(index, indent=2, ensure_ascii=False) + "\n"
    return files
