"""Our own checks for role trust policies, which general policy linters cannot judge.

parliament reports every trust policy as MALFORMED (no Resource element), so trust policies are
checked here: the ops account as the only principal, only the sts actions awsroles needs, known
condition operators and keys, string condition values, and the guards: ``aws:PrincipalArn`` limited
to IAM users of the ops account (under the org's path, when given), MFA and SourceIdentity.
"""

from __future__ import annotations

import re
from typing import Any

TRUST_ACTIONS = frozenset({"sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"})
_BASE_OPERATORS = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
    "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
})
_CONDITION_KEYS = re.compile(
    r"aws:(MultiFactorAuthPresent|MultiFactorAuthAge|PrincipalArn|PrincipalAccount|PrincipalOrgID|"
    r"PrincipalOrgPaths|PrincipalType|SourceIdentity|SourceIp|SecureTransport|CurrentTime|EpochTime|"
    r"userid|username|PrincipalTag/.+|RequestTag/.+|TagKeys)"
    r"|sts:(SourceIdentity|ExternalId|RoleSessionName|TransitiveTagKeys)",
)
_VERSION = "2012-10-17"


def _operator_known(operator: str) -> bool:
    for prefix in ("ForAllValues:", "ForAnyValue:"):
        operator = operator.removeprefix(prefix)
    operator = operator.removesuffix("IfExists")
    return operator in _BASE_OPERATORS


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def lint_trust_policy(
    document: Any, ops_account_id: str, *, partition: str = "aws", require_mfa: bool = True, path: str | None = None
) -> list[str]:
    """Findings for a role trust policy; an empty list means it is sound. ``path``: the org's IAM
    path, which ``aws:PrincipalArn`` must then name exactly (``arn:...:user/PATH/*``)."""
    findings: list[str] = []
    if not isinstance(document, dict):
        return ["not a JSON object"]
    if document.get("Version") != _VERSION:
        findings.append(f"Version must be {_VERSION}")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return [*findings, "no Statement"]
    root = f"arn:{partition}:iam::{ops_account_id}:root"
    for index, statement in enumerate(statements):
        where = f"statement {statement.get('Sid', index) if isinstance(statement, dict) else index}"
        if not isinstance(statement, dict):
            findings.append(f"{where}: not an object")
            continue
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            findings.append(f"{where}: Effect must be Allow or Deny")
        for forbidden in ("NotPrincipal", "Resource", "NotResource", "NotAction"):
            if forbidden in statement:
                findings.append(f"{where}: {forbidden} has no place in a trust policy")
        principal = statement.get("Principal")
        if principal == "*" or not isinstance(principal, dict) or set(principal) != {"AWS"}:
            findings.append(f"{where}: Principal must be {{'AWS': '{root}'}}")
        else:
            for arn in _as_list(principal["AWS"]):
                if arn != root:
                    findings.append(f"{where}: principal {arn!r} is not the ops account ({root})")
        actions = _as_list(statement.get("Action", []))
        if not actions:
            findings.append(f"{where}: no Action")
        for action in actions:
            if action not in TRUST_ACTIONS:
                findings.append(f"{where}: action {action!r} is not one of {sorted(TRUST_ACTIONS)}")
        condition = statement.get("Condition", {})
        if not isinstance(condition, dict):
            findings.append(f"{where}: Condition must be an object")
            continue
        for operator, pairs in condition.items():
            if not _operator_known(operator):
                findings.append(f"{where}: unknown condition operator {operator!r}")
            if not isinstance(pairs, dict):
                findings.append(f"{where}: {operator} must map keys to values")
                continue
            for key, value in pairs.items():
                if not _CONDITION_KEYS.fullmatch(key):
                    findings.append(f"{where}: unknown condition key {key!r}")
                if not all(isinstance(v, str) for v in _as_list(value)):
                    findings.append(f"{where}: {operator} {key} values must be strings")
        if effect == "Allow":
            users = f"arn:{partition}:iam::{ops_account_id}:user/"
            people = f"arn:{partition}:iam::{ops_account_id}:user{path}*" if path else None
            findings.extend(f"{where}: {f}" for f in _guard_findings(condition, require_mfa, users, people))
    return findings


def _names_a_user_path(arn: Any, users: str) -> bool:
    """``arn`` is ``USERS/PATH/*``: every IAM user under one path of the ops account, no wider."""
    if not isinstance(arn, str) or not arn.startswith(users):
        return False
    rest = arn[len(users):]
    return len(rest) > 2 and rest.endswith("/*") and not any(c in rest[:-1] for c in "*?")


def _guard_findings(condition: dict[str, Any], require_mfa: bool, users: str, people: str | None) -> list[str]:
    """Missing guards on an Allow statement: the principal ARN (IAM users of the ops account, under
    the org's path) and SourceIdentity always, MFA when the org requires it."""
    missing = []
    arns = _as_list(condition.get("ArnLike", {}).get("aws:PrincipalArn", []))
    if not arns or not all(_names_a_user_path(a, users) for a in arns):
        missing.append(f"does not limit aws:PrincipalArn to IAM users of the ops account (ArnLike {users}PATH/*)")
    elif people is not None and arns != [people]:
        missing.append(f"aws:PrincipalArn is {arns}, not the org's people ({people})")
    if condition.get("StringEquals", {}).get("sts:SourceIdentity") != "${aws:username}":
        missing.append("does not require sts:SourceIdentity == ${aws:username}")
    if require_mfa:
        if condition.get("Bool", {}).get("aws:MultiFactorAuthPresent") != "true":
            missing.append("does not require aws:MultiFactorAuthPresent")
        if "aws:MultiFactorAuthAge" not in condition.get("NumericLessThan", {}):
            missing.append("does not bound aws:MultiFactorAuthAge")
    return missing
