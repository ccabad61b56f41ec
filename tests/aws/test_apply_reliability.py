"""apply under throttling, repeated operations, and partial failure (moto in-process)."""

from __future__ import annotations

import threading
from typing import Any

import botocore.retries.standard
import pytest
from botocore.awsrequest import AWSResponse

from awsroles.aws import Aws, AwsSettings
from awsroles.org.model import Org
from awsroles.sync.apply import apply_plan
from awsroles.sync.engine import Engine

THROTTLED = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
             b"<Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>")


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


class Throttler:
    """A before-send hook: every ``every``-th IAM request of each thread is answered 400 Throttling
    (never sent). Counted per thread, so a call's retries (made by its own thread) are never all
    throttled by how other threads' calls happen to interleave on a loaded machine: a global count
    once throttled one CreateRole five times in a row."""

    def __init__(self, every: int):
        self.every = every
        self.local = threading.local()
        self.lock = threading.Lock()
        self.throttled = 0
        self.sent = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if "iam." not in request.url and "/iam" not in request.url:
            return None
        n = getattr(self.local, "n", 0) + 1
        self.local.n = n
        with self.lock:
            if n % self.every:
                self.sent += 1
                return None
            self.throttled += 1
        return AWSResponse(request.url, 400, {}, _Raw(THROTTLED))

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register_first("before-send.iam", self, unique_id=f"throttle-{id(self)}")

    def aws(self, org: Org, max_attempts: int) -> Aws:
        """An admin in the ops account whose every session carries this hook."""
        settings = AwsSettings(region="us-east-1", max_attempts=max_attempts)
        base = Aws(settings, hooks=[self.install])
        return Aws(settings, session=base.for_account(org.ops.id, "admin"), hooks=[self.install])


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's real retry handler, without its real sleeping time."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.001)


def test_apply_converges_under_throttling_without_duplicates(ops_aws: Aws, classic: Org, fast_backoff: None) -> None:
    throttler = Throttler(every=2)  # per thread: every other call of each thread
    engine = Engine(classic, throttler.aws(classic, max_attempts=5))
    plan = engine.plan()
    result = engine.apply(plan)
    assert result.ok, result.as_dict()
    assert throttler.throttled >= 10  # the retry handler really worked through throttling
    clean = Engine(classic, ops_aws)
    assert clean.plan().empty
    dev_roles = [r["RoleName"] for r in clean.iam("dev").list_roles(PathPrefix="/awsroles/")["Roles"]]
    assert sorted(dev_roles) == ["admin", "developer", "readonly"]
    users = [u["UserName"] for u in clean.iam("ops").list_users(PathPrefix="/awsroles/")["Users"]]
    assert sorted(users) == ["alice", "bob"]


def test_throttling_beyond_the_retry_budget_fails_cleanly_and_a_rerun_converges(
    ops_aws: Aws, classic: Org, fast_backoff: None
) -> None:
    throttler = Throttler(every=1)  # everything throttled: nothing can succeed
    plan = Engine(classic, ops_aws).plan()
    result = apply_plan(plan, Engine(classic, throttler.aws(classic, max_attempts=2)).iam)
    assert not result.ok
    # In each account the first wave (changes of one kind) failed; later waves were not attempted.
    first_waves = {account: next(c for c in plan.changes if c.account == account).kind
                   for account in {c.account for c in plan.changes}}
    expected_failed = {(c.account, c.kind, c.name) for c in plan.changes if c.kind == first_waves[c.account]}
    assert {(s.change.account, s.change.kind, s.change.name) for s in result.steps if s.status == "failed"} == (
        expected_failed)
    assert all("Throttling" in s.error for s in result.steps if s.status == "failed")
    assert result.count("not attempted") == len(plan.changes) - len(expected_failed)
    engine = Engine(classic, ops_aws)
    assert engine.apply(engine.plan()).ok
    assert Engine(classic, ops_aws).plan().empty


def test_a_stale_plan_applied_twice_is_harmless(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    plan = engine.plan()
    assert engine.apply(plan).ok
    again = engine.apply(plan)  # every create now meets an existing resource
    assert again.ok, again.as_dict()
    assert Engine(classic, ops_aws).plan().empty


def test_apply_never_touches_unmanaged_resources_even_with_prune(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    dev, ops = engine.iam("dev"), engine.iam("ops")
    trust = '{"Version":"2012-10-17","Statement":[]}'
    dev.create_role(RoleName="legacy-admin", Path="/", AssumeRolePolicyDocument=trust)
    dev.create_role(RoleName="ci", Path="/service/", AssumeRolePolicyDocument=trust)
    ops.create_user(UserName="root-ish", Path="/")
    ops.create_group(GroupName="auditors", Path="/")
    ops.add_user_to_group(GroupName="auditors", UserName="root-ish")
    ops.create_policy(PolicyName="mine", Path="/", PolicyDocument='{"Version": "2012-10-17", "Statement": '
                      '[{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}')
    assert engine.apply(engine.plan(prune=True)).ok
    assert Engine(classic, ops_aws).plan(prune=True).empty
    assert {r["RoleName"] for r in dev.list_roles()["Roles"]} >= {"legacy-admin", "ci"}
    assert "root-ish" in {u["UserName"] for u in ops.list_users()["Users"]}
    assert [u["UserName"] for u in ops.get_group(GroupName="auditors")["Users"]] == ["root-ish"]
    assert "mine" in {p["PolicyName"] for p in ops.list_policies(Scope="Local")["Policies"]}


def test_prune_refuses_to_delete_a_user_with_credentials(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    assert engine.apply(engine.plan()).ok
    ops = engine.iam("ops")
    mark = [{"Key": "managed-by", "Value": "awsroles"}]  # users awsroles made, since dropped from the org file
    ops.create_user(UserName="carol", Path="/awsroles/", Tags=mark)
    ops.create_access_key(UserName="carol")
    ops.create_user(UserName="dave", Path="/awsroles/", Tags=mark)
    plan = engine.plan(prune=True)
    result = engine.apply(plan)
    assert result.ok  # skipping is not failing
    status = {s.change.name: (s.status, s.error) for s in result.steps}
    assert status["carol"] == ("skipped", "user carol still has access keys; offboard them first")
    assert status["dave"] == ("done", "")
    names = {u["UserName"] for u in ops.list_users(PathPrefix="/awsroles/")["Users"]}
    assert "carol" in names and "dave" not in names


def test_prune_refuses_to_delete_a_user_with_a_service_specific_credential(ops_aws: Aws, classic: Org) -> None:
    """A CodeCommit (or Keyspaces, Bedrock) password is a credential too: apply skips the user and
    says why; once it is gone, the user is deleted."""
    engine = Engine(classic, ops_aws)
    assert engine.apply(engine.plan()).ok
    ops = engine.iam("ops")
    ops.create_user(UserName="erin", Path="/awsroles/", Tags=[{"Key": "managed-by", "Value": "awsroles"}])
    made = ops.create_service_specific_credential(UserName="erin", ServiceName="codecommit.amazonaws.com")
    result = engine.apply(engine.plan(prune=True))
    assert result.ok  # skipping is not failing
    status = {s.change.name: (s.status, s.error) for s in result.steps}
    assert status["erin"] == ("skipped", "user erin still has service credentials; offboard them first")
    assert "erin" in {u["UserName"] for u in ops.list_users(PathPrefix="/awsroles/")["Users"]}
    ops.delete_service_specific_credential(
        UserName="erin", ServiceSpecificCredentialId=made["ServiceSpecificCredential"]["ServiceSpecificCredentialId"])
    result = engine.apply(engine.plan(prune=True))
    assert {s.change.name: s.status for s in result.steps} == {"erin": "done"}
    assert "erin" not in {u["UserName"] for u in ops.list_users(PathPrefix="/awsroles/")["Users"]}
