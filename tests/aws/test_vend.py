"""Vending against moto in-process: one MFA per day, caching, refresh, errors, concurrency."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from awsroles.aws import Aws, AwsSettings
from awsroles.creds.fastcache import FastCache
from awsroles.creds.mfa import MfaSource
from awsroles.creds.model import Credentials
from awsroles.creds.store import KEYS, SESSIONS
from awsroles.creds.userconfig import RoleGrant, UserConfig
from awsroles.creds.vend import Vendor
from awsroles.errors import MfaError, NotGrantedError, UsageError


class DictStore:
    name = "memory"

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}
        self.lock = threading.Lock()

    def get(self, namespace: str, key: str) -> str | None:
        return self.data.get((namespace, key))

    def set(self, namespace: str, key: str, value: str) -> None:
        with self.lock:
            self.data[(namespace, key)] = value

    def delete(self, namespace: str, key: str) -> None:
        self.data.pop((namespace, key), None)

    def keys(self, namespace: str) -> list[str]:
        return sorted(k for n, k in self.data if n == namespace)


GRANTS = (
    RoleGrant("dev", "admin", "222222222222", "arn:aws:iam::222222222222:role/awsroles/admin", 3600),
    RoleGrant("prod", "admin", "444444444444", "arn:aws:iam::444444444444:role/awsroles/admin", 3600),
    RoleGrant("prod", "readonly", "444444444444", "arn:aws:iam::444444444444:role/awsroles/readonly", 28800),
)


class Calls:
    """A before-send hook counting STS calls by action; can answer some with an error instead."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.fail: dict[str, tuple[int, bytes]] = {}
        self.lock = threading.Lock()

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        action = next((p.split("=", 1)[1] for p in body.split("&") if p.startswith("Action=")), "?")
        with self.lock:
            self.counts[action] = self.counts.get(action, 0) + 1
            failure = self.fail.pop(action, None)
        if failure is None:
            return None
        status, payload = failure

        class Raw:
            def stream(self, **_: Any) -> Any:
                yield payload

        return AWSResponse(request.url, status, {}, Raw())

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register_first("before-send.sts", self, unique_id=f"calls-{id(self)}")


def error(code: str, message: str) -> bytes:
    return (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>r</RequestId></ErrorResponse>").encode()


@pytest.fixture
def world(moto_aws: None, tmp_path: Path) -> dict[str, Any]:
    store = DictStore()
    config = UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/awsroles/alice",
                        ops_account_id="111111111111", mfa_serial="arn:aws:iam::111111111111:mfa/alice",
                        grants=GRANTS, session_duration=3600)
    store.set(KEYS, config.key_name, Credentials("AKIAALICE", "secret").to_json())
    calls = Calls()
    prompts: list[str] = []
    slow = {"prompt": 0.0}  # seconds a person takes to type the code

    def prompter(message: str) -> str:
        prompts.append(message)
        time.sleep(slow["prompt"])
        return "123456"

    clock = {"now": datetime.now(timezone.utc)}

    def make(**kwargs: Any) -> Vendor:
        mfa = MfaSource(prompter=prompter, interactive=lambda: True)

        def aws_for(credentials: Credentials) -> Aws:
            return Aws.with_keys(AwsSettings(region="us-east-1", max_attempts=2), credentials.access_key_id,
                                 credentials.secret_access_key, credentials.session_token, hooks=[calls.install])

        return Vendor(config, store, mfa=mfa, lock_dir=tmp_path / "locks", aws_for=aws_for,
                      fast=FastCache(tmp_path / "cache", tmp_path / "runtime"), clock=lambda: clock["now"], **kwargs)

    return {"make": make, "calls": calls, "prompts": prompts, "store": store, "clock": clock, "config": config,
            "slow": slow}


def test_one_mfa_code_for_every_role(world: dict[str, Any]) -> None:
    vendor = world["make"]()
    dev = vendor.role_session("dev")
    prod = vendor.role_session("prod", "readonly")
    assert not dev.cached and not prod.cached
    assert world["calls"].counts == {"GetSessionToken": 1, "AssumeRole": 2}
    assert len(world["prompts"]) == 1
    again = world["make"]().role_session("dev")  # a new process: the caches answer
    assert again.cached and again.credentials == dev.credentials
    assert world["calls"].counts == {"GetSessionToken": 1, "AssumeRole": 2}


def test_role_choice_and_not_granted(world: dict[str, Any]) -> None:
    vendor = world["make"]()
    with pytest.raises(UsageError, match=r"several roles in prod \(admin, readonly\): choose with --role"):
        vendor.role_session("prod")
    with pytest.raises(NotGrantedError, match="not granted the role 'developer' in prod; your roles there: "
                                              "admin, readonly"):
        vendor.role_session("prod", "developer")
    with pytest.raises(NotGrantedError, match=r"no role in 'stage'; your environments: dev, prod"):
        vendor.role_session("stage")
    with pytest.raises(NotGrantedError, match=r"no role in 'prd' \(did you mean 'prod'\?\)"):
        vendor.role_session("prd")
    assert world["calls"].counts == {}


def test_refresh_ahead_of_expiry_and_keep_old_when_refresh_fails(world: dict[str, Any]) -> None:
    vendor = world["make"]()
    first = vendor.role_session("dev").credentials
    assert first.expiration is not None
    world["clock"]["now"] = first.expiration - timedelta(minutes=12)  # inside the advisory window
    world["calls"].fail["AssumeRole"] = (400, error("AccessDenied", "nope"))
    kept = vendor.role_session("dev")
    assert kept.cached and kept.credentials == first
    refreshed = vendor.role_session("dev")  # the failure was one-off: now it refreshes
    assert not refreshed.cached and refreshed.credentials != first
    assert refreshed.credentials.expiration is not None
    world["clock"]["now"] = refreshed.credentials.expiration - timedelta(minutes=5)  # past the mandatory threshold
    world["calls"].fail["AssumeRole"] = (400, error("AccessDenied", "nope"))
    with pytest.raises(NotGrantedError, match="AWS refused alice the role admin in dev"):
        vendor.role_session("dev")


def test_wrong_mfa_code_is_a_clear_error_and_nothing_is_cached(world: dict[str, Any]) -> None:
    vendor = world["make"]()
    world["calls"].fail["GetSessionToken"] = (
        403, error("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code."))
    with pytest.raises(MfaError, match="wrong, or already used"):
        vendor.role_session("dev")
    assert world["store"].keys(SESSIONS) == []
    assert vendor.role_session("dev").credentials.session_token


def test_an_expired_mfa_session_is_replaced_with_one_new_code(world: dict[str, Any]) -> None:
    vendor = world["make"]()
    vendor.role_session("dev")
    world["calls"].fail["AssumeRole"] = (403, error("ExpiredToken", "The security token included in the request "
                                                                    "is expired"))
    vendor.role_session("prod", "admin")
    assert world["calls"].counts["GetSessionToken"] == 2
    assert len(world["prompts"]) == 2


def test_no_code_without_a_terminal(world: dict[str, Any], tmp_path: Path) -> None:
    vendor = world["make"]()
    vendor.mfa = MfaSource(interactive=lambda: False, prompter=lambda m: "123456")
    with pytest.raises(MfaError, match="an MFA code is needed"):
        vendor.role_session("dev")


def test_many_threads_at_once_make_one_call_each(world: dict[str, Any]) -> None:
    results: list[Credentials] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            results.append(world["make"]().role_session("dev").credentials)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({c.access_key_id for c in results}) == 1
    assert world["calls"].counts == {"GetSessionToken": 1, "AssumeRole": 1}
    assert len(world["prompts"]) == 1


def test_many_threads_for_different_roles_share_one_mfa_session(world: dict[str, Any]) -> None:
    """Requests for different roles take different role locks, so they meet in ``mfa_session``:
    all of them find no MFA session, one asks for the code (slowly), and the others, once they get
    the lock, must use the session it made: one GetSessionToken, one prompt (docs/credentials.md)."""
    world["slow"]["prompt"] = 0.5
    wanted = [(g.environment, g.role) for g in GRANTS] * 4
    start = threading.Barrier(len(wanted))
    results: dict[tuple[str, str], set[str]] = {}
    errors: list[BaseException] = []

    def one(environment: str, role: str) -> None:
        try:
            vendor = world["make"]()
            start.wait()
            credentials = vendor.role_session(environment, role).credentials
            results.setdefault((environment, role), set()).add(credentials.access_key_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=pair) for pair in wanted]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert world["calls"].counts == {"GetSessionToken": 1, "AssumeRole": len(GRANTS)}
    assert len(world["prompts"]) == 1
    assert sorted(results) == sorted((g.environment, g.role) for g in GRANTS)
    assert all(len(keys) == 1 for keys in results.values())  # one session per role, shared by its threads


def test_secrets_never_in_reprs(world: dict[str, Any]) -> None:
    session = world["make"]().role_session("dev")
    text = repr(session) + str(session.credentials)
    assert session.credentials.secret_access_key not in text
    assert session.credentials.session_token is not None and session.credentials.session_token not in text


def test_an_unknown_mfa_device_says_to_run_setup_again(world: dict[str, Any]) -> None:
    vendor = world["make"]()
    world["calls"].fail["GetSessionToken"] = (403, error(
        "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
                        "serial number is valid and associated with this user."))
    with pytest.raises(MfaError, match="does not know your MFA device arn:aws:iam::111111111111:mfa/alice"):
        vendor.role_session("dev")


def test_a_duration_asked_for_is_honoured_or_refused(world: dict[str, Any]) -> None:
    """`login prod --role readonly --duration 8h` after a 1-hour session: a new 8-hour session, not
    the cached hour; the same request again reuses it; over the role's max_session: refused."""
    vendor = world["make"]()
    hour = vendor.role_session("prod", "readonly")
    assert hour.credentials.remaining(world["clock"]["now"]) < 4000  # about an hour (moto issued it)
    assert vendor.role_session("prod", "readonly", duration=3600).cached  # as long as asked: reused
    longer = vendor.role_session("prod", "readonly", duration=28800)
    assert not longer.cached and longer.credentials.remaining(world["clock"]["now"]) > 3600
    assert vendor.role_session("prod", "readonly", duration=28800).cached
    assert vendor.role_session("prod", "readonly").cached  # no duration asked: the longer one serves
    calls = dict(world["calls"].counts)
    with pytest.raises(UsageError, match=r"a session of 43200s is outside 900\.\.3600 for prod/admin"):
        vendor.role_session("prod", "admin", duration=43200)
    assert world["calls"].counts == calls  # refused before any call


def test_the_fast_cache_heals_from_the_store_after_its_key_is_lost(world: dict[str, Any], tmp_path: Path) -> None:
    """A reboot or logout takes the fast cache's key: the next full call serves the session from the
    store (no STS call, no prompt) and seals it again, so the hot path is fast again at once, not
    only after the session expires."""
    first = world["make"]().role_session("dev")
    (tmp_path / "runtime" / "cache.key").unlink()  # the runtime dir is cleared
    vendor = world["make"]()
    name = vendor.role_session_name(first.grant)
    assert vendor.fast is not None and vendor.fast.get("dev", first.grant.role, name) is None
    again = vendor.role_session("dev")
    assert again.cached and again.credentials == first.credentials
    assert world["calls"].counts == {"GetSessionToken": 1, "AssumeRole": 1} and len(world["prompts"]) == 1
    assert vendor.fast.get("dev", first.grant.role, name) == first.credentials
