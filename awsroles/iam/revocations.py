"""Pure: the ``awsroles-revoked-sessions`` role inline policy that ends sessions already issued.

AWS's documented pattern ("Revoking IAM role temporary security credentials",
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html): a role inline
``Deny *`` on ``*`` with ``DateLessThan aws:TokenIssueTime`` = the moment of revocation refuses
every request of a session issued before that moment. awsroles narrows it with ``StringEquals
aws:SourceIdentity`` to the people revoked (every awsroles role session carries the person's IAM
user name as SourceIdentity), so only their sessions end; everyone else's carry on.

In an org on IAM Identity Center alone, a break-glass role's sessions carry no source identity
(:func:`awsroles.iam.breakglass.identity_center_trust_policy`): IAM cannot tell whose a session is,
so ending a person's ends every session of that role issued before the moment (:data:`EVERYONE`:
the statement without ``StringEquals``). Whoever still needs it breaks the glass again, and the
alarm goes off again.

One statement per moment (its Sid from the moment and the people), the people of the same moment
merged into one statement. A statement is needed until the longest session issued before its
moment has expired: ``T + the role's max_session``; after that :func:`kept` drops it, and the
planner removes it (then the policy, when nothing is left). The policy is awsroles' own but lives
in IAM only: it is never drift and never imported into the org file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from awsroles.errors import AwsrolesError
from awsroles.iam.compare import same_document
from awsroles.iam.policies import VERSION, canonical_json, policy_size
from awsroles.org.limits import ROLE_INLINE_POLICIES_MAX

POLICY_NAME = "awsroles-revoked-sessions"
EVERYONE = "*"  # a revocation of every session of the role, whoever's
SID_PREFIX = "Revoke"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Document = dict[str, Any]


class RevocationTooLarge(AwsrolesError):
    """The role's inline policies would exceed IAM's size quota with this revocation."""


@dataclass(frozen=True, order=True)
class Revocation:
    """Sessions of ``people`` issued before ``at`` (UTC, whole seconds) are refused."""

    at: datetime
    people: tuple[str, ...]

    @property
    def issued_before(self) -> str:
        """``at`` as IAM's condition takes it: ISO 8601 UTC with Z."""
        return format_time(self.at)

    @property
    def sid(self) -> str:
        """``Revoke20261129T140200Z`` and a short hash of the people (Sids are alphanumeric)."""
        digest = hashlib.sha256(",".join(self.people).encode("utf-8")).hexdigest()[:8]
        return f"{SID_PREFIX}{self.at.strftime('%Y%m%dT%H%M%SZ')}{digest}"

    def ends(self, max_session: int) -> datetime:
        """When no session issued before ``at`` can still be valid: ``at + max_session``."""
        return self.at + timedelta(seconds=max_session)

    def statement(self) -> Document:
        condition: Document = {"DateLessThan": {"aws:TokenIssueTime": self.issued_before}}
        if self.people != (EVERYONE,):
            condition["StringEquals"] = {"aws:SourceIdentity": list(self.people)}
        return {"Sid": self.sid, "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_TIME_FORMAT)


def revocation(at: datetime, people: Iterable[str]) -> Revocation:
    """A revocation at ``at`` (timezone-aware; made UTC, rounded up to the second, as the condition's
    ISO 8601 time has whole seconds) of ``people`` (sorted, unique)."""
    if at.tzinfo is None:
        raise ValueError("a revocation's moment must be timezone-aware")
    names = tuple(sorted(set(people)))
    if not names:
        raise ValueError("a revocation names at least one person")
    if EVERYONE in names:
        names = (EVERYONE,)  # everyone's sessions: the people's among them
    moment = at.astimezone(timezone.utc)
    if moment.microsecond:  # up to the next second: a session issued in the same second before it ends too
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return Revocation(moment, names)


def _parse_statement(statement: Any) -> Revocation | None:
    """A statement of awsroles' shape as a revocation; None for anything else (a hand-made one)."""
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
        return None
    if not str(statement.get("Sid", "")).startswith(SID_PREFIX):
        return None
    if statement.get("Action") not in ("*", ["*"]) or statement.get("Resource") not in ("*", ["*"]):
        return None
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or set(condition) not in ({"DateLessThan", "StringEquals"},
                                                                     {"DateLessThan"}):
        return None
    before = condition["DateLessThan"]
    who = condition.get("StringEquals", {"aws:SourceIdentity": EVERYONE})
    if not isinstance(before, Mapping) or set(before) != {"aws:TokenIssueTime"}:
        return None
    if not isinstance(who, Mapping) or set(who) != {"aws:SourceIdentity"}:
        return None
    try:
        at = datetime.strptime(str(before["aws:TokenIssueTime"]), _TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    people = who["aws:SourceIdentity"]
    people = [people] if isinstance(people, str) else people
    if not isinstance(people, list) or not people or not all(isinstance(p, str) and p for p in people):
        return None
    if "StringEquals" in condition and EVERYONE in people:
        return None  # a source identity "*" (no person's): not awsroles' statement
    return revocation(at, people)


def _loaded(document: Mapping[str, Any] | str) -> Mapping[str, Any]:
    return json.loads(document) if isinstance(document, str) else document


def parse(document: Mapping[str, Any] | str | None) -> tuple[Revocation, ...]:
    """The revocations in a live ``awsroles-revoked-sessions`` document (merged by moment, oldest
    first); statements of another shape are left out, so the planner puts the policy back to these."""
    if document is None:
        return ()
    doc = _loaded(document)
    statements = doc.get("Statement", [])
    statements = [statements] if isinstance(statements, Mapping) else statements
    found = [r for r in (_parse_statement(s) for s in statements if isinstance(statements, list)) if r is not None]
    return merge(found)


def merge(revocations: Iterable[Revocation]) -> tuple[Revocation, ...]:
    """One revocation per moment, with everyone revoked at that moment; oldest first."""
    by_moment: dict[datetime, set[str]] = {}
    for item in revocations:
        by_moment.setdefault(item.at, set()).update(item.people)
    return tuple(revocation(at, people) for at, people in sorted(by_moment.items()))


def kept(revocations: Iterable[Revocation], now: datetime, max_session: int) -> tuple[Revocation, ...]:
    """The revocations still needed at ``now``: those whose ``at + max_session`` is in the future."""
    return tuple(r for r in merge(revocations) if r.ends(max_session) > now)


def document(revocations: Iterable[Revocation]) -> str | None:
    """The policy document (canonical JSON) for ``revocations``; None when there are none."""
    items = merge(revocations)
    if not items:
        return None
    return canonical_json({"Version": VERSION, "Statement": [r.statement() for r in items]})


def add(live: Mapping[str, Any] | str | None, new: Revocation, *, now: datetime, max_session: int,
        other_inline_size: int = 0, role: str = "the role") -> str | None:
    """The document with ``new`` added to the live one: expired statements dropped first, the same
    moment merged. Refuses (:class:`RevocationTooLarge`) when the role's inline policies together
    (``other_inline_size``: the characters of the role's other inline policies) would pass IAM's
    10,240-character quota."""
    text = document(kept((*parse(live), new), now, max_session))
    if text is None:  # nothing issued before ``new`` can still be valid
        return None
    size = policy_size(text) + other_inline_size
    if size > ROLE_INLINE_POLICIES_MAX:
        raise RevocationTooLarge(
            f"{role}: ending these sessions needs {size} characters of inline policy, more than IAM's "
            f"{ROLE_INLINE_POLICIES_MAX} per role; nothing was changed (wait for older revocations to expire, "
            "or shorten the role's own inline policies)")
    return text


@dataclass(frozen=True)
class Reconciled:
    """What the planner makes of a live ``awsroles-revoked-sessions`` policy at a moment."""

    document: str | None  # the policy to keep (None: delete it)
    expired: tuple[Revocation, ...]  # revocations no session can outlive any more
    put_back: bool  # the live document holds something else too (changed by hand)


def reconcile(live: Mapping[str, Any] | str | None, *, now: datetime, max_session: int) -> Reconciled:
    """Keep the revocations still needed at ``now`` (``at + max_session`` in the future), drop the
    others; anything not of awsroles' shape is dropped too (the policy is put back)."""
    found = parse(live)
    keep = kept(found, now, max_session)
    text = document(keep)
    expired = tuple(r for r in found if r not in keep)
    whole = document(found)
    put_back = live is not None and (whole is None or not same_document(dict(_loaded(live)), whole))
    return Reconciled(text, expired, put_back)
