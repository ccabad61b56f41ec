"""Pure: the budgets the org file declares against the budgets in the billing account -> changes.

Ownership as for IAM (:mod:`awsroles.sync.ownership`), with the org's budget-name prefix in the
part of the path: a budget is awsroles' only when its name starts with ``awsroles-ORG-`` and it
carries ``managed-by = awsroles`` and ``awsroles-org = ORG``. A name the org file wants that a
budget awsroles does not own already has is a conflict (``--adopt`` takes over one without any
mark; one marked by another org's awsroles is never taken); budgets at the prefix without the
mark are listed as unowned and never touched. Owned budgets the org file no longer declares are
deleted with ``prune`` only (else kept, as leftovers).

An update is marked drift when the budget was changed outside awsroles: its settings no longer
hash to the digest tag awsroles wrote (amount, filters, cost types, notifications, subscribers).
Every change holds its Budgets calls; ``apply`` runs them with a Budgets client in the billing
account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from awsroles.budgets.desired import (
    BUDGET_TYPE,
    COST_TYPES,
    DIGEST_TAG,
    ORG_TAG,
    TIME_UNIT,
    BudgetSpec,
    NotificationSpec,
    budget_arn,
    is_ours,
    other_org,
)
from awsroles.budgets.state import LiveBudget, LiveBudgets
from awsroles.org.entries import Account
from awsroles.org.marks import MANAGED_BY_TAG, budget_prefix
from awsroles.org.model import Org
from awsroles.sync.plan import Change, Conflict, Finding, Op, PlanOptions

KIND = "budget"
# Every Budgets call a plan may hold (apply runs nothing else on a Budgets client).
BUDGET_CALLS = frozenset({"create_budget", "update_budget", "delete_budget", "create_notification",
                          "delete_notification", "create_subscriber", "delete_subscriber", "tag_resource",
                          "untag_resource"})


@dataclass
class BudgetPlan:
    changes: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unowned: list[Finding] = field(default_factory=list)


def _money(amount: str, unit: str) -> str:
    """``5000 USD``, ``6000.50 USD``: whole amounts without decimals, others in cents."""
    if not amount:
        return "no fixed amount"
    value = Decimal(amount)
    return f"{value if value == value.to_integral() else f'{value:.2f}'} {unit}".strip()


def _subscribers(items: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(address if kind == "EMAIL" else f"{address} ({kind})" for kind, address in items) or "nobody"


def _summary(spec: BudgetSpec) -> str:
    alerts = ", ".join(str(n) for n in spec.notifications) or "no alerts"
    return (f"{_money(spec.amount, spec.unit)} a month for {spec.environment} ({', '.join(spec.account_ids)}); "
            f"{alerts}" + (f" to {_subscribers(spec.subscribers)}" if spec.notifications else ""))


class _Planner:
    def __init__(self, org: Org, account: Account, specs: tuple[BudgetSpec, ...], live: LiveBudgets,
                 options: PlanOptions):
        self.org, self.account, self.specs, self.live, self.options = org, account, specs, live, options
        self.out = BudgetPlan()
        self.adopted: set[str] = set()

    def change(self, action: str, name: str, ops: list[Op], details: list[str], drift: bool = False) -> None:
        change = Change(self.account.name, self.account.id, action, KIND, name, tuple(details), (), drift, tuple(ops))
        (self.out.deletes if action == "delete" else self.out.changes).append(change)

    def conflict(self, name: str, reason: str) -> None:
        self.out.conflicts.append(Conflict(self.account.name, self.account.id, KIND, name, reason))

    def arn(self, name: str) -> str:
        return budget_arn(self.org.partition, self.account.id, name)

    # -- one budget ------------------------------------------------------------------------

    def create(self, spec: BudgetSpec) -> None:
        params = {"AccountId": self.account.id, "Budget": spec.document(),
                  "NotificationsWithSubscribers": [{"Notification": n.as_aws(), "Subscribers": spec.subscriber_list()}
                                                   for n in spec.notifications],
                  "ResourceTags": [{"Key": k, "Value": v} for k, v in spec.tags]}
        self.change("create", spec.name, [("create_budget", params)], [_summary(spec)])

    def update(self, spec: BudgetSpec, live: LiveBudget, adopt: bool) -> None:
        ops: list[Op] = []
        details: list[str] = []
        where = {"AccountId": self.account.id, "BudgetName": spec.name}
        tags = dict(live.tags)
        if adopt:  # the mark first: from here on the budget is awsroles', whatever stops the rest
            mark = {k: v for k, v in spec.tags if k in (MANAGED_BY_TAG[0], ORG_TAG)}
            ops.append(("tag_resource", {"ResourceARN": self.arn(spec.name),
                                         "ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(mark.items())]}))
            details.append("put awsroles' mark on it (tags " + ", ".join(sorted(mark)) + ")")
            tags.update(mark)
        settings: list[str] = []
        if (live.amount, live.unit) != (spec.amount, spec.unit):
            settings.append(f"amount {_money(live.amount, live.unit)} -> {_money(spec.amount, spec.unit)}")
        if dict(live.cost_filters) != {k: tuple(sorted(v)) for k, v in spec.cost_filters.items()}:
            before = "; ".join(f"{k} {', '.join(v)}" for k, v in live.cost_filters.items()) or "none"
            after = "; ".join(f"{k} {', '.join(v)}" for k, v in spec.cost_filters.items())
            settings.append(f"filters {before} -> {after}")
        changed_types = sorted(k for k, v in COST_TYPES.items() if live.cost_types.get(k, v) != v)
        if changed_types:
            settings.append(f"cost types ({', '.join(changed_types)}) back to AWS's defaults")
        if (live.budget_type, live.time_unit) != (BUDGET_TYPE, TIME_UNIT):
            settings.append(f"{live.budget_type} {live.time_unit} -> {BUDGET_TYPE} {TIME_UNIT}")
        if live.extra:
            settings.append("a fixed amount again, instead of planned or automatic limits")
        if settings:
            ops.append(("update_budget", {"AccountId": self.account.id, "NewBudget": spec.document()}))
            details += settings
        wanted = set(spec.notifications)
        for notification in live.notifications:
            if notification.spec not in wanted:
                ops.append(("delete_notification", {**where, "Notification": notification.spec.as_aws()}))
                details.append(f"remove alert {notification.spec} (to {_subscribers(notification.subscribers)})")
        for spec_notification in spec.notifications:
            found = live.notification(spec_notification)
            if found is None:
                ops.append(("create_notification", {**where, "Notification": spec_notification.as_aws(),
                                                    "Subscribers": spec.subscriber_list()}))
                details.append(f"add alert {spec_notification} (to {_subscribers(spec.subscribers)})")
                continue
            ops += self.subscriber_ops(where, spec_notification, found.subscribers, spec.subscribers, details)
        ops += self.tag_ops(spec, tags, details)
        if not ops:
            return
        recorded = live.tags.get(DIGEST_TAG)
        drift = not adopt and recorded is not None and recorded != live.digest()
        self.change("adopt" if adopt else "update", spec.name, ops, details, drift)

    @staticmethod
    def subscriber_ops(where: dict[str, str], notification: NotificationSpec, live: tuple[tuple[str, str], ...],
                       wanted: tuple[tuple[str, str], ...], details: list[str]) -> list[Op]:
        ops: list[Op] = []
        # Additions first: a notification must keep at least one subscriber.
        for kind, address in [s for s in wanted if s not in live]:
            ops.append(("create_subscriber", {**where, "Notification": notification.as_aws(),
                                              "Subscriber": {"SubscriptionType": kind, "Address": address}}))
            details.append(f"alert {notification}: add {address}")
        for kind, address in [s for s in live if s not in wanted]:
            ops.append(("delete_subscriber", {**where, "Notification": notification.as_aws(),
                                              "Subscriber": {"SubscriptionType": kind, "Address": address}}))
            details.append(f"alert {notification}: remove {address}" + (f" ({kind})" if kind != "EMAIL" else ""))
        return ops

    def tag_ops(self, spec: BudgetSpec, live: dict[str, str], details: list[str]) -> list[Op]:
        want = dict(spec.tags)
        ops: list[Op] = []
        changed = {k: v for k, v in want.items() if live.get(k) != v}
        removed = sorted(k for k in live if k not in want and not k.startswith("aws:"))
        if removed:
            ops.append(("untag_resource", {"ResourceARN": self.arn(spec.name), "ResourceTagKeys": removed}))
            details.extend(f"remove tag {k}" for k in removed)
        if changed:  # last: the digest tag says what was written once all of it is
            ops.append(("tag_resource", {"ResourceARN": self.arn(spec.name),
                                         "ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(changed.items())]}))
            details.extend(f"tag {k}" for k in sorted(changed) if k != DIGEST_TAG)
        return ops

    # -- all ---------------------------------------------------------------------------------

    def run(self) -> BudgetPlan:
        budgets = self.live.budgets
        for spec in self.specs:
            live = budgets.get(spec.name)
            if live is None:
                self.create(spec)
            elif is_ours(self.org, live.name, live.tags):
                self.update(spec, live, adopt=False)
            elif (owner := other_org(self.org, live.tags)) is not None:
                self.conflict(spec.name, f"is awsroles' budget of another org ({owner}, by its awsroles-org tag), "
                              "never changed: rename that org's environment, or remove its budget")
            elif self.options.adopt:
                self.adopted.add(spec.name)
                self.update(spec, live, adopt=True)
            else:
                self.conflict(spec.name, f"exists without the {MANAGED_BY_TAG[0]} = {MANAGED_BY_TAG[1]} tag, so "
                              "awsroles does not own it and never changes it: adopt it with `awsroles apply --adopt`, "
                              "or rename or remove it")
        wanted = {s.name for s in self.specs}
        for name, live in budgets.items():
            if name in wanted or name in self.adopted:
                continue
            if is_ours(self.org, name, live.tags):
                self.change("delete", name, [("delete_budget", {"AccountId": self.account.id, "BudgetName": name})],
                            [f"{_money(live.amount, live.unit)} a month, with its alerts"])
            elif other_org(self.org, live.tags) is None:
                self.out.unowned.append(Finding(
                    self.account.name, self.account.id, KIND, name,
                    f"named like awsroles' budgets ({budget_prefix(self.org.name)}...) without the "
                    f"{MANAGED_BY_TAG[0]} = {MANAGED_BY_TAG[1]} tag: not awsroles', never changed or deleted"))
        return self.out


def plan_budgets(org: Org, account: Account, specs: tuple[BudgetSpec, ...], live: LiveBudgets,
                 options: PlanOptions) -> BudgetPlan:
    """The budget changes of the billing account ``account``: creates and updates (in the order of
    ``specs``), deletes of owned budgets the org file no longer declares, conflicts, unowned."""
    return _Planner(org, account, specs, live, options).run()
