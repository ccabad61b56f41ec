"""Terraform equivalence, for real: `terraform apply` the export, then `awsroles plan` finds nothing to do."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from awsroles.export.terraform import terraform_files
from awsroles.export.tree import write_tree
from awsroles.identity_center.desired import desired_identity_center
from awsroles.identity_center.state import read_identity_center
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES
from tests.e2e.conftest import SandboxHandle
from tests.e2e.terraform import Terraform, report
from tests.e2e.test_plan_apply import awsroles

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]


def terraform_run(tf: Terraform, box: SandboxHandle, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = tf.env()
    env.update(box.variables)
    env.update(TF_DATA_DIR=str(directory / ".terraform-data"), AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run([tf.binary, *args], cwd=directory, env=env, capture_output=True, text=True, timeout=600)


# One terraform apply: the classic example with everything added (below). The examples' exports use
# no resource type or argument it lacks (tests/unit/test_terraform.py::
# test_the_applied_export_uses_every_resource_type_and_argument_of_the_examples), so applying
# `large` too (30 s of CPU) would show terraform nothing new.


# The organization's part of the classic example: an OU for prod (which terraform adopts with an import
# block, then moves), an empty OU, guardrails on the root, an OU and an account, and an SCP file.
ORGANIZATION = """
[ou Workloads]
guardrails = deny-root-user, protect-awsroles
scp_files = deny-public-buckets.json

[ou Sandbox]
"""
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"  # the readonly role's permissions_boundary
CONTACT = "Jane Doe | Finance lead | jane@acme.example | +1 555 0100"
SCP_FILE = {"Version": "2012-10-17", "Statement": [{"Sid": "NoPublicBuckets", "Effect": "Deny",
                                                    "Action": "s3:PutBucketPublicAccessBlock", "Resource": "*"}]}


# IAM Identity Center beside IAM users (both backends, as while moving): developer gets a customer
# managed policy (it must exist in dev, where the role is granted) and a permissions boundary, so
# that every aws_ssoadmin_* resource type of the export is applied.
IDENTITY = "identity = iam-users, identity-center\n"
USER_BOUNDARY = "arn:aws:iam::aws:policy/ReadOnlyAccess"  # bob's permissions_boundary
DEVELOPER = "customer_managed = /awsroles-test/audit\nboundary = arn:aws:iam::aws:policy/PowerUserAccess\n"
AUDIT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents",
                                                 "Resource": "*"}]}


CROWD = 40  # people of a generated team: with IAM Identity Center beside IAM users, about 170 resources more


def crowd() -> str:
    """A generated team of :data:`CROWD` people, granted readonly in dev and stage: enough resources
    that terraform's default parallelism (10) keeps the sandbox busy with concurrent creates."""
    people = [f"crowd{n:02}" for n in range(CROWD)]
    return (f"\n[team crowd]\nmembers = {', '.join(people)}\ndev = readonly\nstage = readonly\n"
            + "".join(f"\n[user {name}]\nemail = {name}@acme.example\n" for name in people))


def write_applied_org(folder: Path) -> Path:
    """The org terraform applies here, with its policy files, in ``folder``: the classic example
    with budgets, OUs, SCPs, a role's and a user's permissions boundary, IAM Identity Center beside
    IAM users, and a generated team of forty people (:func:`crowd`)."""
    org_path = folder / "awsroles.ini"
    shutil.copytree(EXAMPLES.parent / "policies", folder / "policies")
    (folder / "policies" / "deny-public-buckets.json").write_text(json.dumps(SCP_FILE))
    text = (EXAMPLES / "classic.ini").read_text().replace("policy_dir = ../policies",
                                                          "policy_dir = policies\nguardrails = deny-leave-organization")
    text = text.replace("environment = prod\n", "environment = prod\nbudget = 5000 USD\n"
                        "budget_alerts = 80%, 87.5%, forecast 100%\nbudget_notify = finance@acme.example, "
                        "oncall@acme.example\nou = Workloads/Prod\nguardrails = allowed-regions eu-west-1\n"
                        f"tags = Team=web\nbilling_contact = {CONTACT}\n")
    text = text.replace("mfa = required\n", f"mfa = required\ntags = CostCenter=42\n{IDENTITY}")
    text = text.replace("max_session = 8h\n", f"max_session = 8h\nboundary = {BOUNDARY}\n")  # role readonly
    text = text.replace("policies = deny-iam-writes.json\n", f"policies = deny-iam-writes.json\n{DEVELOPER}")
    text = text.replace("[user bob]\n", f"[user bob]\nboundary = {USER_BOUNDARY}\n")  # aws_iam_user's boundary
    org_path.write_text(text.replace("environment = dev\n", "environment = dev\nbudget = 250.50\n") + ORGANIZATION
                        + crowd())
    return org_path


def test_terraform_budgets_organization_and_identity_center_are_what_awsroles_plans(
        terraform: Terraform, sandbox_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The classic example with budgets, OUs, SCPs, a role's permissions boundary, IAM Identity
    Center beside IAM users and a generated team of forty people: everything exported (IAM, the
    aws_budgets_budget resources, aws_organizations_organizational_unit, aws_organizations_account
    (imported, moved, tagged as apply tags it), aws_account_alternate_contact,
    aws_organizations_policy and aws_organizations_policy_attachment, and the identity store's
    users, groups and memberships, the permission sets with their policies and boundary, and the
    account assignments), applied by terraform at its default parallelism, is exactly what awsroles
    would make: its plan is then empty, budgets, organization and Identity Center included."""
    org_path = write_applied_org(tmp_path)
    box: SandboxHandle = sandbox_factory(org_path)
    directory = tmp_path / "tf"
    write_tree(directory, terraform_files(load_org(org_path)))
    orgs = box.client("organizations")
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")  # the two steps terraform cannot take
    orgs.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    box.client("iam", "dev").create_policy(PolicyName="audit", Path="/awsroles-test/",
                                           PolicyDocument=json.dumps(AUDIT))  # customer managed: not awsroles'
    assert terraform.run(directory, "fmt", "-check", "-recursive", "-no-color").returncode == 0
    assert terraform.init(directory).returncode == 0
    applied = terraform_run(terraform, box, directory, "apply", "-auto-approve", "-input=false", "-no-color")
    assert applied.returncode == 0, report(applied)  # at terraform's default parallelism (10 at once)
    assert "1 imported" in applied.stdout  # prod: adopted, not created again
    members = box.client("iam").get_group(GroupName="team-crowd")["Users"]
    assert sorted(u["UserName"] for u in members) == [f"crowd{n:02}" for n in range(CROWD)]
    budgets = box.client("budgets")
    assert sorted(b["BudgetName"] for b in budgets.describe_budgets(AccountId=box.org.ops.id)["Budgets"]) == [
        "awsroles-acme-dev", "awsroles-acme-prod"]
    prod = box.org.account("prod").id
    parent = orgs.list_parents(ChildId=prod)["Parents"][0]["Id"]
    assert orgs.describe_organizational_unit(OrganizationalUnitId=parent)["OrganizationalUnit"]["Name"] == "Prod"
    assert len(orgs.list_accounts()["Accounts"]) == 4  # none created, none closed
    assert sorted(p["Name"] for p in orgs.list_policies_for_target(TargetId=root, Filter="SERVICE_CONTROL_POLICY")[
        "Policies"]) == ["FullAWSAccess", "awsroles-acme-guardrails-root"]

    tags = {t["Key"]: t["Value"] for t in orgs.list_tags_for_resource(ResourceId=prod)["Tags"]}
    assert (tags["Team"], tags["CostCenter"], tags["Environment"]) == ("web", "42", "prod")
    contact = box.client("account").get_alternate_contact(AccountId=prod, AlternateContactType="BILLING")
    assert contact["AlternateContact"]["EmailAddress"] == "jane@acme.example"

    readonly = box.client("iam", "dev").get_role(RoleName="readonly")["Role"]
    assert readonly["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    bob = box.client("iam").get_user(UserName="bob")["User"]
    assert bob["PermissionsBoundary"]["PermissionsBoundaryArn"] == USER_BOUNDARY

    wanted = desired_facts(load_org(org_path))
    assert sorted(f[0] for f in wanted if f[0] in ("permission set", "assignment")) == ["assignment"] * 7 + [
        "permission set"] * 3  # platform: admin in dev, stage, prod; backend: developer and readonly in dev; crowd
    assert identity_center_facts(box) == wanted  # as awsroles reads the instance

    plan = awsroles(box, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes. AWS matches the org file." in plan.stdout


def identity_center_facts(box: SandboxHandle) -> set[tuple[str, ...]]:
    """What the sandbox's Identity Center instance holds, read as awsroles reads it, as facts."""
    live = read_identity_center(box.client("sso-admin"), box.client("identitystore"), box.org.name, where="ops")
    users = {u.id: u.user_name for u in live.users}
    groups = {g.id: g.display_name for g in live.groups}
    sets = {p.arn: p.name for p in live.permission_sets}
    facts: set[tuple[str, ...]] = set()
    facts.update(("user", u.user_name, u.display_name, u.given_name, u.family_name, u.email, u.user_type)
                 for u in live.users)
    for g in live.groups:
        facts.add(("group", g.display_name, g.description))
        facts.update(("member", g.display_name, users[m]) for m in g.members)
    for p in live.permission_sets:
        facts.add(("permission set", p.name, p.description, p.session_duration, json.dumps(p.tags, sort_keys=True),
                   json.dumps(sorted(p.managed)), json.dumps(sorted(p.customer_managed)),
                   json.dumps(json.loads(p.inline) if p.inline else None, sort_keys=True),
                   json.dumps(p.boundary, sort_keys=True)))
    facts.update(("assignment", groups[a.principal_id], sets[a.permission_set_arn], a.principal_type, a.account_id)
                 for a in live.assignments)
    return facts


def desired_facts(org: Org) -> set[tuple[str, ...]]:
    """The same facts, as :func:`desired_identity_center` wants them."""
    spec = desired_identity_center(org)
    facts: set[tuple[str, ...]] = set()
    facts.update(("user", u.user_name, u.display_name, u.given_name, u.family_name, u.email, u.user_type)
                 for u in spec.users)
    for g in spec.groups:
        facts.add(("group", g.display_name, g.description))
        facts.update(("member", g.display_name, m) for m in g.members)
    for p in spec.permission_sets:
        facts.add(("permission set", p.name, p.description, p.session_duration,
                   json.dumps(dict(p.tags), sort_keys=True),
                   json.dumps(sorted(p.managed)), json.dumps(sorted([c.name, c.path] for c in p.customer_managed)),
                   json.dumps(json.loads(p.inline) if p.inline else None, sort_keys=True),
                   json.dumps(p.boundary.as_param() if p.boundary else None, sort_keys=True)))
    facts.update(("assignment", a.group, a.permission_set, "GROUP", a.account_id) for a in spec.assignments)
    return facts


CONSOLE_ROLES = {"dev": ("Admin", "Developer"), "stage": ("Admin", "Developer"), "prod": ("Admin",)}


def test_terraform_takes_over_a_console_org_adopted_in_place(
        terraform: Terraform, sandbox_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The sandbox's console-made org (users, groups and roles at /), imported with `--adopt
    users=move,teams=in-place,roles=in-place` and exported: terraform imports every adopted role, group,
    user and user's memberships where they are (updating them, creating none of them), moves the users
    to the org's path as apply does (the same users: their keys stay), takes away what else they hold
    as apply would (the groups' console policies, policies and a boundary added by hand), and leaves
    what awsroles plans: nothing to change."""
    box: SandboxHandle = sandbox_factory(console=True)
    org_file = tmp_path / "acme.ini"
    accounts = [arg for a in box.org.accounts if a.environment for arg in ("--account", f"{a.name}={a.id}")]
    made = awsroles(box, "import", *accounts, "--name", "acme", "--adopt", "users=move,teams=in-place,roles=in-place",
                    "-O", str(org_file))
    assert made.returncode == 0, made.stderr
    assert "[user bob]\nmove_from = /\n" in org_file.read_text()
    # done by hand since: apply would take each away (drift), and so must terraform
    ops, dev = box.client("iam"), box.client("iam", "dev")
    key = ops.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    ops.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    ops.put_user_policy(UserName="bob", PolicyName="by-hand", PolicyDocument=json.dumps(AUDIT))
    dev.put_role_policy(RoleName="Admin", PolicyName="by-hand", PolicyDocument=json.dumps(AUDIT))
    dev.attach_role_policy(RoleName="Developer", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    dev.put_role_permissions_boundary(RoleName="Developer", PermissionsBoundary=BOUNDARY)
    directory = tmp_path / "tf"
    exported = awsroles(box, "export", "terraform", str(directory), org=org_file)
    assert exported.returncode == 0, exported.stderr
    assert terraform.run(directory, "fmt", "-check", "-recursive", "-no-color").returncode == 0
    assert terraform.init(directory).returncode == 0
    applied = terraform_run(terraform, box, directory, "apply", "-auto-approve", "-input=false", "-json",
                            "-parallelism=20")
    assert applied.returncode == 0, report(applied)
    changes = [json.loads(line)["change"] for line in applied.stdout.splitlines()
               if line.startswith("{") and json.loads(line)["type"] == "planned_change"]
    imported = {c["resource"]["addr"]: c["importing"]["id"] for c in changes if "importing" in c}
    assert imported == {
        **{f"aws_iam_role.{a}_{r}": r for a, roles in CONSOLE_ROLES.items() for r in roles},
        "aws_iam_group.ops_Admins": "Admins", "aws_iam_group.ops_Developers": "Developers",
        **{f"aws_iam_user.ops_{u}": u for u in ("alice", "bob", "carol")},
        "aws_iam_user_group_membership.ops_alice": "alice/awsroles-users/Admins",
        **{f"aws_iam_user_group_membership.ops_{u}": f"{u}/awsroles-users/Developers" for u in ("bob", "carol")},
    }
    actions = {c["resource"]["addr"]: c["action"] for c in changes}
    # none created; each updated (marked, given awsroles' trust or grants) but the groups, which hold
    # nothing else (their mark and grants are policies of their own)
    assert {actions[a] for a in imported} == {"update", "import"}
    assert {a for a in imported if actions[a] == "import"} == {"aws_iam_group.ops_Admins",
                                                               "aws_iam_group.ops_Developers"}
    created = sorted(a for a, action in actions.items()
                     if action == "create" and a.split(".")[0] in ("aws_iam_role", "aws_iam_group", "aws_iam_user"))
    assert created == ["aws_iam_group.ops_awsroles-users"]  # awsroles' own group, at its path: new
    assert sorted(ops.list_group_policies(GroupName="Developers")["PolicyNames"]) == [
        "awsroles-assume-roles", "awsroles-managed-by"]  # the console's AssumeDeveloper: removed, as apply does
    assert {t["Key"]: t["Value"] for t in ops.list_user_tags(UserName="bob")["Tags"]}["managed-by"] == "awsroles"
    # moved, not recreated: at the org's path, with the key bob had
    assert ops.get_user(UserName="bob")["User"]["Arn"] == "arn:aws:iam::111111111111:user/awsroles/bob"
    assert [k["AccessKeyId"] for k in ops.list_access_keys(UserName="bob")["AccessKeyMetadata"]] == [key]
    assert ops.get_group(GroupName="Developers")["Group"]["Path"] == "/"  # adopted in place: where it was
    assert ops.list_user_tags(UserName="ci-deploy")["Tags"] == []  # not adopted: untouched
    assert ops.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []
    assert ops.list_user_policies(UserName="bob")["PolicyNames"] == []
    assert dev.list_role_policies(RoleName="Admin")["PolicyNames"] == []
    assert [p["PolicyName"] for p in dev.list_attached_role_policies(RoleName="Developer")["AttachedPolicies"]] == [
        "PowerUserAccess"]
    assert "PermissionsBoundary" not in dev.get_role(RoleName="Developer")["Role"]

    plan = awsroles(box, "plan", "-o", "json", org=org_file)
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    # what apply --adopt would have left: nothing to change; carol still in the console's Auditors
    assert planned["changes"] == [] and planned["conflicts"] == [] and planned["unowned"] == []
    assert [(f["kind"], f["name"]) for f in planned["foreign"]] == [("user", "carol")]
