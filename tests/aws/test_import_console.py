"""awsroles import of an org made by hand in the console (at IAM path /), against moto in-process.

The org is :mod:`awsroles.sandbox.console_org`'s (the ``console_org`` fixture), the one
``awsroles sandbox start --console-org`` seeds: what is outside the org's path is never imported,
and never dropped silently either: each user, group and role is listed with its reason.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from awsroles.aws import Aws
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.engine import Engine
from awsroles.sync.plan import PlanOptions


def _options(org: Org) -> ImportOptions:
    return ImportOptions(accounts=tuple(f"{a.name}={a.id}:{a.environment}" for a in org.accounts if a.environment))


def test_the_console_org_is_at_the_root_path_with_console_names(ops_aws: Aws, console_org: Org) -> None:
    ops = ops_aws.client("iam")
    assert {(u["UserName"], u["Path"]) for u in ops.list_users()["Users"]} == {
        ("alice", "/"), ("bob", "/"), ("carol", "/"), ("ci-deploy", "/")}
    assert sorted(g["GroupName"] for g in ops.list_groups()["Groups"]) == ["Admins", "Auditors", "Developers"]
    policy = ops.get_group_policy(GroupName="Developers", PolicyName="AssumeDeveloper")["PolicyDocument"]
    statement = policy["Statement"][0]
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert statement["Resource"] == ["arn:aws:iam::222222222222:role/Developer",
                                     "arn:aws:iam::333333333333:role/Developer"]
    prod = ops_aws.client("iam", ops_aws.for_account(console_org.account("prod").id, "admin"))
    roles = {r["RoleName"]: r for r in prod.list_roles()["Roles"] if r["Path"] == "/"}
    assert "Admin" in roles and "Developer" not in roles
    trust = roles["Admin"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}


def test_import_lists_every_user_group_and_role_outside_the_path_with_its_reason(ops_aws: Aws,
                                                                                 console_org: Org) -> None:
    imported = collect(ops_aws, _options(console_org))
    assert (imported.org.roles, imported.org.teams, imported.org.users) == ((), (), ())
    left = {(n.account, n.kind, n.name): (n.path, n.reason) for n in imported.not_imported}
    assert left[("ops", "user", "alice")] == ("/", "in group(s) Admins")
    assert left[("ops", "user", "carol")] == ("/", "in group(s) Auditors, Developers")
    assert left[("ops", "user", "ci-deploy")] == ("/", "in no group")
    assert left[("ops", "group", "Developers")] == ("/", "may assume 2 role(s): a team, outside the path")
    assert left[("ops", "group", "Auditors")] == ("/", "allows no sts:AssumeRole in its inline policies: not a team")
    assert left[("dev", "role", "Developer")] == (
        "/", "ops group(s) Developers may assume it: a role people use, outside the path")
    assert left[("prod", "role", "Admin")] == ("/", "ops group(s) Admins may assume it: a role people use, "
                                                    "outside the path")
    assert {k for k in left if k[2] == "Developer"} == {("dev", "role", "Developer"), ("stage", "role", "Developer")}
    # every user and group of ops, every role of every environment account: nothing read is dropped
    ops = ops_aws.client("iam")
    users = {u["UserName"] for u in ops.list_users()["Users"]}
    groups = {g["GroupName"] for g in ops.list_groups()["Groups"]}
    assert {k[2] for k in left if k[1] == "user"} == users
    assert {k[2] for k in left if k[1] == "group"} == groups
    for account in console_org.accounts:
        if account.environment:
            iam = ops_aws.client("iam", ops_aws.for_account(account.id, "admin"))
            assert {k[2] for k in left if k[:2] == (account.name, "role")} == \
                {r["RoleName"] for r in iam.list_roles()["Roles"]}
    warnings = "\n".join(imported.warnings)
    assert "ops: 4 user(s) outside /awsroles/ not imported (awsroles never touches them): alice (at /, in " \
           "group(s) Admins);" in warnings
    assert "see docs/migrate-console.md for how to bring them in" in warnings
    assert imported.as_dict()["not_imported"][0] == {"account": "ops", "kind": "user", "name": "alice", "path": "/",
                                                     "reason": "in group(s) Admins"}


def test_import_command_warns_about_a_console_org(ops_aws: Aws, console_org: Org, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{console_org.ops.id}:role/admin",
                                            RoleSessionName="admin")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    monkeypatch.chdir(tmp_path)
    accounts = [arg for a in console_org.accounts if a.environment for arg in ("--account", f"{a.name}={a.id}")]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["import", *accounts, "-O", "x.ini", "--name", "acme"], App(stdout=out, stderr=err))
    assert code == ExitCode.OK, err.getvalue()
    assert "warning: dev: 2 role(s) outside /awsroles/ not imported" in err.getvalue()
    assert "see docs/migrate-console.md" in err.getvalue()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["-o", "json", "import", *accounts, "-O", "y.ini", "--name", "acme"], App(stdout=out, stderr=err))
    assert code == ExitCode.OK, err.getvalue()
    data = json.loads(out.getvalue())
    assert len(data["not_imported"]) == 4 + 3 + 2 + 2 + 1  # users, groups, roles in dev, stage and prod


# -- adopting in place ----------------------------------------------------------------------------

ALL = frozenset({"users", "teams", "roles"})


def _imported(aws: Aws, org: Org, tmp_path: Path, adopt: frozenset[str] = ALL) -> Org:
    imported = collect(aws, ImportOptions(accounts=_options(org).accounts, name="acme", adopt=adopt))
    write_import(imported, tmp_path / "awsroles.ini")
    return load_org(tmp_path / "awsroles.ini")


def _iam(aws: Aws, org: Org, account: str) -> Any:
    return aws.client("iam", aws.for_account(org.account(account).id, "admin"))


def test_import_adopts_people_teams_and_their_roles_in_place(ops_aws: Aws, console_org: Org, tmp_path: Path) -> None:
    imported = collect(ops_aws, ImportOptions(accounts=_options(console_org).accounts, name="acme", adopt=ALL))
    org = imported.org
    assert [(u.name, u.path) for u in org.users] == [("alice", "/"), ("bob", "/"), ("carol", "/")]
    assert [(t.name, t.group, t.members, [(g.environment, g.role) for g in t.grants]) for t in org.teams] == [
        ("admins", "/Admins", ("alice",), [("dev", "Admin"), ("prod", "Admin"), ("stage", "Admin")]),
        ("developers", "/Developers", ("bob", "carol"), [("dev", "Developer"), ("stage", "Developer")])]
    assert [(r.name, r.path, r.managed) for r in org.roles] == [
        ("Admin", "/", ("arn:aws:iam::aws:policy/AdministratorAccess",)),
        ("Developer", "/", ("arn:aws:iam::aws:policy/PowerUserAccess",))]
    assert org.mfa_required
    assert "[team developers]\ngroup = /Developers\n" in imported.text
    assert "[user alice]\npath = /\n" in imported.text and "[role Admin]\npath = /\n" in imported.text
    # what is not a person, a team or a team's role stays out, each with its reason
    left = {(n.account, n.kind, n.name): n.reason for n in imported.not_imported}
    assert left == {("ops", "user", "ci-deploy"): "in no group",
                    ("ops", "group", "Auditors"): "allows no sts:AssumeRole in its inline policies: not a team"}
    # until `apply --adopt`, every one of them is a resource to adopt, never changed
    assert {(c.kind, c.name) for c in imported.plan.changes if c.action == "adopt"} >= {
        ("user", "alice"), ("group", "Admins"), ("role", "Admin")}


def test_a_group_whose_team_name_is_taken_is_not_adopted(ops_aws: Aws, console_org: Org) -> None:
    ops = ops_aws.client("iam")
    ops.create_group(GroupName="Developers_", Path="/")  # would be team 'developers' too
    document = ops.get_group_policy(GroupName="Developers", PolicyName="AssumeDeveloper")["PolicyDocument"]
    ops.put_group_policy(GroupName="Developers_", PolicyName="AssumeDeveloper", PolicyDocument=json.dumps(document))
    imported = collect(ops_aws, ImportOptions(accounts=_options(console_org).accounts, name="acme", adopt=ALL))
    assert [t.group for t in imported.org.teams] == ["/Admins", "/Developers"]
    assert "group Developers_ (at /) cannot be a team: the team name 'developers' it would get is not valid or " \
           "already taken; not imported" in imported.warnings
    left = {(n.kind, n.name): n.reason for n in imported.not_imported}
    assert left[("group", "Developers_")] == "may assume 2 role(s): a team, outside the path"


def test_adopting_in_place_keeps_people_working_and_touches_nothing_else(ops_aws: Aws, console_org: Org,
                                                                        tmp_path: Path) -> None:
    org = _imported(ops_aws, console_org, tmp_path)
    engine = Engine(org, ops_aws)
    before = engine.plan()
    assert not any(c.action in ("update", "delete") for c in before.changes)  # conflicts until --adopt
    assert {c.name for c in before.conflicts} >= {"alice", "Admins", "Admin"}
    result = engine.apply(engine.plan(options=PlanOptions(adopt=True)))
    assert result.ok, "\n".join(result.summary())
    again = Engine(org, ops_aws).plan()
    assert again.empty and not again.conflicts, json.dumps(again.as_dict(), indent=1)[:3000]

    ops = ops_aws.client("iam")
    # people: still at /, still in their groups, now marked and in awsroles-users
    alice = ops.get_user(UserName="alice")["User"]
    assert alice["Path"] == "/"
    assert {"Key": "managed-by", "Value": "awsroles"} in ops.list_user_tags(UserName="alice")["Tags"]
    assert {g["GroupName"] for g in ops.list_groups_for_user(UserName="carol")["Groups"]} == {
        "Developers", "Auditors", "awsroles-users"}
    # teams: the console group now holds awsroles' grants, for the same roles where they are
    policies = ops.list_group_policies(GroupName="Developers")["PolicyNames"]
    assert sorted(policies) == ["awsroles-assume-roles", "awsroles-managed-by"]  # AssumeDeveloper switched
    document = ops.get_group_policy(GroupName="Developers", PolicyName="awsroles-assume-roles")["PolicyDocument"]
    allowed = {arn for s in document["Statement"] for arn in s["Resource"]}
    assert allowed == {"arn:aws:iam::222222222222:role/Developer", "arn:aws:iam::333333333333:role/Developer"}
    # roles: at /, trusting exactly the adopted people (and awsroles' path), with MFA and SourceIdentity
    role = _iam(ops_aws, org, "prod").get_role(RoleName="Admin")["Role"]
    assert role["Path"] == "/"
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    people = trust["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert sorted(people) == ["arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/awsroles/*",
                              "arn:aws:iam::111111111111:user/bob", "arn:aws:iam::111111111111:user/carol"]
    assert trust["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert trust["Condition"]["StringEquals"] == {"sts:SourceIdentity": "${aws:username}"}
    # what awsroles was not told to own is as it was
    assert ops.list_user_tags(UserName="ci-deploy")["Tags"] == []
    assert ops.list_user_policies(UserName="ci-deploy")["PolicyNames"] == ["deploy-artifacts"]
    assert [g["GroupName"] for g in ops.list_groups_for_user(UserName="ci-deploy")["Groups"]] == []
    assert ops.list_group_policies(GroupName="Auditors")["PolicyNames"] == []
    assert [p["PolicyName"] for p in ops.list_attached_group_policies(GroupName="Auditors")["AttachedPolicies"]] == [
        "ReadOnlyAccess"]


def test_an_adopted_org_imports_again_the_same_from_its_file(ops_aws: Aws, console_org: Org, tmp_path: Path) -> None:
    org = _imported(ops_aws, console_org, tmp_path)
    engine = Engine(org, ops_aws)
    assert engine.apply(engine.plan(options=PlanOptions(adopt=True))).ok
    again = collect(ops_aws, ImportOptions(), previous=org)  # --from the file, no --adopt: what it adopts
    assert again.org == org
    assert not again.plan.changes and not again.plan.conflicts


def test_prune_never_deletes_outside_the_path_what_the_file_no_longer_adopts(ops_aws: Aws, console_org: Org,
                                                                           tmp_path: Path) -> None:
    org = _imported(ops_aws, console_org, tmp_path)
    engine = Engine(org, ops_aws)
    assert engine.apply(engine.plan(options=PlanOptions(adopt=True))).ok
    text = (tmp_path / "awsroles.ini").read_text()
    for section in ("[team developers]", "[role Developer]"):  # no longer adopted: the file does not name them
        start = text.index(section)
        end = text.index("\n[", start + 1)
        text = text[:start] + text[end + 1:]
    (tmp_path / "awsroles.ini").write_text(text)
    smaller = load_org(tmp_path / "awsroles.ini")
    # someone marks a user at / as awsroles': the file does not adopt it, so it is not awsroles'
    ops_aws.client("iam").tag_user(UserName="ci-deploy", Tags=[{"Key": "managed-by", "Value": "awsroles"}])
    plan = Engine(smaller, ops_aws).plan(prune=True)
    assert "ci-deploy" not in json.dumps(plan.as_dict())
    assert [(c.action, c.kind, c.name) for c in plan.changes if c.action == "delete"] == [], \
        json.dumps(plan.as_dict(), indent=1)[:3000]
    touched = {(c.kind, c.name) for c in plan.changes}
    assert ("group", "Developers") not in touched and ("role", "Developer") not in touched


def test_a_resource_elsewhere_than_the_file_says_is_a_conflict_never_taken_over(ops_aws: Aws, console_org: Org,
                                                                              tmp_path: Path) -> None:
    org = _imported(ops_aws, console_org, tmp_path)
    stage = _iam(ops_aws, org, "stage")
    stage.detach_role_policy(RoleName="Developer", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    stage.delete_role(RoleName="Developer")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    stage.create_role(RoleName="Developer", Path="/apps/", AssumeRolePolicyDocument=trust)  # same name, elsewhere
    engine = Engine(org, ops_aws)
    plan = engine.plan(options=PlanOptions(adopt=True))
    conflict = next(c for c in plan.conflicts if c.account == "stage" and c.name == "Developer")
    assert "exists at path /apps/, which awsroles does not manage and never touches (the org file says /)" in \
        conflict.reason
    assert engine.apply(plan).ok
    role = stage.get_role(RoleName="Developer")["Role"]
    assert role["Path"] == "/apps/" and role.get("Tags", []) == []
    assert stage.list_attached_role_policies(RoleName="Developer")["AttachedPolicies"] == []
