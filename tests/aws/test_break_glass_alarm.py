"""The break-glass role and its alarm against moto in-process: plan, apply, in sync after, drift
put back, deleted (with --prune) once the section is gone, a hand-made rule or topic never touched
(docs/temporary-access.md#break-glass)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.iam.checks import parse_org
from awsroles.org.model import Org
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Plan, PlanOptions
from tests.conftest import EXAMPLES

PROD = "444444444444"
ROLE_ARN = f"arn:aws:iam::{PROD}:role/awsroles/breakglass"
TOPIC = f"arn:aws:sns:us-east-1:{PROD}:awsroles-break-glass"
SECTION = """
[break-glass prod]
people = alice
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
alarm_email = security@acme.example
"""


def org_with(extra: str = SECTION, region: str = "us-east-1") -> Org:
    text = (EXAMPLES / "classic.ini").read_text().replace("region = us-east-1", f"region = {region}") + extra
    org, problems = parse_org(text, str(EXAMPLES / "glass.ini"), EXAMPLES)
    assert org is not None, [str(p) for p in problems]
    return org


def alarms(plan: Plan, kept: bool = False) -> dict[str, Any]:
    return {(c.account, c.action, c.name): c for c in (plan.kept if kept else plan.changes) if c.kind == "alarm"}


def prod(engine: Engine, service: str, region: str = "us-east-1") -> Any:
    return engine._client(service, "prod", region)


@pytest.fixture
def applied(ops_aws: Aws) -> Engine:
    engine = Engine(org_with(), ops_aws)
    plan = engine.plan()
    assert engine.apply(plan).ok, plan.as_dict()
    return engine


def test_apply_makes_the_role_the_rule_and_the_topic_then_aws_matches(ops_aws: Aws) -> None:
    engine = Engine(org_with(), ops_aws)
    plan = engine.plan()
    assert set(alarms(plan)) == {("prod", "create", "awsroles-break-glass in us-east-1")}
    assert any(c.kind == "role" and c.name == "breakglass" and c.account == "prod" for c in plan.changes)
    assert engine.apply(plan).ok

    role = engine.iam("prod").get_role(RoleName="breakglass")["Role"]
    principals = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
    assert principals in ("arn:aws:iam::111111111111:user/awsroles/alice",
                          ["arn:aws:iam::111111111111:user/awsroles/alice"])
    events = prod(engine, "events")
    rule = events.describe_rule(Name="awsroles-break-glass")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["requestParameters"]["roleArn"] == [ROLE_ARN]
    assert rule["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"  # AssumeRole is a read-only event
    assert [(t["Id"], t["Arn"]) for t in events.list_targets_by_rule(Rule="awsroles-break-glass")["Targets"]] == [
        ("awsroles-break-glass", TOPIC)]
    sns = prod(engine, "sns")
    policy = json.loads(sns.get_topic_attributes(TopicArn=TOPIC)["Attributes"]["Policy"])
    assert policy["Statement"][0]["Condition"] == {"ArnEquals": {
        "aws:SourceArn": f"arn:aws:events:us-east-1:{PROD}:rule/awsroles-break-glass"}}
    assert [(s["Protocol"], s["Endpoint"]) for s in sns.list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]] \
        == [("email", "security@acme.example")]
    alice = engine.iam("ops").get_user_policy(UserName="alice", PolicyName="awsroles-break-glass")
    assert alice["PolicyDocument"]["Statement"][0]["Resource"] == ROLE_ARN

    again = Engine(org_with(), ops_aws).plan()
    assert again.in_sync, again.as_dict()


def test_the_alarm_is_also_in_us_east_1_when_the_org_is_elsewhere(ops_aws: Aws) -> None:
    engine = Engine(org_with(region="eu-west-1"), ops_aws)
    plan = engine.plan()
    assert set(alarms(plan)) == {("prod", "create", "awsroles-break-glass in eu-west-1"),
                                 ("prod", "create", "awsroles-break-glass in us-east-1")}
    assert engine.apply(plan).ok
    for region in ("eu-west-1", "us-east-1"):
        assert prod(engine, "events", region).describe_rule(Name="awsroles-break-glass")["State"] \
            == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    assert Engine(org_with(region="eu-west-1"), ops_aws).plan().in_sync


def test_a_rule_changed_by_hand_is_put_back_as_drift(applied: Engine, ops_aws: Aws) -> None:
    prod(applied, "events").disable_rule(Name="awsroles-break-glass")
    sns = prod(applied, "sns")
    sns.set_topic_attributes(TopicArn=TOPIC, AttributeName="Policy", AttributeValue=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                                                 "Resource": TOPIC}]}))
    plan = Engine(org_with(), ops_aws).plan()
    (change,) = alarms(plan).values()
    assert change.action == "update" and change.drift
    assert "rule back to: AssumeRole of breakglass, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" in change.details
    assert "topic policy back to: only the rule may publish" in change.details
    assert applied.apply(plan).ok and Engine(org_with(), ops_aws).plan().in_sync


def test_removing_the_section_deletes_the_alarm_before_the_role_with_prune(applied: Engine, ops_aws: Aws) -> None:
    engine = Engine(org_with(""), ops_aws)
    plan = engine.plan()
    assert set(alarms(plan, kept=True)) == {("prod", "delete", "awsroles-break-glass in us-east-1")}  # a leftover
    pruned = engine.plan(options=PlanOptions(prune=True))
    order = [(c.kind, c.name) for c in pruned.changes if c.account == "prod" and c.action == "delete"]
    assert order.index(("alarm", "awsroles-break-glass in us-east-1")) < order.index(("role", "breakglass"))
    assert engine.apply(pruned).ok
    events = prod(engine, "events")
    assert not events.list_rules(NamePrefix="awsroles-break-glass")["Rules"]
    assert not [t for t in prod(engine, "sns").list_topics()["Topics"] if t["TopicArn"] == TOPIC]
    assert Engine(org_with(""), ops_aws).plan(options=PlanOptions(prune=True)).in_sync


def test_a_hand_made_rule_of_that_name_is_a_conflict_and_never_touched(ops_aws: Aws) -> None:
    engine = Engine(org_with(), ops_aws)
    events = prod(engine, "events")
    events.put_rule(Name="awsroles-break-glass", EventPattern=json.dumps({"source": ["my.app"]}), State="DISABLED")
    plan = engine.plan()
    assert not alarms(plan)
    (conflict,) = [c for c in plan.conflicts if c.kind == "alarm"]
    assert "EventBridge rule awsroles-break-glass exists without the managed-by = awsroles tag" in conflict.reason
    engine.apply(plan)
    rule = events.describe_rule(Name="awsroles-break-glass")
    assert json.loads(rule["EventPattern"]) == {"source": ["my.app"]} and rule["State"] == "DISABLED"
    # once the org file no longer wants one, it is unowned: reported, still never touched
    gone = Engine(org_with(""), ops_aws)
    assert not alarms(gone.plan(options=PlanOptions(prune=True)))


def test_the_file_is_the_list_of_who_is_mailed_and_other_protocols_are_left_alone(applied: Engine,
                                                                                  ops_aws: Aws) -> None:
    sns = prod(applied, "sns")
    sns.subscribe(TopicArn=TOPIC, Protocol="email", Endpoint="someone@else.example")
    sns.subscribe(TopicArn=TOPIC, Protocol="https", Endpoint="https://hooks.example/alarm")
    plan = Engine(org_with(), ops_aws).plan()
    (change,) = alarms(plan).values()
    assert change.details == ("stop e-mailing someone@else.example",)
    assert applied.apply(plan).ok
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]
    left = sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions)
    assert left == [("email", "security@acme.example"), ("https", "https://hooks.example/alarm")]
    assert Engine(org_with(), ops_aws).plan().in_sync


def test_import_leaves_the_break_glass_role_out_with_a_warning(applied: Engine, ops_aws: Aws) -> None:
    from awsroles.importer.build import ImportOptions, collect

    org = org_with()
    accounts = tuple(f"{a.name}={a.id}:{a.environment}" for a in org.accounts
                     if a.environment and a.name != org.ops_account)
    imported = collect(ops_aws, ImportOptions(accounts=accounts, path=org.path))
    assert any("role breakglass in prod is awsroles' break-glass role: not imported" in w for w in imported.warnings)
    assert "breakglass" not in [r.name for r in imported.org.roles]
