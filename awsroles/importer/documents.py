"""Reading live policy documents back: their statements, what allows ``sts:AssumeRole``, and the
org's MFA settings inferred from the MFA conditions of the trust and team policies."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from awsroles.iam import compare
from awsroles.importer.settings import DEFAULT_MFA_MAX_AGE, OrgSettings
from awsroles.org import limits
from awsroles.org.durations import format_duration
from awsroles.org.marks import SELF_SERVICE_POLICY
from awsroles.sync.state import Document, LiveAccount


def canonical_key(document: Document) -> str:
    """Documents with equal keys mean the same to IAM (see compare.normalized)."""
    return json.dumps(compare.normalized(document), sort_keys=True, ensure_ascii=False)


def _condition_value(condition: Any, operator: str, key: str) -> str | None:
    if not isinstance(condition, dict):
        return None
    pairs = next((v for k, v in condition.items() if k == operator), None)
    if not isinstance(pairs, dict):
        return None
    value = next((v for k, v in pairs.items() if str(k).lower() == key.lower()), None)
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return None if value is None else str(value)


def statements_of(document: Document) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements if isinstance(s, dict)] if isinstance(statements, list) else []


def allows_assume_role(statement: Mapping[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    return statement.get("Effect") == "Allow" and "sts:assumerole" in {str(a).lower() for a in actions}


def mfa_of(document: Document) -> tuple[bool, int | None] | None:
    """(MFA required, max age) from the statements of a trust or team policy that allow
    sts:AssumeRole (the strictest, if they differ); None if there are none."""
    found: set[tuple[bool, int | None]] = set()
    for statement in statements_of(document):
        if not allows_assume_role(statement):
            continue
        condition = statement.get("Condition")
        present = _condition_value(condition, "Bool", "aws:MultiFactorAuthPresent")
        age = _condition_value(condition, "NumericLessThan", "aws:MultiFactorAuthAge")
        required = (present or "").lower() == "true"
        found.add((required, int(age) if required and age and age.isdigit() else None))
    return min(found, key=_strictness) if found else None


def _strictness(observed: tuple[bool, int | None]) -> tuple[int, int]:
    required, age = observed
    return (0 if required else 1, age if age is not None else limits.SESSION_TOKEN_MAX + 1)


def _spell_mfa(required: bool, age: int | None) -> str:
    if not required:
        return "mfa optional"
    return f"mfa required, max age {format_duration(age)}" if age else "mfa required, no max age"


def infer_mfa(observations: Mapping[tuple[bool, int | None], list[str]], ops: LiveAccount | None,
               settings: OrgSettings, warnings: list[str]) -> tuple[bool, int]:
    """The org's mfa and mfa_max_age: from the live trust and team policies (the strictest, when
    they disagree); else the self-service policy; else the --from file; else required, 12h."""
    fallback_age = settings.mfa[1] if settings.mfa else DEFAULT_MFA_MAX_AGE
    if not observations:
        if settings.mfa is not None:
            return settings.mfa
        self_service = ops.policies.get(SELF_SERVICE_POLICY) if ops else None
        if self_service is not None:
            denies = any(s.get("Sid") == "DenyAllExceptListedIfNoMFA" for s in statements_of(self_service.document))
            return denies, DEFAULT_MFA_MAX_AGE
        return True, DEFAULT_MFA_MAX_AGE
    ordered = sorted(observations.items(), key=lambda item: _strictness(item[0]))
    (required, age), _ = ordered[0]
    if len(ordered) > 1:
        seen = "; ".join(f"{_spell_mfa(*o)}: {', '.join(sorted(where))}" for o, where in ordered)
        warnings.append(f"the trust and team policies disagree on MFA ({seen}); imported the strictest "
                        f"({_spell_mfa(required, age)}): apply will make the others match")
    if not required:
        age = fallback_age  # not used by any policy; keep what the --from file says
    elif age is None:
        warnings.append(f"MFA is required without a maximum MFA age; imported mfa_max_age "
                        f"{format_duration(DEFAULT_MFA_MAX_AGE)} (apply will add it to the policies)")
        age = DEFAULT_MFA_MAX_AGE
    elif not limits.SESSION_TOKEN_MIN <= age <= limits.SESSION_TOKEN_MAX:
        clamped = min(max(age, limits.SESSION_TOKEN_MIN), limits.SESSION_TOKEN_MAX)
        warnings.append(f"the live maximum MFA age {format_duration(age)} is outside what the org file allows; "
                        f"imported {format_duration(clamped)} (apply will update the policies)")
        age = clamped
    if settings.mfa is not None and (settings.mfa[0] != required or (required and settings.mfa[1] != age)):
        warnings.append(f"the live policies say {_spell_mfa(required, age)}, the [org] section of the --from file "
                        f"says {_spell_mfa(*settings.mfa)}: imported what IAM holds")
    return required, age


_ANY_ACCOUNT = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::\*:role/(?:[^*?]*/)?[^/*?]+")


def per_role(statement: Document) -> tuple[Document, list[str]]:
    """A statement's role ARNs, and the statement without what spelled them. awsroles' per-role form
    (:func:`awsroles.iam.policies.team_policy`: ``arn:PARTITION:iam::*:role/PATH/NAME`` where
    ``StringEquals aws:ResourceAccount`` lists the accounts) stands for the role's ARN in each of those
    accounts; any other statement for its ``Resource`` as written."""
    resources = statement.get("Resource", [])
    arns = [str(a) for a in ([resources] if isinstance(resources, str) else resources)]
    condition = statement.get("Condition")
    equals = condition.get("StringEquals") if isinstance(condition, dict) else None
    key = next((k for k in equals if str(k).lower() == "aws:resourceaccount"), None) \
        if isinstance(equals, dict) else None
    wildcard = [a for a in arns if _ANY_ACCOUNT.fullmatch(a)]
    if key is None or not wildcard or len(wildcard) != len(arns) or not isinstance(equals, dict) \
            or not isinstance(condition, dict):
        return statement, arns
    accounts = equals[key] if isinstance(equals[key], list) else [equals[key]]
    rest = {k: v for k, v in equals.items() if k != key}
    kept = {**condition, "StringEquals": rest} if rest else {k: v for k, v in condition.items() if k != "StringEquals"}
    expanded = [a.replace(":iam::*:", f":iam::{account}:", 1) for a in wildcard for account in accounts]
    return {**statement, "Condition": kept}, expanded
