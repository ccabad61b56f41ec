"""What an import read outside the org's IAM path, and why it was not imported.

``GetAccountAuthorizationDetails`` returns every user, group and role of an account, wherever it
sits; only what is at the org's path becomes the org file. The rest is listed here, each with its
reason, so that nothing read is dropped silently: a console-made org at ``/`` shows up as people,
teams and roles not imported, not as an empty file. Pure: works on what was read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from awsroles.importer.accounts import Accounts
from awsroles.importer.documents import allows_assume_role, per_role, statements_of
from awsroles.sync.state import LiveAccount, LiveGroup

AWS_PATHS = ("/aws-service-role/", "/aws-reserved/", "/service-role/")
GUIDE = "docs/migrate-console.md"


@dataclass(frozen=True)
class NotImported:
    """One user, group or role the import read and left out, and why."""

    account: str  # account name
    kind: str  # user, group or role
    name: str
    path: str
    reason: str
    expected: bool = False  # what every account holds (the bootstrap role, AWS's own roles): in JSON, not warned

    def as_dict(self) -> dict[str, str]:
        return {"account": self.account, "kind": self.kind, "name": self.name, "path": self.path,
                "reason": self.reason}


def assumable(group: LiveGroup) -> list[str]:
    """The role ARNs (as written, wildcards and all) that ``group``'s inline policies allow to assume."""
    arns: list[str] = []
    for document in group.inline.values():
        for statement in statements_of(document):
            if allows_assume_role(statement):
                arns.extend(a for a in per_role(statement)[1] if ":role/" in a or a == "*")
    return arns


def _role_reason(arn: str, assumed_by: Mapping[str, list[str]]) -> str:
    groups = sorted(g for g, arns in assumed_by.items() if arn in arns)
    if groups:
        return f"ops group(s) {', '.join(groups)} may assume it: a role people use, outside the path"
    return "no ops group's inline policy names it"


def _outside(kind: str, state: LiveAccount, path: str) -> dict[str, str]:
    """name -> path of every ``kind`` in ``state`` outside ``path``: known by name, or read in full (an
    import that adopts in place reads them all)."""
    full: Mapping[str, Any] = {"user": state.users, "group": state.groups, "role": state.roles}[kind]
    found = {name: item.path for name, item in full.items() if item.path != path}
    if kind == "group":
        found.update({name: group.path for name, group in state.other_groups.items()})
    else:
        found.update(state.unmanaged.get(kind, {}))
    return found


def not_imported(accounts: Accounts, live: Mapping[str, LiveAccount], *, path: str, bootstrap_role: str,
                 partition: str = "aws", adopted: Set[tuple[str, str, str]] = frozenset(),
                 replaced: Mapping[str, tuple[str, str]] | None = None) -> list[NotImported]:
    """Every user and group of the ops account and every role of an environment account that sits at
    another path than ``path``, with why it was not imported: ops' users then groups, then each environment
    account's roles, each sorted by name. ``replaced``: old role name -> (its path, the role of the org
    file that replaces it): listed as such, not warned about."""
    replaced = replaced or {}
    found: list[NotImported] = []
    ops = live.get(accounts.ops)
    groups: dict[str, LiveGroup] = {}
    if ops is not None:
        groups = {**{n: g for n, g in ops.groups.items() if g.path != path}, **ops.other_groups}
    assumed_by = {name: assumable(group) for name, group in groups.items()}
    if ops is not None:
        member_of: dict[str, list[str]] = {}
        for group in groups.values():
            for member in group.members:
                member_of.setdefault(member, []).append(group.name)
        for user, user_path in sorted(_outside("user", ops, path).items()):
            if (accounts.ops, "user", user) in adopted:
                continue
            teams = sorted(member_of.get(user, []))
            reason = f"in group(s) {', '.join(teams)}" if teams else "in no group"
            found.append(NotImported(accounts.ops, "user", user, user_path, reason))
        for name, group in sorted(groups.items()):
            if (accounts.ops, "group", name) in adopted:
                continue
            roles = assumed_by[name]
            reason = (f"may assume {len(roles)} role(s): a team, outside the path" if roles
                      else "allows no sts:AssumeRole in its inline policies: not a team")
            found.append(NotImported(accounts.ops, "group", name, group.path, reason))
    for account in accounts.to_read:
        state = live.get(account.name)
        if state is None or not account.environment:
            continue
        for name, role_path in sorted(_outside("role", state, path).items()):
            if (account.name, "role", name) in adopted:
                continue
            arn = f"arn:{partition}:iam::{account.id}:role{role_path}{name}"
            if name == bootstrap_role:
                item = NotImported(account.name, "role", name, role_path,
                                   "the bootstrap role (how awsroles reaches the account)", expected=True)
            elif name in replaced and replaced[name][0] == role_path:
                item = NotImported(account.name, "role", name, role_path,
                                   f"replaced by role {replaced[name][1]} (replaces): kept as it is until retired",
                                   expected=True)
            elif role_path.startswith(AWS_PATHS):
                item = NotImported(account.name, "role", name, role_path, "made by AWS for a service", expected=True)
            else:
                item = NotImported(account.name, "role", name, role_path, _role_reason(arn, assumed_by))
            found.append(item)
    return found


def warnings(items: Sequence[NotImported], path: str) -> list[str]:
    """One warning per account and kind, naming each resource with its path and reason (but for the
    bootstrap role and AWS's own roles, which every account holds); then how to bring them in, when
    any of them is something people use."""
    out: list[str] = []
    by_kind: dict[tuple[str, str], list[NotImported]] = {}
    for item in items:
        if item.expected:
            continue
        by_kind.setdefault((item.account, item.kind), []).append(item)
    for (account, kind), listed in by_kind.items():
        out.append(f"{account}: {len(listed)} {kind}(s) outside {path} not imported (awsroles never touches "
                   "them): " + "; ".join(f"{i.name} (at {i.path}, {i.reason})" for i in listed))
    if any((not i.expected and i.kind == "user") or "a team" in i.reason or "people use" in i.reason for i in items):
        out.append(f"people, teams or roles were made outside {path} (e.g. by hand in the console, at /): "
                   f"awsroles only imports what is at its path; see {GUIDE} for how to bring them in")
    return out
