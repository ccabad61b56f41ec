"""Credential errors end to end: wrong and reused MFA codes, MFA sessions and role sessions that
expired at AWS while awsroles' cache still believes them valid.

The sandbox checks MFA codes as AWS does (the device's seed, the current 30-second code or the
ones next to it, each code once) and its clock can be moved forward from here
(:meth:`Sandbox.advance_clock`), which expires the sessions it made from GetSessionToken. awsroles
checks its cache against the local clock, which stays put: so these tests show what happens when
AWS knows better than the cache. The sandbox clock only moves forward, so every test starts from a
logout and makes its own sessions.
"""

from __future__ import annotations

import json
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from awsroles.sandbox.client import SandboxError, clock_offset, mfa_windows
from awsroles.sandbox.process import Sandbox
from awsroles.sandbox.seed import enroll_person
from awsroles.sandbox.server.mfa import MFA_INVALID_CODE, MFA_UNKNOWN_DEVICE, TOTP_STEP
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_credentials import Person

pytestmark = pytest.mark.e2e

HOUR = 3600
REFUSED = "awsroles: error: AWS refused the MFA code: wrong, or already used (wait for the next one)"
PROD_ADMIN = "arn:aws:iam::444444444444:role/awsroles/admin"


@pytest.fixture(scope="module")
def world(module_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The classic org applied in this module's sandbox; alice enrolled and set up."""
    alice = Person(module_sandbox, enroll_person(module_sandbox.aws(), module_sandbox.org, "alice"),
                   tmp_path_factory.mktemp("alice"))
    result = alice.setup(local=True)
    assert result.returncode == 0, result.stderr
    return {"box": module_sandbox.box, "alice": alice}


def one_line_error(result: Any, exit_code: int) -> str:
    """The single stderr line of a failed run (no traceback), after checking its exit code."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def sessions(alice: Person) -> list[str]:
    return [s["session"] for s in json.loads(alice.local("status", "-o", "json").stdout)["sessions"]]


def new_codes(box: Sandbox) -> None:
    """Two windows on: codes no earlier test took, without waiting a minute for them (the
    sandbox takes each code once, as AWS does; its MFA codes follow its clock)."""
    box.advance_clock(2 * TOTP_STEP)


def code_of_another_seed(box: Sandbox, alice: Person) -> str:
    """A well-formed code that is none of the three the sandbox would take from alice now."""
    now, _ = mfa_windows(box.endpoint, alice.creds.mfa_serial)
    valid = {alice.creds.mfa_code(at=now + shift) for shift in (-TOTP_STEP, 0, TOTP_STEP)}
    while True:
        code = pyotp.TOTP(pyotp.random_base32()).now()
        if code not in valid:
            return code


def test_a_wrong_code_is_refused_and_nothing_is_cached(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    assert alice.local("logout").returncode == 0
    wrong = alice.run("login", "prod", "--role", "admin", "--mfa-code", code_of_another_seed(world["box"], alice),
                      stdin="")
    assert one_line_error(wrong, 4) == REFUSED
    assert sessions(alice) == []


def test_a_code_is_good_for_one_login_only(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    new_codes(world["box"])
    assert alice.local("logout").returncode == 0
    code = alice.code()  # the current code (or the next), one the sandbox has not taken yet
    first = alice.local("login", "prod", "--role", "admin", "--mfa-code", code, stdin="")
    assert first.returncode == 0, first.stderr
    assert alice.local("logout").returncode == 0
    again = alice.run("login", "prod", "--role", "admin", "--mfa-code", code, stdin="")
    assert one_line_error(again, 4) == REFUSED  # still within its 30-second window(s): reused
    assert sessions(alice) == []


def test_an_mfa_session_expired_at_aws_costs_exactly_one_new_code(world: dict[str, Any]) -> None:
    box: Sandbox = world["box"]
    alice: Person = world["alice"]
    new_codes(box)
    assert alice.local("logout").returncode == 0
    first = alice.local("login", "prod", "--role", "admin", "--mfa-code", alice.code(), stdin="")
    assert first.returncode == 0, first.stderr
    mfa_sessions = [s for s in sessions(alice) if s.startswith("mfa/")]
    assert len(mfa_sessions) == 1

    # 13 hours later at AWS: the 12-hour MFA session has expired; the local cache (local clock)
    # still believes it good. With a code, awsroles forgets it and makes one new MFA session.
    box.advance_clock(13 * HOUR)
    dev = alice.run("-v", "login", "dev", "--mfa-code", alice.code(), stdin="")
    assert dev.returncode == 0, dev.stderr
    assert "admin in dev (222222222222)" in dev.stdout and "(new session)" in dev.stdout
    assert "the MFA session is no longer valid; getting a new one" in dev.stderr
    assert dev.stderr.count("GetSessionToken for alice") == 1
    assert dev.stderr.count("AssumeRole arn:aws:iam::222222222222:role/awsroles/admin") == 2  # refused, then ok
    assert "Traceback" not in dev.stderr

    # Another 13 hours: that one has expired too. Without a code and without a terminal, the
    # next role that needs AWS fails cleanly, and the dead MFA session is forgotten.
    box.advance_clock(13 * HOUR)
    stage = alice.run("login", "stage", stdin="")
    assert "an MFA code is needed" in one_line_error(stage, 4)
    assert not [s for s in sessions(alice) if s.startswith("mfa/")]
    # The role sessions made before are still served from the cache (see the next test).
    assert alice.local("login", "dev").returncode == 0


def test_a_role_session_expired_at_aws_is_served_from_the_cache_until_it_expires_locally(
        world: dict[str, Any]) -> None:
    """credential-process serves a cached role session until its Expiration by the local clock,
    as every SDK's credential cache does; at AWS, a request signed with a session past its
    Expiration then gets ExpiredToken and the SDK asks credential-process again. moto does not
    expire AssumeRole credentials at all, so against the sandbox they keep working."""
    box: Sandbox = world["box"]
    alice: Person = world["alice"]
    new_codes(box)
    assert alice.local("logout").returncode == 0
    assert alice.local("login", "prod", "--role", "admin", "--mfa-code", alice.code(), stdin="").returncode == 0
    before = json.loads(alice.run("credential-process", "prod", "--role", "admin").stdout)

    box.advance_clock(2 * HOUR)  # the role session (1 hour) is over at AWS
    served = alice.run("credential-process", "prod", "--role", "admin")
    assert served.returncode == 0, served.stderr
    after = json.loads(served.stdout)
    assert (after["AccessKeyId"], after["Expiration"]) == (before["AccessKeyId"], before["Expiration"])

    import boto3

    sts = boto3.client("sts", endpoint_url=box.endpoint, region_name=box.region,
                       aws_access_key_id=after["AccessKeyId"], aws_secret_access_key=after["SecretAccessKey"],
                       aws_session_token=after["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == "arn:aws:sts::444444444444:assumed-role/admin/alice"  # moto


def test_the_sandbox_checks_codes_and_moves_its_clock_as_documented(world: dict[str, Any]) -> None:
    """The sandbox side of the above, through boto3: AWS's errors for wrong, reused and foreign
    codes on GetSessionToken and AssumeRole, and the clock route."""
    import boto3

    box: Sandbox = world["box"]
    alice: Person = world["alice"]
    new_codes(box)
    key = boto3.client("sts", endpoint_url=box.endpoint, region_name=box.region,
                       aws_access_key_id=alice.creds.access_key_id,
                       aws_secret_access_key=alice.creds.secret_access_key)
    serial = alice.creds.mfa_serial

    def refusal(call: Any, **params: Any) -> tuple[int, str, str]:
        with pytest.raises(ClientError) as failed:
            call(**params)
        error = failed.value.response
        return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]

    denied = (403, "AccessDenied", MFA_INVALID_CODE)
    assert refusal(key.get_session_token, SerialNumber=serial, TokenCode=code_of_another_seed(box, alice)) == denied
    assert refusal(key.get_session_token, SerialNumber=serial) == denied
    assert refusal(key.get_session_token, SerialNumber="arn:aws:iam::111111111111:mfa/bob",
                   TokenCode=alice.code()) == (403, "AccessDenied", MFA_UNKNOWN_DEVICE)
    code = alice.code()
    now, used = mfa_windows(box.endpoint, serial)
    current = int(now // TOTP_STEP)
    window = next(w for w in (current, current - 1, current + 1) if alice.creds.mfa_code(at=w * TOTP_STEP) == code)
    assert window not in used
    session = key.get_session_token(SerialNumber=serial, TokenCode=code, DurationSeconds=900)["Credentials"]
    assert window in mfa_windows(box.endpoint, serial)[1]
    assert refusal(key.get_session_token, SerialNumber=serial, TokenCode=code) == denied
    assert alice.code() != code  # the helper hands out another one

    as_session = boto3.client("sts", endpoint_url=box.endpoint, region_name=box.region,
                              aws_access_key_id=session["AccessKeyId"],
                              aws_secret_access_key=session["SecretAccessKey"],
                              aws_session_token=session["SessionToken"])
    assume = {"RoleArn": PROD_ADMIN, "RoleSessionName": "alice", "SourceIdentity": "alice"}
    assert refusal(as_session.assume_role, SerialNumber=serial, TokenCode=code, **assume) == denied  # used
    as_session.assume_role(SerialNumber=serial, TokenCode=alice.code(), **assume)

    offset = clock_offset(box.endpoint)
    assert box.advance_clock(0) == offset
    assert box.advance_clock(901) == offset + 901
    assert refusal(as_session.get_caller_identity)[1] == "ExpiredToken"
    with pytest.raises(SandboxError, match="advance must be a number of seconds"):
        box.advance_clock(-1)
    assert clock_offset(box.endpoint) == offset + 901
