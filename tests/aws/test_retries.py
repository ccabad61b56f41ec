"""Throttling through botocore's real retry handler (faults injected with a before-send hook): each
retry is reported with the call, the account and the attempt; a call still throttled after its
last attempt ends in one clear error naming both, with its own exit code."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time

import botocore.retries.standard
import pytest
from botocore.exceptions import ClientError

from awsroles.aws import DEFAULT_MAX_ATTEMPTS, Aws, AwsGaveUp, AwsSettings
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.org.model import Org
from awsroles.sync.engine import Engine
from tests.aws.faults import Fault
from tests.conftest import EXAMPLES

READ = "GetAccountAuthorizationDetails"  # plan's first IAM call in every account


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's real retry handler, without its real waiting time."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.001)


def _retries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "awsroles.aws" and r.levelno == logging.WARNING]


def test_each_retry_names_the_call_the_account_and_the_attempt(
        ops_aws: Aws, classic: Org, caplog: pytest.LogCaptureFixture) -> None:
    fault = Fault("Throttling", READ, status=400, message="Rate exceeded", times=2)
    engine = Engine(classic, fault.aws(classic), max_workers=1)  # one account at a time: both hit the first
    plan = engine.plan()
    assert plan.changes and fault.hits == [READ, READ]
    lines = _retries(caplog)
    assert len(lines) == 2, lines
    match = re.fullmatch(rf"retrying {READ} in (\w+) \((\d{{12}})\), attempt 2/8: Throttling", lines[0])
    assert match is not None, lines[0]
    assert classic.account(match.group(1)).id == match.group(2)
    assert lines[1] == lines[0].replace("attempt 2/8", "attempt 3/8")


def test_constant_throttling_gives_up_after_the_last_attempt_naming_the_call_and_account(
        ops_aws: Aws, classic: Org, caplog: pytest.LogCaptureFixture) -> None:
    fault = Fault("Throttling", READ, status=400, message="Rate exceeded")
    engine = Engine(classic, fault.aws(classic, max_attempts=4), max_workers=1)
    slept: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        real_sleep(seconds)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(time, "sleep", sleep)
        with pytest.raises(AwsGaveUp) as raised:
            engine.plan()
    # Quickly: the only waits are botocore's backoffs (1 ms each here), three per account read; none
    # of awsroles' own.
    assert slept and set(slept) == {0.001} and len(slept) % 3 == 0, slept
    error = raised.value
    assert isinstance(error, ClientError) and error.response["Error"]["Code"] == "Throttling"  # still botocore's
    assert error.exit_code == ExitCode.THROTTLED and int(error.exit_code) == 8 and error.attempts == 4
    where = error.where
    assert re.fullmatch(r"\w+ \(\d{12}\)", where), where
    assert str(error) == (f"AWS kept throttling {READ} in {where}: gave up after 4 attempts (Throttling: Rate "
                          "exceeded); try again later (plan and apply: --parallel 1 makes fewer calls "
                          "at once)")
    assert "\n" not in str(error)
    assert error.response["Error"]["Message"] == "Rate exceeded (gave up after 4 attempts)"  # for apply's steps
    assert [line.rsplit(",", 1)[1] for line in _retries(caplog)[:3]] == [
        " attempt 2/4: Throttling", " attempt 3/4: Throttling", " attempt 4/4: Throttling"]


def test_server_errors_are_retried_and_given_up_on_too(ops_aws: Aws, classic: Org) -> None:
    fault = Fault("InternalFailure", READ, status=500, message="oops")
    with pytest.raises(AwsGaveUp, match=rf"AWS kept failing {READ} in .*: gave up after 2 attempts"):
        Engine(classic, fault.aws(classic, max_attempts=2), max_workers=1).plan()


def test_errors_that_are_not_retried_stay_as_they_are(
        ops_aws: Aws, classic: Org, caplog: pytest.LogCaptureFixture) -> None:
    fault = Fault("AccessDenied", READ, message="no")
    with pytest.raises(ClientError) as raised:
        Engine(classic, fault.aws(classic)).plan()
    assert not isinstance(raised.value, AwsGaveUp) and raised.value.response["Error"]["Code"] == "AccessDenied"
    assert fault.hits and not _retries(caplog)


def test_plan_under_constant_throttling_shows_progress_then_one_error_and_exit_8(
        ops_aws: Aws, classic: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = Fault("Throttling", READ, status=400, message="Rate exceeded")

    def engine_for(app: App, profile: str | None, workers: int) -> Engine:
        return Engine(app.load_org(), fault.aws(classic, max_attempts=3), max_workers=1)

    monkeypatch.setattr("awsroles.cli.plan.engine_for", engine_for)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        logging.getLogger().handlers.clear()  # the CLI's basicConfig writes to the App's stderr
        code = run(["plan", "-f", str(EXAMPLES / "classic.ini")], App(stdout=out, stderr=err))
    lines = err.getvalue().splitlines()
    assert code == ExitCode.THROTTLED, lines
    retries = [line for line in lines if "retrying" in line]
    pattern = rf"WARNING awsroles.aws: retrying {READ} in \w+ \(\d{{12}}\), attempt [23]/3: Throttling"
    assert retries and all(re.fullmatch(pattern, line) for line in retries), retries
    assert lines[-1].startswith(f"awsroles: error: AWS kept throttling {READ} in ")
    assert out.getvalue() == ""


def test_attempts_and_mode_come_from_the_settings_else_botocores_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Aws().max_attempts == DEFAULT_MAX_ATTEMPTS and Aws().config.retries["mode"] == "standard"
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    aws = Aws()
    assert aws.max_attempts == 3 and aws.config.retries == {"mode": "adaptive", "total_max_attempts": 3}
    assert Aws(AwsSettings(max_attempts=5, retry_mode="standard")).config.retries == {
        "mode": "standard", "total_max_attempts": 5}
    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")  # awsroles always uses one of the modern modes
    assert Aws().config.retries["mode"] == "standard"


