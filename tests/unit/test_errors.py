"""One error model: ``errors.from_aws`` classifies every botocore and network error once, and the
exit codes follow from it (7: AWS cannot be reached, 8: still throttled after the last retry).
botocore's exceptions are built directly; nothing here reaches AWS."""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)

from awsroles import errors
from awsroles.aws import CONNECTION_ATTEMPTS, Aws, AwsGaveUp, AwsSettings
from awsroles.errors import (
    AwsrolesError,
    ExitCode,
    NetworkError,
    PartlyDone,
    describe_aws_error,
    from_aws,
    is_network_error,
)
from tests.conftest import EXAMPLES, REPO

URL = "https://sts.amazonaws.com/"


def client_error(code: str, message: str, operation: str = "GetAccountAuthorizationDetails") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


NETWORK_ERRORS = [
    EndpointConnectionError(endpoint_url=URL),
    ConnectTimeoutError(endpoint_url=URL),
    ReadTimeoutError(endpoint_url=URL),
    ConnectionClosedError(endpoint_url=URL),
    ProxyConnectionError(proxy_url="http://proxy:3128", error="refused"),
    SSLError(endpoint_url=URL, error="certificate verify failed"),
]


# -- from_aws, one class of error at a time ----------------------------------------------------------


def test_an_aws_error_keeps_its_code_and_message_and_chains_the_cause() -> None:
    exc = client_error("AccessDenied", "User: arn:aws:iam::1:user/x is not\n  authorized")
    error = from_aws(exc)
    assert type(error) is AwsrolesError and error.exit_code == ExitCode.FAILURE and int(error.exit_code) == 1
    assert str(error) == "AccessDenied: User: arn:aws:iam::1:user/x is not authorized"  # one line
    assert error.__cause__ is exc


def test_context_goes_first_and_keeps_the_class_and_exit_code() -> None:
    denied = from_aws(client_error("AccessDenied", "no"), "GetCallerIdentity")
    assert str(denied) == "GetCallerIdentity: AccessDenied: no" and denied.exit_code == 1
    offline = from_aws(EndpointConnectionError(endpoint_url=URL), "cannot read IAM in prod")
    assert isinstance(offline, NetworkError) and offline.exit_code == 7
    assert str(offline).startswith("cannot read IAM in prod: cannot reach AWS: EndpointConnectionError: ")


@pytest.mark.parametrize("exc", NETWORK_ERRORS, ids=lambda e: type(e).__name__)
def test_aws_that_cannot_be_reached_is_a_network_error_exit_7(exc: Exception) -> None:
    assert is_network_error(exc)
    error = from_aws(exc)
    assert isinstance(error, NetworkError) and error.exit_code == ExitCode.NETWORK and int(error.exit_code) == 7
    assert str(error) == f"cannot reach AWS: {type(exc).__name__}: {' '.join(str(exc).split())}"
    assert error.__cause__ is exc


def test_no_credentials_gives_a_hint() -> None:
    error = from_aws(NoCredentialsError())
    assert str(error) == ("no AWS credentials found (set AWS_PROFILE or use --profile, or run "
                          "`awsroles sandbox start`)")
    assert error.exit_code == 1 and not isinstance(error, NetworkError)
    partial = from_aws(PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"))
    assert str(partial).startswith("incomplete AWS credentials: Partial credentials found in env, missing: "
                                   "AWS_SECRET_ACCESS_KEY (set AWS_PROFILE")
    assert partial.exit_code == 1


def test_still_throttled_after_the_last_retry_is_exit_8_as_it_is() -> None:
    gave_up = AwsGaveUp({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "ListRoles",
                        "prod (222222222222)", 8)
    assert from_aws(gave_up) is gave_up and from_aws(gave_up, "ignored") is gave_up
    assert gave_up.exit_code == ExitCode.THROTTLED and int(gave_up.exit_code) == 8
    assert not is_network_error(gave_up)


@pytest.mark.parametrize("exc", [ParamValidationError(report="Invalid length for parameter UserName"),
                                 NoRegionError(), ValueError("odd")], ids=lambda e: type(e).__name__)
def test_anything_else_is_exit_1_named_by_its_class(exc: Exception) -> None:
    error = from_aws(exc)
    assert type(error) is AwsrolesError and error.exit_code == 1
    assert str(error).startswith(f"{type(exc).__name__}: ") and "\n" not in str(error)
    assert not is_network_error(exc)


def test_an_awsroles_error_is_already_classified() -> None:
    mine = errors.MfaError("AWS refused the MFA code")
    assert from_aws(mine) is mine and from_aws(mine).exit_code == ExitCode.MFA


def test_describe_aws_error_is_one_line_with_the_code_or_the_class() -> None:
    assert describe_aws_error(client_error("NoSuchEntity", "The role\nx cannot be found.")) == (
        "NoSuchEntity: The role x cannot be found.")
    assert describe_aws_error(EndpointConnectionError(endpoint_url=URL)) == (
        f'EndpointConnectionError: Could not connect to the endpoint URL: "{URL}"')


@pytest.mark.parametrize(("cause", "code"), [
    (EndpointConnectionError(endpoint_url=URL), ExitCode.NETWORK),
    (AwsGaveUp({"Error": {"Code": "Throttling", "Message": "x"}}, "CreateRole", "dev", 8), ExitCode.THROTTLED),
    (client_error("AccessDenied", "no"), ExitCode.FAILURE),
    (None, ExitCode.FAILURE),
])
def test_a_command_stopped_part_way_keeps_the_exit_code_of_its_cause(cause: Exception | None, code: int) -> None:
    stopped = PartlyDone("users create bob", "create the user failed", finish="re-run it", cause=cause)
    assert stopped.exit_code == code


# -- the CLI: run() turns what reaches it into one line and from_aws's exit code ----------------------


def invoke(*argv: str) -> tuple[int, str, str]:
    from awsroles.cli import run
    from awsroles.cli.app import App

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("exc", "code", "text"), [
    (ConnectTimeoutError(endpoint_url=URL), 7, "cannot reach AWS: ConnectTimeoutError: Connect timeout on endpoint"),
    (ReadTimeoutError(endpoint_url=URL), 7, "cannot reach AWS: ReadTimeoutError: Read timeout on endpoint"),
    (client_error("ExpiredToken", "The security token included in the request is expired"), 1,
     "ExpiredToken: The security token included in the request is expired"),
    (NoCredentialsError(), 1, "no AWS credentials found"),
], ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v)[:12])
def test_run_maps_an_aws_error_to_one_line_and_its_exit_code(monkeypatch: pytest.MonkeyPatch, exc: Exception,
                                                             code: int, text: str) -> None:
    # ConnectTimeoutError and ReadTimeoutError are OSErrors too: they must not read as a file error.
    def fail(self: Aws) -> None:
        raise exc

    monkeypatch.setattr(Aws, "whoami", fail)
    got, out, err = invoke("plan", "-f", str(EXAMPLES / "classic.ini"))
    assert got == code, err
    assert err.startswith(f"awsroles: error: {text}") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err and "internal error" not in err and out == ""


# -- aws.py: a network that does not answer is given up on after a few attempts -------------------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff between attempts, recorded instead of waited."""
    waited: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", waited.append)
    return waited


class Answer:
    """A before-send hook on STS: raises ``error`` (as if the connection failed), or answers
    Throttling; counts the attempts. Nothing is sent."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.attempts = error, 0
        self.lock = threading.Lock()

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        with self.lock:
            self.attempts += 1
        if self.error is not None:
            raise self.error
        body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                b"</Message></Error><RequestId>r</RequestId></ErrorResponse>")

        class Raw:
            def stream(self, **_: Any) -> Iterator[bytes]:
                yield body

        return AWSResponse(request.url, 400, {}, Raw())

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register_first("before-send.sts", self, unique_id=f"a-{id(self)}")


@pytest.mark.parametrize("exc", [EndpointConnectionError(endpoint_url=URL), ConnectTimeoutError(endpoint_url=URL),
                                 ReadTimeoutError(endpoint_url=URL)], ids=lambda e: type(e).__name__)
def test_connection_errors_stop_after_a_few_attempts(sleeps: list[float], exc: Exception) -> None:
    answer = Answer(exc)
    aws = Aws(AwsSettings(region="us-east-1"), hooks=[answer.install])
    assert aws.max_attempts == 8
    with pytest.raises(type(exc)) as raised:
        aws.client("sts").get_caller_identity()
    assert raised.value is exc
    assert answer.attempts == CONNECTION_ATTEMPTS == 3
    assert len(sleeps) == CONNECTION_ATTEMPTS - 1  # no wait after the last attempt
    assert from_aws(raised.value).exit_code == ExitCode.NETWORK


def test_throttling_keeps_every_attempt(sleeps: list[float]) -> None:
    answer = Answer()
    aws = Aws(AwsSettings(region="us-east-1"), hooks=[answer.install])
    with pytest.raises(AwsGaveUp) as raised:
        aws.client("sts").get_caller_identity()
    assert answer.attempts == 8 and raised.value.attempts == 8 and raised.value.exit_code == 8


def test_fewer_attempts_configured_than_the_cap_are_respected(sleeps: list[float]) -> None:
    answer = Answer(EndpointConnectionError(endpoint_url=URL))
    aws = Aws(AwsSettings(region="us-east-1", max_attempts=2), hooks=[answer.install])
    with pytest.raises(EndpointConnectionError):
        aws.client("sts").get_caller_identity()
    assert answer.attempts == 2


# -- creds: vend's own mapping builds on from_aws ---------------------------------------------------------


def test_login_offline_is_exit_7_and_caches_nothing(sleeps: list[float], tmp_path: Path) -> None:
    from awsroles.creds.mfa import MfaSource
    from awsroles.creds.model import Credentials
    from awsroles.creds.store import KEYS
    from awsroles.creds.store.memory import MemoryStore
    from awsroles.creds.userconfig import RoleGrant, UserConfig
    from awsroles.creds.vend import Vendor

    config = UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/alice",
                        ops_account_id="111111111111", mfa_serial="arn:aws:iam::111111111111:mfa/alice",
                        grants=(RoleGrant("dev", "admin", "222222222222",
                                          "arn:aws:iam::222222222222:role/awsroles/admin", 3600),))
    store = MemoryStore()
    store.set(KEYS, config.key_name, Credentials("AKIAALICE", "secret").to_json())
    offline, throttled = Answer(EndpointConnectionError(endpoint_url=URL)), Answer()

    def vendor(answer: Answer) -> Vendor:
        return Vendor(config, store, mfa=MfaSource(code="123456"), lock_dir=tmp_path / "locks",
                      aws_for=lambda c: Aws.with_keys(AwsSettings(region="us-east-1"), c.access_key_id,
                                                      c.secret_access_key, hooks=[answer.install]))

    with pytest.raises(NetworkError) as raised:
        vendor(offline).role_session("dev")
    error = raised.value
    assert error.exit_code == 7 and isinstance(error.__cause__, EndpointConnectionError)
    assert re.fullmatch(r"GetSessionToken: cannot reach AWS: EndpointConnectionError: .*; check your network "
                        r"\(nothing was cached\)", str(error)), str(error)
    assert offline.attempts == CONNECTION_ATTEMPTS
    assert store.keys("awsroles-sessions") == []
    with pytest.raises(AwsGaveUp) as gave_up:
        vendor(throttled).role_session("dev")
    assert gave_up.value.exit_code == 8


# -- docs/exit-codes.md documents exactly the codes there are ----------------------------------------------


def test_docs_exit_codes_lists_exactly_the_exit_codes() -> None:
    text = (REPO / "docs" / "exit-codes.md").read_text()
    table = dict(re.findall(r"^\| (\d+) \| `([A-Z_]+)` \|", text, re.M))
    assert table == {str(int(code)): code.name for code in ExitCode}
    sections = re.findall(r"^## (\d+): ", text, re.M)
    assert sections == [str(int(code)) for code in ExitCode]  # one section each, in order
    readme = (REPO / "README.md").read_text()
    readme_table = readme.split("| exit code | meaning |", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"^\| (\d+) \| ", readme_table, re.M) == [str(int(code)) for code in ExitCode]
    assert "(docs/exit-codes.md)" in readme


# -- costs: CUR from S3 and Athena are AWS too ------------------------------------------------------------


class Unreachable:
    """A before-send hook that fails every request as a refused connection."""

    def __call__(self, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=URL)

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register_first("before-send", self, unique_id=f"u-{id(self)}")


def test_cur_from_s3_and_athena_offline_are_exit_7(sleeps: list[float]) -> None:
    from awsroles.costs.athena import read_athena
    from awsroles.costs.cur import read_cur

    aws = Aws(AwsSettings(region="us-east-1"), hooks=[Unreachable().install])
    with pytest.raises(NetworkError, match=r"^s3://bills/cur: cannot read from S3: cannot reach AWS: "
                                           r"EndpointConnectionError"):
        read_cur("s3://bills/cur", ["2025-01"], "unblended", aws=aws)
    with pytest.raises(NetworkError, match=r"^Athena: cannot reach AWS: EndpointConnectionError"):
        read_athena(aws, "db", "cur", "primary", "s3://out/", ["2025-01"], "unblended", 10**9)
