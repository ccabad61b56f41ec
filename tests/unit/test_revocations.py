"""The awsroles-revoked-sessions statements: building, merging, expiry with an injected clock, size."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from awsroles.iam import revocations
from awsroles.iam.revocations import RevocationTooLarge, add, document, kept, merge, parse, reconcile, revocation

T = datetime(2026, 11, 29, 14, 2, 0, tzinfo=timezone.utc)


def test_statement_is_awss_revoke_sessions_pattern_narrowed_to_the_people() -> None:
    st = revocation(T, ["bob", "alice", "bob"]).statement()
    assert st["Effect"] == "Deny" and st["Action"] == "*" and st["Resource"] == "*"
    assert st["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": "2026-11-29T14:02:00Z"},
                               "StringEquals": {"aws:SourceIdentity": ["alice", "bob"]}}
    assert st["Sid"].startswith("Revoke20261129T140200Z") and st["Sid"].isalnum()


def test_moment_rounds_up_to_the_next_second_and_must_be_aware() -> None:
    assert revocation(T + timedelta(microseconds=1), ["bob"]).issued_before == "2026-11-29T14:02:01Z"
    with pytest.raises(ValueError):
        revocation(T.replace(tzinfo=None), ["bob"])
    with pytest.raises(ValueError):
        revocation(T, [])


def test_sids_differ_by_people_and_by_moment() -> None:
    a, b, c = revocation(T, ["bob"]), revocation(T, ["carol"]), revocation(T + timedelta(seconds=1), ["bob"])
    assert len({a.sid, b.sid, c.sid}) == 3


def test_same_moment_merges_into_one_statement() -> None:
    merged = merge([revocation(T, ["bob"]), revocation(T, ["carol"]), revocation(T + timedelta(hours=1), ["bob"])])
    assert [(r.issued_before, r.people) for r in merged] == [
        ("2026-11-29T14:02:00Z", ("bob", "carol")), ("2026-11-29T15:02:00Z", ("bob",))]


def test_document_round_trips_through_parse() -> None:
    items = (revocation(T, ["bob"]), revocation(T + timedelta(minutes=5), ["carol", "dave"]))
    text = document(items)
    assert text is not None and parse(text) == items and parse(json.loads(text)) == items
    assert document(()) is None


def test_kept_while_t_plus_max_session_is_in_the_future() -> None:
    item = revocation(T, ["bob"])
    assert kept([item], T + timedelta(seconds=3599), 3600) == (item,)
    assert kept([item], T + timedelta(seconds=3600), 3600) == ()
    assert kept([item], T + timedelta(hours=11), 43200) == (item,)


def test_add_drops_expired_first_and_merges_the_same_moment() -> None:
    old = document([revocation(T - timedelta(hours=2), ["carol"]), revocation(T, ["dave"])])
    text = add(old, revocation(T, ["bob"]), now=T, max_session=3600)
    assert parse(text) == (revocation(T, ["bob", "dave"]),)


def test_add_refuses_past_the_role_inline_quota() -> None:
    many = [f"person{n:03d}" for n in range(40)]
    assert add(None, revocation(T, many), now=T, max_session=3600) is not None
    with pytest.raises(RevocationTooLarge, match="10240"):
        add(None, revocation(T, many), now=T, max_session=3600, other_inline_size=9800)


def test_reconcile_removes_expired_and_puts_back_hand_changes() -> None:
    live = json.loads(document([revocation(T - timedelta(hours=2), ["carol"]), revocation(T, ["bob"])]) or "")
    found = reconcile(live, now=T + timedelta(minutes=1), max_session=3600)
    assert found.expired == (revocation(T - timedelta(hours=2), ["carol"]),) and not found.put_back
    assert parse(found.document) == (revocation(T, ["bob"]),)
    assert reconcile(live, now=T + timedelta(hours=2), max_session=3600).document is None
    same = reconcile(live, now=T - timedelta(minutes=90), max_session=3600)
    assert not same.expired and not same.put_back
    live["Statement"].append({"Sid": "Mine", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    changed = reconcile(live, now=T, max_session=3600)
    assert changed.put_back and "s3:*" not in (changed.document or "")
    assert revocations.POLICY_NAME == "awsroles-revoked-sessions"


def test_everyone_is_a_statement_without_source_identity_that_parses_back_and_takes_the_moment() -> None:
    """Identity Center alone: a break-glass session names nobody, so ending one ends them all
    (docs/temporary-access.md, "Break-glass through IAM Identity Center")."""
    from awsroles.iam.revocations import EVERYONE

    at = datetime(2026, 11, 29, 14, 2, tzinfo=timezone.utc)
    everyone = revocation(at, [EVERYONE])
    assert everyone.statement()["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": "2026-11-29T14:02:00Z"}}
    text = document([everyone, revocation(at, ["bob"])])  # the same moment: everyone covers bob
    assert text is not None and parse(text) == (everyone,)
    assert "aws:SourceIdentity" not in text
    hand_made = json.loads(document([revocation(at, ["bob"])]) or "")
    hand_made["Statement"][0]["Condition"]["StringEquals"]["aws:SourceIdentity"] = ["*"]
    assert parse(hand_made) == ()  # a source identity "*" is nobody's: not awsroles' statement
