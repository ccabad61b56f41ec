"""Who assumed which role, and when: CloudTrail's ``AssumeRole`` events by source identity. Read-only.

Every awsroles role session carries the person's IAM user name as its ``SourceIdentity``, and
awsroles' trust policies require it to be the caller's own (``sts:SourceIdentity`` =
``${aws:username}``, :mod:`awsroles.iam.policies`): for roles awsroles made, an event's
``requestParameters.sourceIdentity`` names the person who assumed the role. CloudTrail records
``AssumeRole`` in the role's account, and its event history (``LookupEvents``) covers the last 90
days of management events in a region (CloudTrail API Reference, "LookupEvents":
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html). AWS limits
``LookupEvents`` to two requests per second per account per region: :func:`read_events` keeps to
that pace (and botocore's retry mode retries a request throttled all the same).

An ``AssumeRole`` is recorded in the region of the STS endpoint that served it: a regional
endpoint's region, or, for the global endpoint (``sts.amazonaws.com``, what older SDKs and tools
call), US East (N. Virginia) (IAM User Guide, "Logging IAM and AWS STS API calls with AWS
CloudTrail": https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html). So each
account is read in the org's region and, when that is another, in the global endpoint's region
(:data:`GLOBAL_ENDPOINT_REGION`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from awsroles.errors import aws_error_code

HISTORY = timedelta(days=90)  # what CloudTrail's event history keeps
LOOKUP_INTERVAL = 0.5  # seconds between two LookupEvents: two a second per account and region
# Where the global STS endpoint's calls are recorded, per partition.
GLOBAL_ENDPOINT_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


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


def read_events(cloudtrail: Any, start: datetime, *, page_size: int | None = None) -> list[dict[str, Any]]:
    """Every ``AssumeRole`` event since ``start`` in ``cloudtrail``'s account and region, a page at a
    time, at most two pages a second: ``LookupEvents``' own limit per account and region (more are
    throttled), so a long history is read at the pace AWS serves it instead of through retries. The
    pace is kept where it counts, between two requests leaving (botocore's ``before-send``): what
    botocore does before sending a page (building, signing) varies, and would otherwise shorten a gap."""
    sent: list[float] = []

    def pace(**_: Any) -> None:  # botocore's before-send: just before the request leaves, retries too
        if sent:
            time.sleep(max(0.0, sent[-1] + LOOKUP_INTERVAL - time.monotonic()))
        sent.append(time.monotonic())

    hook, unique = "before-send.cloudtrail.LookupEvents", f"awsroles-pace-{id(sent)}"
    cloudtrail.meta.events.register_first(hook, pace, unique_id=unique)
    try:
        pages = cloudtrail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}], StartTime=start,
            **({"PaginationConfig": {"PageSize": page_size}} if page_size else {}))
        return [event for page in pages for event in page.get("Events", [])]
    finally:
        cloudtrail.meta.events.unregister(hook, unique_id=unique)


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
    read: frozenset[str] = frozenset()  # names of the accounts read (in the org's region at least)
    unreadable: dict[str, str] = field(default_factory=dict)  # account name -> why
    partly: dict[str, str] = field(default_factory=dict)  # account name -> why another region was not read


def read_trails(accounts: Iterable[str], cloudtrail_for: Callable[[str, str | None], Any], start: datetime,
                roles: Collection[str], people: Collection[str], also: Iterable[str] = ()) -> TrailRead:
    """:func:`read_events` in each account named (``cloudtrail_for(name, region)``: a client there,
    ``region`` None for the org's own), then in each region of ``also`` (the global STS endpoint's);
    an account that cannot be read is noted, never fatal."""
    last: dict[tuple[str, str], datetime] = {}
    read: set[str] = set()
    unreadable: dict[str, str] = {}
    partly: dict[str, str] = {}

    def merge(events: list[dict[str, Any]]) -> None:
        for key, when in last_assumed(events, roles, people).items():
            if key not in last or last[key] < when:
                last[key] = when

    extra = tuple(dict.fromkeys(also))
    for name in dict.fromkeys(accounts):
        try:
            merge(read_events(cloudtrail_for(name, None), start))
        except Exception as exc:  # any failure: this account falls back to IAM's data
            unreadable[name] = why_unreadable(exc)
            continue
        read.add(name)
        for region in extra:
            try:
                merge(read_events(cloudtrail_for(name, region), start))
            except Exception as exc:  # the org's region was read: a note, its data kept
                partly[name] = f"{region}: {why_unreadable(exc)}"
    return TrailRead(last, frozenset(read), unreadable, partly)
