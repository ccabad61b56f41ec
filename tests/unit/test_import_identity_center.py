"""awsroles import of an IAM Identity Center instance (pure): an instance as read -> the org file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awsroles.identity_center.desired import desired_identity_center
from awsroles.identity_center.state import (
    LiveAssignment,
    LiveGroup,
    LiveIdentityCenter,
    LivePermissionSet,
    LiveUser,
)
from awsroles.importer.accounts import Accounts
from awsroles.importer.build import ImportOptions, wants_identity_center, write_import
from awsroles.importer.identity_center import InstanceRead, import_identity_center, marked_org
from awsroles.importer.infer import build_import
from awsroles.importer.settings import OrgSettings
from awsroles.org.entries import Account, Grant, User
from tests.unit.test_orgfile import valid

OPS, DEV, PROD, ELSEWHERE = "111111111111", "222222222222", "333333333333", "999999999999"
INSTANCE = "arn:aws:sso:::instance/ssoins-1"
ADMIN, DEVELOPER, FOREIGN, UNUSED = (f"arn:aws:sso:::permissionSet/ssoins-1/ps-{n}" for n in range(4))
DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Sid": "Logs", "Effect": "Allow", "Action": "logs:Get*",
                                                    "Resource": "*"}]}
ACCOUNTS = Accounts((Account("ops", OPS), Account("dev", DEV, "dev"), Account("prod", PROD, "prod")), "ops", "ops",
                    "--account options")


def instance(**changes: object) -> LiveIdentityCenter:
    sets = (
        LivePermissionSet(ADMIN, "admin", {}, "Full access", "PT2H",
                          ("arn:aws:iam::aws:policy/AdministratorAccess",), detailed=True),
        LivePermissionSet(DEVELOPER, "developer", {}, "", "PT1H", (), (("deny-iam", "/team/"), ("audit", "/")),
                          json.dumps(DOCUMENT), {"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
                          detailed=True),
        LivePermissionSet(FOREIGN, "theirs", {"managed-by": "awsroles", "awsroles-org": "other"}, "", "PT1H",
                          detailed=True),
        LivePermissionSet(UNUSED, "unused", {}, "", "PT4H", ("arn:aws:iam::aws:policy/ReadOnlyAccess",),
                          boundary={"CustomerManagedPolicyReference": {"Name": "limit", "Path": "/b/"}},
                          detailed=True),
    )
    users = (
        LiveUser("u-alice", "alice", "Alice van der Berg", "Alice", "van der Berg", "alice@acme.example"),
        LiveUser("u-bob", "bob", "bob", "Robert", "Smith", "bob@acme.example", "Employee"),
        LiveUser("u-carol", "carol", "Carol", "Carol", "Carol", "carol@acme.example", "awsroles:other"),
    )
    groups = (
        LiveGroup("g-platform", "team-platform", "Platform engineers", ("u-alice", "u-bob")),
        LiveGroup("g-backend", "Backend Devs", "", ("u-bob", "u-carol")),
        LiveGroup("g-theirs", "team-theirs", "[awsroles:other] theirs", ("u-carol",)),
    )
    assignments = (
        LiveAssignment(DEV, ADMIN, "GROUP", "g-platform"),
        LiveAssignment(PROD, ADMIN, "GROUP", "g-platform"),
        LiveAssignment(ELSEWHERE, ADMIN, "GROUP", "g-platform"),
        LiveAssignment(DEV, DEVELOPER, "GROUP", "g-backend"),
        LiveAssignment(DEV, DEVELOPER, "USER", "u-bob"),
        LiveAssignment(DEV, FOREIGN, "GROUP", "g-theirs"),
    )
    fields = {"permission_sets": sets, "users": users, "groups": groups, "assignments": assignments} | changes
    return LiveIdentityCenter(INSTANCE, "d-1", **fields)  # type: ignore[arg-type]


def test_permission_sets_become_roles_groups_teams_users_users_and_group_assignments_grants() -> None:
    found = import_identity_center(instance(), ACCOUNTS.accounts, "acme")
    roles = {r.name: r for r in found.roles}
    assert sorted(roles) == ["admin", "developer", "unused"]  # `theirs` is another org's
    admin, developer, unused = roles["admin"], roles["developer"], roles["unused"]
    assert (admin.managed, admin.max_session, admin.description) == (
        ("arn:aws:iam::aws:policy/AdministratorAccess",), 7200, "Full access")
    assert developer.customer_managed == ("audit", "/team/deny-iam")
    assert developer.boundary == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert [p.source for p in developer.policies] == ["developer.json"]
    assert json.loads(found.policy_files["developer.json"])["Statement"][0]["Sid"] == "Logs"
    assert unused.boundary == "/b/limit" and unused.max_session == 4 * 3600
    teams = {t.name: t for t in found.teams}
    assert sorted(teams) == ["backend-devs", "platform"]
    assert teams["platform"].grants == (Grant("dev", "admin"), Grant("prod", "admin"))
    assert teams["platform"].members == ("alice", "bob") and teams["platform"].description == "Platform engineers"
    assert teams["backend-devs"].grants == (Grant("dev", "developer"),)
    assert teams["backend-devs"].members == ("bob",)  # carol is another org's
    assert found.users == (User("alice", "alice@acme.example", display_name="Alice van der Berg"),
                           User("bob", "bob@acme.example", given_name="Robert", family_name="Smith"))
    text = "\n".join(found.warnings)
    for expected in ("permission set theirs is awsroles' for org other: not imported",
                     "user carol is awsroles' for org other: not imported",
                     "group team-theirs is awsroles' for org other: not imported",
                     "group 'Backend Devs' (g-backend) is not named team-NAME",
                     "imported as [team backend-devs]; awsroles manages that team as the group team-backend-devs",
                     "user bob is assigned permission set developer in account dev (222222222222) directly: not "
                     "imported (awsroles grants to teams",
                     "account 999999999999 holds no environment of the org file: the assignments of team-platform "
                     "there are not imported",
                     "permission set unused is assigned to no imported team",
                     "team 'backend-devs': 1 member(s) of group Backend Devs are users that were not imported"):
        assert expected in text, expected
    assert found.assigned_accounts == {DEV, PROD, ELSEWHERE}


def test_people_s_names_are_written_only_where_they_differ_from_the_defaults() -> None:
    users = (LiveUser("1", "cher", "Cher", "Cher", "Cher"),  # one word: given and family alike by default
             LiveUser("2", "dana", "Dana", "Dana", "Scully"),
             LiveUser("3", "eve", "", "", ""),
             LiveUser("4", "frank", "Frank  ;Jr", "Frank", ";Jr"),
             LiveUser("5", "has space", "x", "x", "x"))
    found = import_identity_center(instance(users=users, groups=(), assignments=()), ACCOUNTS.accounts, "acme")
    by_name = {u.name: u for u in found.users}
    assert by_name["cher"] == User("cher", display_name="Cher")
    assert by_name["dana"] == User("dana", display_name="Dana", family_name="Scully")
    assert by_name["eve"] == User("eve")
    assert "has space" not in by_name
    for user, live in zip(found.users[:3], users[:3], strict=True):  # what awsroles then wants is what is live
        assert user.person_names() == ((live.display_name or user.name), live.given_name or user.name,
                                       live.family_name or user.name)
    text = "\n".join(found.warnings)
    assert "user eve: no display name; apply gives it the user name" in text
    assert "user frank: display name 'Frank  ;Jr' cannot be written as is in an org file; imported as 'Frank;Jr'" \
        in text
    assert "user has space: a name the org file cannot hold" in text


def test_the_imported_file_says_identity_center_validates_and_reads_back_as_the_model(tmp_path: Path) -> None:
    read = InstanceRead(instance(), "ops", OPS, "eu-west-1")
    imported = build_import(ACCOUNTS, {}, OrgSettings(name="acme"), identity_center=read)
    text = imported.text
    assert "identity = identity-center\n" in text and "identity_center_region = eu-west-1\n" in text
    assert "identity_center_account" not in text  # ops is the management (billing) account here
    assert "[role developer]\npolicies = developer.json\ncustomer_managed = audit, /team/deny-iam\n" \
           "boundary = arn:aws:iam::aws:policy/PowerUserAccess\n" in text
    assert "[team platform]\ndescription = Platform engineers\nmembers = alice, bob\ndev = admin\nprod = admin\n" \
        in text
    assert "[user bob]\nemail = bob@acme.example\ngiven_name = Robert\nfamily_name = Smith\n" in text
    assert "IAM Identity Center instance of account ops (111111111111)\n; in eu-west-1" in text
    result = write_import(imported, tmp_path / "awsroles.ini")
    assert (tmp_path / "policies" / "developer.json").is_file()
    org = result.imported.org
    assert org.uses_identity_center and not org.uses_iam_users and org.identity_center_region_name == "eu-west-1"
    spec = desired_identity_center(org)
    assert [(a.group, a.permission_set, a.account) for a in spec.assignments] == [
        ("team-backend-devs", "developer", "dev"), ("team-platform", "admin", "dev"),
        ("team-platform", "admin", "prod")]
    developer = next(p for p in spec.permission_sets if p.name == "developer")
    assert json.loads(developer.inline or "{}") == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:Get*", "Resource": "*"}]}


def test_an_instance_in_a_delegated_administrator_account_is_named_in_the_org(tmp_path: Path) -> None:
    accounts = Accounts((Account("security", OPS), Account("dev", DEV, "dev"), Account("mgmt", "444444444444")),
                        "security", "mgmt", "AWS Organizations")
    read = InstanceRead(instance(), "security", OPS, "us-east-1")
    imported = build_import(accounts, {}, OrgSettings(name="acme"), identity_center=read)
    assert "identity_center_account = security\n" in imported.text and "identity_center_region" not in imported.text
    org = write_import(imported, tmp_path / "awsroles.ini").imported.org
    assert org.identity_center_home.name == "security" and org.management.name == "mgmt"


def test_the_marks_of_one_org_name_the_org() -> None:
    assert marked_org(instance()) == "other"
    assert marked_org(instance(permission_sets=(), users=(), groups=())) is None


def test_a_from_file_using_both_backends_is_refused_and_the_region_needs_identity_center() -> None:
    from awsroles.errors import UsageError

    both = valid(ORG_BOTH)
    with pytest.raises(UsageError, match="uses both iam-users and identity-center; import reads one of them"):
        wants_identity_center(ImportOptions(), both)
    with pytest.raises(UsageError, match="--identity-center-region needs --identity-center"):
        wants_identity_center(ImportOptions(identity_center_region="eu-west-1"), None)
    assert wants_identity_center(ImportOptions(identity_center=True), None)
    assert wants_identity_center(ImportOptions(), valid(ORG_BOTH.replace("iam-users, ", "")))
    assert not wants_identity_center(ImportOptions(), valid(ORG_BOTH.replace(", identity-center", "")))


ORG_BOTH = """\
[org]
name = acme
ops_account = ops
identity = iam-users, identity-center

[account ops]
id = 111111111111
"""


def test_groups_whose_names_make_one_team_name_get_numbered_and_unnameable_ones_are_reported() -> None:
    groups = (LiveGroup("g1", "Dev Ops"), LiveGroup("g2", "dev-ops"), LiveGroup("g3", "team-dev-ops"),
              LiveGroup("g4", "\u65e5\u672c"))
    found = import_identity_center(instance(groups=groups, assignments=()), ACCOUNTS.accounts, "acme")
    assert [t.name for t in found.teams] == ["dev-ops", "dev-ops-2", "dev-ops-3"]  # team-dev-ops keeps its name
    assert "group '\u65e5\u672c' (g4): no team name can be made of its name; not imported" in found.warnings


def test_permission_sets_whose_names_differ_only_in_case_are_refused_as_one_org_file_cannot_hold_them() -> None:
    from awsroles.errors import ExitCode, UsageError

    sets = (LivePermissionSet("a1", "Admin", detailed=True), LivePermissionSet("a2", "admin", detailed=True))
    with pytest.raises(UsageError, match="permission sets Admin and admin differ only in case") as raised:
        import_identity_center(instance(permission_sets=sets, assignments=()), ACCOUNTS.accounts, "acme")
    assert raised.value.exit_code == ExitCode.USAGE


def test_a_temporary_grants_permission_set_is_not_imported_as_a_role() -> None:
    tmp = "arn:aws:sso:::permissionSet/ssoins-1/ps-9"
    marks = {"managed-by": "awsroles", "awsroles-org": "acme", "awsroles-temporary": "t-20261129-1402-bob-dev"}
    live = instance()
    found = import_identity_center(instance(
        permission_sets=(*live.permission_sets, LivePermissionSet(tmp, "awsroles-tmp-0123456789ab", marks, "", "PT1H",
                                                                  detailed=True)),
        assignments=(*live.assignments, LiveAssignment(DEV, tmp, "USER", "u-bob"))), ACCOUNTS.accounts, "acme")
    assert "awsroles-tmp-0123456789ab" not in {r.name for r in found.roles}
    assert any(w.startswith("permission set awsroles-tmp-0123456789ab is temporary grant t-20261129-1402-bob-dev's: "
                            "not imported") for w in found.warnings), found.warnings
