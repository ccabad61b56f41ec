"""Guardrails: the SCP vocabulary (awsroles.accounts.guardrails), its parsing, its limits, and what each
statement denies, judged by a small evaluator of the SCP subset the statements use (Deny with Action or
NotAction, Resource, and the StringLike, StringNotEquals and ArnNotLike operators, as the IAM User Guide's
"Policy evaluation logic" and "Condition operators" define them)."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from awsroles.accounts import guardrails
from awsroles.accounts.guardrails import GUARDRAILS, SCP_MAX_CHARS, Context, Guardrail, check, document, parse
from awsroles.org.jsondoc import canonical_json, compact_size

CTX = Context(path="/awsroles/", bootstrap_role="OrganizationAccountAccessRole")
EVERYTHING = ("deny-leave-organization, deny-root-user, protect-awsroles, protect-security-services,\n"
              "allowed-regions eu-west-1 eu-central-1")
ADMIN = "arn:aws:iam::222222222222:role/admin"  # a colleague with AdministratorAccess in dev
BOOTSTRAP = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
ROOT = "arn:aws:iam::222222222222:root"


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    """IAM's wildcards (* and ?), nothing else: fnmatch would also read [ ] as a set."""
    escaped = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(value, escaped) if case else fnmatch.fnmatchcase(value.lower(), escaped.lower())


def _values(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual = context.get(key)
            if actual is None:
                return operator.startswith(("StringNot", "ArnNot"))  # a missing key matches only the negated operators
            if operator in ("StringLike", "ArnLike"):
                ok = any(_like(e, actual) for e in _values(expected))
            elif operator == "ArnNotLike":
                ok = not any(_like(e, actual) for e in _values(expected))
            elif operator == "StringNotEquals":
                ok = actual not in _values(expected)
            else:
                raise AssertionError(f"the evaluator does not know {operator}")
            if not ok:
                return False
    return True


def denied(scp: dict[str, Any], principal: str, action: str, resource: str = "*", region: str = "us-east-1") -> bool:
    """Whether the SCP denies the request (it only has Deny statements; FullAWSAccess allows the rest)."""
    context = {"aws:PrincipalArn": principal, "aws:RequestedRegion": region}
    for statement in scp["Statement"]:
        assert statement["Effect"] == "Deny"
        if "Action" in statement:
            matches = any(_like(a, action, case=False) for a in _values(statement["Action"]))
        else:
            matches = not any(_like(a, action, case=False) for a in _values(statement["NotAction"]))
        if not matches or not any(_like(r, resource) for r in _values(statement["Resource"])):
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            return True
    return False


@pytest.fixture
def scp() -> dict[str, Any]:
    found, problems = parse(EVERYTHING)
    assert problems == []
    return document(found, CTX)


# -- parsing -------------------------------------------------------------------------------------


def test_parse_reads_names_and_regions() -> None:
    found, problems = parse(EVERYTHING)
    assert problems == []
    assert [str(g) for g in found] == ["deny-leave-organization", "deny-root-user", "protect-awsroles",
                                       "protect-security-services", "allowed-regions eu-west-1 eu-central-1"]


@pytest.mark.parametrize(("text", "problem"), [
    ("deny-root", "unknown guardrail 'deny-root': did you mean deny-root-user?"),
    ("nonsense", "unknown guardrail 'nonsense': known: deny-leave-organization, deny-root-user, protect-awsroles, "
                 "protect-security-services, allowed-regions"),
    ("deny-root-user, deny-root-user", "guardrail deny-root-user is listed twice"),
    ("allowed-regions", "allowed-regions needs at least one region: allowed-regions eu-west-1 eu-central-1"),
    ("deny-root-user now", "deny-root-user takes no arguments (got 'now')"),
    ("allowed-regions eu-west-1 Europe", "allowed-regions: not a region name: Europe (expected names such as "
                                         "eu-west-1)"),
])
def test_parse_says_what_is_wrong(text: str, problem: str) -> None:
    assert parse(text)[1] == [problem]


# -- the document ----------------------------------------------------------------------------------


def test_the_document_is_canonical_and_within_organizations_limit(scp: dict[str, Any]) -> None:
    assert canonical_json(scp) == canonical_json(document(parse(EVERYTHING)[0], CTX))
    assert [s["Sid"] for s in scp["Statement"]] == sorted(s["Sid"] for s in scp["Statement"])
    assert compact_size(scp) <= SCP_MAX_CHARS and check(parse(EVERYTHING)[0], CTX) == []
    assert json.loads(json.dumps(scp)) == scp


def test_too_many_regions_exceed_the_scp_size_limit() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    regions = " ".join(f"xx-{letters[i // 26]}{letters[i % 26]}north-1" for i in range(300))
    found, problems = parse(f"allowed-regions {regions}")
    assert problems == []
    [problem] = check(found, CTX)
    assert problem.startswith("the guardrails make an SCP of ") and "Organizations allows 5120" in problem


def test_every_deny_but_the_root_users_lets_the_bootstrap_role_through(scp: dict[str, Any]) -> None:
    for statement in scp["Statement"]:
        exempt = statement.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn")
        if statement["Sid"] == "DenyRootUser":
            assert exempt is None
        else:
            assert exempt == "arn:aws:iam::*:role/OrganizationAccountAccessRole", statement["Sid"]


def test_the_partition_and_path_are_the_orgs() -> None:
    other = Context(path="/platform/iam/", bootstrap_role="AwsrolesBootstrap", partition="aws-us-gov")
    text = canonical_json(document(parse("protect-awsroles")[0], other))
    assert "arn:aws-us-gov:iam::*:role/platform/iam/*" in text and "arn:aws-us-gov:iam::*:policy/platform/iam/*" in text
    assert "arn:aws-us-gov:iam::*:role/AwsrolesBootstrap" in text and "arn:aws:" not in text


def test_roles_adopted_in_place_are_protected_by_exact_path_and_name() -> None:
    from awsroles.iam.checks import parse_org
    from tests.conftest import EXAMPLES

    text = (EXAMPLES / "classic.ini").read_text()
    console = "[role Console]\npath = /\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n\n[role admin]"
    org, problems = parse_org(text.replace("[role admin]", console, 1), "awsroles.ini", EXAMPLES)
    assert org is not None and org.adopted_in_place()["role"] == {"Console": "/"}, [str(p) for p in problems]
    adopted = document(parse("protect-awsroles")[0], guardrails.context(org))
    statement = next(s for s in adopted["Statement"] if s["Sid"] == "ProtectAdoptedRoles")
    assert statement["Resource"] == ["arn:aws:iam::*:role/Console"]
    assert denied(adopted, ADMIN, "iam:UpdateAssumeRolePolicy", "arn:aws:iam::222222222222:role/Console")
    assert not denied(adopted, BOOTSTRAP, "iam:UpdateAssumeRolePolicy", "arn:aws:iam::222222222222:role/Console")
    # the rest at / stays the colleague's: only the role the file adopts, at the path it adopts it at
    assert not denied(adopted, ADMIN, "iam:UpdateAssumeRolePolicy", "arn:aws:iam::222222222222:role/Builder")
    assert not denied(adopted, ADMIN, "iam:DeleteRole", "arn:aws:iam::222222222222:role/apps/Console")
    plain = document(parse("protect-awsroles")[0], guardrails.context(parse_org(text, "awsroles.ini", EXAMPLES)[0]))
    assert "ProtectAdoptedRoles" not in {s["Sid"] for s in plain["Statement"]}


# -- what it denies, and to whom -------------------------------------------------------------------


def test_protect_awsroles_stops_a_colleague_not_awsroles(scp: dict[str, Any]) -> None:
    role = "arn:aws:iam::222222222222:role/awsroles/developer"
    for action in ("iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:AttachRolePolicy", "iam:UntagRole",
                   "iam:PutRolePolicy", "iam:CreateRole"):
        assert denied(scp, ADMIN, action, role), action
        assert not denied(scp, BOOTSTRAP, action, role), action
    policy = "arn:aws:iam::222222222222:policy/awsroles/team-backend"
    assert denied(scp, ADMIN, "iam:CreatePolicyVersion", policy)
    assert not denied(scp, BOOTSTRAP, "iam:CreatePolicyVersion", policy)
    # The bootstrap role itself: its trust policy is the key to every account.
    assert denied(scp, ADMIN, "iam:UpdateAssumeRolePolicy", BOOTSTRAP)
    # What awsroles does not manage stays the colleague's to change.
    assert not denied(scp, ADMIN, "iam:CreateRole", "arn:aws:iam::222222222222:role/service/lambda-runner")
    assert not denied(scp, ADMIN, "iam:GetRole", "arn:aws:iam::222222222222:role/awsroles/developer")


def test_regions_outside_the_list_are_denied_but_global_services(scp: dict[str, Any]) -> None:
    assert denied(scp, ADMIN, "ec2:RunInstances", region="us-west-2")
    assert not denied(scp, ADMIN, "ec2:RunInstances", region="eu-west-1")
    assert not denied(scp, ADMIN, "ec2:RunInstances", region="eu-central-1")
    for action in ("iam:CreateUser", "sts:AssumeRole", "organizations:DescribeOrganization",
                   "route53:ChangeResourceRecordSets", "cloudfront:CreateInvalidation", "support:DescribeCases",
                   "budgets:ViewBudget", "s3:ListAllMyBuckets", "ec2:DescribeRegions"):
        assert not denied(scp, ADMIN, action, region="us-east-1"), action
    assert denied(scp, ADMIN, "s3:CreateBucket", region="us-east-1")
    assert not denied(scp, BOOTSTRAP, "ec2:RunInstances", region="us-west-2")


def test_the_root_user_and_leaving_the_organization(scp: dict[str, Any]) -> None:
    assert denied(scp, ROOT, "s3:ListAllMyBuckets")
    assert denied(scp, ROOT, "iam:CreateAccessKey")
    assert denied(scp, ADMIN, "organizations:LeaveOrganization")
    assert not denied(scp, ADMIN, "organizations:DescribeOrganization")


def test_security_services_cannot_be_switched_off(scp: dict[str, Any]) -> None:
    for action in ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector",
                   "config:StopConfigurationRecorder", "config:DeleteConfigRule"):
        assert denied(scp, ADMIN, action, region="eu-west-1"), action
        assert not denied(scp, BOOTSTRAP, action, region="eu-west-1"), action
    assert not denied(scp, ADMIN, "cloudtrail:LookupEvents", region="eu-west-1")


def test_each_guardrail_is_described() -> None:
    for name, (summary, _, _) in GUARDRAILS.items():
        assert summary and name in (guardrails.__doc__ or ""), name
        assert Guardrail(name) == Guardrail(name)
