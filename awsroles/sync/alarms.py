"""Pure: an environment's break-glass alarm as the org file wants it against what AWS holds -> changes;
and :class:`AlarmRunner`, which runs those changes' calls (docs/temporary-access.md#break-glass).

In each region of :func:`awsroles.iam.breakglass.alarm_regions`, an environment account with a
``[break-glass ENV]`` has an EventBridge rule ``awsroles-break-glass`` matching CloudTrail's record
of ``AssumeRole`` on the break-glass role, targeting an SNS topic ``awsroles-break-glass`` that only
that rule may publish to, with the optional e-mail subscription. Ownership as everywhere: a rule or
topic of that name without ``managed-by = awsroles`` is a conflict where one is wanted, unowned
where none is, and never changed or deleted. An owned alarm no longer wanted is deleted (with
``prune``, as IAM's deletes; until then it is kept).

One change per account and region (kind ``alarm``); its calls name their service and region
(``events:put_rule`` with ``Region``), and :class:`AlarmRunner` runs nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from awsroles.errors import aws_error_code
from awsroles.iam import breakglass
from awsroles.iam.compare import same_document
from awsroles.org.entries import Account, BreakGlass
from awsroles.org.marks import BREAK_GLASS_ALARM, MANAGED_BY_TAG
from awsroles.org.model import Org
from awsroles.sync.alarm_state import LiveAlarm, LiveAlarms
from awsroles.sync.plan import Change, Conflict, Finding, Op

log = logging.getLogger(__name__)

KIND = "alarm"
TARGET_ID = BREAK_GLASS_ALARM
ALARM_CALLS = frozenset({
    "sns:create_topic", "sns:set_topic_attributes", "sns:subscribe", "sns:unsubscribe", "sns:delete_topic",
    "sns:tag_resource", "events:put_rule", "events:put_targets", "events:remove_targets", "events:delete_rule",
    "events:tag_resource",
})
BENIGN = {"events:remove_targets": frozenset({"ResourceNotFoundException"}),
          "events:delete_rule": frozenset({"ResourceNotFoundException"}),
          "sns:delete_topic": frozenset({"NotFound", "NotFoundException"}),
          "sns:unsubscribe": frozenset({"NotFound", "NotFoundException", "InvalidParameter"})}


@dataclass
class AlarmPlan:
    changes: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unowned: list[Finding] = field(default_factory=list)


def change_name(region: str) -> str:
    return f"{BREAK_GLASS_ALARM} in {region}"


def _tags(key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: MANAGED_BY_TAG[0], value: MANAGED_BY_TAG[1]}]


def _description(glass: BreakGlass) -> str:
    return f"awsroles: every AssumeRole of the break-glass role {glass.role} ({glass.environment})"


class _Planner:
    def __init__(self, org: Org, account: Account, glass: BreakGlass | None, live: LiveAlarms):
        self.org, self.account, self.glass, self.live = org, account, glass, live
        self.out = AlarmPlan()

    def add(self, action: str, region: str, ops: list[Op], details: list[str], drift: bool = False) -> None:
        change = Change(self.account.name, self.account.id, action, KIND, change_name(region), tuple(details), (),
                        drift, tuple(ops))
        (self.out.deletes if action == "delete" else self.out.changes).append(change)

    def topic_ops(self, region: str, alarm: LiveAlarm, glass: BreakGlass, details: list[str]) -> tuple[list[Op], bool]:
        ops: list[Op] = []
        drift = False
        topic = breakglass.topic_arn(self.org, self.account.id, region)
        policy = breakglass.topic_policy(self.org, self.account.id, region)
        live = alarm.topic
        if live is None:
            ops.append(("sns:create_topic", {"Region": region, "Name": BREAK_GLASS_ALARM, "Tags": _tags()}))
            details.append(f"SNS topic {BREAK_GLASS_ALARM}: only the rule may publish to it")
        if live is None or not same_document(dict(live.policy), policy):
            ops.append(("sns:set_topic_attributes", {"Region": region, "TopicArn": topic, "AttributeName": "Policy",
                                                     "AttributeValue": json.dumps(policy, sort_keys=True)}))
            if live is not None:
                details.append("topic policy back to: only the rule may publish")
                drift = True
        emails = {e.lower(): (e, arn) for protocol, e, arn in (live.subscriptions if live else ())
                  if protocol == "email"}
        wanted = glass.alarm_email
        if wanted and wanted.lower() not in emails:
            ops.append(("sns:subscribe", {"Region": region, "TopicArn": topic, "Protocol": "email",
                                          "Endpoint": wanted}))
            details.append(f"e-mail {wanted} (AWS asks them to confirm)")
        for lower, (email, arn) in sorted(emails.items()):
            if lower != wanted.lower() and arn.startswith("arn:"):
                ops.append(("sns:unsubscribe", {"Region": region, "SubscriptionArn": arn}))
                details.append(f"stop e-mailing {email}")
        return ops, drift

    def rule_ops(self, region: str, alarm: LiveAlarm, glass: BreakGlass, details: list[str]) -> tuple[list[Op], bool]:
        ops: list[Op] = []
        drift = False
        pattern = breakglass.rule_pattern(self.org, glass)
        live = alarm.rule
        if live is None or dict(live.pattern) != pattern or live.state != breakglass.RULE_STATE:
            params: dict[str, Any] = {"Region": region, "Name": BREAK_GLASS_ALARM,
                                      "EventPattern": json.dumps(pattern, sort_keys=True),
                                      "State": breakglass.RULE_STATE, "Description": _description(glass)}
            if live is None:
                params["Tags"] = _tags()
                details.append(f"EventBridge rule {BREAK_GLASS_ALARM}: AssumeRole of {glass.role}")
            else:
                details.append(f"rule back to: AssumeRole of {glass.role}, {breakglass.RULE_STATE}")
                named = live.pattern.get("detail", {}).get("requestParameters", {}).get("roleArn", [])
                drift = breakglass.role_arn(self.org, glass) in named  # same role: changed outside awsroles
            ops.append(("events:put_rule", params))
        topic = breakglass.topic_arn(self.org, self.account.id, region)
        targets = live.targets if live is not None else ()
        if targets != ((TARGET_ID, topic),):
            extra = [i for i, _ in targets if i != TARGET_ID]
            if extra:
                ops.append(("events:remove_targets", {"Region": region, "Rule": BREAK_GLASS_ALARM, "Ids": extra}))
            ops.append(("events:put_targets", {"Region": region, "Rule": BREAK_GLASS_ALARM,
                                               "Targets": [{"Id": TARGET_ID, "Arn": topic}]}))
            details.append(f"rule -> topic {BREAK_GLASS_ALARM}")
            drift = drift or bool(live is not None and targets)
        return ops, drift

    def region(self, region: str, alarm: LiveAlarm) -> None:
        unowned = [(what, item) for what, item in (("EventBridge rule", alarm.rule), ("SNS topic", alarm.topic))
                   if item is not None and not item.owned]
        glass = self.glass
        for what, _ in unowned:
            reason = (f"{what} {BREAK_GLASS_ALARM} exists without the {MANAGED_BY_TAG[0]} = {MANAGED_BY_TAG[1]} tag: "
                      "not awsroles', never changed or deleted")
            if glass is not None:
                self.out.conflicts.append(Conflict(self.account.name, self.account.id, KIND, change_name(region),
                                                   f"{reason}; rename or remove it, so that awsroles can make the "
                                                   "break-glass alarm"))
            else:
                self.out.unowned.append(Finding(self.account.name, self.account.id, KIND, change_name(region), reason))
        if unowned:
            return
        if glass is None:
            if alarm.rule is not None or alarm.topic is not None:
                self.delete(region, alarm)
            return
        details: list[str] = []
        topic_ops, topic_drift = self.topic_ops(region, alarm, glass, details)
        rule_ops, rule_drift = self.rule_ops(region, alarm, glass, details)
        ops = topic_ops + rule_ops  # the topic first: the rule's target must exist
        if not ops:
            return
        if alarm.rule is None and alarm.topic is None:
            self.add("create", region, ops, details)
        else:
            self.add("update", region, ops, details, topic_drift or rule_drift)

    def delete(self, region: str, alarm: LiveAlarm) -> None:
        ops: list[Op] = []
        if alarm.rule is not None:
            if alarm.rule.targets:
                ops.append(("events:remove_targets", {"Region": region, "Rule": BREAK_GLASS_ALARM,
                                                      "Ids": [i for i, _ in alarm.rule.targets]}))
            ops.append(("events:delete_rule", {"Region": region, "Name": BREAK_GLASS_ALARM}))
        if alarm.topic is not None:
            ops.append(("sns:delete_topic", {"Region": region, "TopicArn": alarm.topic.arn}))
        self.add("delete", region, ops, ["the break-glass alarm (rule, topic and its subscriptions)"])

    def run(self) -> AlarmPlan:
        for region, alarm in self.live.regions.items():
            self.region(region, alarm)
        return self.out


def plan_alarms(org: Org, account: Account, live: LiveAlarms) -> AlarmPlan:
    """The alarm changes of environment account ``account`` (every region read)."""
    glass = org.break_glass_in(account.environment) if account.environment else None
    return _Planner(org, account, glass, live).run()


class AlarmRunner:
    """Runs an alarm change's calls in one account; ``clients(service, region)`` gives the client."""

    def __init__(self, clients: Callable[[str, str], Any]):
        self.clients = clients

    def run(self, change: Change) -> None:
        for method, given in change.ops:
            if method not in ALARM_CALLS:
                raise ValueError(f"refusing to run {method!r}: not a call awsroles plans for a break-glass alarm")
            service, call = method.split(":", 1)
            params = dict(given)
            region = str(params.pop("Region"))
            try:
                getattr(self.clients(service, region), call)(**params)
            except Exception as exc:
                if aws_error_code(exc) in BENIGN.get(method, frozenset()):
                    log.debug("%s %s: already done (%s)", method, change.name, aws_error_code(exc))
                    continue
                raise
