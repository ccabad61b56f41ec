"""Console URLs, against a fake federation endpoint on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import threading
import time
import traceback
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import awsroles.creds.console as consolelib
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.creds.console import (
    ConsoleSigninError,
    console_home,
    login_url,
    signin_url,
)
from awsroles.creds.model import Credentials
from awsroles.errors import UsageError

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY&x=1%2F"
TOKEN = "FwoGZXIvYXdzE+/=&Session=evil"
CREDS = Credentials("ASIAEXAMPLEKEY", SECRET, TOKEN, datetime(2099, 1, 1, tzinfo=timezone.utc))
SIGNIN_TOKEN = "VCQgs5qZZt3Q6fn8Tr5EXAMPLE-_mLnwB7"


@dataclass
class Federation:
    """What the fake endpoint saw and what it answers."""

    url: str
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    status: int = 200
    body: bytes = json.dumps({"SigninToken": SIGNIN_TOKEN}).encode()
    delay: float = 0.0


@pytest.fixture
def federation() -> Iterator[Federation]:
    state = Federation(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            assert parts.path == "/federation"
            state.requests.append(urllib.parse.parse_qs(parts.query, keep_blank_values=True))
            time.sleep(state.delay)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/federation"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def no_proxy() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def query(url: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)


def assert_no_secret(text: str) -> None:
    for secret in (SECRET, TOKEN, urllib.parse.quote_plus(SECRET), urllib.parse.quote_plus(TOKEN), "sessionKey"):
        assert secret not in text


# -- federated sign-in ---------------------------------------------------------------------------


def test_signin_url_asks_for_a_token_and_builds_the_login_url(federation: Federation) -> None:
    url = signin_url(CREDS, endpoint=federation.url, opener=no_proxy())

    (request,) = federation.requests
    assert request["Action"] == ["getSigninToken"]
    assert "SessionDuration" not in request
    assert json.loads(request["Session"][0]) == {
        "sessionId": "ASIAEXAMPLEKEY", "sessionKey": SECRET, "sessionToken": TOKEN,
    }

    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == federation.url
    assert query(url) == {
        "Action": ["login"],
        "Issuer": ["awsroles"],
        "Destination": ["https://console.aws.amazon.com/"],
        "SigninToken": [SIGNIN_TOKEN],
    }
    assert_no_secret(url)
    assert "ASIAEXAMPLEKEY" not in url


def test_session_duration_is_sent_only_when_asked(federation: Federation) -> None:
    signin_url(CREDS, endpoint=federation.url, opener=no_proxy(), duration=43200)
    signin_url(CREDS, endpoint=federation.url, opener=no_proxy(), duration=900)
    assert [r["SessionDuration"] for r in federation.requests] == [["43200"], ["900"]]


@pytest.mark.parametrize("duration", [0, 899, 43201])
def test_session_duration_out_of_range_is_refused_before_any_request(federation: Federation, duration: int) -> None:
    with pytest.raises(UsageError, match="between 900 and 43200"):
        signin_url(CREDS, endpoint=federation.url, opener=no_proxy(), duration=duration)
    assert federation.requests == []


def test_destination_and_issuer_are_escaped(federation: Federation) -> None:
    destination = "https://eu-west-1.console.aws.amazon.com/s3/buckets/my bucket?region=eu-west-1&tab=objects#top"
    issuer = "https://intranet.example/aws?from=awsroles&x=1"
    url = signin_url(CREDS, endpoint=federation.url, opener=no_proxy(), destination=destination, issuer=issuer)
    assert query(url)["Destination"] == [destination]
    assert query(url)["Issuer"] == [issuer]
    assert "#" not in url and " " not in url
    assert "Issuer" not in query(login_url("t", issuer=None))


def test_default_opener_works_too(federation: Federation, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert query(signin_url(CREDS, endpoint=federation.url))["SigninToken"] == [SIGNIN_TOKEN]


def test_long_term_keys_cannot_sign_in(federation: Federation) -> None:
    with pytest.raises(UsageError, match="temporary credentials"):
        signin_url(Credentials("AKIAEXAMPLE", SECRET), endpoint=federation.url, opener=no_proxy())
    assert federation.requests == []


def test_plain_http_only_to_loopback() -> None:
    with pytest.raises(UsageError, match="https://"):
        signin_url(CREDS, endpoint="http://signin.example.com/federation")


# -- failures never carry the session --------------------------------------------------------------


def full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(vars(error))


@pytest.mark.parametrize("status", [400, 403, 500])
def test_http_error_names_the_status_and_leaks_nothing(federation: Federation, status: int) -> None:
    federation.status = status
    federation.body = f"bad session {SECRET} {TOKEN}".encode()  # an endpoint that echoes the request
    with pytest.raises(ConsoleSigninError) as caught:
        signin_url(CREDS, endpoint=federation.url, opener=no_proxy())
    error = caught.value
    assert f"HTTP {status}" in str(error)
    assert error.status == status
    assert error.__cause__ is None and error.__context__ is None
    assert_no_secret(full_text(error))
    assert "Session=" not in full_text(error)


@pytest.mark.parametrize(
    "body", [b"<html>not json</html>", b'{"Other": 1}', b'["SigninToken"]', b'{"SigninToken": ""}']
)
def test_answer_without_a_token_is_an_error(federation: Federation, body: bytes) -> None:
    federation.body = body
    with pytest.raises(ConsoleSigninError, match="without a SigninToken") as caught:
        signin_url(CREDS, endpoint=federation.url, opener=no_proxy())
    assert "not json" not in str(caught.value)


def test_unreachable_endpoint(federation: Federation) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConsoleSigninError, match=r"cannot reach 127\.0\.0\.1") as caught:
        signin_url(CREDS, endpoint=f"http://127.0.0.1:{port}/federation", opener=no_proxy())
    assert caught.value.__context__ is None
    assert_no_secret(full_text(caught.value))


def test_slow_endpoint_times_out(federation: Federation) -> None:
    federation.delay = 1.0
    with pytest.raises(ConsoleSigninError) as caught:
        signin_url(CREDS, endpoint=federation.url, opener=no_proxy(), timeout=0.2)
    assert_no_secret(full_text(caught.value))


def test_nothing_is_logged(federation: Federation, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    signin_url(CREDS, endpoint=federation.url, opener=no_proxy())
    federation.status = 400
    with pytest.raises(ConsoleSigninError):
        signin_url(CREDS, endpoint=federation.url, opener=no_proxy())
    assert_no_secret(caplog.text)


# -- partitions ---------------------------------------------------------------------------------


class RecordingOpener:
    """Stands in for an OpenerDirector: records the URL, answers a token."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def open(self, request: urllib.request.Request, timeout: float) -> Any:
        import io

        self.urls.append(request.full_url)
        response = io.BytesIO(json.dumps({"SigninToken": "t"}).encode())
        response.status = 200  # type: ignore[attr-defined]
        return response


@pytest.mark.parametrize(
    ("partition", "signin", "console"),
    [
        ("aws", "https://signin.aws.amazon.com", "https://console.aws.amazon.com/"),
        ("aws-us-gov", "https://signin.amazonaws-us-gov.com", "https://console.amazonaws-us-gov.com/"),
        ("aws-cn", "https://signin.amazonaws.cn", "https://console.amazonaws.cn/"),
    ],
)
def test_partition_endpoints(partition: str, signin: str, console: str) -> None:
    opener = RecordingOpener()
    url = signin_url(CREDS, partition=partition, opener=opener)  # type: ignore[arg-type]
    assert opener.urls[0].startswith(f"{signin}/federation?Action=getSigninToken&Session=")
    assert url.startswith(f"{signin}/federation?Action=login&")
    assert query(url)["Destination"] == [console]
    assert console_home(partition, "eu-west-1") == f"{console}console/home?region=eu-west-1"


def test_unknown_partition() -> None:
    with pytest.raises(UsageError, match="unknown partition"):
        signin_url(CREDS, partition="aws-iso")


# -- no switch-role link ----------------------------------------------------------------------------


def test_console_offers_no_switch_role_link_that_aws_would_refuse() -> None:
    """Issue 10: `console --switch-role` printed a link the console's Switch Role cannot use (it sets
    no SourceIdentity, which every trust policy requires). The option is gone: a usage error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["console", "prod", "--role", "admin", "--switch-role", "--print"], App(stdout=out, stderr=err))
    assert code == 2
    assert "No such option '--switch-role'" in err.getvalue()
    assert "switchrole" not in out.getvalue()
    assert not hasattr(consolelib, "switch_role_url")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert run(["console", "--help"], App(stdout=out, stderr=err)) == 0
    assert "--switch-role" not in out.getvalue() and "--print" in out.getvalue()


def test_destinations_stay_in_the_console() -> None:
    from awsroles.creds.console import destination

    assert destination() == "https://console.aws.amazon.com/"
    assert destination(region="eu-west-1") == "https://console.aws.amazon.com/console/home?region=eu-west-1"
    assert destination(service="cloudwatch", region="eu-west-1") == (
        "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1")
    assert destination(path="/s3/buckets/acme-logs", region="us-east-1") == (
        "https://console.aws.amazon.com/s3/buckets/acme-logs?region=us-east-1")
    assert destination(path="https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:",
                       region="us-east-1") == "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"
    assert destination("aws-cn", service="iam") == "https://console.amazonaws.cn/iam/home"
    assert destination(path="//evil.example/x") == "https://console.aws.amazon.com/evil.example/x"  # a path, stays
    for bad in ("https://evil.example/", "http://console.aws.amazon.com/", "https://console.aws.amazon.com.evil.example/",
                "javascript:alert(1)"):
        with pytest.raises(UsageError, match="must be a page of the AWS console"):
            destination(path=bad)
    with pytest.raises(UsageError, match="not an AWS region"):
        destination(region="eu-west-1&x=y")
    with pytest.raises(UsageError, match="not a console service"):
        destination(service="../iam")
    with pytest.raises(UsageError, match="not both"):
        destination(service="s3", path="/s3/")
