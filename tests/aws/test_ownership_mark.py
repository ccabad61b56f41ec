"""awsroles' mark on everything it creates (docs/plan-apply.md, "Ownership: the path and the
mark"): the tag ``managed-by = awsroles``, set in the call that creates it, on every role, user
and managed policy, and the marker inline policy ``awsroles-managed-by`` on every group (IAM
groups cannot be tagged). Checked in the plan's create operations and on the live resources after
apply, read with plain IAM calls and compared with literal values, so that a mark renamed or
dropped on both the writing and the reading side still fails here."""

from __future__ import annotations

import json
from typing import Any

from awsroles.aws import Aws
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Change
from tests.aws.test_break_glass_alarm import org_with

MARK = {"Key": "managed-by", "Value": "awsroles"}
MARKER_POLICY = "awsroles-managed-by"
MARKER_DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "OwnershipMarkerGrantsNothing", "Effect": "Deny", "Action": "iam:GetGroup", "NotResource": "*"}]}
ACCOUNTS = {"ops": "111111111111", "dev": "222222222222", "stage": "333333333333", "prod": "444444444444"}
IAM_KINDS = ("role", "user", "policy", "group")


def first_op(change: Change) -> tuple[str, dict[str, Any]]:
    return change.ops[0]


def test_every_create_in_the_plan_carries_the_mark(ops_aws: Aws) -> None:
    plan = Engine(org_with(), ops_aws).plan()  # classic with a break-glass role in prod
    creates = [c for c in plan.changes if c.action == "create" and c.kind in IAM_KINDS]
    assert {c.kind for c in creates} == set(IAM_KINDS)
    assert ("prod", "role", "breakglass") in {(c.account, c.kind, c.name) for c in creates}
    for change in creates:
        call, params = first_op(change)
        assert call == f"create_{change.kind}", change.as_dict()
        if change.kind == "group":  # the marker right after CreateGroup: a group stopped part-way is empty or marked
            call, params = change.ops[1]
            assert (call, params["GroupName"], params["PolicyName"]) == ("put_group_policy", change.name, MARKER_POLICY)
            assert json.loads(params["PolicyDocument"]) == MARKER_DOCUMENT
        else:
            assert MARK in params["Tags"], change.as_dict()


def test_apply_marks_every_role_user_policy_and_group_it_creates(ops_aws: Aws) -> None:
    engine = Engine(org_with(), ops_aws)
    plan = engine.plan()
    created = {(c.account, c.kind, c.name) for c in plan.changes if c.action == "create" and c.kind in IAM_KINDS}
    assert engine.apply(plan).ok
    found: set[tuple[str, str, str]] = set()
    for account, account_id in ACCOUNTS.items():
        iam = ops_aws.client("iam", ops_aws.for_account(account_id, "admin"))
        for role in iam.list_roles(PathPrefix="/awsroles/")["Roles"]:
            assert MARK in iam.list_role_tags(RoleName=role["RoleName"])["Tags"], (account, role["RoleName"])
            found.add((account, "role", role["RoleName"]))
        for user in iam.list_users(PathPrefix="/awsroles/")["Users"]:
            assert MARK in iam.list_user_tags(UserName=user["UserName"])["Tags"], (account, user["UserName"])
            found.add((account, "user", user["UserName"]))
        for policy in iam.list_policies(Scope="Local", PathPrefix="/awsroles/")["Policies"]:
            assert MARK in iam.list_policy_tags(PolicyArn=policy["Arn"])["Tags"], (account, policy["PolicyName"])
            found.add((account, "policy", policy["PolicyName"]))
        for group in iam.list_groups(PathPrefix="/awsroles/")["Groups"]:
            name = group["GroupName"]
            marker = iam.get_group_policy(GroupName=name, PolicyName=MARKER_POLICY)["PolicyDocument"]
            assert (json.loads(marker) if isinstance(marker, str) else marker) == MARKER_DOCUMENT, (account, name)
            found.add((account, "group", name))
    assert found == created  # every resource the plan created, and nothing else at the path
    assert Engine(org_with(), ops_aws).plan().in_sync  # and apply reads them back as its own
