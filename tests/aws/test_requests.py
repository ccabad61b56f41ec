"""Requests and approvals through the CLI, in-process against moto: each person is who their own
access key says (GetCallerIdentity); an approval writes the requester's temporary grant to IAM as
`grant --user --for` does; refusals change nothing (docs/temporary-access.md, "Requests and approvals")."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.org.marks import TEMPORARY_POLICY_NAME
from awsroles.org.parse import load_org
from awsroles.sync.engine import Engine
from tests.aws.conftest import apply_org
from tests.conftest import EXAMPLES, REPO

PEOPLE = ("alice", "bob", "carol")


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    text = text.replace("policy_dir = ", "approvers = alice, bob\npolicy_dir = ", 1)
    path = tmp_path / "org.ini"
    path.write_text(text + "\n[user carol]\n")
    return path


@pytest.fixture
def keys(ops_aws: Aws, org_path: Path) -> dict[str, tuple[str, str]]:
    """The org applied; an access key of each person's own IAM user."""
    apply_org(Engine(load_org(org_path), ops_aws))
    iam = ops_aws.client("iam")
    made = {}
    for name in PEOPLE:
        key = iam.create_access_key(UserName=name)["AccessKey"]
        made[name] = (key["AccessKeyId"], key["SecretAccessKey"])
    return made


@pytest.fixture
def audit_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "audit.jsonl"
    monkeypatch.setenv("AWSROLES_AUDIT_LOG", str(path))
    return path


def as_person(monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, keys: dict[str, tuple[str, str]], who: str,
              *argv: str) -> tuple[int, str, str]:
    """The CLI in-process as ``who`` (their key in the environment); plans run with the admin's."""
    import awsroles.cli.planview as planview

    monkeypatch.setattr(planview, "engine_for", lambda app, profile, workers: Engine(app.load_org(), ops_aws))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys[who][0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys[who][1])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def temporary_statements(aws: Aws, user: str) -> list[dict[str, Any]]:
    iam = aws.client("iam")
    if TEMPORARY_POLICY_NAME not in iam.list_user_policies(UserName=user)["PolicyNames"]:
        return []
    document = iam.get_user_policy(UserName=user, PolicyName=TEMPORARY_POLICY_NAME)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    return list(document["Statement"])


def ask(monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, keys: dict[str, tuple[str, str]], org_path: Path) -> str:
    code, out, err = as_person(monkeypatch, ops_aws, keys, "bob", "--file", str(org_path), "request", "prod",
                               "admin", "--for", "2h", "--reason", "INC-1234", "-o", "json")
    assert code == ExitCode.OK, err
    data = json.loads(out)
    assert data["user"] == "bob" and data["approvers"] == ["alice"]  # never the requester
    return str(data["id"])


def test_bob_requests_alice_approves_and_iam_has_bobs_grant(
        monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, keys: dict[str, tuple[str, str]], org_path: Path,
        audit_log: Path) -> None:
    request = ask(monkeypatch, ops_aws, keys, org_path)
    assert request.startswith("r-") and request.endswith("-bob-prod")
    assert f"[request {request}]\nuser = bob\nenvironment = prod\nrole = admin\nduration = 2h\n" in org_path.read_text()
    assert temporary_statements(ops_aws, "bob") == []  # asking changes nothing in AWS

    code, out, err = as_person(monkeypatch, ops_aws, keys, "bob", "--file", str(org_path), "requests")
    assert code == ExitCode.OK and request in out and "pending" in out, err

    code, out, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "approve", request,
                               "--apply")
    assert code == ExitCode.OK, out + err
    assert "Apply complete" in out
    org = load_org(org_path)
    [grant] = org.temporary_grants
    assert (grant.user, grant.environment, grant.role, grant.granted_by) == ("bob", "prod", "admin", "alice")
    assert grant.reason == f"INC-1234 (request {request})"
    assert grant.start is not None and (grant.until - grant.start).total_seconds() == 7200
    assert org.requests[0].status == "approved" and org.requests[0].grant == grant.id
    [statement] = temporary_statements(ops_aws, "bob")
    assert statement["Resource"] == "arn:aws:iam::444444444444:role/awsroles/admin"
    assert statement["Condition"]["DateLessThan"]["aws:CurrentTime"] == grant.until.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert statement["Condition"]["DateGreaterThan"]["aws:CurrentTime"] == grant.start.strftime("%Y-%m-%dT%H:%M:%SZ")

    code, out, _ = as_person(monkeypatch, ops_aws, keys, "bob", "--file", str(org_path), "requests", "-o", "csv")
    assert code == ExitCode.OK and f"{request},approved,bob,prod,admin,2h," in out

    lines = [json.loads(line) for line in audit_log.read_text().splitlines()]
    assert [e["action"] for e in lines if not str(e["action"]).startswith("apply.")] == ["request", "request.approve"]
    assert lines[0]["actor"] == "arn:aws:iam::111111111111:user/awsroles/bob"
    approved = lines[1]  # its actor: the credentials that wrote IAM; the approver: who they are
    assert approved["details"]["approved_by"] == "alice" and approved["details"]["request"] == request
    assert approved["details"]["approver_arn"] == "arn:aws:iam::111111111111:user/awsroles/alice"
    assert approved["details"]["id"] == grant.id
    assert any(e["action"].startswith("apply.") and e["details"]["because"] == "request.approve user/bob"
               for e in lines)


@pytest.mark.parametrize(("who", "message"), [
    ("bob", "is your own: someone else among its approvers must decide it"),  # listed as an approver, but his
    ("carol", "carol may not approve requests for prod; its approvers: alice"),
])
def test_the_requester_and_non_approvers_are_refused(
        monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, keys: dict[str, tuple[str, str]], org_path: Path,
        audit_log: Path, who: str, message: str) -> None:
    request = ask(monkeypatch, ops_aws, keys, org_path)
    before = org_path.read_text()
    for command in (("approve", request, "--apply"), ("deny", request, "--reason", "no")):
        code, out, err = as_person(monkeypatch, ops_aws, keys, who, "--file", str(org_path), *command)
        assert code == ExitCode.USAGE, out + err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert org_path.read_text() == before
    assert temporary_statements(ops_aws, "bob") == []


def test_expired_decided_and_unknown_are_refused(
        monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, keys: dict[str, tuple[str, str]], org_path: Path,
        audit_log: Path) -> None:
    stale = ("\n[request r-20200101-0000-bob-prod]\nuser = bob\nenvironment = prod\nrole = admin\nduration = 1h\n"
             "reason = old\nrequested_at = 2020-01-01T00:00:00Z\n")
    org_path.write_text(org_path.read_text() + stale)
    code, _, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "approve",
                             "r-20200101-0000-bob-prod")
    assert code == ExitCode.USAGE and "expired unanswered at 2020-01-02T00:00:00Z" in err, err
    code, out, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "requests", "--state",
                               "expired", "-o", "json")
    assert [r["id"] for r in json.loads(out)] == ["r-20200101-0000-bob-prod"]
    code, out, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "deny",
                               "r-20200101-0000-bob-prod", "--reason", "stale")
    assert code == ExitCode.OK and "Denied r-20200101-0000-bob-prod" in out, err  # denying closes it
    assert temporary_statements(ops_aws, "bob") == []  # nothing changes in AWS
    code, _, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "approve",
                             "r-20200101-0000-bob-prod")
    assert code == ExitCode.USAGE and "was already denied by alice" in err
    code, _, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "approve", "r-nope")
    assert code == ExitCode.USAGE and "no request 'r-nope' in the org file" in err
    code, _, err = as_person(monkeypatch, ops_aws, keys, "bob", "--file", str(org_path), "request", "prod", "root",
                             "--for", "1h", "--reason", "x")
    assert code == ExitCode.USAGE and "unknown role 'root'" in err
    code, _, err = as_person(monkeypatch, ops_aws, keys, "bob", "--file", str(org_path), "request", "prod", "admin",
                             "--for", "8d", "--reason", "x")
    assert code == ExitCode.USAGE and "--for: 192h is outside 15m..7d" in err
    assert [json.loads(line)["action"] for line in audit_log.read_text().splitlines()] == ["request.deny"]


def test_a_role_session_cannot_approve(
        monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, keys: dict[str, tuple[str, str]], org_path: Path,
        audit_log: Path) -> None:
    request = ask(monkeypatch, ops_aws, keys, org_path)
    import awsroles.cli.requests as requests_cli

    monkeypatch.setattr(requests_cli, "caller_arn",
                        lambda org, profile: "arn:aws:sts::111111111111:assumed-role/admin/alice")
    code, _, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "approve", request)
    assert code == ExitCode.USAGE and "you are signed in as a role session" in err


def test_approve_without_apply_shows_the_plan_and_says_apply_not_approve_again(
        monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, keys: dict[str, tuple[str, str]], org_path: Path,
        audit_log: Path) -> None:
    request = ask(monkeypatch, ops_aws, keys, org_path)
    code, out, err = as_person(monkeypatch, ops_aws, keys, "alice", "--file", str(org_path), "approve", request)
    assert code == ExitCode.OK, err
    assert "~ user bob (update): add inline policy awsroles-temporary, temporary grant t-" in out
    assert "Run `awsroles apply` to make these changes." in out and "this command with --apply" not in out
    assert temporary_statements(ops_aws, "bob") == []  # not applied yet
