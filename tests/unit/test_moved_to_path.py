"""Resources brought to the org's path (``[user] move_from``, ``[team] move_from``, ``[role] replaces``
and ``retires``): read, checked, written back; the team policy during a replacement; the apply guard on
moves; the sandbox's UpdateGroup and UpdateUser as IAM has them."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from awsroles.iam import policies
from awsroles.iam.checks import parse_org
from awsroles.importer.build import parse_adopt
from awsroles.org.model import Org
from awsroles.org.write import render_org_file
from awsroles.sync.apply import run_change
from awsroles.sync.plan import Change
from tests.conftest import EXAMPLES

ORG = """\
[org]
name = acme
ops_account = ops
mfa = required

[account ops]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[role acme-developer]
replaces = /Developer
managed = arn:aws:iam::aws:policy/PowerUserAccess

[team developers]
group = /awsroles/Developers
move_from = /
members = alice
dev = acme-developer

[user alice]
move_from = /
"""


def _parse(text: str) -> tuple[Org | None, list[str]]:
    org, problems = parse_org(text, "awsroles.ini", EXAMPLES)
    return org, [str(p) for p in problems if p.is_error]


def test_the_keys_are_read_and_written_back() -> None:
    org, errors = _parse(ORG)
    assert errors == [] and org is not None
    assert org.user_path("alice") == "/awsroles/" and org.team_group("developers") == ("/awsroles/", "Developers")
    assert org.moving() == {"group": {"Developers": "/"}, "user": {"alice": "/"}}
    assert org.replaced_roles() == {"Developer": ("/", "acme-developer", False)}
    assert org.read_where() == {"role": {"Developer": "/"}, "group": {"Developers": "/"}, "user": {"alice": "/"}}
    back, errors = _parse(render_org_file(org, "policies"))
    assert errors == [] and back == org
    retired, errors = _parse(ORG.replace("replaces =", "retires ="))
    assert errors == [] and retired is not None
    assert retired.replaced_roles() == {"Developer": ("/", "acme-developer", True)}
    assert "retires = /Developer" in render_org_file(retired, "policies")


def test_while_replaced_the_team_keeps_the_old_role_as_it_was_used_with_mfa() -> None:
    org, _ = _parse(ORG)
    assert org is not None
    statements = {s["Sid"]: s for s in policies.team_policy(org, org.teams[0])["Statement"]}
    assert statements["AssumeDevRoles"]["Resource"] == ["arn:aws:iam::222222222222:role/awsroles/acme-developer"]
    old = statements["AssumeDevReplacedRoles"]
    assert old["Resource"] == ["arn:aws:iam::222222222222:role/Developer"]
    assert old["Action"] == "sts:AssumeRole"  # no SetSourceIdentity, no source identity condition
    assert old["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                "NumericLessThan": {"aws:MultiFactorAuthAge": "43200"}}
    retired, _ = _parse(ORG.replace("replaces =", "retires ="))
    assert retired is not None
    assert [s["Sid"] for s in policies.team_policy(retired, retired.teams[0])["Statement"]] == ["AssumeDevRoles"]
    optional, _ = _parse(ORG.replace("mfa = required", "mfa = optional"))
    assert optional is not None
    assert "Condition" not in {s["Sid"]: s for s in policies.team_policy(optional, optional.teams[0])["Statement"]}[
        "AssumeDevReplacedRoles"]


@pytest.mark.parametrize(("edit", "error"), [
    (("[user alice]\nmove_from = /", "[user alice]\nmove_from = /awsroles/"),
     "move_from '/awsroles/' is where the org file wants it already"),
    (("[user alice]\nmove_from = /", "[user alice]\nmove_from = people"), "move_from 'people' is not an IAM path"),
    (("[user alice]\nmove_from = /", "[user alice]\nmove_from = /aws-reserved/"), "is AWS's own path"),
    (("group = /awsroles/Developers\nmove_from = /", "group = /Developers\nmove_from = /"),
     "move_from '/' is where the org file wants it already"),
    (("replaces = /Developer", "replaces = Developer"), "replaces 'Developer' is not an IAM role's path and name"),
    (("replaces = /Developer", "replaces = /ACME-developer"), "has this role's own name"),
    (("replaces = /Developer", "replaces = /OrganizationAccountAccessRole"), "is the bootstrap role"),
    (("replaces = /Developer", "replaces = /service-role/Developer"), "at AWS's own path"),
    (("replaces = /Developer", "retires = /awsroles/breakglass"),
     "is at the org's path, where the roles are awsroles' own"),
    (("replaces = /Developer", "replaces = /Developer\nretires = /Developer"), "keep one"),
    (("[team developers]", "[role other]\nreplaces = /Developer\n\n[team developers]"),
     "is replaced by role 'acme-developer' already"),
    (("[team developers]", "[role Developer]\n\n[team developers]"),
     "is role 'Developer' of the org file: only a role awsroles does not declare can be replaced"),
])
def test_what_cannot_be_moved_or_replaced_is_refused(edit: tuple[str, str], error: str) -> None:
    _, errors = _parse(ORG.replace(*edit))
    assert any(error in e for e in errors), errors


def test_adopt_routes() -> None:
    assert parse_adopt("users=in-place, roles=in-place") == ({"users", "roles"}, set())
    assert parse_adopt("all=move") == ({"users", "teams", "roles"}, {"users", "teams", "roles"})
    assert parse_adopt("all=recreate,roles=in-place") == ({"users", "teams", "roles"}, {"users", "teams"})
    assert parse_adopt("users=move,teams=in-place") == ({"users", "teams"}, {"users"})


def _change(*ops: tuple[str, dict[str, str]]) -> Change:
    return Change("ops", "111111111111", "update", "user", "alice", ops=tuple(ops))


def test_apply_runs_a_move_and_never_a_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # moto in-process, not the dead endpoint
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice", Path="/")
        with pytest.raises(ValueError, match="refusing to run 'update_user' with NewUserName: awsroles only moves"):
            run_change(iam, _change(("update_user", {"UserName": "alice", "NewUserName": "mallory"})))
        with pytest.raises(ValueError, match="refusing to run 'update_group' with NewGroupName"):
            run_change(iam, _change(("update_group", {"GroupName": "g", "NewPath": "/x/", "NewGroupName": "h"})))
        run_change(iam, _change(("update_user", {"UserName": "alice", "NewPath": "/awsroles/"})))
        assert iam.get_user(UserName="alice")["User"]["Path"] == "/awsroles/"


def test_the_sandbox_moves_groups_and_keeps_a_moved_users_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.sandbox.server.moves import patch_group_moves

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    undo = patch_group_moves()
    try:
        with mock_aws():
            iam = boto3.client("iam", region_name="us-east-1")
            iam.create_group(GroupName="Developers", Path="/")
            iam.create_user(UserName="alice", Path="/", Tags=[{"Key": "managed-by", "Value": "awsroles"}])
            iam.add_user_to_group(GroupName="Developers", UserName="alice")
            iam.update_group(GroupName="Developers", NewPath="/awsroles/")
            group = iam.get_group(GroupName="Developers")
            assert group["Group"]["Arn"] == "arn:aws:iam::123456789012:group/awsroles/Developers"
            assert [u["UserName"] for u in group["Users"]] == ["alice"]
            # Terraform's AWS provider sends the group's own name with the new path: a move, as in IAM
            iam.update_group(GroupName="Developers", NewGroupName="Developers", NewPath="/teams/")
            assert iam.get_group(GroupName="Developers")["Group"]["Path"] == "/teams/"
            iam.update_user(UserName="alice", NewPath="/awsroles/")
            assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "managed-by", "Value": "awsroles"}]
            with pytest.raises(iam.exceptions.NoSuchEntityException):
                iam.update_group(GroupName="nobody", NewPath="/awsroles/")
    finally:
        undo()
