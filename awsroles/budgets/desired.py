"""Pure: the org model -> exactly the AWS Budgets that ``apply`` makes in the billing account.

One COST budget per environment with a ``budget`` in the org file, named ``awsroles-ORG-ENV``:
monthly, its limit in USD, counting the costs of the environment's account (``CostFilters``
``LinkedAccount``; AWS's default cost types, which are the unblended costs ``awsroles costs``
reports by default), with one notification per alert (``GREATER_THAN`` a ``PERCENTAGE`` of the
budget, of ``ACTUAL`` or ``FORECASTED`` cost), each with every address of ``budget_notify`` as an
``EMAIL`` subscriber. The plan and the Terraform export are both derived from this.

Ownership, as everywhere in awsroles: a budget is awsroles' when its name starts with the org's
prefix (``awsroles-ORG-``, the budgets' counterpart of the IAM path) *and* it carries the tags
``managed-by = awsroles`` and ``awsroles-org = ORG``. The digest tag holds a hash of everything
awsroles set, so that a budget changed by hand is told apart from an org file that changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from awsroles.org.entries import Budget
from awsroles.org.marks import MANAGED_BY_TAG, budget_name, budget_prefix
from awsroles.org.model import Org

ORG_TAG = "awsroles-org"
ENVIRONMENT_TAG = "awsroles-environment"
DIGEST_TAG = "awsroles-digest"
BUDGET_TYPE = "COST"
TIME_UNIT = "MONTHLY"
LINKED_ACCOUNT = "LinkedAccount"
GREATER_THAN = "GREATER_THAN"
PERCENTAGE = "PERCENTAGE"
ACTUAL, FORECASTED = "ACTUAL", "FORECASTED"
EMAIL = "EMAIL"
# AWS's defaults for a cost budget (AWS Billing and Cost Management API Reference, "CostTypes"),
# set explicitly so that a change by hand (credits left out, amortized costs...) shows as drift.
COST_TYPES: Mapping[str, bool] = {
    "IncludeTax": True, "IncludeSubscription": True, "UseBlended": False, "IncludeRefund": True,
    "IncludeCredit": True, "IncludeUpfront": True, "IncludeRecurring": True, "IncludeOtherSubscription": True,
    "IncludeSupport": True, "IncludeDiscount": True, "UseAmortized": False,
}

Tags = tuple[tuple[str, str], ...]
Subscriber = tuple[str, str]  # (SubscriptionType, Address)


def number(value: Any) -> str:
    """A decimal amount or threshold as one canonical text (``5000.0`` and ``5000`` are ``5000``)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return format(amount.normalize(), "f") if amount else "0"


@dataclass(frozen=True)
class NotificationSpec:
    """One notification of a budget, as AWS identifies it (threshold as :func:`number` text)."""

    type: str  # ACTUAL | FORECASTED
    threshold: str
    comparison: str = GREATER_THAN
    threshold_type: str = PERCENTAGE

    def sort_key(self) -> tuple[str, Decimal, str, str]:
        """Actual before forecast, then by threshold as a number."""
        return self.type, Decimal(self.threshold), self.comparison, self.threshold_type

    def as_aws(self) -> dict[str, Any]:
        return {"NotificationType": self.type, "ComparisonOperator": self.comparison,
                "Threshold": float(self.threshold), "ThresholdType": self.threshold_type}

    def __str__(self) -> str:
        kind = "forecast " if self.type == FORECASTED else "" if self.type == ACTUAL else f"{self.type} "
        unit = "%" if self.threshold_type == PERCENTAGE else f" ({self.threshold_type})"
        comparison = "" if self.comparison == GREATER_THAN else f"{self.comparison} "
        return f"{comparison}{kind}{self.threshold}{unit}"


@dataclass(frozen=True)
class BudgetSpec:
    """One AWS Budget as awsroles makes it."""

    name: str
    environment: str
    account_ids: tuple[str, ...]  # the accounts whose costs count
    amount: str  # :func:`number` text
    unit: str
    notifications: tuple[NotificationSpec, ...]
    subscribers: tuple[Subscriber, ...]  # of every notification
    tags: Tags  # with the digest

    @property
    def cost_filters(self) -> dict[str, list[str]]:
        return {LINKED_ACCOUNT: list(self.account_ids)}

    def document(self) -> dict[str, Any]:
        """The ``Budget`` of CreateBudget, and the ``NewBudget`` of UpdateBudget."""
        return {"BudgetName": self.name, "BudgetLimit": {"Amount": self.amount, "Unit": self.unit},
                "CostFilters": self.cost_filters, "CostTypes": dict(COST_TYPES), "TimeUnit": TIME_UNIT,
                "BudgetType": BUDGET_TYPE}

    def subscriber_list(self) -> list[dict[str, str]]:
        return [{"SubscriptionType": kind, "Address": address} for kind, address in self.subscribers]


def budget_arn(partition: str, account_id: str, name: str) -> str:
    """What TagResource, UntagResource and ListTagsForResource take."""
    return f"arn:{partition}:budgets::{account_id}:budget/{name}"


def settings_digest(amount: str, unit: str, budget_type: str, time_unit: str,
                    cost_filters: Mapping[str, Sequence[str]], cost_types: Mapping[str, bool], extra: str,
                    notifications: Mapping[NotificationSpec, Sequence[Subscriber]]) -> str:
    """The digest of a budget's settings, from the desired spec or from the live budget alike."""
    value = {
        "amount": number(amount), "unit": unit, "type": budget_type, "time_unit": time_unit,
        "filters": {k: sorted(v) for k, v in sorted(cost_filters.items())},
        "cost_types": dict(sorted(cost_types.items())), "extra": extra,
        "notifications": sorted([n.type, n.comparison, n.threshold, n.threshold_type, sorted(map(list, s))]
                                for n, s in notifications.items()),
    }
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def notifications_of(budget: Budget) -> tuple[NotificationSpec, ...]:
    return tuple(sorted((NotificationSpec(FORECASTED if a.forecast else ACTUAL, number(a.percent))
                         for a in budget.alerts), key=NotificationSpec.sort_key))


def ownership_tags(org: Org, environment: str) -> Tags:
    return tuple(sorted((MANAGED_BY_TAG, (ORG_TAG, org.name), (ENVIRONMENT_TAG, environment))))


def desired_budgets(org: Org) -> tuple[BudgetSpec, ...]:
    """Every budget the org file declares, in the order of its accounts."""
    specs = []
    for budget in org.budgets:
        account = org.environment_account(budget.environment)
        notifications = notifications_of(budget)
        subscribers = tuple((EMAIL, address) for address in budget.notify)
        amount = number(budget.amount)
        digest = settings_digest(amount, budget.currency, BUDGET_TYPE, TIME_UNIT, {LINKED_ACCOUNT: [account.id]},
                                 COST_TYPES, "", dict.fromkeys(notifications, subscribers))
        tags = tuple(sorted((*ownership_tags(org, budget.environment), (DIGEST_TAG, digest))))
        specs.append(BudgetSpec(budget_name(org.name, budget.environment), budget.environment, (account.id,), amount,
                                budget.currency, notifications, subscribers, tags))
    return tuple(specs)


def is_ours(org: Org, name: str, tags: Mapping[str, str]) -> bool:
    """A budget this org's awsroles owns: its name at the org's prefix, and both marks."""
    key, value = MANAGED_BY_TAG
    return name.startswith(budget_prefix(org.name)) and tags.get(key) == value and tags.get(ORG_TAG) == org.name


def other_org(org: Org, tags: Mapping[str, str]) -> str | None:
    """The org another awsroles made this budget for, if it carries the mark of one."""
    key, value = MANAGED_BY_TAG
    owner = tags.get(ORG_TAG)
    return owner if tags.get(key) == value and owner and owner != org.name else None


def flatten(org: Org) -> set[tuple[str, str, str, str]]:
    """The budgets as flat ``(account, type, name, value)`` facts, named after the Terraform
    resource, for equivalence checks (as :func:`awsroles.iam.desired.flatten` for IAM)."""
    account = org.billing_account
    out: set[tuple[str, str, str, str]] = set()
    for spec in desired_budgets(org):
        out.add((account, "aws_budgets_budget", spec.name, f"{spec.amount} {spec.unit} {TIME_UNIT} {BUDGET_TYPE}"))
        out.add((account, "aws_budgets_budget#account_id", spec.name, org.billing.id))
        out.add((account, "aws_budgets_budget#cost_filter", spec.name,
                 f"{LINKED_ACCOUNT}={','.join(sorted(spec.account_ids))}"))
        out.add((account, "aws_budgets_budget#cost_types", spec.name,
                 ",".join(f"{k}={str(v).lower()}" for k, v in sorted(COST_TYPES.items()))))
        out.add((account, "aws_budgets_budget#tags", spec.name, ",".join(f"{k}={v}" for k, v in spec.tags)))
        for notification in spec.notifications:
            out.add((account, "aws_budgets_budget#notification",
                     f"{spec.name}/{notification.type}/{notification.threshold}",
                     f"{notification.comparison} {notification.threshold_type} "
                     + ",".join(sorted(address for _, address in spec.subscribers))))
    return out
