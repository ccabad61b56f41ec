"""What the first apply after an import changes for people (awsroles.importer.impact): each finding
from a made-up org, plan and live state (pure: no AWS)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from awsroles.iam.policies import team_policy, trust_policy
from awsroles.importer.impact import Impact, UserCredentials, impact, impact_lines, joining_everyone
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from awsroles.sync.plan import Change, Finding, Plan
from awsroles.sync.state import LiveAccount, LiveGroup, LiveRole, LiveUser

OPS, DEV, PROD = "100000000001", "200000000002", "300000000003"
ORG = f"""\
[org]
name = made-up
ops_account = ops
mfa = {{mfa}}

[account ops]
id = {OPS}

[account dev]
id = {DEV}
environment = dev

[account prod]
id = {PROD}
environment = prod

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
boundary = arn:aws:iam::aws:policy/PowerUserAccess

[role developer]
managed = arn:aws:iam::aws:policy/PowerUserAccess

[team platform]
members = alice, bob
dev = admin
prod = admin

[team backend]
members = carol
dev = developer

[user alice]
[user bob]
[user carol]
"""
OLD_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OPS}:root"}, "Action": "sts:AssumeRole"}]}


def org_of(mfa: str = "required") -> Org:
    org, problems = parse_org(ORG.format(mfa=mfa), "made-up.ini")
    assert org is not None, problems
    return org


def role(name: str, trust: dict[str, Any] = OLD_TRUST, boundary: str = "") -> LiveRole:
    return LiveRole(name, "/awsroles/", trust, 3600, "", (), {}, {}, boundary=boundary)


def change(account: str, kind: str, name: str, *ops: tuple[str, dict[str, Any]], action: str = "adopt") -> Change:
    return Change(account, {"ops": OPS, "dev": DEV, "prod": PROD}[account], action, kind, name, ops=tuple(ops))


def retrust(org: Org, name: str) -> Change:
    return change("dev", "role", name, ("update_assume_role_policy", {
        "RoleName": name, "PolicyDocument": json.dumps(trust_policy(org))}))


def join(user: str) -> Change:
    return change("ops", "user", user, ("add_user_to_group", {"GroupName": "awsroles-users", "UserName": user}))


def found(report: tuple[Impact, ...], kind: str) -> dict[str, Impact]:
    return {i.subject: i for i in report if i.kind == kind}


def test_roles_whose_trust_did_not_ask_for_a_source_identity_name_who_must_change_tools() -> None:
    org = org_of()
    live = {"dev": LiveAccount(org.account("dev"), roles={"admin": role("admin"), "developer": role(
        "developer", trust_policy(org))})}
    plan = Plan((retrust(org, "admin"), retrust(org, "developer")))
    report = impact(org, plan, live)
    source = found(report, "source-identity")
    assert list(source) == ["roles admin in dev"]  # developer's trust already is awsroles'
    assert source["roles admin in dev"].people == ("alice", "bob")
    assert "`aws sts assume-role` without `--source-identity`" in source["roles admin in dev"].change
    assert "Switch Role are refused" in source["roles admin in dev"].change
    todo = source["roles admin in dev"].todo
    assert "awsroles login ENV --role ROLE" in todo and "awsroles profiles sync" in todo and "console" in todo
    assert found(report, "role-mfa")["roles admin in dev"].people == ("alice", "bob")
    assert "less than 12h" in found(report, "role-mfa")["roles admin in dev"].change
    assert "only IAM users under /awsroles/" in found(report, "trust-narrowed")["roles admin in dev"].change


def test_a_trust_already_requiring_as_much_mfa_is_not_reported_as_a_change() -> None:
    org = org_of()
    strict = json.loads(json.dumps(OLD_TRUST))
    strict["Statement"][0]["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                           "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                                           "StringEquals": {"sts:SourceIdentity": "${aws:username}"}}
    live = {"dev": LiveAccount(org.account("dev"), roles={"admin": role("admin", strict)})}
    report = impact(org, Plan((retrust(org, "admin"),)), live)
    assert {i.kind for i in report} == {"trust-narrowed", "kept"}  # 1h is stricter than the org's 12h
    looser = json.loads(json.dumps(strict))
    looser["Statement"][0]["Condition"]["NumericLessThan"]["aws:MultiFactorAuthAge"] = "86400"
    live = {"dev": LiveAccount(org.account("dev"), roles={"admin": role("admin", looser)})}
    assert "role-mfa" in {i.kind for i in impact(org, Plan((retrust(org, "admin"),)), live)}


def test_users_joining_awsroles_users_are_named_with_their_credentials() -> None:
    org = org_of()
    created = change("ops", "user", "dave", ("create_user", {"UserName": "dave"}),
                     ("add_user_to_group", {"GroupName": "awsroles-users", "UserName": "dave"}), action="create")
    plan = Plan((join("alice"), join("bob"), join("carol"), created))
    assert joining_everyone(plan) == ("alice", "bob", "carol")  # a new user has no scripts to break
    credentials = {"alice": UserCredentials((), ("AKIAALICE",), console=True),
                   "bob": UserCredentials(("arn:aws:iam::100000000001:mfa/bob",), ("AKIABOB",)),
                   "carol": UserCredentials(("arn:aws:iam::100000000001:mfa/carol",))}
    mfa = found(impact(org, plan, {}, credentials), "mfa")
    assert list(mfa) == ["user alice", "user bob", "user carol"]
    alice = mfa["user alice"]
    assert alice.people == ("alice",)
    assert "denies every request made without MFA" in alice.change
    assert "has no MFA device, so can do nothing else until an admin enrols one" in alice.change
    assert "scripts using access key AKIAALICE alone are denied" in alice.change
    assert "console but do nothing there" in alice.change
    assert alice.todo.startswith("Before apply, an admin enrols one (`awsroles users mfa enroll alice`).")
    assert "AKIABOB alone are denied" in mfa["user bob"].change and "no MFA device" not in mfa["user bob"].change
    assert mfa["user carol"].todo == "" and "access key" not in mfa["user carol"].change

    self_enrol = replace(org, mfa_enrollment="self")
    assert "they enrol a device themselves" in found(impact(self_enrol, plan, {}, credentials),
                                                     "mfa")["user alice"].change
    unread = found(impact(org, plan, {}), "mfa")["user alice"]
    assert "were not read" in unread.change
    assert found(impact(org_of("optional"), plan, {}, credentials), "mfa") == {}  # no deny without MFA


def _group(name: str, members: tuple[str, ...], **inline: dict[str, Any]) -> LiveGroup:
    return LiveGroup(name, "/awsroles/", (), inline, members)


def _assume(*arns: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Resource": list(arns)}]}


def test_team_grants_removed_and_moved() -> None:
    org = org_of()
    admin_dev, admin_prod = org.role_arn("dev", "admin"), org.role_arn("prod", "admin")
    extra = f"arn:aws:iam::{PROD}:role/awsroles/extra"
    platform = _group("team-platform", ("alice", "bob"), **{"assume-admin": _assume(admin_dev, admin_prod, extra)})
    backend = _group("team-backend", ("carol",), **{"s3-read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}})
    live = {"ops": LiveAccount(org.ops, groups={"team-platform": platform, "team-backend": backend})}
    plan = Plan((
        change("ops", "group", "team-platform",
               ("put_group_policy", {"GroupName": "team-platform", "PolicyName": "awsroles-assume-roles",
                                     "PolicyDocument": json.dumps(team_policy(org, org.team("platform")))}),
               ("delete_group_policy", {"GroupName": "team-platform", "PolicyName": "assume-admin"})),
        change("ops", "group", "team-backend",
               ("put_group_policy", {"GroupName": "team-backend", "PolicyName": "awsroles-assume-roles",
                                     "PolicyDocument": json.dumps(team_policy(org, org.team("backend")))}),
               ("delete_group_policy", {"GroupName": "team-backend", "PolicyName": "s3-read"})),
    ))
    report = impact(org, plan, live)
    removed = found(report, "grant-removed")["team platform (team-platform)"]
    assert removed.people == ("alice", "bob")
    assert removed.change.startswith(f"Its members can no longer assume {extra}: what allowed it (assume-admin)")
    assert admin_dev not in removed.change
    assert removed.todo.startswith("To keep it, add `prod = extra` to [team platform] before apply")
    moved = found(report, "grant-moved")["team platform (team-platform)"]
    assert f"{admin_dev}, {admin_prod} move from assume-admin to awsroles-assume-roles" in moved.change
    assert "members keep them" in moved.change
    other = found(report, "policy-removed")["team backend (team-backend)"]
    assert (other.people, other.change) == (("carol",), "Its policies s3-read are removed: members lose what "
                                                        "they allowed.")
    assert "team backend (team-backend)" not in found(report, "grant-removed")


def test_a_grant_awsroles_assume_roles_held_that_the_org_file_cannot_is_removed() -> None:
    """Import skips a wildcard grant; rewriting awsroles-assume-roles then drops it."""
    org = org_of()
    wildcard = "arn:aws:iam::*:role/awsroles/*"
    backend = _group("team-backend", ("carol",), **{"awsroles-assume-roles": _assume(
        org.role_arn("dev", "developer"), wildcard)})
    live = {"ops": LiveAccount(org.ops, groups={"team-backend": backend})}
    plan = Plan((change("ops", "group", "team-backend", (
        "put_group_policy", {"GroupName": "team-backend", "PolicyName": "awsroles-assume-roles",
                             "PolicyDocument": json.dumps(team_policy(org, org.team("backend")))})),))
    report = impact(org, plan, live)
    removed = found(report, "grant-removed")["team backend (team-backend)"]
    assert removed.change.startswith(f"Its members can no longer assume {wildcard}: what allowed it "
                                     "(awsroles-assume-roles)")
    assert removed.todo.startswith("To keep it, add `ENVIRONMENT = ROLE` to [team backend]")
    assert found(report, "grant-moved") == {}  # developer in dev stays where it was


def test_own_policies_and_boundaries_removed_and_kept() -> None:
    org = org_of()
    live = {"ops": LiveAccount(org.ops, users={"bob": LiveUser("bob", "/awsroles/", (), (), {}, {},
                                                               boundary="arn:aws:iam::aws:policy/ReadOnlyAccess")}),
            "dev": LiveAccount(org.account("dev"), roles={"developer": role("developer", boundary="arn:x")})}
    plan = Plan((
        change("ops", "user", "bob", ("delete_user_permissions_boundary", {"UserName": "bob"}),
               ("detach_user_policy", {"UserName": "bob", "PolicyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}),
               ("delete_user_policy", {"UserName": "bob", "PolicyName": "bobs-own"})),
        change("dev", "role", "developer", ("delete_role_permissions_boundary", {"RoleName": "developer"}),
               ("delete_role_policy", {"RoleName": "developer", "PolicyName": "extra"})),
    ), kept=(change("prod", "role", "old", action="delete"),),
        foreign=(Finding("ops", OPS, "user", "carol", "member of admins, a group awsroles does not manage, which "
                                                     "grants: nothing"),))
    report = impact(org, plan, live)
    boundaries, policies = found(report, "boundary-removed"), found(report, "policy-removed")
    assert boundaries["user bob"].change.startswith("Its permissions boundary arn:aws:iam::aws:policy/ReadOnlyAccess "
                                                    "is removed")
    assert boundaries["user bob"].people == ("bob",)
    assert boundaries["role developer in dev"].people == ("carol",)
    assert "`boundary = ...`" in boundaries["role developer in dev"].todo
    assert policies["user bob"].change == ("Its own policies bobs-own, arn:aws:iam::aws:policy/IAMFullAccess are "
                                           "removed: they lose what they allowed.")
    assert "sessions of the role lose" in policies["role developer in dev"].change
    kept = found(report, "kept")
    assert kept["role admin"].people == ("alice", "bob")
    assert "PowerUserAccess stays (declared in the org file)" in kept["role admin"].change
    assert "`awsroles plan --prune` would delete it" in kept["role old in prod"].change
    assert kept["user carol"].change.startswith("Stays a member of admins")
    assert [i.kind for i in report] == sorted((i.kind for i in report), key=[
        "source-identity", "role-mfa", "trust-narrowed", "mfa", "grant-removed", "grant-moved", "policy-removed",
        "boundary-removed", "kept"].index)


@pytest.mark.parametrize(("report", "first"), [
    ((), "Nothing changes for people at the first apply."),
    ((Impact("kept", "role admin", (), "Its boundary stays."),),
     "Nothing changes for people at the first apply; kept as it is:"),
    ((Impact("mfa", "user alice", ("alice",), "Joins.", "Enrol."), Impact("kept", "role admin", (), "Stays.")),
     "What the first apply changes for people (1 change(s); affects alice):"),
])
def test_the_text_form(report: tuple[Impact, ...], first: str) -> None:
    lines = impact_lines(report)
    assert lines[0] == first
    if report and report[0].kind == "mfa":
        assert lines[1:] == ["  MFA required for everything: user alice (alice)", "    Joins.", "    To do: Enrol.",
                             "  kept: role admin", "    Stays."]


def test_an_org_awsroles_made_changes_nothing() -> None:
    report = impact(org_of(), Plan(), {})
    assert [(i.kind, i.subject) for i in report] == [("kept", "role admin")]  # its declared boundary
