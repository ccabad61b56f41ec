"""`awsroles accounts close` against moto in-process, with the sandbox's CloseAccount rules: the one
deliberate way an account is closed (never the management account, never one the file declares,
never one awsroles did not make, never twice), and AWS's quota over a rolling 30 days."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.aws import Aws
from awsroles.cli.app import App
from awsroles.cli.runner import run
from awsroles.errors import ExitCode
from awsroles.iam.checks import load_org
from awsroles.sandbox.server import closures
from awsroles.sandbox.server.clock import sandbox_clock
from awsroles.sync.engine import Engine
from tests.aws.test_accounts import OPS, live_accounts, org_path  # noqa: F401  (org_path is a fixture)


class Keyboard(io.StringIO):
    """What a person types, on a terminal."""

    def isatty(self) -> bool:
        return True


def invoke(*argv: str, typed: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            pytest.MonkeyPatch.context() as mp:
        if typed is not None:
            mp.setattr("sys.stdin", Keyboard(typed))
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def applied(org_path: Path, ops_aws: Aws, orgs: Any,  # noqa: F811
            monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The org file applied (dev and prod made by awsroles), then prod taken out of the file; the
    command runs as an admin of ops, the management account. The ids, by name."""
    engine = Engine(load_org(org_path), ops_aws)
    assert engine.apply(engine.plan()).ok
    ids = {a.name: a.id for a in load_org(org_path).accounts}
    text = org_path.read_text()
    text = text[:text.index("[account prod]")] + text[text.index("[role admin]"):]
    org_path.write_text(text.replace("prod = admin\n", ""))
    creds = ops_aws.for_account(OPS, "admin").get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    monkeypatch.setenv("AWSROLES_FILE", str(org_path))
    yield ids
    sandbox_clock.reset()


def test_an_account_no_longer_in_the_file_is_closed_once_its_name_is_typed_back(
        applied: dict[str, str], orgs: Any) -> None:
    prod = applied["prod"]
    code, out, err = invoke("accounts", "close", "prod", "--dry-run")
    assert code == ExitCode.OK, err
    assert out.startswith(f"Closing account prod ({prod}), in the organization of ops (111111111111):\n"
                          "  e-mail  aws+prod@acme.example\n  OU      Workloads/Prod\n  status  ACTIVE\n"
                          "What AWS does when it closes an account:\n")
    assert "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_close.html" in out
    assert out.endswith("Dry run: nothing was closed.\n")
    assert live_accounts(orgs)["prod"]["Status"] == "ACTIVE"

    code, out, err = invoke("accounts", "close", "prod", typed="prdo\n")  # on a terminal: a wrong name
    assert code == ExitCode.INTERRUPTED
    assert err == "\nType the account's name (prod) to close it: awsroles: error: you typed 'prdo', not 'prod': " \
                  "nothing was closed\n"  # (what was typed is not echoed here: no real terminal)
    assert live_accounts(orgs)["prod"]["Status"] == "ACTIVE"

    code, out, err = invoke("accounts", "close", "prod", "--confirm", "prod", "-o", "json")
    assert code == ExitCode.OK, err
    done = json.loads(out)
    assert (done["id"], done["status"], done["closed"], done["ou"]) == (prod, "PENDING_CLOSURE", True, "Workloads/Prod")
    assert live_accounts(orgs)["prod"]["Status"] == "PENDING_CLOSURE"
    # the plan lists it as retained, and closed
    code, out, err = invoke("plan", "-o", "json")
    assert code == ExitCode.OK, err
    retained = {f["name"]: f["reason"] for f in json.loads(out)["retained"]}
    assert retained["prod"].endswith("is PENDING_CLOSURE (closed): AWS takes it out of the organization 90 days "
                                     "after its closure")
    # AWS suspends it within minutes (the sandbox: a minute of its clock)
    sandbox_clock.advance(closures.CLOSING_SECONDS)
    assert live_accounts(orgs)["prod"]["Status"] == "SUSPENDED"
    code, _, err = invoke("accounts", "close", "prod", "--confirm", "prod")
    assert (code, err) == (ExitCode.USAGE, f"awsroles: error: prod ({prod}) is closed already (SUSPENDED): for 90 "
                                           "days after its closure AWS Support can reopen it; then AWS closes it for "
                                           "good\n")


@pytest.mark.parametrize(("argv", "says"), [
    (["ops", "--confirm", "ops"], "ops is the management account of the organization: AWS does not close it through "
                                  "CloseAccount, and awsroles never closes it"),
    (["dev", "--confirm", "dev"], "dev ({dev}) is still declared in the org file: remove [account dev] from "
                                  "{file}:12 first"),
    (["prod"], "closing prod ({prod}) needs its name typed back: run it in a terminal, or pass --confirm prod"),
    (["prod", "--confirm", "dev"], "--confirm dev is not the name of prod ({prod}): nothing was closed"),
    (["nope", "--confirm", "nope"], "no account named nope in the organization of the management account ops "
                                    "(111111111111)"),
])
def test_each_refusal_is_one_line_exit_2_and_nothing_is_closed(
        applied: dict[str, str], orgs: Any, org_path: Path, argv: list[str], says: str) -> None:  # noqa: F811
    code, _, err = invoke("accounts", "close", *argv)
    assert code == ExitCode.USAGE
    assert err.startswith("awsroles: error: " + says.format(file=org_path, **applied)) and err.count("\n") == 1
    assert {a["Status"] for a in live_accounts(orgs).values()} == {"ACTIVE"}


def test_an_account_awsroles_did_not_make_is_not_closed(applied: dict[str, str], orgs: Any) -> None:
    orgs.create_account(AccountName="theirs", Email="theirs@acme.example")
    code, _, err = invoke("accounts", "close", "theirs", "--confirm", "theirs")
    assert code == ExitCode.USAGE
    assert err.endswith("does not carry awsroles' mark for the org acme (the tags managed-by = awsroles and "
                        "awsroles-org = acme): awsroles closes only accounts it made or adopted\n")
    assert live_accounts(orgs)["theirs"]["Status"] == "ACTIVE"


def test_the_sandbox_refuses_the_management_account_and_a_second_closure(applied: dict[str, str], orgs: Any) -> None:
    with pytest.raises(ClientError) as refused:
        orgs.close_account(AccountId=OPS)
    assert refused.value.response["Error"]["Code"] == "ConstraintViolationException"
    assert refused.value.response["Reason"] == "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"
    orgs.close_account(AccountId=applied["prod"])
    with pytest.raises(ClientError) as again:
        orgs.close_account(AccountId=applied["prod"])  # PENDING_CLOSURE: closed already, as on AWS
    assert again.value.response["Error"]["Code"] == "AccountAlreadyClosedException"


def test_the_closing_quota_over_a_rolling_30_days(applied: dict[str, str], orgs: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS's floor is 250 closures in 30 days; 2 here, so that the window is tried without making
    251 accounts (the quota's numbers are tested in tests/unit/test_accounts_close.py)."""
    monkeypatch.setattr(closures, "QUOTA_FLOOR", 2)
    assert closures.close_quota(3) == 2
    spare = orgs.create_account(AccountName="spare", Email="spare@acme.example")["CreateAccountStatus"]
    spare_id = orgs.describe_create_account_status(CreateAccountRequestId=spare["Id"])["CreateAccountStatus"]
    orgs.close_account(AccountId=spare_id["AccountId"])
    sandbox_clock.advance(10 * 86400)
    orgs.close_account(AccountId=applied["dev"])  # two closures in 30 days: the quota
    code, _, err = invoke("accounts", "close", "prod", "--confirm", "prod")
    assert code == ExitCode.FAILURE
    assert err.startswith(f"awsroles: error: AWS did not close prod ({applied['prod']}): CLOSE_ACCOUNT_QUOTA_EXCEEDED: "
                          "the organization has closed as many member accounts as AWS allows in a rolling 30 days")
    assert err.endswith("; nothing was closed\n")
    assert live_accounts(orgs)["prod"]["Status"] == "ACTIVE"
    sandbox_clock.advance(20 * 86400)  # the first closure is 30 days old: one more may go
    code, out, err = invoke("accounts", "close", "prod", "--confirm", "prod")
    assert code == ExitCode.OK, err
    assert f"Closed prod ({applied['prod']}): it is PENDING_CLOSURE now; it becomes SUSPENDED within minutes" in out
