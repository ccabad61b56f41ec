"""Temporary grants in IAM Identity Center: a permission set of their own, bounded in time
(awsroles/identity_center/temporary.py, docs/temporary-access.md "IAM Identity Center")."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from awsroles.iam.checks import parse_org
from awsroles.identity_center import temporary
from awsroles.identity_center.desired import desired_identity_center
from awsroles.org.model import Org
from tests.conftest import EXAMPLES

TEXT = (EXAMPLES / "identity-center.ini").read_text()
NOW = datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc)
UNTIL = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
TEAM = """
[temporary t-20261129-1402-backend-stage]
team = backend
environment = stage
role = developer
until = 2026-11-29T18:02:00Z
reason = INC-1234
"""
USER = """
[temporary t-20261129-1402-alice-prod]
user = alice
environment = prod
role = readonly
from = 2026-11-29T15:00:00Z
until = 2026-11-29T16:00:00Z
reason = INC-99 \u2013 db
"""


def load(extra: str) -> tuple[Org | None, list[str]]:
    org, problems = parse_org(TEXT + extra, "org.ini", EXAMPLES)
    return org, [str(p) for p in problems]


def org_of(extra: str) -> Org:
    org, problems = load(extra)
    assert org is not None and not org.uses_iam_users, problems
    return org


def test_an_identity_center_only_org_accepts_temporary_sections() -> None:
    org, problems = load(TEAM + USER)
    assert org is not None, problems
    assert not [p for p in problems if "temporary" in p and "warning" not in p]  # expired by now: a warning
    assert [g.id for g in org.temporary_grants] == ["t-20261129-1402-backend-stage", "t-20261129-1402-alice-prod"]


def test_the_permission_set_name_is_a_short_hash_of_the_id_within_32_characters() -> None:
    name = temporary.permission_set_name("t-" + "x" * 62)
    assert name.startswith("awsroles-tmp-") and len(name) == 25 <= 32
    assert temporary.permission_set_name("a") != temporary.permission_set_name("b")
    assert temporary.permission_set_name("a") == temporary.permission_set_name("a")


def test_a_team_grant_is_its_own_permission_set_with_the_role_policies_and_a_deny_after_until() -> None:
    spec = desired_identity_center(org_of(TEAM), NOW)
    name = temporary.permission_set_name("t-20261129-1402-backend-stage")
    found = {p.name: p for p in spec.permission_sets}
    tmp, developer = found[name], found["developer"]
    assert tmp.temporary == "t-20261129-1402-backend-stage"
    assert (tmp.managed, tmp.customer_managed, tmp.boundary) == (developer.managed, developer.customer_managed,
                                                                 developer.boundary)
    assert tmp.session_duration == "PT1H"  # the shortest Identity Center has, whatever the role's max_session
    assert tmp.description.startswith("temporary grant t-20261129-1402-backend-stage: team backend, developer in "
                                      "stage until 2026-11-29T18:02:00Z (INC-1234)")
    tags = dict(tmp.tags)
    assert tags["awsroles-temporary"] == "t-20261129-1402-backend-stage" and tags["managed-by"] == "awsroles"
    statements = {s["Sid"]: s for s in json.loads(tmp.inline or "")["Statement"]}
    role = {s["Sid"]: s for s in json.loads(developer.inline or "")["Statement"]}
    assert statements.pop("AwsrolesTemporaryWindow") == {
        "Sid": "AwsrolesTemporaryWindow", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-11-29T18:02:00Z"}}}
    assert statements == role
    assignment = next(a for a in spec.assignments if a.permission_set == name)
    assert (assignment.principal_type, assignment.group, assignment.account) == ("GROUP", "team-backend", "stage")


def test_a_user_grant_is_assigned_to_the_user_and_from_adds_a_deny_before_the_start() -> None:
    spec = desired_identity_center(org_of(USER), NOW)
    name = temporary.permission_set_name("t-20261129-1402-alice-prod")
    tmp = next(p for p in spec.permission_sets if p.name == name)
    statements = sorted(json.loads(tmp.inline or "")["Statement"], key=lambda s: s["Sid"], reverse=True)
    assert statements == [
        {"Sid": "AwsrolesTemporaryWindow", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-11-29T16:00:00Z"}}},
        {"Sid": "AwsrolesTemporaryStart", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:CurrentTime": "2026-11-29T15:00:00Z"}}}]
    assert tmp.description.endswith("(INC-99 ? db)")  # a permission set's description is Latin-1 text
    assignment = next(a for a in spec.assignments if a.permission_set == name)
    assert (assignment.principal_type, assignment.group, assignment.account_id) == ("USER", "alice", "444444444444")


def test_an_expired_grant_is_not_desired_and_overlapping_grants_are_kept_apart() -> None:
    second = TEAM.replace("t-20261129-1402-backend-stage", "t-20261129-1500-backend-stage").replace(
        "18:02:00Z", "20:00:00Z")
    org = org_of(TEAM + second)
    first_set = temporary.permission_set_name("t-20261129-1402-backend-stage")
    second_set = temporary.permission_set_name("t-20261129-1500-backend-stage")
    before = {p.name for p in desired_identity_center(org, NOW).permission_sets}
    assert {first_set, second_set} <= before
    after = desired_identity_center(org, UNTIL)  # the first ends at UNTIL: not desired from then on
    assert {p.name for p in after.permission_sets} & {first_set, second_set} == {second_set}
    assert [a.permission_set for a in after.assignments if a.permission_set.startswith("awsroles-tmp-")] == [
        second_set]


def test_a_role_statement_named_like_the_window_is_an_error_at_the_temporary_section(tmp_path) -> None:
    policy = tmp_path / "clash.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AwsrolesTemporaryWindow", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))
    text = TEXT.replace("policies = deny-iam-writes.json", f"policies = {policy}") + TEAM
    org, problems = parse_org(text, "org.ini", EXAMPLES)
    line = text.splitlines().index("[temporary t-20261129-1402-backend-stage]") + 1
    assert org is None
    assert any(str(p).startswith(f"org.ini:{line}: ") and "statement id 'AwsrolesTemporaryWindow'" in str(p)
               for p in problems), [str(p) for p in problems]


def test_a_permission_set_whose_inline_policy_with_the_window_is_too_big_is_an_error(tmp_path) -> None:
    statements = [{"Sid": f"S{n}", "Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{n:04}/*"}
                  for n in range(115)]  # 10,163 characters
    policy = tmp_path / "big.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    text = TEXT.replace("policies = deny-iam-writes.json", f"policies = {policy}")
    org, problems = parse_org(text, "org.ini", EXAMPLES)
    assert org is not None, [str(p) for p in problems]  # the role's own permission set fits...
    org, problems = parse_org(text + TEAM, "org.ini", EXAMPLES)
    line = (text + TEAM).splitlines().index("[temporary t-20261129-1402-backend-stage]") + 1
    assert org is None  # ... but not with the window
    assert any(str(p).startswith(f"org.ini:{line}: ") and "Identity Center allows 10240" in str(p)
               for p in problems), [str(p) for p in problems]


def test_a_revocation_statement_names_the_moment_the_people_and_the_account_and_ends_after_a_session() -> None:
    from datetime import timedelta

    import pytest

    from awsroles.identity_center import revocations

    at = datetime(2026, 11, 29, 14, 2, 0, 500000, tzinfo=timezone.utc)
    statement = revocations.statement(at, ["u-2", "u-1", "u-2"], "222222222222")
    assert statement["Sid"].startswith("Revoke20261129T140201Z")  # rounded up to the whole second
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": "2026-11-29T14:02:01Z"},
                                      "StringEquals": {"identitystore:userId": ["u-1", "u-2"],
                                                       "aws:PrincipalAccount": "222222222222"}}
    wanted = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "Mine", "Effect": "Allow", "Action": "s3:*",
                                                                 "Resource": "*"}]})
    document = revocations.add(wanted, None, statement, now=at, session_seconds=3600, where="permission set x")
    assert [s["Sid"] for s in json.loads(document)["Statement"]] == ["Mine", statement["Sid"]]
    moment = datetime(2026, 11, 29, 14, 2, 1, tzinfo=timezone.utc)
    assert revocations.kept(document, moment + timedelta(seconds=3599), 3600) == [statement]
    assert revocations.kept(document, moment + timedelta(seconds=3600), 3600) == []
    assert revocations.expired(document, moment + timedelta(seconds=3600), 3600) == [statement["Sid"]]
    later = revocations.statement(at + timedelta(hours=2), ["u-3"], "222222222222")
    merged = revocations.add(wanted, document, later, now=at + timedelta(hours=2), session_seconds=3600, where="x")
    assert [s["Sid"] for s in json.loads(merged)["Statement"]] == ["Mine", later["Sid"]]  # the expired one dropped
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": f"S{n}", "Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::b{n:04}/*"}
        for n in range(115)]})
    with pytest.raises(revocations.RevocationTooLarge, match="Identity Center allows 10240: nothing changed"):
        revocations.add(big, None, statement, now=at, session_seconds=3600, where="permission set x")
