"""Guardrails as code against moto in-process (with the sandbox's Organizations rules for SCPs):
SCPs created, attached, updated, drift, detached and deleted with --prune, adopted with --adopt,
with the same ownership marks as OUs and accounts; FullAWSAccess and SCPs awsroles does not own
are never touched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.accounts.guardrails import Context, document, parse
from awsroles.aws import Aws
from awsroles.iam.checks import load_org
from awsroles.org.jsondoc import canonical_json
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG
from awsroles.sync.engine import Engine
from awsroles.sync.organizations import OrganizationsRunner
from awsroles.sync.plan import Change, PlanOptions
from awsroles.sync.scp_runner import NotOurs
from awsroles.sync.scps import DETACH_SCP
from tests.aws.test_accounts import OPS, ORG_FILE

GUARDED = ORG_FILE.replace("account_email = aws+{name}@acme.example\n",
                           "account_email = aws+{name}@acme.example\nguardrails = deny-leave-organization\n") + """
[ou Workloads]
guardrails = protect-awsroles, deny-root-user
scp_files = deny-s3-public.json
"""
DENY_S3 = {"Version": "2012-10-17", "Statement": [{"Sid": "NoPublicBuckets", "Effect": "Deny",
                                                   "Action": "s3:PutBucketPublicAccessBlock", "Resource": "*"}]}
ROOT_SCP, OU_SCP, FILE_SCP = ("awsroles-acme-guardrails-root", "awsroles-acme-guardrails-ou-Workloads",
                              "awsroles-acme-scp-deny-s3-public")
PROD_SCP = "awsroles-acme-guardrails-account-prod"


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "deny-s3-public.json").write_text(json.dumps(DENY_S3, indent=2))
    path = tmp_path / "awsroles.ini"
    text = GUARDED.replace("description = production\n", "description = production\nguardrails = allowed-regions "
                           "eu-west-1\n")
    path.write_text(text)
    return path


def engine(path: Path, aws: Aws) -> Engine:
    return Engine(load_org(path), aws)


def apply_all(path: Path, aws: Aws, options: PlanOptions | None = None) -> None:
    """Apply until the plan is empty (accounts first, then what waits for their ids)."""
    for _ in range(3):
        e = engine(path, aws)
        plan = e.plan(options=options)
        if plan.empty:
            return
        assert not plan.conflicts, plan.conflicts
        result = e.apply(plan)
        assert result.ok, result.summary()
    raise AssertionError("apply does not converge")


def scps(orgs: Any) -> dict[str, dict[str, Any]]:
    return {p["Name"]: p for p in orgs.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]}


def attached(orgs: Any, target: str) -> list[str]:
    return sorted(p["Name"] for p in orgs.list_policies_for_target(TargetId=target,
                                                                  Filter="SERVICE_CONTROL_POLICY")["Policies"])


def ou_id(orgs: Any, name: str) -> str:
    root = orgs.list_roots()["Roots"][0]["Id"]
    return next(o["Id"] for o in orgs.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
                if o["Name"] == name)


def test_guardrails_are_planned_applied_attached_and_then_in_sync(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    plan = engine(org_path, ops_aws).plan()
    kinds = [(c.kind, c.name, c.action) for c in plan.changes if c.kind in ("root", "scp")]
    assert kinds == [("root", "SERVICE_CONTROL_POLICY", "update"), ("scp", ROOT_SCP, "create"),
                     ("scp", OU_SCP, "create"), ("scp", FILE_SCP, "create"), ("scp", PROD_SCP, "create")]
    by_name = {c.name: c for c in plan.changes}
    assert by_name[OU_SCP].details == ("guardrails protect-awsroles, deny-root-user", "attach to OU Workloads")
    assert "attached to account prod once apply has created it" in by_name[PROD_SCP].details
    apply_all(org_path, ops_aws)
    assert engine(org_path, ops_aws).plan().in_sync

    org = load_org(org_path)
    root = orgs.list_roots()["Roots"][0]
    assert {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"} in root["PolicyTypes"]
    assert attached(orgs, root["Id"]) == ["FullAWSAccess", ROOT_SCP]
    assert attached(orgs, ou_id(orgs, "Workloads")) == ["FullAWSAccess", OU_SCP, FILE_SCP]
    assert attached(orgs, org.account("prod").id) == ["FullAWSAccess", PROD_SCP]
    live = scps(orgs)
    content = orgs.describe_policy(PolicyId=live[OU_SCP]["Id"])["Policy"]["Content"]
    ctx = Context(org.path, org.bootstrap_role, org.partition)
    assert canonical_json(json.loads(content)) == canonical_json(document(parse("protect-awsroles, deny-root-user")[0],
                                                                          ctx))
    tags = {t["Key"]: t["Value"] for t in orgs.list_tags_for_resource(ResourceId=live[OU_SCP]["Id"])["Tags"]}
    assert (tags[MANAGED_BY_TAG[0]], tags[ORG_TAG]) == (MANAGED_BY_TAG[1], "acme")


def test_a_document_edited_outside_awsroles_is_drift_and_a_file_change_is_an_update(
        org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    apply_all(org_path, ops_aws)
    orgs.update_policy(PolicyId=scps(orgs)[ROOT_SCP]["Id"], Content=json.dumps(DENY_S3))
    change = next(c for c in engine(org_path, ops_aws).plan().changes if c.name == ROOT_SCP)
    assert (change.action, change.drift) == ("update", True)
    assert "changed outside awsroles" in change.details
    assert change.diffs and "DenyLeaveOrganization" in change.diffs[0][1]
    apply_all(org_path, ops_aws)
    assert engine(org_path, ops_aws).plan().in_sync
    org_path.write_text(org_path.read_text().replace("guardrails = deny-leave-organization",
                                                     "guardrails = deny-leave-organization, deny-root-user"))
    change = next(c for c in engine(org_path, ops_aws).plan().changes if c.name == ROOT_SCP)
    assert (change.action, change.drift) == ("update", False)


def test_scps_no_longer_declared_are_leftovers_deleted_only_with_prune(
        org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    apply_all(org_path, ops_aws)
    prod = load_org(org_path).account("prod").id
    org_path.write_text(org_path.read_text().replace("guardrails = allowed-regions eu-west-1\n", ""))
    plan = engine(org_path, ops_aws).plan()
    assert [(c.kind, c.name) for c in plan.kept] == [("scp", PROD_SCP)] and not plan.in_sync
    assert engine(org_path, ops_aws).apply(plan).ok
    assert PROD_SCP in scps(orgs)
    apply_all(org_path, ops_aws, PlanOptions(prune=True))
    assert PROD_SCP not in scps(orgs)
    assert attached(orgs, prod) == ["FullAWSAccess"]  # never detached
    assert engine(org_path, ops_aws).plan().in_sync


def test_an_scp_with_the_name_but_without_the_mark_is_a_conflict_until_adopted(
        org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    theirs = orgs.create_policy(Name=ROOT_SCP, Description="by hand", Type="SERVICE_CONTROL_POLICY",
                                Content=json.dumps(DENY_S3))["Policy"]["PolicySummary"]["Id"]
    other = orgs.create_policy(Name="awsroles-acme-by-hand", Description="by hand", Type="SERVICE_CONTROL_POLICY",
                               Content=json.dumps(DENY_S3))["Policy"]["PolicySummary"]["Id"]
    plan = engine(org_path, ops_aws).plan()
    assert [(c.kind, c.name) for c in plan.conflicts] == [("scp", ROOT_SCP)]
    assert [(f.kind, f.name) for f in plan.unowned] == [("scp", "awsroles-acme-by-hand")]
    apply_all(org_path, ops_aws, PlanOptions(adopt=True))
    tags = {t["Key"]: t["Value"] for t in orgs.list_tags_for_resource(ResourceId=theirs)["Tags"]}
    assert tags[MANAGED_BY_TAG[0]] == MANAGED_BY_TAG[1]
    assert "DenyLeaveOrganization" in orgs.describe_policy(PolicyId=theirs)["Policy"]["Content"]
    assert orgs.describe_policy(PolicyId=other)["Policy"]["Content"] == json.dumps(DENY_S3)  # untouched
    plan = engine(org_path, ops_aws).plan(options=PlanOptions(prune=True))
    assert plan.empty and [f.name for f in plan.unowned] == ["awsroles-acme-by-hand"]


def test_no_plan_gets_fullawsaccess_or_an_unowned_scp_detached(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    apply_all(org_path, ops_aws)
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.create_policy(Name="awsroles-acme-by-hand", Description="", Type="SERVICE_CONTROL_POLICY",
                       Content=json.dumps(DENY_S3))
    runner = OrganizationsRunner(orgs, lambda *_: None)
    for name in ("FullAWSAccess", "awsroles-acme-by-hand"):
        with pytest.raises(NotOurs, match="refusing to change the SCP"):
            runner.run(Change("ops", OPS, "delete", "scp", name, ops=((DETACH_SCP, {"Name": name, "TargetId": root}),)))
    assert "FullAWSAccess" in attached(orgs, root)


def test_a_target_that_would_have_more_than_five_scps_is_a_conflict(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    apply_all(org_path, ops_aws)
    prod = load_org(org_path).account("prod").id
    for i in range(3):
        made = orgs.create_policy(Name=f"by-hand-{i}", Description="", Type="SERVICE_CONTROL_POLICY",
                                  Content=json.dumps(DENY_S3))["Policy"]["PolicySummary"]["Id"]
        orgs.attach_policy(PolicyId=made, TargetId=prod)
    assert len(attached(orgs, prod)) == 5
    org_path.write_text(org_path.read_text().replace(
        "guardrails = allowed-regions eu-west-1\n", "guardrails = allowed-regions eu-west-1\nscp_files = "
        "deny-s3-public.json\n"))
    plan = engine(org_path, ops_aws).plan()
    assert [(c.name, c.reason.split(";")[0]) for c in plan.conflicts] == [
        (f"account prod ({prod})", f"would have 6 SCPs (FullAWSAccess, {PROD_SCP}, by-hand-0, by-hand-1, by-hand-2 "
         "and 1 more of awsroles')")]
    # and the sandbox refuses a sixth as Organizations does
    with pytest.raises(ClientError) as refused:
        orgs.attach_policy(PolicyId=scps(orgs)[FILE_SCP]["Id"], TargetId=prod)
    assert refused.value.response["Error"]["Code"] == "ConstraintViolationException"


def test_an_organization_without_all_features_is_a_conflict(org_path: Path, ops_aws: Aws) -> None:
    ops_aws.client("organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
    plan = engine(org_path, ops_aws).plan()
    assert [(c.kind, c.name) for c in plan.conflicts] == [("root", "organization")]
    assert "service control policies need all features" in plan.conflicts[0].reason
    assert not [c for c in plan.changes if c.kind in ("scp", "root")]


def test_an_scp_file_no_longer_listed_by_a_target_is_detached_from_it(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    org_path.write_text(org_path.read_text().replace("guardrails = allowed-regions eu-west-1\n",
                                                     "guardrails = allowed-regions eu-west-1\n"
                                                     "scp_files = deny-s3-public.json\n"))
    apply_all(org_path, ops_aws)
    prod = load_org(org_path).account("prod").id
    assert FILE_SCP in attached(orgs, prod)
    org_path.write_text(org_path.read_text().replace("eu-west-1\nscp_files = deny-s3-public.json\n", "eu-west-1\n"))
    change = next(c for c in engine(org_path, ops_aws).plan().changes if c.name == FILE_SCP)
    assert (change.action, change.drift, change.details) == ("update", False, (f"detach from account prod ({prod})",))
    apply_all(org_path, ops_aws)
    assert FILE_SCP not in attached(orgs, prod) and FILE_SCP in attached(orgs, ou_id(orgs, "Workloads"))


def test_the_sandbox_refuses_an_scp_over_5120_characters_and_scps_without_all_features(
        ops_aws: Aws, orgs: Any) -> None:
    small = orgs.create_policy(Name="small", Description="", Type="SERVICE_CONTROL_POLICY",
                               Content=json.dumps(DENY_S3))["Policy"]["PolicySummary"]["Id"]
    big = json.dumps({**DENY_S3, "Statement": [{**DENY_S3["Statement"][0], "Sid": "x" * 5100}]})
    for call in (lambda: orgs.update_policy(PolicyId=small, Content=big),
                 lambda: orgs.create_policy(Name="big", Description="", Type="SERVICE_CONTROL_POLICY", Content=big)):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "ConstraintViolationException"
    payer = ops_aws.client("organizations", ops_aws.for_account("999999999999", "OrganizationAccountAccessRole"))
    payer.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    with pytest.raises(ClientError) as refused:
        payer.enable_policy_type(RootId=payer.list_roots()["Roots"][0]["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    assert refused.value.response["Error"]["Code"] == "PolicyTypeNotAvailableForOrganizationException"


def test_a_saved_plan_of_scps_round_trips_through_json_and_applies(org_path: Path, ops_aws: Aws, orgs: Any) -> None:
    from awsroles.sync.plan import Plan, plan_json

    org_path.write_text(org_path.read_text().replace("guardrails = allowed-regions eu-west-1\n", ""))
    e = engine(org_path, ops_aws)
    saved = Plan.from_dict(json.loads(plan_json(e.plan())))
    attach = next(c for c in saved.changes if c.name == OU_SCP).ops[1]
    assert attach == ("awsroles:attach-scp", {"Name": OU_SCP, "Target": {"Kind": "ou", "Path": "Workloads"}})
    assert e.apply(saved).ok
    assert attached(orgs, ou_id(orgs, "Workloads")) == ["FullAWSAccess", OU_SCP, FILE_SCP]
