"""Generated policy documents: content, canonical form, and quality (parliament + our trust lint)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string, enhance_finding

from awsroles.export.policies import policy_files
from awsroles.iam import policies
from awsroles.iam.desired import desired_state
from awsroles.iam.lint import lint_trust_policy
from awsroles.iam.self_service import self_service_policy
from awsroles.org.parse import load_org, parse_org
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ini"))
# IAM's documents (team policies, trust policies): the examples whose people are IAM users
IAM_EXAMPLES = [p for p in EXAMPLE_FILES if load_org(p).uses_iam_users]
BLOCKING = {"MEDIUM", "HIGH", "CRITICAL"}


def _documents(path: Path) -> dict[str, dict]:
    org = load_org(path)
    files = policy_files(desired_state(org))
    return {name: json.loads(text) for name, text in files.items() if name != "index.json"}


def _org(mfa: str = "required", max_age: str = "12h", enrollment: str = "", path: str = "/awsroles/"):
    text = f"""
[org]
name = t
ops_account = ops
mfa = {mfa}
mfa_max_age = {max_age}
path = {path}
{f"mfa_enrollment = {enrollment}" if enrollment else ""}
[account ops]
id = 111111111111
[account dev]
id = 222222222222
environment = dev
[account prod]
id = 444444444444
environment = prod
[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
[role dev]
managed = arn:aws:iam::aws:policy/PowerUserAccess
[team a]
members = alice
dev = admin, dev
prod = admin
[team b]
members = bob
dev = dev
[user alice]
[user bob]
"""
    org, problems = parse_org(text, "t.ini", Path("."))
    assert org is not None, problems
    return org


@pytest.mark.parametrize("path", IAM_EXAMPLES, ids=[p.stem for p in IAM_EXAMPLES])
def test_identity_policies_pass_parliament(path: Path) -> None:
    checked = 0
    for name, document in _documents(path).items():
        if name.endswith(".trust.json"):
            continue
        analysed = analyze_policy_string(json.dumps(document))
        findings = [enhance_finding(f) for f in analysed.findings]
        blocking = [(f.issue, f.severity, f.detail) for f in findings if f.severity in BLOCKING]
        assert blocking == [], f"{path.name}:{name}: {blocking}"
        checked += 1
    assert checked >= 3  # team policies, the self-service policy, inline role policies


@pytest.mark.parametrize("path", IAM_EXAMPLES, ids=[p.stem for p in IAM_EXAMPLES])
def test_trust_policies_pass_our_lint(path: Path) -> None:
    org = load_org(path)
    trusts = {n: d for n, d in _documents(path).items() if n.endswith(".trust.json")}
    assert trusts
    for name, document in trusts.items():
        assert lint_trust_policy(document, org.ops.id, require_mfa=org.mfa_required, path=org.path) == [], name


def test_the_iam_examples_are_the_iam_users_ones() -> None:
    assert [p.stem for p in IAM_EXAMPLES] == ["classic", "large"]


def test_no_wildcard_principal_anywhere() -> None:
    for path in EXAMPLE_FILES:
        for name, document in _documents(path).items():
            for statement in document["Statement"]:
                assert "NotPrincipal" not in statement, name
                principal = statement.get("Principal")
                if principal is not None:
                    assert principal != "*" and "*" not in json.dumps(principal), name


def test_trust_policy_guards() -> None:
    org = _org()
    doc = policies.trust_policy(org)
    (statement,) = doc["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    assert statement["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/awsroles/*"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "43200"},
        "StringEquals": {"sts:SourceIdentity": "${aws:username}"},
    }


def test_mfa_max_age_follows_the_org() -> None:
    doc = policies.trust_policy(_org(max_age="2h"))
    assert doc["Statement"][0]["Condition"]["NumericLessThan"] == {"aws:MultiFactorAuthAge": "7200"}


def test_optional_mfa_drops_mfa_but_keeps_source_identity() -> None:
    org = _org(mfa="optional")
    source_identity = {"StringEquals": {"sts:SourceIdentity": "${aws:username}"}}
    for statement in policies.team_policy(org, org.team("a"))["Statement"]:
        assert statement["Condition"] == source_identity
    (trust,) = policies.trust_policy(org)["Statement"]
    assert trust["Condition"] == {**source_identity,
                                  "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/awsroles/*"}}
    self_service = self_service_policy(org)
    assert all(s["Effect"] == "Allow" for s in self_service["Statement"])


def test_team_policy_lists_exactly_the_granted_role_arns() -> None:
    org = _org()
    doc = policies.team_policy(org, org.team("a"))
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert set(by_sid) == {"AssumeDevRoles", "AssumeProdRoles"}
    assert by_sid["AssumeDevRoles"]["Resource"] == [
        "arn:aws:iam::222222222222:role/awsroles/admin",
        "arn:aws:iam::222222222222:role/awsroles/dev",
    ]
    assert by_sid["AssumeProdRoles"]["Resource"] == ["arn:aws:iam::444444444444:role/awsroles/admin"]
    for statement in doc["Statement"]:
        assert statement["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
        assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
        assert statement["Condition"]["NumericLessThan"] == {"aws:MultiFactorAuthAge": "43200"}
        assert statement["Condition"]["StringEquals"] == {"sts:SourceIdentity": "${aws:username}"}
    b = policies.team_policy(org, org.team("b"))
    assert [s["Resource"] for s in b["Statement"]] == [["arn:aws:iam::222222222222:role/awsroles/dev"]]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_every_team_policy_carries_the_guards(path: Path) -> None:
    org = load_org(path)
    for team in org.teams:
        for statement in policies.team_policy(org, team)["Statement"]:
            condition = statement["Condition"]
            assert condition["StringEquals"] == {"sts:SourceIdentity": "${aws:username}"}
            if org.mfa_required:
                assert condition["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
                assert condition["NumericLessThan"] == {"aws:MultiFactorAuthAge": str(org.mfa_max_age)}


def test_self_service_policy_is_scoped_to_the_user_and_denies_without_mfa() -> None:
    org = _org(enrollment="self")
    doc = self_service_policy(org)
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    me = "arn:aws:iam::111111111111:user/awsroles/${aws:username}"
    assert by_sid["ManageOwnAccessKeys"]["Resource"] == me
    assert by_sid["ManageOwnPassword"]["Resource"] == me
    assert by_sid["ManageOwnVirtualMFADevice"]["Resource"] == "arn:aws:iam::111111111111:mfa/${aws:username}"
    deny = by_sid["DenyAllExceptListedIfNoMFA"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert "sts:GetSessionToken" in deny["NotAction"]
    assert "iam:CreateAccessKey" not in deny["NotAction"]


# -- evaluating the documents -------------------------------------------------------------------------
#
# A small evaluator for the constructs awsroles' documents use, following the IAM User Guide
# ("Policy evaluation logic": an explicit Deny wins, else an Allow, else the implicit deny;
# "Condition operators": ArnLike compares each of the six ARN parts, case-sensitively, with * and ?
# wildcards; BoolIfExists holds when the key is absent). The request context is a dict of keys.


def _like(pattern: str, value: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.DOTALL) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike: the six colon-separated parts match one by one (the last may contain colons)."""
    wanted, actual = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(actual) == 6 and all(_like(w, a) for w, a in zip(wanted, actual, strict=True))


def _values(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _holds(condition: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            actual = context.get(key)
            values = [v.replace("${aws:username}", context.get("aws:username", "")) for v in _values(expected)]
            if operator == "ArnLike":
                ok = actual is not None and any(arn_like(v, actual) for v in values)
            elif operator in ("Bool", "BoolIfExists"):
                ok = (actual is None and operator == "BoolIfExists") or (actual is not None and actual in values)
            elif operator == "StringEquals":
                ok = actual is not None and actual in values
            elif operator == "NumericLessThan":
                ok = actual is not None and any(float(actual) < float(v) for v in values)
            else:
                raise AssertionError(f"the test evaluator does not know {operator}")
            if not ok:
                return False
    return True


def decide(document: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> str:
    """'Deny' (explicit), 'Allow' or 'implicit' for one request against one identity policy."""
    user = context.get("aws:username", "")
    matched = set()
    for statement in document["Statement"]:
        if "Action" in statement:
            applies = any(_like(a, action) for a in _values(statement["Action"]))
        else:
            applies = not any(_like(a, action) for a in _values(statement["NotAction"]))
        resources = [r.replace("${aws:username}", user) for r in _values(statement.get("Resource", "*"))]
        if applies and any(_like(r, resource) for r in resources) and _holds(statement.get("Condition", {}), context):
            matched.add(statement["Effect"])
    return "Deny" if "Deny" in matched else "Allow" if "Allow" in matched else "implicit"


def assumes(org: Any, principal_arn: str, *, user: str = "alice", mfa: bool = True, source_identity: str = "alice",
            account: str = "111111111111") -> bool:
    """Whether the trust policy lets this caller assume the role (the Principal is the ops account)."""
    context = {"aws:PrincipalArn": principal_arn, "aws:username": user, "sts:SourceIdentity": source_identity}
    if mfa:
        context.update({"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"})
    (statement,) = policies.trust_policy(org)["Statement"]
    return account == org.ops.id and _holds(statement["Condition"], context)


def test_arn_like_follows_the_aws_rules() -> None:
    assert arn_like("arn:aws:iam::111111111111:user/awsroles/*", "arn:aws:iam::111111111111:user/awsroles/alice")
    assert not arn_like("arn:aws:iam::111111111111:user/awsroles/*", "arn:aws:iam::111111111111:user/alice")
    assert not arn_like("arn:aws:iam::111111111111:user/awsroles/*", "arn:aws:iam::111111111111:user/AWSROLES/a")
    assert not arn_like("arn:aws:iam::111111111111:user/awsroles/*", "arn:aws:iam::222222222222:user/awsroles/a")


def test_trust_policy_trusts_only_awsroles_people_not_the_whole_ops_account() -> None:
    """Issue 10: the trust policy trusted every principal of the ops account, so an IAM user outside
    awsroles' path with a broad sts:AssumeRole allowance and MFA could assume every role."""
    org = _org()
    ops = "arn:aws:iam::111111111111"
    assert assumes(org, f"{ops}:user/awsroles/alice")  # alice's MFA session: the principal is still her user
    assert not assumes(org, f"{ops}:user/ci-bot", user="ci-bot", source_identity="ci-bot")  # not awsroles'
    assert not assumes(org, f"{ops}:user/other/alice")  # a namesake at another path
    assert not assumes(org, f"{ops}:role/awsroles/alice")  # a role session has the role's ARN
    assert not assumes(org, f"{ops}:root", user="root", source_identity="root")
    assert not assumes(org, f"{ops}:user/awsroles/alice", mfa=False)
    assert not assumes(org, f"{ops}:user/awsroles/alice", source_identity="bob")
    moved = _org(path="/people/ops/")
    (statement,) = policies.trust_policy(moved)["Statement"]
    assert statement["Condition"]["ArnLike"] == {"aws:PrincipalArn": f"{ops}:user/people/ops/*"}
    assert assumes(moved, f"{ops}:user/people/ops/alice")
    assert not assumes(moved, f"{ops}:user/awsroles/alice")
    assert lint_trust_policy(policies.trust_policy(moved), "111111111111", path="/people/ops/") == []
    assert lint_trust_policy(policies.trust_policy(moved), "111111111111", path="/awsroles/") != []


# What must work with an access key alone, before any MFA: `awsroles setup` finds the user's MFA
# device (ListMFADevices; GetCallerIdentity needs no permission), the console's first sign-in changes
# the password (ChangePassword, GetAccountPasswordPolicy), and GetSessionToken gives the MFA session.
WITHOUT_MFA_MUST_WORK = [
    ("iam:ListMFADevices", "user/awsroles/alice"),
    ("iam:GetUser", "user/awsroles/alice"),
    ("iam:ChangePassword", "user/awsroles/alice"),
    ("iam:GetAccountPasswordPolicy", "*"),
]
ENROLMENT = [
    ("iam:CreateVirtualMFADevice", "mfa/alice-phone"),
    ("iam:CreateVirtualMFADevice", "mfa/alice"),
    ("iam:EnableMFADevice", "user/awsroles/alice"),
    ("iam:DeactivateMFADevice", "user/awsroles/alice"),
    ("iam:DeleteVirtualMFADevice", "mfa/alice"),
    ("iam:ResyncMFADevice", "user/awsroles/alice"),
]
NO_MFA = {"aws:username": "alice"}  # a long-term key: no aws:MultiFactorAuthPresent at all
WITH_MFA = {"aws:username": "alice", "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}


def _arn(resource: str) -> str:
    return resource if resource == "*" else f"arn:aws:iam::111111111111:{resource}"


def test_by_default_a_leaked_key_alone_cannot_enrol_an_mfa_device() -> None:
    """Issue 10: the no-MFA part of the self-service policy allowed CreateVirtualMFADevice and
    EnableMFADevice, so a leaked key could enrol a device named other than the user's own one.
    With mfa_enrollment = admin (the default) it cannot, with or without MFA; the no-MFA statement
    leaves only the password, reading one's own user and MFA devices, and GetSessionToken."""
    org = _org()
    assert org.mfa_enrollment == "admin" and not org.self_mfa_enrollment
    doc = self_service_policy(org)
    (deny,) = [s for s in doc["Statement"] if s["Effect"] == "Deny"]
    assert deny["NotAction"] == ["iam:ChangePassword", "iam:GetAccountPasswordPolicy", "iam:GetUser",
                                 "iam:ListMFADevices", "sts:GetSessionToken"]
    for action, resource in ENROLMENT:
        assert decide(doc, action, _arn(resource), NO_MFA) == "Deny", action
        assert decide(doc, action, _arn(resource), WITH_MFA) == "implicit", action  # admins only
    for action, resource in WITHOUT_MFA_MUST_WORK:
        assert decide(doc, action, _arn(resource), NO_MFA) == "Allow", action
    assert decide(doc, "sts:GetSessionToken", "*", NO_MFA) == "implicit"  # not denied (and needs no Allow)
    assert decide(doc, "iam:CreateAccessKey", _arn("user/awsroles/alice"), NO_MFA) == "Deny"
    assert decide(doc, "iam:CreateAccessKey", _arn("user/awsroles/alice"), WITH_MFA) == "Allow"
    assert decide(doc, "iam:ListMFADevices", _arn("user/awsroles/bob"), WITH_MFA) == "implicit"


def test_self_enrollment_is_the_explicit_trade_off() -> None:
    """mfa_enrollment = self: people enrol their own device with their key alone (no admin needed),
    and so can anyone holding that key; the device must carry the user's name."""
    org = _org(enrollment="self")
    doc = self_service_policy(org)
    assert decide(doc, "iam:CreateVirtualMFADevice", _arn("mfa/alice"), NO_MFA) == "Allow"
    assert decide(doc, "iam:EnableMFADevice", _arn("user/awsroles/alice"), NO_MFA) == "Allow"
    assert decide(doc, "iam:CreateVirtualMFADevice", _arn("mfa/alice-phone"), NO_MFA) == "implicit"
    assert decide(doc, "iam:DeactivateMFADevice", _arn("user/awsroles/alice"), NO_MFA) == "Deny"
    assert decide(doc, "iam:DeactivateMFADevice", _arn("user/awsroles/alice"), WITH_MFA) == "Allow"
    for action, resource in WITHOUT_MFA_MUST_WORK:
        assert decide(doc, action, _arn(resource), NO_MFA) == "Allow", action


@pytest.mark.parametrize("enrollment", ["admin", "self"])
@pytest.mark.parametrize("mfa", ["required", "optional"])
def test_self_service_policy_passes_parliament_in_every_setting(enrollment: str, mfa: str) -> None:
    org = _org(mfa=mfa, enrollment=enrollment)
    analysed = analyze_policy_string(policies.canonical_json(self_service_policy(org)))
    findings = [enhance_finding(f) for f in analysed.findings]
    assert [(f.issue, f.severity) for f in findings if f.severity in BLOCKING] == []


def test_canonical_json_is_stable_and_order_independent() -> None:
    a = {"Statement": [{"Effect": "Allow", "Resource": ["b", "a", "a"], "Action": "s3:GetObject", "Sid": "Z"},
                       {"Sid": "A", "Action": ["x:B", "x:A"], "Effect": "Deny", "Resource": "*"}],
         "Version": "2012-10-17"}
    b = {"Version": "2012-10-17", "Statement": list(reversed(a["Statement"]))}
    text = policies.canonical_json(a)
    assert text == policies.canonical_json(b)
    assert text == policies.canonical_json(json.loads(text))
    doc = json.loads(text)
    assert list(doc) == ["Version", "Statement"]
    assert [s["Sid"] for s in doc["Statement"]] == ["A", "Z"]
    assert list(doc["Statement"][0]) == ["Sid", "Effect", "Action", "Resource"]
    assert doc["Statement"][1]["Resource"] == ["a", "b"]
    assert text.endswith("}\n")


def test_sid_is_alphanumeric() -> None:
    assert policies.sid("assume", "prod-eu", "roles") == "AssumeProdEuRoles"
    assert policies.sid("assume", "dev_2", "roles") == "AssumeDev2Roles"


def test_trust_lint_catches_what_it_should() -> None:
    org = _org()
    good = policies.trust_policy(org)
    assert lint_trust_policy(good, "111111111111") == []
    assert lint_trust_policy(good, "111111111111", path="/awsroles/") == []
    for wide in ("arn:aws:iam::111111111111:*", "arn:aws:iam::111111111111:user/*",
                 "arn:aws:iam::111111111111:user/*/x/*", "arn:aws:iam::999999999999:user/awsroles/*"):
        whole_account = json.loads(json.dumps(good))
        whole_account["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"] = wide
        assert any("does not limit aws:PrincipalArn" in f for f in lint_trust_policy(whole_account, "111111111111"))
    del whole_account["Statement"][0]["Condition"]["ArnLike"]
    assert any("does not limit aws:PrincipalArn" in f for f in lint_trust_policy(whole_account, "111111111111"))
    bad = json.loads(json.dumps(good))
    statement = bad["Statement"][0]
    statement["Principal"] = {"AWS": "*"}
    statement["Action"].append("sts:AssumeRoleWithWebIdentity")
    statement["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"] = 43200
    statement["Condition"]["StringEqualz"] = {"aws:Foo": "x"}
    del statement["Condition"]["Bool"]
    findings = "\n".join(lint_trust_policy(bad, "111111111111"))
    for expected in ("'*' is not the ops account", "sts:AssumeRoleWithWebIdentity", "values must be strings",
                     "unknown condition operator 'StringEqualz'", "unknown condition key 'aws:Foo'",
                     "does not require aws:MultiFactorAuthPresent"):
        assert expected in findings
    other_account = json.loads(json.dumps(good))
    other_account["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::999999999999:root"}
    assert any("not the ops account" in f for f in lint_trust_policy(other_account, "111111111111"))
