"""The import's findings (pure): which conditions the org file says, which of a person's policies
and a role's tags are awsroles' own (never reported), where a team's grants may live."""

from __future__ import annotations

from awsroles.importer.findings import extra_conditions, group_policies, role_tag_findings, user_findings
from awsroles.sync.state import LiveGroup, LiveRole, LiveUser

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def test_mfa_and_source_identity_are_the_org_files_own_conditions_any_case() -> None:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {
        "Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"AWS:MultiFactorAuthAge": "3600"},
        "StringEquals": {"sts:SourceIdentity": "${aws:username}", "aws:PrincipalTag/team": ["a", "b"]},
        "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}
    assert extra_conditions(statement) == ["DateLessThan aws:CurrentTime=2030-01-01T00:00:00Z",
                                           "StringEquals aws:PrincipalTag/team=a,b"]
    assert extra_conditions({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}) == []


def test_awsroles_own_user_policies_are_not_reported() -> None:
    user = LiveUser("bob", "/awsroles/", (), (), {"awsroles-temporary": DOC, "awsroles-break-glass": DOC}, {})
    assert user_findings(user, lambda _arn: "") == []
    user = LiveUser("bob", "/awsroles/", (), (), {"mine": DOC}, {})
    assert user_findings(user, lambda _arn: "") == [
        "user bob: inline policy mine (Allow s3:* on *) is not imported (the org file gives a person no policies "
        "of their own (access comes from teams)); apply deletes it: grant what it allows through a team first"]


def test_awsroles_own_and_aws_role_tags_are_not_reported() -> None:
    role = LiveRole("admin", "/awsroles/", {}, 3600, "", (), {}, {
        "managed-by": "awsroles", "awsroles-digest": "x", "aws:cloudformation:stack-name": "s", "Owner": "ops"})
    assert role_tag_findings(role, "dev") == [
        "role admin in dev: tag Owner='ops' is not imported (the org file gives roles no tags); apply removes it"]


def test_a_groups_policies_awsroles_own_first_then_others_then_attached() -> None:
    group = LiveGroup("team-a", "/awsroles/", ("arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::1:policy/p"),
                      {"zz": DOC, "awsroles-assume-roles": DOC, "awsroles-managed-by": DOC}, ())
    assert group_policies(group, {"arn:aws:iam::1:policy/p": DOC}) == [
        ("policy awsroles-assume-roles", DOC), ("policy zz", DOC),
        ("managed policy arn:aws:iam::1:policy/p", DOC),
        ("managed policy arn:aws:iam::aws:policy/ReadOnlyAccess", None)]
