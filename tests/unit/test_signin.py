"""Identity Center sign-in: the token cache botocore and the AWS CLI read, and the device flow's
rules (RFC 8628 polling, slow-down, refresh, denial), on a real botocore ``sso-oidc`` client whose
answers are AWS's documented ones (botocore's Stubber checks every request against the model).
The whole flow against the sandbox's server is in tests/aws/test_signin.py."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import Stubber
from botocore.utils import JSONFileCache, SSOTokenLoader

from awsroles.creds.signin import DEVICE_GRANT, SCOPES, DeviceCode, SignIn, SignInError
from awsroles.creds.sso_token import SharedCache, SsoToken, cache_key, parse_expiry
from awsroles.creds.store import SESSIONS
from awsroles.creds.store.memory import MemoryStore
from awsroles.errors import ExitCode

URL = "https://d-1234567890.awsapps.com/start"
REGION = "eu-west-1"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def token(**changes: Any) -> SsoToken:
    fields: dict[str, Any] = {"start_url": URL, "region": REGION, "access_token": "access-secret",
                              "expires_at": NOW + timedelta(hours=1), "refresh_token": "refresh-secret",
                              "client_id": "client-1", "client_secret": "client-secret",
                              "registration_expires_at": NOW + timedelta(days=90)}
    fields.update(changes)
    return SsoToken(**fields)


def oidc_client() -> Any:
    session = botocore.session.Session()
    return session.create_client("sso-oidc", region_name=REGION, config=Config(signature_version=UNSIGNED),
                                 aws_access_key_id="x", aws_secret_access_key="x")


class Flow:
    """A SignIn on a stubbed client, recording what it showed and how long it slept."""

    def __init__(self, tmp_path: Path, *, share: bool = False, clock: datetime = NOW):
        self.client = oidc_client()
        self.stub = Stubber(self.client)
        self.store = MemoryStore()
        self.shown: list[DeviceCode] = []
        self.slept: list[float] = []
        self.shared = SharedCache(tmp_path / "aws" / "sso" / "cache")
        self.signin = SignIn(start_url=URL, region=REGION, session_name="awsroles-acme", store=self.store,
                             lock_dir=tmp_path / "locks", oidc=lambda: self.client, show=self.shown.append,
                             shared=self.shared, share=share, clock=lambda: clock, sleep=self.slept.append)

    def register(self) -> None:
        self.stub.add_response("register_client", {
            "clientId": "client-1", "clientSecret": "client-secret", "clientIdIssuedAt": int(NOW.timestamp()),
            "clientSecretExpiresAt": int((NOW + timedelta(days=90)).timestamp())},
            {"clientName": "awsroles", "clientType": "public", "scopes": list(SCOPES)})

    def start(self, interval: int = 1) -> None:
        self.stub.add_response("start_device_authorization", {
            "deviceCode": "device-1", "userCode": "ABCD-EFGH", "verificationUri": "https://device.example/",
            "verificationUriComplete": "https://device.example/?user_code=ABCD-EFGH", "expiresIn": 600,
            "interval": interval},
            {"clientId": "client-1", "clientSecret": "client-secret", "startUrl": URL})

    def poll_error(self, code: str, status: int = 400) -> None:
        self.stub.add_client_error("create_token", code, http_status_code=status, expected_params={
            "clientId": "client-1", "clientSecret": "client-secret", "grantType": DEVICE_GRANT,
            "deviceCode": "device-1"})

    def poll_ok(self, access: str = "new-access", refresh: str | None = "new-refresh") -> None:
        reply: dict[str, Any] = {"accessToken": access, "tokenType": "Bearer", "expiresIn": 3600}
        if refresh:
            reply["refreshToken"] = refresh
        self.stub.add_response("create_token", reply, {
            "clientId": "client-1", "clientSecret": "client-secret", "grantType": DEVICE_GRANT,
            "deviceCode": "device-1"})


def test_the_token_file_is_the_aws_cli_s_own(tmp_path: Path) -> None:
    shared = SharedCache(tmp_path / "sso" / "cache")
    shared.write("awsroles-acme", token())
    path = shared.path("awsroles-acme")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # botocore's own loader (what the AWS CLI and boto3 read sso-session tokens with) finds it by name
    loaded = SSOTokenLoader(cache=JSONFileCache(str(path.parent)))(URL, session_name="awsroles-acme")
    assert loaded["accessToken"] == "access-secret" and loaded["refreshToken"] == "refresh-secret"
    assert loaded["clientId"] == "client-1" and loaded["expiresAt"] == "2026-11-29T13:00:00Z"
    assert path.name == f"{cache_key('awsroles-acme')}.json"
    assert shared.read("awsroles-acme") == token()


def test_a_token_botocore_refreshed_is_read(tmp_path: Path) -> None:
    """botocore's SSOTokenProvider writes expiresAt with strftime's %Z: ``...UTC``."""
    directory = tmp_path / "cache"
    directory.mkdir()
    data = {**token().as_cache(), "expiresAt": "2026-11-29T13:00:00UTC"}
    (directory / f"{cache_key('awsroles-acme')}.json").write_text(json.dumps(data))
    read = SharedCache(directory).read("awsroles-acme")
    assert read is not None and read.expires_at == parse_expiry("2026-11-29T13:00:00Z")
    (directory / f"{cache_key('awsroles-acme')}.json").write_text("{not json")
    assert SharedCache(directory).read("awsroles-acme") is None


def test_secrets_never_in_a_token_s_repr() -> None:
    text = repr(token()) + str(token())
    for secret in ("access-secret", "refresh-secret", "client-secret"):
        assert secret not in text
    assert URL in text


def test_a_device_sign_in_polls_slows_down_and_keeps_the_token_only_in_the_store(tmp_path: Path) -> None:
    flow = Flow(tmp_path)
    flow.register()
    flow.start(interval=1)
    flow.poll_error("AuthorizationPendingException")
    flow.poll_error("SlowDownException")
    flow.poll_error("AuthorizationPendingException")
    flow.poll_ok()
    with flow.stub:
        got = flow.signin.token()
    flow.stub.assert_no_pending_responses()
    assert got.access_token == "new-access" and got.refresh_token == "new-refresh"
    assert got.expires_at == NOW + timedelta(hours=1)
    assert [d.user_code for d in flow.shown] == ["ABCD-EFGH"]
    assert flow.slept == [1, 1, 6, 6]  # RFC 8628 3.5: a slow_down adds 5 seconds to every later poll
    assert SsoToken.from_json(flow.store.get(SESSIONS, "sso/awsroles-acme") or "") == got
    assert not flow.shared.path("awsroles-acme").exists()  # plaintext only when asked


def test_shared_the_sign_in_is_written_for_the_aws_cli(tmp_path: Path) -> None:
    flow = Flow(tmp_path, share=True)
    flow.register()
    flow.start()
    flow.poll_ok()
    with flow.stub:
        got = flow.signin.token()
    assert flow.shared.read("awsroles-acme") == got


def test_a_cached_sign_in_is_used_without_a_call_even_one_the_aws_cli_made(tmp_path: Path) -> None:
    flow = Flow(tmp_path)
    flow.shared.write("awsroles-acme", token(access_token="from-aws-sso-login"))
    with flow.stub:  # no answers queued: any call fails
        assert flow.signin.token().access_token == "from-aws-sso-login"
    flow.store.set(SESSIONS, "sso/awsroles-acme", token(access_token="newer", expires_at=NOW + timedelta(hours=2))
                   .to_json())
    with flow.stub:
        assert flow.signin.token().access_token == "newer"  # the newest of the two
    other = token(access_token="another-portal's", start_url="https://d-9999999999.awsapps.com/start",
                  expires_at=NOW + timedelta(hours=3))
    flow.store.set(SESSIONS, "sso/awsroles-acme", other.to_json())
    with flow.stub:
        assert flow.signin.token().access_token == "from-aws-sso-login"  # never another start URL's


def test_a_token_near_its_end_is_refreshed_then_a_refused_refresh_signs_in_again(tmp_path: Path) -> None:
    flow = Flow(tmp_path)
    flow.store.set(SESSIONS, "sso/awsroles-acme", token(expires_at=NOW + timedelta(minutes=5)).to_json())
    flow.stub.add_response("create_token", {"accessToken": "refreshed", "expiresIn": 3600}, {
        "clientId": "client-1", "clientSecret": "client-secret", "grantType": "refresh_token",
        "refreshToken": "refresh-secret"})
    with flow.stub:
        got = flow.signin.token()
    assert got.access_token == "refreshed" and got.refresh_token == "refresh-secret"  # none new: the old one kept
    assert flow.shown == []
    # the Identity Center session is over: AWS refuses the refresh token, and the person signs in again
    flow.stub.add_client_error("create_token", "InvalidGrantException", expected_params={
        "clientId": "client-1", "clientSecret": "client-secret", "grantType": "refresh_token",
        "refreshToken": "refresh-secret"})
    flow.start()  # the registration is reused (90 days): no RegisterClient
    flow.poll_ok(access="after-sign-in")
    with flow.stub:
        again = flow.signin.token(refused=got)
    assert again.access_token == "after-sign-in" and len(flow.shown) == 1


@pytest.mark.parametrize(("code", "says"), [("AccessDeniedException", "denied"), ("ExpiredTokenException", "expired")])
def test_a_denied_or_expired_sign_in_is_exit_4_and_caches_nothing(tmp_path: Path, code: str, says: str) -> None:
    flow = Flow(tmp_path)
    flow.register()
    flow.start()
    flow.poll_error("AuthorizationPendingException")
    flow.poll_error(code)
    with flow.stub, pytest.raises(SignInError, match=says) as caught:
        flow.signin.token()
    assert caught.value.exit_code == ExitCode.MFA
    assert flow.store.keys(SESSIONS) == []


def test_an_unknown_start_url_says_which_key_to_fix(tmp_path: Path) -> None:
    flow = Flow(tmp_path)
    flow.register()
    flow.stub.add_client_error("start_device_authorization", "InvalidRequestException")
    with flow.stub, pytest.raises(SignInError, match="identity_center_start_url"):
        flow.signin.token()


def test_forget_removes_the_store_copy_and_the_shared_one_only_when_shared(tmp_path: Path) -> None:
    flow = Flow(tmp_path)
    flow.shared.write("awsroles-acme", token(access_token="aws-cli's"))
    flow.store.set(SESSIONS, "sso/awsroles-acme", token().to_json())
    assert flow.signin.forget() is not None
    assert flow.store.get(SESSIONS, "sso/awsroles-acme") is None
    assert flow.shared.path("awsroles-acme").exists()  # the AWS CLI's, not shared by the person: left alone
    shared = Flow(tmp_path, share=True)
    shared.signin.forget()
    assert not shared.shared.path("awsroles-acme").exists()


@pytest.mark.parametrize(("env", "browser", "opened"), [
    ({"DISPLAY": ":99"}, "default", True),
    ({"DISPLAY": ":99", "AWSROLES_NO_BROWSER": "1"}, "default", False),
    ({"DISPLAY": ":99"}, "stdout", False),  # the person's browser setting: print, never open
    ({}, "default", False),  # no display: nothing to open a page on (no text browser takes the terminal)
])
def test_the_code_is_shown_and_the_page_opened_only_where_a_browser_can_show_it(
        tmp_path: Path, env: dict[str, str], browser: str, opened: bool) -> None:
    import os
    import subprocess
    import sys

    record = tmp_path / "opened.txt"
    fake = tmp_path / "browser.sh"
    fake.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {record}\n")
    fake.chmod(0o755)
    code = ("from awsroles.creds.factory import show_device; from awsroles.creds.signin import DeviceCode; "
            "show_device(DeviceCode('ABCD-EFGH', 'https://device.example/', "
            f"'https://device.example/?user_code=ABCD-EFGH', 600), browser={browser!r})")
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "AWSROLES_NO_BROWSER")}
    result = subprocess.run([sys.executable, "-c", code], env={**base, "BROWSER": str(fake), **env},
                            capture_output=True, text=True, timeout=60, start_new_session=True)  # no terminal
    assert result.returncode == 0, result.stderr
    assert "open https://device.example/?user_code=ABCD-EFGH" in result.stderr
    assert "the page shows the code ABCD-EFGH" in result.stderr
    assert (record.read_text() if record.exists() else None) == (
        "https://device.example/?user_code=ABCD-EFGH" if opened else None)


def test_a_token_file_others_may_write_never_signs_anyone_in(tmp_path: Path) -> None:
    shared = SharedCache(tmp_path / "cache")
    shared.write("awsroles-acme", token())
    assert shared.read("awsroles-acme") is not None and len(shared.find(URL, REGION)) == 1
    shared.path("awsroles-acme").chmod(0o666)  # planted, or left writable: anyone could swap in their identity
    assert shared.read("awsroles-acme") is None and shared.find(URL, REGION) == []


def test_only_a_web_page_is_opened(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    record = tmp_path / "opened.txt"
    fake = tmp_path / "browser.sh"
    fake.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {record}\n")
    fake.chmod(0o755)
    code = ("from awsroles.creds.factory import show_device; from awsroles.creds.signin import DeviceCode; "
            "show_device(DeviceCode('ABCD-EFGH', 'file:///etc/passwd', 'file:///etc/passwd', 600))")
    base = {k: v for k, v in os.environ.items() if k not in ("AWSROLES_NO_BROWSER",)}
    result = subprocess.run([sys.executable, "-c", code], env={**base, "BROWSER": str(fake), "DISPLAY": ":99"},
                            capture_output=True, text=True, timeout=60, start_new_session=True)
    assert result.returncode == 0, result.stderr
    assert not record.exists()
