"""The IAM condition evaluator for an IAM user's requests: pure, no moto.

moto evaluates no condition but ``StringEquals`` (on values it mostly lacks) and no policy
variable, so a policy that needs MFA either always or never applies. For IAM users' requests
(long-term keys and sessions, see :mod:`awsroles.sandbox.server.sessions`) the sandbox evaluates
the conditions on ``aws:MultiFactorAuthPresent``, ``aws:MultiFactorAuthAge``, ``aws:username``,
``aws:userid``, ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType`` and
``sts:SourceIdentity`` itself (String*, Numeric*, Bool, Null, ...IfExists), replaces
``${aws:username}``-style variables in ``Resource``, and leaves everything else to moto
(:func:`resolve_policy`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# The condition keys the sandbox evaluates itself for an IAM user's requests (moto evaluates
# only StringEquals, and knows no value for any of these); any other key is left to moto.
CONTEXT_KEYS = frozenset({
    "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:username", "aws:userid",
    "aws:principalarn", "aws:principalaccount", "aws:principaltype", "sts:sourceidentity",
})
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substitute(text: str, context: Mapping[str, str]) -> str:
    """Policy variables: ``${aws:username}`` and the other keys the context has."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        return context.get(name.lower(), match.group(0))

    return _VARIABLE.sub(value, text)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(operator: str, actual: str, expected: str) -> bool | None:
    """One condition operator on one value (the Not... ones: whether it *matches*; the caller
    negates); None for an operator the sandbox leaves to moto."""
    if operator in ("StringEquals", "StringNotEquals"):
        return actual == expected
    if operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "StringNotLike"):
        pattern = re.escape(expected).replace(r"\*", ".*").replace(r"\?", ".")
        return re.fullmatch(pattern, actual, re.DOTALL) is not None
    if operator == "Bool":
        return actual.lower() == expected.lower()
    if operator.startswith("Numeric"):
        a, e = _number(actual), _number(expected)
        if a is None or e is None:
            return False
        return {"NumericEquals": a == e, "NumericNotEquals": a == e, "NumericLessThan": a < e,
                "NumericLessThanEquals": a <= e, "NumericGreaterThan": a > e,
                "NumericGreaterThanEquals": a >= e}.get(operator)
    return None


_NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals"})
_OPERATORS = frozenset({
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "Bool", "Null", "NumericEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", *_NEGATED,
})


def _conditions(conditions: Mapping[str, Any], context: Mapping[str, str]) -> tuple[bool, dict[str, Any]]:
    """Evaluate what the sandbox knows: (does the statement apply, the conditions left for moto)."""
    left: dict[str, Any] = {}
    for operator, pairs in conditions.items():
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        if not isinstance(pairs, dict) or base not in _OPERATORS:
            left[operator] = pairs  # ForAnyValue:..., ArnLike, DateLessThan, IpAddress...: moto's business
            continue
        for key, expected in pairs.items():
            if key.lower() not in CONTEXT_KEYS:
                left.setdefault(operator, {})[key] = expected
                continue
            actual = context.get(key.lower())
            values = [_substitute(str(v), context) for v in (expected if isinstance(expected, list) else [expected])]
            if base == "Null":
                holds = any((v.lower() == "true") == (actual is None) for v in values)
            elif actual is None:
                holds = if_exists
            elif base in _NEGATED:
                holds = not any(_compare(base, actual, v) for v in values)
            else:
                holds = any(_compare(base, actual, v) for v in values)
            if not holds:
                return False, {}
    return True, left


def resolve_policy(document: Mapping[str, Any], context: Mapping[str, str]) -> dict[str, Any]:
    """``document`` as it applies to one request: statements whose conditions on the context's
    keys fail are gone, conditions that hold are gone, policy variables in ``Resource`` are
    replaced; the rest (other keys, other operators) is left for moto."""
    statements = document.get("Statement", [])
    resolved = []
    for statement in statements if isinstance(statements, list) else [statements]:
        statement = dict(statement)
        if isinstance(statement.get("Condition"), dict):
            applies, left = _conditions(statement["Condition"], context)
            if not applies:
                continue
            statement.pop("Condition")
            if left:
                statement["Condition"] = left
        for element in ("Resource", "NotResource"):
            value = statement.get(element)
            if isinstance(value, str):
                statement[element] = _substitute(value, context)
            elif isinstance(value, list):
                statement[element] = [_substitute(str(v), context) for v in value]
        resolved.append(statement)
    return {**document, "Statement": resolved}
