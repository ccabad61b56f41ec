"""awsroles import against moto in-process: apply an org, import it back, plan must be empty.

One moto for the whole module: each example is applied once, and the tests that only read it
share it; tests that change IAM get accounts of their own. moto loads its ~1,600 AWS managed
policies into every account it creates (a second each, and again on reset): here it loads only
the few that the examples attach.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from awsroles.aws import Aws, AwsSettings
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode, UsageError
from awsroles.importer.accounts import accounts_from_organizations, parse_account_option, slug
from awsroles.importer.build import ImportOptions, collect, previous_policy_dir, write_import
from awsroles.importer.conflicts import RoleConflictError
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.engine import Engine
from tests.aws.conftest import patched_moto
from tests.conftest import EXAMPLES

# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One moto for the module (tests/aws/conftest.py's), with the same isolation as tests/conftest.py's
    autouse fixture."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("AWS_", "AWSROLES_")):
                mp.delenv(name)
        mp.setenv("HOME", str(home))
        mp.setenv("AWS_CONFIG_FILE", str(home / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with patched_moto(mp):
            yield


@pytest.fixture
def aws_env(mocked: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # set to a dead endpoint by the autouse fixture


def ops_aws(org: Org) -> Aws:
    """Admin credentials in the org's ops account (moto lets anyone assume any role)."""
    base = Aws(AwsSettings(region=org.region))
    return Aws(AwsSettings(region=org.region), session=base.for_account(org.ops.id, "admin"))


def apply(org: Org) -> None:
    engine = Engine(org, ops_aws(org))
    result = engine.apply(engine.plan())
    assert result.ok, "\n".join(result.summary())


@pytest.fixture(scope="module")
def classic_world(mocked: None) -> Org:
    org = load_org(EXAMPLES / "classic.ini")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        apply(org)
    return org


@pytest.fixture(scope="module")
def large_world(mocked: None) -> Org:
    org = load_org(EXAMPLES / "large.ini")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        apply(org)
    return org


_worlds = itertools.count(1)

EDGE = """\
[org]
name = edge
ops_account = ops
mfa = optional
policy_dir = policies

[account ops]
id = {ops}

[account dev]
id = {dev}
environment = dev

[account prod]
id = {prod}
environment = prod

[role admin]
policies = admin/extra.json, shared.json
max_session = 2h
description = Everything

[role developer]
policies = developer/extra.json, shared.json

[team platform]
members = alice
dev = admin, developer
prod = admin

[user alice]
email = alice@edge.example
tags = Team=Platform
"""


def _document(sid: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Sid": sid, "Effect": "Allow", "Action": action, "Resource": "*"}]})


@pytest.fixture
def edge(aws_env: None, tmp_path: Path) -> Org:
    """A small org in accounts of its own, applied; roles hold two inline policies both named
    'extra' with different documents (so import writes them to one folder per role)."""
    n = next(_worlds)
    ids = {name: f"7{n:05d}00000{i}" for i, name in enumerate(("ops", "dev", "prod"), start=1)}
    source = tmp_path / "source"
    (source / "policies" / "admin").mkdir(parents=True)
    (source / "policies" / "developer").mkdir()
    (source / "policies" / "admin" / "extra.json").write_text(_document("Admin", "ec2:*"))
    (source / "policies" / "developer" / "extra.json").write_text(_document("Developer", "ec2:Describe*"))
    (source / "policies" / "shared.json").write_text(_document("Shared", "s3:ListAllMyBuckets"))
    (source / "org.ini").write_text(EDGE.format(**ids))
    org = load_org(source / "org.ini")
    apply(org)
    return org


def explicit(org: Org, **options: Any) -> ImportOptions:
    """Import options naming the org's environment accounts with --account."""
    accounts = tuple(f"{a.name}={a.id}:{a.environment}" for a in org.accounts
                     if a.environment and a.name != org.ops_account)
    return ImportOptions(accounts=accounts, path=org.path, **options)


def shape(org: Org, *, everything: bool = False) -> dict[str, Any]:
    """What an import must reproduce; with ``everything``, also what IAM does not hold."""
    out: dict[str, Any] = {
        "ops": org.ops.id,
        "environments": {a.environment: a.id for a in org.accounts if a.environment},
        "settings": (org.mfa_required, org.mfa_max_age, org.path, org.bootstrap_role, org.region),
        "roles": {r.name: (sorted(r.managed), {p.name: json.loads(p.document) for p in r.policies},
                           r.max_session, r.description) for r in org.roles},
        "teams": {t.name: (sorted(t.members), sorted(t.grants)) for t in org.teams},
        "users": {u.name: (u.email, sorted(u.tags)) for u in org.users},
    }
    if everything:
        out["accounts"] = sorted((a.name, a.id, a.environment, a.description) for a in org.accounts)
        out["billing"] = org.billing.id
        out["settings"] += (org.name, org.session_duration)
        out["team descriptions"] = {t.name: t.description for t in org.teams}
        out["console"] = {u.name: u.console for u in org.users}
    return out


def round_trip(org: Org, tmp_path: Path, options: ImportOptions, previous: Org | None = None) -> Org:
    """Import into tmp_path, check the result, and return the org file as read back."""
    imported = collect(ops_aws(org), options, previous=previous)
    assert imported.warnings == ()
    assert imported.plan.empty and not imported.plan.kept
    result = write_import(imported, tmp_path / "awsroles.ini")
    assert result.problems == ()
    back = load_org(tmp_path / "awsroles.ini")
    assert back == imported.org
    plan = Engine(back, ops_aws(back)).plan()
    assert plan.empty and not plan.kept, json.dumps(plan.as_dict(), indent=1)[:3000]
    again = collect(ops_aws(org), options, previous=previous)
    assert again.text == imported.text  # byte-stable: no timestamps, fixed order
    return back


# -- round trips ------------------------------------------------------------------------------


def test_classic_round_trip_with_accounts_from_options(aws_env: None, classic_world: Org, tmp_path: Path) -> None:
    back = round_trip(classic_world, tmp_path, explicit(classic_world))
    assert shape(back) == shape(classic_world)
    assert [a.name for a in back.accounts] == ["ops", "dev", "prod", "stage"]
    assert sorted(p.name for p in (tmp_path / "policies").iterdir()) == ["deny-iam-writes.json"]
    assert (tmp_path / "policies" / "deny-iam-writes.json").read_text() == \
        classic_world.role("developer").policies[0].document
    text = (tmp_path / "awsroles.ini").read_text()
    assert text.startswith("; Written by `awsroles import`")
    assert "[role developer]\nmanaged = arn:aws:iam::aws:policy/PowerUserAccess\npolicies = deny-iam-writes.json\n" \
        "max_session = 4h\ndescription = Build and run services; no IAM changes\n" in text
    assert "[team backend]\nmembers = bob\ndev = developer, readonly\n" in text


def test_classic_round_trip_from_file_keeps_what_iam_does_not_hold(aws_env: None, classic_world: Org,
                                                                   tmp_path: Path) -> None:
    assert previous_policy_dir(EXAMPLES / "classic.ini") == "../policies"
    back = round_trip(classic_world, tmp_path, ImportOptions(policy_dir="policies"), previous=classic_world)
    assert shape(back, everything=True) == shape(classic_world, everything=True)
    assert back.account("ops").description == "IAM users, nothing else"


def test_classic_round_trip_with_accounts_from_organizations(aws_env: None, classic_world: Org, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.organizations.utils

    aws = ops_aws(classic_world)
    organizations = aws.client("organizations")
    organizations.create_organization(FeatureSet="ALL")  # the ops account is the management account here
    ids = iter(a.id for a in classic_world.accounts if a.environment)  # moto would pick random ids
    monkeypatch.setattr(moto.organizations.utils, "make_random_account_id", lambda: next(ids))
    for account in classic_world.accounts:
        if account.environment:
            organizations.create_account(AccountName=account.name.title(), Email=f"{account.name}@acme.example",
                                         Tags=[{"Key": "Environment", "Value": account.environment}])
    aws.client("iam").create_account_alias(AccountAlias="acme-ops")
    try:
        back = round_trip(classic_world, tmp_path, ImportOptions())
    finally:
        aws.client("iam").delete_account_alias(AccountAlias="acme-ops")
    assert shape(back) == shape(classic_world)
    assert back.name == "acme-ops"
    assert (back.ops_account, back.billing_account) == ("master", "master")  # moto's name for the management account
    assert sorted(back.environments) == ["dev", "prod", "stage"]


def test_large_round_trip(aws_env: None, large_world: Org, tmp_path: Path) -> None:
    back = round_trip(large_world, tmp_path / "options", explicit(large_world, region="eu-west-1"))
    assert shape(back) == shape(large_world)
    assert back.billing_account == back.ops_account  # --account has no billing account: edit it by hand
    back = round_trip(large_world, tmp_path / "from", ImportOptions(policy_dir="policies"), previous=large_world)
    assert shape(back, everything=True) == shape(large_world, everything=True)
    assert sorted(p.name for p in (tmp_path / "from" / "policies").iterdir()) == [
        "deny-iam-writes.json", "deploy-artifacts.json", "read-billing.json"]


def test_policies_with_one_name_and_different_documents_go_to_a_folder_per_role(edge: Org, tmp_path: Path) -> None:
    back = round_trip(edge, tmp_path, explicit(edge))
    assert shape(back) == shape(edge)
    assert not back.mfa_required  # from the trust policies, which carry no MFA condition
    assert back.role("admin").policies[0].source == "admin/extra.json"
    assert back.role("admin").policies[0].name == "extra"
    assert back.role("developer").policies[1].source == "shared.json"
    files = sorted(str(p.relative_to(tmp_path / "policies")) for p in (tmp_path / "policies").rglob("*.json"))
    assert files == ["admin/extra.json", "developer/extra.json", "shared.json"]


# -- what is not imported, and what cannot be ----------------------------------------------------


def test_only_the_path_is_imported_and_odd_grants_are_reported(edge: Org, tmp_path: Path) -> None:
    aws = ops_aws(edge)
    iam = aws.client("iam")
    dev_iam = aws.client("iam", aws.for_account(edge.account("dev").id, "admin"))
    dev_iam.create_role(RoleName="legacy", Path="/", AssumeRolePolicyDocument=_document("Legacy", "sts:AssumeRole"))
    iam.create_user(UserName="carol", Path="/people/")
    iam.create_group(GroupName="team-outside", Path="/")
    iam.add_user_to_group(GroupName="team-outside", UserName="carol")
    team_policy = json.loads(json.dumps(
        iam.get_group_policy(GroupName="team-platform", PolicyName="awsroles-assume-roles")["PolicyDocument"]))
    team_policy["Statement"][0]["Resource"] = [*team_policy["Statement"][0]["Resource"],
                                               "arn:aws:iam::999999999999:role/awsroles/admin",
                                               f"arn:aws:iam::{edge.account('dev').id}:role/awsroles/ghost"]
    iam.put_group_policy(GroupName="team-platform", PolicyName="awsroles-assume-roles",
                         PolicyDocument=json.dumps(team_policy))

    imported = collect(aws, explicit(edge))
    text = imported.text
    assert "legacy" not in text and "carol" not in text and "outside" not in text
    assert shape(imported.org) == shape(edge)
    warnings = "\n".join(imported.warnings)
    assert "arn:aws:iam::999999999999:role/awsroles/admin is in account 999999999999, which is not one of the " \
           "imported accounts; skipped" in warnings
    assert f"arn:aws:iam::{edge.account('dev').id}:role/awsroles/ghost names no role at /awsroles/ in dev; " \
           "skipped" in warnings
    # everything read outside the path is listed, each with its reason (never dropped silently)
    assert "ops: 1 user(s) outside /awsroles/ not imported (awsroles never touches them): carol (at /people/, in " \
           "group(s) team-outside)" in warnings
    assert "ops: 1 group(s) outside /awsroles/ not imported (awsroles never touches them): team-outside (at /, " \
           "allows no sts:AssumeRole in its inline policies: not a team)" in warnings
    assert "dev: 1 role(s) outside /awsroles/ not imported (awsroles never touches them): legacy (at /, no ops " \
           "group's inline policy names it)" in warnings
    assert "see docs/migrate-console.md" in imported.warnings[-1]
    assert len(imported.warnings) == 6
    # the org file cannot hold the two extra ARNs: plan would take them out of the team's policy
    assert [(c.account, c.action, c.kind, c.name) for c in imported.plan.changes] == [
        ("ops", "update", "group", "team-platform")]


def test_a_role_defined_differently_in_two_environments_is_an_error(edge: Org, tmp_path: Path) -> None:
    aws = ops_aws(edge)
    prod_iam = aws.client("iam", aws.for_account(edge.account("prod").id, "admin"))
    # (with the description: moto clears one that update_role does not pass)
    prod_iam.update_role(RoleName="admin", Description="Everything", MaxSessionDuration=3 * 3600)
    prod_iam.put_role_policy(RoleName="admin", PolicyName="extra", PolicyDocument=_document("Admin", "ec2:Describe*"))
    with pytest.raises(RoleConflictError) as caught:
        collect(aws, explicit(edge))
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.conflicts == (
        "  role 'admin':\n"
        "    inline policy extra: document 1 in dev; document 2 in prod\n"
        "    max_session: 2h in dev; 3h in prod",
    )


def test_an_existing_file_is_not_overwritten_without_force(edge: Org, tmp_path: Path) -> None:
    imported = collect(ops_aws(edge), explicit(edge))
    target = tmp_path / "awsroles.ini"
    target.write_text("; mine\n")
    with pytest.raises(UsageError, match="exists; nothing was written"):
        write_import(imported, target)
    assert target.read_text() == "; mine\n" and not (tmp_path / "policies").exists()
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "shared.json").write_text("{}\n")
    target.unlink()
    with pytest.raises(UsageError, match=r"shared\.json exist with other content; nothing was written"):
        write_import(imported, target)
    assert not target.exists() and not (tmp_path / "policies" / "admin").exists()
    result = write_import(imported, target, force=True)
    assert target in result.written and (tmp_path / "policies" / "shared.json").read_text() != "{}\n"


# -- accounts -----------------------------------------------------------------------------------


def test_account_options() -> None:
    assert parse_account_option("prod=444444444444").environment == "prod"
    assert parse_account_option("prod-eu=444444444444:eu").environment == "eu"
    for bad in ("prod", "prod=4444", "Prod=444444444444", "prod=444444444444:", "x=444444444444:members"):
        with pytest.raises(UsageError):
            parse_account_option(bad)
    assert slug("Prod EU (Frankfurt)") == "prod-eu-frankfurt"
    assert slug("Ünïcode--Name ") == "unicode-name"


def test_organizations_not_reachable_says_to_pass_accounts(aws_env: None) -> None:
    base = Aws(AwsSettings(region="us-east-1"))
    aws = Aws(AwsSettings(region="us-east-1"), session=base.for_account("730000000001", "admin"))
    with pytest.raises(UsageError, match=r"not in an AWS Organization.*--account NAME=ID"):
        collect(aws, ImportOptions())

    class Denied:  # an Aws whose Organizations client answers AccessDenied
        def client(self, service: str) -> Any:
            client = boto3.client("organizations", region_name="us-east-1")
            stubber = Stubber(client)
            stubber.add_client_error("describe_organization", "AccessDeniedException", "not the management account")
            stubber.activate()
            return client

    with pytest.raises(UsageError, match=r"cannot list the accounts .*AccessDeniedException.*--account"):
        accounts_from_organizations(Denied(), "730000000001")  # type: ignore[arg-type]


# -- the command ----------------------------------------------------------------------------------


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_command(edge: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{edge.ops.id}:role/admin",
                                            RoleSessionName="admin")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    monkeypatch.chdir(tmp_path)
    accounts = ["--account", f"dev={edge.account('dev').id}", "--account", f"prod={edge.account('prod').id}"]

    code, out, err = invoke("import", *accounts)
    assert (code, err) == (ExitCode.OK, ""), err
    assert "Imported 3 accounts (2 environments), 2 roles, 1 team and 1 user to awsroles.ini, 3 policy files " \
           "in policies; mfa optional." in out
    assert "Next: review it, then `awsroles -f awsroles.ini plan` (should report no changes)." in out
    code, out, err = invoke("plan", "--detailed-exitcode")
    assert code == ExitCode.OK, out + err
    assert "No changes." in out
    assert invoke("validate", "--strict")[0] == ExitCode.OK

    code, _, err = invoke("import", *accounts)
    assert code == ExitCode.USAGE
    assert "awsroles.ini exists; nothing was written (use --force" in err

    code, out, err = invoke("import", "--from", "awsroles.ini", "-O", "-", "--name", "again")
    assert code == ExitCode.OK, err
    assert out.startswith("; Written by") and "name = again\n" in out
    assert "Imported 3 accounts" in err

    code, out, _ = invoke("-o", "json", "import", *accounts, "-O", "copy.ini", "--policy-dir", "copy")
    assert code == ExitCode.OK
    data = json.loads(out)
    assert (data["file"], data["roles"], data["warnings"], data["plan"]["empty"]) == ("copy.ini", 2, [], True)
    assert data["policy_files"] == ["admin/extra.json", "developer/extra.json", "shared.json"]

    code, _, err = invoke("import", "-O", "-", "-o", "json", *accounts)
    assert code == ExitCode.USAGE and "cannot be combined" in err
    code, _, err = invoke("import", "-O", "x.ini", "--account", "dev=1234")
    assert code == ExitCode.USAGE and "is not 12 digits" in err
    code, _, err = invoke("import", "-O", "x.ini")
    assert code == ExitCode.USAGE and "not in an AWS Organization" in err and "--account" in err

    aws = ops_aws(edge)
    aws.client("iam", aws.for_account(edge.account("prod").id, "admin")).update_role(
        RoleName="admin", Description="Something else")
    code, _, err = invoke("import", "-O", "conflict.ini", *accounts)
    assert code == ExitCode.USAGE
    assert "role 'admin':\n    description: 'Everything' in dev; 'Something else' in prod" in err
    assert not Path("conflict.ini").exists()


# -- the pure part, on made-up live state -------------------------------------------------------------


def _trust(ops: str, age: int | None) -> dict[str, Any]:
    condition = {"StringEquals": {"sts:SourceIdentity": "${aws:username}"}}
    if age is not None:
        condition |= {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                      "NumericLessThan": {"aws:MultiFactorAuthAge": str(age)}}
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ops}:root"},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"], "Condition": condition}]}


def test_what_the_org_file_cannot_hold_is_reported(tmp_path: Path) -> None:
    from awsroles.importer.accounts import Accounts
    from awsroles.importer.infer import build_import
    from awsroles.importer.settings import OrgSettings
    from awsroles.org.entries import Account
    from awsroles.org.parse import parse_org
    from awsroles.sync.state import LiveAccount, LiveGroup, LiveRole, LiveUser

    ops, dev, prod = Account("ops", "100000000001"), Account("dev", "200000000002", "dev"), \
        Account("prod", "300000000003", "prod")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"

    def role(name: str, age: int | None, description: str = "") -> LiveRole:
        return LiveRole(name, "/awsroles/", _trust(ops.id, age), 3600, description, (admin,), {}, {})

    team_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AssumeRoles", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
         "Condition": _trust(ops.id, 3600)["Statement"][0]["Condition"],
         "Resource": [f"arn:aws:iam::{dev.id}:role/awsroles/admin", f"arn:aws:iam::{prod.id}:role/awsroles/admin",
                      f"arn:aws:iam::{prod.id}:role/other/admin", "arn:aws:iam::*:role/awsroles/*"]},
        {"Sid": "Extra", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}
    live = {
        "ops": LiveAccount(ops, roles={"stray": role("stray", 43200)},
                           groups={"team-platform": LiveGroup("team-platform", "/awsroles/", (),
                                                              {"awsroles-assume-roles": team_policy},
                                                              ("alice", "ghost")),
                                   "people": LiveGroup("people", "/awsroles/", (), {}, ())},
                           users={"alice": LiveUser("alice", "/awsroles/", ("team-platform",), (), {},
                                                    {"email": "alice@example.com", "Note": "a;b", "Team": "Platform",
                                                     "managed-by": "awsroles"})}),
        "dev": LiveAccount(dev, roles={"admin": role("admin", 43200, "All of it ; really"),
                                       "lonely": role("lonely", 43200)}),
        "prod": LiveAccount(prod, roles={"admin": role("admin", 3600, "All of it ; really")}),
    }
    accounts = Accounts((ops, dev, prod), "ops", "ops", "a test")
    imported = build_import(accounts, live, OrgSettings(name="made-up"))
    org = imported.org
    assert (org.mfa_required, org.mfa_max_age) == (True, 3600)  # the strictest
    assert org.role("admin").description == "All of it; really"
    assert org.user("alice").tags == (("Team", "Platform"),)
    assert org.team("platform").members == ("alice",)
    assert [(g.environment, g.role) for g in org.team("platform").grants] == [("dev", "admin"), ("prod", "admin")]
    assert [r.name for r in org.roles] == ["admin", "lonely"]
    team = "team 'platform' (team-platform, policy awsroles-assume-roles)"
    assert sorted(imported.warnings) == sorted([
        "role stray in ops (100000000001) is at /awsroles/ but the account holds no environment: not imported "
        "(`plan --prune` would delete it)",
        "role admin: description 'All of it ; really' cannot be written as is in an org file; imported as "
        "'All of it; really' (apply will update it)",
        "user alice: tag Note='a;b' cannot be written in an org file; skipped (apply would remove it)",
        "group people in ops is at /awsroles/ but is not a team group (team-NAME, NAME in lower-case letters, "
        "digits and '-'): not imported",
        "team 'platform': member ghost is not a user at /awsroles/; skipped",
        f"{team}: arn:aws:iam::300000000003:role/other/admin is not at the path /awsroles/ (`--adopt "
        "roles=in-place` imports roles where they are); skipped",
        f"{team}: arn:aws:iam::*:role/awsroles/* is not the ARN of one role; skipped",
        f"{team}: statement Extra does not allow sts:AssumeRole; not imported",
        "the trust and team policies disagree on MFA (mfa required, max age 1h: role admin in prod, team platform; "
        "mfa required, max age 12h: role admin in dev, role lonely in dev); imported the strictest "
        "(mfa required, max age 1h): apply will make the others match",
        "role lonely in dev: no team is granted it there, so the org file does not create it there "
        "(`plan --prune` would delete it)",
    ])
    back, problems = parse_org(imported.text, "imported.ini", tmp_path)
    assert back == org, problems
    assert not imported.plan.empty  # the policies the org file cannot hold would change


def test_a_hand_made_setup_is_imported_then_adopted(edge: Org, tmp_path: Path) -> None:
    """Strip awsroles' marks (as if an admin had built the same thing by hand): plan refuses to touch
    it; import declares it and plans the adoption; `apply --adopt` marks it; then plan is in sync."""
    from awsroles.iam.desired import GROUP_MARKER_POLICY
    from awsroles.sync.plan import PlanOptions

    aws = ops_aws(edge)
    iam = aws.client("iam")
    dev_iam = aws.client("iam", aws.for_account(edge.account("dev").id, "admin"))
    for group in iam.list_groups(PathPrefix="/awsroles/")["Groups"]:
        iam.delete_group_policy(GroupName=group["GroupName"], PolicyName=GROUP_MARKER_POLICY)
    for role in dev_iam.list_roles(PathPrefix="/awsroles/")["Roles"]:
        dev_iam.untag_role(RoleName=role["RoleName"], TagKeys=["managed-by"])
    assert Engine(edge, aws).plan().conflicts

    imported = collect(aws, explicit(edge))
    assert not imported.plan.conflicts
    adopted = {(c.account, c.kind, c.name) for c in imported.plan.changes if c.action == "adopt"}
    assert ("ops", "group", "team-platform") in adopted and ("dev", "role", "admin") in adopted
    write_import(imported, tmp_path / "awsroles.ini")
    back = load_org(tmp_path / "awsroles.ini")
    engine = Engine(back, ops_aws(back))
    assert engine.apply(engine.plan(options=PlanOptions(adopt=True))).ok
    assert engine.plan().in_sync


@pytest.mark.parametrize("enrollment", ["admin", "self"])
def test_who_enrols_mfa_devices_is_read_back_from_the_self_service_policy(enrollment: str, edge: Org,
                                                                         tmp_path: Path) -> None:
    from dataclasses import replace as replaced

    org = replaced(edge, mfa_enrollment=enrollment)
    engine = Engine(org, ops_aws(org))
    assert engine.apply(engine.plan()).ok
    imported = collect(ops_aws(org), explicit(org))
    assert imported.org.mfa_enrollment == enrollment
    assert f"mfa_enrollment = {enrollment}" in imported.text
    assert imported.plan.in_sync


def test_budgets_awsroles_made_are_imported_back(edge: Org, tmp_path: Path) -> None:
    """An org with budgets: import writes each environment's budget, alerts and addresses back, the
    written file plans nothing, and what the file cannot say (an SNS subscriber) is a warning."""
    text = edge.source.read_text().replace(
        "environment = dev\n", "environment = dev\nbudget = 250 USD\n").replace(
        "environment = prod\n", "environment = prod\nbudget = 5000.50 USD\nbudget_alerts = 80%, forecast 100%\n"
                                "budget_notify = finance@edge.example, oncall@edge.example\n")
    edge.source.write_text(text)
    org = load_org(edge.source)
    apply(org)
    options = explicit(org, name="edge")
    back = round_trip(org, tmp_path / "clean", options)
    assert back.budgets == org.budgets
    written = (tmp_path / "clean" / "awsroles.ini").read_text()
    assert "budget = 5000.5 USD\nbudget_alerts = 80%, forecast 100%\n" in written

    # A subscriber the file cannot hold: warned about; the plan of the imported file removes it.
    budgets = ops_aws(org).client("budgets")
    notification = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
                    "ThresholdType": "PERCENTAGE"}
    topic = "arn:aws:sns:us-east-1:111111111111:alerts"
    budgets.create_subscriber(AccountId=org.ops.id, BudgetName="awsroles-edge-prod", Notification=notification,
                              Subscriber={"SubscriptionType": "SNS", "Address": topic})
    imported = collect(ops_aws(org), options)
    assert imported.warnings == (f"budget awsroles-edge-prod: alert 80% also goes to SNS {topic}, which the org "
                                 "file cannot say: left out",)
    assert imported.org.budgets == org.budgets
    assert [(c.action, c.name) for c in imported.plan.changes] == [("update", "awsroles-edge-prod")]


def test_boundaries_and_customer_managed_policies_are_imported_by_name(edge: Org, tmp_path: Path) -> None:
    """A role's customer managed policies and boundary in each environment account import as one
    definition, by ``[/path/]name`` (an AWS managed boundary as its ARN); the written file plans nothing."""
    aws = ops_aws(edge)
    for environment in ("dev", "prod"):
        iam = aws.client("iam", aws.for_account(edge.account(environment).id, "admin"))
        iam.create_policy(PolicyName="deny-iam", Path="/team/", PolicyDocument=_document("DenyIam", "iam:*"))
        iam.create_policy(PolicyName="admin", Path="/boundaries/", PolicyDocument=_document("Bound", "*"))
    text = edge.source.read_text().replace(
        "description = Everything\n",
        "description = Everything\ncustomer_managed = /team/deny-iam\nboundary = /boundaries/admin\n").replace(
        "policies = developer/extra.json, shared.json\n",
        "policies = developer/extra.json, shared.json\nboundary = arn:aws:iam::aws:policy/PowerUserAccess\n")
    edge.source.write_text(text)
    org = load_org(edge.source)
    apply(org)
    back = round_trip(org, tmp_path, explicit(org))
    assert (back.role("admin").customer_managed, back.role("admin").boundary) == (
        ("/team/deny-iam",), "/boundaries/admin")
    assert back.role("developer").boundary == "arn:aws:iam::aws:policy/PowerUserAccess"
    written = (tmp_path / "awsroles.ini").read_text()
    assert "customer_managed = /team/deny-iam\nboundary = /boundaries/admin\n" in written
