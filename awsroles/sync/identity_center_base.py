"""What the Identity Center planner's parts share: the kinds of change, the calls a plan may hold,
the plan's lists, and the helpers every part uses (:mod:`awsroles.sync.identity_center`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from awsroles.org.entries import Account
from awsroles.org.model import Org
from awsroles.sync.plan import Change, Conflict, Finding, Op, PlanOptions

if TYPE_CHECKING:  # what apply needs of this module (the kinds, the calls) loads no Identity Center module
    from awsroles.identity_center.desired import IdentityCenterSpec
    from awsroles.identity_center.state import LiveIdentityCenter

USER, GROUP, PERMISSION_SET, ASSIGNMENT = "ic-user", "ic-group", "permission-set", "assignment"
KINDS = (USER, GROUP, PERMISSION_SET, ASSIGNMENT)  # creates and updates in this order, deletes reversed

# Every call a plan may hold for Identity Center (the runner runs nothing else).
IDENTITY_CENTER_CALLS = frozenset({
    "create_user", "update_user", "delete_user", "create_group", "update_group", "delete_group",
    "create_group_membership", "delete_group_membership", "create_permission_set", "update_permission_set",
    "delete_permission_set", "put_inline_policy_to_permission_set", "delete_inline_policy_from_permission_set",
    "attach_managed_policy_to_permission_set", "detach_managed_policy_from_permission_set",
    "attach_customer_managed_policy_reference_to_permission_set",
    "detach_customer_managed_policy_reference_from_permission_set", "put_permissions_boundary_to_permission_set",
    "delete_permissions_boundary_from_permission_set", "tag_resource", "provision_permission_set",
    "create_account_assignment", "delete_account_assignment",
})


@dataclass
class IdentityCenterPlan:
    changes: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unowned: list[Finding] = field(default_factory=list)
    foreign: list[Finding] = field(default_factory=list)


class PlannerBase:
    """One plan of the Identity Center account: what is wanted, what is live, and the changes so far."""

    def __init__(self, org: Org, spec: IdentityCenterSpec, live: LiveIdentityCenter, options: PlanOptions,
                 now: datetime):
        self.org, self.spec, self.live, self.options, self.now = org, spec, live, options, now
        self.home: Account = org.identity_center_home
        self.out = IdentityCenterPlan()
        self.blocked: set[tuple[str, str]] = set()  # (kind, name) in conflict: nothing is planned on them
        self.user_names = {u.id: u.user_name for u in live.users}
        self.group_names = {g.id: g.display_name for g in live.groups}
        self.set_names = {p.arn: p.name for p in live.permission_sets}
        self.accounts = {a.id: a.name for a in org.accounts if a.id}

    def change(self, action: str, kind: str, name: str, ops: list[Op], details: list[str] | None = None, *,
               drift: bool = False, diffs: list[tuple[str, str]] | None = None) -> Change:
        return Change(self.home.name, self.home.id, action, kind, name, tuple(details or ()), tuple(diffs or ()),
                      drift, tuple(ops))

    def finding(self, kind: str, name: str, reason: str) -> Finding:
        return Conflict(self.home.name, self.home.id, kind, name, reason)

    def owner_problem(self, kind: str, name: str, owner: str | None, what: str) -> bool:
        """True when a live ``what`` named like a wanted one is not this org's (a conflict, unless
        adopting an unmarked one)."""
        if owner == self.org.name:
            return False
        if owner is None and self.options.adopt:
            return False
        reason = (f"{what} exists and belongs to awsroles org '{owner}'" if owner
                  else f"{what} exists and is not awsroles' (plan --adopt to take it over)")
        self.out.conflicts.append(self.finding(kind, name, reason))
        self.blocked.add((kind, name))
        return True

    def account_label(self, account_id: str) -> str:
        name = self.accounts.get(account_id)
        return f"{name} ({account_id})" if name else account_id
