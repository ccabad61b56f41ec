"""The sandbox's AWS Budgets (moto plus :mod:`awsroles.sandbox.server.budgets`) answers as AWS does:
the operations moto lacks, and the rules AWS enforces that moto does not."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
ARN = f"arn:aws:budgets::{ACCOUNT}:budget/team"
ALERT = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
         "ThresholdType": "PERCENTAGE"}
EMAIL = {"SubscriptionType": "EMAIL", "Address": "finance@acme.example"}


def budget(amount: str = "100", unit: str = "USD") -> dict[str, Any]:
    return {"BudgetName": "team", "BudgetLimit": {"Amount": amount, "Unit": unit}, "TimeUnit": "MONTHLY",
            "BudgetType": "COST", "CostFilters": {"LinkedAccount": ["222222222222"]}}


@pytest.fixture
def budgets(moto_aws: None) -> Any:
    return boto3.client("budgets", region_name="us-east-1")


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_tags_subscribers_and_updates(budgets: Any) -> None:
    budgets.create_budget(AccountId=ACCOUNT, Budget=budget(), ResourceTags=[{"Key": "managed-by", "Value": "x"}],
                          NotificationsWithSubscribers=[{"Notification": ALERT, "Subscribers": [EMAIL]}])
    assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == [{"Key": "managed-by", "Value": "x"}]
    budgets.tag_resource(ResourceARN=ARN, ResourceTags=[{"Key": "a", "Value": "1"}])
    budgets.untag_resource(ResourceARN=ARN, ResourceTagKeys=["managed-by"])
    assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == [{"Key": "a", "Value": "1"}]

    subscribers = budgets.describe_subscribers_for_notification(AccountId=ACCOUNT, BudgetName="team",
                                                                Notification=ALERT)["Subscribers"]
    assert subscribers == [EMAIL]
    other = {"SubscriptionType": "EMAIL", "Address": "ops@acme.example"}
    budgets.create_subscriber(AccountId=ACCOUNT, BudgetName="team", Notification=ALERT, Subscriber=other)
    with pytest.raises(ClientError) as exc:
        budgets.create_subscriber(AccountId=ACCOUNT, BudgetName="team", Notification=ALERT, Subscriber=other)
    assert code(exc) == "DuplicateRecordException"
    budgets.delete_subscriber(AccountId=ACCOUNT, BudgetName="team", Notification=ALERT, Subscriber=EMAIL)
    assert budgets.describe_subscribers_for_notification(AccountId=ACCOUNT, BudgetName="team",
                                                         Notification=ALERT)["Subscribers"] == [other]

    budgets.update_budget(AccountId=ACCOUNT, NewBudget=budget("250"))
    live = budgets.describe_budget(AccountId=ACCOUNT, BudgetName="team")["Budget"]
    assert live["BudgetLimit"]["Amount"] == "250"
    assert len(budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="team")["Notifications"]) == 1
    assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == [{"Key": "a", "Value": "1"}]


def test_a_missing_threshold_type_is_a_percentage(budgets: Any) -> None:
    budgets.create_budget(AccountId=ACCOUNT, Budget=budget())
    without = {k: v for k, v in ALERT.items() if k != "ThresholdType"}
    budgets.create_notification(AccountId=ACCOUNT, BudgetName="team", Notification=without, Subscribers=[EMAIL])
    with pytest.raises(ClientError) as exc:
        budgets.create_notification(AccountId=ACCOUNT, BudgetName="team", Notification=ALERT, Subscribers=[EMAIL])
    assert code(exc) == "DuplicateRecordException"
    budgets.delete_notification(AccountId=ACCOUNT, BudgetName="team", Notification=ALERT)
    with pytest.raises(ClientError) as exc:
        budgets.delete_notification(AccountId=ACCOUNT, BudgetName="team", Notification=ALERT)
    assert code(exc) == "NotFoundException"


def test_aws_rules(budgets: Any) -> None:
    with pytest.raises(ClientError) as exc:
        budgets.create_budget(AccountId=ACCOUNT, Budget=budget(unit="EUR"))
    assert code(exc) == "InvalidParameterException" and "not in the supported unit set: [USD]" in str(exc.value)
    many = [{"Notification": {**ALERT, "Threshold": float(n)}, "Subscribers": [EMAIL]} for n in range(1, 12)]
    with pytest.raises(ClientError) as exc:
        budgets.create_budget(AccountId=ACCOUNT, Budget=budget(), NotificationsWithSubscribers=many)
    assert code(exc) == "CreationLimitExceededException"
    eleven = [{"SubscriptionType": "EMAIL", "Address": f"p{n}@acme.example"} for n in range(11)]
    with pytest.raises(ClientError) as exc:
        budgets.create_budget(AccountId=ACCOUNT, Budget=budget(),
                              NotificationsWithSubscribers=[{"Notification": ALERT, "Subscribers": eleven}])
    assert code(exc) == "CreationLimitExceededException"
    for call, params in (("describe_notifications_for_budget", {"AccountId": ACCOUNT, "BudgetName": "nope"}),
                         ("update_budget", {"AccountId": ACCOUNT, "NewBudget": {**budget(), "BudgetName": "nope"}}),
                         ("list_tags_for_resource", {"ResourceARN": ARN})):
        with pytest.raises(ClientError) as exc:
            getattr(budgets, call)(**params)
        assert code(exc) == "NotFoundException", call
    budgets.create_budget(AccountId=ACCOUNT, Budget=budget())
    with pytest.raises(ClientError) as exc:
        budgets.update_budget(AccountId=ACCOUNT, NewBudget=budget(unit="GBP"))
    assert code(exc) == "InvalidParameterException"
