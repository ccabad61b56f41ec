"""What the ops account's groups and users carry (desired state), for the shapes of the org file
the plan tests do not use: a team without grants, a team with only a temporary grant, a person
with both a temporary grant and a break-glass role. Written against the mutation run of
awsroles/iam/desired.py (bench/mutation.py, docs/benchmarks.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from awsroles.iam.desired import GROUP_MARKER_POLICY, desired_state, group_marker_document
from awsroles.org.marks import BREAK_GLASS_POLICY_NAME, TEAM_POLICY_NAME, TEMPORARY_POLICY_NAME
from awsroles.org.parse import parse_org

TEXT = """
[org]
name = t
ops_account = ops
path = /awsroles/
[account ops]
id = 111111111111
[account dev]
id = 222222222222
environment = dev
[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
[team a]
members = alice
dev = admin
[team idle]
members = alice
[team oncall]
members = alice
[user alice]
[temporary t-1]
team = oncall
environment = dev
role = admin
until = 2099-01-01T00:00:00Z
reason = INC-1
[temporary t-2]
user = alice
environment = dev
role = admin
until = 2099-01-01T00:00:00Z
reason = INC-2
[break-glass dev]
people = alice
"""


def _ops() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    org, problems = parse_org(TEXT, "t.ini", Path("."))
    assert org is not None, problems
    ops = next(s for s in desired_state(org, now=datetime(2026, 11, 30, tzinfo=timezone.utc))
               if s.account.name == "ops")
    groups = {g.name: {p.name: p.document for p in g.inline} for g in ops.groups}
    users = {u.name: {p.name: p.document for p in u.inline} for u in ops.users}
    return groups, users


def test_every_team_group_carries_the_marker_and_only_teams_with_grants_a_team_policy() -> None:
    groups, _ = _ops()
    for name in ("team-a", "team-idle", "team-oncall"):
        assert json.loads(groups[name][GROUP_MARKER_POLICY]) == json.loads(group_marker_document()), name
    assert TEAM_POLICY_NAME not in groups["team-idle"]
    assert TEAM_POLICY_NAME in groups["team-a"]
    # a team whose only grant is temporary still gets the statement that lets it assume the role
    sids = [s["Sid"] for s in json.loads(groups["team-oncall"][TEAM_POLICY_NAME])["Statement"]]
    assert sids == ["TemporarytX1"]


def test_a_person_keeps_their_temporary_grant_next_to_their_break_glass_policy() -> None:
    _, users = _ops()
    assert sorted(users["alice"]) == [BREAK_GLASS_POLICY_NAME, TEMPORARY_POLICY_NAME]
    sids = [s["Sid"] for s in json.loads(users["alice"][TEMPORARY_POLICY_NAME])["Statement"]]
    assert sids == ["TemporarytX2"]
