"""A team granted a role in many environments (issue 20): its policy takes the per-role form
(``arn:aws:iam::*:role/PATH/NAME`` where ``aws:ResourceAccount`` lists the accounts) once the
per-environment one outgrows the group's 5,120 characters, and it allows exactly what it did: the
role in the accounts granted, never the same role in another account. A sandbox in this process
evaluates the caller's identity policy (with ``aws:ResourceAccount``) and the role's trust policy on
every AssumeRole; the import reads the grants back from the per-role form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.iam import policies
from awsroles.importer.build import ImportOptions, collect
from awsroles.org.entries import Grant
from awsroles.org.marks import TEAM_POLICY_NAME
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sandbox.process import Sandbox
from awsroles.sync.engine import Engine
from tests.aws.conftest import applied_with_key, assume_as

GRANTED = 33  # environments e00..e32: platform's; e33..e35 hold the same role for another team
ENVIRONMENTS = 36


def _org_text() -> str:
    lines = ["[org]", "name = wide", "ops_account = ops", "mfa = optional", "",
             "[account ops]", "id = 100000000000", ""]
    for n in range(ENVIRONMENTS):
        lines += [f"[account a{n:02}]", f"id = {200000000000 + n}", f"environment = e{n:02}", ""]
    lines += ["[role admin]", "managed = arn:aws:iam::aws:policy/ReadOnlyAccess", "",
              "[team platform]", "members = alice", *[f"e{n:02} = admin" for n in range(GRANTED)], "",
              "[team others]", "members = bob", *[f"e{n:02} = admin" for n in range(GRANTED, ENVIRONMENTS)], "",
              "[user alice]", "", "[user bob]", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Org, tuple[str, str]]]:
    path = tmp_path_factory.mktemp("wide") / "awsroles.ini"
    path.write_text(_org_text())
    with applied_with_key(path, "alice") as made:
        yield made


def _assume(box: Sandbox, keys: tuple[str, str], account: str) -> dict[str, Any]:
    return assume_as(box, keys, f"arn:aws:iam::{account}:role/awsroles/admin", "alice")


def test_a_team_granted_in_many_environments_gets_the_per_role_form(wide: Any) -> None:
    box, org, _ = wide
    team = org.team("platform")
    assert policies.team_policy_form(org, team) == policies.PER_ROLE
    assert policies.team_policy_form(org, org.team("others")) == policies.PER_ENVIRONMENT
    live = Engine(org, box.aws()).iam(org.ops).get_group_policy(GroupName="team-platform",
                                                                 PolicyName=TEAM_POLICY_NAME)["PolicyDocument"]
    document = live if isinstance(live, dict) else json.loads(live)
    assert document["Statement"] == [{
        "Sid": "AssumeAdminInAccounts",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Resource": "arn:aws:iam::*:role/awsroles/admin",
        "Condition": {"StringEquals": {"sts:SourceIdentity": "${aws:username}",
                                       "aws:ResourceAccount": [str(200000000000 + n) for n in range(GRANTED)]}},
    }]
    assert policies.policy_size(document) <= policies.TEAM_POLICY_ROOM
    assert Engine(org, box.aws()).plan().empty  # what apply wrote is what the plan wants: no drift


def test_the_role_is_assumable_in_the_accounts_granted_and_refused_in_the_others(wide: Any) -> None:
    box, _, keys = wide
    for n in (0, 17, GRANTED - 1):
        assert _assume(box, keys, str(200000000000 + n))["Credentials"]["AccessKeyId"]
    for n in (GRANTED, ENVIRONMENTS - 1):  # the same role, trusting every person of the org: not hers
        with pytest.raises(ClientError) as refused:
            _assume(box, keys, str(200000000000 + n))
        assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_the_import_reads_the_grants_back_from_the_per_role_form(wide: Any) -> None:
    box, org, _ = wide
    accounts = tuple(f"{a.name}={a.id}:{a.environment}" for a in org.accounts if a.environment)
    imported = collect(box.aws(), ImportOptions(accounts=accounts, path=org.path))
    assert not [w for w in imported.warnings if "platform" in w], imported.warnings
    assert sorted(imported.org.team("platform").grants) == sorted(Grant(f"e{n:02}", "admin") for n in range(GRANTED))
    assert imported.plan.empty


def test_validate_explains_the_form(wide: Any, tmp_path: Path) -> None:
    """validate -v names each team's form and its room left (issue 20: the headroom per team)."""
    from awsroles.cli import run
    from awsroles.cli.app import App

    _, org, _ = wide
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        code = run(["-f", str(org.source), "validate", "-v"], App(stdout=stream, stderr=stream))
    text = out.read_text()
    assert code == 0, text
    platform = policies.policy_size(policies.team_policy(org, org.team("platform")))
    assert (f"team platform: per-role form, {platform} of {policies.TEAM_POLICY_ROOM} characters "
            f"({policies.TEAM_POLICY_ROOM - platform} left)") in text
    assert "team others: per-environment form" in text
    assert load_org(org.source) == org
