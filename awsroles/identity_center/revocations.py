"""Pure: the statements in a permission set's inline policy that end sessions already issued.

IAM Identity Center's own pattern ("Use a Deny policy to revoke active user permissions",
https://docs.aws.amazon.com/singlesignon/latest/userguide/prereqs-revoking-user-permissions.html):
a ``Deny *`` on ``*`` for ``StringEquals identitystore:userId`` = the people's Identity Store user
ids, which the sessions of the roles Identity Center makes carry. awsroles adds, as IAM's "revoke
active sessions" pattern does (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html),
``DateLessThan aws:TokenIssueTime`` = the moment of revocation (so a session issued after it, by
someone still granted, is not affected) and ``StringEquals aws:PrincipalAccount`` = the account
of the environment (a permission set is one policy for every account it is provisioned to; the
role's account is the principal's, "aws:PrincipalAccount",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount).

A statement is needed until the longest session issued before its moment could have expired: the
moment plus the permission set's session duration. Until then the planner keeps it in the
permission set's inline policy (it lives in Identity Center only: never drift, never in the org
file); after that the planner leaves it out, and apply provisions the permission set again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from awsroles.errors import AwsrolesError
from awsroles.org.jsondoc import canonical_json
from awsroles.org.temporary import format_time, parse_time

SID_PREFIX = "Revoke"
POLICY_VERSION = "2012-10-17"
INLINE_MAX = 10240  # non-whitespace characters of a permission set's inline policy ("IAM Identity Center quotas")

Statement = dict[str, Any]


class RevocationTooLarge(AwsrolesError):
    """The permission set's inline policy would exceed Identity Center's quota with this revocation."""


def statement(at: datetime, user_ids: Iterable[str], account_id: str) -> Statement:
    """Sessions issued before ``at`` (rounded up to the whole second), of the Identity Store users
    ``user_ids``, in ``account_id``: refused."""
    moment = at.astimezone(timezone.utc)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    people = sorted(set(user_ids))
    digest = hashlib.sha256(f"{account_id}:{','.join(people)}".encode()).hexdigest()[:8]
    return {"Sid": f"{SID_PREFIX}{moment:%Y%m%dT%H%M%SZ}{digest}", "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": format_time(moment)},
                          "StringEquals": {"identitystore:userId": people, "aws:PrincipalAccount": account_id}}}


def issued_before(found: Any) -> datetime | None:
    """The moment of a revocation statement of awsroles', or None for any other statement."""
    if not isinstance(found, dict) or not str(found.get("Sid", "")).startswith(SID_PREFIX) \
            or found.get("Effect") != "Deny":
        return None
    condition = found.get("Condition")
    if not isinstance(condition, dict) or "identitystore:userId" not in condition.get("StringEquals", {}):
        return None
    try:
        return parse_time(str(condition.get("DateLessThan", {}).get("aws:TokenIssueTime", "")))
    except ValueError:
        return None


def _statements(document: str | None) -> list[Any]:
    if not document:
        return []
    found = json.loads(document).get("Statement", [])
    return found if isinstance(found, list) else [found]


def kept(document: str | None, now: datetime, session_seconds: int) -> list[Statement]:
    """The revocation statements of ``document`` still needed at ``now``."""
    return [s for s in _statements(document)
            if (at := issued_before(s)) is not None and at + timedelta(seconds=session_seconds) > now]


def expired(document: str | None, now: datetime, session_seconds: int) -> list[str]:
    """The Sids of the revocation statements of ``document`` no longer needed at ``now``."""
    return [str(s["Sid"]) for s in _statements(document)
            if (at := issued_before(s)) is not None and at + timedelta(seconds=session_seconds) <= now]


def with_statements(inline: str | None, extra: list[Statement]) -> str | None:
    """``inline`` (the permission set's inline policy as the org file makes it) with ``extra``."""
    if not extra:
        return inline
    statements = [s for s in _statements(inline) if issued_before(s) is None] + extra
    return canonical_json({"Version": POLICY_VERSION, "Statement": statements})


def size(document: str) -> int:
    return len(re.sub(r"\s", "", document))


def add(wanted: str | None, live: str | None, new: Statement, *, now: datetime, session_seconds: int,
        where: str) -> str:
    """The inline policy with ``new``: ``wanted`` (the org file's) and the revocations of ``live``
    still needed (one of the same Sid replaced). RevocationTooLarge past Identity Center's quota."""
    keep = [s for s in kept(live, now, session_seconds) if s.get("Sid") != new["Sid"]]
    document = with_statements(wanted, [*keep, new]) or ""
    if size(document) > INLINE_MAX:
        raise RevocationTooLarge(f"{where}: its inline policy would be {size(document)} characters with this "
                                 f"revocation; Identity Center allows {INLINE_MAX}: nothing changed")
    return document
