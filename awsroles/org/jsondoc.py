"""Canonical JSON of policy documents: one byte-stable text for every way of writing the same document.

Fixed key order, sorted statements and value lists, two-space indentation and a final newline,
so a document read from the org's policy folder, or generated, diffs cleanly in git. Nothing here
knows IAM's semantics beyond the shape of a document (Version, Statement, Sid, Action...);
the IAM policies (``iam/policies.py``) build on it.
"""

from __future__ import annotations

import json
from typing import Any

Document = dict[str, Any]

_TOP_ORDER = ("Version", "Id", "Statement")
_STATEMENT_ORDER = (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
)
SET_VALUED = ("Action", "NotAction", "Resource", "NotResource")  # statement keys whose list is a set


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    first = [k for k in order if k in mapping]
    rest = sorted(k for k in mapping if k not in order)
    return {k: mapping[k] for k in first + rest}


def canonical_values(value: Any) -> Any:
    """Sort and de-duplicate a list of values (IAM treats them as a set)."""
    if isinstance(value, list):
        unique = {_sort_key(v): v for v in value}
        return [unique[k] for k in sorted(unique)]
    return value


def _canonical_mapping_of_sets(value: Any) -> Any:
    if not isinstance(value, dict):
        return canonical_values(value)
    return {k: _canonical_mapping_of_sets(value[k]) for k in sorted(value)}


def _canonical_statement(statement: Any) -> Any:
    if not isinstance(statement, dict):
        return statement
    out = dict(statement)
    for key in SET_VALUED:
        if key in out:
            out[key] = canonical_values(out[key])
    for key in ("Principal", "NotPrincipal", "Condition"):
        if key in out:
            out[key] = _canonical_mapping_of_sets(out[key])
    return _ordered(out, _STATEMENT_ORDER)


def statement_key(statement: Any) -> tuple[str, str]:
    """How statements are sorted: by Sid, then by their JSON."""
    return (str(statement.get("Sid", "")) if isinstance(statement, dict) else "", _sort_key(statement))


def canonical(document: Document) -> Document:
    """The canonical form of a policy document (a new dict; the input is not changed)."""
    out = dict(document)
    statements = out.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        canon = [_canonical_statement(s) for s in statements]
        out["Statement"] = sorted(canon, key=statement_key)
    return _ordered(out, _TOP_ORDER)


def canonical_json(document: Document) -> str:
    """Canonical, byte-stable JSON text of a policy document."""
    return json.dumps(canonical(document), indent=2, ensure_ascii=False) + "\n"


def compact_size(document: Document | str) -> int:
    """Characters of the compact JSON form: what IAM counts toward its size quotas (never less)."""
    if isinstance(document, str):
        document = json.loads(document)
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
