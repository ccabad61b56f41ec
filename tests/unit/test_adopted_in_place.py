"""Resources adopted in place (``[role] path``, ``[user] path``, ``[team] group``): read, checked,
written back, and what they change in the desired state and policies."""

from __future__ import annotations

import json

import pytest

from awsroles.iam import policies, self_service
from awsroles.iam.checks import parse_org
from awsroles.iam.desired import desired_state
from awsroles.org.model import Org
from awsroles.org.write import render_org_file
from tests.conftest import EXAMPLES

ORG = """\
[org]
name = acme
ops_account = ops
mfa = required

[account ops]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[role Admin]
path = /
managed = arn:aws:iam::aws:policy/AdministratorAccess

[role reader]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess

[team developers]
group = /Developers
members = alice, bob
dev = Admin, reader

[user alice]
path = /

[user bob]
"""


def _parse(text: str) -> tuple[Org | None, list[str]]:
    org, problems = parse_org(text, "awsroles.ini", EXAMPLES)
    return org, [str(p) for p in problems if p.is_error]


def test_adopted_keys_are_read_and_written_back() -> None:
    org, errors = _parse(ORG)
    assert errors == [] and org is not None
    assert org.role_path("Admin") == "/" and org.role_path("reader") == "/awsroles/"
    assert org.user_path("alice") == "/" and org.user_path("bob") == "/awsroles/"
    assert org.team_group("developers") == ("/", "Developers")
    assert org.adopted_in_place() == {"role": {"Admin": "/"}, "group": {"Developers": "/"}, "user": {"alice": "/"}}
    assert org.role_arn("dev", "Admin") == "arn:aws:iam::222222222222:role/Admin"
    back, errors = _parse(render_org_file(org, "policies"))
    assert errors == [] and back == org


def test_the_org_path_itself_is_the_default() -> None:
    org, errors = _parse(ORG.replace("[user bob]\n", "[user bob]\npath = /awsroles/\n")
                         .replace("group = /Developers", "group = /awsroles/team-developers"))
    assert errors == [] and org is not None
    assert org.users[1].path == "" and org.teams[0].group == ""


@pytest.mark.parametrize(("edit", "error"), [
    (("[role Admin]\npath = /", "[role Admin]\npath = /aws-service-role/"), "path '/aws-service-role/' is AWS's own"),
    (("[user alice]\npath = /", "[user alice]\npath = /service-role/"), "path '/service-role/' is AWS's own"),
    (("[user alice]\npath = /", "[user alice]\npath = people"), "path 'people' is not an IAM path"),
    (("group = /Developers", "group = /awsroles-users"), "is the group of every awsroles user"),
    (("group = /Developers", "group = Developers"), "is not an IAM group's path and name"),
    (("[user bob]\n", "[user bob]\n\n[team ops-people]\ngroup = /developers\nmembers = bob\n"),
     "group developers is already team 'developers''s"),
    (("[user bob]\n", "[user bob]\n\n[team other]\ngroup = /team-developers\nmembers = bob\n"),
     "group team-developers is already team"),
])
def test_what_cannot_be_adopted_is_refused(edit: tuple[str, str], error: str) -> None:
    text = ORG.replace(*edit)
    if "[team other]" in text:  # a team-developers group of another team would clash with the default name
        text = text.replace("group = /Developers\n", "")
    _, errors = _parse(text)
    assert any(error in e for e in errors), errors


def test_desired_state_and_policies_use_the_adopted_paths_and_names() -> None:
    org, _ = _parse(ORG)
    assert org is not None
    ops, dev = desired_state(org)
    groups = {g.name: g.path for g in ops.groups}
    assert groups == {"awsroles-users": "/awsroles/", "Developers": "/"}
    users = {u.name: (u.path, u.groups) for u in ops.users}
    assert users == {"alice": ("/", ("awsroles-users", "Developers")), "bob": ("/awsroles/", ("awsroles-users",
                                                                                              "Developers"))}
    assert {r.name: r.path for r in dev.roles} == {"Admin": "/", "reader": "/awsroles/"}
    team = policies.team_policy(org, org.teams[0])
    assert sorted(team["Statement"][0]["Resource"]) == ["arn:aws:iam::222222222222:role/Admin",
                                                        "arn:aws:iam::222222222222:role/awsroles/reader"]
    trust = policies.trust_policy(org)["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert sorted(trust) == ["arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/awsroles/*"]
    me = json.dumps(self_service.self_service_policy(org))
    assert "user/${aws:username}" in me and "user/awsroles/${aws:username}" in me


def test_without_adoption_the_policies_are_as_before() -> None:
    org, _ = _parse(ORG.replace("path = /\n", "").replace("group = /Developers\n", ""))
    assert org is not None and org.adopted_in_place() == {"role": {}, "group": {}, "user": {}}
    trust = policies.trust_policy(org)["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert trust == "arn:aws:iam::111111111111:user/awsroles/*"


def test_too_many_users_adopted_in_place_make_the_trust_policy_too_big() -> None:
    many = "".join(f"\n[user person{i:03d}]\npath = /\n" for i in range(60))
    _, errors = _parse(ORG + many)
    assert any("the trust policy is" in e and "IAM allows 2048 (61 users adopted in place outside the path are named "
               "one by one in it" in e for e in errors), errors
