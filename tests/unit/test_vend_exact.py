"""Vending, decision by decision (issue 21: the mutation score of awsroles/creds/vend.py).

Which cached session serves and which does not (the mandatory 10-minute and advisory 15-minute
refresh thresholds to the second, a duration asked for, another process's session found after the
lock), the exact GetSessionToken and AssumeRole parameters, one STS call and at most one prompt, the
names sessions are kept under, and each refusal's message. moto answers STS in-process; a
before-send hook records each call's parameters and can answer the next call of an action with an
error, as STS does (docs/credentials.md).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from awsroles.aws import Aws, AwsSettings
from awsroles.creds import vend
from awsroles.creds.fastcache import FastCache
from awsroles.creds.mfa import MfaSource
from awsroles.creds.model import Credentials
from awsroles.creds.store import KEYS, SESSIONS
from awsroles.creds.store.memory import MemoryStore
from awsroles.creds.userconfig import NotSetUp, RoleGrant, UserConfig
from awsroles.creds.vend import RoleSession, Vendor, session_within
from awsroles.errors import AwsrolesError, MfaError, NotGrantedError, UsageError

NOW = datetime.now(timezone.utc).replace(microsecond=0)
SERIAL = "arn:aws:iam::111111111111:mfa/alice"
DEV = RoleGrant("dev", "admin", "222222222222", "arn:aws:iam::222222222222:role/awsroles/admin", 3600)
PROD_ADMIN = RoleGrant("prod", "admin", "444444444444", "arn:aws:iam::444444444444:role/awsroles/admin", 3600)
PROD_RO = RoleGrant("prod", "readonly", "444444444444", "arn:aws:iam::444444444444:role/awsroles/readonly", 28800)
GLASS = RoleGrant("prod", "breakglass", "444444444444", "arn:aws:iam::444444444444:role/awsroles/breakglass", 3600)
CONFIG = UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/awsroles/alice",
                    ops_account_id="111111111111", mfa_serial=SERIAL, grants=(DEV, PROD_ADMIN, PROD_RO),
                    break_glass=(GLASS,), session_duration=3600)
MFA_NAME = f"mfa/111111111111/alice/{SERIAL}"
DEV_NAME = "role/222222222222/admin/alice"
MFA_ASKED = {"DurationSeconds": "43200", "SerialNumber": SERIAL, "TokenCode": "123456"}
DEV_ASKED = {"RoleArn": DEV.role_arn, "RoleSessionName": "alice", "SourceIdentity": "alice", "DurationSeconds": "3600"}


def session(key: str, seconds_left: int) -> Credentials:
    return Credentials(key, f"secret-{key}", f"token-{key}", NOW + timedelta(seconds=seconds_left))


class Sts:
    """A before-send hook on STS: records each call as (action, parameters) and answers the next
    call of an action with the error queued for it, if any."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.fail: dict[str, list[tuple[str, str]]] = {}

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        params = dict(parse_qsl(body))
        action = params.pop("Action")
        params.pop("Version", None)
        self.calls.append((action, params))
        queued = self.fail.get(action)
        if not queued:
            return None
        code, message = queued.pop(0)
        payload = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                   "</Error><RequestId>r</RequestId></ErrorResponse>").encode()

        class Raw:
            def stream(self, **_: Any) -> Iterator[bytes]:
                yield payload

        return AWSResponse(request.url, 403, {}, Raw())

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register_first("before-send.sts", self, unique_id=f"sts-{id(self)}")

    @property
    def actions(self) -> list[str]:
        return [action for action, _ in self.calls]


class OthersWrite(MemoryStore):
    """A store another process writes a session into while this one waits for the lock: right
    after this process first looks for ``name`` (and finds nothing), ``value`` is there."""

    def __init__(self, name: str, value: Credentials) -> None:
        super().__init__()
        self.pending = {name: value.to_json()}

    def get(self, namespace: str, key: str) -> str | None:
        value = super().get(namespace, key)
        if namespace == SESSIONS and key in self.pending:
            self.set(namespace, key, self.pending.pop(key))
        return value


class World:
    def __init__(self, tmp_path: Path, config: UserConfig = CONFIG, store: MemoryStore | None = None,
                 fast: bool = True) -> None:
        self.sts = Sts()
        self.store = store if store is not None else MemoryStore()
        self.store.set(KEYS, config.key_name, Credentials("AKIAALICE", "secret").to_json())
        self.prompts: list[str] = []
        self.now = NOW
        self.fast = FastCache(tmp_path / "cache", tmp_path / "run") if fast else None
        self.vendor = Vendor(config, self.store, mfa=MfaSource(prompter=self._prompt, interactive=lambda: True),
                             lock_dir=tmp_path / "locks", fast=self.fast, aws_for=self._aws, clock=lambda: self.now)

    def _prompt(self, message: str) -> str:
        self.prompts.append(message)
        return "123456"

    def _aws(self, credentials: Credentials) -> Aws:
        return Aws.with_keys(AwsSettings(region="us-east-1", max_attempts=1), credentials.access_key_id,
                             credentials.secret_access_key, credentials.session_token, hooks=[self.sts.install])

    def stored(self, name: str) -> Credentials | None:
        text = self.store.get(SESSIONS, name)
        return Credentials.from_json(text) if text else None


@pytest.fixture(autouse=True)
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # moto in-process, not the dead endpoint
    monkeypatch.setattr(vend, "LOCK_TIMEOUT", 5.0)  # one process here: a lock held longer is a deadlock, not a wait
    with mock_aws():
        yield


# -- names ------------------------------------------------------------------------------------------------


def test_sessions_are_kept_under_the_key_the_device_and_the_role(tmp_path: Path) -> None:
    vendor = World(tmp_path).vendor
    assert vendor.mfa_session_name == MFA_NAME
    assert World(tmp_path, dataclasses.replace(CONFIG, mfa_serial="")).vendor.mfa_session_name == \
        "mfa/111111111111/alice/-"
    assert vendor.role_session_name(DEV) == DEV_NAME
    assert vendor.role_session_name(PROD_RO) == "role/444444444444/readonly/alice"


@pytest.mark.parametrize(("name", "shown"), [
    (MFA_NAME, ("ops", "MFA session")),
    ("mfa/111111111111/alice/arn:aws:iam::111111111111:mfa/old", ("ops", "MFA session")),  # an earlier device
    (DEV_NAME, ("dev", "admin")),
    ("role/444444444444/readonly/alice", ("prod", "readonly")),
    ("role/222222222222/readonly/alice", ("222222222222", "readonly")),  # that role, but not in that account
    ("role/999999999999/admin/alice", ("999999999999", "admin")),  # no longer granted
    ("role/222222222222", ("-", "role/222222222222")),
    ("break-glass/444444444444/breakglass/alice", ("prod", "breakglass (break-glass)")),
    ("break-glass/999999999999/breakglass/alice", ("999999999999", "breakglass (break-glass)")),
    ("break-glass/444444444444", ("-", "break-glass/444444444444")),
    ("signin/444444444444/admin/alice", ("-", "signin/444444444444/admin/alice")),
])
def test_describe_session(tmp_path: Path, name: str, shown: tuple[str, str]) -> None:
    assert World(tmp_path).vendor.describe_session(name) == shown


# -- the long-term key and the MFA session -----------------------------------------------------------------


def test_no_stored_key_says_to_run_setup(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.store.delete(KEYS, CONFIG.key_name)
    with pytest.raises(NotSetUp) as raised:
        world.vendor.role_session("dev")
    assert str(raised.value) == "no access key stored for alice in memory: run `awsroles setup`"
    assert world.sts.calls == [] and world.prompts == []


def test_the_mfa_session_serves_until_ten_minutes_before_its_end(tmp_path: Path) -> None:
    world = World(tmp_path)
    kept = session("ASIAMFA", 601)
    world.store.set(SESSIONS, MFA_NAME, kept.to_json())
    assert world.vendor.mfa_session() == kept
    assert world.sts.calls == [] and world.prompts == []
    world.now = NOW + timedelta(seconds=1)  # 600 s left: the mandatory refresh
    fresh = world.vendor.mfa_session()
    assert fresh != kept and fresh.session_token
    assert world.sts.calls == [("GetSessionToken", MFA_ASKED)]
    assert world.prompts == [f"MFA code for {SERIAL}"]
    assert world.stored(MFA_NAME) == fresh


@pytest.mark.parametrize(("left", "calls"), [(601, []), (600, ["GetSessionToken"])])
def test_an_mfa_session_made_while_waiting_for_the_lock_is_used(tmp_path: Path, left: int, calls: list[str]) -> None:
    """Another process got the MFA session while this one waited: used (no call, no prompt) if it
    has more than the mandatory 10 minutes left."""
    theirs = session("ASIATHEIRS", left)
    world = World(tmp_path, store=OthersWrite(MFA_NAME, theirs))
    got = world.vendor.mfa_session()
    assert world.sts.actions == calls and len(world.prompts) == len(calls)
    assert (got == theirs) is (not calls)


@pytest.mark.parametrize(("max_age", "asked"), [(100, "900"), (900, "900"), (43200, "43200"), (129600, "129600"),
                                                (200000, "129600")])
def test_the_mfa_session_lasts_the_orgs_mfa_max_age_within_what_sts_gives(tmp_path: Path, max_age: int,
                                                                          asked: str) -> None:
    world = World(tmp_path, dataclasses.replace(CONFIG, mfa_max_age=max_age))
    world.vendor.mfa_session()
    assert world.sts.calls == [("GetSessionToken", {**MFA_ASKED, "DurationSeconds": asked})]


def test_without_a_device_mfa_required_refuses_and_mfa_optional_asks_no_code(tmp_path: Path) -> None:
    required = World(tmp_path, dataclasses.replace(CONFIG, mfa_serial=""))
    with pytest.raises(MfaError) as raised:
        required.vendor.role_session("dev")
    assert str(raised.value) == ("your org requires MFA but no MFA device is recorded for you: enrol one, then run "
                                 "`awsroles setup` again")
    assert required.sts.calls == [] and required.prompts == []
    optional = World(tmp_path, dataclasses.replace(CONFIG, mfa_serial="", mfa_required=False))
    optional.vendor.role_session("dev")
    assert optional.sts.calls == [("GetSessionToken", {"DurationSeconds": "43200"}), ("AssumeRole", DEV_ASKED)]
    assert optional.prompts == []


def test_the_calls_are_logged_without_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="awsroles.creds.vend")
    World(tmp_path).vendor.role_session("prod", "readonly", duration=7200)
    assert [r.getMessage() for r in caplog.records] == [
        "GetSessionToken for alice (43200s)",
        f"AssumeRole {PROD_RO.role_arn} as alice (7200s)",
    ]


# -- role sessions: which cached one serves ----------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_a_role_session_serves_until_fifteen_minutes_before_its_end(tmp_path: Path, fast: bool) -> None:
    world = World(tmp_path, fast=fast)
    kept = session("ASIAKEPT", 901)
    world.store.set(SESSIONS, DEV_NAME, kept.to_json())
    assert world.vendor.role_session("dev") == RoleSession(DEV, kept, True)
    assert world.sts.calls == []
    world.now = NOW + timedelta(seconds=1)  # 900 s left: the advisory refresh
    fresh = world.vendor.role_session("dev")
    assert not fresh.cached and fresh.grant == DEV and fresh.credentials != kept
    assert world.sts.calls == [("GetSessionToken", MFA_ASKED), ("AssumeRole", DEV_ASKED)]
    assert world.stored(DEV_NAME) == fresh.credentials
    if world.fast is not None:
        assert world.fast.get("dev", "admin", DEV_NAME) == fresh.credentials


def test_the_fast_cache_answers_before_the_store(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.fast is not None
    fast, stored = session("ASIAFAST", 3000), session("ASIASTORED", 3000)
    world.fast.put("dev", "admin", DEV_NAME, fast)
    world.store.set(SESSIONS, DEV_NAME, stored.to_json())
    assert world.vendor.cached_role_session(DEV) == fast
    assert world.vendor.role_session("dev") == RoleSession(DEV, fast, True)
    assert world.sts.calls == []


@pytest.mark.parametrize(("left", "healed"), [(901, True), (900, False)])
def test_a_fast_cache_miss_is_sealed_again_from_the_store_while_it_serves(tmp_path: Path, left: int,
                                                                            healed: bool) -> None:
    world = World(tmp_path)
    assert world.fast is not None
    stored = session("ASIASTORED", left)
    world.store.set(SESSIONS, DEV_NAME, stored.to_json())
    assert world.vendor.cached_role_session(DEV) == stored
    assert world.fast.get("dev", "admin", DEV_NAME) == (stored if healed else None)
    assert world.sts.calls == []


def test_no_fast_cache_reads_the_store(tmp_path: Path) -> None:
    world = World(tmp_path, fast=False)
    assert world.vendor.cached_role_session(DEV) is None
    stored = session("ASIASTORED", 3000)
    world.store.set(SESSIONS, DEV_NAME, stored.to_json())
    assert world.vendor.cached_role_session(DEV) == stored


def test_a_damaged_stored_session_is_a_miss(tmp_path: Path) -> None:
    world = World(tmp_path, fast=False)
    world.store.set(SESSIONS, DEV_NAME, '{"AccessKeyId": "ASIA"}')
    assert world.vendor.cached_role_session(DEV) is None
    world.store.set(SESSIONS, DEV_NAME, "not json")
    assert world.vendor.cached_role_session(DEV) is None
    world.store.set(SESSIONS, DEV_NAME, "")
    assert world.vendor.cached_role_session(DEV) is None


@pytest.mark.parametrize(("left", "calls"), [(901, []), (900, ["AssumeRole"])])
def test_a_role_session_made_while_waiting_for_the_lock_is_used(tmp_path: Path, left: int, calls: list[str]) -> None:
    theirs = session("ASIATHEIRS", left)
    world = World(tmp_path, fast=False, store=OthersWrite(DEV_NAME, theirs))
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    got = world.vendor.role_session("dev")
    assert world.sts.actions == calls
    assert got.grant == DEV and got.cached is (not calls) and (got.credentials == theirs) is (not calls)


def test_a_good_cached_session_never_waits_for_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds the sessions' locks (it refreshes with --force, a person types a code
    there): a request that finds good cached sessions answers at once, without waiting for it."""
    world = World(tmp_path, fast=False)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    kept = session("ASIAKEPT", 3000)
    world.store.set(SESSIONS, DEV_NAME, kept.to_json())
    monkeypatch.setattr(vend, "LOCK_TIMEOUT", 0.2)
    other = World(tmp_path).vendor  # the same lock folder
    with other._lock(MFA_NAME), other._lock(DEV_NAME):
        assert world.vendor.mfa_session().access_key_id == "ASIAMFA"
        assert world.vendor.role_session("dev") == RoleSession(DEV, kept, True)


@pytest.mark.parametrize(("left", "duration", "cached"), [
    (2700, 3600, True),  # asked for an hour: 45 minutes left is the advisory refresh's margin
    (2699, 3600, False),
    (901, 1800, True),
    (3600, 7200, False),
    (28000, None, True),
])
def test_a_duration_asked_for_is_served_by_a_session_about_that_long(tmp_path: Path, left: int, duration: int | None,
                                                                    cached: bool) -> None:
    world = World(tmp_path)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    name = "role/444444444444/readonly/alice"
    kept = session("ASIAKEPT", left)
    world.store.set(SESSIONS, name, kept.to_json())
    got = world.vendor.role_session("prod", "readonly", duration=duration)
    assert got.cached is cached and (got.credentials == kept) is cached
    assert world.sts.calls == ([] if cached else [("AssumeRole", {
        "RoleArn": PROD_RO.role_arn, "RoleSessionName": "alice", "SourceIdentity": "alice",
        "DurationSeconds": str(duration)})])


def test_force_gets_a_new_session_though_one_is_cached(tmp_path: Path) -> None:
    world = World(tmp_path)
    kept = session("ASIAKEPT", 3000)
    world.store.set(SESSIONS, DEV_NAME, kept.to_json())
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    got = world.vendor.role_session("dev", force=True)
    assert not got.cached and got.credentials != kept
    assert world.sts.calls == [("AssumeRole", DEV_ASKED)]
    assert world.stored(DEV_NAME) == got.credentials


def test_a_failed_refresh_keeps_the_old_session_until_ten_minutes_before_its_end(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    world = World(tmp_path)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    old = session("ASIAOLD", 601)
    world.store.set(SESSIONS, DEV_NAME, old.to_json())
    world.sts.fail["AssumeRole"] = [("AccessDenied", "nope")]
    caplog.set_level(logging.WARNING, logger="awsroles.creds.vend")
    assert world.vendor.role_session("dev") == RoleSession(DEV, old, True)
    assert [r.getMessage() for r in caplog.records] == [
        f"refreshing {DEV_NAME} failed; using the cached session until its mandatory refresh"]
    assert world.stored(DEV_NAME) == old
    world.now = NOW + timedelta(seconds=1)  # 600 s left: never used again
    world.sts.fail["AssumeRole"] = [("AccessDenied", "nope")]
    with pytest.raises(NotGrantedError):
        world.vendor.role_session("dev")


def test_a_failed_refresh_for_a_duration_or_forced_never_falls_back(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    world.store.set(SESSIONS, DEV_NAME, session("ASIAOLD", 800).to_json())
    world.sts.fail["AssumeRole"] = [("AccessDenied", "nope")]
    with pytest.raises(NotGrantedError):
        world.vendor.role_session("dev", duration=3600)
    world.sts.fail["AssumeRole"] = [("AccessDenied", "nope")]
    with pytest.raises(NotGrantedError):
        world.vendor.role_session("dev", force=True)


# -- which role, how long ----------------------------------------------------------------------------------


def test_which_role(tmp_path: Path) -> None:
    vendor = World(tmp_path).vendor
    assert vendor.resolve("dev", None) == DEV
    assert vendor.resolve("prod", "readonly") == PROD_RO
    with pytest.raises(UsageError) as several:
        vendor.resolve("prod", None)
    assert str(several.value) == "you have several roles in prod (admin, readonly): choose with --role"
    with pytest.raises(NotGrantedError) as role:
        vendor.resolve("prod", "developer")
    assert str(role.value) == "you are not granted the role 'developer' in prod; your roles there: admin, readonly"
    with pytest.raises(NotGrantedError) as environment:
        vendor.resolve("prd", None)
    assert str(environment.value) == "you have no role in 'prd' (did you mean 'prod'?); your environments: dev, prod"
    nothing = World(tmp_path, dataclasses.replace(CONFIG, grants=())).vendor
    with pytest.raises(NotGrantedError) as none:
        nothing.resolve("dev", None)
    assert str(none.value) == "you have no role in 'dev'; your environments: none"


@pytest.mark.parametrize(("duration", "refused"), [(899, True), (900, False), (28800, False), (28801, True)])
def test_a_duration_outside_the_roles_range_is_refused_before_any_call(tmp_path: Path, duration: int,
                                                                       refused: bool) -> None:
    world = World(tmp_path)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    world.store.set(SESSIONS, "role/444444444444/readonly/alice", session("ASIAKEPT", 30000).to_json())
    if refused:
        with pytest.raises(UsageError) as raised:
            world.vendor.role_session("prod", "readonly", duration=duration)
        assert str(raised.value) == (f"a session of {duration}s is outside 900..28800 for prod/readonly (its "
                                     "max_session in the org file)")
        assert world.sts.calls == []
    else:
        assert world.vendor.role_session("prod", "readonly", duration=duration).cached


@pytest.mark.parametrize(("configured", "grant", "asked"), [
    (3600, PROD_RO, "3600"),
    (43200, DEV, "3600"),  # the user's default, capped by the role's max_session
    (7200, PROD_RO, "7200"),
])
def test_the_default_session_length(tmp_path: Path, configured: int, grant: RoleGrant, asked: str) -> None:
    world = World(tmp_path, dataclasses.replace(CONFIG, session_duration=configured))
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    world.vendor.role_session(grant.environment, grant.role)
    assert world.sts.calls == [("AssumeRole", {"RoleArn": grant.role_arn, "RoleSessionName": "alice",
                                               "SourceIdentity": "alice", "DurationSeconds": asked})]


def test_a_default_shorter_than_sts_allows_is_refused(tmp_path: Path) -> None:
    world = World(tmp_path, dataclasses.replace(CONFIG, session_duration=600))
    with pytest.raises(UsageError) as raised:
        world.vendor.role_session("dev")
    assert str(raised.value) == "a session of 600s is outside 900..3600 for dev/admin (its max_session in the org file)"


def test_a_temporary_grant_shortens_the_session_to_its_end(tmp_path: Path) -> None:
    until = (NOW + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    grant = dataclasses.replace(PROD_RO, until=until)
    world = World(tmp_path, dataclasses.replace(CONFIG, grants=(grant,), session_duration=28800))
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    world.vendor.role_session("prod")
    assert world.sts.calls == [("AssumeRole", {"RoleArn": grant.role_arn, "RoleSessionName": "alice",
                                               "SourceIdentity": "alice", "DurationSeconds": "7200"})]


def test_session_within_a_naive_clock_or_an_unreadable_end() -> None:
    grant = dataclasses.replace(PROD_RO, until="2026-11-29T18:00:00Z")
    aware = datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)
    assert session_within(grant, 28800, aware.replace(tzinfo=None)) == 7200  # a naive clock is UTC
    assert session_within(grant, 3600, aware) == 3600
    assert session_within(grant, 28800, datetime(2026, 11, 29, 17, 45, 1, tzinfo=timezone.utc)) == 900
    assert session_within(grant, 28800, aware.astimezone(timezone(timedelta(hours=2)))) == 7200  # the same moment
    assert session_within(dataclasses.replace(grant, until="tomorrow"), 28800, aware) == 28800
    assert session_within(dataclasses.replace(grant, until=""), 28800, aware) == 28800


# -- STS's refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId"])
def test_an_mfa_session_sts_no_longer_takes_is_replaced_once(tmp_path: Path, code: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="awsroles.creds.vend")
    world = World(tmp_path)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAOLDMFA", 3600).to_json())
    world.sts.fail["AssumeRole"] = [(code, "The security token included in the request is expired")]
    got = world.vendor.role_session("dev")
    assert not got.cached
    assert world.sts.calls == [("AssumeRole", DEV_ASKED), ("GetSessionToken", MFA_ASKED), ("AssumeRole", DEV_ASKED)]
    assert world.prompts == [f"MFA code for {SERIAL}"]
    assert "the MFA session is no longer valid; getting a new one" in [r.getMessage() for r in caplog.records]
    new = world.stored(MFA_NAME)
    assert new is not None and new.access_key_id != "ASIAOLDMFA"


def test_an_mfa_session_refused_twice_is_an_error(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.sts.fail["AssumeRole"] = [("ExpiredToken", "expired"), ("ExpiredToken", "expired")]
    with pytest.raises(MfaError) as raised:
        world.vendor.role_session("dev")
    assert str(raised.value) == "the MFA session has expired: run the command again to enter a new code"
    assert world.sts.actions == ["GetSessionToken", "AssumeRole", "GetSessionToken", "AssumeRole"]
    assert world.store.get(SESSIONS, DEV_NAME) is None


def test_a_refused_role_says_who_which_role_and_what_to_do(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.sts.fail["AssumeRole"] = [("AccessDenied", "not authorized to perform sts:AssumeRole")]
    with pytest.raises(NotGrantedError) as raised:
        world.vendor.role_session("prod", "admin")
    assert str(raised.value) == ("AWS refused alice the role admin in prod (AccessDenied); if it was granted just "
                                 "now, the admin must run `awsroles apply`")
    assert world.sts.actions == ["GetSessionToken", "AssumeRole"]  # no second try: the MFA session is good
    assert world.store.keys(SESSIONS) == [MFA_NAME]


def test_a_role_refused_after_a_new_mfa_session_still_says_which_role(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAOLDMFA", 3600).to_json())
    world.sts.fail["AssumeRole"] = [("ExpiredToken", "expired"), ("AccessDenied", "not authorized")]
    with pytest.raises(NotGrantedError) as raised:
        world.vendor.role_session("prod", "admin")
    assert str(raised.value).startswith("AWS refused alice the role admin in prod (AccessDenied)")
    assert world.sts.actions == ["AssumeRole", "GetSessionToken", "AssumeRole"]


def test_a_break_glass_session_is_an_assume_role_from_the_mfa_session_with_its_parameters(tmp_path: Path) -> None:
    """The IAM users' way (Identity Center's: tests/e2e/test_break_glass_identity_center.py): the
    parameters as given, and a refusal names what was asked."""
    world = World(tmp_path)
    grant = RoleGrant("prod", "breakglass", "444444444444", "arn:aws:iam::444444444444:role/awsroles/breakglass", 3600)
    params = {"RoleArn": grant.role_arn, "RoleSessionName": "alice", "SourceIdentity": "alice",
              "DurationSeconds": 900, "Tags": [{"Key": "awsroles:reason", "Value": "INC-1"}]}
    got = world.vendor.assume_break_glass(grant, params, "the break-glass role breakglass in prod")
    assert got.access_key_id
    action, asked = world.sts.calls[-1]
    assert action == "AssumeRole" and asked["RoleArn"] == grant.role_arn and asked["SourceIdentity"] == "alice"
    assert asked["Tags.member.1.Key"] == "awsroles:reason" and asked["DurationSeconds"] == "900"
    world.sts.fail["AssumeRole"] = [("AccessDenied", "not authorized")]
    with pytest.raises(NotGrantedError) as raised:
        world.vendor.assume_break_glass(grant, params, "the break-glass role breakglass in prod")
    assert str(raised.value).startswith("AWS refused alice the break-glass role breakglass in prod (AccessDenied)")


def test_another_assume_role_error_is_named_with_its_call(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.sts.fail["AssumeRole"] = [("ValidationError", "bad duration")]
    with pytest.raises(AwsrolesError) as raised:
        world.vendor.role_session("dev")
    assert type(raised.value) is AwsrolesError
    assert str(raised.value) == "AssumeRole: ValidationError: bad duration"
    assert world.sts.actions == ["GetSessionToken", "AssumeRole"]


@pytest.mark.parametrize(("code", "message", "error", "said"), [
    ("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial "
     "number is valid and associated with this user.", MfaError,
     f"AWS does not know your MFA device {SERIAL}: it may have been replaced; run `awsroles setup` again"),
    ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", MfaError,
     "AWS refused the MFA code: wrong, or already used (wait for the next one)"),
    ("MultiFactorAuthentication", "invalid code", MfaError,
     "AWS refused the MFA code: wrong, or already used (wait for the next one)"),
    ("ExpiredToken", "expired", MfaError, "the MFA session has expired: run the command again to enter a new code"),
    ("ExpiredTokenException", "expired", MfaError,
     "the MFA session has expired: run the command again to enter a new code"),
    ("AccessDenied", "not allowed", AwsrolesError, "GetSessionToken: AccessDenied: not allowed"),
    ("InvalidClientTokenId", "The security token included in the request is invalid.", AwsrolesError,
     "GetSessionToken: your stored access key was refused (InvalidClientTokenId); it may have been rotated or "
     "deleted: run `awsroles setup` again"),
    ("SignatureDoesNotMatch", "bad signature", AwsrolesError,
     "GetSessionToken: your stored access key was refused (SignatureDoesNotMatch); it may have been rotated or "
     "deleted: run `awsroles setup` again"),
])
def test_what_a_get_session_token_refusal_means(tmp_path: Path, code: str, message: str, error: type[Exception],
                                                said: str) -> None:
    world = World(tmp_path)
    world.sts.fail["GetSessionToken"] = [(code, message)]
    with pytest.raises(AwsrolesError) as raised:
        world.vendor.role_session("dev")
    assert type(raised.value) is error and str(raised.value) == said
    assert world.sts.actions == ["GetSessionToken"]
    assert world.store.keys(SESSIONS) == []


def test_an_unknown_device_without_a_serial_says_none(tmp_path: Path) -> None:
    world = World(tmp_path, dataclasses.replace(CONFIG, mfa_serial="", mfa_required=False))
    world.sts.fail["GetSessionToken"] = [("AccessDenied", "MultiFactorAuthentication failed: check the serial number")]
    with pytest.raises(MfaError) as raised:
        world.vendor.role_session("dev")
    assert str(raised.value) == ("AWS does not know your MFA device (none): it may have been replaced; run "
                                 "`awsroles setup` again")


def test_access_denied_on_assume_role_without_mfa_words_is_not_granted(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.store.set(SESSIONS, MFA_NAME, session("ASIAMFA", 3600).to_json())
    world.sts.fail["AssumeRole"] = [("AccessDeniedException", "denied")]
    with pytest.raises(NotGrantedError) as raised:
        world.vendor.role_session("dev")
    assert str(raised.value) == ("AWS refused alice the role admin in dev (AccessDeniedException); if it was "
                                 "granted just now, the admin must run `awsroles apply`")


def test_without_a_builder_sts_is_called_as_the_credentials_in_the_users_region(tmp_path: Path) -> None:
    """What ``login`` runs: no ``aws_for``, so the STS client is made from the credentials and the
    region in the user's config (eu-west-1 here), as its signature shows."""
    config = dataclasses.replace(CONFIG, region="eu-west-1")
    vendor = Vendor(config, MemoryStore(), mfa=MfaSource(code="123456"), lock_dir=tmp_path / "locks")
    client = vendor._sts(Credentials("ASIASESSION", "secret", "the-token"))
    signed: list[Any] = []
    client.meta.events.register("before-send.sts", lambda request, **_: signed.append(request.headers))
    client.get_caller_identity()
    (headers,) = signed
    assert "Credential=ASIASESSION/" in headers["Authorization"].decode()
    assert "/eu-west-1/sts/aws4_request" in headers["Authorization"].decode()
    assert headers["X-Amz-Security-Token"] == b"the-token"
