"""Who assumed which role, and when: CloudTrail's ``AssumeRole`` events by source identity. Read-only.

Every awsroles role session carries the person's IAM user name as its ``SourceIdentity``, and
awsroles' trust policies require it to be the caller's own (``sts:SourceIdentity`` =
``${aws:username}``, :mod:`awsroles.iam.policies`): for roles awsroles made, an event's
``requestParameters.sourceIdentity`` names the person who assumed the role. CloudTrail records
``AssumeRole`` in the role's account, and its event history (``LookupEvents``) covers the last 90
days of management events in a region (CloudTrail API Reference, "LookupEvents":
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html). AWS limits
``LookupEvents`` to two requests per second per account per region; botocore's retry mode retries
the throttled ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from awsroles.errors import aws_error_code

HISTORY = timedelta(days=90)  # what CloudTrail's event history keeps


def assumption(event: Mapping[str, Any], roles: Collection[str], people: Collection[str]
               ) -> tuple[str, str, datetime] | None:
    """``(person, role ARN, when)`` for a ``LookupEvents`` event that is an ``AssumeRole`` of one of
    ``roles`` with a source identity in ``people``; None for any other (or unreadable) event."""
    if event.get("EventName") != "AssumeRole":
        return None
    try:
        detail = json.loads(event.get("CloudTrailEvent") or "{}")
    except ValueError:
        return None
    parameters = detail.get("requestParameters") if isinstance(detail, dict) else None
    if not isinstance(parameters, dict) or detail.get("errorCode"):
        return None
    role, person, when = parameters.get("roleArn"), parameters.get("sourceIdentity"), event.get("EventTime")
    if role not in roles or person not in people or not isinstance(when, datetime):
        return None
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    return str(person), str(role), when


def last_assumed(events: Iterable[Mapping[str, Any]], roles: Collection[str], people: Collection[str]
                 ) -> dict[tuple[str, str], datetime]:
    """``(person, role ARN) -> the latest moment they assumed it``, from ``events`` (pure)."""
    found: dict[tuple[str, str], datetime] = {}
    for event in events:
        match = assumption(event, roles, people)
        if match is not None:
            person, role, when = match
            if (person, role) not in found or found[person, role] < when:
                found[person, role] = when
    return found


def read_events(cloudtrail: Any, start: datetime) -> list[dict[str, Any]]:
    """Every ``AssumeRole`` event since ``start`` in ``cloudtrail``'s account and region."""
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}], StartTime=start)
    return [event for page in pages for event in page.get("Events", [])]


def why_unreadable(exc: Exception) -> str:
    """A one-line reason CloudTrail could not be read."""
    code = aws_error_code(exc)
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return "access denied (cloudtrail:LookupEvents)"
    if code in ("OperationNotPermittedException", "UnsupportedOperationException"):
        return f"not available ({code})"
    return f"not readable ({code or type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''})"


@dataclass(frozen=True)
class TrailRead:
    """What CloudTrail said: the last assumptions, and which accounts could not be read (and why)."""

    last: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (person, role ARN) -> when
    read: frozenset[str] = frozenset()  # names of the accounts read
    unreadable: dict[str, str] = field(default_factory=dict)  # account name -> why


def read_trails(accounts: Iterable[str], cloudtrail_for: Callable[[str], Any], start: datetime,
                roles: Collection[str], people: Collection[str]) -> TrailRead:
    """:func:`read_events` in each account named (``cloudtrail_for(name)``: a client there);
    an account that cannot be read is noted, never fatal."""
    last: dict[tuple[str, str], datetime] = {}
    read: set[str] = set()
    unreadable: dict[str, str] = {}
    for name in dict.fromkeys(accounts):
        try:
            events = read_events(cloudtrail_for(name), start)
        except Exception as exc:  # any failure: this account falls back to IAM's data
            unreadable[name] = why_unreadable(exc)
            continue
        read.add(name)
        for key, when in last_assumed(events, roles, people).items():
            if key not in last or last[key] < when:
                last[key] = when
    return TrailRead(last, frozenset(read), unreadable)
