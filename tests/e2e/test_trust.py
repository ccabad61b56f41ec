"""The sandbox evaluates a role's trust policy at AssumeRole, as AWS does: the caller's identity policy
*and* the role's trust policy must allow, an explicit Deny wins (awsroles.sandbox.server.trust).

Each refusal here is one the identity side would let through, so only the trust policy refuses it:
awsroles' trust policy (people under the org's path, MFA, their own name as SourceIdentity), a Deny in
a trust policy, a role that is not there. Through boto3, the AWS CLI and `awsroles login`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from awsroles.sandbox.seed import PersonCredentials, enroll_person
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_credentials import Person

pytestmark = pytest.mark.e2e

DEV = "222222222222"
DEVELOPER = f"arn:aws:iam::{DEV}:role/awsroles/developer"


def _sts(box: SandboxHandle, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client("sts", endpoint_url=box.endpoint, region_name=box.region, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)


def _mfa_session(box: SandboxHandle, person: PersonCredentials) -> Any:
    sts = _sts(box, person.access_key_id, person.secret_access_key)
    session = sts.get_session_token(SerialNumber=person.mfa_serial, TokenCode=person.mfa_code())["Credentials"]
    return _sts(box, session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])


def _refused(call: Callable[[], Any], action: str = "sts:AssumeRole") -> str:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDenied", error
    # refused by the caller's own policy (moto's words) or by the role's trust policy (AWS's, with the role)
    assert f"is not authorized to perform: {action}" in error["Message"], error
    return str(error["Message"])


@pytest.fixture(scope="module")
def people(module_sandbox: SandboxHandle) -> dict[str, PersonCredentials]:
    return {name: enroll_person(module_sandbox.aws(), module_sandbox.org, name) for name in ("alice", "bob")}


def test_a_person_with_mfa_and_their_own_name_is_let_in(module_sandbox: SandboxHandle,
                                                        people: dict[str, PersonCredentials]) -> None:
    sts = _mfa_session(module_sandbox, people["bob"])
    assumed = sts.assume_role(RoleArn=DEVELOPER, RoleSessionName="bob", SourceIdentity="bob")
    assert assumed["SourceIdentity"] == "bob"
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/developer/bob"


def test_without_a_source_identity_or_with_another_persons_the_trust_policy_refuses(
        module_sandbox: SandboxHandle, people: dict[str, PersonCredentials]) -> None:
    sts = _mfa_session(module_sandbox, people["bob"])  # bob's team policy allows developer in dev
    message = _refused(lambda: sts.assume_role(RoleArn=DEVELOPER, RoleSessionName="bob"))
    assert message.startswith("User: arn:aws:iam::111111111111:user/awsroles/bob is not authorized")
    _refused(lambda: sts.assume_role(RoleArn=DEVELOPER, RoleSessionName="bob", SourceIdentity="alice"))


def test_the_trust_policy_refuses_an_admin_outside_the_path_whatever_their_own_policies_allow(
        module_sandbox: SandboxHandle) -> None:
    """The sandbox admin (AdministratorAccess, at /sandbox/) may call sts:AssumeRole on anything: only
    the role's trust policy (people under /awsroles/, with MFA) keeps them out."""
    sts = module_sandbox.aws().client("sts")
    message = _refused(lambda: sts.assume_role(RoleArn=DEVELOPER, RoleSessionName="admin", SourceIdentity="admin"))
    assert message.startswith("User: arn:aws:iam::111111111111:user/sandbox/")
    assert message.endswith(f"on resource: {DEVELOPER}")  # the trust policy's refusal
    # a role session (the admin in ops, through the bootstrap role) is no person either
    as_role = module_sandbox.client("sts", "ops")
    _refused(lambda: as_role.assume_role(RoleArn=DEVELOPER, RoleSessionName="xx", SourceIdentity="bob"))
    # the bootstrap role trusts the ops account: the admin is let in there
    bootstrap = f"arn:aws:iam::{DEV}:role/OrganizationAccountAccessRole"
    assert sts.assume_role(RoleArn=bootstrap, RoleSessionName="admin")["AssumedRoleUser"]["Arn"].endswith("/admin")
    # a role that is not there, or not at that path, is refused as AWS does
    _refused(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/nobody", RoleSessionName="admin"))
    _refused(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/OrganizationAccountAccessRole/x",
                                     RoleSessionName="admin"))


def test_a_deny_in_a_trust_policy_wins_and_a_missing_action_refuses(module_sandbox: SandboxHandle) -> None:
    iam = module_sandbox.client("iam", "dev")
    ops_root = "arn:aws:iam::111111111111:root"
    admin = module_sandbox.aws().whoami().arn
    allow = {"Effect": "Allow", "Principal": {"AWS": ops_root}, "Action": "sts:AssumeRole"}
    deny = {"Effect": "Deny", "Principal": {"AWS": admin}, "Action": "sts:*"}
    iam.create_role(RoleName="hand-made", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow, deny]}))
    sts = module_sandbox.aws().client("sts")
    role = f"arn:aws:iam::{DEV}:role/hand-made"
    _refused(lambda: sts.assume_role(RoleArn=role, RoleSessionName="admin"))
    iam.update_assume_role_policy(RoleName="hand-made", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow]}))
    assert sts.assume_role(RoleArn=role, RoleSessionName="admin")["AssumedRoleUser"]["Arn"].endswith("/admin")
    # a SourceIdentity needs sts:SetSourceIdentity in the trust policy too
    _refused(lambda: sts.assume_role(RoleArn=role, RoleSessionName="admin", SourceIdentity="admin"),
             "sts:SetSourceIdentity")


def test_the_aws_cli_without_source_identity_is_refused(module_sandbox: SandboxHandle,
                                                         people: dict[str, PersonCredentials]) -> None:
    bob = people["bob"]
    env = {**module_sandbox.env, "AWS_ACCESS_KEY_ID": bob.access_key_id, "AWS_SECRET_ACCESS_KEY": bob.secret_access_key}
    assumed = subprocess.run(["aws", "sts", "assume-role", "--role-arn", DEVELOPER, "--role-session-name", "bob",
                              "--serial-number", bob.mfa_serial, "--token-code", bob.mfa_code()],
                             env=env, capture_output=True, text=True, timeout=60)
    assert assumed.returncode != 0
    assert "AccessDenied" in assumed.stderr and "is not authorized to perform: sts:AssumeRole" in assumed.stderr


def test_awsroles_login_is_refused_when_the_trust_policy_no_longer_names_the_person(
        module_sandbox: SandboxHandle, people: dict[str, PersonCredentials], tmp_path: Path) -> None:
    bob = Person(module_sandbox, people["bob"], tmp_path / "bob")
    assert bob.setup().returncode == 0
    assert bob.run("login", "dev", "--role", "readonly", "--mfa-code", bob.code(), stdin="").returncode == 0
    iam = module_sandbox.client("iam", "dev")
    before = iam.get_role(RoleName="readonly")["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(json.dumps(before))
    trust["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"] = "arn:aws:iam::111111111111:user/other/*"
    iam.update_assume_role_policy(RoleName="readonly", PolicyDocument=json.dumps(trust))  # a colleague's edit
    try:
        assert bob.run("logout").returncode == 0
        refused = bob.run("login", "dev", "--role", "readonly", "--mfa-code", bob.code(), stdin="")
        assert refused.returncode != 0
        assert refused.stderr == ("awsroles: error: AWS refused bob the role readonly in dev (AccessDenied); if it "
                                  "was granted just now, the admin must run `awsroles apply`\n")  # which puts it back
    finally:
        iam.update_assume_role_policy(RoleName="readonly", PolicyDocument=json.dumps(before))
