"""Who assumed which role, from CloudTrail's events (:mod:`awsroles.people.assumptions`), and how
the review uses it (:func:`awsroles.people.review.grant_flags`, :func:`~awsroles.people.review.trail_notes`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError

from awsroles.people.assumptions import assumption, last_assumed, read_trails, why_unreadable
from awsroles.people.review import Access, RoleUse, grant_flags

ROLE = "arn:aws:iam::444444444444:role/awsroles/admin"
OTHER = "arn:aws:iam::444444444444:role/OrganizationAccountAccessRole"
NOW = datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc)


def event(person: str | None, role: str = ROLE, when: datetime = NOW, name: str = "AssumeRole",
          **extra: Any) -> dict[str, Any]:
    parameters = {"roleArn": role, "roleSessionName": person or "awsroles-admin"}
    if person:
        parameters["sourceIdentity"] = person
    return {"EventName": name, "EventTime": when,
            "CloudTrailEvent": json.dumps({"requestParameters": parameters, **extra})}


def test_an_assumption_is_an_assume_role_of_an_org_role_by_a_declared_person() -> None:
    roles, people = {ROLE}, {"alice", "bob"}
    assert assumption(event("alice"), roles, people) == ("alice", ROLE, NOW)
    assert assumption(event("mallory"), roles, people) is None  # not a person the org file declares
    assert assumption(event(None), roles, people) is None  # no source identity: not a person's session
    assert assumption(event("alice", OTHER), roles, people) is None  # not an awsroles role
    assert assumption(event("alice", name="GetCallerIdentity"), roles, people) is None
    assert assumption(event("alice", errorCode="AccessDenied"), roles, people) is None  # refused: not a use
    assert assumption({"EventName": "AssumeRole", "EventTime": NOW, "CloudTrailEvent": "{not json"},
                      roles, people) is None
    naive = assumption(event("alice", when=NOW.replace(tzinfo=None)), roles, people)
    assert naive is not None and naive[2] == NOW


def test_the_last_assumption_per_person_and_role_wins() -> None:
    events = [event("alice", when=NOW - timedelta(days=3)), event("alice", when=NOW), event("bob", when=NOW),
              event("alice", when=NOW - timedelta(days=1))]
    assert last_assumed(events, {ROLE}, {"alice"}) == {("alice", ROLE): NOW}


class Trail:
    """A CloudTrail client's paginator, and its event system as far as read_events uses it (the pace
    between requests is botocore's before-send: tests/aws/test_cloudtrail_sandbox.py shows it)."""

    def __init__(self, events: list[dict[str, Any]] | None = None, code: str = "") -> None:
        self.events, self.code = events or [], code
        self.asked: list[dict[str, Any]] = []
        self.handlers: list[str] = []
        self.meta = SimpleNamespace(events=SimpleNamespace(
            register_first=lambda event, handler, unique_id: self.handlers.append(event),
            unregister=lambda event, unique_id: self.handlers.remove(event)))

    def get_paginator(self, name: str) -> Any:
        assert name == "lookup_events"
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.asked.append(kwargs)
        if self.code:
            raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, "LookupEvents")
        return [{"Events": self.events[:1]}, {"Events": self.events[1:]}]


def test_read_trails_merges_accounts_and_notes_the_unreadable_ones_without_failing() -> None:
    start = NOW - timedelta(days=90)
    clients = {"prod": Trail([event("alice", when=NOW - timedelta(days=2)), event("alice")]),
               "dev": Trail(code="AccessDeniedException"), "stage": Trail(code="OperationNotPermittedException")}
    found = read_trails(["prod", "dev", "stage", "prod"], lambda name, region: clients[name], start, {ROLE},
                        {"alice"})
    assert found.last == {("alice", ROLE): NOW} and found.read == {"prod"}
    assert clients["prod"].handlers == []  # the pace's handler is gone once read
    assert found.unreadable == {"dev": "access denied (cloudtrail:LookupEvents)",
                                "stage": "not available (OperationNotPermittedException)"}
    assert clients["prod"].asked == [{"LookupAttributes": [{"AttributeKey": "EventName",
                                                            "AttributeValue": "AssumeRole"}], "StartTime": start}]
    assert why_unreadable(OSError("connection refused\nmore")) == "not readable (OSError: connection refused)"


def test_unused_grant_with_cloudtrail_is_this_persons_not_the_roles() -> None:
    access, cutoff = Access("prod", "admin", "standing", "team platform"), NOW - timedelta(days=90)
    used_by_someone = RoleUse("prod", "admin", last_used=NOW - timedelta(days=1))
    assert grant_flags(access, used_by_someone, NOW, cutoff) == ()  # IAM's per-role data
    assert grant_flags(access, used_by_someone, NOW, cutoff, assumed=None, trail=True) == ("unused grant",)
    assert grant_flags(access, RoleUse("prod", "admin"), NOW, cutoff, assumed=NOW, trail=True) == ()
    # the account's CloudTrail could not be read: IAM's data
    assert grant_flags(access, used_by_someone, NOW, cutoff, assumed=None, trail=False) == ()


def test_each_account_is_read_in_the_global_endpoints_region_too() -> None:
    """An AssumeRole through the global STS endpoint is recorded in us-east-1: read there too; a
    region that cannot be read is a note, the org's region's events are kept."""
    start = NOW - timedelta(days=90)
    clients = {("prod", None): Trail([event("alice", when=NOW - timedelta(days=5))]),
               ("prod", "us-east-1"): Trail([event("alice", when=NOW - timedelta(days=1))]),
               ("dev", None): Trail([event("alice", when=NOW - timedelta(days=3))]),
               ("dev", "us-east-1"): Trail(code="AccessDeniedException")}
    found = read_trails(["prod", "dev"], lambda name, region: clients[name, region], start, {ROLE}, {"alice"},
                        also=["us-east-1"])
    assert found.last == {("alice", ROLE): NOW - timedelta(days=1)}  # the global endpoint's, the latest
    assert found.read == {"prod", "dev"} and found.unreadable == {}
    assert found.partly == {"dev": "us-east-1: access denied (cloudtrail:LookupEvents)"}
    assert all(c.asked for c in clients.values() if not c.code)
