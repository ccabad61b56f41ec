"""What the first apply after an import changes for people, on an org made by hand at ``/awsroles/``
(moto in-process): the report names each person and change, and after apply boto3 finds IAM as it said.

What is verified where: moto (and the sandbox server) do not evaluate trust policies, so "assume-role
without a source identity is refused" is checked on the trust policy IAM holds after apply, evaluated
by the sandbox's condition evaluator (:func:`awsroles.sandbox.server.conditions.resolve_policy`) for an
AssumeRole request with and without ``sts:SourceIdentity``. That joining ``awsroles-users`` denies
access-key requests without MFA is checked the same way on the group's policy as IAM holds it
(and end to end, with IAM authorization on, by tests/e2e/test_imports.py).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws, AwsSettings
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.importer.credentials import assess, read_credentials
from awsroles.importer.impact import Impact, impact, impact_lines, joining_everyone
from awsroles.org.parse import load_org
from awsroles.sandbox.server.conditions import resolve_policy
from awsroles.sync.engine import Engine
from awsroles.sync.plan import PlanOptions

OPS, DEV, PROD = "810000000001", "810000000002", "810000000003"
PATH = "/awsroles/"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document)


def _allow(actions: list[str] | str, resources: list[str] | str, condition: dict[str, Any] | None = None,
           sid: str = "") -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def role_arn(account: str, role: str) -> str:
    return f"arn:aws:iam::{account}:role{PATH}{role}"


@dataclass
class HandMade:
    aws: Aws  # admin in ops
    iam: Any  # boto3 IAM in ops
    env: dict[str, Any]  # boto3 IAM per environment account
    keys: dict[str, str]  # user -> access key id


@pytest.fixture
def hand_made(moto_aws: None) -> Iterator[HandMade]:
    """An org an admin made by hand at /awsroles/, as in issue 19 (no awsroles marks anywhere):

    - ops users alice (console password, an access key, no MFA device), bob (an access key, an MFA
      device, a permissions boundary (imported: kept) and an inline policy of his own) and carol (an MFA
      device);
    - team-platform (alice, bob): its grant on admin in dev and prod kept in an inline policy
      named ``assume-admin``;
    - team-backend (carol): ``awsroles-assume-roles`` on developer in dev, with MFA;
    - roles admin (dev, prod; boundary PowerUserAccess) and developer (dev), trusting the ops account
      with MFA and no source identity.
    """
    base = Aws(AwsSettings(region="us-east-1"))
    aws = Aws(AwsSettings(region="us-east-1"), session=base.for_account(OPS, "admin"))
    iam = aws.client("iam")
    env = {name: aws.client("iam", aws.for_account(account, "admin")) for name, account in (("dev", DEV),
                                                                                           ("prod", PROD))}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OPS}:root"}, "Action": "sts:AssumeRole",
        "Condition": MFA}]}
    for name, client in env.items():
        client.create_role(RoleName="admin", Path=PATH, AssumeRolePolicyDocument=_json(trust),
                           PermissionsBoundary="arn:aws:iam::aws:policy/PowerUserAccess")
        client.attach_role_policy(RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        if name == "dev":
            client.create_role(RoleName="developer", Path=PATH, AssumeRolePolicyDocument=_json(trust))
            client.attach_role_policy(RoleName="developer", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    keys = {}
    for user in ("alice", "bob", "carol"):
        iam.create_user(UserName=user, Path=PATH)
        if user != "carol":
            keys[user] = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
        if user != "alice":
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="123456",
                                  AuthenticationCode2="654321")
    iam.create_login_profile(UserName="alice", Password="Hand-made-1!")
    iam.put_user_permissions_boundary(UserName="bob", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(UserName="bob", PolicyName="bobs-own", PolicyDocument=_json(_allow("s3:*", "*")))
    for team, members in (("platform", ("alice", "bob")), ("backend", ("carol",))):
        iam.create_group(GroupName=f"team-{team}", Path=PATH)
        for member in members:
            iam.add_user_to_group(GroupName=f"team-{team}", UserName=member)
    iam.put_group_policy(GroupName="team-platform", PolicyName="assume-admin", PolicyDocument=_json(_allow(
        "sts:AssumeRole", [role_arn(DEV, "admin"), role_arn(PROD, "admin")], MFA)))
    iam.put_group_policy(GroupName="team-backend", PolicyName="awsroles-assume-roles", PolicyDocument=_json(_allow(
        "sts:AssumeRole", role_arn(DEV, "developer"), MFA)))
    # A grant the org file cannot hold (any role in dev): not imported, so apply removes it.
    iam.put_group_policy(GroupName="team-backend", PolicyName="assume-anything-in-dev", PolicyDocument=_json(_allow(
        "sts:AssumeRole", f"arn:aws:iam::{DEV}:role{PATH}*", MFA)))
    yield HandMade(aws, iam, env, keys)


def options() -> ImportOptions:
    return ImportOptions(accounts=(f"dev={DEV}", f"prod={PROD}"), name="hand")


def by_subject(report: tuple[Impact, ...]) -> dict[tuple[str, str], Impact]:
    return {(i.kind, i.subject): i for i in report}


def test_the_report_names_each_person_and_change(hand_made: HandMade) -> None:
    imported = collect(hand_made.aws, options())
    assert joining_everyone(imported.plan) == ("alice", "bob", "carol")
    credentials = read_credentials(hand_made.iam, joining_everyone(imported.plan))
    assert credentials["alice"].access_keys == (hand_made.keys["alice"],) and credentials["alice"].console
    assert not credentials["alice"].mfa_devices and credentials["carol"].mfa_devices
    report = by_subject(impact(imported.org, imported.plan, imported.live, credentials))

    roles = "roles admin in dev, prod; developer in dev"  # admin: imported from platform's assume-admin
    source = report[("source-identity", roles)]
    assert source.people == ("alice", "bob", "carol")
    assert "--source-identity" in source.change and "Switch Role" in source.change
    assert "awsroles login" in source.todo and "awsroles profiles sync" in source.todo
    assert report[("trust-narrowed", roles)].people == ("alice", "bob", "carol")

    alice = report[("mfa", "user alice")]
    assert alice.people == ("alice",)
    assert "has no MFA device" in alice.change and hand_made.keys["alice"] in alice.change
    assert "console" in alice.change and "awsroles users mfa enroll alice" in alice.todo
    bob = report[("mfa", "user bob")]
    assert f"access key {hand_made.keys['bob']} alone are denied" in bob.change and "no MFA device" not in bob.change
    carol = report[("mfa", "user carol")]
    assert "access key" not in carol.change and carol.todo == ""

    platform = report[("grant-moved", "team platform (team-platform)")]  # imported: its grants move
    assert platform.people == ("alice", "bob")
    assert role_arn(DEV, "admin") in platform.change and role_arn(PROD, "admin") in platform.change
    assert "from assume-admin to awsroles-assume-roles" in platform.change and "members keep them" in platform.change
    backend = report[("grant-removed", "team backend (team-backend)")]  # a wildcard the org file cannot hold
    assert backend.people == ("carol",)
    assert f"arn:aws:iam::{DEV}:role{PATH}*" in backend.change and "assume-anything-in-dev" in backend.change
    assert backend.todo.startswith("To keep it, add `ENVIRONMENT = ROLE` to [team backend] before apply")
    assert ("grant-moved", "team backend (team-backend)") not in report  # its own grant: in awsroles-assume-roles

    # bob's boundary is imported ([user bob] boundary): kept, never said to be removed
    assert ("boundary-removed", "user bob") not in report
    assert report[("kept", "user bob")].change == (
        "Its permissions boundary arn:aws:iam::aws:policy/ReadOnlyAccess stays (declared in the org file).")
    assert "bobs-own" in report[("policy-removed", "user bob")].change
    assert "PowerUserAccess stays" in report[("kept", "role admin")].change


def test_three_calls_per_user_read_their_credentials(hand_made: HandMade) -> None:
    calls: list[str] = []
    hand_made.iam.meta.events.register("before-call.iam", lambda model, **_: calls.append(model.name))
    found = read_credentials(hand_made.iam, ("alice", "carol"))
    assert sorted(calls) == sorted(["ListMFADevices", "ListAccessKeys", "GetLoginProfile"] * 2)
    assert (found["carol"].console, found["carol"].access_keys) == (False, ())


def test_after_apply_iam_is_as_the_report_said(hand_made: HandMade, tmp_path: Path) -> None:
    imported = collect(hand_made.aws, options())
    write_import(imported, tmp_path / "awsroles.ini")
    org = load_org(tmp_path / "awsroles.ini")
    engine = Engine(org, hand_made.aws)
    assert engine.apply(engine.plan(options=PlanOptions(adopt=True))).ok
    ops, dev = hand_made.iam, hand_made.env["dev"]

    # source-identity: the trust policy IAM now holds lets carol in only with her own source identity.
    trust = dev.get_role(RoleName="developer")["Role"]["AssumeRolePolicyDocument"]
    trust = trust if isinstance(trust, dict) else json.loads(trust)
    context = {"aws:username": "carol", "aws:multifactorauthpresent": "true", "aws:multifactorauthage": "60",
               "aws:principalarn": f"arn:aws:iam::{OPS}:user{PATH}carol"}  # the evaluator's keys are lower case
    assert resolve_policy(trust, {**context, "sts:sourceidentity": "carol"})["Statement"]
    assert not resolve_policy(trust, context)["Statement"]  # plain assume-role, Switch Role: refused
    assert not resolve_policy(trust, {**context, "sts:sourceidentity": "alice"})["Statement"]
    assert not resolve_policy(trust, {**context, "sts:sourceidentity": "carol",
                                      "aws:multifactorauthpresent": "false"})["Statement"]

    # mfa: alice, bob and carol are in awsroles-users, whose policy denies requests without MFA.
    members = {u["UserName"] for u in ops.get_group(GroupName="awsroles-users")["Users"]}
    assert members == {"alice", "bob", "carol"}
    policy = ops.get_policy(PolicyArn=f"arn:aws:iam::{OPS}:policy{PATH}awsroles-self-service")["Policy"]
    document = ops.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    document = document["PolicyVersion"]["Document"]
    document = document if isinstance(document, dict) else json.loads(document)
    key_only = {"aws:username": "alice"}  # a long-term key: no aws:MultiFactorAuthPresent at all
    denies = [s for s in resolve_policy(document, key_only)["Statement"] if s["Effect"] == "Deny"]
    assert denies and "ec2:DescribeInstances" not in denies[0]["NotAction"]
    assert not [s for s in resolve_policy(document, {**key_only, "aws:multifactorauthpresent": "true"})["Statement"]
                if s["Effect"] == "Deny"]

    # grant-moved: team-platform's assume-admin is gone, its grants now in awsroles-assume-roles.
    assert "assume-admin" not in ops.list_group_policies(GroupName="team-platform")["PolicyNames"]
    text = json.dumps(ops.get_group_policy(GroupName="team-platform", PolicyName="awsroles-assume-roles"))
    assert role_arn(DEV, "admin") in text and role_arn(PROD, "admin") in text
    # grant-removed: team-backend's wildcard is gone; nothing lets carol assume any role in dev but developer.
    assert "assume-anything-in-dev" not in ops.list_group_policies(GroupName="team-backend")["PolicyNames"]
    text = json.dumps(ops.get_group_policy(GroupName="team-backend", PolicyName="awsroles-assume-roles"))
    assert "role/awsroles/*" not in text and role_arn(DEV, "developer") in text
    # policy-removed: bob's own; his boundary, imported, stays.
    bob = ops.get_user(UserName="bob")["User"]
    assert bob["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert ops.list_user_policies(UserName="bob")["PolicyNames"] == []
    # Once applied, an import of the same org finds nothing more that changes for people.
    again = collect(hand_made.aws, options())
    assert joining_everyone(again.plan) == ()  # so no user's credentials are read
    report = assess(hand_made.aws, again)
    assert [(i.kind, i.subject) for i in report] == [("kept", "role admin"), ("kept", "user bob")]
    assert impact_lines(report)[0] == "Nothing changes for people at the first apply; kept as it is:"
    # kept: admin's boundary in prod (declared).
    assert hand_made.env["prod"].get_role(RoleName="admin")["Role"]["PermissionsBoundary"][
        "PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_import_check_prints_only_the_report_and_import_prints_it_too(
        hand_made: HandMade, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = hand_made.aws.base_session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{OPS}:role/admin", RoleSessionName="admin")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    monkeypatch.chdir(tmp_path)
    accounts = ("--account", f"dev={DEV}", "--account", f"prod={PROD}", "--name", "hand")

    code, out, err = invoke("import", "--check", *accounts)
    assert (code, err) == (ExitCode.OK, ""), err
    assert out.startswith("What the first apply changes for people (")
    assert "affects alice, bob, carol" in out.splitlines()[0]
    assert "  source identity required: roles admin in dev, prod; developer in dev (alice, bob, carol)\n" in out
    assert "  MFA required for everything: user alice (alice)\n" in out
    assert "  grant moved: team platform (team-platform) (alice, bob)\n" in out
    assert "  grant removed: team backend (team-backend) (carol)\n" in out
    assert "Imported" not in out and not list(tmp_path.iterdir())  # nothing written

    code, out, _ = invoke("-o", "json", "import", "--check", *accounts)
    assert code == ExitCode.OK
    data = json.loads(out)
    assert list(data) == ["impact"]
    assert {(i["kind"], tuple(i["people"])) for i in data["impact"]} >= {
        ("source-identity", ("alice", "bob", "carol")), ("mfa", ("alice",)), ("mfa", ("bob",)), ("mfa", ("carol",)),
        ("grant-moved", ("alice", "bob")), ("grant-removed", ("carol",)), ("kept", ("bob",)),
        ("policy-removed", ("bob",))}

    for bad in (("-O", "x.ini"), ("--force",)):
        code, _, err = invoke("import", "--check", *bad, *accounts)
        assert code == ExitCode.USAGE and "--check writes nothing" in err

    code, out, err = invoke("import", *accounts)
    assert code == ExitCode.OK, err
    summary, report, after = out.index("Imported 3 accounts"), out.index("What the first apply changes"), \
        out.index("Next: review it")
    assert summary < report < after  # after the summary, before the next step (the first apply)
    written = Path("awsroles.ini").read_text()
    code, out, err = invoke("import", "--check", *accounts)  # an existing org file is fine: nothing is written
    assert (code, err) == (ExitCode.OK, "") and out.startswith("What the first apply changes for people (")
    assert Path("awsroles.ini").read_text() == written
    code, out, _ = invoke("-o", "json", "import", *accounts, "-O", "copy.ini", "--policy-dir", "copy")
    assert code == ExitCode.OK and ("mfa", "user alice") in {(i["kind"], i["subject"]) for i in
                                                             json.loads(out)["impact"]}


# -- MFA optional, then required -------------------------------------------------------------------

IF_PRESENT = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}


@pytest.fixture
def mfa_optional(moto_aws: None) -> Iterator[HandMade]:
    """A hand-made org at /awsroles/ where MFA was optional for most (issue 19: "MFA optional ->
    required"):

    - team-platform (alice: an access key, no MFA device; bob: an access key and an MFA device): its
      inline policy ``assume-admin`` allows admin in dev and prod with no MFA condition; admin's trust
      asks for MFA only ``IfExists`` (long-term keys carry no MFA key: they pass);
    - team-backend (carol: an MFA device, no access key): ``awsroles-assume-roles`` allows developer
      in dev with ``BoolIfExists``; developer's trust has no condition;
    - team-audit (dave: an access key and an MFA device): readonly in prod, MFA required on both
      sides, which makes the imported org require MFA (the strictest the policies say).
    """
    base = Aws(AwsSettings(region="us-east-1"))
    aws = Aws(AwsSettings(region="us-east-1"), session=base.for_account(OPS, "admin"))
    iam = aws.client("iam")
    env = {name: aws.client("iam", aws.for_account(account, "admin")) for name, account in (("dev", DEV),
                                                                                           ("prod", PROD))}

    def trust(condition: dict[str, Any] | None) -> str:
        statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OPS}:root"},
                                     "Action": "sts:AssumeRole"}
        if condition:
            statement["Condition"] = condition
        return _json({"Version": "2012-10-17", "Statement": [statement]})

    for client in env.values():
        client.create_role(RoleName="admin", Path=PATH, AssumeRolePolicyDocument=trust(IF_PRESENT))
        client.attach_role_policy(RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    env["dev"].create_role(RoleName="developer", Path=PATH, AssumeRolePolicyDocument=trust(None))
    env["dev"].attach_role_policy(RoleName="developer", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    env["prod"].create_role(RoleName="readonly", Path=PATH, AssumeRolePolicyDocument=trust(MFA))
    env["prod"].attach_role_policy(RoleName="readonly", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    keys = {}
    for user in ("alice", "bob", "carol", "dave"):
        iam.create_user(UserName=user, Path=PATH)
        if user != "carol":
            keys[user] = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
        if user != "alice":
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="123456",
                                  AuthenticationCode2="654321")
    for team, members in (("platform", ("alice", "bob")), ("backend", ("carol",)), ("audit", ("dave",))):
        iam.create_group(GroupName=f"team-{team}", Path=PATH)
        for member in members:
            iam.add_user_to_group(GroupName=f"team-{team}", UserName=member)
    iam.put_group_policy(GroupName="team-platform", PolicyName="assume-admin", PolicyDocument=_json(_allow(
        "sts:AssumeRole", [role_arn(DEV, "admin"), role_arn(PROD, "admin")])))
    iam.put_group_policy(GroupName="team-backend", PolicyName="awsroles-assume-roles", PolicyDocument=_json(_allow(
        "sts:AssumeRole", role_arn(DEV, "developer"), IF_PRESENT)))
    iam.put_group_policy(GroupName="team-audit", PolicyName="awsroles-assume-roles", PolicyDocument=_json(_allow(
        "sts:AssumeRole", role_arn(PROD, "readonly"), MFA)))
    yield HandMade(aws, iam, env, keys)


def _document(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


def _allows(document: dict[str, Any], context: dict[str, str]) -> bool:
    """Whether an Allow statement of ``document`` still holds for a request with ``context``."""
    return any(s["Effect"] == "Allow" for s in resolve_policy(document, context)["Statement"])


KEY_ONLY = {"aws:username": "alice"}  # a request signed with a long-term key: no MFA key at all
WITH_MFA = {"aws:username": "alice", "aws:multifactorauthpresent": "true", "aws:multifactorauthage": "60",
            "aws:principalarn": f"arn:aws:iam::{OPS}:user{PATH}alice", "sts:sourceidentity": "alice"}


def test_the_hand_made_org_lets_access_keys_assume_roles_without_mfa(mfa_optional: HandMade) -> None:
    """What the report says of the IAM before apply holds: evaluated on the policies as IAM holds them."""
    ops, dev = mfa_optional.iam, mfa_optional.env["dev"]
    group = ops.get_group_policy(GroupName="team-platform", PolicyName="assume-admin")["PolicyDocument"]
    assert _allows(_document(group), KEY_ONLY)
    assert _allows(_document(dev.get_role(RoleName="admin")["Role"]["AssumeRolePolicyDocument"]), KEY_ONLY)
    backend = ops.get_group_policy(GroupName="team-backend", PolicyName="awsroles-assume-roles")["PolicyDocument"]
    assert _allows(_document(backend), {"aws:username": "carol"})


def test_the_report_names_who_needs_mfa_to_assume_roles_and_their_access_keys(mfa_optional: HandMade) -> None:
    imported = collect(mfa_optional.aws, options())
    assert imported.org.mfa_required  # readonly's trust and team-audit's policy require it: the strictest
    report = by_subject(assess(mfa_optional.aws, imported))
    alice, bob, carol = (report[("assume-mfa", f"user {u}")] for u in ("alice", "bob", "carol"))
    assert ("assume-mfa", "user dave") not in report  # MFA was required of him already, on both sides
    assert alice.people == ("alice",)
    assert alice.change.startswith("Could assume admin in dev, prod without MFA: ")
    assert "policy assume-admin of group team-platform (no MFA condition)" in alice.change
    assert "the trust policy of admin in dev (MFA only if present (IfExists): access keys pass)" in alice.change
    assert (f"After apply every role needs an MFA session, signed in with MFA less than 12h ago: access key "
            f"{mfa_optional.keys['alice']} alone can no longer assume them.") in alice.change
    assert alice.todo.startswith("They have no MFA device: before apply, an admin enrols one "
                                 "(`awsroles users mfa enroll alice`). Assume roles with `awsroles login")
    assert f"access key {mfa_optional.keys['bob']} alone can no longer assume them" in bob.change
    assert bob.todo.startswith("Assume roles with `awsroles login")
    assert carol.change.startswith("Could assume developer in dev without MFA: ")
    assert "policy awsroles-assume-roles of group team-backend (MFA only if present (IfExists): access keys pass)" \
        in carol.change and "the trust policy of developer in dev (no MFA condition)" in carol.change
    assert "(they have no active access key)" in carol.change
    # the roles' side, as before: their trust policies will require MFA (readonly's: a maximum MFA age)
    assert report[("role-mfa", "roles admin in dev, prod; developer in dev; readonly in prod")].people == (
        "alice", "bob", "carol", "dave")
    # and joining awsroles-users: access keys without MFA denied for everything, not only roles
    assert f"scripts using access key {mfa_optional.keys['dave']} alone are denied" in \
        report[("mfa", "user dave")].change
    lines = impact_lines(tuple(report.values()))
    assert "  MFA required to assume roles: user alice (alice)" in lines


def test_after_apply_mfa_is_required_to_assume_as_the_report_said(mfa_optional: HandMade, tmp_path: Path) -> None:
    imported = collect(mfa_optional.aws, options())
    write_import(imported, tmp_path / "awsroles.ini")
    org = load_org(tmp_path / "awsroles.ini")
    engine = Engine(org, mfa_optional.aws)
    assert engine.apply(engine.plan(options=PlanOptions(adopt=True))).ok
    ops, dev = mfa_optional.iam, mfa_optional.env["dev"]
    team = _document(ops.get_group_policy(GroupName="team-platform",
                                          PolicyName="awsroles-assume-roles")["PolicyDocument"])
    trust = _document(dev.get_role(RoleName="admin")["Role"]["AssumeRolePolicyDocument"])
    for document in (team, trust):
        assert not _allows(document, {**KEY_ONLY, "sts:sourceidentity": "alice",
                                      "aws:principalarn": WITH_MFA["aws:principalarn"]})  # a key alone: refused
        assert _allows(document, WITH_MFA)  # an MFA session with her source identity: allowed
    assert "assume-admin" not in ops.list_group_policies(GroupName="team-platform")["PolicyNames"]
    backend = _document(ops.get_group_policy(GroupName="team-backend",
                                             PolicyName="awsroles-assume-roles")["PolicyDocument"])
    assert not _allows(backend, {"aws:username": "carol", "sts:sourceidentity": "carol"})
    # once applied, nobody can assume a role without MFA any more: the report says nothing of it
    again = collect(mfa_optional.aws, options())
    assert not [i for i in assess(mfa_optional.aws, again) if i.kind in ("assume-mfa", "role-mfa", "mfa")]
