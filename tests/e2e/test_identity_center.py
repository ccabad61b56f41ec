"""The Identity Center backend as an admin runs it: `awsroles apply` and `plan` as subprocesses
against the sandbox's instance over HTTP, every group, member, permission set and assignment
checked with boto3 afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.aws.test_identity_center import ORG
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_plan_apply import awsroles, local, plan_json

pytestmark = pytest.mark.e2e
DEV, PROD = "222222222222", "444444444444"


def names(sso: Any, instance: str) -> dict[str, str]:
    return {sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]["Name"]: arn
            for arn in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]}


def test_apply_makes_the_instance_match_the_org_file_and_drift_is_put_back(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    org = tmp_path / "awsroles.ini"
    org.write_text(ORG)
    box = sandbox_factory(org)
    applied = awsroles(box, "apply", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 10 changes made." in applied.stdout
    sso, store = box.client("sso-admin"), box.client("identitystore")
    instance = sso.list_instances()["Instances"][0]
    arn, store_id = instance["InstanceArn"], instance["IdentityStoreId"]
    users = {u["UserId"]: u for u in store.list_users(IdentityStoreId=store_id)["Users"]}
    assert sorted((u["UserName"], u["DisplayName"], u["Emails"][0]["Value"]) for u in users.values()) == [
        ("alice", "Alice Smith", "alice@acme.example"), ("bob", "bob", "bob@acme.example")]
    groups = {g["DisplayName"]: g["GroupId"] for g in store.list_groups(IdentityStoreId=store_id)["Groups"]}
    members = {name: sorted(users[m["MemberId"]["UserId"]]["UserName"] for m in store.list_group_memberships(
        IdentityStoreId=store_id, GroupId=group)["GroupMemberships"]) for name, group in groups.items()}
    assert members == {"team-backend": ["bob"], "team-platform": ["alice"]}
    sets = names(sso, arn)
    assert sorted(sets) == ["admin", "readonly"]
    assert sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=sets["admin"])["PermissionSet"][
        "SessionDuration"] == "PT2H"
    assert sso.get_permissions_boundary_for_permission_set(InstanceArn=arn, PermissionSetArn=sets["readonly"])[
        "PermissionsBoundary"] == {"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
    group_names = {v: k for k, v in groups.items()}
    assignments = sorted(
        (group_names[a["PrincipalId"]], name, account)
        for name, set_arn in sets.items() for account in (DEV, PROD)
        for a in sso.list_account_assignments(InstanceArn=arn, AccountId=account,
                                              PermissionSetArn=set_arn)["AccountAssignments"])
    assert assignments == [("team-backend", "readonly", DEV), ("team-platform", "admin", DEV),
                           ("team-platform", "admin", PROD), ("team-platform", "readonly", DEV)]
    assert local(box, "plan", "--detailed-exitcode").returncode == 0
    sso.update_permission_set(InstanceArn=arn, PermissionSetArn=sets["admin"], SessionDuration="PT12H")
    drift = plan_json(box)
    assert [(c["kind"], c["name"], c["drift"]) for c in drift["changes"]] == [("permission-set", "admin", True)]
    assert awsroles(box, "apply", "--yes").returncode == 0
    assert sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=sets["admin"])["PermissionSet"][
        "SessionDuration"] == "PT2H"
