"""Pure: a ``[break-glass ENV]`` section -> its IAM documents and its alarm's documents.

- :func:`trust_policy`: the role trusts the named people's IAM users only (not the ops account),
  with MFA, the person's name as source identity and a reason tag (docs/temporary-access.md#break-glass).
- :func:`identity_center_trust_policy`: the same in an org on IAM Identity Center alone, where the
  people reach the role from a permission set of their own
  (:func:`awsroles.identity_center.desired.break_glass_permission_set`).
- :func:`person_statement`: what each named person's own inline policy ``awsroles-break-glass``
  allows in the ops account (cross-account, both sides must allow: the trust and the caller's policy).
- :func:`rule_pattern` and :func:`topic_policy`: the EventBridge rule on the role's ``AssumeRole``
  events and the SNS topic it publishes to (only from that rule).
"""

from __future__ import annotations

from typing import Any

from awsroles.iam import policies
from awsroles.org.entries import BreakGlass
from awsroles.org.marks import BREAK_GLASS_ALARM, REASON_TAG
from awsroles.org.model import Org

# CloudTrail delivers STS calls made through the global endpoint to EventBridge in us-east-1
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html;
# CloudTrail User Guide, "Global service events"); regional endpoints deliver in their region.
GLOBAL_EVENTS_REGION = "us-east-1"
# AssumeRole is a read-only management event: a rule that is only ENABLED never matches it; this
# state makes it match read-only management events delivered through CloudTrail too (EventBridge
# User Guide, "Receiving read-only management events from AWS services", whose example is STS
# AssumeRole: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
RULE_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def role_arn(org: Org, glass: BreakGlass) -> str:
    """The break-glass role's ARN: at the org's path in the environment's account."""
    return org.role_arn(glass.environment, glass.role)


def person_arn(org: Org, person: str) -> str:
    """A person's IAM user ARN in the ops account."""
    return f"arn:{org.partition}:iam::{org.ops.id}:user{org.user_path(person)}{person}"


def _conditions(org: Org) -> dict[str, dict[str, str]]:
    """MFA (always, whatever ``[org] mfa`` says: break-glass is never assumed without it), the
    org's MFA age, and the person's own name as the session's source identity."""
    return {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": str(org.mfa_max_age)},
        "StringEquals": {"sts:SourceIdentity": "${aws:username}"},
    }


def gate_role_patterns(org: Org, account_id: str) -> list[str]:
    """The ARNs IAM Identity Center gives the role it makes for the break-glass permission set in
    ``account_id``: ``AWSReservedSSO_<set>_<16 hex>`` at ``/aws-reserved/sso.amazonaws.com/``, or below
    it in a folder named after the instance's region (IAM Identity Center User Guide, "Referencing
    permission sets in resource policies"). Only Identity Center changes those roles (protected)."""
    from awsroles.identity_center import names  # here: an org on IAM users never needs it

    name = f"{names.RESERVED_ROLE_PREFIX}{names.BREAK_GLASS_SET}_{'?' * names.RESERVED_ROLE_SUFFIX}"
    base = f"arn:{org.partition}:iam::{account_id}:role{names.RESERVED_ROLE_PATH}"
    return [f"{base}{name}", f"{base}*/{name}"]


def trust_policy(org: Org, glass: BreakGlass) -> policies.Document:
    """The role's trust policy: the named people's IAM users as principals; MFA, MFA age, source
    identity = the caller's user name, and a reason tag (``awsroles:reason``, the only tag allowed).
    In an org on IAM Identity Center alone: :func:`identity_center_trust_policy`."""
    if not org.uses_iam_users:
        return identity_center_trust_policy(org, glass)
    principals = sorted(person_arn(org, p) for p in glass.people)
    with_reason = {**_conditions(org), "Null": {f"aws:RequestTag/{REASON_TAG}": "false"}}
    statements = [
        {
            "Sid": "BreakGlassNamedPeopleWithMfa",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Condition": with_reason,
        },
        {
            "Sid": "BreakGlassReasonTagOnly",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": "sts:TagSession",
            "Condition": {**with_reason, "ForAllValues:StringEquals": {"aws:TagKeys": [REASON_TAG]}},
        },
    ]
    return policies.canonical({"Version": policies.VERSION, "Statement": statements})


def identity_center_trust_policy(org: Org, glass: BreakGlass) -> policies.Document:
    """The trust policy in an org on IAM Identity Center alone: the environment's own account as the
    principal, narrowed by ``aws:PrincipalArn`` to the role Identity Center makes there for the
    break-glass permission set (:data:`~awsroles.identity_center.names.BREAK_GLASS_SET`), which it
    gives only the named people, in only their environments' accounts; and a reason tag, the only
    tag allowed. Who assumed it is the caller's role session, which Identity Center names after the
    person (CloudTrail's ``userIdentity``): neither MFA (Identity Center's sign-in asks for it, and its
    role sessions carry no MFA keys) nor a source identity can be required here."""
    account = org.environment_account(glass.environment)
    root = f"arn:{org.partition}:iam::{account.id}:root"
    conditions: dict[str, Any] = {
        "ArnLike": {"aws:PrincipalArn": gate_role_patterns(org, account.id)},
        "Null": {f"aws:RequestTag/{REASON_TAG}": "false"},
    }
    statements = [
        {"Sid": "BreakGlassNamedPeopleThroughIdentityCenter", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": "sts:AssumeRole", "Condition": conditions},
        {"Sid": "BreakGlassReasonTagOnly", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:TagSession",
         "Condition": {**conditions, "ForAllValues:StringEquals": {"aws:TagKeys": [REASON_TAG]}}},
    ]
    return policies.canonical({"Version": policies.VERSION, "Statement": statements})


def person_statement(org: Org, glass: BreakGlass) -> dict[str, Any]:
    """The statement of a named person's ``awsroles-break-glass`` policy for one environment's role."""
    return {
        "Sid": policies.sid("break", "glass", glass.environment),
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        "Resource": role_arn(org, glass),
        "Condition": _conditions(org),
    }


def person_policy(org: Org, person: str) -> policies.Document | None:
    """A person's own inline policy ``awsroles-break-glass`` (None: named in no ``[break-glass]``)."""
    statements = [person_statement(org, g) for g in org.break_glass if person in g.people]
    if not statements:
        return None
    return policies.canonical({"Version": policies.VERSION, "Statement": statements})


def alarm_regions(org: Org) -> tuple[str, ...]:
    """Where the alarm is made: the org's region, and us-east-1 too (global-endpoint events)."""
    return tuple(dict.fromkeys((org.region, GLOBAL_EVENTS_REGION))) if org.partition == "aws" else (org.region,)


def rule_arn(org: Org, account_id: str, region: str) -> str:
    return f"arn:{org.partition}:events:{region}:{account_id}:rule/{BREAK_GLASS_ALARM}"


def topic_arn(org: Org, account_id: str, region: str) -> str:
    return f"arn:{org.partition}:sns:{region}:{account_id}:{BREAK_GLASS_ALARM}"


def rule_pattern(org: Org, glass: BreakGlass) -> dict[str, Any]:
    """The EventBridge pattern: CloudTrail's record of an ``AssumeRole`` of the break-glass role."""
    return {
        "source": ["aws.sts"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["sts.amazonaws.com"], "eventName": ["AssumeRole"],
                   "requestParameters": {"roleArn": [role_arn(org, glass)]}},
    }


def topic_policy(org: Org, account_id: str, region: str) -> policies.Document:
    """The topic's access policy: EventBridge may publish to it, from the alarm's rule only."""
    topic = topic_arn(org, account_id, region)
    return {
        "Version": policies.VERSION,
        "Statement": [{
            "Sid": "BreakGlassAlarmRulePublishes",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn(org, account_id, region)}},
        }],
    }
