"""Accounts as code, end to end: from an organization with only its management account
(`awsroles sandbox start --bare`) to an applied org whose people log in, as a user runs it; the
sandbox's CreateAccount, answered as AWS answers it; and closing an account in a terminal."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from awsroles.iam.checks import load_org
from awsroles.sync.engine import Engine
from tests.aws.test_accounts import ORG_FILE
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.e2e.test_credentials import _under_a_terminal
from tests.e2e.test_sandbox import awsroles, user_env  # noqa: F401  (user_env is a fixture)

pytestmark = pytest.mark.e2e


def write_org(folder: Path) -> Path:
    shutil.copytree(REPO / "policies", folder / "policies")
    path = folder / "awsroles.ini"
    path.write_text(ORG_FILE)
    return path


def test_from_a_bare_organization_to_people_logging_in(tmp_path: Path, user_env: dict[str, str]) -> None:  # noqa: F811
    org_path = write_org(tmp_path)
    started = awsroles("-f", str(org_path), "sandbox", "start", "--bare", env=user_env, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    assert "(bare: the management account alone)" in started.stdout
    env = {**user_env, **json.loads(invoke(["sandbox", "env", "-o", "json"], user_env).stdout)}
    assert json.loads(invoke(["sandbox", "status", "-o", "json"], user_env).stdout)["bare"] is True

    plan = awsroles("plan", "--detailed-exitcode", env=env, cwd=tmp_path)
    assert plan.returncode == 3, plan.stderr  # changes pending (docs/exit-codes.md)
    assert "+ account dev (create): e-mail aws+dev@acme.example" in plan.stdout
    assert "+ ou Workloads/Prod (create)" in plan.stdout
    assert "IAM in dev, prod (and every grant that names them) is planned once apply" in plan.stdout

    applied = awsroles("apply", "--yes", env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "creating account dev (aws+dev@acme.example): IN_PROGRESS" in applied.stderr
    assert "creating account dev: SUCCEEDED" in applied.stderr
    org = load_org(org_path)
    dev, prod = org.account("dev").id, org.account("prod").id
    assert dev and prod and dev != prod
    assert f"Wrote the ids of dev ({dev}), prod ({prod}) into" in applied.stdout
    assert "+ role admin (create)" in applied.stdout  # the second plan: IAM in the new accounts
    assert org_path.read_text().startswith("; Acme, from an organization with only its management account.\n")

    assert invoke(["plan", "--detailed-exitcode"], env, cwd=tmp_path).returncode == 0

    person = invoke(["sandbox", "person", "alice"], env, cwd=tmp_path)
    assert person.returncode == 0, person.stderr
    who = awsroles("exec", "prod", "--role", "admin", "--", "python3", "-c",
                   "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])", env=env, cwd=tmp_path)
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == f"arn:aws:sts::{prod}:assumed-role/admin/alice"

    # prod leaves the org file: --prune removes its IAM, never the account
    text = org_path.read_text()
    text = text[:text.index("[account prod]")] + text[text.index("[role admin]"):]
    org_path.write_text(text.replace("prod = admin\n", ""))
    pruned = awsroles("apply", "--prune", "--yes", env=env, cwd=tmp_path)
    assert pruned.returncode == 0, pruned.stderr
    assert f"account prod: {prod}, made or adopted by awsroles, is no longer in the org file: kept" in pruned.stdout
    listed = invoke(["plan", "-o", "json"], env, cwd=tmp_path)
    assert [f["name"] for f in json.loads(listed.stdout)["retained"]] == ["Workloads/Prod", "prod"]


def test_bare_refuses_an_org_file_whose_other_accounts_have_ids(user_env: dict[str, str]) -> None:  # noqa: F811
    started = awsroles("-f", str(EXAMPLES / "classic.ini"), "sandbox", "start", "--bare", env=user_env)
    assert started.returncode == 1
    assert started.stderr.startswith("awsroles: error: --bare starts from the management account alone, but the "
                                     "org file gives 'dev' (222222222222)")
    assert json.loads(invoke(["sandbox", "status", "-o", "json"], user_env).stdout)["running"] is False


def test_the_sandbox_answers_create_account_as_aws_does(
        tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]) -> None:
    box = sandbox_factory(write_org(tmp_path), bare=True)
    orgs = box.client("organizations")
    assert [a["Id"] for a in orgs.list_accounts()["Accounts"]] == ["111111111111"]
    for params in ({"AccountName": "x" * 51, "Email": "aws+x@acme.example"},
                   {"AccountName": "x", "Email": "no-at-sign.example"},
                   {"AccountName": "x", "Email": "a@b.c" + "c" * 60}):
        with pytest.raises(ClientError) as refused:
            orgs.create_account(**params)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
    status = orgs.create_account(AccountName="dev", Email="aws+dev@acme.example")["CreateAccountStatus"]
    assert status["State"] == "IN_PROGRESS" and "AccountId" not in status
    done = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert done["State"] == "SUCCEEDED"
    again = orgs.create_account(AccountName="dev2", Email="AWS+DEV@acme.example")["CreateAccountStatus"]
    failed = orgs.describe_create_account_status(CreateAccountRequestId=again["Id"])["CreateAccountStatus"]
    assert (failed["State"], failed["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    assert len(orgs.list_accounts()["Accounts"]) == 2
    # the role Organizations made is an administrator there (IAM authorization is on)
    aws = box.aws()
    iam = aws.client("iam", aws.for_account(done["AccountId"], "OrganizationAccountAccessRole"))
    attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]


def test_a_saved_plan_creates_its_accounts_then_says_what_is_left(
        tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]) -> None:
    org_path = write_org(tmp_path)
    box = sandbox_factory(org_path, bare=True)
    saved = awsroles("plan", "--out", str(tmp_path / "accounts.plan"), "-o", "json", env=box.env, cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    data = json.loads(saved.stdout)
    assert [(c["kind"], c["name"]) for c in data["changes"] if c["kind"] in ("ou", "account")] == [
        ("ou", "Workloads"), ("ou", "Workloads/Dev"), ("ou", "Workloads/Prod"), ("account", "dev"),
        ("account", "prod")]
    assert data["changes"][3]["operations"][0]["call"] == "awsroles:create-account"
    applied = awsroles("apply", str(tmp_path / "accounts.plan"), env=box.env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert ("IAM in those accounts is not in the saved plan: run `awsroles plan`, then `awsroles apply`."
            in applied.stdout)
    assert not load_org(org_path).pending_accounts
    # the plan applied exactly: a second application of the same file is stale (the org file changed)
    again = invoke(["apply", str(tmp_path / "accounts.plan")], box.env, cwd=tmp_path)
    assert again.returncode == 1 and "stale" in again.stderr
    finish = awsroles("apply", "--yes", env=box.env, cwd=tmp_path)
    assert finish.returncode == 0, finish.stderr
    assert "+ role admin (create)" in finish.stdout
    assert invoke(["plan", "--detailed-exitcode"], box.env, cwd=tmp_path).returncode == 0


def test_apply_o_json_is_one_document_with_both_plans_steps_and_the_ids(
        tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]) -> None:
    org_path = write_org(tmp_path)
    box = sandbox_factory(org_path, bare=True)
    applied = awsroles("apply", "--yes", "-o", "json", env=box.env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    data = json.loads(applied.stdout)  # one JSON document
    org = load_org(org_path)
    assert data["ok"] is True and data["failed"] == 0
    assert data["recorded"] == {"dev": org.account("dev").id, "prod": org.account("prod").id}
    made = {(s["account"], s["kind"], s["name"]) for s in data["steps"]}
    assert {("ops", "account", "dev"), ("dev", "role", "admin"), ("prod", "role", "admin")} <= made


def test_grant_apply_creates_the_accounts_its_plan_holds_and_says_what_is_left(
        tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]) -> None:
    org_path = write_org(tmp_path)
    org_path.write_text(org_path.read_text() + "\n[role readonly]\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n")
    box = sandbox_factory(org_path, bare=True)
    granted = awsroles("grant", "platform", "prod", "readonly", "--apply", env=box.env, cwd=tmp_path)
    assert granted.returncode == 0, granted.stderr
    assert f"Wrote the ids of dev, prod into {org_path}: run `awsroles apply` for IAM in them." in granted.stdout
    assert not load_org(org_path).pending_accounts
    finish = awsroles("apply", "--yes", env=box.env, cwd=tmp_path)
    assert finish.returncode == 0, finish.stderr
    assert "+ role readonly (create)" in finish.stdout


def test_closing_an_account_shows_what_happens_and_needs_its_name_typed_back_in_a_terminal(
        tmp_path: Path, sandbox_factory: Callable[..., SandboxHandle]) -> None:
    """`awsroles accounts close` as a person runs it, in a terminal: the account and what AWS does,
    then the name typed back, and the account is closing (a wrong name: tests/aws)."""
    org_path = write_org(tmp_path)
    box = sandbox_factory(org_path, bare=True)
    engine = Engine(load_org(org_path), box.aws())
    assert engine.apply(engine.plan()).ok  # dev and prod made, their ids in the file
    prod = load_org(org_path).account("prod").id
    text = org_path.read_text()
    org_path.write_text(text[:text.index("[account prod]")] + text[text.index("[role admin]"):]
                        .replace("prod = admin\n", ""))
    exe = shutil.which("awsroles", path=os.path.dirname(sys.executable))
    assert exe
    argv = [exe, "-f", str(org_path), "accounts", "close", "prod"]

    typed: list[str] = []

    def answer(screen: str) -> str | None:
        if "Type the account's name (prod) to close it:" in screen and not typed:
            typed.append("prod")
            return "prod\n"
        return None

    code, screen = _under_a_terminal(argv, box.env, answer)
    assert code == 0, screen
    for line in (f"Closing account prod ({prod}), in the organization of ops (111111111111):",
                 "  e-mail  aws+prod@acme.example", "  OU      Workloads/Prod", "  status  ACTIVE",
                 "PENDING_CLOSURE at once, SUSPENDED within minutes",
                 f"Closed prod ({prod}): it is PENDING_CLOSURE now; it becomes SUSPENDED within minutes"):
        assert line in screen
    assert screen.index("What AWS does") < screen.index("Type the account's name") < screen.index("Closed prod")
    orgs = box.client("organizations")
    assert orgs.describe_account(AccountId=prod)["Account"]["Status"] == "PENDING_CLOSURE"
