"""AWS Budgets as AWS answers it, where moto 5.2 lacks an operation or a rule.

moto keeps budgets and their notifications, and answers CreateBudget, DescribeBudget(s),
DeleteBudget, CreateNotification, DeleteNotification and DescribeNotificationsForBudget. It has
no UpdateBudget, no subscribers (DescribeSubscribersForNotification, CreateSubscriber,
DeleteSubscriber), no tags (CreateBudget's ResourceTags, TagResource, UntagResource,
ListTagsForResource), and it checks none of the rules below. The sandbox adds them on moto's own
objects (a budget's tags ride on it, a notification's subscribers are moto's), as the AWS Billing
and Cost Management API Reference ("AWS Budgets" actions) describes them:

- a COST budget's ``BudgetLimit.Unit`` is USD: AWS refuses another unit with
  InvalidParameterException "... is not in the supported unit set: [USD]";
- a budget has at most 10 notifications (CreateBudget, "NotificationsWithSubscribers"); a
  notification has 1 to 11 subscribers, at most 10 of them EMAIL and 1 SNS ("Notification");
  more is CreationLimitExceededException;
- a notification is known by its type, comparison, threshold and threshold type (a missing
  ThresholdType is PERCENTAGE); creating one that exists, or a subscriber that exists, is
  DuplicateRecordException; a missing budget, notification or subscriber is NotFoundException
  (moto answers DescribeNotificationsForBudget of a missing budget with a server error);
- UpdateBudget replaces everything but the name (and keeps notifications and tags);
- tags are read and written by the budget's ARN, ``arn:PARTITION:budgets::ACCOUNT:budget/NAME``,
  at most 200 per budget (ServiceQuotaExceededException).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

ALLOWED_UNITS = ("USD",)
MAX_NOTIFICATIONS = 10
MAX_EMAIL_SUBSCRIBERS = 10
MAX_SNS_SUBSCRIBERS = 1
MAX_TAGS = 200
_TAGS = "awsroles_tags"  # where a budget's tags ride on moto's Budget object
_ARN = re.compile(r"arn:[a-z-]+:budgets::(?P<account>\d{12}):budget/(?P<name>.+)")


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError(code, message)
    error.code = 400
    return error


def notification_key(notification: Mapping[str, Any]) -> tuple[str, str, float, str]:
    return (str(notification.get("NotificationType")), str(notification.get("ComparisonOperator")),
            float(notification.get("Threshold", 0)), str(notification.get("ThresholdType") or "PERCENTAGE"))


def _check_budget(budget: Mapping[str, Any], verb: str) -> None:
    limit = budget.get("BudgetLimit") or {}
    if budget.get("BudgetType") == "COST" and limit and limit.get("Unit") not in ALLOWED_UNITS:
        raise _error("InvalidParameterException", f"Unable to {verb} budget - {limit.get('Unit')} is not in the "
                     f"supported unit set: [{', '.join(ALLOWED_UNITS)}]")


def _check_subscribers(subscribers: list[Mapping[str, Any]]) -> None:
    if not subscribers:
        raise _error("InvalidParameterException", "A notification needs at least one subscriber")
    emails = sum(1 for s in subscribers if s.get("SubscriptionType") == "EMAIL")
    sns = sum(1 for s in subscribers if s.get("SubscriptionType") == "SNS")
    if emails > MAX_EMAIL_SUBSCRIBERS or sns > MAX_SNS_SUBSCRIBERS:
        raise _error("CreationLimitExceededException", f"A notification can have at most {MAX_EMAIL_SUBSCRIBERS} "
                     f"email subscribers and {MAX_SNS_SUBSCRIBERS} SNS subscriber")
    addresses = [(s.get("SubscriptionType"), s.get("Address")) for s in subscribers]
    if len(set(addresses)) != len(addresses):
        raise _error("DuplicateRecordException", "Error creating subscriber - the subscriber is listed twice")


def patch_budgets() -> Callable[[], None]:
    """Teach moto the Budgets operations and rules above; returns a function that undoes it."""
    from moto.budgets.models import Notification
    from moto.budgets.responses import BudgetsResponse

    def budget_of(response: Any, name: str | None = None, account: str | None = None) -> Any:
        account = account or response._get_param("AccountId")
        name = name or response._get_param("BudgetName")
        found = response.backend.budgets[account].get(name)
        if found is None:
            raise _error("NotFoundException", f"Unable to get budget: {name} - the budget doesn't exist.")
        return found

    def notification_of(budget: Any, wanted: Mapping[str, Any]) -> Any:
        key = notification_key(wanted)
        found = next((n for n in budget.notifications if notification_key(n.details) == key), None)
        if found is None:
            raise _error("NotFoundException", "Unable to find the notification - the notification doesn't exist.")
        return found

    def budget_by_arn(response: Any) -> Any:
        arn = str(response._get_param("ResourceARN") or "")
        match = _ARN.fullmatch(arn)
        if match is None:
            raise _error("InvalidParameterException", f"Invalid budget ARN: {arn}")
        return budget_of(response, match["name"], match["account"])

    def create_budget(self: Any) -> str:
        budget = self._get_param("Budget") or {}
        notifications = self._get_param("NotificationsWithSubscribers", []) or []
        tags = self._get_param("ResourceTags", []) or []
        _check_budget(budget, "create")
        if len(notifications) > MAX_NOTIFICATIONS:
            raise _error("CreationLimitExceededException", f"A budget can have at most {MAX_NOTIFICATIONS} "
                         "notifications")
        keys = [notification_key(n["Notification"]) for n in notifications]
        if len(set(keys)) != len(keys):
            raise _error("DuplicateRecordException", "Error creating notification - the notification is listed "
                         "twice")
        for entry in notifications:
            _check_subscribers(entry.get("Subscribers") or [])
        if len(tags) > MAX_TAGS:
            raise _error("ServiceQuotaExceededException", f"A budget can have at most {MAX_TAGS} tags")
        self.backend.create_budget(account_id=self._get_param("AccountId"), budget=budget,
                                   notifications=notifications)
        setattr(budget_of(self, budget.get("BudgetName")), _TAGS, {t["Key"]: t["Value"] for t in tags})
        return json.dumps({})

    def update_budget(self: Any) -> str:
        new = dict(self._get_param("NewBudget") or {})
        budget = budget_of(self, new.get("BudgetName"))
        _check_budget(new, "update")
        if "BudgetLimit" not in new and "PlannedBudgetLimits" not in new:
            raise _error("InvalidParameterException", "Unable to create/update budget - please provide one of the "
                         "followings: Budget Limit/ Planned Budget Limit/ Auto Adjust Data")
        from moto.core.utils import unix_time

        new.setdefault("TimePeriod", budget.budget.get("TimePeriod"))
        new["LastUpdatedTime"] = unix_time()
        budget.budget = new
        return json.dumps({})

    def describe_notifications_for_budget(self: Any) -> str:
        budget = budget_of(self)
        return json.dumps({"Notifications": [n.details for n in budget.notifications]})

    def create_notification(self: Any) -> str:
        budget = budget_of(self)
        notification = self._get_param("Notification")
        subscribers = self._get_param("Subscribers") or []
        if any(notification_key(n.details) == notification_key(notification) for n in budget.notifications):
            raise _error("DuplicateRecordException", "Error creating notification - the notification already "
                         "exists.")
        if len(budget.notifications) >= MAX_NOTIFICATIONS:
            raise _error("CreationLimitExceededException", f"A budget can have at most {MAX_NOTIFICATIONS} "
                         "notifications")
        _check_subscribers(subscribers)
        # moto hints subscribers as a dict; they are the request's list, as in CreateBudget
        budget.notifications.append(Notification(details=notification, subscribers=list(subscribers)))  # type: ignore[arg-type]
        return json.dumps({})

    def delete_notification(self: Any) -> str:
        budget = budget_of(self)
        found = notification_of(budget, self._get_param("Notification"))
        budget.notifications.remove(found)
        return json.dumps({})

    def describe_subscribers_for_notification(self: Any) -> str:
        found = notification_of(budget_of(self), self._get_param("Notification"))
        return json.dumps({"Subscribers": list(found.subscribers)})

    def create_subscriber(self: Any) -> str:
        found = notification_of(budget_of(self), self._get_param("Notification"))
        subscriber = self._get_param("Subscriber")
        if subscriber in found.subscribers:
            raise _error("DuplicateRecordException", "Error creating subscriber - the subscriber already exists.")
        _check_subscribers([*found.subscribers, subscriber])
        found.subscribers.append(subscriber)
        return json.dumps({})

    def delete_subscriber(self: Any) -> str:
        found = notification_of(budget_of(self), self._get_param("Notification"))
        subscriber = self._get_param("Subscriber")
        if subscriber not in found.subscribers:
            raise _error("NotFoundException", "Unable to delete subscriber - the subscriber doesn't exist.")
        found.subscribers.remove(subscriber)
        return json.dumps({})

    def list_tags_for_resource(self: Any) -> str:
        tags = getattr(budget_by_arn(self), _TAGS, {})
        return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})

    def tag_resource(self: Any) -> str:
        budget = budget_by_arn(self)
        tags = dict(getattr(budget, _TAGS, {}))
        tags.update({t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []})
        if len(tags) > MAX_TAGS:
            raise _error("ServiceQuotaExceededException", f"A budget can have at most {MAX_TAGS} tags")
        setattr(budget, _TAGS, tags)
        return json.dumps({})

    def untag_resource(self: Any) -> str:
        budget = budget_by_arn(self)
        keys = set(self._get_param("ResourceTagKeys") or [])
        setattr(budget, _TAGS, {k: v for k, v in getattr(budget, _TAGS, {}).items() if k not in keys})
        return json.dumps({})

    methods = {f.__name__: f for f in (
        create_budget, update_budget, describe_notifications_for_budget, create_notification, delete_notification,
        describe_subscribers_for_notification, create_subscriber, delete_subscriber, list_tags_for_resource,
        tag_resource, untag_resource)}
    saved = {name: BudgetsResponse.__dict__.get(name) for name in methods}
    for name, method in methods.items():
        setattr(BudgetsResponse, name, method)

    def undo() -> None:
        for name, original in saved.items():
            if original is None:
                delattr(BudgetsResponse, name)
            else:
                setattr(BudgetsResponse, name, original)

    return undo
