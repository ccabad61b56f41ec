"""Budgets as code against moto in-process (with the sandbox's Budgets rules): plan, apply, drift,
ownership, prune and adoption of the billing account's AWS Budgets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws, AwsSettings
from awsroles.iam.checks import parse_org
from awsroles.org.model import Org
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Plan, PlanOptions, plan_json
from awsroles.sync.planfile import StalePlanError, check_fresh, check_untampered, make_saved
from tests.aws.conftest import apply_org
from tests.conftest import EXAMPLES

OPS = "111111111111"
PROD_BUDGET = "awsroles-acme-prod"
BUDGETS = {
    "dev": "budget = 250 USD",
    "prod": "budget = 5000 USD\nbudget_alerts = 80%, 100%, forecast 100%\n"
            "budget_notify = finance@acme.example, oncall@acme.example",
}
ALERT_80 = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
            "ThresholdType": "PERCENTAGE"}


def org_with(budgets: dict[str, str], org_keys: str = "", billing: str | None = None) -> Org:
    """The classic org with ``budgets`` (environment -> its budget lines) and extra [org] lines."""
    text = (EXAMPLES / "classic.ini").read_text()
    for environment, lines in budgets.items():
        text = text.replace(f"environment = {environment}\n", f"environment = {environment}\n{lines}\n")
    if billing is not None:
        text = text.replace("billing_account = ops ", f"billing_account = {billing} ")
        text += f"\n[account {billing}]\nid = 555555555555\n"
    text = text.replace("policy_dir = ../policies", f"policy_dir = ../policies\n{org_keys}")
    org, problems = parse_org(text, str(EXAMPLES / "budgets.ini"), EXAMPLES)
    assert org is not None, [str(p) for p in problems]
    return org


def changes(plan: Plan, kind: str = "budget") -> dict[str, Any]:
    return {c.name: c for c in plan.changes if c.kind == kind}


@pytest.fixture
def org() -> Org:
    return org_with(BUDGETS)


@pytest.fixture
def applied(ops_aws: Aws, org: Org) -> Engine:
    engine = Engine(org, ops_aws)
    apply_org(engine)
    assert engine.plan().in_sync
    return engine


def describe(engine: Engine, name: str = PROD_BUDGET) -> dict[str, Any]:
    budgets = engine.budgets()
    budget = budgets.describe_budget(AccountId=OPS, BudgetName=name)["Budget"]
    notifications = budgets.describe_notifications_for_budget(AccountId=OPS, BudgetName=name)["Notifications"]
    subscribers = {
        (n["NotificationType"], n["Threshold"]): sorted(
            s["Address"] for s in budgets.describe_subscribers_for_notification(
                AccountId=OPS, BudgetName=name, Notification=n)["Subscribers"])
        for n in notifications}
    tags = budgets.list_tags_for_resource(ResourceARN=f"arn:aws:budgets::{OPS}:budget/{name}")["ResourceTags"]
    return {"budget": budget, "subscribers": subscribers, "tags": {t["Key"]: t["Value"] for t in tags}}


def test_the_first_apply_makes_each_budget_as_declared_and_then_aws_matches(ops_aws: Aws, org: Org) -> None:
    engine = Engine(org, ops_aws)
    plan = engine.plan()
    budgets = changes(plan)
    assert set(budgets) == {"awsroles-acme-dev", PROD_BUDGET}
    assert {c.account for c in budgets.values()} == {"ops"} and all(c.action == "create" for c in budgets.values())
    assert budgets[PROD_BUDGET].details == ("5000 USD a month for prod (444444444444); 80%, 100%, forecast 100% to "
                                            "finance@acme.example, oncall@acme.example",)
    assert engine.apply(plan).ok

    prod = describe(engine)
    assert prod["budget"]["BudgetLimit"] == {"Amount": "5000", "Unit": "USD"}
    assert (prod["budget"]["BudgetType"], prod["budget"]["TimeUnit"]) == ("COST", "MONTHLY")
    assert prod["budget"]["CostFilters"] == {"LinkedAccount": ["444444444444"]}
    assert prod["subscribers"] == {(kind, threshold): ["finance@acme.example", "oncall@acme.example"]
                                   for kind, threshold in (("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0))}
    assert {k: v for k, v in prod["tags"].items() if k != "awsroles-digest"} == {
        "managed-by": "awsroles", "awsroles-org": "acme", "awsroles-environment": "prod"}
    dev = describe(engine, "awsroles-acme-dev")
    assert dev["budget"]["CostFilters"] == {"LinkedAccount": ["222222222222"]} and dev["subscribers"] == {}

    again = Engine(org, ops_aws).plan()
    assert again.in_sync, again.as_dict()
    assert again.api_calls["ops"] <= 3 + 1 + 2 + 2 + 3  # IAM, DescribeBudgets, per budget tags and notifications


def test_changes_by_hand_are_drift_and_apply_puts_them_back(applied: Engine, org: Org) -> None:
    budgets = applied.budgets()
    budget = describe(applied)["budget"]
    budgets.update_budget(AccountId=OPS, NewBudget={
        **{k: budget[k] for k in ("BudgetName", "CostTypes", "TimeUnit", "BudgetType")},
        "BudgetLimit": {"Amount": "9000", "Unit": "USD"}, "CostFilters": {"LinkedAccount": ["444444444444", OPS]}})
    where = {"AccountId": OPS, "BudgetName": PROD_BUDGET}
    budgets.delete_subscriber(**where, Notification=ALERT_80,
                              Subscriber={"SubscriptionType": "EMAIL", "Address": "oncall@acme.example"})
    budgets.create_subscriber(**where, Notification=ALERT_80, Subscriber={
        "SubscriptionType": "SNS", "Address": "arn:aws:sns:us-east-1:111111111111:elsewhere"})
    budgets.create_notification(**where, Notification={**ALERT_80, "Threshold": 50.0},
                                Subscribers=[{"SubscriptionType": "EMAIL", "Address": "someone@else.example"}])

    plan = applied.plan()
    assert not plan.in_sync
    change = changes(plan)[PROD_BUDGET]
    assert (change.action, change.drift) == ("update", True)
    assert change.details == (
        "amount 9000 USD -> 5000 USD", f"filters LinkedAccount {OPS}, 444444444444 -> LinkedAccount 444444444444",
        "remove alert 50% (to someone@else.example)", "alert 80%: add oncall@acme.example",
        "alert 80%: remove arn:aws:sns:us-east-1:111111111111:elsewhere (SNS)")
    assert applied.apply(plan).ok
    assert applied.plan().in_sync
    assert describe(applied)["budget"]["BudgetLimit"]["Amount"] == "5000"


def test_a_change_in_the_org_file_is_an_update_not_drift(applied: Engine, ops_aws: Aws) -> None:
    changed = org_with({**BUDGETS, "prod": BUDGETS["prod"].replace("5000", "6000.50").replace("80%", "90%")})
    plan = Engine(changed, ops_aws).plan()
    change = changes(plan)[PROD_BUDGET]
    assert (change.action, change.drift) == ("update", False)
    assert change.details == ("amount 5000 USD -> 6000.50 USD",
                              "remove alert 80% (to finance@acme.example, oncall@acme.example)",
                              "add alert 90% (to finance@acme.example, oncall@acme.example)")
    assert change.ops[-1][0] == "tag_resource"  # the new digest, last
    assert Engine(changed, ops_aws).apply(plan).ok
    assert Engine(changed, ops_aws).plan().in_sync


def test_a_budget_removed_from_the_file_is_a_leftover_until_prune_deletes_it(applied: Engine, ops_aws: Aws) -> None:
    smaller = org_with({"prod": BUDGETS["prod"]})
    engine = Engine(smaller, ops_aws)
    plan = engine.plan()
    assert [(c.account, c.kind, c.name) for c in plan.kept] == [("ops", "budget", "awsroles-acme-dev")]
    assert plan.empty and not plan.in_sync  # the drift gate (--detailed-exitcode) stays red
    pruned = engine.plan(prune=True)
    assert [(c.action, c.name) for c in pruned.changes] == [("delete", "awsroles-acme-dev")]
    assert engine.apply(pruned).ok
    names = [b["BudgetName"] for b in engine.budgets().describe_budgets(AccountId=OPS)["Budgets"]]
    assert names == [PROD_BUDGET]
    assert engine.plan(prune=True).in_sync


def test_the_last_budget_goes_while_org_defaults_keep_budgets_managed(applied: Engine, ops_aws: Aws) -> None:
    none_left = org_with({}, org_keys="budget_notify = finance@acme.example")
    engine = Engine(none_left, ops_aws)
    assert {c.name for c in engine.plan().kept if c.kind == "budget"} == {"awsroles-acme-dev", PROD_BUDGET}
    assert engine.apply(engine.plan(prune=True)).ok
    assert engine.budgets().describe_budgets(AccountId=OPS)["Budgets"] == []


def test_budgets_awsroles_made_are_leftovers_once_the_file_declares_none(applied: Engine, ops_aws: Aws,
                                                                         classic: Org) -> None:
    """The last budget removed from the file (no budget key left at all) is a leftover like any other:
    listed by plan, deleted by apply --prune; budgets awsroles does not own stay."""
    budgets = applied.budgets()
    document = {"BudgetLimit": {"Amount": "1", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    budgets.create_budget(AccountId=OPS, Budget={**document, "BudgetName": "team-budget"})
    engine = Engine(classic, ops_aws)
    assert not classic.uses_budgets
    plan = engine.plan()
    assert sorted(c.name for c in plan.kept if c.kind == "budget") == ["awsroles-acme-dev", PROD_BUDGET]
    assert not plan.in_sync and plan.empty and not plan.notes
    pruned = engine.plan(prune=True)
    assert sorted((c.action, c.name) for c in pruned.changes) == [("delete", "awsroles-acme-dev"),
                                                                   ("delete", PROD_BUDGET)]
    assert engine.apply(pruned).ok
    assert [b["BudgetName"] for b in budgets.describe_budgets(AccountId=OPS)["Budgets"]] == ["team-budget"]
    assert engine.plan(prune=True).in_sync


def _denied(engine: Engine) -> Any:
    """The engine's Budgets client, answering AccessDeniedException (botocore's Stubber)."""
    from botocore.stub import Stubber

    client = engine.budgets()
    stubber = Stubber(client)
    stubber.add_client_error("describe_budgets", service_error_code="AccessDeniedException",
                             service_message="User is not authorized to perform budgets:ViewBudget")
    stubber.activate()
    return stubber


def test_an_org_without_budgets_needs_no_budgets_permission(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    assert engine.apply(engine.plan()).ok
    with _denied(engine):
        plan = engine.plan()
    assert plan.in_sync  # not an error, and nothing planned for budgets
    assert plan.notes == ("budgets not read in ops (AccessDeniedException): the org file declares none, so none are "
                          "planned; budgets awsroles made earlier are not listed as leftovers",)
    assert plan.as_dict()["notes"] == list(plan.notes) and Plan.from_dict(plan.as_dict()).notes == plan.notes
    from awsroles.cli.planview import plan_lines

    assert "\n[dim]Note: budgets not read in ops (AccessDeniedException): " in "\n".join(plan_lines(classic, plan))


def test_an_org_with_budgets_stops_when_budgets_are_denied(ops_aws: Aws, org: Org) -> None:
    engine = Engine(org, ops_aws)
    with _denied(engine), pytest.raises(Exception) as raised:
        engine.plan()
    assert "AccessDeniedException" in str(raised.value)


def test_budgets_awsroles_does_not_own_are_never_changed(applied: Engine, org: Org) -> None:
    budgets = applied.budgets()
    document = {"BudgetLimit": {"Amount": "1", "Unit": "USD"}, "TimeUnit": "MONTHLY", "BudgetType": "COST"}
    budgets.create_budget(AccountId=OPS, Budget={**document, "BudgetName": "awsroles-acme-handmade"})
    budgets.create_budget(AccountId=OPS, Budget={**document, "BudgetName": "team-budget"})
    plan = applied.plan(prune=True)
    assert [(f.account, f.kind, f.name) for f in plan.unowned] == [("ops", "budget", "awsroles-acme-handmade")]
    assert "without the managed-by = awsroles tag: not awsroles', never changed or deleted" in plan.unowned[0].reason
    assert plan.in_sync  # reported, not a difference from the org file
    assert applied.apply(plan).ok
    assert {b["BudgetName"] for b in budgets.describe_budgets(AccountId=OPS)["Budgets"]} == {
        "awsroles-acme-dev", PROD_BUDGET, "awsroles-acme-handmade", "team-budget"}


def test_a_hand_made_budget_with_the_same_name_is_a_conflict_until_adopted(ops_aws: Aws, org: Org) -> None:
    engine = Engine(org, ops_aws)
    budgets = engine.budgets()
    budgets.create_budget(AccountId=OPS, Budget={
        "BudgetName": PROD_BUDGET, "BudgetLimit": {"Amount": "100", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST"}, ResourceTags=[{"Key": "owner", "Value": "finance"}])
    plan = engine.plan()
    assert [(c.kind, c.name) for c in plan.conflicts] == [("budget", PROD_BUDGET)]
    assert "awsroles does not own it and never changes it: adopt it with `awsroles apply --adopt`" in (
        plan.conflicts[0].reason)
    assert PROD_BUDGET not in changes(plan)
    assert describe(engine)["budget"]["BudgetLimit"]["Amount"] == "100"  # planning changed nothing

    adopting = engine.plan(options=PlanOptions(adopt=True))
    change = changes(adopting)[PROD_BUDGET]
    assert (change.action, change.drift) == ("adopt", False)
    assert change.ops[0] == ("tag_resource", {"ResourceARN": f"arn:aws:budgets::{OPS}:budget/{PROD_BUDGET}",
                                              "ResourceTags": [{"Key": "awsroles-org", "Value": "acme"},
                                                               {"Key": "managed-by", "Value": "awsroles"}]})
    assert "remove tag owner" in change.details
    assert engine.apply(adopting).ok
    assert engine.plan().in_sync
    assert describe(engine)["budget"]["BudgetLimit"]["Amount"] == "5000"


def test_another_orgs_budget_is_never_taken_even_with_adopt(ops_aws: Aws, org: Org) -> None:
    engine = Engine(org, ops_aws)
    engine.budgets().create_budget(AccountId=OPS, Budget={
        "BudgetName": PROD_BUDGET, "BudgetLimit": {"Amount": "100", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST"}, ResourceTags=[{"Key": "managed-by", "Value": "awsroles"},
                                             {"Key": "awsroles-org", "Value": "initech"}])
    plan = engine.plan(options=PlanOptions(adopt=True, prune=True))
    assert [(c.kind, c.name) for c in plan.conflicts] == [("budget", PROD_BUDGET)]
    assert "another org (initech" in plan.conflicts[0].reason
    assert PROD_BUDGET not in changes(plan)


def test_a_separate_billing_account_is_reached_through_the_bootstrap_role(moto_aws: None) -> None:
    org = org_with(BUDGETS, billing="payer")
    base = Aws(AwsSettings(region="us-east-1"))
    engine = Engine(org, Aws(AwsSettings(region="us-east-1"), session=base.for_account(OPS, "admin")))
    plan = engine.plan()
    assert {(c.account, c.account_id) for c in plan.changes if c.kind == "budget"} == {("payer", "555555555555")}
    assert engine.apply(plan).ok
    payer = base.client("budgets", base.for_account("555555555555", "OrganizationAccountAccessRole"))
    assert {b["BudgetName"] for b in payer.describe_budgets(AccountId="555555555555")["Budgets"]} == {
        "awsroles-acme-dev", PROD_BUDGET}
    again = engine.plan()
    assert again.in_sync and "payer" in again.api_calls


def test_a_saved_plan_is_stale_once_a_budget_changed_by_hand(applied: Engine, org: Org, tmp_path: Path) -> None:
    org_file = tmp_path / "awsroles.ini"
    org_file.write_text("the org file's bytes")
    live = applied.read()
    saved = make_saved(applied.plan(live=live), org_file, live)
    applied.budgets().delete_notification(AccountId=OPS, BudgetName=PROD_BUDGET, Notification=ALERT_80)
    with pytest.raises(StalePlanError, match="AWS changed since the plan was made"):
        check_fresh(saved, org_file, applied.read())


def test_a_saved_plan_with_budgets_reads_back_and_applies_exactly(ops_aws: Aws, org: Org) -> None:
    engine = Engine(org, ops_aws)
    live = engine.read()
    plan = engine.plan(live=live)
    saved = Plan.from_dict(json.loads(plan_json(plan)))
    check_untampered(make_saved(saved, EXAMPLES / "classic.ini", live), engine.plan(live=live))
    assert engine.apply(saved).ok
    assert Engine(org, ops_aws).plan().in_sync


def test_planned_limits_set_by_hand_go_back_to_the_fixed_amount(applied: Engine) -> None:
    budget = describe(applied)["budget"]
    applied.budgets().update_budget(AccountId=OPS, NewBudget={
        **{k: budget[k] for k in ("BudgetName", "CostFilters", "CostTypes", "TimeUnit", "BudgetType")},
        "PlannedBudgetLimits": {"1790812800": {"Amount": "7000", "Unit": "USD"}}})
    change = changes(applied.plan())[PROD_BUDGET]
    assert change.drift and "a fixed amount again, instead of planned or automatic limits" in change.details
    assert applied.apply(applied.plan()).ok
    assert applied.plan().in_sync
