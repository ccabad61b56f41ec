"""The IAM calls and the words for one resource's differences: attachments, inline policies, tags.

Pure helpers of :mod:`awsroles.sync.planner`: each returns the operations (``(call, params)``)
that make a live resource match the desired one, with a detail line per difference and, for
documents, a unified diff of their canonical JSON.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from typing import Any

from awsroles.iam import compare, policies
from awsroles.iam.desired import DIGEST_TAG, STATE_TAGS
from awsroles.sync.plan import Op


def document_json(document: Mapping[str, Any] | str) -> str:
    """A document's canonical JSON (text is taken as it is)."""
    return document if isinstance(document, str) else policies.canonical_json(dict(document))


def document_diff(
    what: str, live: Mapping[str, Any] | str | None, desired: Mapping[str, Any] | str | None
) -> tuple[str, str]:
    """``(what, unified diff of the canonical JSON: live -> org file)``; None is no document."""
    before = document_json(live).splitlines(keepends=True) if live is not None else []
    after = document_json(desired).splitlines(keepends=True) if desired is not None else []
    text = "".join(difflib.unified_diff(before, after, "live", "org file", n=2))
    return what, text


def tag_list(items: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """Tags as IAM takes them: ``[{"Key": k, "Value": v}]``."""
    return [{"Key": k, "Value": v} for k, v in items]


def grants_summary(document: Mapping[str, Any] | str | None, *, limit: int = 160) -> str:
    """What a policy document allows and denies, in one short line: ``Allow iam:*, s3:* on *``."""
    if document is None:
        return "unknown document"
    doc = json.loads(document) if isinstance(document, str) else dict(document)
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    parts = []
    for st in statements if isinstance(statements, list) else []:
        if not isinstance(st, dict):
            continue

        def listed(key: str, st: Mapping[str, Any] = st) -> list[str]:
            value = st.get(key, [])
            return [str(v) for v in (value if isinstance(value, list) else [value])]

        actions = ", ".join(listed("Action")) or ("all but " + ", ".join(listed("NotAction")))
        resources = ", ".join(listed("Resource")) or ("all but " + ", ".join(listed("NotResource")))
        condition = " (with conditions)" if st.get("Condition") else ""
        parts.append(f"{st.get('Effect', '?')} {actions} on {resources}{condition}")
    text = "; ".join(parts) or "nothing"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def attachment_ops(kind: str, name_param: str, name: str, live: tuple[str, ...], desired: tuple[str, ...],
                describe: Callable[[str], str] | None = None) -> tuple[list[Op], list[str]]:
    ops: list[Op] = []
    details: list[str] = []
    for arn in sorted(set(desired) - set(live)):
        ops.append((f"attach_{kind}_policy", {name_param: name, "PolicyArn": arn}))
        details.append(f"attach {arn}")
    for arn in sorted(set(live) - set(desired)):
        ops.append((f"detach_{kind}_policy", {name_param: name, "PolicyArn": arn}))
        details.append(f"detach {arn}" + (f" (grants: {describe(arn)})" if describe else ""))
    return ops, details


def boundary_change(name: str, live: str, desired: str, kind: str = "role") -> tuple[list[Op], list[str]]:
    """A role's (or user's) permissions boundary: put the desired one (replacing another), or remove
    one the org file does not give."""
    if live == desired:
        return [], []
    param = "UserName" if kind == "user" else "RoleName"
    if desired:
        return ([(f"put_{kind}_permissions_boundary", {param: name, "PermissionsBoundary": desired})],
                [f"permissions boundary {live} -> {desired}" if live else f"set permissions boundary {desired}"])
    return [(f"delete_{kind}_permissions_boundary", {param: name})], [f"remove permissions boundary {live}"]


def inline_policy_ops(kind: str, name_param: str, name: str, live: Mapping[str, Any],
                desired: Mapping[str, str]) -> tuple[list[Op], list[str], list[tuple[str, str]]]:
    ops: list[Op] = []
    details: list[str] = []
    diffs: list[tuple[str, str]] = []
    for policy, document in sorted(desired.items()):
        if policy not in live or not compare.same_document(live[policy], document):
            ops.append((f"put_{kind}_policy", {name_param: name, "PolicyName": policy, "PolicyDocument": document}))
            details.append(f"{'change' if policy in live else 'add'} inline policy {policy}")
            details += temporary_details(live.get(policy), document)
            diffs.append(document_diff(f"inline policy {policy}", live.get(policy), document))
    for policy in sorted(set(live) - set(desired)):
        ops.append((f"delete_{kind}_policy", {name_param: name, "PolicyName": policy}))
        details.append(f"remove inline policy {policy} (grants: {grants_summary(live[policy])})")
        details += temporary_details(live[policy], None)
        diffs.append(document_diff(f"inline policy {policy}", live[policy], None))
    return ops, details, diffs


def temporary_details(live: Any, desired: str | None) -> list[str]:
    """The temporary grants an inline policy change adds and removes, by id with their ``until``."""
    def grants(document: Any) -> dict[str, str]:
        try:
            return policies.temporary_grants_in(document) if document is not None else {}
        except (TypeError, ValueError):
            return {}

    before, after = grants(live), grants(desired)
    out = [f"temporary grant {g} until {u}" for g, u in sorted(after.items()) if before.get(g) != u]
    out += [f"temporary grant {g} (until {u}) removed" for g, u in sorted(before.items()) if g not in after]
    return out


def tagging_ops(kind: str, name_param: str, name: str, live: Mapping[str, str],
             desired: tuple[tuple[str, str], ...]) -> tuple[list[Op], list[str]]:
    want = dict(desired)
    ops: list[Op] = []
    details: list[str] = []
    changed = {k: v for k, v in want.items() if live.get(k) != v}
    removed = sorted(k for k in live if k not in want and not k.startswith("aws:") and k not in STATE_TAGS)
    if changed:
        ops.append((f"tag_{kind}", {name_param: name, "Tags": tag_list(tuple(sorted(changed.items())))}))
        details.extend(f"tag {k}" for k in sorted(changed) if k != DIGEST_TAG)
    if removed:
        ops.append((f"untag_{kind}", {name_param: name, "TagKeys": removed}))
        details.extend(f"remove tag {k}" for k in removed)
    return ops, details

