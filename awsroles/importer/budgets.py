"""Budgets from the billing account: awsroles' own (``awsroles-ORG-ENV``, with both marks) become
each environment's ``budget``, ``budget_alerts`` and ``budget_notify``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from awsroles.budgets.desired import ACTUAL, EMAIL, FORECASTED, GREATER_THAN, ORG_TAG, PERCENTAGE
from awsroles.importer.accounts import Accounts
from awsroles.org.entries import Budget, BudgetAlert
from awsroles.org.marks import MANAGED_BY_TAG, budget_prefix
from awsroles.sync.state import LiveAccount


def import_budgets(accounts: Accounts, live_accounts: Mapping[str, LiveAccount], org_name: str
                   ) -> tuple[list[Budget], list[str]]:
    """The budgets awsroles made for this org (``awsroles-ORG-ENV``, with both marks) in the billing
    account, as each environment's ``budget``, ``budget_alerts`` and ``budget_notify``. What the
    file cannot say (an alert that is not a percentage above, SNS subscribers, alerts to different
    addresses) is a warning, and the plan shows the difference."""
    warnings: list[str] = []
    state = live_accounts.get(accounts.billing)
    live = state.budgets if state is not None else None
    if live is None:
        return [], warnings
    if live.unread:
        warnings.append(f"budgets not read in {accounts.billing} ({live.unread}): none imported")
        return [], warnings
    environments = {a.environment for a in accounts.accounts if a.environment}
    prefix = budget_prefix(org_name)
    found: dict[str, Budget] = {}
    for name, budget in live.budgets.items():
        marked = budget.tags.get(MANAGED_BY_TAG[0]) == MANAGED_BY_TAG[1] and budget.tags.get(ORG_TAG) == org_name
        environment = name[len(prefix):]
        if not marked:
            continue  # not awsroles': plan lists it as unowned
        if environment not in environments:
            warnings.append(f"budget {name}: no account of environment {environment!r} was read: left out")
            continue
        if budget.unit != "USD" or not budget.amount:
            warnings.append(f"budget {name}: its limit ({budget.amount or 'none'} {budget.unit}) is not "
                                 "a monthly amount in USD: left out")
            continue
        alerts: list[BudgetAlert] = []
        addresses: set[str] = set()
        for notification in budget.notifications:
            spec = notification.spec
            if (spec.comparison, spec.threshold_type) != (GREATER_THAN, PERCENTAGE) or \
                    spec.type not in (ACTUAL, FORECASTED):
                warnings.append(f"budget {name}: alert {spec} is not a percentage above the budget: "
                                     "left out")
                continue
            alerts.append(BudgetAlert(spec.type == FORECASTED, Decimal(spec.threshold)))
            for kind, address in notification.subscribers:
                if kind == EMAIL:
                    addresses.add(address)
                else:
                    warnings.append(f"budget {name}: alert {spec} also goes to {kind} {address}, which "
                                         "the org file cannot say: left out")
        if len({tuple(s for s in n.subscribers if s[0] == EMAIL) for n in budget.notifications}) > 1:
            warnings.append(f"budget {name}: its alerts go to different addresses; the org file sends "
                                 "every alert to all of them")
        found[environment] = Budget(environment, Decimal(budget.amount), "USD", tuple(alerts),
                                    tuple(sorted(addresses)))
    # In file order of the accounts, as the parser gives them.
    return [found[a.environment] for a in accounts.accounts if a.environment in found], warnings
