"""awsroles import of an existing IAM Identity Center instance, against moto with the sandbox's Identity
Center (tests/aws/conftest.py): an instance made with boto3 as an admin would by hand, imported into an
org file that validates and says what the instance holds."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from awsroles.aws import Aws, AwsSettings
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Plan, PlanOptions
from tests.aws.test_identity_center import ORG, applied, load
from tests.aws.test_identity_center import aws as aws
from tests.aws.test_identity_center import quick_polls as quick_polls

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*",
                                                  "Resource": "*"}]}


@dataclass
class Instance:
    """An instance in the management account (moto's default account) of an organization with a
    member account ``dev``, made by hand: nothing in it carries awsroles' marks."""

    sso: Any
    ids: Any
    arn: str
    store: str
    management: str
    dev: str
    other: str  # a member account the import is not told about

    def assign(self, permission_set: str, principal: str, kind: str = "GROUP", account: str | None = None) -> None:
        self.sso.create_account_assignment(InstanceArn=self.arn, TargetId=account or self.dev, TargetType="AWS_ACCOUNT",
                                           PermissionSetArn=permission_set, PrincipalType=kind, PrincipalId=principal)


@pytest.fixture
def instance(moto_aws: None) -> Instance:
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    for name in ("dev", "sandbox"):
        orgs.create_account(AccountName=name, Email=f"{name}@acme.example")
    accounts = {a["Name"]: a["Id"] for a in orgs.list_accounts()["Accounts"]}
    sso = boto3.client("sso-admin", region_name="us-east-1")
    found = sso.list_instances()["Instances"][0]
    ic = Instance(sso, boto3.client("identitystore", region_name="us-east-1"), found["InstanceArn"],
                  found["IdentityStoreId"], boto3.client("sts").get_caller_identity()["Account"], accounts["dev"],
                  accounts["sandbox"])
    admin = sso.create_permission_set(InstanceArn=ic.arn, Name="admin", Description="Full access",
                                      SessionDuration="PT2H")["PermissionSet"]["PermissionSetArn"]
    sso.attach_managed_policy_to_permission_set(InstanceArn=ic.arn, PermissionSetArn=admin, ManagedPolicyArn=ADMIN)
    developer = sso.create_permission_set(InstanceArn=ic.arn, Name="developer")["PermissionSet"]["PermissionSetArn"]
    sso.put_inline_policy_to_permission_set(InstanceArn=ic.arn, PermissionSetArn=developer,
                                            InlinePolicy=json.dumps(POLICY))
    sso.attach_managed_policy_to_permission_set(InstanceArn=ic.arn, PermissionSetArn=developer,
                                                ManagedPolicyArn=READ_ONLY)
    sso.attach_customer_managed_policy_reference_to_permission_set(
        InstanceArn=ic.arn, PermissionSetArn=developer,
        CustomerManagedPolicyReference={"Name": "deny-billing", "Path": "/team/"})
    sso.put_permissions_boundary_to_permission_set(InstanceArn=ic.arn, PermissionSetArn=developer,
                                                   PermissionsBoundary={"ManagedPolicyArn": READ_ONLY})
    users = {name: ic.ids.create_user(IdentityStoreId=ic.store, UserName=name, DisplayName=display,
                                      Name={"GivenName": given, "FamilyName": family},
                                      Emails=[{"Value": f"{name}@acme.example", "Primary": True}])["UserId"]
             for name, display, given, family in (("alice", "Alice van der Berg", "Alice", "van der Berg"),
                                                  ("bob", "Bob Smith", "Robert", "Smith"))}
    groups = {name: ic.ids.create_group(IdentityStoreId=ic.store, DisplayName=name, Description=description)["GroupId"]
              for name, description in (("team-platform", "Platform engineers"), ("Backend Devs", "Backend"))}
    for group, members in (("team-platform", ["alice"]), ("Backend Devs", ["alice", "bob"])):
        for user in members:
            ic.ids.create_group_membership(IdentityStoreId=ic.store, GroupId=groups[group],
                                           MemberId={"UserId": users[user]})
    ic.assign(admin, groups["team-platform"])
    ic.assign(admin, groups["team-platform"], account=ic.other)
    ic.assign(developer, groups["Backend Devs"])
    ic.assign(developer, users["bob"], kind="USER")
    return ic


def caller() -> Aws:
    return Aws(AwsSettings(region="us-east-1"))


def test_an_instance_made_by_hand_imports_into_an_org_file_that_validates(instance: Instance, tmp_path: Path) -> None:
    imported = collect(caller(), ImportOptions(name="acme", identity_center=True, accounts=(f"dev={instance.dev}",)))
    result = write_import(imported, tmp_path / "awsroles.ini")
    text = (tmp_path / "awsroles.ini").read_text()
    assert "identity = identity-center\n" in text
    assert "[role admin]\nmanaged = arn:aws:iam::aws:policy/AdministratorAccess\nmax_session = 2h\n" \
           "description = Full access\n" in text
    assert "[role developer]\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\npolicies = developer.json\n" \
           "customer_managed = /team/deny-billing\nboundary = arn:aws:iam::aws:policy/ReadOnlyAccess\n" in text
    assert "[team backend-devs]\ndescription = Backend\nmembers = alice, bob\ndev = developer\n" in text
    assert "[team platform]\ndescription = Platform engineers\nmembers = alice\ndev = admin\n" in text
    assert "[user alice]\nemail = alice@acme.example\ndisplay_name = Alice van der Berg\n" in text
    assert "[user bob]\nemail = bob@acme.example\ndisplay_name = Bob Smith\ngiven_name = Robert\n" in text
    assert json.loads((tmp_path / "policies" / "developer.json").read_text()) == POLICY
    org = result.imported.org
    assert org.uses_identity_center and org.identity_center_home.id == instance.management
    warnings = "\n".join(imported.warnings)
    assert "user bob is assigned permission set developer in account dev" in warnings
    assert f"account {instance.other} holds no environment of the org file: the assignments of team-platform" \
        in warnings
    assert "group 'Backend Devs'" in warnings


def test_a_from_file_that_says_identity_center_imports_the_instance_it_names(instance: Instance,
                                                                            tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.ini"
    accounts.write_text(f"[org]\nname = acme\nmanagement_account = mgmt\nidentity = identity-center\n\n"
                        f"[account mgmt]\nid = {instance.management}\n\n[account dev]\nid = {instance.dev}\n"
                        "environment = dev\n")
    from awsroles.iam.checks import load_org

    imported = collect(caller(), ImportOptions(), previous=load_org(accounts))
    org = write_import(imported, tmp_path / "awsroles.ini").imported.org
    assert org.identity == ("identity-center",) and org.team("platform").grants[0].environment == "dev"
    assert org.identity_center_home.name == "mgmt" and "identity_center_account" not in imported.text


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_the_command_imports_and_says_what_it_did_not(instance: Instance, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke("import", "--identity-center", "--name", "acme", "--account", f"dev={instance.dev}")
    assert code == ExitCode.OK, err
    assert "Imported 2 accounts (1 environment), 2 roles, 2 teams and 2 users to awsroles.ini, 1 policy file in " \
           "policies; from IAM Identity Center (us-east-1)." in out
    assert "warning: user bob is assigned permission set developer in account dev" in err
    assert "not yet awsroles' (without its mark): `awsroles apply --adopt` marks 5 resources:\n" in err
    assert "warning: the org file cannot express everything in IAM Identity Center: `awsroles plan` will show 2 " \
           "change(s):\n  ops: create ic-group team-backend-devs: member alice, member bob\n" in err
    assert "Next: review it, then `awsroles -f awsroles.ini apply --adopt` to mark the 5 resources" in out
    assert (tmp_path / "awsroles.ini").is_file()


def test_no_instance_in_the_account_is_a_one_line_error_and_nothing_is_written(instance: Instance, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    accounts = tmp_path / "accounts.ini"
    accounts.write_text(f"[org]\nname = acme\nops_account = mgmt\nidentity = identity-center\n"
                        f"identity_center_account = dev\n\n[account mgmt]\nid = {instance.management}\n\n"
                        f"[account dev]\nid = {instance.dev}\nenvironment = dev\n")
    code, _, err = invoke("import", "--from", "accounts.ini", "-O", "awsroles.ini")
    assert code == ExitCode.FAILURE
    assert f"account dev ({instance.dev}) in us-east-1 has no IAM Identity Center instance" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.ini"]


def test_the_org_name_comes_from_awsroles_marks_and_iam_users_are_not_read(instance: Instance) -> None:
    instance.ids.create_group(IdentityStoreId=instance.store, DisplayName="team-ops", Description="[awsroles:zeta] Ops")
    boto3.client("iam").create_user(UserName="carol", Path="/awsroles/")
    imported = collect(caller(), ImportOptions(identity_center=True, accounts=(f"dev={instance.dev}",)))
    assert imported.org.name == "zeta" and imported.org.team("ops").description == "Ops"
    assert [u.name for u in imported.org.users] == ["alice", "bob"]


def test_the_instance_of_another_region(instance: Instance, tmp_path: Path) -> None:
    sso = boto3.client("sso-admin", region_name="eu-west-1")
    arn = sso.list_instances()["Instances"][0]["InstanceArn"]
    sso.create_permission_set(InstanceArn=arn, Name="auditor", SessionDuration="PT1H")
    imported = collect(caller(), ImportOptions(name="acme", identity_center=True, identity_center_region="eu-west-1",
                                            accounts=(f"dev={instance.dev}",)))
    assert [r.name for r in imported.org.roles] == ["auditor"] and imported.org.users == ()
    assert "identity_center_region = eu-west-1\n" in imported.text
    assert write_import(imported, tmp_path / "awsroles.ini").imported.org.identity_center_region_name == "eu-west-1"


def test_access_denied_reading_the_instance_says_where_keeps_the_aws_code_and_writes_nothing(
        instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    import awsroles.identity_center.state

    def denied(*_: Any, **__: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "ListInstances")

    monkeypatch.setattr(awsroles.identity_center.state, "read_identity_center", denied)
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("import", "--identity-center", "--account", f"dev={instance.dev}")
    assert code == ExitCode.FAILURE and len(err.splitlines()) == 1, err
    assert err.startswith(f"awsroles: error: cannot read IAM Identity Center in account ops ({instance.management}) "
                          "in us-east-1: AccessDeniedException: not allowed")
    assert list(tmp_path.iterdir()) == []


def actions(plan: Plan) -> list[str]:
    return sorted(f"{c.action} {c.kind} {c.name}" for c in plan.changes)


def test_after_import_plan_adopts_what_the_file_describes_and_then_does_what_the_warnings_said(
        instance: Instance, tmp_path: Path) -> None:
    imported = collect(caller(), ImportOptions(name="acme", identity_center=True, accounts=(f"dev={instance.dev}",)))
    org = write_import(imported, tmp_path / "awsroles.ini").imported.org
    engine = Engine(org, caller())
    plan = engine.plan(options=PlanOptions(adopt=True))
    assert actions(plan) == actions(imported.plan)  # what the import said plan would show
    assert actions(plan) == [
        "adopt ic-group team-platform", "adopt ic-user alice", "adopt ic-user bob", "adopt permission-set admin",
        "adopt permission-set developer",
        "create assignment team-backend-devs -> developer in dev",  # the renamed group's team: a new group
        "create ic-group team-backend-devs"]
    adopted = {c.name: c.details for c in plan.changes if c.action == "adopt"}
    assert adopted == dict.fromkeys(adopted, ("mark as awsroles'",))  # nothing but the marks: the file says what is
    assert {op for c in plan.changes if c.action == "adopt" for op, _ in c.ops} == {  # live
        "update_user", "update_group", "tag_resource"}
    result = engine.apply(plan)
    assert result.ok, "\n".join(result.summary())
    after = engine.plan()
    assert actions(after) == [  # each announced by a warning of the import
        "delete assignment Backend Devs -> developer in dev",
        "delete assignment bob -> developer in dev",
        f"delete assignment team-platform -> admin in {instance.other}"]
    assert not after.conflicts and not after.kept


def test_an_org_applied_by_awsroles_imports_back_as_the_same_roles_teams_and_users_with_nothing_to_do(
        aws: Aws, tmp_path: Path) -> None:
    applied(aws)
    imported = collect(aws, ImportOptions(identity_center=True,
                                          accounts=("dev=222222222222", "prod=444444444444")))
    assert imported.org.name == "acme" and imported.warnings == ()
    written = write_import(imported, tmp_path / "awsroles.ini").imported.org
    want = load(ORG)
    assert {r.name: r for r in written.roles} == {r.name: r for r in want.roles}
    assert {t.name: t for t in written.teams} == {t.name: t for t in want.teams}
    assert {u.name: u for u in written.users} == {u.name: u for u in want.users}
    assert imported.plan.in_sync
    assert Engine(written, aws).plan().in_sync


def test_accounts_from_aws_organizations_hold_the_environments_of_their_tags(instance: Instance,
                                                                             tmp_path: Path) -> None:
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.tag_resource(ResourceId=instance.dev, Tags=[{"Key": "Environment", "Value": "dev"}])
    imported = collect(caller(), ImportOptions(name="acme", identity_center=True))
    org = write_import(imported, tmp_path / "awsroles.ini").imported.org
    assert [a.environment for a in org.accounts if a.environment] == ["dev"]
    assert org.team("platform").grants[0].environment == "dev" and org.billing.id == instance.management
    assert any(f"account {instance.other} holds no environment" in w for w in imported.warnings)
