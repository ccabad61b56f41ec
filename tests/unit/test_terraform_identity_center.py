"""The Terraform export of the IAM Identity Center backend, read back with python-hcl2 and checked
against :func:`awsroles.identity_center.desired.desired_identity_center` without using anything
from :mod:`awsroles.export.identity_center`. terraform itself validates it in
tests/e2e/test_terraform_cli.py and applies it to the sandbox in tests/e2e/test_terraform_apply.py."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from awsroles.export.identity_center import permission_set_files
from awsroles.export.terraform import terraform_files
from awsroles.identity_center.desired import desired_identity_center
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from tests.conftest import EXAMPLES
from tests.unit.test_cli import invoke
from tests.unit.test_terraform import assert_equivalent, hcl_string, label

IC_ORG = """\
[org]
name = acme
region = us-east-1
management_account = mgmt
identity = identity-center
policy_dir = ../policies

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
description = Full access, ${aws:username} "quoted"

[role developer]
managed = arn:aws:iam::aws:policy/PowerUserAccess, arn:aws:iam::aws:policy/ReadOnlyAccess
policies = deny-iam-writes.json
boundary = /boundaries/developer-boundary
max_session = 4h

[role unused]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess

[team platform]
description = Runs the platform
members = alice, bob
dev = admin
prod = admin

[team backend]
members = bob, a.b
dev = developer

[user alice]
email = alice@acme.example
display_name = Alice van der Berg

[user bob]
email = bob@acme.example

[user a.b]
email = a.b@acme.example
"""

INSTANCE_ARN = "${local.identity_center_instance_arn}"
IDENTITY_STORE_ID = "${local.identity_store_id}"
_REF = re.compile(r"\$\{(aws_[a-z_]+)\.([A-Za-z_][A-Za-z0-9_-]*)\.([a-z_]+)\}")
_FILE = re.compile(r'\$\{file\("\$\{path\.module\}/([^"]+)"\)\}')


def ic_org(text: str = IC_ORG, **replace: str) -> Org:
    for old, new in replace.items():
        text = text.replace(old, new)
    org, problems = parse_org(text, str(EXAMPLES / "identity-center.ini"), EXAMPLES)
    assert org is not None, [str(p) for p in problems]
    return org


IC_IN_ANOTHER_REGION = {"identity = identity-center\n": "identity = identity-center\nidentity_center_region = "
                                                        "eu-west-1\n"}
BOTH_BACKENDS = {"identity = identity-center\n": "identity = iam-users, identity-center\nops_account = mgmt\n"}


def plain(value: Any) -> Any:
    """python-hcl2's tree, its quoted strings read as HCL reads them, its markers dropped."""
    if isinstance(value, dict):
        return {label(k): plain(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value.startswith('"'):
        return hcl_string(value)
    return value


def parsed(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """file -> {"data": ..., "locals": ..., "resource": {type: {name: body}}}."""
    out: dict[str, dict[str, Any]] = {}
    for path, text in files.items():
        if not path.endswith(".tf"):
            continue
        tree = plain(hcl2.loads(text))
        resources: dict[str, dict[str, Any]] = {}
        for entry in tree.get("resource", []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    assert name not in resources.setdefault(rtype, {}), f"{rtype}.{name} declared twice"
                    resources[rtype][name] = body
        out[path] = {**tree, "resource": resources}
    return out


def ic_facts(org: Org, files: dict[str, str]) -> set[tuple[str, ...]]:
    """The Identity Center resources the files declare, as facts comparable with :func:`expected_facts`;
    checks on the way that each is in one file, through one provider (the Identity Center account's,
    in its region), in the instance and identity store of the data source."""
    trees = parsed(files)
    holding = [p for p, t in trees.items() if any(k.startswith(("aws_identitystore_", "aws_ssoadmin_"))
                                                  for k in t["resource"])]
    assert len(holding) == 1, holding
    tree = trees[holding[0]]
    [data] = tree["data"]
    [(instances, data_body)] = data["aws_ssoadmin_instances"].items()
    provider = data_body["provider"]
    [declared] = [p["aws"] for p in trees["providers.tf"]["provider"] if f"${{aws.{p['aws']['alias']}}}" == provider]
    assert (declared["region"], declared["allowed_account_ids"]) == (
        org.identity_center_region_name, [org.identity_center_home.id])
    assert tree["locals"] == [{
        "identity_center_instance_arn": f"${{tolist(data.aws_ssoadmin_instances.{instances}.arns)[0]}}",
        "identity_store_id": f"${{tolist(data.aws_ssoadmin_instances.{instances}.identity_store_ids)[0]}}"}]
    resources = tree["resource"]

    def ref(value: str, rtype: str, attribute: str) -> dict[str, Any]:
        match = _REF.fullmatch(value)
        assert match and match.group(1) == rtype and match.group(3) == attribute, (value, rtype, attribute)
        return dict(resources[rtype][match.group(2)])

    def document(value: str) -> str:
        match = _FILE.fullmatch(value)
        assert match, value
        return files[match.group(1)]

    facts: set[tuple[str, ...]] = set()
    for rtype, named in resources.items():
        if not rtype.startswith(("aws_identitystore_", "aws_ssoadmin_")):
            continue
        for original in named.values():
            body = copy.deepcopy(original)  # consumed below; references read the originals
            assert body.pop("provider") == provider, f"{rtype}: every Identity Center resource has one provider"
            if rtype.startswith("aws_identitystore_"):
                assert body.pop("identity_store_id") == IDENTITY_STORE_ID
            else:
                assert body.pop("instance_arn") == INSTANCE_ARN
            if "permission_set_arn" in body:
                permission_set = ref(body.pop("permission_set_arn"), "aws_ssoadmin_permission_set", "arn")["name"]
            if rtype == "aws_identitystore_user":
                [name], [email] = body.pop("name"), body.pop("emails")
                facts.add(("user", body.pop("user_name"), body.pop("display_name"), name["given_name"],
                           name["family_name"], email["value"], str(email["primary"]), email["type"],
                           body.pop("user_type")))
            elif rtype == "aws_identitystore_group":
                facts.add(("group", body.pop("display_name"), body.pop("description")))
            elif rtype == "aws_identitystore_group_membership":
                group = ref(body.pop("group_id"), "aws_identitystore_group", "group_id")["display_name"]
                user = ref(body.pop("member_id"), "aws_identitystore_user", "user_id")["user_name"]
                facts.add(("member", group, user))
            elif rtype == "aws_ssoadmin_permission_set":
                facts.add(("permission set", body.pop("name"), body.pop("description", ""),
                           body.pop("session_duration"), json.dumps(body.pop("tags"), sort_keys=True)))
            elif rtype == "aws_ssoadmin_managed_policy_attachment":
                facts.add(("managed", permission_set, body.pop("managed_policy_arn")))
            elif rtype == "aws_ssoadmin_customer_managed_policy_attachment":
                [reference] = body.pop("customer_managed_policy_reference")
                facts.add(("customer managed", permission_set, reference["path"], reference["name"]))
            elif rtype == "aws_ssoadmin_permission_set_inline_policy":
                facts.add(("inline", permission_set, document(body.pop("inline_policy"))))
            elif rtype == "aws_ssoadmin_permissions_boundary_attachment":
                [boundary] = body.pop("permissions_boundary")
                if "customer_managed_policy_reference" in boundary:
                    [reference] = boundary.pop("customer_managed_policy_reference")
                    facts.add(("boundary", permission_set, f"customer managed {reference['path']}{reference['name']}"))
                else:
                    facts.add(("boundary", permission_set, boundary.pop("managed_policy_arn")))
                assert not boundary, boundary
            elif rtype == "aws_ssoadmin_account_assignment":
                kind = body.pop("principal_type")
                principal = (ref(body.pop("principal_id"), "aws_identitystore_group", "group_id")["display_name"]
                             if kind == "GROUP" else
                             ref(body.pop("principal_id"), "aws_identitystore_user", "user_id")["user_name"])
                facts.add(("assignment", principal, permission_set, kind, body.pop("target_id"),
                           body.pop("target_type")))
                body.pop("depends_on", None)  # test_assignments_wait_for_their_permission_sets_policies
            else:
                raise AssertionError(f"unexpected resource type {rtype}")
            assert not body, f"{rtype}: unexpected attributes {sorted(body)}"
    return facts


def expected_facts(org: Org) -> set[tuple[str, ...]]:
    spec = desired_identity_center(org)
    facts: set[tuple[str, ...]] = set()
    for u in spec.users:
        facts.add(("user", u.user_name, u.display_name, u.given_name, u.family_name, u.email, "True", "work",
                   u.user_type))
    for g in spec.groups:
        facts.add(("group", g.display_name, g.description))
        facts.update(("member", g.display_name, m) for m in g.members)
    for s in spec.permission_sets:
        facts.add(("permission set", s.name, s.description, s.session_duration, json.dumps(dict(s.tags),
                                                                                           sort_keys=True)))
        facts.update(("managed", s.name, arn) for arn in s.managed)
        facts.update(("customer managed", s.name, c.path, c.name) for c in s.customer_managed)
        if s.inline is not None:
            facts.add(("inline", s.name, s.inline))
        if s.boundary is not None:
            facts.add(("boundary", s.name, str(s.boundary)))
    for a in spec.assignments:
        facts.add(("assignment", a.group, a.permission_set, a.principal_type, a.account_id, "AWS_ACCOUNT"))
    return facts


# -- tests ---------------------------------------------------------------------------------------


def test_an_identity_center_org_is_exported_in_its_accounts_file_and_nothing_of_iam() -> None:
    org = ic_org()
    files = terraform_files(org)
    assert ic_facts(org, files) == expected_facts(org)
    assert sorted(files) == ["mgmt.tf", "policies/index.json", "policies/mgmt/permission-sets/developer.json",
                             "providers.tf", "versions.tf"]
    assert not any("aws_iam_" in text for text in files.values())  # identity-center alone: no IAM users, roles
    text = files["mgmt.tf"]
    assert 'data "aws_ssoadmin_instances" "identity_center" {\n  provider = aws.mgmt\n}' in text
    assert 'resource "aws_identitystore_user" "a_b" {' in text
    assert 'resource "aws_identitystore_group_membership" "team-backend_a_b" {' in text
    assert 'resource "aws_ssoadmin_customer_managed_policy_attachment" "admin_team_deny-iam" {' in text
    assert 'resource "aws_ssoadmin_account_assignment" "team-platform_admin_prod" {' in text
    assert 'description      = "Full access, $${aws:username} \\"quoted\\""' in text
    providers = parsed(files)["providers.tf"]["provider"]
    assert providers == [{"aws": {"alias": "mgmt", "region": "us-east-1", "allowed_account_ids": ["111111111111"]}}]
    admin = parsed(files)["mgmt.tf"]["resource"]["aws_ssoadmin_permission_set"]["admin"]
    assert sorted(admin["tags"]) == ["awsroles-digest", "awsroles-org", "managed-by"]


def test_the_equivalence_check_notices_a_changed_attribute() -> None:
    org = ic_org()
    files = terraform_files(org)
    files["mgmt.tf"] = files["mgmt.tf"].replace('session_duration = "PT4H"', 'session_duration = "PT5H"')
    assert ic_facts(org, files) != expected_facts(org)


def test_both_backends_export_iam_as_before_and_identity_center_beside_it() -> None:
    org = ic_org(**BOTH_BACKENDS)
    files = terraform_files(org)
    assert ic_facts(org, files) == expected_facts(org)
    assert_equivalent(org, files)  # IAM: exactly desired_state, as with iam-users alone
    assert 'resource "aws_iam_user" "mgmt_alice"' in files["mgmt.tf"]
    assert 'resource "aws_identitystore_user" "alice"' in files["mgmt.tf"]


def test_an_instance_in_another_region_gets_a_provider_of_its_own() -> None:
    org = ic_org(**IC_IN_ANOTHER_REGION)
    files = terraform_files(org)
    assert ic_facts(org, files) == expected_facts(org)
    # mgmt holds nothing else: its only provider is the one in the instance's region
    assert parsed(files)["providers.tf"]["provider"] == [{"aws": {
        "alias": "mgmt_eu-west-1", "region": "eu-west-1", "allowed_account_ids": ["111111111111"]}}]
    assert "provider = aws.mgmt_eu-west-1\n" in files["mgmt.tf"]

    both = ic_org(**{k: v + "identity_center_region = eu-west-1\n" for k, v in BOTH_BACKENDS.items()})
    files = terraform_files(both)
    assert ic_facts(both, files) == expected_facts(both)
    assert_equivalent(both, files)
    providers = {p["aws"]["alias"]: p["aws"] for p in parsed(files)["providers.tf"]["provider"]}
    assert (providers["mgmt"]["region"], providers["mgmt_eu-west-1"]["region"]) == ("us-east-1", "eu-west-1")
    assert "eu-west-1, IAM Identity Center's region" in files["providers.tf"]


def test_the_identity_center_account_need_not_be_the_management_account() -> None:
    org = ic_org(**{"identity = identity-center\n": "identity = identity-center\nidentity_center_account = dev\n"})
    files = terraform_files(org)
    assert ic_facts(org, files) == expected_facts(org)
    assert "aws_ssoadmin_instances" in files["dev.tf"] and "mgmt.tf" not in files
    assert "policies/dev/permission-sets/developer.json" in files
    [provider] = parsed(files)["providers.tf"]["provider"]
    assert provider["aws"]["assume_role"] == [{
        "role_arn": "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
        "session_name": "awsroles-terraform"}]


def test_a_permission_sets_inline_policy_is_the_merged_document_apply_sends() -> None:
    org = ic_org()
    files = terraform_files(org)
    [developer] = [s for s in desired_identity_center(org).permission_sets if s.name == "developer"]
    assert files["policies/mgmt/permission-sets/developer.json"] == developer.inline
    assert permission_set_files(org) == {"mgmt/permission-sets/developer.json": developer.inline}
    assert 'inline_policy      = file("${path.module}/policies/mgmt/permission-sets/developer.json")' \
        in files["mgmt.tf"]


def test_assignments_wait_for_their_permission_sets_policies() -> None:
    """Each assignment depends on every attachment of its permission set (and on nothing else)."""
    tree = parsed(terraform_files(ic_org()))["mgmt.tf"]["resource"]
    attachments: dict[str, set[str]] = {}
    for rtype, named in tree.items():
        for name, body in named.items():
            if rtype != "aws_ssoadmin_permission_set" and "permission_set_arn" in body and \
                    rtype != "aws_ssoadmin_account_assignment":
                attachments.setdefault(body["permission_set_arn"], set()).add(f"${{{rtype}.{name}}}")
    assignments = tree["aws_ssoadmin_account_assignment"]
    assert len(assignments) == 3
    for body in assignments.values():
        assert set(body["depends_on"]) == attachments[body["permission_set_arn"]]
    assert len(attachments["${aws_ssoadmin_permission_set.developer.arn}"]) == 4  # 2 managed, inline, boundary


def test_a_permission_set_without_description_policies_or_boundary_has_just_its_settings() -> None:
    org = ic_org(**{"description = Full access, ${aws:username} \"quoted\"\n": "",
                    "customer_managed = /team/deny-iam, audit\nboundary = arn:aws:iam::aws:policy/PowerUserAccess\n":
                    ""})
    files = terraform_files(org)
    assert ic_facts(org, files) == expected_facts(org)
    admin = parsed(files)["mgmt.tf"]["resource"]["aws_ssoadmin_permission_set"]["admin"]
    assert "description" not in admin


def test_clashing_local_names_get_numbers() -> None:
    org = ic_org(IC_ORG + "\n[user a_b]\nemail = ab@acme.example\n",
                 **{"members = bob, a.b": "members = bob, a.b, a_b"})
    files = terraform_files(org)
    assert ic_facts(org, files) == expected_facts(org)
    users = parsed(files)["mgmt.tf"]["resource"]["aws_identitystore_user"]
    assert (users["a_b"]["user_name"], users["a_b_2"]["user_name"]) == ("a.b", "a_b")


def test_temporary_grants_not_expired_are_exported_as_their_own_permission_sets_and_assignments() -> None:
    from awsroles.identity_center.temporary import permission_set_name

    grants = ("\n[temporary t-team]\nteam = backend\nenvironment = dev\nrole = developer\n"
              "until = 2099-01-01T00:00:00Z\nreason = INC-1\n"
              "\n[temporary t-user]\nuser = alice\nenvironment = prod\nrole = unused\n"
              "until = 2099-01-01T00:00:00Z\nreason = INC-2\n"
              "\n[temporary t-old]\nuser = alice\nenvironment = prod\nrole = unused\n"
              "until = 2020-01-01T00:00:00Z\nreason = INC-0\n")
    org = ic_org(IC_ORG + grants)
    files = terraform_files(org)
    facts = ic_facts(org, files)
    assert facts == expected_facts(org)
    team, user = permission_set_name("t-team"), permission_set_name("t-user")
    assert ("assignment", "team-backend", team, "GROUP", "222222222222", "AWS_ACCOUNT") in facts
    assert ("assignment", "alice", user, "USER", "333333333333", "AWS_ACCOUNT") in facts
    assert ("managed", user, "arn:aws:iam::aws:policy/ReadOnlyAccess") in facts  # the role's, as its own set
    assert not [f for f in facts if permission_set_name("t-old") in f]  # expired: not exported
    window = json.loads(files[f"policies/mgmt/permission-sets/{team}.json"])["Statement"]
    assert {"Sid": "AwsrolesTemporaryWindow", "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}} in window


def test_the_export_is_byte_stable() -> None:
    for replace in ({}, BOTH_BACKENDS, IC_IN_ANOTHER_REGION):
        assert terraform_files(ic_org(**replace)) == terraform_files(ic_org(**replace))


@pytest.fixture
def ic_org_file(tmp_path: Path) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text(IC_ORG.replace("policy_dir = ../policies", f"policy_dir = {EXAMPLES.parent / 'policies'}"))
    return path


def test_export_policies_writes_the_permission_sets_inline_policies(ic_org_file: Path, tmp_path: Path) -> None:
    code, out, err = invoke("-f", str(ic_org_file), "-o", "json", "export", "policies", str(tmp_path / "out"))
    assert code == 0, err
    assert json.loads(out)["files"] == ["index.json", "mgmt/permission-sets/developer.json"]
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["accounts"] == [] and index["identity_center"]["account"] == "mgmt"
    developer = index["identity_center"]["permission_sets"][1]
    assert (developer["name"], developer["inline_policy"], developer["permissions_boundary"]) == (
        "developer", "mgmt/permission-sets/developer.json",
        {"CustomerManagedPolicyReference": {"Name": "developer-boundary", "Path": "/boundaries/"}})
    assert [a["account_id"] for a in index["identity_center"]["assignments"]] == [
        "222222222222", "222222222222", "333333333333"]
    assert terraform_files(ic_org())["policies/index.json"] == (tmp_path / "out" / "index.json").read_text()
    written = json.loads((tmp_path / "out" / "mgmt" / "permission-sets" / "developer.json").read_text())
    assert [s["Sid"] for s in written["Statement"]] == [
        s["Sid"] for s in json.loads((EXAMPLES.parent / "policies" / "deny-iam-writes.json").read_text())["Statement"]]


def test_an_org_without_identity_center_has_no_such_entry_in_the_index() -> None:
    org = ic_org(**{"identity = identity-center\n": "ops_account = mgmt\n"})
    assert "identity_center" not in json.loads(terraform_files(org)["policies/index.json"])
    assert permission_set_files(org) == {}


def test_export_terraform_writes_the_identity_center_resources(ic_org_file: Path, tmp_path: Path) -> None:
    code, out, err = invoke("-f", str(ic_org_file), "-o", "json", "export", "terraform", str(tmp_path / "tf"))
    assert code == 0, err
    assert "policies/mgmt/permission-sets/developer.json" in json.loads(out)["files"]
    assert "aws_ssoadmin_account_assignment" in (tmp_path / "tf" / "mgmt.tf").read_text()


def test_break_glass_on_identity_center_alone_exports_its_role_its_permission_set_and_the_named_people() -> None:
    """The break-glass role is the one IAM resource of an org on Identity Center alone: Terraform
    declares it (its trust the file apply sends), its alarm, the break-glass permission set and its
    USER assignment; nothing else of IAM."""
    from awsroles.iam.breakglass import trust_policy

    org = ic_org(IC_ORG + "\n[break-glass prod]\npeople = alice\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n")
    files = terraform_files(org)
    facts = ic_facts(org, files)
    assert facts == expected_facts(org)
    assert ("assignment", "alice", "awsroles-break-glass", "USER", "333333333333", "AWS_ACCOUNT") in facts
    iam = sorted(m.group(0) for text in files.values()
                 for m in re.finditer(r'resource "aws_iam_[a-z_]+" "[^"]+"', text))
    assert iam == ['resource "aws_iam_role" "prod_breakglass"',
                   'resource "aws_iam_role_policy_attachment" "prod_breakglass_ReadOnlyAccess"']
    trust = json.loads(files["policies/prod/roles/breakglass.trust.json"])
    assert trust == trust_policy(org, org.break_glass[0])
    assert trust["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::333333333333:root"}
    assert 'resource "aws_cloudwatch_event_rule" "prod_break_glass_us-east-1"' in files["prod.tf"]
