"""The sandbox's trust policy evaluation (awsroles.sandbox.server.trust.refusal), pure: who a Principal
names, Allow and Deny, the actions a request needs, and the conditions over the caller's context.
tests/e2e/test_trust.py runs it in the sandbox server."""

from __future__ import annotations

from typing import Any

import pytest

from awsroles.sandbox.server.conditions import evaluate_conditions
from awsroles.sandbox.server.trust import Caller, refusal

BOB = Caller("111111111111", "arn:aws:iam::111111111111:user/awsroles/bob")
ADMIN = Caller("111111111111", "arn:aws:iam::111111111111:user/sandbox/admin")
SESSION = Caller("111111111111", "arn:aws:iam::111111111111:role/deployer",
                 "arn:aws:sts::111111111111:assumed-role/deployer/ci")
STRANGER = Caller("999999999999", "arn:aws:iam::999999999999:user/awsroles/bob")
BOB_MFA = {"aws:principalarn": BOB.arn, "aws:username": "bob", "aws:multifactorauthpresent": "true",
           "aws:multifactorauthage": "60", "sts:sourceidentity": "bob"}

AWSROLES = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                  "NumericLessThan": {"aws:MultiFactorAuthAge": "43200"},
                  "StringEquals": {"sts:SourceIdentity": "${aws:username}"},
                  "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/awsroles/*"}}}]}
BOTH = ["sts:AssumeRole", "sts:SetSourceIdentity"]


def _without(key: str) -> dict[str, str]:
    return {k: v for k, v in BOB_MFA.items() if k != key}


def test_awsroles_trust_lets_a_person_in_with_mfa_and_their_own_name() -> None:
    assert refusal(AWSROLES, BOB, BOB_MFA, BOTH) is None


@pytest.mark.parametrize(("caller", "context", "why"), [
    (BOB, _without("sts:sourceidentity"), "no source identity"),
    (BOB, {**BOB_MFA, "sts:sourceidentity": "alice"}, "another person's name"),
    (BOB, _without("aws:multifactorauthpresent"), "no MFA (a long-term key)"),
    (BOB, {**BOB_MFA, "aws:multifactorauthpresent": "false"}, "a session without MFA"),
    (BOB, {**BOB_MFA, "aws:multifactorauthage": "43200"}, "an MFA sign-in too old"),
    (ADMIN, {**BOB_MFA, "aws:principalarn": ADMIN.arn, "aws:username": "admin", "sts:sourceidentity": "admin"},
     "a user outside the path"),
    (SESSION, {"aws:principalarn": SESSION.arn, "sts:sourceidentity": "bob", "aws:multifactorauthpresent": "true",
               "aws:multifactorauthage": "1"}, "a role session"),
    (STRANGER, {**BOB_MFA, "aws:principalarn": STRANGER.arn}, "another account"),
])
def test_awsroles_trust_refuses(caller: Caller, context: dict[str, str], why: str) -> None:
    assert refusal(AWSROLES, caller, context, BOTH) == "sts:AssumeRole", why


def test_a_source_identity_needs_set_source_identity_and_tags_need_tag_session() -> None:
    only_assume = {"Statement": {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}}
    assert refusal(only_assume, ADMIN, {}, ["sts:AssumeRole"]) is None
    assert refusal(only_assume, ADMIN, {}, BOTH) == "sts:SetSourceIdentity"
    assert refusal(only_assume, ADMIN, {}, ["sts:AssumeRole", "sts:TagSession"]) == "sts:TagSession"
    wildcard = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:*"}]}
    assert refusal(wildcard, STRANGER, {}, [*BOTH, "sts:TagSession"]) is None


def test_principals_name_exact_entities_and_an_explicit_deny_wins() -> None:
    def trust(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Statement": list(statements)}

    allow_bob = {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111111111111:user/awsroles/BOB"]},
                 "Action": "sts:AssumeRole"}
    assert refusal(trust(allow_bob), BOB, {}, ["sts:AssumeRole"]) is None  # IAM names ignore case
    assert refusal(trust(allow_bob), ADMIN, {}, ["sts:AssumeRole"]) == "sts:AssumeRole"
    allow_role = {"Effect": "Allow", "Principal": {"AWS": SESSION.arn}, "Action": "sts:AssumeRole"}
    assert refusal(trust(allow_role), SESSION, {}, ["sts:AssumeRole"]) is None
    assert refusal(trust(allow_role), BOB, {}, ["sts:AssumeRole"]) == "sts:AssumeRole"
    allow_session = {"Effect": "Allow", "Principal": {"AWS": SESSION.session_arn}, "Action": "sts:AssumeRole"}
    assert refusal(trust(allow_session), SESSION, {}, ["sts:AssumeRole"]) is None
    service = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert refusal(trust(service), BOB, {}, ["sts:AssumeRole"]) == "sts:AssumeRole"
    account = {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"}
    deny = {"Effect": "Deny", "Principal": {"AWS": BOB.arn}, "Action": "sts:*"}
    assert refusal(trust(account, deny), BOB, {}, ["sts:AssumeRole"]) == "sts:AssumeRole"
    assert refusal(trust(account, deny), ADMIN, {}, ["sts:AssumeRole"]) is None
    not_bob = {"Effect": "Allow", "NotPrincipal": {"AWS": BOB.arn}, "Action": "sts:AssumeRole"}
    assert refusal(trust(not_bob), ADMIN, {}, ["sts:AssumeRole"]) is None
    assert refusal(trust(not_bob), BOB, {}, ["sts:AssumeRole"]) == "sts:AssumeRole"
    not_action = {"Effect": "Allow", "Principal": "*", "NotAction": "sts:TagSession"}
    assert refusal(trust(not_action), BOB, {}, BOTH) is None
    assert refusal(trust(not_action), BOB, {}, ["sts:TagSession"]) == "sts:TagSession"
    assert refusal({}, BOB, {}, ["sts:AssumeRole"]) == "sts:AssumeRole"  # no trust policy: no one


def test_conditions_are_evaluated_whole_and_what_the_sandbox_cannot_evaluate_never_holds() -> None:
    arn = {"aws:principalarn": "arn:aws:iam::111111111111:user/awsroles/bob"}
    assert evaluate_conditions({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/awsroles/*"}}, arn)
    assert evaluate_conditions({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/awsroles/bob"}},
                               arn)
    # each of an ARN's parts on its own: * does not run over a colon
    assert not evaluate_conditions({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}, arn)
    assert not evaluate_conditions({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/other/*"}}, arn)
    assert evaluate_conditions({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/other/*"}}, arn)
    assert not evaluate_conditions({"ArnLike": {"aws:SourceArn": "arn:aws:*"}}, arn)  # absent: false
    assert evaluate_conditions({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:*"}}, arn)
    assert not evaluate_conditions({"StringEquals": {"sts:ExternalId": "x"}}, arn)  # absent: false
    assert evaluate_conditions({"Null": {"sts:ExternalId": "true"}}, arn)
    assert not evaluate_conditions({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, arn)
    assert not evaluate_conditions({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, arn)  # no tags: false
    assert evaluate_conditions({"StringLike": {"aws:PrincipalArn": "*/awsroles/*"}}, arn)


def test_session_tags_need_tag_session_and_the_break_glass_reason_is_the_only_tag_allowed() -> None:
    from awsroles.iam.breakglass import REASON_TAG

    reason = f"aws:RequestTag/{REASON_TAG}"
    conditions = {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "Null": {reason: "false"}}
    glass = {"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [BOB.arn]}, "Action": BOTH, "Condition": conditions},
        {"Effect": "Allow", "Principal": {"AWS": [BOB.arn]}, "Action": "sts:TagSession",
         "Condition": {**conditions, "ForAllValues:StringEquals": {"aws:TagKeys": [REASON_TAG]}}}]}
    tagged = {**BOB_MFA, reason.lower(): "INC-1"}
    actions = [*BOTH, "sts:TagSession"]
    assert refusal(glass, BOB, tagged, actions, {"aws:tagkeys": [REASON_TAG]}) is None
    assert refusal(glass, BOB, BOB_MFA, BOTH) == "sts:AssumeRole"  # no reason given
    assert refusal(glass, BOB, {**tagged, "aws:requesttag/team": "x"}, actions,
                   {"aws:tagkeys": [REASON_TAG, "team"]}) == "sts:TagSession"  # another tag too
    assert evaluate_conditions({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {})  # none: true
    assert not evaluate_conditions({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {})  # none: false
    assert evaluate_conditions({"ForAnyValue:StringLike": {"aws:TagKeys": ["a*"]}}, {}, {"aws:tagkeys": ["b", "ab"]})
