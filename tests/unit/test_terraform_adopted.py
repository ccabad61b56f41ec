"""The Terraform export of an org that adopts resources in place (``[role] path``, ``[user] path``,
``[team] group``): each adopted role, group and user where it is, every ARN at its adopted path,
awsroles' marks on it, and an ``import`` block so that terraform takes it over instead of creating it.

tests/e2e/test_terraform_apply.py::test_terraform_takes_over_a_console_org_adopted_in_place runs the
export of the sandbox's console-made org through terraform.
"""

from __future__ import annotations

import json

from awsroles.export.terraform import (
    AWS_PROVIDER_VERSION,
    AWS_PROVIDER_VERSION_EXCLUSIVE,
    REQUIRED_TERRAFORM,
    REQUIRED_TERRAFORM_IMPORTS,
    terraform_files,
)
from awsroles.iam.checks import parse_org
from awsroles.org.model import Org
from tests.conftest import EXAMPLES
from tests.unit.test_terraform import assert_equivalent, hcl_string, label, parse_tf

# Admin adopted at / and granted in two environments; reader at the org's path. The team
# developers is the console's group Developers at /, ops is team-ops at the path. alice is adopted
# at /, bob is at the path, carol is declared at the org's path in so many words (nothing adopted).
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

[account prod]
id = 444444444444
environment = prod

[role Admin]
path = /
managed = arn:aws:iam::aws:policy/AdministratorAccess

[role reader]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess

[team developers]
group = /Developers
members = alice, bob
dev = Admin, reader
prod = Admin

[team ops]
members = carol
prod = reader

[user alice]
path = /

[user bob]

[user carol]
path = /awsroles/
"""


def _org(text: str = ORG) -> Org:
    org, problems = parse_org(text, "awsroles.ini", EXAMPLES)
    assert org is not None, [str(p) for p in problems]
    return org


def _imports(files: dict[str, str]) -> set[tuple[str, str, str, str]]:
    """(file, provider, to, id) of every import block."""
    return {(path, block["provider"], block["to"], hcl_string(block["id"]))
            for path, module in parse_tf(files).items() for block in module.get("import", [])}


def _resource(files: dict[str, str], path: str, resource_type: str, name: str) -> dict[str, object]:
    for block in parse_tf(files)[path].get("resource", []):
        for type_label, named in block.items():
            for name_label, body in named.items():
                if (label(type_label), label(name_label)) == (resource_type, name):
                    found: dict[str, object] = body
                    return found
    raise AssertionError(f"no {resource_type}.{name} in {path}")


def test_every_resource_adopted_in_place_is_imported_and_nothing_else() -> None:
    files = terraform_files(_org())
    assert _imports(files) == {
        ("dev.tf", "${aws.dev}", "${aws_iam_role.dev_Admin}", "Admin"),
        ("prod.tf", "${aws.prod}", "${aws_iam_role.prod_Admin}", "Admin"),
        ("ops.tf", "${aws.ops}", "${aws_iam_group.ops_Developers}", "Developers"),
        ("ops.tf", "${aws.ops}", "${aws_iam_user.ops_alice}", "alice"),
        # the id names every group of hers: terraform reads back those she is in and adds the others
        ("ops.tf", "${aws.ops}", "${aws_iam_user_group_membership.ops_alice}", "alice/awsroles-users/Developers"),
    }
    assert f'required_version = "{REQUIRED_TERRAFORM_IMPORTS}"' in files["versions.tf"]


def _exclusives(files: dict[str, str]) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """(type, local name) -> (principal reference, listed references) of every ``*_exclusive`` resource."""
    out = {}
    for module in parse_tf(files).values():
        for block in module.get("resource", []):
            for type_label, named in block.items():
                resource_type = label(type_label)
                if resource_type.endswith("_exclusive"):
                    for name_label, body in named.items():
                        kind = resource_type.split("_")[2]  # aws_iam_<kind>_...
                        listed = body["policy_names" if "_policies_" in resource_type else "policy_arns"]
                        out[(resource_type, label(name_label))] = (body[f"{kind}_name"], listed)
    return out


def test_an_adopted_resource_holds_its_declared_policies_and_nothing_else() -> None:
    """apply removes what else an adopted role, group or user holds (the console's inline policies of a
    group, a policy attached by hand): terraform too, through the provider's exclusive resources, each
    listing the resources of the declared policies (so it runs after them)."""
    files = terraform_files(_org())
    role, group, user = "${aws_iam_role.%s.name}", "${aws_iam_group.%s.name}", "${aws_iam_user.%s.name}"
    assert _exclusives(files) == {
        ("aws_iam_role_policies_exclusive", "dev_Admin"): (role % "dev_Admin", []),
        ("aws_iam_role_policy_attachments_exclusive", "dev_Admin"): (role % "dev_Admin", [
            "${aws_iam_role_policy_attachment.dev_Admin_AdministratorAccess.policy_arn}"]),
        ("aws_iam_role_policies_exclusive", "prod_Admin"): (role % "prod_Admin", []),
        ("aws_iam_role_policy_attachments_exclusive", "prod_Admin"): (role % "prod_Admin", [
            "${aws_iam_role_policy_attachment.prod_Admin_AdministratorAccess.policy_arn}"]),
        ("aws_iam_group_policies_exclusive", "ops_Developers"): (group % "ops_Developers", [
            "${aws_iam_group_policy.ops_Developers_awsroles-managed-by.name}",
            "${aws_iam_group_policy.ops_Developers_awsroles-assume-roles.name}"]),
        ("aws_iam_group_policy_attachments_exclusive", "ops_Developers"): (group % "ops_Developers", []),
        ("aws_iam_user_policies_exclusive", "ops_alice"): (user % "ops_alice", []),
        ("aws_iam_user_policy_attachments_exclusive", "ops_alice"): (user % "ops_alice", []),
    }
    assert f'version = "{AWS_PROVIDER_VERSION_EXCLUSIVE}"' in files["versions.tf"]


def test_a_temporary_grant_of_an_adopted_user_is_in_what_they_hold() -> None:
    org = _org(ORG + "\n[temporary t1]\nuser = alice\nenvironment = prod\nrole = reader\n"
                     "until = 2999-01-01T00:00:00Z\nreason = INC-1\n")
    assert _exclusives(terraform_files(org))[("aws_iam_user_policies_exclusive", "ops_alice")][1] == [
        "${aws_iam_user_policy.ops_alice_awsroles-temporary.name}"]


def test_adopted_resources_are_exported_at_their_path_and_name() -> None:
    files = terraform_files(_org())
    admin = _resource(files, "dev.tf", "aws_iam_role", "dev_Admin")
    assert (hcl_string(str(admin["name"])), hcl_string(str(admin["path"]))) == ("Admin", "/")
    reader = _resource(files, "dev.tf", "aws_iam_role", "dev_reader")
    assert hcl_string(str(reader["path"])) == "/awsroles/"
    group = _resource(files, "ops.tf", "aws_iam_group", "ops_Developers")
    assert (hcl_string(str(group["name"])), hcl_string(str(group["path"]))) == ("Developers", "/")
    assert "team-developers" not in "".join(files.values())
    team_ops = _resource(files, "ops.tf", "aws_iam_group", "ops_team-ops")
    assert hcl_string(str(team_ops["path"])) == "/awsroles/"
    alice = _resource(files, "ops.tf", "aws_iam_user", "ops_alice")
    assert hcl_string(str(alice["path"])) == "/"
    bob = _resource(files, "ops.tf", "aws_iam_user", "ops_bob")
    assert hcl_string(str(bob["path"])) == "/awsroles/"
    assert _resource(files, "ops.tf", "aws_iam_user_group_membership", "ops_bob")["groups"] == [
        "${aws_iam_group.ops_awsroles-users.name}", "${aws_iam_group.ops_Developers.name}"]


def test_every_arn_names_the_adopted_path() -> None:
    files = terraform_files(_org())
    grants = json.loads(files["policies/ops/groups/Developers.awsroles-assume-roles.json"])
    resources = {arn for statement in grants["Statement"] for arn in statement["Resource"]}
    assert resources == {"arn:aws:iam::222222222222:role/Admin", "arn:aws:iam::222222222222:role/awsroles/reader",
                         "arn:aws:iam::444444444444:role/Admin"}
    trust = json.loads(files["policies/prod/roles/Admin.trust.json"])
    principals = trust["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert "arn:aws:iam::111111111111:user/alice" in principals  # by exact ARN, never a pattern at /
    assert not any(p.endswith(":user/*") for p in principals)
    own = json.loads(files["policies/ops/policies/awsroles-self-service.json"])
    resources = {r for statement in own["Statement"] for r in statement.get("Resource", [])}
    assert {"arn:aws:iam::111111111111:user/${aws:username}",  # alice, at /: her own credentials
            "arn:aws:iam::111111111111:user/awsroles/${aws:username}"} <= resources


def test_adopted_resources_carry_awsroles_marks() -> None:
    """What apply --adopt marks, terraform marks too: the managed-by tag on a role or user, the
    marker inline policy on a group."""
    files = terraform_files(_org())
    for path, resource_type, name in (("dev.tf", "aws_iam_role", "dev_Admin"),
                                      ("prod.tf", "aws_iam_role", "prod_Admin"),
                                      ("ops.tf", "aws_iam_user", "ops_alice")):
        tags = _resource(files, path, resource_type, name)["tags"]
        assert isinstance(tags, dict) and hcl_string(tags["managed-by"]) == "awsroles", name
    marker = _resource(files, "ops.tf", "aws_iam_group_policy", "ops_Developers_awsroles-managed-by")
    assert marker["group"] == "${aws_iam_group.ops_Developers.name}"
    assert hcl_string(str(marker["name"])) == "awsroles-managed-by"


def test_only_what_existed_before_is_kept_from_terraform_destroy() -> None:
    files = terraform_files(_org())
    kept = {(path, name) for path, resource_type, name in (
        ("dev.tf", "aws_iam_role", "dev_Admin"), ("dev.tf", "aws_iam_role", "dev_reader"),
        ("prod.tf", "aws_iam_role", "prod_Admin"), ("prod.tf", "aws_iam_role", "prod_reader"),
        ("ops.tf", "aws_iam_group", "ops_Developers"), ("ops.tf", "aws_iam_group", "ops_team-ops"),
        ("ops.tf", "aws_iam_group", "ops_awsroles-users"),
        ("ops.tf", "aws_iam_user", "ops_alice"), ("ops.tf", "aws_iam_user", "ops_bob"),
        ("ops.tf", "aws_iam_user", "ops_carol"),
    ) if [{k: v for k, v in b.items() if not k.startswith("__")}
          for b in _resource(files, path, resource_type, name).get("lifecycle", [])] == [{"prevent_destroy": True}]}
    assert kept == {("dev.tf", "dev_Admin"), ("prod.tf", "prod_Admin"), ("ops.tf", "ops_Developers"),
                    ("ops.tf", "ops_alice")}


def test_an_adopting_org_exports_exactly_its_desired_state() -> None:
    assert_equivalent(_org(), terraform_files(_org()))


def test_an_org_adopting_nothing_has_no_import_block() -> None:
    """Resources at the org's path are created, whatever the file says of their path."""
    org = _org(ORG.replace("path = /\n", "path = /awsroles/\n").replace("group = /Developers\n", ""))
    files = terraform_files(org)
    assert _imports(files) == set() and _exclusives(files) == {}
    assert f'required_version = "{REQUIRED_TERRAFORM}"' in files["versions.tf"]
    assert f'version = "{AWS_PROVIDER_VERSION}"' in files["versions.tf"]


def test_a_break_glass_trust_names_an_adopted_person_where_they_are() -> None:
    org = _org(ORG + "\n[break-glass prod]\npeople = alice, bob\n")
    trust = json.loads(terraform_files(org)["policies/prod/roles/breakglass.trust.json"])
    principals = json.dumps(trust)
    assert "arn:aws:iam::111111111111:user/alice" in principals
    assert "arn:aws:iam::111111111111:user/awsroles/bob" in principals


def test_what_the_org_file_moves_to_its_path_is_imported_where_it_is_and_moved_by_terraform() -> None:
    """``move_from``: the user and the group exist (at /), so they are imported by name like what is adopted
    in place, with the org's path in their resource: terraform moves them by updating it (the provider's
    UpdateUser and UpdateGroup, in place; tests/e2e/test_terraform_apply.py runs it for users)."""
    text = (ORG.replace("[user alice]\npath = /", "[user alice]\nmove_from = /")
            .replace("group = /Developers", "group = /awsroles/Developers\nmove_from = /"))
    files = terraform_files(_org(text))
    assert {(to, i) for _f, _p, to, i in _imports(files)} >= {
        ("${aws_iam_group.ops_Developers}", "Developers"), ("${aws_iam_user.ops_alice}", "alice")}
    assert hcl_string(_resource(files, "ops.tf", "aws_iam_user", "ops_alice")["path"]) == "/awsroles/"
    assert hcl_string(_resource(files, "ops.tf", "aws_iam_group", "ops_Developers")["path"]) == "/awsroles/"
    assert "user alice exists at / (move_from): terraform takes it over and moves it to /awsroles/" in files["ops.tf"]
    policy = json.dumps(parse_tf(files))
    assert "user/alice" not in policy  # every ARN is the moved one


def test_a_replaced_role_is_never_in_the_export_but_the_teams_grants_name_it_until_retired() -> None:
    """``replaces``: the new role is created; the hand-made one stays out of terraform's hands (no
    resource, no import: terraform can never delete it), and the team's grants name it until it retires."""
    text = ORG.replace("[role reader]\n", "[role reader]\nreplaces = /Viewer\n")
    files = terraform_files(_org(text))
    assert any("arn:aws:iam::222222222222:role/Viewer" in f for f in files.values())  # still granted
    roles = {label(name) for module in parse_tf(files).values() for block in module.get("resource", [])
             for kind, named in block.items() if label(kind) == "aws_iam_role" for name in named}
    assert not any(r.endswith("_Viewer") for r in roles) and any(r.endswith("_reader") for r in roles)
    assert not any(i.endswith("Viewer") for _f, _p, _t, i in _imports(files))
    retired = terraform_files(_org(text.replace("replaces =", "retires =")))
    assert not any("role/Viewer" in f for f in retired.values())  # no longer granted
