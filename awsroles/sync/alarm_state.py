"""Live: the break-glass alarm of one environment account, per region (EventBridge rule, SNS topic).

Both are named ``awsroles-break-glass``; each is awsroles' only when it carries the
``managed-by = awsroles`` tag (EventBridge and SNS tag their resources; see
:mod:`awsroles.sync.alarms`). What is read: the rule's pattern, state and targets, the topic's
access policy and subscriptions, and the tags of each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles.errors import aws_error_code
from awsroles.org.marks import BREAK_GLASS_ALARM, MANAGED_BY_TAG

_RULE_GONE = frozenset({"ResourceNotFoundException"})
_TOPIC_GONE = frozenset({"NotFound", "NotFoundException"})


def _tags(items: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items}


def owned(tags: Mapping[str, str]) -> bool:
    return tags.get(MANAGED_BY_TAG[0]) == MANAGED_BY_TAG[1]


@dataclass(frozen=True)
class LiveRule:
    arn: str
    pattern: Mapping[str, Any]
    state: str
    description: str
    targets: tuple[tuple[str, str], ...]  # (Id, Arn)
    tags: Mapping[str, str]

    @property
    def owned(self) -> bool:
        return owned(self.tags)


@dataclass(frozen=True)
class LiveTopic:
    arn: str
    policy: Mapping[str, Any]
    subscriptions: tuple[tuple[str, str, str], ...]  # (Protocol, Endpoint, SubscriptionArn or PendingConfirmation)
    tags: Mapping[str, str]

    @property
    def owned(self) -> bool:
        return owned(self.tags)


@dataclass(frozen=True)
class LiveAlarm:
    region: str
    rule: LiveRule | None = None
    topic: LiveTopic | None = None


@dataclass(frozen=True)
class LiveAlarms:
    """The alarm of an account in each region read (a region with neither has rule and topic None)."""

    regions: Mapping[str, LiveAlarm] = field(default_factory=dict)
    api_calls: int = 0


def read_alarm(events: Any, sns: Any, region: str, topic_arn: str) -> tuple[LiveAlarm, int]:
    """The rule and topic named ``awsroles-break-glass`` in one region, and the calls it took."""
    calls = 1
    rule: LiveRule | None = None
    try:
        found = events.describe_rule(Name=BREAK_GLASS_ALARM)
    except Exception as exc:
        if aws_error_code(exc) not in _RULE_GONE:
            raise
        found = None
    if found is not None:
        pattern = json.loads(found.get("EventPattern") or "{}")
        tags = _tags(events.list_tags_for_resource(ResourceARN=found["Arn"]).get("Tags", []))
        targets = [t for page in events.get_paginator("list_targets_by_rule").paginate(Rule=BREAK_GLASS_ALARM)
                   for t in page.get("Targets", [])]
        calls += 2
        rule = LiveRule(found["Arn"], pattern, found.get("State", ""), found.get("Description", ""),
                        tuple(sorted((t["Id"], t["Arn"]) for t in targets)), tags)
    topic: LiveTopic | None = None
    calls += 1
    try:
        attributes = sns.get_topic_attributes(TopicArn=topic_arn).get("Attributes", {})
    except Exception as exc:
        if aws_error_code(exc) not in _TOPIC_GONE:
            raise
        attributes = None
    if attributes is not None:
        tags = _tags(sns.list_tags_for_resource(ResourceArn=topic_arn).get("Tags", []))
        subscriptions = [sub for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
                         for sub in page.get("Subscriptions", [])]
        calls += 2  # (one page of subscriptions, mostly)
        policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else {}
        topic = LiveTopic(topic_arn, policy, tuple(sorted((s.get("Protocol", ""), s.get("Endpoint", ""),
                                                           s.get("SubscriptionArn", "")) for s in subscriptions)),
                          tags)
    return LiveAlarm(region, rule, topic), calls


def read_alarms(clients: Callable[[str, str], Any], regions: tuple[str, ...],
                topic_arn: Callable[[str], str]) -> LiveAlarms:
    """The alarm in each of ``regions``; ``clients(service, region)`` gives an ``events`` or ``sns``
    client in the account."""
    found: dict[str, LiveAlarm] = {}
    calls = 0
    for region in regions:
        alarm, n = read_alarm(clients("events", region), clients("sns", region), region, topic_arn(region))
        found[region] = alarm
        calls += n
    return LiveAlarms(found, calls)
