"""The IAM condition evaluator for IAM users' and role sessions' requests: pure, no moto.

moto evaluates no condition but ``StringEquals`` (on values it mostly lacks) and no policy
variable, so a policy that needs MFA either always or never applies. For IAM users' requests
(long-term keys and sessions, see :mod:`awsroles.sandbox.server.sessions`) the sandbox evaluates
the conditions on ``aws:MultiFactorAuthPresent``, ``aws:MultiFactorAuthAge``, ``aws:username``,
``aws:userid``, ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType``,
``aws:SourceIdentity``, ``sts:SourceIdentity``, ``aws:CurrentTime``, ``aws:EpochTime`` and
``aws:TokenIssueTime`` itself (String*, Numeric*, Date*, Bool, Null, ...IfExists), replaces
``${aws:username}``-style variables in ``Resource``, and leaves everything else to moto
(:func:`resolve_policy`). Role sessions' requests are resolved the same way over the keys
:data:`ROLE_SESSION_KEYS` (see :mod:`awsroles.sandbox.server.role_sessions`).

Time, by the sandbox's clock (:mod:`awsroles.sandbox.server.clock`), as AWS documents it:

- ``aws:CurrentTime`` is the time of the request, in every request; ``aws:EpochTime`` the same
  in epoch seconds (https://docs.aws.amazon.com/IAM/latest/UserGuide/
  reference_policies_condition-keys.html#condition-keys-currenttime and #condition-keys-epochtime).
- ``aws:TokenIssueTime`` is when the temporary credentials signing the request were issued
  (``GetSessionToken``, ``AssumeRole``, the access portal's role credentials); it is absent from
  requests signed with long-term access keys, so ``Date...`` on it does not match there,
  ``Date...IfExists`` does, and ``Null: true`` holds (#condition-keys-tokenissuetime; the
  "Condition operators" page: a key absent from the request context makes the condition false,
  except for ``...IfExists``, ``Null`` and the negated operators).
- The ``Date`` operators (``DateEquals``, ``DateNotEquals``, ``DateLessThan``,
  ``DateLessThanEquals``, ``DateGreaterThan``, ``DateGreaterThanEquals``, and each with
  ``IfExists``) compare instants; a policy's value is an ISO 8601 date or date-time (``Z``, an
  offset, or none: UTC) or epoch seconds (https://docs.aws.amazon.com/IAM/latest/UserGuide/
  reference_policies_elements_condition_operators.html#Conditions_Date). A value that is neither
  matches nothing. Policy variables are not replaced in Date values (AWS: "You cannot use a
  policy variable with the Date condition operator"). A Deny whose time conditions hold wins over
  any Allow, as every Deny does; an Allow whose window has passed is gone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container, Mapping
from datetime import datetime, timezone
from typing import Any

# The condition keys the sandbox evaluates itself for an IAM user's requests (moto evaluates
# only StringEquals, and knows no value for any of these); any other key is left to moto.
TIME_KEYS = frozenset({"aws:currenttime", "aws:epochtime", "aws:tokenissuetime"})
CONTEXT_KEYS = frozenset({
    "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:username", "aws:userid",
    "aws:principalarn", "aws:principalaccount", "aws:principaltype", "sts:sourceidentity",
    "aws:sourceidentity", *TIME_KEYS,
})
# For a role session's requests: the same but MFA (the sandbox does not track whether a role
# session was made with MFA, so conditions on it stay moto's business, as before).
ROLE_SESSION_KEYS = (CONTEXT_KEYS - {"aws:multifactorauthpresent", "aws:multifactorauthage"}) | {
    "identitystore:userid"}  # the access portal's role sessions: see role_sessions
# Keys the sandbox sets only on the requests it knows them for (``aws:ResourceAccount``: the role's
# account, on an AssumeRole): evaluated there; on any other request still moto's business.
REQUEST_KEYS = frozenset({"aws:resourceaccount"})
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substitute(text: str, context: Mapping[str, str]) -> str:
    """Policy variables: ``${aws:username}`` and the other keys the context has."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        return context.get(name.lower(), match.group(0))

    return _VARIABLE.sub(value, text)


def time_context(now: datetime, issued: datetime | None) -> dict[str, str]:
    """``aws:CurrentTime``, ``aws:EpochTime`` and (for temporary credentials issued at
    ``issued``) ``aws:TokenIssueTime``; naive datetimes are UTC, as moto keeps times."""
    context = {"aws:currenttime": _iso(now), "aws:epochtime": str(int(_aware(now).timestamp()))}
    if issued is not None:
        context["aws:tokenissuetime"] = _iso(issued)
    return context


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    return _aware(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_EPOCH = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def instant(text: str) -> datetime | None:
    """A Date operator's value as an aware UTC datetime: ISO 8601 (``Z``, an offset, or none:
    UTC; a date alone is its midnight) or epoch seconds; None for anything else."""
    text = text.strip()
    try:
        if _EPOCH.fullmatch(text):
            return datetime.fromtimestamp(float(text), timezone.utc)
        return _aware(datetime.fromisoformat(text))
    except (ValueError, OverflowError, OSError):
        return None


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
    if operator.startswith("Date"):
        when, bound = instant(actual), instant(expected)
        if when is None or bound is None:
            return False
        return {"DateEquals": when == bound, "DateNotEquals": when == bound, "DateLessThan": when < bound,
                "DateLessThanEquals": when <= bound, "DateGreaterThan": when > bound,
                "DateGreaterThanEquals": when >= bound}.get(operator)
    return None


_NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
                      "DateNotEquals"})
_OPERATORS = frozenset({
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "Bool", "Null", "NumericEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", *_NEGATED,
})


def _conditions(conditions: Mapping[str, Any], context: Mapping[str, str],
                known: Container[str]) -> tuple[bool, dict[str, Any]]:
    """Evaluate what the sandbox knows (the keys in ``known``, present in ``context`` or absent
    from the request): (does the statement apply, the conditions left for moto)."""
    left: dict[str, Any] = {}
    for operator, pairs in conditions.items():
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        if not isinstance(pairs, dict) or base not in _OPERATORS:
            left[operator] = pairs  # ForAnyValue:..., ArnLike, IpAddress...: moto's business
            continue
        for key, expected in pairs.items():
            if key.lower() not in known:
                left.setdefault(operator, {})[key] = expected
                continue
            actual = context.get(key.lower())
            listed = expected if isinstance(expected, list) else [expected]
            values = [str(v) if base.startswith("Date") else _substitute(str(v), context) for v in listed]
            if base == "Null":
                holds = any((v.lower() == "true") == (actual is None) for v in values)
            elif actual is None:  # absent: false, but for ...IfExists and the negated operators
                holds = if_exists or base in _NEGATED
            elif base in _NEGATED:
                holds = not any(_compare(base, actual, v) for v in values)
            else:
                holds = any(_compare(base, actual, v) for v in values)
            if not holds:
                return False, {}
    return True, left


def resolve_policy(document: Mapping[str, Any], context: Mapping[str, str],
                   known: Collection[str] = CONTEXT_KEYS) -> dict[str, Any]:
    """``document`` as it applies to one request: statements whose conditions on the ``known``
    keys fail are gone (a known key missing from ``context`` is absent from the request),
    conditions that hold are gone, policy variables in ``Resource`` are replaced; the rest
    (other keys, other operators) is left for moto. A key of :data:`REQUEST_KEYS` is known where
    ``context`` has it."""
    if not isinstance(known, _Every):
        known = frozenset(known) | (REQUEST_KEYS & context.keys())
    statements = document.get("Statement", [])
    resolved = []
    for statement in statements if isinstance(statements, list) else [statements]:
        statement = dict(statement)
        if isinstance(statement.get("Condition"), dict):
            applies, left = _conditions(statement["Condition"], context, known)
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


class _Every:
    """Every condition key: for a policy the sandbox evaluates whole (a trust policy)."""

    def __contains__(self, key: object) -> bool:
        return True


_ARN_OPERATORS = frozenset({"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"})


def _arn_matches(pattern: str, arn: str) -> bool:
    """``ArnLike``/``ArnEquals``: each of the six colon-separated parts of the ARN matched on its own,
    with ``*`` and ``?`` (IAM User Guide, "Amazon Resource Name (ARN) condition operators")."""
    parts, wanted = arn.split(":", 5), pattern.split(":", 5)
    if len(parts) != 6 or len(wanted) != 6:
        return False
    return all(re.fullmatch(re.escape(w).replace(r"\*", ".*").replace(r"\?", "."), p, re.DOTALL) is not None
               for w, p in zip(wanted, parts, strict=True))


def _set_condition(operator: str, pairs: Any, context: Mapping[str, str], multi: Mapping[str, list[str]]) -> bool:
    """``ForAllValues:OP`` (every value of the request's key matches one of the condition's; true when
    the request has none) and ``ForAnyValue:OP`` (at least one does; false when it has none), over a
    multivalued key (``aws:TagKeys``) or a single one (IAM User Guide, "Multivalued context keys")."""
    qualifier, _, base = operator.partition(":")
    if not isinstance(pairs, dict) or base.endswith("IfExists") or (base not in _OPERATORS and base not in
                                                                      _ARN_OPERATORS):
        return False
    for key, expected in pairs.items():
        found = multi.get(key.lower())
        if found is None:
            single = context.get(key.lower())
            found = [] if single is None else [single]
        listed = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
        results = [evaluate_conditions({base: {key: listed}}, {key.lower(): value}) for value in found]
        holds = all(results) if qualifier == "ForAllValues" else any(results)
        if not holds:
            return False
    return True


def evaluate_conditions(conditions: Mapping[str, Any], context: Mapping[str, str],
                        multi: Mapping[str, list[str]] | None = None) -> bool:
    """Whether every condition of a statement holds for a request whose whole context is ``context``
    (a key missing from it is absent from the request; ``multi``: its multivalued keys, lower case,
    such as ``aws:tagkeys``). An operator the sandbox does not evaluate (``IpAddress``...) does not hold."""
    for operator, pairs in conditions.items():
        if operator.startswith(("ForAllValues:", "ForAnyValue:")):
            if not _set_condition(operator, pairs, context, multi or {}):
                return False
            continue
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        if base not in _ARN_OPERATORS:
            holds, left = _conditions({operator: pairs}, context, _Every())
            if not holds or left:
                return False
            continue
        if not isinstance(pairs, dict):
            return False
        for key, expected in pairs.items():
            actual = context.get(key.lower())
            values = [_substitute(str(v), context) for v in (expected if isinstance(expected, list) else [expected])]
            negated = base in ("ArnNotEquals", "ArnNotLike")
            if actual is None:
                holds = if_exists or negated
            else:
                matched = any(_arn_matches(v, actual) for v in values)
                holds = not matched if negated else matched
            if not holds:
                return False
    return True
