"""Read the budgets of the billing account that are named like awsroles' (``awsroles-ORG-...``).

One paginated ``DescribeBudgets`` lists every budget of the account; each one at the org's prefix
is then read in full: its tags (``ListTagsForResource``), its notifications
(``DescribeNotificationsForBudget``) and each notification's subscribers
(``DescribeSubscribersForNotification``). Budgets at other names are never read further: no
budget awsroles makes can have one. The client (a Budgets client in the billing account) is
passed in. A record that is gone (``NotFoundException``: an account without budgets, a budget
deleted while it is read) is simply not there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles.budgets.desired import (
    COST_TYPES,
    PERCENTAGE,
    NotificationSpec,
    Subscriber,
    budget_arn,
    number,
    settings_digest,
)
from awsroles.errors import aws_error_code

ACCESS_DENIED = ("AccessDeniedException", "AccessDenied")  # Budgets' spelling, then the generic one
NOT_FOUND = "NotFoundException"  # what Budgets answers for an account without budgets, or a budget just deleted
# Budget settings awsroles never sets that replace the fixed monthly amount it sets: any of them on a
# budget it manages is a difference. (A filter expression instead of CostFilters shows as other
# filters; fields AWS fills in itself, such as a billing view or health status, are not compared.)
EXTRA_SETTINGS = ("PlannedBudgetLimits", "AutoAdjustData")


@dataclass(frozen=True)
class LiveNotification:
    spec: NotificationSpec
    subscribers: tuple[Subscriber, ...]  # sorted


@dataclass(frozen=True)
class LiveBudget:
    name: str
    amount: str  # number() text; "" for a budget without a fixed limit
    unit: str
    budget_type: str
    time_unit: str
    cost_filters: Mapping[str, tuple[str, ...]]
    cost_types: Mapping[str, bool]  # the cost types awsroles sets (AWS's default where AWS leaves one out)
    extra: str  # canonical JSON of the EXTRA_SETTINGS it has, "" if none
    notifications: tuple[LiveNotification, ...]
    tags: Mapping[str, str]

    def digest(self) -> str:
        """What :func:`awsroles.budgets.desired.settings_digest` gives for the budget as it is."""
        return settings_digest(self.amount, self.unit, self.budget_type, self.time_unit, self.cost_filters,
                               self.cost_types, self.extra, {n.spec: n.subscribers for n in self.notifications})

    def notification(self, spec: NotificationSpec) -> LiveNotification | None:
        return next((n for n in self.notifications if n.spec == spec), None)


@dataclass(frozen=True)
class LiveBudgets:
    """The budgets of one (billing) account named like the org's, read in full."""

    account_id: str
    prefix: str
    budgets: Mapping[str, LiveBudget] = field(default_factory=dict)
    api_calls: int = 0
    unread: str = ""  # why they could not be read (an org file without budgets goes on without them)


def notification_spec(notification: Mapping[str, Any]) -> NotificationSpec:
    """A notification as AWS returns it (a missing ThresholdType is PERCENTAGE: AWS leaves it out)."""
    return NotificationSpec(str(notification.get("NotificationType", "")), number(notification.get("Threshold", 0)),
                            str(notification.get("ComparisonOperator", "")),
                            str(notification.get("ThresholdType") or PERCENTAGE))


def _subscribers(items: Any) -> tuple[Subscriber, ...]:
    return tuple(sorted((str(s.get("SubscriptionType", "")), str(s.get("Address", ""))) for s in items or ()))


def _pages(client: Any, operation: str, key: str, counter: list[int], **params: Any) -> list[Any]:
    """Every item of a paginated Budgets read; a record gone meanwhile (NotFoundException) has none."""
    items: list[Any] = []
    try:
        for page in client.get_paginator(operation).paginate(**params):
            counter[0] += 1
            items.extend(page.get(key, []))
    except Exception as exc:
        if aws_error_code(exc) != NOT_FOUND:
            raise
        counter[0] += 1
    return items


def _budget(client: Any, account_id: str, partition: str, item: Mapping[str, Any]) -> tuple[LiveBudget | None, int]:
    name = str(item["BudgetName"])
    counter = [1]
    try:
        reply = client.list_tags_for_resource(ResourceARN=budget_arn(partition, account_id, name))
    except Exception as exc:
        if aws_error_code(exc) != NOT_FOUND:
            raise
        return None, counter[0]  # deleted since it was listed
    tags = {t["Key"]: t["Value"] for t in reply.get("ResourceTags", [])}
    notifications = []
    for notification in _pages(client, "describe_notifications_for_budget", "Notifications", counter,
                               AccountId=account_id, BudgetName=name):
        subscribers = _pages(client, "describe_subscribers_for_notification", "Subscribers", counter,
                             AccountId=account_id, BudgetName=name, Notification=notification)
        notifications.append(LiveNotification(notification_spec(notification), _subscribers(subscribers)))
    limit = item.get("BudgetLimit") or {}
    extra = {k: item[k] for k in EXTRA_SETTINGS if item.get(k)}
    live = LiveBudget(
        name=name, amount=number(limit["Amount"]) if "Amount" in limit else "", unit=str(limit.get("Unit", "")),
        budget_type=str(item.get("BudgetType", "")), time_unit=str(item.get("TimeUnit", "")),
        cost_filters={str(k): tuple(sorted(str(x) for x in v))
                      for k, v in sorted((item.get("CostFilters") or {}).items())},
        cost_types={k: bool((item.get("CostTypes") or {}).get(k, default)) for k, default in COST_TYPES.items()},
        extra=json.dumps(extra, sort_keys=True, default=str) if extra else "",
        notifications=tuple(sorted(notifications, key=lambda n: n.spec.sort_key())), tags=tags,
    )
    return live, counter[0]


def read_budgets(client: Any, account_id: str, prefix: str, partition: str = "aws") -> LiveBudgets:
    """The budgets of ``account_id`` whose names start with ``prefix``, read in full."""
    counter = [0]
    found: dict[str, LiveBudget] = {}
    listed = _pages(client, "describe_budgets", "Budgets", counter, AccountId=account_id)
    calls = counter[0]
    for item in listed:
        if str(item.get("BudgetName", "")).startswith(prefix):
            budget, more = _budget(client, account_id, partition, item)
            calls += more
            if budget is not None:
                found[budget.name] = budget
    return LiveBudgets(account_id, prefix, dict(sorted(found.items())), calls)
