"""The access review's classification (pure, the clock passed in), ``--since`` and the CSV's columns."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from awsroles.cli.access_review import CSV_COLUMNS, csv_table, tables
from awsroles.errors import UsageError
from awsroles.org.entries import BreakGlass, TemporaryGrant
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.people.activity import IamUse, KeyUse
from awsroles.people.assumptions import TrailRead
from awsroles.people.review import RoleUse, accesses, classify, iso, parse_since
from tests.conftest import EXAMPLES

NOW = datetime(2026, 11, 29, 14, 2, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@pytest.fixture
def classic() -> Org:
    return load_org(EXAMPLES / "classic.ini")


@pytest.mark.parametrize(("text", "expected"), [
    ("90d", timedelta(days=90)), ("36h", timedelta(hours=36)), ("1d12h", timedelta(days=1, hours=12)),
    (" 7D ", timedelta(days=7)),
])
def test_since_takes_days_and_hours(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "90", "3 weeks", "10m", "0d", "0h", "d", "-5d", "1h1d"])
def test_since_refuses_anything_else(text: str) -> None:
    with pytest.raises(UsageError, match="--since"):
        parse_since(text)


def test_iso_is_utc_with_z_and_never_spelled_out() -> None:
    assert iso(NOW) == "2026-11-29T14:02:00Z"
    assert iso(datetime(2026, 11, 29, 15, 2, 0, 999, tzinfo=timezone(timedelta(hours=1)))) == "2026-11-29T14:02:00Z"
    assert iso(None) == "never"


def roles(org: Org, last: dict[tuple[str, str], datetime | None]) -> dict[tuple[str, str], RoleUse]:
    every = {(g.environment, g.role) for t in org.teams for g in t.grants}
    return {pair: RoleUse(*pair, True, last.get(pair)) for pair in every}


def test_classification_against_the_cutoff(classic: Org) -> None:
    uses = {
        "alice": IamUse("alice", password=True, password_last_used=NOW - 100 * DAY,
                        keys=(KeyUse("AKIAOLDBUTUSED", "Active", NOW - 5 * DAY, NOW - 400 * DAY),)),
        "bob": IamUse("bob", keys=(KeyUse("AKIAOLDUNUSED", "Active", NOW - 91 * DAY, NOW - 200 * DAY),
                                   KeyUse("AKIANEWUNUSED", "Active", None, NOW - 10 * DAY))),
    }
    used = roles(classic, {("dev", "admin"): NOW - 89 * DAY, ("prod", "admin"): NOW - 91 * DAY})
    review = classify(classic, uses, used, now=NOW, since=90 * DAY)
    assert review.cutoff == NOW - 90 * DAY
    alice, bob = review.people
    assert alice.flags == ("unused grant stage/admin", "unused grant prod/admin")  # a key used 5 days ago: active
    assert [g.flags for g in alice.grants] == [(), ("unused grant",), ("unused grant",)]
    assert alice.keys[0].flags == ()
    assert bob.flags[:2] == ("inactive", "old unused key AKIAOLDUNUSED")  # last use 91 days ago; a new key is no flag
    assert [k.flags for k in bob.keys] == [("old unused key",), ()]
    longer = classify(classic, uses, used, now=NOW, since=92 * DAY)
    assert "inactive" not in longer.people[1].flags and longer.people[0].grants[2].flags == ()


def test_never_used_and_not_in_iam(classic: Org) -> None:
    review = classify(classic, {"alice": IamUse("alice", password=True)}, {}, now=NOW, since=90 * DAY)
    alice, bob = review.people
    assert alice.flags[0] == "never used" and bob.flags == ("not in IAM",) and bob.use is None
    assert all(g.flags == ("role not in AWS",) for g in alice.grants)  # not applied yet: not "unused"
    data = review.as_dict()
    assert data["people"][1]["in_iam"] is False and data["people"][0]["password_last_used"] == "never"
    assert data["reviewed_at"] == "2026-11-29T14:02:00Z" and data["cutoff"] == "2026-08-31T14:02:00Z"


def test_temporary_grants_reach_the_person_or_the_team_and_show_until(classic: Org) -> None:
    org = replace(classic, temporary_grants=(
        TemporaryGrant("t-1", "stage", "readonly", NOW + 4 * timedelta(hours=1), "INC-1234", team="backend"),
        TemporaryGrant("t-2", "prod", "readonly", NOW - timedelta(hours=1), "INC-1200", user="bob"),
        TemporaryGrant("t-3", "prod", "admin", NOW + DAY, "INC-1300", user="alice", start=NOW + timedelta(hours=2)),
    ))
    found = accesses(org, "bob")
    assert [(a.environment, a.role, a.kind, a.via) for a in found] == [
        ("dev", "developer", "standing", "team backend"), ("dev", "readonly", "standing", "team backend"),
        ("stage", "readonly", "temporary", "team backend"), ("prod", "readonly", "temporary", "user")]
    assert found[2].until == NOW + 4 * timedelta(hours=1) and found[2].grant_id == "t-1"
    review = classify(org, {}, roles(classic, {}) | {("stage", "readonly"): RoleUse("stage", "readonly", True, NOW),
                                                     ("prod", "readonly"): RoleUse("prod", "readonly")},
                      now=NOW, since=90 * DAY)
    alice, bob = review.people
    assert [g.flags for g in bob.grants][2:] == [(), ("expired", "unused grant")]
    assert alice.grants[-1].access.starts == NOW + timedelta(hours=2) and alice.grants[-1].flags == (
        "not started", "unused grant")
    assert alice.as_dict()["grants"][-1]["from"] == "2026-11-29T16:02:00Z"
    rows = csv_table(review).rows
    temporary = [r for r in rows if r[CSV_COLUMNS.index("grant")] == "temporary"]
    assert [(r[2], r[CSV_COLUMNS.index("until")], r[CSV_COLUMNS.index("reason")]) for r in temporary] == [
        ("alice", "2026-11-30T14:02:00Z", "INC-1300"), ("bob", "2026-11-29T18:02:00Z", "INC-1234"),
        ("bob", "2026-11-29T13:02:00Z", "INC-1200")]
    grants = tables(review)[1]
    assert ["bob", "stage", "readonly", "temporary until 2026-11-29T18:02:00Z (team backend)",
            "2026-11-29T14:02:00Z", "-"] in [list(r) for r in grants.rows]
    assert ["alice", "prod", "admin", "temporary from 2026-11-29T16:02:00Z until 2026-11-30T14:02:00Z (user)",
            "never", "not started; unused grant"] in [list(r) for r in grants.rows]


def test_csv_has_stable_columns_one_row_per_person_and_grant(classic: Org) -> None:
    assert CSV_COLUMNS == (
        "reviewed_at", "cutoff", "person", "teams", "in_iam", "password", "password_last_used", "keys",
        "last_active", "person_flags", "environment", "role", "grant", "via", "from", "until", "grant_id", "reason",
        "role_last_used", "grant_flags")
    review = classify(classic, {}, roles(classic, {}), now=NOW, since=90 * DAY)
    rows = csv_table(review).rows
    assert len(rows) == 5 and all(len(r) == len(CSV_COLUMNS) for r in rows)
    assert rows[0][:3] == ["2026-11-29T14:02:00Z", "2026-08-31T14:02:00Z", "alice"]
    lonely = replace(classic, teams=tuple(t for t in classic.teams if t.name != "backend"))  # bob: no grant
    rows = csv_table(classify(lonely, {}, {}, now=NOW, since=90 * DAY)).rows
    assert [r[2] for r in rows] == ["alice", "alice", "alice", "bob"]
    assert rows[3][CSV_COLUMNS.index("environment"):] == [""] * 10


def test_break_glass_roles_are_listed_for_the_people_named_and_flagged_only_when_used(classic: Org) -> None:
    org = replace(classic, break_glass=(BreakGlass("prod", ("alice",)),))
    assert [(a.environment, a.role, a.kind, a.via) for a in accesses(org, "alice")][-1] == (
        "prod", "breakglass", "break-glass", "[break-glass prod]")
    assert all(a.kind != "break-glass" for a in accesses(org, "bob"))  # not named: never listed
    unused = roles(classic, {}) | {("prod", "breakglass"): RoleUse("prod", "breakglass", True, None)}
    review = classify(org, {}, unused, now=NOW, since=90 * DAY)
    glass = review.people[0].grants[-1]
    assert glass.flags == ()  # unused is as it should be: never an "unused grant"
    assert not any("breakglass" in f for f in review.people[0].flags)

    used = unused | {("prod", "breakglass"): RoleUse("prod", "breakglass", True, NOW - 3 * DAY)}
    review = classify(org, {}, used, now=NOW, since=90 * DAY)
    assert review.people[0].grants[-1].flags == ("break-glass used",)
    assert "break-glass used prod/breakglass" in review.people[0].flags
    assert ["alice", "prod", "breakglass", "break-glass ([break-glass prod])", "2026-11-26T14:02:00Z",
            "break-glass used"] in [list(r) for r in tables(review)[1].rows]
    assert [r[CSV_COLUMNS.index("grant")] for r in csv_table(review).rows if r[2] == "alice"][-1] == "break-glass"
    assert review.as_dict()["people"][0]["grants"][-1]["kind"] == "break-glass"

    # CloudTrail read: used by someone else since the cut-off, not by alice: no flag for her.
    arn = org.role_arn("prod", "breakglass")
    trail = TrailRead({("bob", arn): NOW - DAY}, frozenset({"prod"}))
    assert classify(org, {}, used, now=NOW, since=90 * DAY, trail=trail).people[0].grants[-1].flags == ()
    trail = TrailRead({("alice", arn): NOW - DAY}, frozenset({"prod"}))
    assert classify(org, {}, used, now=NOW, since=90 * DAY, trail=trail).people[0].grants[-1].flags == (
        "break-glass used",)


def test_a_second_region_not_read_is_a_note_and_the_first_regions_data_is_kept(classic: Org) -> None:
    """docs/people.md, Regions: the global STS endpoint's region that cannot be read is a note."""
    arn = classic.role_arn("dev", "admin")
    trail = TrailRead({("alice", arn): NOW - DAY}, frozenset({"dev", "stage", "prod"}),
                      partly={"dev": "us-east-1: access denied (cloudtrail:LookupEvents)"})
    review = classify(classic, {}, roles(classic, {}), now=NOW, since=90 * DAY, trail=trail)
    assert ("CloudTrail in dev (222222222222) in us-east-1: access denied (cloudtrail:LookupEvents): "
            "assumptions through the global STS endpoint are not seen") in review.notes
    dev_admin = next(g for g in review.people[0].grants if (g.access.environment, g.access.role) == ("dev", "admin"))
    assert dev_admin.trail is True and dev_admin.assumed == NOW - DAY and dev_admin.flags == ()
