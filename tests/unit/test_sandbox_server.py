"""The sandbox server's pure part: the IAM condition evaluator for IAM users' requests. That the
package is cheap to import (moto only inside functions) is checked in a fresh interpreter, in
``tests/e2e/test_imports.py``."""

from __future__ import annotations

import pytest

from awsroles.sandbox.server.conditions import resolve_policy

USER = {"aws:username": "alice", "aws:principaltype": "User"}
MFA = {**USER, "aws:multifactorauthpresent": "true", "aws:multifactorauthage": "600"}


def deny_without_mfa() -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::1:user/${aws:username}"},
        {"Effect": "Deny", "NotAction": "iam:GetUser", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ]}


@pytest.mark.parametrize(("context", "denies"), [(USER, True), (MFA, False),
                                                  ({**USER, "aws:multifactorauthpresent": "false"}, True)])
def test_a_condition_on_a_known_key_is_decided_and_removed(context: dict[str, str], denies: bool) -> None:
    resolved = resolve_policy(deny_without_mfa(), context)
    assert resolved["Statement"][0]["Resource"] == "arn:aws:iam::1:user/alice"  # the policy variable
    assert [s["Effect"] for s in resolved["Statement"]] == (["Allow", "Deny"] if denies else ["Allow"])
    assert all("Condition" not in s for s in resolved["Statement"])


def test_numeric_age_null_and_negated_operators() -> None:
    def applies(condition: dict[str, object], context: dict[str, str]) -> bool:
        document = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]}
        return bool(resolve_policy(document, context)["Statement"])

    assert applies({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, MFA)
    assert not applies({"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}, MFA)
    assert applies({"Null": {"aws:MultiFactorAuthAge": "true"}}, USER)
    assert not applies({"Null": {"aws:MultiFactorAuthAge": "true"}}, MFA)
    assert applies({"StringNotLike": {"aws:username": ["bob*", "carol"]}}, USER)
    assert not applies({"StringLike": {"aws:username": "b?b"}}, USER)


def test_conditions_on_other_keys_are_left_for_moto() -> None:
    condition = {"StringEquals": {"aws:username": "alice", "aws:RequestedRegion": "eu-west-1"},
                 "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    document = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}}
    (statement,) = resolve_policy(document, USER)["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": "eu-west-1"},
                                      "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
