"""Pure: whether two policy documents mean the same to IAM.

IAM keeps a document as written, so ``"Action": "s3:GetObject"`` and ``"Action": ["s3:GetObject"]``
are one policy, and a lone Statement object is a list of one: the plan compares what AWS holds with
what awsroles wants in this form, never as text.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from awsroles.org.jsondoc import SET_VALUED, Document, canonical, canonical_values, statement_key


def _as_set(value: Any) -> Any:
    if isinstance(value, list):
        return canonical_values(value)
    return [value]


def normalized(document: Document) -> Document:
    """A form for comparing documents: canonical, and a single value equals a one-element list.

    IAM stores documents as written, so ``"Action": "s3:GetObject"`` and
    ``"Action": ["s3:GetObject"]`` mean the same; a Statement object equals a list of one.
    """
    out = canonical(document)
    statements = out.get("Statement")
    if not isinstance(statements, list):
        return out
    fixed = []
    for statement in statements:
        if isinstance(statement, dict):
            statement = dict(statement)
            for key in SET_VALUED:
                if key in statement:
                    statement[key] = _as_set(statement[key])
            for key in ("Principal", "NotPrincipal"):
                if isinstance(statement.get(key), dict):
                    statement[key] = {k: _as_set(v) for k, v in statement[key].items()}
            if isinstance(statement.get("Condition"), dict):
                statement["Condition"] = {
                    op: ({k: _as_set(v) for k, v in pairs.items()} if isinstance(pairs, dict) else pairs)
                    for op, pairs in statement["Condition"].items()
                }
        fixed.append(statement)
    out["Statement"] = sorted(fixed, key=statement_key)
    return out


def same_document(a: Document | str, b: Document | str) -> bool:
    """True when two policy documents mean the same to IAM (see :func:`normalized`). A document
    given as text (what awsroles wants: the same trust policy for every role of an org, say) is
    read and normalized once per process."""
    if isinstance(a, str) and isinstance(b, str) and a == b:
        return True
    first = _normalized_text(a) if isinstance(a, str) else normalized(a)
    second = _normalized_text(b) if isinstance(b, str) else normalized(b)
    return first == second


@functools.lru_cache(maxsize=4096)
def _normalized_text(text: str) -> Document:
    """:func:`normalized` of a JSON text, kept (only compared: never changed)."""
    return normalized(json.loads(text))
