"""The first apply of an org with a break-glass role, as on AWS: IAM refuses a trust policy naming a
user that does not exist yet, so the role in the environment account waits for the ops account to
make the people's users (awsroles.sync.apply; the rule: awsroles.sandbox.server.principals)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import botocore.exceptions
import pytest

from awsroles.aws import Aws, AwsSettings
from awsroles.org.model import Org
from awsroles.sync import apply as apply_module
from awsroles.sync.engine import Engine
from tests.aws.test_break_glass_alarm import org_with

OPS, PROD = "111111111111", "444444444444"


def trust(*principals: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}]})


def test_iam_refuses_a_trust_policy_naming_a_user_or_role_that_does_not_exist(ops_aws: Aws, classic: Org) -> None:
    ops = ops_aws.client("iam")
    prod = ops_aws.client("iam", ops_aws.for_account(PROD, "admin"))
    alice = f"arn:aws:iam::{OPS}:user/awsroles/alice"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        prod.create_role(RoleName="glass", AssumeRolePolicyDocument=trust(alice))
    assert refused.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert f'Invalid principal in policy: "AWS":"{alice}"' in str(refused.value)
    assert "glass" not in [r["RoleName"] for r in prod.list_roles()["Roles"]]  # a refused CreateRole makes nothing

    ops.create_user(UserName="alice", Path="/awsroles/")
    for wrong in (f"arn:aws:iam::{OPS}:user/alice", f"arn:aws:iam::{OPS}:user/awsroles/bob"):  # path, name
        with pytest.raises(botocore.exceptions.ClientError, match="Invalid principal"):
            prod.create_role(RoleName="glass", AssumeRolePolicyDocument=trust(wrong))
    prod.create_role(RoleName="glass", AssumeRolePolicyDocument=trust(alice, f"arn:aws:iam::{OPS}:root", OPS,
                                                                      f"arn:aws:iam::{OPS}:user/awsroles/ALICE"))
    missing_role = f"arn:aws:iam::{OPS}:role/nobody"
    with pytest.raises(botocore.exceptions.ClientError, match="Invalid principal"):
        prod.update_assume_role_policy(RoleName="glass", PolicyDocument=trust(missing_role))
    assert alice in json.dumps(prod.get_role(RoleName="glass")["Role"]["AssumeRolePolicyDocument"])  # unchanged


def _slow_user_creation(calls: list[str], fail: str | None = None) -> Any:
    """A hook: CreateUser takes 0.3 s (the ops account is slow) and, for ``fail``, is refused."""
    def before_call(params: Any, model: Any, **_: Any) -> None:
        name = params["body"].get("UserName", "")
        time.sleep(0.3)
        if name == fail:
            raise botocore.exceptions.ClientError({"Error": {"Code": "LimitExceeded", "Message": "too many users"}},
                                                  "CreateUser")
        calls.append(f"CreateUser {name}")

    def role_call(params: Any, **_: Any) -> None:
        calls.append(f"CreateRole {params['body'].get('RoleName')} at {threading.current_thread().name}")

    def hook(session: Any) -> None:
        session.register("before-call.iam.CreateUser", before_call)
        session.register("before-call.iam.CreateRole", role_call)
    return hook


def _engine(ops_aws: Aws, classic: Org, calls: list[str], fail: str | None = None) -> Engine:
    base = Aws(AwsSettings(region="us-east-1"), hooks=[_slow_user_creation(calls, fail)])
    return Engine(org_with(), Aws(AwsSettings(region="us-east-1"), session=base.for_account(classic.ops.id, "admin"),
                                  hooks=[_slow_user_creation(calls, fail)]))


def test_the_break_glass_role_waits_for_the_peoples_users(ops_aws: Aws, classic: Org) -> None:
    calls: list[str] = []
    engine = _engine(ops_aws, classic, calls)
    result = engine.apply(engine.plan())
    assert result.ok, [(s.change.name, s.error) for s in result.steps if s.error]
    glass = next(i for i, c in enumerate(calls) if c.startswith("CreateRole breakglass"))
    assert calls.index("CreateUser alice") < glass
    assert engine.plan().in_sync


def test_without_the_wait_aws_would_refuse_it(ops_aws: Aws, classic: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the first apply did before: the environment accounts ran beside ops, and IAM refused."""
    monkeypatch.setattr(apply_module, "_user_dependencies", lambda steps: {})
    engine = _engine(ops_aws, classic, [])
    result = engine.apply(engine.plan())
    glass = next(s for s in result.steps if s.change.kind == "role" and s.change.name == "breakglass")
    assert glass.status == "failed" and "Invalid principal in policy" in (glass.error or "")


def test_a_person_not_created_fails_the_role_saying_so_and_a_rerun_finishes(ops_aws: Aws, classic: Org) -> None:
    engine = _engine(ops_aws, classic, [], fail="alice")
    result = engine.apply(engine.plan())
    glass = next(s for s in result.steps if s.change.kind == "role" and s.change.name == "breakglass")
    assert glass.status == "failed"
    assert glass.error == "needs IAM user alice in ops, which was not created (failed): run `awsroles apply` again"
    others = [s for s in result.steps if s.change.account == "prod" and s.change.name != "breakglass"]
    assert others and all(s.status == "done" for s in others if s.change.kind == "role")  # the rest of prod went on
    rerun = Engine(org_with(), ops_aws)
    assert rerun.apply(rerun.plan()).ok
    assert rerun.plan().in_sync
