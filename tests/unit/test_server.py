"""The local credential endpoint, used by boto3 through its container credentials provider."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from awsroles.creds.model import Credentials, utcnow
from awsroles.creds.server import CredentialServer
from awsroles.errors import AwsrolesError, UsageError

TOKEN = "test-token-0123456789abcdef-0123456789"


class Provider:
    """Vends numbered credentials expiring ``lifetime`` from now; counts its calls."""

    def __init__(self, lifetime: timedelta = timedelta(hours=1)):
        self.lifetime = lifetime
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> Credentials:
        with self.lock:
            self.calls += 1
            n = self.calls
        return Credentials(f"ASIATEST{n:04d}", f"secret/{n}+x=", f"token-{n}", utcnow() + self.lifetime)


@pytest.fixture
def no_other_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the container provider can answer: no keys in the environment, no profile files."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def server(provider: Provider) -> Iterator[CredentialServer]:
    with CredentialServer(provider, token=TOKEN) as running:
        yield running


def get(server: CredentialServer, headers: dict[str, str] | None = None, method: str = "GET",
        path: str = "/") -> tuple[int, bytes, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


def use(server: CredentialServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)


# -- boto3 through the container provider ---------------------------------------------------------


@pytest.mark.usefixtures("no_other_credentials")
def test_boto3_gets_credentials_from_the_server(
    server: CredentialServer, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(server, monkeypatch)
    credentials = boto3.Session().get_credentials()
    assert credentials is not None
    assert credentials.method == "container-role"
    frozen = credentials.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == ("ASIATEST0001", "secret/1+x=", "token-1")
    # An hour left: botocore does not ask again.
    for _ in range(3):
        assert credentials.get_frozen_credentials().access_key == "ASIATEST0001"
    assert provider.calls == 1


@pytest.mark.usefixtures("no_other_credentials")
def test_botocore_refreshes_through_the_server_near_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore refreshes 15 minutes (advisory) and 10 minutes (mandatory) before expiry
    # (botocore.credentials._DEFAULT_{ADVISORY,MANDATORY}_REFRESH_TIMEOUT). Credentials that
    # expire in 5 minutes are inside the mandatory window and not yet expired, so every
    # get_frozen_credentials() must fetch fresh ones from the server: no sleeping needed.
    provider = Provider(lifetime=timedelta(minutes=5))
    with CredentialServer(provider) as server:
        use(server, monkeypatch)
        started = time.monotonic()
        credentials = boto3.Session().get_credentials()
        assert credentials.get_frozen_credentials().access_key == "ASIATEST0002"  # fetched, then refreshed
        assert credentials.get_frozen_credentials().access_key == "ASIATEST0003"
        assert credentials.get_frozen_credentials().token == "token-4"
        assert provider.calls == 4
        assert time.monotonic() - started < 2


@pytest.mark.usefixtures("no_other_credentials")
def test_advisory_window_refreshes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Provider(lifetime=timedelta(minutes=12))  # between the 10 and 15 minute thresholds
    with CredentialServer(provider) as server:
        use(server, monkeypatch)
        credentials = boto3.Session().get_credentials()
        assert credentials.get_frozen_credentials().access_key == "ASIATEST0002"
        assert provider.calls == 2


# -- the answer ----------------------------------------------------------------------------------


def test_answer_is_what_the_container_provider_reads(server: CredentialServer) -> None:
    status, body, response = get(server, {"Authorization": TOKEN})
    assert status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Cache-Control") == "no-store"
    document = json.loads(body)
    assert set(document) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    expires = datetime.strptime(document["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(minutes=59) < expires - utcnow() <= timedelta(hours=1)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": ""}, 403),
        ({"Authorization": "wrong-token-0123456789abcdef"}, 403),
        ({"Authorization": TOKEN + "x"}, 403),
        ({"Authorization": f"Bearer {TOKEN}"}, 403),
        ({"X-Authorization": TOKEN}, 401),
    ],
)
def test_requests_without_the_token_are_refused(
    server: CredentialServer, provider: Provider, headers: dict[str, str], status: int
) -> None:
    got, body, _ = get(server, headers)
    assert (got, body) == (status, b"")
    assert provider.calls == 0


def test_only_get_on_the_root(server: CredentialServer, provider: Provider) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        status, _, response = get(server, {"Authorization": TOKEN}, method=method)
        assert status == 405 and response.getheader("Allow") == "GET"
    assert get(server, {}, method="POST")[0] == 401  # the token is checked first
    assert get(server, {"Authorization": TOKEN}, path="/other")[0] == 404
    assert get(server, {}, path="/other")[0] == 401
    assert get(server, {"Authorization": TOKEN}, path="/?x=1")[0] == 200
    assert provider.calls == 1


def test_provider_failure_is_a_500_without_secrets() -> None:
    seen: list[BaseException] = []

    def leaky() -> Credentials:
        raise RuntimeError("boom: AKIAEXAMPLE wJalrXUtnFEMI/K7MDENG")

    with CredentialServer(leaky, token=TOKEN, on_error=seen.append) as server:
        status, body, _ = get(server, {"Authorization": TOKEN})
    assert status == 500
    assert json.loads(body) == {"Code": "CredentialsUnavailable", "Message": "credentials unavailable"}
    assert b"AKIA" not in body and b"wJalr" not in body
    assert isinstance(seen[0], RuntimeError)


def test_our_own_errors_explain_themselves() -> None:
    def expired() -> Credentials:
        raise AwsrolesError("the MFA session has expired; run awsroles login")

    with CredentialServer(expired, token=TOKEN) as server:
        status, body, _ = get(server, {"Authorization": TOKEN})
    assert status == 500
    assert json.loads(body)["Message"] == "the MFA session has expired; run awsroles login"


def test_long_term_keys_are_not_served() -> None:
    with CredentialServer(lambda: Credentials("AKIAEXAMPLE", "secret"), token=TOKEN) as server:
        status, body, _ = get(server, {"Authorization": TOKEN})
    assert status == 500
    assert json.loads(body)["Message"].startswith("only temporary credentials")


def test_nothing_reaches_stderr(server: CredentialServer, capfd: pytest.CaptureFixture[str]) -> None:
    get(server, {"Authorization": TOKEN})
    get(server, {"Authorization": "wrong-token-0123456789abcdef"})
    get(server, {})
    get(server, {"Authorization": TOKEN}, method="BREW")  # http.server's own 501 path
    with socket.create_connection((server.host, server.port), timeout=5) as raw:  # and its 400 path
        raw.sendall(b"NONSENSE\r\n\r\n")
        assert b"Error code: 400" in raw.recv(1000)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# -- construction and lifecycle ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "10.0.0.1", "localhost", "::1", "::", "example.com", ""])
def test_only_loopback_ipv4_is_bound(host: str) -> None:
    with pytest.raises(UsageError, match="loopback"):
        CredentialServer(Provider(), host=host)


def test_token_is_random_and_long_enough() -> None:
    tokens = set()
    for _ in range(3):
        server = CredentialServer(Provider())
        try:
            assert len(server.token) >= 43  # 32 random bytes, urlsafe base64
            assert server.environment() == {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{server.port}/",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": server.token,
            }
            assert server.token not in repr(server)
            tokens.add(server.token)
        finally:
            server.stop()
    assert len(tokens) == 3


@pytest.mark.parametrize("token", ["short", "x" * 20 + "\n", "x" * 20 + "é"])
def test_weak_or_unsendable_tokens_are_refused(token: str) -> None:
    with pytest.raises(UsageError, match="token"):
        CredentialServer(Provider(), token=token)


def test_url_and_port() -> None:
    server = CredentialServer(Provider())
    try:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}/"
    finally:
        server.stop()


def test_stop_closes_the_port_and_is_idempotent(provider: Provider) -> None:
    server = CredentialServer(provider, token=TOKEN).start()
    assert get(server, {"Authorization": TOKEN})[0] == 200
    server.stop()
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        get(server, {"Authorization": TOKEN})
    with pytest.raises(RuntimeError):
        server.start()


def test_serve_forever_in_a_thread_stops_on_stop(provider: Provider) -> None:
    server = CredentialServer(provider, token=TOKEN)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        for _ in range(50):
            try:
                if get(server, {"Authorization": TOKEN})[0] == 200:
                    break
            except ConnectionError:
                time.sleep(0.02)
    finally:
        server.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert provider.calls == 1


def test_stop_before_serving_never_hangs(provider: Provider) -> None:
    server = CredentialServer(provider, token=TOKEN)
    server.stop()
    with pytest.raises(RuntimeError):
        server.serve_forever()
