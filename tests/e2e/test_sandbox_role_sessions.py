"""The sandbox answers as AWS does for a role that does not exist: AssumeRole is refused, and requests
made with a session of a role deleted since get 403 AccessDenied (no permissions), never a 500;
GetCallerIdentity still answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import SandboxHandle

pytestmark = pytest.mark.e2e

_ONCE = Config(retries={"mode": "standard", "total_max_attempts": 1})  # a 500 would be retried, slowly


def _session_clients(box: SandboxHandle, role_arn: str) -> Callable[[str], Any]:
    creds = box.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="fuzz")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=box.region)
    return lambda service: session.client(service, endpoint_url=box.endpoint, config=_ONCE)


def _denied(call: Callable[[], object], action: str) -> None:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403, response
    assert response["Error"]["Code"] == "AccessDenied" and f"not authorized to perform: {action}" in (
        response["Error"]["Message"])


def test_a_role_that_does_not_exist_cannot_be_assumed(sandbox: SandboxHandle) -> None:
    dev = sandbox.org.account("dev").id
    sts = sandbox.client("sts")
    _denied(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{dev}:role/no-such-role", RoleSessionName="fuzz"),
            "sts:AssumeRole")


def test_a_deleted_roles_sessions_are_denied(fresh_sandbox: SandboxHandle) -> None:
    dev = fresh_sandbox.org.account("dev").id
    iam = fresh_sandbox.client("iam", "dev")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="short-lived", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="short-lived", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    client = _session_clients(fresh_sandbox, f"arn:aws:iam::{dev}:role/short-lived")
    assert client("iam").list_roles()["Roles"]
    iam.detach_role_policy(RoleName="short-lived", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.delete_role(RoleName="short-lived")
    iam_client, sts = client("iam"), client("sts")
    _denied(lambda: iam_client.list_roles(), "iam:ListRoles")
    _denied(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{dev}:role/{fresh_sandbox.org.bootstrap_role}",
                                    RoleSessionName="chained"), "sts:AssumeRole")
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{dev}:assumed-role/short-lived/fuzz"


def test_a_roles_permissions_boundary_limits_its_sessions(sandbox: SandboxHandle) -> None:
    """As on AWS: a session may do only what both the role's policies and its boundary allow."""
    dev = sandbox.org.account("dev").id
    iam = sandbox.client("iam", "dev")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=json.dumps(trust),
                    PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.attach_role_policy(RoleName="bounded", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    client = _session_clients(sandbox, f"arn:aws:iam::{dev}:role/bounded")
    session_iam = client("iam")
    assert session_iam.list_roles()["Roles"]  # allowed by both
    _denied(lambda: session_iam.create_user(UserName="nope"), "iam:CreateUser")  # the boundary does not allow it
    iam.delete_role_permissions_boundary(RoleName="bounded")
    assert session_iam.create_user(UserName="now-allowed")["User"]["UserName"] == "now-allowed"
