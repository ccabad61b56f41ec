"""``import --adopt KIND=move``: a console-made org brought to the org's path, against moto in-process.

Users and teams' groups are moved (UpdateUser/UpdateGroup ``NewPath``: the same user, keys and
groups); roles are recreated under new names at the path, and the old ones stay, still granted and
as they were, until their ``replaces`` line becomes ``retires``: then apply deletes them. The org is
:mod:`awsroles.sandbox.console_org`'s (the ``console_org`` fixture).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.engine import Engine
from awsroles.sync.plan import PlanOptions

ALL = frozenset({"users", "teams", "roles"})


def _accounts(org: Org) -> tuple[str, ...]:
    return tuple(f"{a.name}={a.id}:{a.environment}" for a in org.accounts if a.environment)


def _import(aws: Aws, org: Org, tmp_path: Path, moves: frozenset[str] = ALL) -> Org:
    imported = collect(aws, ImportOptions(accounts=_accounts(org), name="acme", adopt=ALL, moves=moves))
    write_import(imported, tmp_path / "awsroles.ini")
    return load_org(tmp_path / "awsroles.ini")


def _iam(aws: Aws, org: Org, account: str) -> Any:
    return aws.client("iam", aws.for_account(org.account(account).id, "admin"))


def _apply(org: Org, aws: Aws, adopt: bool = True) -> None:
    engine = Engine(org, aws)
    result = engine.apply(engine.plan(options=PlanOptions(adopt=adopt)))
    assert result.ok, "\n".join(result.summary())
    again = Engine(org, aws).plan()
    assert again.empty and not again.conflicts and not again.unowned, json.dumps(again.as_dict(), indent=1)[:3000]


def _grants(ops: Any, group: str) -> set[str]:
    document = ops.get_group_policy(GroupName=group, PolicyName="awsroles-assume-roles")["PolicyDocument"]
    return {arn for s in document["Statement"] for arn in s["Resource"]}


def test_the_import_moves_people_and_groups_and_recreates_roles_under_new_names(ops_aws: Aws, console_org: Org,
                                                                                 tmp_path: Path) -> None:
    imported = collect(ops_aws, ImportOptions(accounts=_accounts(console_org), name="acme", adopt=ALL, moves=ALL))
    org = imported.org
    assert [(u.name, u.path, u.move_from) for u in org.users] == [("alice", "", "/"), ("bob", "", "/"),
                                                                  ("carol", "", "/")]
    assert [(t.name, t.group, t.move_from, [(g.environment, g.role) for g in t.grants]) for t in org.teams] == [
        ("admins", "/awsroles/Admins", "/", [("dev", "acme-admin"), ("prod", "acme-admin"), ("stage", "acme-admin")]),
        ("developers", "/awsroles/Developers", "/", [("dev", "acme-developer"), ("stage", "acme-developer")])]
    # `developer` is `Developer` to IAM (names ignore case): taken, so the org's name goes in front
    assert [(r.name, r.path, r.replaces, r.retire) for r in org.roles] == [
        ("acme-admin", "", "/Admin", False), ("acme-developer", "", "/Developer", False)]
    assert "[user bob]\nmove_from = /\n" in imported.text
    assert "[team developers]\ngroup = /awsroles/Developers\nmove_from = /\n" in imported.text
    assert "[role acme-developer]\nreplaces = /Developer\n" in imported.text
    # nothing moved is listed as not imported; the rest is, as in place
    left = {(n.kind, n.name) for n in imported.not_imported}
    assert left == {("user", "ci-deploy"), ("group", "Auditors")}
    moves = [(c.kind, c.name, d) for c in imported.plan.changes for d in c.details if d.startswith("move from")]
    assert ("user", "bob", "move from / to /awsroles/ (same user, now arn:aws:iam::111111111111:user/awsroles/bob)") \
        in moves
    assert ("group", "Developers", "move from / to /awsroles/ (same group, now "
            "arn:aws:iam::111111111111:group/awsroles/Developers)") in moves
    assert {(c.account, c.name) for c in imported.plan.changes if c.kind == "role" and c.action == "create"} == {
        ("dev", "acme-admin"), ("stage", "acme-admin"), ("prod", "acme-admin"), ("dev", "acme-developer"),
        ("stage", "acme-developer")}
    assert not [c for c in imported.plan.changes if c.kind == "role" and c.name in ("Admin", "Developer")]


def test_moving_keeps_people_working_and_the_old_roles_until_they_are_retired(ops_aws: Aws, console_org: Org,
                                                                              tmp_path: Path) -> None:
    ops = ops_aws.client("iam")
    key = ops.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    dev = _iam(ops_aws, console_org, "dev")
    old_trust = dev.get_role(RoleName="Developer")["Role"]["AssumeRolePolicyDocument"]
    org = _import(ops_aws, console_org, tmp_path)
    plan = Engine(org, ops_aws).plan()
    assert {c.name for c in plan.conflicts} >= {"bob", "Developers"}  # not awsroles' yet: --adopt
    assert "where the org file moves it from (move_from)" in next(c.reason for c in plan.conflicts if c.name == "bob")
    _apply(org, ops_aws)

    # people: the same users at the org's path, with their keys and groups
    bob = ops.get_user(UserName="bob")["User"]
    assert bob["Arn"] == "arn:aws:iam::111111111111:user/awsroles/bob"
    assert [k["AccessKeyId"] for k in ops.list_access_keys(UserName="bob")["AccessKeyMetadata"]] == [key]
    assert {g["GroupName"] for g in ops.list_groups_for_user(UserName="carol")["Groups"]} == {
        "Developers", "Auditors", "awsroles-users"}
    assert ops.get_group(GroupName="Developers")["Group"]["Path"] == "/awsroles/"
    assert ops.get_user(UserName="ci-deploy")["User"]["Path"] == "/"  # not adopted: where it was
    assert ops.get_group(GroupName="Auditors")["Group"]["Path"] == "/"
    # roles: the new one at the path, the old one as it was, both granted to the team
    new = dev.get_role(RoleName="acme-developer")["Role"]
    assert new["Path"] == "/awsroles/"
    assert dev.list_attached_role_policies(RoleName="acme-developer")["AttachedPolicies"][0]["PolicyName"] == \
        "PowerUserAccess"
    old = dev.get_role(RoleName="Developer")["Role"]
    assert old["Path"] == "/" and old["AssumeRolePolicyDocument"] == old_trust and not old.get("Tags")
    assert _grants(ops, "Developers") == {
        "arn:aws:iam::222222222222:role/awsroles/acme-developer",
        "arn:aws:iam::333333333333:role/awsroles/acme-developer",
        "arn:aws:iam::222222222222:role/Developer", "arn:aws:iam::333333333333:role/Developer"}
    document = ops.get_group_policy(GroupName="Developers", PolicyName="awsroles-assume-roles")["PolicyDocument"]
    replaced = next(s for s in document["Statement"] if "arn:aws:iam::222222222222:role/Developer" in s["Resource"])
    # the old role as it was used (no SourceIdentity), with MFA as awsroles requires it
    assert replaced["Action"] == "sts:AssumeRole" and "StringEquals" not in replaced["Condition"]
    assert replaced["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    # the new role trusts the moved people by awsroles' path
    trust = new["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"]["ArnLike"]["aws:PrincipalArn"] == "arn:aws:iam::111111111111:user/awsroles/*"

    # retiring: the old roles go, and with them their grants
    ini = tmp_path / "awsroles.ini"
    ini.write_text(ini.read_text().replace("replaces = /", "retires = /"))
    retired = load_org(ini)
    plan = Engine(retired, ops_aws).plan()
    conflict = next(c for c in plan.conflicts if (c.account, c.name) == ("dev", "Developer"))
    assert "retired by role acme-developer, but at / without the managed-by = awsroles tag" in conflict.reason
    _apply(retired, ops_aws)
    assert "Developer" not in {r["RoleName"] for r in dev.list_roles()["Roles"]}
    assert "Admin" not in {r["RoleName"] for r in _iam(ops_aws, console_org, "prod").list_roles()["Roles"]}
    assert _grants(ops, "Developers") == {"arn:aws:iam::222222222222:role/awsroles/acme-developer",
                                          "arn:aws:iam::333333333333:role/awsroles/acme-developer"}


def test_a_retired_role_in_an_instance_profile_is_never_deleted(ops_aws: Aws, console_org: Org,
                                                                tmp_path: Path) -> None:
    org = _import(ops_aws, console_org, tmp_path)
    _apply(org, ops_aws)
    dev = _iam(ops_aws, console_org, "dev")
    dev.create_instance_profile(InstanceProfileName="builder")
    dev.add_role_to_instance_profile(InstanceProfileName="builder", RoleName="Developer")
    ini = tmp_path / "awsroles.ini"
    ini.write_text(ini.read_text().replace("replaces = /Developer", "retires = /Developer"))
    engine = Engine(load_org(ini), ops_aws)
    plan = engine.plan(options=PlanOptions(adopt=True, prune=True))
    conflict = next(c for c in plan.conflicts if (c.account, c.name) == ("dev", "Developer"))
    assert "in instance profile(s) builder: an application's role too, which awsroles never deletes" in \
        conflict.reason
    assert engine.apply(plan).ok
    assert dev.get_role(RoleName="Developer")["Role"]["Path"] == "/"
    assert "Developer" not in {r["RoleName"] for r in _iam(ops_aws, console_org, "stage").list_roles()["Roles"]}


@pytest.mark.parametrize("moves", [frozenset({"users"}), frozenset({"teams", "roles"})])
def test_each_kind_takes_its_own_route(ops_aws: Aws, console_org: Org, tmp_path: Path, moves: frozenset[str]) -> None:
    org = _import(ops_aws, console_org, tmp_path, moves)
    assert all(bool(u.move_from) == ("users" in moves) and bool(u.path) != ("users" in moves) for u in org.users)
    assert all(bool(t.move_from) == ("teams" in moves) for t in org.teams)
    assert all(bool(r.replaces) == ("roles" in moves) and bool(r.path) != ("roles" in moves) for r in org.roles)
    _apply(org, ops_aws)
    ops = ops_aws.client("iam")
    assert ops.get_user(UserName="alice")["User"]["Path"] == ("/awsroles/" if "users" in moves else "/")
    assert ops.get_group(GroupName="Admins")["Group"]["Path"] == ("/awsroles/" if "teams" in moves else "/")


def test_the_impact_report_says_who_moves_and_which_roles_are_replaced(ops_aws: Aws, console_org: Org) -> None:
    from awsroles.importer.credentials import assess
    from awsroles.importer.impact import impact_lines

    imported = collect(ops_aws, ImportOptions(accounts=_accounts(console_org), name="acme", adopt=ALL, moves=ALL))
    report = assess(ops_aws, imported)
    found = {(i.kind, i.subject): i for i in report}
    bob = found[("moved", "user bob")]
    assert bob.people == ("bob",)
    assert bob.change == ("Moves from / to /awsroles/: the same user, with its password, access keys, MFA device and "
                          "groups; its ARN becomes arn:aws:iam::111111111111:user/awsroles/bob.")
    assert "Update what names arn:aws:iam::111111111111:user/bob" in bob.todo
    assert found[("moved", "group Developers")].people == ("bob", "carol")
    developer = found[("replaced", "role Developer in dev, stage")]
    assert developer.people == ("bob", "carol")
    assert "Replaced by role acme-developer" in developer.change and "`retires = /Developer`" in developer.change
    assert developer.todo.startswith("Switch to the new role: `awsroles login dev --role acme-developer`")
    moved = found[("grant-moved", "team developers (Developers)")]
    assert "arn:aws:iam::222222222222:role/Developer" in moved.change
    assert "as they were used (no source identity" in moved.change
    # the old roles' trust is not touched: no source identity required of them
    assert not any(i.kind == "source-identity" and "Developer " in i.subject + " " for i in report)
    text = "\n".join(impact_lines(report))
    assert "  moved to the path: user bob (bob)" in text and "  role replaced: role Admin in dev, prod, stage" in text


def test_an_org_half_way_through_a_replacement_imports_again_the_same_from_its_file(ops_aws: Aws, console_org: Org,
                                                                                   tmp_path: Path) -> None:
    org = _import(ops_aws, console_org, tmp_path)
    _apply(org, ops_aws)
    again = collect(ops_aws, ImportOptions(), previous=org)  # --from the file: the old roles are still granted
    assert again.org.roles == org.roles and again.org.users == tuple(
        u.__class__(**{**u.__dict__, "move_from": ""}) for u in org.users)  # moved: nothing left to move
    assert not again.plan.changes and not again.plan.conflicts
    assert not [w for w in again.warnings if "Developer" in w or "role/Admin" in w], again.warnings


def test_an_org_not_yet_moved_imports_again_the_same_from_its_file(ops_aws: Aws, console_org: Org,
                                                                  tmp_path: Path) -> None:
    org = _import(ops_aws, console_org, tmp_path, frozenset({"users", "teams"}))
    again = collect(ops_aws, ImportOptions(), previous=org)  # before any apply: bob is still at /
    assert again.org == org
    assert [u.move_from for u in again.org.users] == ["/", "/", "/"]
    assert not again.plan.conflicts  # what the file moves is adopted and moved, as by its first apply
    moved = {c.name for c in again.plan.changes for call, _ in c.ops if call in ("update_user", "update_group")}
    assert moved == {"alice", "bob", "carol", "Admins", "Developers"}
