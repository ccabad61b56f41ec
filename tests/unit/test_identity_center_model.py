"""The org file's identity keys and the Identity Center desired state derived from it (pure)."""

from __future__ import annotations

import json
from pathlib import Path

from awsroles.iam.desired import desired_state
from awsroles.identity_center import names
from awsroles.identity_center.desired import Boundary, CustomerPolicy, desired_identity_center
from tests.unit.test_orgfile import errors, valid

IC = """\
[org]
name = acme
management_account = mgmt
identity = identity-center

[account mgmt]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[account prod]
id = 333333333333
environment = prod

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
customer_managed = /team/deny-iam, audit
boundary = arn:aws:iam::aws:policy/PowerUserAccess
max_session = 2h30m
description = Full access

[role unused]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess

[team platform]
members = alice, bob
dev = admin
prod = admin

[user alice]
email = alice@acme.example
display_name = Alice  van der Berg

[user bob]
email = bob@acme.example
"""


def test_an_identity_center_org_needs_no_ops_account_and_derives_its_permission_sets_groups_and_assignments() -> None:
    org = valid(IC)
    assert org.identity == ("identity-center",) and org.uses_identity_center and not org.uses_iam_users
    assert org.ops_account == "mgmt" and org.identity_center_home.name == "mgmt"
    assert org.identity_center_region_name == "us-east-1"
    assert desired_state(org) == ()  # IAM: nothing, so what awsroles made there is a leftover
    spec = desired_identity_center(org)
    assert [(u.user_name, u.display_name, u.given_name, u.family_name, u.email, u.user_type) for u in spec.users] == [
        ("alice", "Alice van der Berg", "Alice", "van der Berg", "alice@acme.example", "awsroles:acme"),
        ("bob", "bob", "bob", "bob", "bob@acme.example", "awsroles:acme")]
    assert [(g.display_name, g.members) for g in spec.groups] == [("team-platform", ("alice", "bob"))]
    assert names.group_owner(spec.groups[0].description) == "acme"
    [admin] = spec.permission_sets  # `unused` is granted nowhere: no permission set
    assert admin.name == "admin" and admin.session_duration == "PT2H30M" and admin.description == "Full access"
    assert admin.customer_managed == (CustomerPolicy("audit", "/"), CustomerPolicy("deny-iam", "/team/"))
    assert admin.boundary == Boundary(managed_arn="arn:aws:iam::aws:policy/PowerUserAccess")
    assert {k: v for k, v in admin.tags if k != names.DIGEST_TAG} == {"managed-by": "awsroles", "awsroles-org": "acme"}
    assert [(a.group, a.permission_set, a.account_id) for a in spec.assignments] == [
        ("team-platform", "admin", "222222222222"), ("team-platform", "admin", "333333333333")]


def test_both_backends_side_by_side_keep_iam_and_add_identity_center() -> None:
    org = valid(IC.replace("identity = identity-center", "identity = identity-center, iam-users\nops_account = mgmt"))
    assert org.identity == ("iam-users", "identity-center")
    iam = {a.account.name: a for a in desired_state(org)}
    assert [r.name for r in iam["dev"].roles] == ["admin"]
    assert "arn:aws:iam::222222222222:policy/team/deny-iam" in iam["dev"].roles[0].managed
    assert "arn:aws:iam::222222222222:policy/audit" in iam["dev"].roles[0].managed
    assert desired_identity_center(org).permission_sets


def test_the_default_backend_is_iam_users_with_no_identity_center_state() -> None:
    org = valid(IC.replace("identity = identity-center", "ops_account = mgmt"))
    assert org.identity == ("iam-users",) and desired_identity_center(org).permission_sets == ()


def test_identity_keys_are_checked_with_their_lines() -> None:
    bad = IC.replace("identity = identity-center", "identity = sso")
    assert errors(bad) == ["org.ini:4: identity: expected iam-users or identity-center (or both, while moving), "
                           "got 'sso'"]
    assert errors(IC.replace("customer_managed = /team/deny-iam, audit", "customer_managed = a*b")) == [
        "org.ini:19: customer_managed 'a*b' is not a policy [/path/]name (letters, digits and + = , . @ _ -; a path "
        "like /team/)"]
    assert errors(IC.replace("boundary = arn:aws:iam::aws:policy/PowerUserAccess", "boundary = arn:aws:s3:::x")) == [
        "org.ini:20: boundary 'arn:aws:s3:::x' is not a managed policy ARN (arn:aws:iam::aws:policy/NAME)"]
    assert errors(IC.replace("email = bob@acme.example\n", "")) == [
        "org.ini:36: user 'bob' needs an email: IAM Identity Center sends one-time passwords and password "
        "resets there"]
    customer_arn = IC.replace("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::111111111111:policy/x")
    assert "customer managed policy ARN" in errors(customer_arn)[0]
    long_name = IC.replace("[role admin]", "[role a-permission-set-name-too-long-xyz]").replace(
        "dev = admin\nprod = admin", "dev = a-permission-set-name-too-long-xyz")
    assert "a permission set name is 1 to 32 characters" in errors(long_name)[0]


def test_a_roles_policy_files_become_one_inline_policy_and_clashing_statement_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    for name, sid in (("one", "A"), ("two", "B")):
        (tmp_path / "policies" / f"{name}.json").write_text(json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": sid, "Effect": "Deny", "Action": f"{name}:*",
                                                    "Resource": "*"}]}))
    text = IC.replace("customer_managed = /team/deny-iam, audit", "policies = one.json, two.json")
    org = valid(text, tmp_path)
    inline = json.loads(desired_identity_center(org).permission_sets[0].inline or "{}")
    assert [s["Sid"] for s in inline["Statement"]] == ["A", "B"]
    (tmp_path / "policies" / "two.json").write_text((tmp_path / "policies" / "one.json").read_text())
    assert "statement id 'A' is in policy files one and two" in errors(text, tmp_path)[0]


def test_durations_round_trip() -> None:
    assert [names.iso_duration(s) for s in (3600, 5400, 43200)] == ["PT1H", "PT1H30M", "PT12H"]
    assert [names.duration_seconds(t) for t in ("PT1H", "PT1H30M", "PT12H", "nonsense")] == [3600, 5400, 43200, 0]


def test_a_permission_sets_inline_policy_is_held_to_its_size(tmp_path: Path) -> None:
    """Identity Center's one inline policy and IAM's inline policies of a role have the same quota
    (10,240 characters): the role's files together are held to it, whatever the backend."""
    (tmp_path / "policies").mkdir()
    for n in range(2):
        actions = [f"s3:GetObject{n}x{i:04d}" for i in range(260)]
        (tmp_path / "policies" / f"p{n}.json").write_text(json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": f"S{n}", "Effect": "Deny", "Action": actions,
                                                    "Resource": "*"}]}))
    text = IC.replace("customer_managed = /team/deny-iam, audit", "policies = p0.json")
    assert valid(text, tmp_path)
    found = errors(text.replace("policies = p0.json", "policies = p0.json, p1.json"), tmp_path)
    assert any("characters of inline policy; IAM allows 10240 per role" in e for e in found), found


def test_the_writer_keeps_the_identity_keys_so_render_then_parse_gives_the_same_model() -> None:
    from awsroles.org.write import render_org_file

    text = IC.replace("identity = identity-center", "identity = identity-center\nidentity_center_account = dev\n"
                      "identity_center_region = eu-west-1").replace(
        "display_name = Alice  van der Berg", "display_name = Alice van der Berg\ngiven_name = Al\nfamily_name = Berg")
    text += "\n[role audit]\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\nboundary = /team/limit\n"
    org = valid(text)
    assert org.identity_center_account == "dev" and org.user("alice").given_name == "Al"
    written = render_org_file(org, "policies")
    assert "identity = identity-center\n" in written and "customer_managed = /team/deny-iam, audit\n" in written
    assert valid(written.replace("policy_dir = policies\n", "")) == org
    both = valid(text.replace("identity = identity-center", "identity = identity-center, iam-users\n"
                              "ops_account = mgmt"))
    assert valid(render_org_file(both, "policies").replace("policy_dir = policies\n", "")) == both
    iam = valid(text.replace("identity = identity-center", "ops_account = mgmt"))
    assert "\nidentity = " not in render_org_file(iam, "policies")  # the default goes unsaid
