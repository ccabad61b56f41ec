"""Hand-made orgs of several shapes adopted by awsroles (issue 19), against moto in-process: each is
made by hand with boto3, imported (``--adopt`` as it needs), applied with ``--adopt``, then checked
with boto3: who can still assume which role (:mod:`tests.aws.who_can`: as awsroles assumes, with an
MFA session and the person's source identity; with a bare access key, nobody), that what awsroles was
not told to adopt is as it was, and that a second plan is clean.

Shapes: (a) everything at ``/`` with inline group policies requiring MFA (the console org of
``sandbox start --console-org``); (b) mixed paths: people and roles at ``/``, at ``/awsroles/``
already awsroles', and at ``/eng/``; (c) a team's grants kept in a customer managed policy attached
to its group and in an inline policy of another name; (d) a person and a role with permissions
boundaries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from awsroles.aws import Aws
from awsroles.iam.desired import GROUP_MARKER_POLICY, group_marker_document
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.engine import Engine
from awsroles.sync.plan import PlanOptions
from tests.aws.who_can import group_snapshot, managed_document, role_snapshot, user_snapshot, who_can

ALL = frozenset({"users", "teams", "roles"})
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
OPS = "111111111111"


def _json(document: Mapping[str, Any]) -> str:
    return json.dumps(document)


def _assume(resources: list[str], condition: Mapping[str, Any] | None = MFA) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resources}
    if condition:
        statement["Condition"] = dict(condition)
    return _json({"Version": "2012-10-17", "Statement": [statement]})


TRUST = _json({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "AWS": f"arn:aws:iam::{OPS}:root"}, "Action": "sts:AssumeRole", "Condition": MFA}]})
MARK = [{"Key": "managed-by", "Value": "awsroles"}]


class World:
    """IAM clients of the classic org's accounts (moto in-process, admin in each)."""

    def __init__(self, aws: Aws, org: Org):
        self.aws, self.org = aws, org
        self.iam = {a.name: aws.client("iam", aws.for_account(a.id, "admin")) for a in org.accounts}

    def arn(self, account: str, role: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.org.account(account).id}:role{path}{role}"

    def role(self, account: str, name: str, path: str = "/", managed: str = "ReadOnlyAccess",
             trust: str = TRUST, **extra: Any) -> str:
        iam = self.iam[account]
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust, **extra)
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{managed}")
        return self.arn(account, name, path)

    def adopt(self, tmp_path: Path, adopt: frozenset[str] = ALL) -> Org:
        """``awsroles import --adopt ...`` then ``apply --adopt``: the org file it wrote, applied."""
        accounts = tuple(f"{a.name}={a.id}:{a.environment}" for a in self.org.accounts if a.environment)
        imported = collect(self.aws, ImportOptions(accounts=accounts, name="acme", adopt=adopt))
        write_import(imported, tmp_path / "awsroles.ini")
        org = load_org(tmp_path / "awsroles.ini")
        engine = Engine(org, self.aws)
        result = engine.apply(engine.plan(options=PlanOptions(adopt=True)))
        assert result.ok, "\n".join(result.summary())
        return org

    def clean(self, org: Org) -> None:
        """A second plan has nothing to do and nothing in conflict."""
        again = Engine(org, self.aws).plan()
        assert again.empty and not again.conflicts, json.dumps(again.as_dict(), indent=1)[:3000]

    def who(self, people: tuple[str, ...], roles: Mapping[str, list[str]], *, mfa: bool = True,
            source_identity: bool = True) -> set[tuple[str, str, str]]:
        """Who may assume which of ``roles`` with an MFA session (or a bare key), as awsroles assumes
        (or, ``source_identity=False``, as a plain ``aws sts assume-role`` does, before awsroles)."""
        return who_can(self.iam["ops"], self.iam, people, roles, mfa=mfa, source_identity=source_identity)

    def snapshot(self, users: tuple[str, ...] = (), groups: tuple[str, ...] = (),
                 roles: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
        ops = self.iam["ops"]
        return {**{f"user {u}": user_snapshot(ops, u) for u in users},
                **{f"group {g}": group_snapshot(ops, g) for g in groups},
                **{f"role {r} in {a}": role_snapshot(self.iam[a], r) for a, r in roles}}


# -- (a) everything at /, inline group policies with MFA ------------------------------------------


def test_a_console_org_at_the_root_path(ops_aws: Aws, console_org: Org, tmp_path: Path) -> None:
    world = World(ops_aws, console_org)
    roles = {a: [world.arn(a, "Admin")] + ([world.arn(a, "Developer")] if a != "prod" else [])
             for a in ("dev", "stage", "prod")}
    people = ("alice", "bob", "carol")
    before = world.who((*people, "ci-deploy"), roles, source_identity=False)  # the console's way
    assert not world.who(people, roles)  # the console's trust allows no sts:SetSourceIdentity
    untouched = world.snapshot(users=("ci-deploy",), groups=("Auditors",))
    org = world.adopt(tmp_path)

    after = world.who((*people, "ci-deploy"), roles)
    assert after == before == {("alice", a, "Admin") for a in ("dev", "stage", "prod")} | {
        (p, a, "Developer") for p in ("bob", "carol") for a in ("dev", "stage")}  # each keeps exactly theirs
    assert not world.who(people, roles, source_identity=False)  # plain assume-role, Switch Role: refused
    assert not world.who(people, roles, mfa=False)  # a bare access key assumes nothing
    assert world.snapshot(users=("ci-deploy",), groups=("Auditors",)) == untouched
    world.clean(org)


# -- (b) mixed paths ------------------------------------------------------------------------------


def test_mixed_paths_some_at_the_root_some_already_awsroles_some_elsewhere(ops_aws: Aws, classic: Org,
                                                                         tmp_path: Path) -> None:
    world = World(ops_aws, classic)
    ops = world.iam["ops"]
    ops.create_user(UserName="alice", Path="/")
    ops.create_user(UserName="bob", Path="/awsroles/", Tags=MARK)  # already awsroles'
    for name in ("carol", "dave"):  # dave: in no team
        ops.create_user(UserName=name, Path="/eng/")
    admin = world.role("dev", "admin", "/awsroles/", Tags=MARK)  # already awsroles', with a hand-made trust
    developer = world.role("dev", "Developer", "/", managed="PowerUserAccess")
    deployer = world.role("prod", "Deployer", "/eng/", managed="PowerUserAccess")
    world.role("prod", "Legacy", "/eng/")  # no group may assume it: never adopted
    ops.create_group(GroupName="team-platform", Path="/awsroles/")
    ops.put_group_policy(GroupName="team-platform", PolicyName=GROUP_MARKER_POLICY,
                         PolicyDocument=group_marker_document())  # already awsroles'
    ops.put_group_policy(GroupName="team-platform", PolicyName="awsroles-assume-roles",
                         PolicyDocument=_assume([admin, deployer]))
    ops.create_group(GroupName="Engineers", Path="/eng/")
    ops.put_group_policy(GroupName="Engineers", PolicyName="assume-dev", PolicyDocument=_assume([developer]))
    for group, members in (("team-platform", ("alice", "bob")), ("Engineers", ("bob", "carol"))):
        for member in members:
            ops.add_user_to_group(GroupName=group, UserName=member)
    roles = {"dev": [admin, developer], "prod": [deployer, world.arn("prod", "Legacy", "/eng/")]}
    people = ("alice", "bob", "carol", "dave")
    before = world.who(people, roles, source_identity=False)
    untouched = world.snapshot(users=("dave",), roles=(("prod", "Legacy"),))
    org = world.adopt(tmp_path)

    assert [(u.name, u.path) for u in org.users] == [("alice", "/"), ("bob", ""), ("carol", "/eng/")]
    assert {(t.name, t.group) for t in org.teams} == {("platform", ""), ("engineers", "/eng/Engineers")}
    assert {(r.name, r.path) for r in org.roles} == {("admin", ""), ("Developer", "/"), ("Deployer", "/eng/")}
    after = world.who(people, roles)
    assert after == before == {("alice", "dev", "admin"), ("alice", "prod", "Deployer"), ("bob", "dev", "admin"),
                               ("bob", "prod", "Deployer"), ("bob", "dev", "Developer"), ("carol", "dev", "Developer")}
    assert not world.who(people, roles, mfa=False)
    assert world.iam["dev"].get_role(RoleName="Developer")["Role"]["Path"] == "/"  # adopted where it is
    assert world.iam["prod"].get_role(RoleName="Deployer")["Role"]["Path"] == "/eng/"
    assert world.snapshot(users=("dave",), roles=(("prod", "Legacy"),)) == untouched
    world.clean(org)


# -- (c) grants in a customer managed policy and in an inline policy of another name ------------------


def test_grants_kept_in_a_customer_managed_policy_and_an_inline_policy_of_another_name(ops_aws: Aws, classic: Org,
                                                                                      tmp_path: Path) -> None:
    world = World(ops_aws, classic)
    ops = world.iam["ops"]
    admin_dev, admin_prod = world.role("dev", "admin", "/awsroles/"), world.role("prod", "admin", "/awsroles/")
    readonly = world.role("dev", "readonly", "/awsroles/")
    shared = ops.create_policy(PolicyName="platform-assume", Path="/",
                               PolicyDocument=_assume([admin_dev, admin_prod]))["Policy"]["Arn"]
    for name in ("alice", "bob"):
        ops.create_user(UserName=name, Path="/awsroles/")
    ops.create_user(UserName="frank", Path="/")  # on call, at /: a group awsroles is not told to adopt
    ops.create_group(GroupName="team-platform", Path="/awsroles/")
    ops.attach_group_policy(GroupName="team-platform", PolicyArn=shared)
    ops.put_group_policy(GroupName="team-platform", PolicyName="legacy-assume", PolicyDocument=_assume([readonly]))
    ops.create_group(GroupName="Oncall", Path="/")
    ops.attach_group_policy(GroupName="Oncall", PolicyArn=shared)  # the same policy, on another group
    for group, members in (("team-platform", ("alice", "bob")), ("Oncall", ("frank",))):
        for member in members:
            ops.add_user_to_group(GroupName=group, UserName=member)
    roles = {"dev": [admin_dev, readonly], "prod": [admin_prod]}
    people = ("alice", "bob", "frank")
    before = world.who(people, roles, source_identity=False)
    assert ("frank", "prod", "admin") in before
    untouched = world.snapshot(users=("frank",), groups=("Oncall",))
    policy_before = managed_document(ops, shared)
    org = world.adopt(tmp_path, adopt=frozenset())  # all of it at /awsroles/; Oncall and frank stay out

    assert [(g.environment, g.role) for g in org.team("platform").grants] == [
        ("dev", "admin"), ("dev", "readonly"), ("prod", "admin")]
    after = world.who(people, roles)
    assert after == {(p, a, r) for p in ("alice", "bob") for a, r in (("dev", "admin"), ("dev", "readonly"),
                                                                       ("prod", "admin"))}
    assert after == {b for b in before if b[0] != "frank"}  # the team keeps every grant, wherever it was kept
    # frank's group is not awsroles' and is as it was; the roles now trust awsroles' people only
    assert world.snapshot(users=("frank",), groups=("Oncall",)) == untouched
    assert managed_document(ops, shared) == policy_before  # detached from the team, never changed or deleted
    assert ops.list_attached_group_policies(GroupName="team-platform")["AttachedPolicies"] == []
    assert ops.list_group_policies(GroupName="team-platform")["PolicyNames"] == [
        "awsroles-assume-roles", "awsroles-managed-by"]
    world.clean(org)


# -- (d) a person and a role with permissions boundaries ------------------------------------------------


def test_a_person_and_a_role_with_permissions_boundaries(ops_aws: Aws, classic: Org, tmp_path: Path) -> None:
    world = World(ops_aws, classic)
    ops = world.iam["ops"]
    power = "arn:aws:iam::aws:policy/PowerUserAccess"
    admin_dev = world.role("dev", "admin", "/awsroles/", managed="AdministratorAccess", PermissionsBoundary=power)
    admin_prod = world.role("prod", "admin", "/awsroles/", managed="AdministratorAccess", PermissionsBoundary=power)
    dev_only = ops.create_policy(PolicyName="people", Path="/guard/", PolicyDocument=_json({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "NotAction": "sts:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
             "Resource": f"arn:aws:iam::{classic.account('dev').id}:role/*"}]}))["Policy"]["Arn"]
    ops.create_user(UserName="alice", Path="/awsroles/")
    ops.create_user(UserName="bob", Path="/awsroles/", PermissionsBoundary=dev_only)  # may assume dev roles only
    ops.create_user(UserName="carol", Path="/other/", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    ops.create_group(GroupName="team-platform", Path="/awsroles/")
    ops.put_group_policy(GroupName="team-platform", PolicyName="awsroles-assume-roles",
                         PolicyDocument=_assume([admin_dev, admin_prod]))
    for member in ("alice", "bob"):
        ops.add_user_to_group(GroupName="team-platform", UserName=member)
    roles = {"dev": [admin_dev], "prod": [admin_prod]}
    before = world.who(("alice", "bob"), roles, source_identity=False)
    assert before == {("alice", "dev", "admin"), ("alice", "prod", "admin"), ("bob", "dev", "admin")}
    untouched = world.snapshot(users=("carol",))
    org = world.adopt(tmp_path, adopt=frozenset())

    assert org.user("bob").boundary == "/guard/people" and org.user("alice").boundary == ""
    assert org.role("admin").boundary == power
    assert world.who(("alice", "bob"), roles) == before  # bob's boundary still keeps him out of prod
    assert ops.get_user(UserName="bob")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == dev_only
    for account in ("dev", "prod"):
        role = world.iam[account].get_role(RoleName="admin")["Role"]
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == power
    assert world.snapshot(users=("carol",)) == untouched
    world.clean(org)
