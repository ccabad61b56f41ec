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

import boto3
import pytest

from awsroles.aws import Aws
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.importer.build import ImportOptions, collect
from awsroles.org.model import Org


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
