"""Pure: the break-glass alarm of each environment account as Terraform (what ``apply`` makes).

Per ``[break-glass ENV]`` and region (:func:`awsroles.iam.breakglass.alarm_regions`): an
``aws_sns_topic`` and its ``aws_sns_topic_policy`` (only the rule may publish), an
``aws_cloudwatch_event_rule`` on the role's ``AssumeRole`` events with its
``aws_cloudwatch_event_target``, and an ``aws_sns_topic_subscription`` for ``alarm_email``. The
break-glass role and the people's policies are IAM resources, exported with the rest.
"""

from __future__ import annotations

import json

from awsroles.export import hcl
from awsroles.iam import breakglass
from awsroles.org.entries import BreakGlass
from awsroles.org.marks import BREAK_GLASS_ALARM, MANAGED_BY_TAG
from awsroles.org.model import Org


def _resource(kind: str, name: str, alias: str, *attributes: hcl.Attribute) -> hcl.Block:
    return hcl.Block("resource", (kind, name), (hcl.Attribute("provider", hcl.Expr(f"aws.{alias}")), hcl.Blank(),
                                                *attributes))


def region_alias(alias: str, org: Org, region: str) -> str:
    """The provider alias of an account in ``region``: its own in the org's region, else ``<alias>_<region>``."""
    return alias if region == org.region else hcl.identifier(f"{alias}_{region}")


def alarm_blocks(org: Org, glass: BreakGlass, alias: str) -> list[hcl.Block]:
    """The alarm's resources in every region, through ``alias`` (the environment account's provider)."""
    account = org.environment_account(glass.environment)
    blocks: list[hcl.Block] = []
    tags = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1]}
    for region in breakglass.alarm_regions(org):
        provider = region_alias(alias, org, region)
        local = hcl.identifier(f"{alias}_break_glass_{region}")
        topic = hcl.Expr(f"aws_sns_topic.{local}.arn")
        blocks.append(_resource("aws_sns_topic", local, provider, hcl.Attribute("name", BREAK_GLASS_ALARM),
                                hcl.Attribute("tags", dict(tags))))
        policy = json.dumps(breakglass.topic_policy(org, account.id, region), sort_keys=True)
        blocks.append(_resource("aws_sns_topic_policy", local, provider, hcl.Attribute("arn", topic),
                                hcl.Attribute("policy", policy)))
        pattern = json.dumps(breakglass.rule_pattern(org, glass), sort_keys=True)
        blocks.append(_resource(
            "aws_cloudwatch_event_rule", local, provider, hcl.Attribute("name", BREAK_GLASS_ALARM),
            hcl.Attribute("description", f"awsroles: every AssumeRole of the break-glass role {glass.role} "
                                         f"({glass.environment})"),
            hcl.Attribute("event_pattern", pattern), hcl.Attribute("state", breakglass.RULE_STATE),
            hcl.Attribute("tags", dict(tags))))
        blocks.append(_resource("aws_cloudwatch_event_target", local, provider,
                                hcl.Attribute("rule", hcl.Expr(f"aws_cloudwatch_event_rule.{local}.name")),
                                hcl.Attribute("target_id", BREAK_GLASS_ALARM), hcl.Attribute("arn", topic)))
        if glass.alarm_email:
            blocks.append(_resource("aws_sns_topic_subscription", local, provider, hcl.Attribute("topic_arn", topic),
                                    hcl.Attribute("protocol", "email"),
                                    hcl.Attribute("endpoint", glass.alarm_email)))
    return blocks
