"""The sandbox server's pure part: the IAM condition evaluator for IAM users' requests. That the
package is cheap to import (moto only inside functions) is checked in a fresh interpreter, in
``tests/e2e/test_imports.py``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from awsroles.sandbox.server.conditions import ROLE_SESSION_KEYS, resolve_policy, time_context

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


# -- time: aws:CurrentTime, aws:TokenIssueTime and the Date operators ----------------------

NOW = datetime(2026, 11, 29, 14, 2, 0, tzinfo=timezone.utc)
LONG_TERM = {**USER, **time_context(NOW, None)}  # a long-term key: no aws:TokenIssueTime
SESSION = {**USER, **time_context(NOW, NOW - timedelta(minutes=5))}


def applies(condition: dict[str, object], context: dict[str, str], effect: str = "Allow") -> bool:
    document = {"Statement": [{"Effect": effect, "Action": "*", "Resource": "*", "Condition": condition}]}
    return bool(resolve_policy(document, context)["Statement"])


@pytest.mark.parametrize(("until", "allowed"), [
    ("2026-11-29T14:02:01Z", True), ("2026-11-29T14:02:00Z", False), ("2026-11-29T14:01:59Z", False),
    ("2026-11-29T15:02:01+01:00", True), ("2026-11-29T15:02:00+01:00", False),  # offsets
    ("2026-11-29T14:02:01", True),  # no zone: UTC
    ("2026-11-30", True), ("2026-11-29", False),  # a date: its midnight
    (str(int(NOW.timestamp()) + 1), True), (str(int(NOW.timestamp())), False),  # epoch seconds
    ("soon", False), ("${aws:CurrentTime}", False),  # neither a date nor epoch; no policy variables in Date
])
def test_current_time_bounds_a_statement_in_iso_8601_or_epoch_seconds(until: str, allowed: bool) -> None:
    assert applies({"DateLessThan": {"aws:CurrentTime": until}}, LONG_TERM) is allowed


def test_every_date_operator_compares_instants() -> None:
    at, before, after = "2026-11-29T14:02:00Z", "2026-11-29T14:01:59Z", "2026-11-29T14:02:01Z"
    table = {"DateEquals": (True, False, False), "DateNotEquals": (False, True, True),
             "DateLessThan": (False, False, True), "DateLessThanEquals": (True, False, True),
             "DateGreaterThan": (False, True, False), "DateGreaterThanEquals": (True, True, False)}
    for operator, expected in table.items():
        got = tuple(applies({operator: {"aws:CurrentTime": v}}, LONG_TERM) for v in (at, before, after))
        assert got == expected, operator
    assert applies({"DateEquals": {"aws:CurrentTime": [before, at]}}, LONG_TERM)  # any of the values
    assert applies({"DateGreaterThan": {"aws:CurrentTime": "2026-11-29T14:00:00Z"},
                    "DateLessThan": {"aws:CurrentTime": "2026-11-29T18:02:00Z"}}, LONG_TERM)  # a window
    assert not applies({"DateGreaterThan": {"aws:CurrentTime": "2026-11-29T14:03:00Z"},
                        "DateLessThan": {"aws:CurrentTime": "2026-11-29T18:02:00Z"}}, LONG_TERM)  # not yet
    assert applies({"NumericLessThan": {"aws:EpochTime": str(int(NOW.timestamp()) + 1)}}, LONG_TERM)


def test_token_issue_time_is_absent_for_long_term_keys() -> None:
    cut = "2026-11-29T14:00:00Z"
    assert applies({"DateLessThan": {"aws:TokenIssueTime": cut}}, SESSION)  # issued 13:57
    assert not applies({"DateLessThan": {"aws:TokenIssueTime": cut}}, LONG_TERM)  # absent: no match
    assert applies({"DateLessThanIfExists": {"aws:TokenIssueTime": cut}}, LONG_TERM)
    assert not applies({"DateGreaterThanIfExists": {"aws:TokenIssueTime": cut}}, SESSION)
    assert applies({"DateNotEquals": {"aws:TokenIssueTime": cut}}, LONG_TERM)  # negated: true when absent
    assert applies({"StringNotEquals": {"aws:SourceIdentity": "bob"}}, LONG_TERM)  # as for every negated one
    assert applies({"Null": {"aws:TokenIssueTime": "true"}}, LONG_TERM)
    assert applies({"Null": {"aws:TokenIssueTime": "false"}}, SESSION)


def test_a_deny_on_token_issue_time_for_some_people_beats_the_allow() -> None:
    revoked = {"Sid": "RevokeBob", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {
        "DateLessThan": {"aws:TokenIssueTime": "2026-11-29T14:00:00Z"},
        "StringEquals": {"aws:SourceIdentity": ["bob"]}}}
    document = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, revoked]}

    def effects(context: dict[str, str]) -> list[str]:
        return [s["Effect"] for s in resolve_policy(document, context, ROLE_SESSION_KEYS)["Statement"]]

    role = {"aws:principaltype": "AssumedRole"}
    early, late = NOW - timedelta(minutes=5), NOW
    assert effects({**role, **time_context(NOW, early), "aws:sourceidentity": "bob"}) == ["Allow", "Deny"]
    assert effects({**role, **time_context(NOW, late), "aws:sourceidentity": "bob"}) == ["Allow"]
    assert effects({**role, **time_context(NOW, early), "aws:sourceidentity": "alice"}) == ["Allow"]
    assert effects({**role, **time_context(NOW, early)}) == ["Allow"]  # no source identity: not bob


def test_a_role_session_leaves_mfa_conditions_to_moto() -> None:
    document = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                               "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    (statement,) = resolve_policy(document, {"aws:principaltype": "AssumedRole"}, ROLE_SESSION_KEYS)["Statement"]
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_a_role_sessions_context_names_the_role_the_person_and_the_times() -> None:
    from types import SimpleNamespace

    from awsroles.sandbox.server import clock
    from awsroles.sandbox.server.role_sessions import role_context

    arn = "arn:aws:iam::222222222222:role/awsroles/developer"
    assumed = SimpleNamespace(role_arn=arn, account_id="222222222222", session_name="bob",
                              awsroles_issued=datetime(2026, 11, 29, 13, 57), awsroles_source_identity="bob")
    role = SimpleNamespace(id="AROAEXAMPLE")
    context = role_context(assumed, role, "iam:ListRoles", {})
    assert {k: v for k, v in context.items() if k not in ("aws:currenttime", "aws:epochtime")} == {
        "aws:principaltype": "AssumedRole", "aws:principalarn": arn, "aws:principalaccount": "222222222222",
        "aws:userid": "AROAEXAMPLE:bob", "aws:sourceidentity": "bob",
        "aws:tokenissuetime": "2026-11-29T13:57:00.000000Z"}
    assert abs(datetime.fromisoformat(context["aws:currenttime"]).replace(tzinfo=None) - clock.utcnow()) < timedelta(
        seconds=5)
    assert role_context(assumed, role, "sts:AssumeRole", {})["sts:sourceidentity"] == "bob"  # chained: kept
    unnamed = SimpleNamespace(role_arn=arn, account_id="222222222222", session_name="x")
    assert "aws:sourceidentity" not in role_context(unnamed, None, "iam:ListRoles", {})
    assert "aws:tokenissuetime" not in role_context(unnamed, None, "iam:ListRoles", {})
