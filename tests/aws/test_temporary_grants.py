"""Temporary grants planned and applied against moto in-process, with an injected clock
(docs/temporary-access.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from awsroles.aws import Aws
from awsroles.org.marks import TEAM_POLICY_NAME, TEMPORARY_POLICY_NAME
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from awsroles.sync.engine import Engine
from tests.conftest import EXAMPLES

CLASSIC = (EXAMPLES / "classic.ini").read_text()
BEFORE = datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc)
BETWEEN = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)  # the first grant's end: it has expired
AFTER = datetime(2026, 11, 29, 20, 0, tzinfo=timezone.utc)


def section(grant_id: str, holder: str, until: str) -> str:
    return (f"\n[temporary {grant_id}]\n{holder}\nenvironment = stage\nrole = readonly\nuntil = {until}\n"
            "reason = INC-1234\n")


FIRST = section("t-first", "team = backend", "2026-11-29T18:02:00Z")
SECOND = section("t-second", "team = backend", "2026-11-29T20:00:00Z")
BOBS = section("t-bob", "user = bob", "2026-11-29T18:02:00Z")


def org_with(extra: str) -> Org:
    org, problems = parse_org(CLASSIC + extra, str(EXAMPLES / "classic.ini"), EXAMPLES)
    assert org is not None, problems
    return org


def converge(org: Org, aws: Aws, now: datetime) -> Any:
    """Plan and apply at ``now``; return the plan that was applied. The next plan is empty."""
    engine = Engine(org, aws, clock=lambda: now)
    plan = engine.plan()
    result = engine.apply(plan)
    assert result.ok, result.as_dict()
    again = Engine(org, aws, clock=lambda: now).plan()
    assert again.empty, json.dumps(again.as_dict(), indent=1)[:2000]
    return plan


def temporary_sids(aws: Aws, *, group: str = "", user: str = "") -> set[str]:
    iam = aws.client("iam")
    if group:
        document = iam.get_group_policy(GroupName=group, PolicyName=TEAM_POLICY_NAME)["PolicyDocument"]
    else:
        names = iam.list_user_policies(UserName=user)["PolicyNames"]
        if TEMPORARY_POLICY_NAME not in names:
            return set()
        document = iam.get_user_policy(UserName=user, PolicyName=TEMPORARY_POLICY_NAME)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    return {s["Sid"] for s in document["Statement"] if s["Sid"].startswith("Temporary")}


def test_a_grant_is_added_then_removed_once_expired(ops_aws: Aws) -> None:
    converge(org_with(""), ops_aws, BEFORE)
    org = org_with(FIRST)
    plan = converge(org, ops_aws, BEFORE)
    change = next(c for c in plan.changes if c.name == "team-backend")
    assert "temporary grant t-first until 2026-11-29T18:02:00Z" in change.details
    assert not change.drift
    assert ("stage", "role", "readonly") in {(c.account, c.kind, c.name) for c in plan.changes}
    assert temporary_sids(ops_aws, group="team-backend") == {"TemporarytXfirst"}

    expired = Engine(org, ops_aws, clock=lambda: BETWEEN).plan()
    change = next(c for c in expired.changes if c.name == "team-backend")
    assert "temporary grant t-first (until 2026-11-29T18:02:00Z) removed" in change.details
    assert not change.drift
    assert any("temporary grant 't-first' (team backend, readonly in stage) expired at 2026-11-29T18:02:00Z" in n
               for n in expired.notes), expired.notes
    converge(org, ops_aws, BETWEEN)
    assert temporary_sids(ops_aws, group="team-backend") == set()
    # the role stays while the section does: only the statement that lets the team assume it ends
    assert ops_aws.for_account("333333333333", "admin").client("iam").get_role(RoleName="readonly")


def test_overlapping_grants_one_expires_the_other_stays(ops_aws: Aws) -> None:
    org = org_with(FIRST + SECOND)
    converge(org, ops_aws, BEFORE)
    assert temporary_sids(ops_aws, group="team-backend") == {"TemporarytXfirst", "TemporarytXsecond"}
    plan = converge(org, ops_aws, BETWEEN)
    change = next(c for c in plan.changes if c.name == "team-backend")
    assert list(change.details) == ["change inline policy awsroles-assume-roles",
                                    "temporary grant t-first (until 2026-11-29T18:02:00Z) removed"]
    assert temporary_sids(ops_aws, group="team-backend") == {"TemporarytXsecond"}
    converge(org, ops_aws, AFTER)
    assert temporary_sids(ops_aws, group="team-backend") == set()


def test_a_persons_grant_is_their_own_inline_policy_not_drift(ops_aws: Aws) -> None:
    org = org_with(BOBS)
    converge(org, ops_aws, BEFORE)
    assert temporary_sids(ops_aws, user="bob") == {"TemporarytXbob"}
    plan = Engine(org, ops_aws, clock=lambda: BETWEEN).plan()
    change = next(c for c in plan.changes if c.name == "bob")
    assert not change.drift
    assert "remove inline policy awsroles-temporary" in " ".join(change.details)
    converge(org, ops_aws, BETWEEN)
    assert temporary_sids(ops_aws, user="bob") == set()


def test_another_inline_policy_on_a_user_is_still_drift(ops_aws: Aws) -> None:
    org = org_with(BOBS)
    converge(org, ops_aws, BEFORE)
    ops_aws.client("iam").put_user_policy(UserName="bob", PolicyName="extra", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    change = next(c for c in Engine(org, ops_aws, clock=lambda: BEFORE).plan().changes if c.name == "bob")
    assert change.drift and "remove inline policy extra" in " ".join(change.details)
