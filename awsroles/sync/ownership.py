"""One account as the planner sees it: what awsroles owns there, and whose each desired name is.

Owned means at the org's IAM path and carrying awsroles' mark (:data:`MARK`). Every live name
in the account is kept folded to lower case, as IAM compares names, so that
:meth:`AccountOwnership.lookup` can decide for each desired name: manage the live resource,
create it, or report a :class:`~awsroles.sync.plan.Conflict` (another path, no mark, another
case). It also holds what planning the account gathers (changes, deletes, conflicts, findings);
:mod:`awsroles.sync.planner` compares each kind of resource on top of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awsroles.iam.desired import GROUP_MARKER_POLICY, AccountSpec
from awsroles.org.entries import Account
from awsroles.org.model import Org
from awsroles.sync.ops import grants_summary
from awsroles.sync.plan import Change, Conflict, Finding, Op, PlanOptions
from awsroles.sync.state import LiveAccount

MARK = {"role": "the managed-by = awsroles tag", "user": "the managed-by = awsroles tag",
        "policy": "the managed-by = awsroles tag", "group": f"the inline marker policy {GROUP_MARKER_POLICY}"}


class AccountOwnership:
    """What is owned and taken in one account, and what planning it has gathered so far."""

    def __init__(self, org: Org, account: Account, spec: AccountSpec, live: LiveAccount, options: PlanOptions):
        self.org, self.account, self.spec, self.live, self.options = org, account, spec, live, options
        self.changes: list[Change] = []
        self.deletes: list[Change] = []
        self.retired: list[Change] = []  # hand-made roles the org file retires: deleted without prune
        self.conflicts: list[Conflict] = []
        self.delete_conflicts: list[Conflict] = []  # only matter when pruning
        self.unowned: list[Finding] = []
        self.foreign: list[Finding] = []
        self.adopted: set[tuple[str, str]] = set()
        self.usable_groups: set[str] = set()  # groups users may be put in: owned, adopted or to be created
        self.refused_policies: set[str] = set()  # ARNs of our managed policies whose name something else holds
        self.moving = org.moving()  # kind -> name -> the path the org file moves it from
        # What awsroles owns (at the path and marked); the rest at the path is "unowned".
        self.roles = {n: r for n, r in live.roles.items() if r.owned}
        self.groups = {n: g for n, g in live.groups.items() if g.owned}
        self.users = {n: u for n, u in live.users.items() if u.owned}
        self.policies_ = {n: p for n, p in live.policies.items() if p.owned}
        at_path: dict[str, Mapping[str, Any]] = {"role": live.roles, "group": live.groups, "user": live.users,
                                                 "policy": live.policies}
        # Every live name in the account, folded to lower case, as IAM compares them.
        self.names: dict[str, dict[str, tuple[str, str, bool]]] = {}  # kind -> lower -> (name, path, owned)
        for kind, items in at_path.items():
            folded = self.names.setdefault(kind, {})
            for name, item in items.items():
                folded[name.lower()] = (name, item.path, bool(item.owned))
            for name, path in live.unmanaged.get(kind, {}).items():
                folded[name.lower()] = (name, path, False)

    def conflict(self, kind: str, name: str, reason: str) -> None:
        self.conflicts.append(Conflict(self.account.name, self.account.id, kind, name, reason))

    def change(self, action: str, kind: str, name: str, ops: list[Op], details: list[str] | None = None,
               diffs: list[tuple[str, str]] | None = None, drift: bool = False) -> None:
        if (kind, name) in self.adopted and action == "update":
            action = "adopt"
        change = Change(self.account.name, self.account.id, action, kind, name, tuple(details or ()),
                        tuple(diffs or ()), drift, tuple(ops))
        (self.deletes if action == "delete" else self.changes).append(change)

    def lookup(self, kind: str, name: str, owned: Mapping[str, Any], at_path: Mapping[str, Any]) -> Any:
        """The live resource awsroles may manage as ``name``, or None to create it; a name taken by
        something else (unowned at the path without --adopt, another path, another case) is a conflict,
        and returns the sentinel ``False``."""
        expected = self.expected_path(kind, name)
        if name in owned and owned[name].path == expected:
            return owned[name]
        found = self.names.get(kind, {}).get(name.lower())
        if found is None:
            return None
        live_name, path, _owned = found
        moved_from = self.moving.get(kind, {}).get(name)
        if live_name == name and moved_from == path and name in at_path:
            # Where the org file says it is now (``move_from``): awsroles' there once marked, and the
            # planner moves it to ``expected``.
            if name in owned:
                return owned[name]
            if self.options.adopt:
                self.adopted.add((kind, name))
                return at_path[name]
            self.conflict(kind, name, f"exists at {path}, where the org file moves it from (move_from), without "
                                      f"{MARK[kind]}, so awsroles does not own it yet and never changes it: "
                                      "`awsroles apply --adopt` marks it, then moves it to " + expected)
            return False
        if live_name != name:
            self.conflict(kind, name, f"IAM names are case-insensitive and {kind} {live_name} (path {path}) "
                                      f"already takes this name; use the same case in the org file, or rename "
                                      f"or remove {live_name}")
            return False
        if path == expected and name in at_path:
            item = at_path[name]
            if kind == "group" and not (item.members or item.managed or item.inline):
                # CreateGroup and the marker are two calls: an apply stopped between them leaves an
                # empty group. Empty, it grants nothing and holds no one, so taking it over is safe.
                self.adopted.add((kind, name))
                return item
            if self.options.adopt:
                self.adopted.add((kind, name))
                return at_path[name]
            where = "the awsroles path" if path == self.org.path else "the path the org file adopts it at,"
            self.conflict(kind, name, f"exists at {where} {path} without {MARK[kind]}, so awsroles "
                                      "does not own it and never changes it: adopt it with `awsroles apply "
                                      "--adopt` (or `awsroles import`), or rename or remove it")
            return False
        self.conflict(kind, name, f"exists at path {path}, which awsroles does not manage and never touches "
                                  f"(the org file says {expected}): rename or remove it, or adopt it in place "
                                  f"where it is (`path = {path}` in its [role] or [user] section, a team's "
                                  "`group = PATH/NAME`; see docs/migrate-console.md), then `awsroles apply "
                                  "--adopt`")
        return False

    def expected_path(self, kind: str, name: str) -> str:
        """Where the org file wants ``name``: its adopted path, else the org's."""
        if kind == "role":
            return self.org.role_path(name)
        if kind == "user":
            return self.org.user_path(name)
        if kind == "group":
            return next((p for p, g in (self.org.team_group(t.name) for t in self.org.teams) if g == name),
                        self.org.path)
        return self.org.path

    def policy_arn(self, name: str) -> str:
        return f"arn:{self.org.partition}:iam::{self.account.id}:policy{self.org.path}{name}"

    def describe(self, arn: str) -> str:
        if arn in self.live.documents:
            return grants_summary(self.live.documents[arn])
        if ":iam::aws:policy/" in arn:
            return f"AWS managed policy {arn.rsplit('/', 1)[-1]}"
        return "a policy in another account"

    def _owned(self, kind: str, name: str) -> bool:
        owned: dict[str, Mapping[str, Any]] = {"user": self.users, "group": self.groups, "role": self.roles}
        return name in owned[kind]
