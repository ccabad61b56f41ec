"""A console-made org (IAM path /) adopted in place by `awsroles import --adopt` and `apply --adopt`,
as an admin runs them; then, against the sandbox with IAM authorization on, who can still do what.

The import, plan, prune and ownership details are tested in-process (tests/aws/test_import_console.py);
docs/migrate-console.md runs the guide. This test checks what only a real sandbox can: each person's
own credentials (MFA session, then AssumeRole with their source identity) after the migration.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from awsroles.sandbox.seed import PersonCredentials, enroll_person
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_plan_apply import awsroles, plan_json

pytestmark = pytest.mark.e2e


def _assume(box: SandboxHandle, person: PersonCredentials, name: str, role_arn: str) -> dict[str, Any]:
    """AssumeRole as ``name`` does it: an MFA session of their own key, then their source identity."""
    sts = boto3.client("sts", endpoint_url=box.endpoint, region_name=box.region,
                       aws_access_key_id=person.access_key_id, aws_secret_access_key=person.secret_access_key)
    session = sts.get_session_token(SerialNumber=person.mfa_serial, TokenCode=person.mfa_code())["Credentials"]
    as_session = boto3.client("sts", endpoint_url=box.endpoint, region_name=box.region,
                              aws_access_key_id=session["AccessKeyId"],
                              aws_secret_access_key=session["SecretAccessKey"],
                              aws_session_token=session["SessionToken"])
    return dict(as_session.assume_role(RoleArn=role_arn, RoleSessionName=name, SourceIdentity=name))


def test_a_console_org_adopted_in_place_keeps_its_people_working(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    box = sandbox_factory(console=True)
    org_file = tmp_path / "acme.ini"
    accounts = [arg for a in box.org.accounts if a.environment for arg in ("--account", f"{a.name}={a.id}")]
    imported = awsroles(box, "import", *accounts, "--name", "acme", "--adopt", "all=in-place", "-O", str(org_file))
    assert imported.returncode == 0, imported.stderr
    assert "ci-deploy (at /, in no group)" in imported.stderr
    applied = awsroles(box, "apply", "--adopt", "--yes", org=org_file)
    assert applied.returncode == 0, applied.stderr

    ops = box.client("iam")
    dev, prod = box.org.account("dev").id, box.org.account("prod").id
    alice = enroll_person(box.aws(), box.org, "alice")
    bob = enroll_person(box.aws(), box.org, "bob")
    # the people keep the roles their console groups gave them, at / where they are
    assert _assume(box, bob, "bob", f"arn:aws:iam::{dev}:role/Developer")["SourceIdentity"] == "bob"
    assert _assume(box, alice, "alice", f"arn:aws:iam::{prod}:role/Admin")["SourceIdentity"] == "alice"
    # and no more: bob's team was never granted Admin in prod
    with pytest.raises(ClientError) as refused:
        _assume(box, bob, "bob", f"arn:aws:iam::{prod}:role/Admin")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # what awsroles was not told to own is untouched: the machine user and the Auditors group
    assert ops.list_user_tags(UserName="ci-deploy")["Tags"] == []
    assert ops.list_user_policies(UserName="ci-deploy")["PolicyNames"] == ["deploy-artifacts"]
    assert [g["GroupName"] for g in ops.list_groups_for_user(UserName="ci-deploy")["Groups"]] == []
    assert [p["PolicyName"] for p in ops.list_attached_group_policies(GroupName="Auditors")["AttachedPolicies"]] == [
        "ReadOnlyAccess"]
    assert "carol" in [u["UserName"] for u in ops.get_group(GroupName="Auditors")["Users"]]


def test_a_persons_permissions_boundary_is_adopted_and_still_limits_them(
        sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    """bob's boundary (made by hand: roles of dev only) is imported, kept by apply, and the sandbox,
    as IAM, holds him to it: his team lets him assume Developer in dev and stage, his boundary only dev."""
    import json

    box = sandbox_factory(console=True)
    ops = box.client("iam")
    dev, stage = box.org.account("dev").id, box.org.account("stage").id
    dev_only = ops.create_policy(PolicyName="dev-only", Path="/guard/", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": "sts:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
             "Resource": f"arn:aws:iam::{dev}:role/*"}]}))["Policy"]["Arn"]
    ops.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=dev_only)
    org_file = tmp_path / "acme.ini"
    accounts = [arg for a in box.org.accounts if a.environment for arg in ("--account", f"{a.name}={a.id}")]
    imported = awsroles(box, "import", *accounts, "--name", "acme", "--adopt", "all=in-place", "-O", str(org_file))
    assert imported.returncode == 0, imported.stderr
    assert "boundary = /guard/dev-only\n" in org_file.read_text().split("[user bob]")[1]
    applied = awsroles(box, "apply", "--adopt", "--yes", org=org_file)
    assert applied.returncode == 0, applied.stderr
    assert ops.get_user(UserName="bob")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == dev_only

    bob, carol = enroll_person(box.aws(), box.org, "bob"), enroll_person(box.aws(), box.org, "carol")
    assert _assume(box, bob, "bob", f"arn:aws:iam::{dev}:role/Developer")["SourceIdentity"] == "bob"
    with pytest.raises(ClientError) as refused:  # granted by his team, outside his boundary
        _assume(box, bob, "bob", f"arn:aws:iam::{stage}:role/Developer")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert _assume(box, carol, "carol", f"arn:aws:iam::{stage}:role/Developer")["SourceIdentity"] == "carol"
    plan = plan_json(box, org=org_file)
    assert (plan["changes"], plan["conflicts"]) == ([], []), plan
