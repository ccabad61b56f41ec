"""Pure: a live role's managed policies and permissions boundary, as the org file says them.

A policy of the role's own account (``arn:aws:iam::222222222222:policy/team/deny-iam``) is a
customer managed policy by ``[/path/]name`` (``/team/deny-iam``): the same name in every
environment account, so the same role in dev and prod imports as one definition. AWS managed
policies stay ARNs in ``managed``; a boundary is the ARN of an AWS managed policy or the
``[/path/]name`` of one of the account's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from awsroles.org import limits
from awsroles.org.identity import POLICY_NAME, policy_reference

_POLICY_ARN = re.compile(r"arn:[\w-]+:iam::(aws|\d{12}):policy(/(?:.*/)?)([^/]+)")


@dataclass(frozen=True)
class RolePolicies:
    managed: tuple[str, ...]  # ARNs, as the org file's ``managed``
    customer_managed: tuple[str, ...]  # ``[/path/]name``, as ``customer_managed``
    boundary: str  # as ``boundary`` ("": none)
    skipped: tuple[str, ...]  # what the org file cannot say, one phrase each


def local_reference(arn: str, account_id: str) -> str | None:
    """``/path/name`` of a customer managed policy of ``account_id`` that the org file can write, or None."""
    match = _POLICY_ARN.fullmatch(arn)
    if match is None or match.group(1) != account_id:
        return None
    _, path, name = match.groups()
    if not POLICY_NAME.fullmatch(name) or "," in name or "," in path or not limits.IAM_PATH.fullmatch(path):
        return None
    return policy_reference(path, name)


def role_policies(managed: tuple[str, ...], boundary: str, account_id: str) -> RolePolicies:
    """Split a live role's attachments (and boundary) in ``account_id`` into the org file's keys."""
    arns: list[str] = []
    references: list[str] = []
    skipped: list[str] = []
    for arn in sorted(managed):
        reference = local_reference(arn, account_id)
        if reference is not None:
            references.append(reference)
        elif "," not in arn and limits.MANAGED_POLICY_ARN.fullmatch(arn):
            arns.append(arn)
        else:
            skipped.append(f"managed policy {arn} cannot be written in an org file; skipped (apply would detach it)")
    written = ""
    if boundary:
        reference = local_reference(boundary, account_id)
        if reference is not None:
            written = reference
        elif limits.MANAGED_POLICY_ARN.fullmatch(boundary) and ":iam::aws:" in boundary:
            written = boundary
        else:
            skipped.append(f"permissions boundary {boundary} cannot be written in an org file; skipped (apply would "
                           "remove it)")
    return RolePolicies(tuple(arns), tuple(sorted(references, key=str.lower)), written, tuple(skipped))
