"""Break-glass in an org on IAM Identity Center alone, through the access portal's role credentials
against a sandbox in this process (docs/temporary-access.md, "Break-glass through IAM Identity
Center"): apply makes the break-glass role (an IAM role in the environment's account), the
permission set ``awsroles-break-glass`` assigned to each named person in that account only, and
the alarm; a named person assumes the role from that permission set's role session with a reason,
and is refused without one; nobody else is let in: not a person named for another environment,
not an administrator of the same account through another permission set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.identity_center.names import BREAK_GLASS_SET
from awsroles.sandbox.process import Sandbox
from awsroles.sync.engine import Engine
from tests.aws.test_identity_center_temporary_access import applied_sandbox, client, sign_in
from tests.aws.test_sso_sandbox import DEV, ORG, PROD

GLASS = """
[break-glass prod]
people = carol, bob
managed = arn:aws:iam::aws:policy/AdministratorAccess

[break-glass dev]
people = bob
role = dev-breakglass
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
"""
ROLE = f"arn:aws:iam::{PROD}:role/awsroles/breakglass"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The org with two break-glass roles, applied once for the module (the tests only read)."""
    folder = tmp_path_factory.mktemp("glass-ic")
    (folder / "org.ini").write_text(ORG + GLASS)
    with applied_sandbox(folder / "org.ini") as sandbox:
        yield sandbox


def gate(box: Sandbox, person: str, account: str) -> dict[str, Any]:
    """``person``'s role credentials of the break-glass permission set in ``account``."""
    portal = client(box.endpoint, "sso")
    return dict(portal.get_role_credentials(accessToken=sign_in(box, person), accountId=account,
                                            roleName=BREAK_GLASS_SET)["roleCredentials"])


def assume(credentials: dict[str, Any], box: Sandbox, role: str = ROLE, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"RoleArn": role, "RoleSessionName": "someone", "DurationSeconds": 900, **extra}
    return dict(client(box.endpoint, "sts", credentials).assume_role(**params))


REASON = [{"Key": "awsroles:reason", "Value": "INC-1234 database down"}]


def test_apply_makes_the_role_the_permission_set_for_the_named_people_only_and_the_alarm(box: Sandbox) -> None:
    aws = box.aws()
    iam = aws.client("iam", aws.for_account(PROD, box.org.bootstrap_role))
    role = iam.get_role(RoleName="breakglass")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"AWS": f"arn:aws:iam::{PROD}:root"}] * 2
    assert sorted(trust["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"]) == [
        f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_awsroles-break-glass_" + "?" * 16,
        f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_awsroles-break-glass_" + "?" * 16]
    events = aws.client("events", aws.for_account(PROD, box.org.bootstrap_role))
    assert events.describe_rule(Name="awsroles-break-glass")["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

    portal = client(box.endpoint, "sso")
    roles = {person: {(r["accountId"], r["roleName"]) for account in (DEV, PROD)
                      for r in portal.list_account_roles(accessToken=sign_in(box, person),
                                                         accountId=account)["roleList"]}
             for person in ("alice", "bob", "carol")}
    assert roles["carol"] == {(PROD, BREAK_GLASS_SET)}  # in prod only: her [break-glass prod]
    assert {(DEV, BREAK_GLASS_SET), (PROD, BREAK_GLASS_SET)} <= roles["bob"]
    assert BREAK_GLASS_SET not in {r for _, r in roles["alice"]}  # named nowhere

    engine = Engine(box.org, box.aws())
    assert not engine.plan().changes  # nothing left to do: the break-glass parts read back as made


def test_carol_assumes_the_role_from_her_permission_set_with_a_reason_and_not_without(box: Sandbox) -> None:
    credentials = gate(box, "carol", PROD)
    session = assume(credentials, box, RoleSessionName="carol", Tags=REASON)
    who = client(box.endpoint, "sts", {"accessKeyId": session["Credentials"]["AccessKeyId"],
                                       "secretAccessKey": session["Credentials"]["SecretAccessKey"],
                                       "sessionToken": session["Credentials"]["SessionToken"]}).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/breakglass/carol"
    for refused in ({}, {"Tags": [*REASON, {"Key": "team", "Value": "platform"}]}):
        with pytest.raises(ClientError) as denied:
            assume(credentials, box, **refused)  # no reason; a tag besides the reason
        assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_nobody_else_reaches_the_role(box: Sandbox) -> None:
    """bob's break-glass permission set in dev does not reach prod's role (it trusts prod's alone); alice, an
    administrator of prod through the admin permission set, is not the break-glass permission set."""
    bob = gate(box, "bob", DEV)
    assert assume(bob, box, role=f"arn:aws:iam::{DEV}:role/awsroles/dev-breakglass", Tags=REASON)  # his own: yes
    with pytest.raises(ClientError) as denied:
        assume(bob, box, Tags=REASON)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    portal = client(box.endpoint, "sso")
    admin = portal.get_role_credentials(accessToken=sign_in(box, "alice"), accountId=PROD,
                                        roleName="admin")["roleCredentials"]
    with pytest.raises(ClientError) as refused:
        assume(admin, box, Tags=REASON)  # AdministratorAccess allows it: the role's trust refuses
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert refused.value.response["Error"]["Message"].endswith(f"sts:AssumeRole on resource: {ROLE}")
    with pytest.raises(ClientError) as none:
        portal.get_role_credentials(accessToken=sign_in(box, "alice"), accountId=PROD, roleName=BREAK_GLASS_SET)
    assert none.value.response["Error"]["Code"] in ("ForbiddenException", "403")


def test_import_names_the_break_glass_permission_set_and_its_people_and_makes_no_role_of_it(box: Sandbox) -> None:
    from awsroles.importer.build import ImportOptions, collect

    imported = collect(box.aws(), ImportOptions(identity_center=True, accounts=(f"dev={DEV}", f"prod={PROD}")))
    assert BREAK_GLASS_SET not in {r.name for r in imported.org.roles}
    (warning,) = [w for w in imported.warnings if BREAK_GLASS_SET in w]
    assert warning.startswith(f"permission set {BREAK_GLASS_SET} is the way to the org's break-glass roles (bob in "
                              f"dev ({DEV}), bob in prod ({PROD}), carol in prod ({PROD})): not imported as a role; "
                              "write each [break-glass ENV] section by hand")



def test_the_permission_set_assigned_to_someone_else_by_hand_is_drift_that_apply_removes(box: Sandbox) -> None:
    aws = box.aws()
    sso, store = aws.client("sso-admin"), aws.client("identitystore")
    instance = sso.list_instances()["Instances"][0]
    arn = next(p for p in sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"]
               if sso.describe_permission_set(InstanceArn=instance["InstanceArn"], PermissionSetArn=p)[
                   "PermissionSet"]["Name"] == BREAK_GLASS_SET)
    alice = store.get_user_id(IdentityStoreId=instance["IdentityStoreId"], AlternateIdentifier={
        "UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "alice"}})["UserId"]
    sso.create_account_assignment(InstanceArn=instance["InstanceArn"], TargetId=PROD, TargetType="AWS_ACCOUNT",
                                  PermissionSetArn=arn, PrincipalType="USER", PrincipalId=alice)
    engine = Engine(box.org, aws)
    plan = engine.plan()
    (change,) = plan.changes
    assert change.action == "delete" and change.drift and change.name == f"alice -> {BREAK_GLASS_SET} in prod"
    assert engine.apply(plan).ok
    assert not Engine(box.org, aws).plan().changes


def session_of(reply: dict[str, Any]) -> dict[str, Any]:
    c = reply["Credentials"]
    return {"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"], "sessionToken": c["SessionToken"]}


def test_offboarding_carol_ends_her_way_in_and_every_break_glass_session_of_prod_at_once(
        box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Last in this module: it changes the org. A break-glass session here carries no person's name
    (nothing ties one to them): offboarding carol ends every session of prod's break-glass role
    issued before, bob's too, and her break-glass permission set's; bob breaks the glass again."""
    import contextlib
    import io

    from awsroles.cli.app import App
    from awsroles.cli.runner import run
    from awsroles.sandbox.client import advance_clock

    carol_gate = gate(box, "carol", PROD)
    carol, bob = (session_of(assume(g, box, Tags=REASON)) for g in (carol_gate, gate(box, "bob", PROD)))
    for credentials in (carol, bob):
        assert client(box.endpoint, "iam", credentials).list_roles()["Roles"]  # AdministratorAccess
    advance_clock(box.endpoint, 1)
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["users", "offboard", "carol", "--yes"], App(stdout=out, stderr=err))
    assert code == 0, err.getvalue()
    assert f"role breakglass in prod ({PROD}): refuse every session issued before" in out.getvalue()
    for credentials in (carol, bob):
        with pytest.raises(ClientError) as refused:
            client(box.endpoint, "iam", credentials).list_roles()
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as gone:
        assume(carol_gate, box, Tags=REASON)  # her way in: ended too
    assert gone.value.response["Error"]["Code"] == "AccessDenied"
    advance_clock(box.endpoint, 1)
    again = session_of(assume(gate(box, "bob", PROD), box, Tags=REASON))  # issued after: works
    assert client(box.endpoint, "iam", again).list_roles()
