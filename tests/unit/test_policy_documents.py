"""Whole generated documents, key by key, for an org that uses every feature that shapes them.

Written against the mutation run of awsroles/iam/policies.py (bench/mutation.py, docs/benchmarks.md):
the other policy tests check properties (guards present, ARNs granted), so a renamed key, a
lower-cased effect or a statement left out of a rarer path (a role that ``replaces`` a hand-made
one, a user adopted in place, a temporary grant) got past them. Each document here is exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from awsroles.iam import compare, policies, self_service
from awsroles.org.model import Org
from awsroles.org.parse import parse_org

TEXT = """
[org]
name = t
ops_account = ops
mfa = {mfa}
mfa_max_age = 1h
path = /awsroles/
[account ops]
id = 111111111111
[account dev]
id = 222222222222
environment = dev
[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
[role dev]
managed = arn:aws:iam::aws:policy/PowerUserAccess
replaces = /Developer
[role old]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
retires = /Legacy
[team a]
members = alice, carol
dev = admin, dev, old
[user alice]
[user carol]
path = /
[temporary t-1]
team = a
environment = dev
role = admin
from = 2026-11-29T10:00:00Z
until = 2026-11-29T18:00:00Z
reason = INC-1
[temporary t-2]
user = alice
environment = dev
role = admin
until = 2026-11-30T18:00:00Z
reason = INC-2
"""

MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
SOURCE_IDENTITY = {"StringEquals": {"sts:SourceIdentity": "${aws:username}"}}
ASSUME = ["sts:AssumeRole", "sts:SetSourceIdentity"]
ADMIN = "arn:aws:iam::222222222222:role/awsroles/admin"
ME = ["arn:aws:iam::111111111111:user/${aws:username}", "arn:aws:iam::111111111111:user/awsroles/${aws:username}"]


def _org(mfa: str = "required") -> Org:
    org, problems = parse_org(TEXT.format(mfa=mfa), "t.ini", Path("."))
    assert org is not None, problems
    return org


def _replaced(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement = {"Sid": "AssumeDevReplacedRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
                 "Resource": ["arn:aws:iam::222222222222:role/Developer"]}
    return {**statement, "Condition": condition} if condition is not None else statement


def test_team_policy_exactly_standing_replaced_and_temporary() -> None:
    """The granted roles, the hand-made role one ``replaces`` (not the one it ``retires``), and the
    team's temporary grant bounded in time; the person's temporary grant is not the team's."""
    org = _org()
    assert policies.team_policy(org, org.teams[0], org.temporary_grants) == {
        "Version": "2012-10-17",
        "Statement": [
            _replaced(MFA),
            {"Sid": "AssumeDevRoles", "Effect": "Allow", "Action": ASSUME,
             "Resource": [ADMIN, "arn:aws:iam::222222222222:role/awsroles/dev",
                          "arn:aws:iam::222222222222:role/awsroles/old"],
             "Condition": {**MFA, **SOURCE_IDENTITY}},
            {"Sid": "TemporarytX1", "Effect": "Allow", "Action": ASSUME, "Resource": ADMIN,
             "Condition": {**MFA, "DateGreaterThan": {"aws:CurrentTime": "2026-11-29T10:00:00Z"},
                           "DateLessThan": {"aws:CurrentTime": "2026-11-29T18:00:00Z"}, **SOURCE_IDENTITY}},
        ],
    }


def test_replaced_role_has_no_condition_when_mfa_is_optional() -> None:
    org = _org("optional")
    statements = policies.team_policy(org, org.teams[0])["Statement"]
    assert statements[0] == _replaced(None)
    assert statements[1]["Condition"] == SOURCE_IDENTITY


def test_trust_policy_exactly_with_a_user_adopted_in_place() -> None:
    assert policies.trust_policy(_org()) == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AssumeFromOpsAccount", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": ASSUME,
            "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::111111111111:user/awsroles/*",
                                                           "arn:aws:iam::111111111111:user/carol"]},
                          **MFA, **SOURCE_IDENTITY},
        }],
    }


def test_self_service_policy_exactly_with_a_user_adopted_in_place() -> None:
    assert self_service.self_service_policy(_org()) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
             "NotAction": ["iam:ChangePassword", "iam:GetAccountPasswordPolicy", "iam:GetUser",
                           "iam:ListMFADevices", "sts:GetSessionToken"],
             "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
            {"Sid": "ManageOwnAccessKeys", "Effect": "Allow",
             "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed",
                        "iam:ListAccessKeys", "iam:UpdateAccessKey"], "Resource": ME},
            {"Sid": "ManageOwnPassword", "Effect": "Allow",
             "Action": ["iam:ChangePassword", "iam:GetLoginProfile", "iam:GetUser"], "Resource": ME},
            {"Sid": "ViewAccountInfo", "Effect": "Allow", "Action": ["iam:GetAccountPasswordPolicy"], "Resource": "*"},
            {"Sid": "ViewOwnUserMFA", "Effect": "Allow", "Action": ["iam:GetMFADevice", "iam:ListMFADevices"],
             "Resource": ME},
        ],
    }


def test_user_temporary_policy_exactly() -> None:
    org = _org()
    mine = tuple(g for g in org.temporary_grants if g.user == "alice")
    assert policies.user_temporary_policy(org, mine) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "TemporarytX2", "Effect": "Allow", "Action": ASSUME, "Resource": ADMIN,
                       "Condition": {**MFA, "DateLessThan": {"aws:CurrentTime": "2026-11-30T18:00:00Z"},
                                     **SOURCE_IDENTITY}}],
    }


def test_sid_keeps_upper_case_letters() -> None:
    assert policies.sid("AssumeRole", "prod-EU") == "AssumeRoleProdEU"


def test_temporary_id_reads_back_only_temporary_sids() -> None:
    assert policies.temporary_id("TemporarytX1402Xbackend") == "t-1402-backend"
    assert policies.temporary_id("AssumeDevRoles") is None
    assert policies.temporary_id("XTemporaryt1") is None
    assert policies.temporary_id("Temporary") is None
    assert policies.temporary_id("TemporaryT1") is None  # ids are lower case: not one of ours


def test_temporary_grants_in_a_live_document() -> None:
    """Live documents come as JSON text or objects, with a Statement object or list, and may hold
    statements of any shape: only well-formed temporary statements count."""
    org = _org()
    document = policies.team_policy(org, org.teams[0], org.temporary_grants)
    assert policies.temporary_grants_in(document) == {"t-1": "2026-11-29T18:00:00Z"}
    assert policies.temporary_grants_in(policies.canonical_json(document)) == {"t-1": "2026-11-29T18:00:00Z"}
    single = {"Statement": {"Sid": "TemporarytX9", "Condition": {"DateLessThan": {"aws:CurrentTime": "X"}}}}
    assert policies.temporary_grants_in(single) == {"t-9": "X"}
    odd = {"Statement": [
        "not a statement", {"Sid": 7}, {"Effect": "Allow"},
        {"Sid": "TemporarytX1"},  # no condition: no end known
        {"Sid": "TemporarytX2", "Condition": "bad"},
        {"Sid": "TemporarytX3", "Condition": {"DateLessThan": "bad"}},
        {"Sid": "TemporarytX4", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "A"}}},
    ]}
    assert policies.temporary_grants_in(odd) == {"t-1": "", "t-2": "", "t-3": "", "t-4": ""}
    assert policies.temporary_grants_in("[]") == {}
    assert policies.temporary_grants_in({"Statement": "x"}) == {}
    assert policies.temporary_grants_in({}) == {}


def test_same_document_ignores_only_what_iam_ignores() -> None:
    base = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*",
         "Principal": {"AWS": ["arn:aws:iam::1:root"]},
         "Condition": {"StringEquals": {"a:b": ["x"]}, "Null": "odd"}}]}
    same = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": ["*"],
        "Principal": {"AWS": "arn:aws:iam::1:root"},
        "Condition": {"StringEquals": {"a:b": "x"}, "Null": "odd"}}}
    assert compare.same_document(base, same)
    assert compare.same_document(policies.canonical_json(base), policies.canonical_json(same))
    assert compare.normalized(same)["Statement"] == compare.normalized(base)["Statement"]
    for key, value in (("Action", "s3:PutObject"), ("Resource", "arn:aws:s3:::b"), ("Effect", "Deny"),
                       ("Principal", {"AWS": "arn:aws:iam::2:root"}),
                       ("Condition", {"StringEquals": {"a:b": "y"}, "Null": "odd"})):
        other = {"Version": "2012-10-17", "Statement": [{**base["Statement"][0], key: value}]}
        assert not compare.same_document(base, other), key
    two = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "b:B", "Resource": "*"},
                                                  {"Effect": "Allow", "Action": "a:A", "Resource": "*"}]}
    assert compare.same_document(two, {**two, "Statement": list(reversed(two["Statement"]))})
    assert compare.normalized({"Version": "2012-10-17"}) == {"Version": "2012-10-17"}


def test_self_service_policy_exactly_when_people_enrol_their_own_device() -> None:
    """mfa_enrollment = self, nobody adopted in place: one path, so each Resource is one ARN."""
    text = ("[org]\nname = t\nops_account = ops\nmfa = required\npath = /awsroles/\nmfa_enrollment = self\n"
            "[account ops]\nid = 111111111111\n[user alice]\n")
    org, problems = parse_org(text, "t.ini", Path("."))
    assert org is not None, problems
    me = "arn:aws:iam::111111111111:user/awsroles/${aws:username}"
    assert self_service.self_service_policy(org)["Statement"] == [
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
         "NotAction": ["iam:ChangePassword", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                       "iam:GetAccountPasswordPolicy", "iam:GetMFADevice", "iam:GetUser", "iam:ListMFADevices",
                       "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"],
         "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
        {"Sid": "ManageOwnAccessKeys", "Effect": "Allow",
         "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed",
                    "iam:ListAccessKeys", "iam:UpdateAccessKey"], "Resource": me},
        {"Sid": "ManageOwnPassword", "Effect": "Allow",
         "Action": ["iam:ChangePassword", "iam:GetLoginProfile", "iam:GetUser"], "Resource": me},
        {"Sid": "ManageOwnUserMFA", "Effect": "Allow",
         "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetMFADevice", "iam:ListMFADevices",
                    "iam:ResyncMFADevice"], "Resource": me},
        {"Sid": "ManageOwnVirtualMFADevice", "Effect": "Allow",
         "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
         "Resource": "arn:aws:iam::111111111111:mfa/${aws:username}"},
        {"Sid": "ViewAccountInfo", "Effect": "Allow",
         "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"], "Resource": "*"},
    ]


def test_normalized_treats_not_principal_as_principal() -> None:
    one = {"Statement": [{"Effect": "Deny", "Action": "*", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}}]}
    many = {"Statement": [{"Effect": "Deny", "Action": "*", "NotPrincipal": {"AWS": ["arn:aws:iam::1:root"]}}]}
    assert compare.same_document(one, many)
    assert not compare.same_document(one, {"Statement": [{**one["Statement"][0],
                                                            "NotPrincipal": {"AWS": "arn:aws:iam::2:root"}}]})


def test_a_pending_account_the_team_has_no_grant_in_does_not_stop_its_policy() -> None:
    """Only the accounts of the team's own grants need an id yet: one still to be created elsewhere
    (no ``id``, ``apply`` creates it) must not refuse the team's policy."""
    text = TEXT.format(mfa="required").replace(
        "[account dev]", "[account stage]\nenvironment = stage\nemail = aws+stage@example.com\n[account dev]")
    org, problems = parse_org(text, "t.ini", Path("."))
    assert org is not None, problems
    assert org.account("stage").pending
    assert policies.team_policy(org, org.teams[0]) == policies.team_policy(_org(), _org().teams[0])


def test_documents_given_as_text_compare_by_meaning_too() -> None:
    """Texts (what awsroles wants is kept as text): the same text is the same document, two texts
    that differ only in form are the same document, and two that differ in meaning are not."""
    import json

    from awsroles.iam.compare import same_document

    allow = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'
    listed = ('{"Statement": {"Resource": ["*"], "Action": ["s3:GetObject"], "Effect": "Allow"}, '
              '"Version": "2012-10-17"}')
    deny = allow.replace("Allow", "Deny")
    assert same_document(allow, allow) and same_document(allow, listed) and same_document(listed, allow)
    assert not same_document(allow, deny) and not same_document(deny, allow)
    assert not same_document(allow, json.loads(deny)) and same_document(json.loads(listed), allow)
