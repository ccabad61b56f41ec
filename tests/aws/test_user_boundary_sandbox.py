"""The sandbox limits an IAM user's requests by their permissions boundary, as IAM does ("Permissions
boundaries for IAM entities": allowed only when both the identity policies and the boundary allow
it; an explicit deny in either wins). Driven with boto3 against a sandbox server in this process with
IAM authorization on (the ``box`` of tests/aws/test_time_conditions_sandbox.py)."""

from __future__ import annotations

import json

from awsroles.sandbox.client import enable_iam_authorization
from tests.aws.test_time_conditions_sandbox import ROLE, Box, box, denied, keys  # noqa: F401  (the fixture)

EVERYTHING = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_users_boundary_limits_what_their_policies_allow(box: Box) -> None:  # noqa: F811
    iam = box.setup
    iam.put_user_policy(UserName="alice", PolicyName="all", PolicyDocument=EVERYTHING)
    listing = iam.create_policy(PolicyName="list-only", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": ["iam:List*", "sts:AssumeRole"], "Resource": "*"}))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=listing)
    alice = keys(iam, "alice")
    enable_iam_authorization(box.endpoint)
    as_alice = box.client("iam", *alice)
    as_alice.list_roles()  # allowed by both
    assert denied(lambda: as_alice.create_group(GroupName="nope"))  # her policy allows it, the boundary not
    sts = box.client("sts", *alice)
    assert sts.get_caller_identity()["Arn"].endswith(":user/alice")  # needs no permission, whatever the boundary
    sts.assume_role(RoleArn=ROLE, RoleSessionName="alice")  # sts:AssumeRole: in both
    # with a source identity, sts:SetSourceIdentity too, which the boundary does not allow
    assert denied(lambda: sts.assume_role(RoleArn=ROLE, RoleSessionName="alice", SourceIdentity="alice"))
    box.admin.delete_user_permissions_boundary(UserName="alice")
    as_alice.create_group(GroupName="now-allowed")  # no boundary: her policies alone decide
    assert box.client("sts", *alice).assume_role(RoleArn=ROLE, RoleSessionName="alice",
                                                 SourceIdentity="alice")["SourceIdentity"] == "alice"


def test_a_deny_in_the_boundary_wins_and_a_boundary_allows_nothing_the_policies_do_not(box: Box) -> None:  # noqa: F811
    iam = box.setup
    iam.put_user_policy(UserName="bob", PolicyName="roles", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
    wide = iam.create_policy(PolicyName="wide-but-no-roles", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}))["Policy"]["Arn"]
    iam.create_user(UserName="carol", PermissionsBoundary=wide)  # set as the user is made
    iam.put_user_policy(UserName="carol", PolicyName="roles", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": ["iam:ListRoles", "iam:ListUsers"], "Resource": "*"}))
    bob, carol = keys(iam, "bob"), keys(iam, "carol")
    enable_iam_authorization(box.endpoint)
    box.client("iam", *bob).list_roles()
    assert denied(lambda: box.client("iam", *carol).list_roles())  # the boundary's Deny
    box.client("iam", *carol).list_users()
    assert denied(lambda: box.client("iam", *carol).list_groups())  # the boundary allows it, her policies do not
