"""CloudTrail's event history in the sandbox (:mod:`awsroles.sandbox.server.cloudtrail`) and
``awsroles access review --cloudtrail`` on it: every ``AssumeRole`` the sandbox serves is an event
in the role's account; ``LookupEvents`` answers with its filters, paging and validation errors as
AWS documents them; the review names who assumed which role. A sandbox in this process; time
moves by the sandbox's clock: no test sleeps."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from awsroles.cli.access_review import CSV_COLUMNS, TRAIL_COLUMN
from awsroles.cli.app import App
from awsroles.cli.runner import run
from awsroles.errors import ExitCode
from awsroles.people.review import review
from awsroles.sandbox.process import Sandbox
from awsroles.sandbox.server import clock
from awsroles.sync.engine import Engine
from tests.aws.conftest import applied_in_process
from tests.conftest import EXAMPLES, REPO

OPS, DEV, STAGE, PROD = "111111111111", "222222222222", "333333333333", "444444444444"
REGION = "us-east-1"
PROD_ADMIN = f"arn:aws:iam::{PROD}:role/awsroles/admin"  # the org's path


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Sandbox, Engine, dict[str, tuple[str, str]]]]:
    """The classic org (MFA optional, bob in platform too) applied to a sandbox in this process;
    alice and bob each with an access key."""
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    text = text.replace("mfa = required", "mfa = optional").replace("members = alice", "members = alice, bob")
    path = tmp_path / "awsroles.ini"
    path.write_text(text)
    with applied_in_process(path) as (box, engine):
        iam = engine.iam(box.org.ops)
        keys = {}
        for person in ("alice", "bob"):
            key = iam.create_access_key(UserName=person)["AccessKey"]
            keys[person] = (key["AccessKeyId"], key["SecretAccessKey"])
        yield box, engine, keys


def client(box: Sandbox, service: str, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=box.endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)


def assume(box: Sandbox, keys: tuple[str, str], person: str, role: str = PROD_ADMIN) -> dict[str, Any]:
    return client(box, "sts", *keys).assume_role(RoleArn=role, RoleSessionName=person,
                                                 SourceIdentity=person)["Credentials"]


def trail(engine: Engine, account: str = "prod") -> Any:
    return engine.cloudtrail(account)


def error(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_assume_role_is_an_event_in_the_roles_account_with_who_and_which_role(world: Any) -> None:
    box, engine, keys = world
    before = clock.utcnow().replace(tzinfo=timezone.utc, microsecond=0)
    assume(box, keys["alice"], "alice")
    events = trail(engine).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}])["Events"]
    mine = [e for e in events if json.loads(e["CloudTrailEvent"])["requestParameters"].get("sourceIdentity")]
    assert len(mine) == 1
    event = mine[0]
    assert event["EventSource"] == "sts.amazonaws.com" and event["Username"] == "alice"
    assert event["EventTime"] >= before and event["AccessKeyId"] == keys["alice"][0]
    assert event["Resources"] == [{"ResourceType": "AWS::IAM::Role", "ResourceName": PROD_ADMIN}]
    detail = json.loads(event["CloudTrailEvent"])
    assert detail["requestParameters"] == {"roleArn": PROD_ADMIN, "roleSessionName": "alice",
                                           "sourceIdentity": "alice"}
    assert detail["userIdentity"]["type"] == "IAMUser" and detail["userIdentity"]["userName"] == "alice"
    assert detail["recipientAccountId"] == PROD and detail["eventID"] == event["EventId"]
    dev = trail(engine, "dev").lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "alice"}])["Events"]
    assert dev == []  # recorded in the role's account only


def test_lookup_events_filters_pages_newest_first_and_validates(world: Any) -> None:
    box, engine, keys = world
    start = clock.utcnow().replace(tzinfo=timezone.utc, microsecond=0)  # events have whole seconds, as on AWS
    for _ in range(3):
        assume(box, keys["alice"], "alice")
        box.advance_clock(60)
    assume(box, keys["bob"], "bob")
    ct = trail(engine)
    by_alice = [{"AttributeKey": "Username", "AttributeValue": "alice"}]
    first = ct.lookup_events(LookupAttributes=by_alice, MaxResults=2)
    assert len(first["Events"]) == 2 and first["NextToken"]
    rest = ct.lookup_events(LookupAttributes=by_alice, MaxResults=2, NextToken=first["NextToken"])
    assert len(rest["Events"]) == 1 and "NextToken" not in rest
    times = [e["EventTime"] for e in first["Events"] + rest["Events"]]
    assert times == sorted(times, reverse=True)
    pages = ct.get_paginator("lookup_events").paginate(LookupAttributes=by_alice, PaginationConfig={"PageSize": 1})
    assert sum(len(p["Events"]) for p in pages) == 3
    assert [e["Username"] for e in ct.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}],
        StartTime=start + timedelta(seconds=150))["Events"]] == ["bob"]
    assert len(ct.lookup_events(LookupAttributes=by_alice, StartTime=start,
                                EndTime=start + timedelta(seconds=30))["Events"]) == 1
    readonly = f"arn:aws:iam::{PROD}:role/awsroles/readonly"
    assert ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": readonly}])[
        "Events"] == []

    two = [*by_alice, {"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}]
    assert error(lambda: ct.lookup_events(LookupAttributes=two)) == "InvalidLookupAttributesException"
    assert error(lambda: ct.lookup_events(MaxResults=51)) == "InvalidMaxResultsException"
    assert error(lambda: ct.lookup_events(StartTime=start, EndTime=start - timedelta(seconds=1))) \
        == "InvalidTimeRangeException"
    assert error(lambda: ct.lookup_events(NextToken="not-one-it-gave")) == "InvalidNextTokenException"
    assert error(lambda: ct.lookup_events(EventCategory="data")) == "InvalidEventCategoryException"


def test_events_go_with_the_sandbox_reset(world: Any) -> None:
    from awsroles.sandbox.server.cloudtrail import lookup
    from awsroles.sandbox.server.routes import reset_server

    box, _engine, keys = world
    assume(box, keys["alice"], "alice")
    assert lookup(PROD, REGION, {})["Events"]
    reset_server()
    assert lookup(PROD, REGION, {})["Events"] == []


def test_the_review_with_cloudtrail_names_who_assumed_the_role(world: Any) -> None:
    """alice and bob may both assume prod's admin; alice did, bob did not: by IAM's per-role data
    the grant is used by both, by CloudTrail bob's is unused. stage's CloudTrail is denied to the
    bootstrap role: a note, and IAM's data for stage."""
    from moto.iam.models import iam_backends

    box, engine, keys = world
    assume(box, keys["alice"], "alice")
    iam_backends[PROD]["aws"].get_role("admin").last_used = clock.utcnow()  # as IAM records her session's use
    engine.iam("stage").put_role_policy(
        RoleName="OrganizationAccountAccessRole", PolicyName="no-cloudtrail", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "cloudtrail:LookupEvents",
                                                     "Resource": "*"}]}))
    now = clock.utcnow().replace(tzinfo=timezone.utc) + timedelta(minutes=1)
    plain = review(engine.org, engine.iam, now=now, since=timedelta(days=1))
    result = review(engine.org, engine.iam, now=now, since=timedelta(days=1), cloudtrail_for=engine.cloudtrail)
    assert not plain.cloudtrail and result.cloudtrail
    assert engine.cloudtrail("prod").meta.region_name == engine.org.region  # one region, the org's

    def grants(r: Any, person: str) -> dict[tuple[str, str], Any]:
        found = {p.name: p for p in r.people}[person]
        return {(g.access.environment, g.access.role): g for g in found.grants}

    alice, bob = grants(result, "alice"), grants(result, "bob")
    assert alice["prod", "admin"].assumed is not None and alice["prod", "admin"].flags == ()
    assert bob["prod", "admin"].assumed is None and bob["prod", "admin"].flags == ("unused grant",)
    assert "unused grant prod/admin" in {p.name: p for p in result.people}["bob"].flags
    assert grants(plain, "bob")["prod", "admin"].use.last_used is not None  # IAM's per-role data: "used" ...
    assert grants(plain, "bob")["prod", "admin"].flags == ()  # ... so without CloudTrail bob's grant looks used
    assert alice["stage", "admin"].trail is False and alice["stage", "admin"].assumed_text == "not read"
    stage_notes = [n for n in result.notes if n.startswith("CloudTrail in stage")]
    assert stage_notes == [f"CloudTrail in stage ({STAGE}): access denied (cloudtrail:LookupEvents); "
                           "its grants use IAM's role last used"]
    assert not any(n.startswith("CloudTrail in prod") or "90 days" in n for n in result.notes)
    long = review(engine.org, engine.iam, now=now, since=timedelta(days=120), cloudtrail_for=engine.cloudtrail)
    assert any("event history covers the last 90 days" in n for n in long.notes)


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_the_command_with_cloudtrail_as_json_csv_and_table(world: Any) -> None:
    box, _engine, keys = world
    assume(box, keys["alice"], "alice")
    code, out, err = invoke("access", "review", "--cloudtrail", "--since", "1d", "-o", "json")
    assert code == ExitCode.OK, err
    data = json.loads(out)
    people = {p["name"]: {(g["environment"], g["role"]): g for g in p["grants"]} for p in data["people"]}
    assert people["alice"]["prod", "admin"]["last_assumed_by_person"].endswith("Z")
    assert people["bob"]["prod", "admin"]["last_assumed_by_person"] == "never"
    assert people["bob"]["prod", "admin"]["flags"] == ["unused grant"]
    assert people["bob"]["prod", "admin"]["cloudtrail_read"] is True
    assert any("by source identity" in n for n in data["notes"])

    code, out, err = invoke("access", "review", "--cloudtrail", "-o", "csv")
    assert code == ExitCode.OK, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == (*CSV_COLUMNS, TRAIL_COLUMN)
    assert {(r["person"], r["environment"], r["role"]): r[TRAIL_COLUMN] for r in rows}["bob", "prod", "admin"] \
        == "never"

    code, out, err = invoke("access", "review", "--cloudtrail")
    assert code == ExitCode.OK, err
    assert "last assumed by person" in out

    code, out, err = invoke("access", "review", "-o", "json")  # without --cloudtrail: as before
    assert code == ExitCode.OK, err
    assert all("last_assumed_by_person" not in g for p in json.loads(out)["people"] for g in p["grants"])
    assert any("is not read by this review" in n for n in json.loads(out)["notes"])



def test_an_assumption_through_the_global_endpoint_is_found_when_the_org_is_elsewhere(tmp_path: Path) -> None:
    """The org in eu-west-1; alice assumes prod's admin through the global STS endpoint, which
    CloudTrail records in us-east-1: the review reads both regions and finds her."""
    from awsroles.sandbox.server.cloudtrail import lookup

    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    path = tmp_path / "awsroles.ini"
    path.write_text(text.replace("mfa = required", "mfa = optional").replace("region = us-east-1",
                                                                             "region = eu-west-1"))
    with applied_in_process(path) as (box, engine):
        assert engine.org.region == "eu-west-1"
        key = engine.iam(box.org.ops).create_access_key(UserName="alice")["AccessKey"]
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=box.endpoint,  # the global endpoint's
                           aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        sts.assume_role(RoleArn=PROD_ADMIN, RoleSessionName="alice", SourceIdentity="alice")
        now = clock.utcnow().replace(tzinfo=timezone.utc) + timedelta(minutes=1)
        def hers(region: str) -> list[Any]:
            return [e for e in lookup(PROD, region, {})["Events"] if '"sourceIdentity": "alice"' in
                    e["CloudTrailEvent"]]
        assert hers("us-east-1") and not hers("eu-west-1")  # recorded where the endpoint was
        result = review(engine.org, engine.iam, now=now, since=timedelta(days=1),
                        cloudtrail_for=engine.cloudtrail)
        alice = {(g.access.environment, g.access.role): g for g in result.people[0].grants}
        assert result.people[0].name == "alice" and alice["prod", "admin"].assumed is not None
        assert alice["prod", "admin"].flags == ()


def test_the_event_history_is_read_at_two_pages_a_second_at_most(world: Any) -> None:
    """LookupEvents allows two requests a second per account and region (CloudTrail API Reference,
    "LookupEvents"): awsroles keeps to it rather than being throttled and retried."""
    import itertools
    import time

    from awsroles.people.assumptions import LOOKUP_INTERVAL, read_events

    box, engine, keys = world
    start = clock.utcnow().replace(tzinfo=timezone.utc, microsecond=0)
    for _ in range(5):
        assume(box, keys["alice"], "alice")
    sent: list[float] = []
    trail_client = trail(engine)
    trail_client.meta.events.register("before-send.cloudtrail.LookupEvents",
                                      lambda **_: sent.append(time.monotonic()))
    events = read_events(trail_client, start, page_size=2)
    mine = [e for e in events if e.get("Username") == "alice"]
    assert len(mine) == 5 and len(sent) >= 3  # every page read: five events two a page
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert LOOKUP_INTERVAL == 0.5 and min(gaps) >= 0.49, gaps  # two a second, whatever the constant says
