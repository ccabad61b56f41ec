"""A refresh that fails for a reason other than AWS refusing the refresh token (AWS unreachable,
throttled, an internal error) keeps the cached token while it has more than ``LAST_USE`` left, as
botocore's SSOTokenProvider keeps its token inside the advisory window; past that, the failure is
the person's to see (no sign-in is started for a network error)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from awsroles.creds.store import SESSIONS
from awsroles.errors import AwsrolesError, ExitCode
from tests.unit.test_signin import NOW, Flow, token

REFRESH = {"clientId": "client-1", "clientSecret": "client-secret", "grantType": "refresh_token",
           "refreshToken": "refresh-secret"}


@pytest.mark.parametrize(("code", "status"), [("InternalServerException", 500), ("SlowDownException", 400)])
def test_a_failed_refresh_keeps_a_token_with_minutes_left(tmp_path: Path, code: str, status: int) -> None:
    flow = Flow(tmp_path)
    cached = token(expires_at=NOW + timedelta(minutes=10))  # inside the refresh window, past LAST_USE
    flow.store.set(SESSIONS, "sso/awsroles-acme", cached.to_json())
    flow.stub.add_client_error("create_token", code, http_status_code=status, expected_params=REFRESH)
    with flow.stub:
        got = flow.signin.token()
    assert got == cached and flow.shown == []
    assert flow.store.get(SESSIONS, "sso/awsroles-acme") == cached.to_json()


def test_a_failed_refresh_of_a_token_at_its_end_is_an_error_not_a_sign_in(tmp_path: Path) -> None:
    flow = Flow(tmp_path)
    flow.store.set(SESSIONS, "sso/awsroles-acme", token(expires_at=NOW + timedelta(seconds=30)).to_json())
    flow.stub.add_client_error("create_token", "InternalServerException", http_status_code=500,
                               expected_params=REFRESH)
    with flow.stub, pytest.raises(AwsrolesError, match="CreateToken") as failed:
        flow.signin.token()
    assert failed.value.exit_code == ExitCode.FAILURE and flow.shown == []


def test_a_refused_token_is_not_kept_even_when_the_refresh_fails(tmp_path: Path) -> None:
    flow = Flow(tmp_path)
    cached = token(expires_at=NOW + timedelta(minutes=50))
    flow.store.set(SESSIONS, "sso/awsroles-acme", cached.to_json())
    flow.stub.add_client_error("create_token", "InternalServerException", http_status_code=500,
                               expected_params=REFRESH)
    with flow.stub, pytest.raises(AwsrolesError, match="CreateToken"):
        flow.signin.token(refused=cached)  # the portal refused it: never handed out again
