"""Generated policy documents: content, canonical form, and quality (parliament + our trust lint)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parliament import analyze_policy_string, enhance_finding

from awsroles import policies
from awsroles.desired import desired_state
from awsroles.export import policy_files
from awsroles.orgfile import load_org, parse_org
from awsroles.policy_lint import lint_trust_policy
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ini"))
BLOCKING = {"MEDIUM", "HIGH", "CRITICAL"}


def _documents(path: Path) -> dict[str, dict]:
    org = load_org(path)
    files = policy_files(desired_state(org))
    return {name: json.loads(text) for name, text in files.items() if name != "index.json"}


def _org(mfa: str = "required", max_age: str = "12h"):
    text = f"""
[org]
name = t
ops_account = ops
mfa = {mfa}
mfa_max_age = {max_age}
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


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
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


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_trust_policies_pass_our_lint(path: Path) -> None:
    org = load_org(path)
    trusts = {n: d for n, d in _documents(path).items() if n.endswith(".trust.json")}
    assert trusts
    for name, document in trusts.items():
        assert lint_trust_policy(document, org.ops.id, require_mfa=org.mfa_required) == [], name


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
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "43200"},
        "StringEquals": {"sts:SourceIdentity": "${aws:username}"},
    }


def test_mfa_max_age_follows_the_org() -> None:
    doc = policies.trust_policy(_org(max_age="2h"))
    assert doc["Statement"][0]["Condition"]["NumericLessThan"] == {"aws:MultiFactorAuthAge": "7200"}


def test_optional_mfa_drops_mfa_but_keeps_source_identity() -> None:
    org = _org(mfa="optional")
    for doc in (policies.trust_policy(org), policies.team_policy(org, org.team("a"))):
        for statement in doc["Statement"]:
            assert statement["Condition"] == {"StringEquals": {"sts:SourceIdentity": "${aws:username}"}}
    self_service = policies.self_service_policy(org)
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
    org = _org()
    doc = policies.self_service_policy(org)
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
