"""`awsroles migrate identity-center` against moto in-process, with the sandbox's Identity Center:
the start (checks, the edit, what apply creates in Identity Center), the finish (refusals, who
still uses IAM, the IAM removals and the commands that make them) and the whole move, applied."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.iam.models import iam_backends

from awsroles.aws import Aws, AwsSettings
from awsroles.cli.app import App
from awsroles.cli.runner import run
from awsroles.errors import ExitCode, OrgFileError, UsageError
from awsroles.iam.checks import load_org
from awsroles.identity_center.state import NoInstance
from awsroles.people import migrate
from awsroles.people.users import offboard
from awsroles.sandbox.server.patches import account_email, patch_account_ids
from awsroles.sync.engine import Engine
from awsroles.sync.plan import PlanOptions
from tests.aws.test_accounts_close import Keyboard

MGMT, DEV, PROD = "111111111111", "222222222222", "444444444444"
ORG = """\
[org]
name = acme
ops_account = mgmt
management_account = mgmt
mfa = optional          ; people's own choice, for now

[account mgmt]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[account prod]
id = 444444444444
environment = prod

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[role readonly]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess

[team platform]
members = alice
dev = admin, readonly
prod = admin

[team backend]
members = bob
dev = readonly

[user alice]
email = alice@acme.example
console = yes

[user bob]
email = bob@acme.example
"""
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("awsroles.identity_center.runner.STATUS_FIRST", 0.0)


@pytest.fixture
def aws(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """An admin in the management account (also ops), with an organization holding dev and prod;
    its credentials in the environment, for the command."""
    undo = patch_account_ids()
    try:
        base = Aws(AwsSettings(region="us-east-1"))
        admin = Aws(AwsSettings(region="us-east-1"), session=base.for_account(MGMT, "admin"))
        orgs = admin.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        for name, account_id in (("dev", DEV), ("prod", PROD)):
            orgs.create_account(Email=account_email("acme", name, account_id), AccountName=name)
        creds = base.for_account(MGMT, "admin").get_credentials().get_frozen_credentials()
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
        monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
        yield admin
    finally:
        undo()


@pytest.fixture
def org_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text(ORG)
    monkeypatch.setenv("AWSROLES_FILE", str(path))
    return path


def apply(aws: Aws, path: Path, prune: bool = False) -> None:
    engine = Engine(load_org(path), aws)
    result = engine.apply(engine.plan(options=PlanOptions(prune=prune)))
    assert result.ok, "\n".join(result.summary())


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def iam(aws: Aws) -> Any:
    return aws.client("iam")


def test_start_checks_edits_identity_and_shows_what_apply_creates_in_identity_center(aws: Aws, org_path: Path) -> None:
    apply(aws, org_path)  # IAM users today
    start = migrate.prepare_start(org_path, aws)
    assert org_path.read_text() == ORG  # prepared: nothing written
    assert start.instance_arn.startswith("arn:aws:sso:::instance/")
    made = sorted((c.kind, c.action, c.name) for c in start.plan.changes if c.kind in ("ic-user", "permission-set"))
    assert made == [
        ("ic-user", "create", "alice"), ("ic-user", "create", "bob"),
        ("permission-set", "create", "admin"), ("permission-set", "create", "readonly")]
    assert not any(c.kind in migrate.IAM_KINDS for c in start.plan.changes)  # the IAM side is not part of it
    migrate.write(start.edit)
    text = org_path.read_text()
    assert text == ORG.replace("; people's own choice, for now\n", "; people's own choice, for now\n"
                                                                    "identity = iam-users, identity-center\n")
    again = migrate.prepare_start(org_path, aws)
    assert again.already and not again.edit.changed and len(again.plan.changes) == len(start.plan.changes)
    apply(aws, org_path)  # both side by side: Identity Center made, IAM as it was
    assert migrate.prepare_start(org_path, aws).plan.empty
    assert sorted(u["UserName"] for u in iam(aws).list_users(PathPrefix="/awsroles/")["Users"]) == ["alice", "bob"]


def test_start_refuses_what_cannot_move_and_writes_nothing(aws: Aws, org_path: Path) -> None:
    org_path.write_text(ORG.replace("email = bob@acme.example\n", ""))
    with pytest.raises(OrgFileError) as caught:
        migrate.prepare_start(org_path, aws)
    assert [str(p) for p in caught.value.problems if p.is_error] == [
        f"{org_path}:37: user 'bob' needs an email: IAM Identity Center sends one-time passwords and password "
        "resets there"]
    org_path.write_text(ORG + "\n[account shared]\nemail = shared@acme.example\n")
    org_path.write_text(org_path.read_text().replace("management_account = mgmt\n", "management_account = mgmt\n"
                                                     "identity_center_account = shared\n"))
    with pytest.raises(OrgFileError, match=r"the Identity Center account 'shared' .* needs an id"):
        migrate.prepare_start(org_path, aws)
    elsewhere = ORG.replace("management_account = mgmt\n", "management_account = mgmt\nidentity_center_account = dev\n")
    org_path.write_text(elsewhere)
    with pytest.raises(NoInstance, match=r"account dev .* has no IAM Identity Center instance"):
        migrate.prepare_start(org_path, aws)
    assert org_path.read_text() == elsewhere
    code, out, err = invoke("migrate", "identity-center")
    assert (code, out) == (ExitCode.FAILURE, "") and err.startswith("awsroles: error: account dev (222222222222) in "
                                                                     "us-east-1 has no IAM Identity Center instance")
    assert err.count("\n") == 1 and org_path.read_text() == elsewhere


def test_the_command_starts_with_a_diff_and_dry_run_writes_nothing(aws: Aws, org_path: Path) -> None:
    code, out, err = invoke("migrate", "identity-center", "--dry-run")
    assert (code, err) == (ExitCode.OK, "") and org_path.read_text() == ORG
    assert "  +identity = iam-users, identity-center" in out.splitlines()
    assert "  + ic-user alice (create): display name alice, email alice@acme.example" in out
    assert "Dry run: " in out and "awsroles apply " in out
    code, out, _ = invoke("migrate", "identity-center")
    assert code == ExitCode.OK and "Wrote " in out and load_org(org_path).identity == migrate.BOTH
    code, out, _ = invoke("migrate", "identity-center", "-o", "json")
    data = json.loads(out)
    assert (code, data["changed"], data["written"], data["identity"]) == (0, False, False, list(migrate.BOTH))
    assert data["plan"]["summary"]["create"] == len(data["plan"]["changes"]) > 0


def test_finish_refuses_until_identity_center_is_applied(aws: Aws, org_path: Path) -> None:
    with pytest.raises(UsageError, match="runs on IAM users alone: start with `awsroles migrate identity-center`"):
        migrate.prepare_finish(org_path, aws, now=NOW)
    migrate.write(migrate.prepare_start(org_path, aws).edit)
    before = org_path.read_text()
    with pytest.raises(UsageError, match=r"Identity Center does not match the org file yet \(\d+ change\(s\), 0 "
                                         r"conflict\(s\)\): run `awsroles apply`"):
        migrate.prepare_finish(org_path, aws, now=NOW)
    code, out, err = invoke("migrate", "identity-center", "--finish", "--yes")
    assert (code, out) == (ExitCode.USAGE, "") and "does not match the org file yet" in err
    assert org_path.read_text() == before


def test_finish_shows_who_still_uses_iam_and_the_removals_then_the_move_completes(aws: Aws, org_path: Path) -> None:
    apply(aws, org_path)
    client = iam(aws)
    client.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    key = client.create_access_key(UserName="alice")["AccessKey"]
    backend = iam_backends[MGMT]["aws"]
    backend.users["alice"].password_last_used = NOW - timedelta(days=30)
    serial = client.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    client.enable_mfa_device(UserName="bob", SerialNumber=serial, AuthenticationCode1="123456",
                             AuthenticationCode2="654321")
    migrate.write(migrate.prepare_start(org_path, aws).edit)
    apply(aws, org_path)

    finish = migrate.prepare_finish(org_path, aws, now=NOW)
    uses = {u.name: u for u in finish.uses}
    assert sorted(uses) == ["alice", "bob"]
    assert uses["alice"].password and uses["alice"].password_last_used == NOW - timedelta(days=30)
    assert [(k.id, k.last_used) for k in uses["alice"].keys] == [(key["AccessKeyId"], None)]
    assert uses["bob"].mfa_devices == (serial,) and not uses["bob"].password and uses["bob"].last_used is None
    assert finish.recent == () and finish.to_offboard == ("alice", "bob")
    assert [f"{c.account} {c.kind} {c.name}" for c in finish.removals if c.kind in ("user", "group")] == [
        "mgmt user alice", "mgmt user bob", "mgmt group awsroles-users", "mgmt group team-backend",
        "mgmt group team-platform"]
    assert {(c.account, c.name) for c in finish.removals if c.kind == "role"} == {
        ("dev", "admin"), ("dev", "readonly"), ("prod", "admin")}
    assert finish.next_steps() == ("awsroles users offboard alice --keep-in-file",
                                   "awsroles users offboard bob --keep-in-file", "awsroles apply --prune")
    assert migrate.prepare_finish(org_path, aws, now=NOW - timedelta(days=27)).recent == (uses["alice"],)
    assert migrate.prepare_finish(org_path, aws, now=NOW, recent_days=31).recent == (uses["alice"],)

    migrate.write(finish.edit)
    assert load_org(org_path).identity == migrate.ALONE
    for name in finish.to_offboard:
        offboard(org_path, load_org(org_path), aws, name, keep_in_file=True)
    assert [u.name for u in load_org(org_path).users] == ["alice", "bob"]  # still people, in Identity Center
    apply(aws, org_path, prune=True)
    assert client.list_users(PathPrefix="/awsroles/")["Users"] == []
    assert client.list_groups(PathPrefix="/awsroles/")["Groups"] == []
    after = Engine(load_org(org_path), aws).plan(options=PlanOptions(prune=True))
    assert after.in_sync, [(c.kind, c.name) for c in after.changes + after.kept]
    done = migrate.prepare_finish(org_path, aws, now=NOW)  # once more: harmless, nothing left
    assert done.moved and not done.edit.changed and done.removals == () and done.next_steps() == ()


def test_finish_asks_and_without_a_terminal_needs_yes(aws: Aws, org_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    migrate.write(migrate.prepare_start(org_path, aws).edit)
    apply(aws, org_path)
    client = iam(aws)
    key = client.create_access_key(UserName="bob")["AccessKey"]
    boto3.client("iam", region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                 aws_secret_access_key=key["SecretAccessKey"]).list_users()  # bob uses his key: now
    before = org_path.read_text()
    code, out, err = invoke("migrate", "identity-center", "--finish")
    assert code == ExitCode.USAGE and org_path.read_text() == before
    assert err.splitlines()[-1] == ("awsroles: error: migrate identity-center --finish needs confirmation: run it in "
                                    "a terminal, or pass --yes; nothing was changed")
    assert any(line.startswith("warning: bob used IAM in the last 7 days (access key ") for line in err.splitlines())
    assert "  bob: access key " in out and "Then `awsroles apply --prune` deletes in IAM" in out
    with monkeypatch.context() as as_bob:  # bob runs it with his own IAM key: told to use another sign-in
        as_bob.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        as_bob.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        as_bob.delenv("AWS_SESSION_TOKEN")
        code, out, err = invoke("migrate", "identity-center", "--finish", "--dry-run")
    assert code == ExitCode.OK and org_path.read_text() == before
    assert out.splitlines()[-1] == ("You are signed in as IAM user bob, which those commands remove: run them with "
                                    "your Identity Center sign-in (--profile), or ask another admin.")
    code, out, err = invoke("migrate", "identity-center", "--finish", "--yes", "--recent-days", "0")
    assert code == ExitCode.OK and "warning" not in err
    assert load_org(org_path).identity == migrate.ALONE
    assert "    awsroles users offboard bob --keep-in-file" in out.splitlines()
    assert out.splitlines()[-1] == "    awsroles apply --prune"
    assert sorted(u["UserName"] for u in client.list_users(PathPrefix="/awsroles/")["Users"]) == ["alice", "bob"]
    assert len(client.list_access_keys(UserName="bob")["AccessKeyMetadata"]) == 1  # it deleted nothing itself


def test_finish_answered_no_changes_nothing_and_exits_130(aws: Aws, org_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    migrate.write(migrate.prepare_start(org_path, aws).edit)
    apply(aws, org_path)
    before = org_path.read_text()
    monkeypatch.setattr("sys.stdin", Keyboard("n\n"))
    code, out, err = invoke("migrate", "identity-center", "--finish")
    assert (code, org_path.read_text()) == (ExitCode.INTERRUPTED, before)
    assert "Make Identity Center the only way in" in err and err.endswith("Nothing was changed.\n")
    assert "Then `awsroles apply --prune` deletes in IAM" in out and "Wrote" not in out


def _inline_of(aws: Aws, name: str) -> dict[str, Any]:
    sso = aws.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    sets = [a for page in sso.get_paginator("list_permission_sets").paginate(InstanceArn=instance)
            for a in page["PermissionSets"]]
    arn = next(a for a in sets if sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=a)[
        "PermissionSet"]["Name"] == name)
    text = sso.get_inline_policy_for_permission_set(InstanceArn=instance, PermissionSetArn=arn)["InlinePolicy"]
    return dict(json.loads(text)) if text else {"Statement": []}


def _revoked(document: dict[str, Any]) -> list[tuple[list[str], str]]:
    """(the user ids, the account) of each revocation statement of a permission set's inline policy."""
    return [(s["Condition"]["StringEquals"]["identitystore:userId"], s["Condition"]["StringEquals"][
        "aws:PrincipalAccount"]) for s in document["Statement"] if s["Sid"].startswith("Revoke")]


def test_during_the_move_disable_and_offboard_end_sessions_on_both_sides(aws: Aws, org_path: Path) -> None:
    """With people both IAM users and Identity Center users, `users disable` ends the person's sessions
    of each role in IAM and of each permission set they may use in Identity Center, a temporary
    grant's own too, and no one else's; `offboard --dry-run` lists the same and writes nothing."""
    from awsroles.org.temporary import format_time, permission_set_name

    until = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=2)
    migrate.write(migrate.prepare_start(org_path, aws).edit)
    org_path.write_text(org_path.read_text() + f"\n[temporary t-bob-prod]\nuser = bob\nenvironment = prod\n"
                                               f"role = readonly\nuntil = {format_time(until)}\nreason = INC-1\n")
    apply(aws, org_path)
    store = aws.client("identitystore")
    store_id = aws.client("sso-admin").list_instances()["Instances"][0]["IdentityStoreId"]
    bob = store.get_user_id(IdentityStoreId=store_id, AlternateIdentifier={"UniqueAttribute": {
        "AttributePath": "userName", "AttributeValue": "bob"}})["UserId"]
    temporary = permission_set_name("t-bob-prod")

    code, out, err = invoke("users", "offboard", "bob", "--dry-run", "--keep-in-file")  # his [temporary] names him
    assert code == ExitCode.OK, err
    assert f"permission set readonly in dev ({DEV}): refuse sessions of bob issued before" in out
    assert f"permission set {temporary} in prod ({PROD}): refuse sessions of bob issued before" in out
    assert f"role readonly in dev ({DEV}): refuse sessions of bob issued before" in out
    assert _revoked(_inline_of(aws, "readonly")) == [] and _revoked(_inline_of(aws, temporary)) == []

    code, out, err = invoke("users", "disable", "bob", "-o", "json")
    assert code == ExitCode.OK, err
    ended = json.loads(out)["sessions_ended"]
    assert sorted((e.get("role") or e.get("permission_set"), e["environment"]) for e in ended) == [
        (temporary, "prod"), ("readonly", "dev"), ("readonly", "dev"), ("readonly", "prod")]  # IAM: his grants' roles
    assert _revoked(_inline_of(aws, "readonly")) == [([bob], DEV)]  # bob's sessions in dev only
    assert _revoked(_inline_of(aws, temporary)) == [([bob], PROD)]
    assert _revoked(_inline_of(aws, "admin")) == []  # alice's: not his
    dev_iam = Aws(AwsSettings(region="us-east-1"), session=aws.for_account(DEV, "admin")).client("iam")
    assert "awsroles-revoked-sessions" in dev_iam.list_role_policies(RoleName="readonly")["PolicyNames"]
    engine = Engine(load_org(org_path), aws)
    assert not [c for c in engine.plan().changes if c.kind == "permission-set"]  # the statements are not drift
