"""Guardrails as code, end to end: `awsroles validate`, `plan` and `apply` of guardrails and SCP files
against a bare sandbox, as a user runs them; and the sandbox's SCP rules, answered as
Organizations answers them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.aws.test_scps import DENY_S3, FILE_SCP, GUARDED, OU_SCP, ROOT_SCP
from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.e2e.test_sandbox import awsroles, user_env  # noqa: F401  (user_env is a fixture)

pytestmark = pytest.mark.e2e


def write_org(folder: Path, text: str = GUARDED) -> Path:
    (folder / "policies").mkdir()
    (folder / "policies" / "deny-s3-public.json").write_text(json.dumps(DENY_S3, indent=2))
    path = folder / "awsroles.ini"
    path.write_text(text)
    return path


def test_guardrails_from_the_org_file_to_the_organization(
        tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]) -> None:
    write_org(tmp_path)
    box = sandbox_factory(tmp_path / "awsroles.ini", bare=True)
    plan = awsroles("plan", env=box.env, cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "(management account: accounts, OUs and SCPs)" in plan.stdout
    assert "~ root SERVICE_CONTROL_POLICY (update): enable service control policies on the root" in plan.stdout
    created = f"+ scp {OU_SCP} (create): guardrails protect-awsroles, deny-root-user, attach to OU Workloads"
    assert created in plan.stdout
    applied = awsroles("apply", "--yes", env=box.env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert invoke(["plan", "--detailed-exitcode"], box.env, cwd=tmp_path).returncode == 0
    orgs = box.client("organizations")
    root = orgs.list_roots()["Roots"][0]["Id"]
    names = sorted(p["Name"] for p in orgs.list_policies_for_target(TargetId=root, Filter="SERVICE_CONTROL_POLICY")
                   ["Policies"])
    assert names == ["FullAWSAccess", ROOT_SCP]
    # a guardrail dropped from the file: a leftover until --prune, then gone; FullAWSAccess stays
    org_path = tmp_path / "awsroles.ini"
    org_path.write_text(org_path.read_text().replace("scp_files = deny-s3-public.json\n", ""))
    assert awsroles("plan", "--detailed-exitcode", env=box.env, cwd=tmp_path).returncode == 3
    pruned = awsroles("apply", "--prune", "--yes", env=box.env, cwd=tmp_path)
    assert pruned.returncode == 0, pruned.stderr
    assert FILE_SCP not in {p["Name"] for p in orgs.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]}
    assert invoke(["plan", "--detailed-exitcode"], box.env, cwd=tmp_path).returncode == 0


def test_validate_reports_guardrail_mistakes_as_file_line(tmp_path: Path, user_env: dict[str, str]) -> None:  # noqa: F811
    org_path = write_org(tmp_path, GUARDED.replace("protect-awsroles, deny-root-user", "protect-awsroles, deny-rot"))
    checked = awsroles("validate", env=user_env, cwd=tmp_path)
    assert checked.returncode == 2
    line = next(i for i, text in enumerate(org_path.read_text().splitlines(), 1) if "deny-rot" in text)
    assert (f"awsroles.ini:{line}: unknown guardrail 'deny-rot': did you mean deny-root-user? (guardrails of OU "
            "Workloads)") in checked.stderr


def test_the_sandbox_answers_scp_calls_as_organizations_does(
        tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]) -> None:
    box = sandbox_factory(write_org(tmp_path), bare=True)
    orgs = box.client("organizations")
    root = orgs.list_roots()["Roots"][0]["Id"]

    def code(call: Callable[..., object], **params: object) -> str:
        with pytest.raises(ClientError) as refused:
            call(**params)
        return str(refused.value.response["Error"]["Code"])

    small = json.dumps(DENY_S3)
    policy = orgs.create_policy(Name="p0", Description="", Type="SERVICE_CONTROL_POLICY",
                                Content=small)["Policy"]["PolicySummary"]["Id"]
    assert code(orgs.attach_policy, PolicyId=policy, TargetId=root) == "PolicyTypeNotEnabledException"
    big = json.dumps({**DENY_S3, "Statement": [{**DENY_S3["Statement"][0], "Sid": "x" * 5200}]})
    assert code(orgs.create_policy, Name="big", Description="", Type="SERVICE_CONTROL_POLICY",
                Content=big) == "ConstraintViolationException"
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    orgs.attach_policy(PolicyId=policy, TargetId=root)
    assert code(orgs.attach_policy, PolicyId=policy, TargetId=root) == "DuplicatePolicyAttachmentException"
    for i in range(1, 4):
        made = orgs.create_policy(Name=f"p{i}", Description="", Type="SERVICE_CONTROL_POLICY",
                                  Content=small)["Policy"]["PolicySummary"]["Id"]
        orgs.attach_policy(PolicyId=made, TargetId=root)
    sixth = orgs.create_policy(Name="p4", Description="", Type="SERVICE_CONTROL_POLICY",
                               Content=small)["Policy"]["PolicySummary"]["Id"]
    assert code(orgs.attach_policy, PolicyId=sixth, TargetId=root) == "ConstraintViolationException"
    assert code(orgs.detach_policy, PolicyId=sixth, TargetId=root) == "PolicyNotAttachedException"
