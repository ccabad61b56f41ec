"""The sandbox enforces time as IAM does (:mod:`awsroles.sandbox.server.conditions`,
:mod:`awsroles.sandbox.server.role_sessions`): a statement bounded by ``aws:CurrentTime`` grants
from ``from`` until ``until`` by the sandbox's movable clock, and a role's Deny on
``aws:TokenIssueTime`` for some people (``aws:SourceIdentity``) ends their sessions issued before
it at once, leaving everyone else's alone. Driven with boto3 against a sandbox server in this
process with IAM authorization on; time moves by the sandbox's clock: no test sleeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pyotp
import pytest
from botocore.exceptions import ClientError

from awsroles.sandbox.client import advance_clock, enable_iam_authorization
from awsroles.sandbox.server import clock
from awsroles.sandbox.server.main import MotoServer

ACCOUNT = "123456789012"  # moto's default account: the one the fake keys below land in
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/developer"
ASSUME = ["sts:AssumeRole", "sts:SetSourceIdentity"]
SESSION = boto3.Session(region_name=REGION)  # one: each new one loads botocore's models again


@dataclass
class Box:
    endpoint: str
    setup: Any  # an IAM client for setting up, before IAM authorization is on
    admin: Any = None  # an IAM client with the admin user's key (may do anything), after

    def client(self, service: str, key: str, secret: str, token: str | None = None) -> Any:
        return SESSION.client(service, endpoint_url=self.endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                              aws_session_token=token)

    def assume(self, credentials: tuple[str, ...], person: str) -> tuple[str, str, str]:
        answer = self.client("sts", *credentials).assume_role(RoleArn=ROLE, RoleSessionName=person,
                                                              SourceIdentity=person)
        assert answer["SourceIdentity"] == person
        c = answer["Credentials"]
        return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]


def now() -> datetime:
    """The sandbox's clock (the server runs in this process)."""
    return clock.utcnow().replace(tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def denied(call: Any) -> bool:
    try:
        call()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDenied", exc.response
        return True
    return False


@pytest.fixture
def box() -> Iterator[Box]:
    """A sandbox in this process: an admin user, people alice and bob with keys (bob with an MFA
    device, seed returned by ``mfa``), a role ``developer`` that trusts them and may list roles;
    then IAM authorization on."""
    server = MotoServer()
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server.port}"
        iam = SESSION.client("iam", endpoint_url=endpoint, aws_access_key_id="AKIAFAKEADMIN0000000",
                             aws_secret_access_key="fake")
        iam.create_user(UserName="admin")
        iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        admin_key = iam.create_access_key(UserName="admin")["AccessKey"]
        people = [f"arn:aws:iam::{ACCOUNT}:user/{name}" for name in ("alice", "bob")]
        for name in ("alice", "bob"):
            iam.create_user(UserName=name)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": people},
                                                          "Action": ASSUME}]}
        iam.create_role(RoleName="developer", AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName="developer", PolicyName="work", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}))
        box = Box(endpoint, iam)
        box.admin = box.client("iam", admin_key["AccessKeyId"], admin_key["SecretAccessKey"])
        yield box
    finally:
        server.stop()


def keys(iam: Any, user: str) -> tuple[str, str]:
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def mfa(iam: Any, user: str) -> tuple[str, pyotp.TOTP]:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    totp = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed)
    at = clock.sandbox_time()
    iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"], AuthenticationCode1=totp.at(at - 30),
                          AuthenticationCode2=totp.at(at))
    return device["SerialNumber"], totp


def test_a_grant_bounded_by_current_time_opens_at_from_and_closes_one_second_after_until(box: Box) -> None:
    iam = box.setup
    start = now().replace(microsecond=0)
    opens, until = start + timedelta(seconds=60), start + timedelta(hours=4)
    iam.create_group(GroupName="backend")
    iam.add_user_to_group(GroupName="backend", UserName="bob")
    iam.put_group_policy(GroupName="backend", PolicyName="awsroles-team", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{
            "Sid": "TemporaryT20261129backendstage", "Effect": "Allow", "Action": ASSUME, "Resource": ROLE,
            "Condition": {"DateLessThan": {"aws:CurrentTime": iso(until)},
                          "DateGreaterThan": {"aws:CurrentTime": iso(opens)}}}]}))
    bob = keys(iam, "bob")
    serial, totp = mfa(iam, "bob")
    enable_iam_authorization(box.endpoint)
    session = box.client("sts", *bob).get_session_token(SerialNumber=serial, TokenCode=totp.at(clock.sandbox_time()),
                                                        DurationSeconds=129600)["Credentials"]
    mfa_session = (session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])

    assert denied(lambda: box.assume(mfa_session, "bob"))  # not yet
    advance_clock(box.endpoint, (opens - now()).total_seconds() + 1)
    box.assume(mfa_session, "bob")  # open
    box.assume(bob, "bob")  # a long-term key too: aws:CurrentTime is in every request
    advance_clock(box.endpoint, (until - now()).total_seconds() - 1)
    box.assume(mfa_session, "bob")  # a second before until
    advance_clock(box.endpoint, 2)
    assert denied(lambda: box.assume(mfa_session, "bob"))  # a second after: over, with nothing running
    assert denied(lambda: box.assume(bob, "bob"))


def test_a_deny_on_token_issue_time_ends_bobs_earlier_sessions_at_once_and_no_one_elses(box: Box) -> None:
    iam = box.setup
    may_assume = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ASSUME, "Resource": ROLE}]})
    for person in ("alice", "bob"):
        iam.put_user_policy(UserName=person, PolicyName="assume", PolicyDocument=may_assume)
    alice_key, bob_key = keys(iam, "alice"), keys(iam, "bob")
    enable_iam_authorization(box.endpoint)
    alice, bob = box.assume(alice_key, "alice"), box.assume(bob_key, "bob")
    for session in (alice, bob):
        box.client("iam", *session).list_roles()

    advance_clock(box.endpoint, 2)
    revoked_at = now().replace(microsecond=0)  # later than both sessions were issued
    box.admin.put_role_policy(RoleName="developer", PolicyName="awsroles-revoked-sessions",
                              PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                  "Sid": "RevokeBob", "Effect": "Deny", "Action": "*", "Resource": "*",
                                  "Condition": {"DateLessThan": {"aws:TokenIssueTime": iso(revoked_at)},
                                                "StringEquals": {"aws:SourceIdentity": ["bob"]}}}]}))

    assert denied(lambda: box.client("iam", *bob).list_roles())  # at once, though the role allows it
    who = box.client("sts", *bob).get_caller_identity()  # needs no permission, in AWS too
    assert who["Arn"].endswith(":assumed-role/developer/bob")
    box.client("iam", *alice).list_roles()  # alice's session: untouched
    advance_clock(box.endpoint, 2)
    again = box.assume(bob_key, "bob")  # issued after the moment: works
    box.client("iam", *again).list_roles()
    assert denied(lambda: box.client("iam", *bob).list_roles())  # the old one stays refused


def test_a_chained_session_keeps_the_source_identity_and_every_role_session_has_an_issue_time(box: Box) -> None:
    from moto.sts.models import sts_backends

    from awsroles.sandbox.server.role_sessions import issued, source_identity

    iam = box.setup
    chained = f"arn:aws:iam::{ACCOUNT}:role/chained"
    iam.create_role(RoleName="chained", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ASSUME}]}))
    iam.put_role_policy(RoleName="developer", PolicyName="chain", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ASSUME, "Resource": chained}]}))
    iam.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ASSUME, "Resource": ROLE}]}))
    alice_key = keys(iam, "alice")
    enable_iam_authorization(box.endpoint)
    alice = box.assume(alice_key, "alice")
    answer = box.client("sts", *alice).assume_role(RoleArn=chained, RoleSessionName="alice")  # no SourceIdentity
    assert answer["SourceIdentity"] == "alice"  # AWS: it persists through role chaining
    assumed = sts_backends[ACCOUNT]["aws"].get_assumed_role_from_access_key(answer["Credentials"]["AccessKeyId"])
    assert source_identity(assumed) == "alice"
    before = clock.utcnow()
    # how the access portal's GetRoleCredentials makes role sessions (sso_portal): stamped too
    portal = sts_backends[ACCOUNT]["aws"].assume_role(region_name=REGION, role_session_name="carol", role_arn=chained,
                                                      policy="", duration=3600, external_id="")
    stamped = issued(portal)
    assert stamped is not None and before <= stamped <= clock.utcnow()
    assert source_identity(portal) is None
