"""awsroles' Identity Center client against the sandbox's SSO OIDC and portal, in this process:
``setup_identity_center`` (the portal's roles mapped to the org file), the
:class:`~awsroles.creds.sso_vend.IdentityCenterVendor` (one sign-in for every role, its caches,
refusals, refresh and a new sign-in), the sign-in lock under many threads, a wrong start URL and
the factories' wiring. awsroles' own clients reach the sandbox as a person's would: through
``AWS_ENDPOINT_URL`` (botocore's resolution). The person approves each code at once through the
sandbox's device route; waiting moves the sandbox's clock: no test sleeps."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import anonymous
from awsroles.creds import userconfig
from awsroles.creds.fastcache import FastCache
from awsroles.creds.mfa import MfaSource
from awsroles.creds.portal import Portal
from awsroles.creds.setup import SignInRequest, session_name, setup_identity_center
from awsroles.creds.signin import DeviceCode, SignIn, SignInError
from awsroles.creds.sso_token import SharedCache
from awsroles.creds.sso_vend import IdentityCenterVendor
from awsroles.creds.store import SESSIONS
from awsroles.creds.store.memory import MemoryStore
from awsroles.creds.userconfig import IDENTITY_CENTER, RoleGrant, UserConfig
from awsroles.errors import ExitCode, NotGrantedError, UsageError
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sandbox.client import advance_clock, approve_device, sso_start_url
from awsroles.sandbox.process import Sandbox
from awsroles.sync.engine import Engine
from tests.aws.test_sso_sandbox import DEV, MGMT, ORG, PROD, REGION

HANDMADE = "handmade"  # a permission set made in the console, not in the org file


@dataclass
class Box:
    endpoint: str
    start_url: str
    org: Org
    org_path: Path
    sso: Any  # sso-admin as the sandbox admin
    instance_arn: str
    users: dict[str, str]  # Identity Store user name -> id
    sets: dict[str, str]  # permission set name -> ARN

    def assign(self, user: str, account: str, permission_set: str, *, remove: bool = False) -> None:
        call = self.sso.delete_account_assignment if remove else self.sso.create_account_assignment
        call(InstanceArn=self.instance_arn, TargetId=account, TargetType="AWS_ACCOUNT",
             PermissionSetArn=self.sets[permission_set], PrincipalType="USER", PrincipalId=self.users[user])


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    """The org applied in a sandbox in this process, plus a hand-made permission set given to alice
    in dev (awsroles neither made nor names it)."""
    folder = tmp_path_factory.mktemp("signin")
    org_path = folder / "org.ini"
    org_path.write_text(ORG)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        mp.setattr("awsroles.identity_center.runner.STATUS_FIRST", 0.0)
        sandbox = Sandbox(org_path, in_process=True)
        with sandbox:
            engine = Engine(sandbox.org, sandbox.aws())
            result = engine.apply(engine.plan())
            assert result.ok, "\n".join(result.summary())
            sso, store = engine.identity_center()
            instance = sso.list_instances()["Instances"][0]
            users = {u["UserName"]: u["UserId"]
                     for u in store.list_users(IdentityStoreId=instance["IdentityStoreId"])["Users"]}
            handmade = sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name=HANDMADE)
            sets = {sso.describe_permission_set(InstanceArn=instance["InstanceArn"], PermissionSetArn=a)
                    ["PermissionSet"]["Name"]: a
                    for a in sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"]}
            assert sets[HANDMADE] == handmade["PermissionSet"]["PermissionSetArn"]
            found = Box(sandbox.endpoint, sso_start_url(sandbox.endpoint, MGMT, REGION), load_org(org_path),
                        org_path, sso, instance["InstanceArn"], users, sets)
            found.assign("alice", DEV, HANDMADE)
            yield found


@pytest.fixture
def endpoint(box: Box, monkeypatch: pytest.MonkeyPatch) -> str:
    """awsroles' own clients (botocore's endpoint resolution) go to the sandbox."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", box.endpoint)
    return box.endpoint


@dataclass
class Person:
    """Someone of the org on one machine: a secret store, a lock dir and the AWS CLI's cache;
    ``shown`` holds every code awsroles showed them (one per device authorization), each approved
    at once; ``portal_calls`` every GetRoleCredentials."""

    box: Box
    name: str
    home: Path
    store: MemoryStore = field(default_factory=MemoryStore)
    shown: list[DeviceCode] = field(default_factory=list)
    portal_calls: list[str] = field(default_factory=list)
    start_url: str = ""

    def show(self, device: DeviceCode) -> None:
        self.shown.append(device)
        approve_device(self.box.endpoint, device.user_code, self.name)

    def signin(self, config: UserConfig | None = None, store: Any = None) -> SignIn:
        return SignIn(start_url=self.start_url or self.box.start_url, region=REGION,
                      session_name=session_name(self.box.org), store=store or self.store,
                      lock_dir=self.home / "locks", oidc=lambda: anonymous(REGION).client("sso-oidc"), show=self.show,
                      shared=SharedCache(self.home / ".aws" / "sso" / "cache"),
                      sleep=lambda seconds: advance_clock(self.box.endpoint, seconds))

    def portal(self) -> Portal:
        def client() -> Any:
            sso = anonymous(REGION).client("sso")
            sso.meta.events.register("before-parameter-build.sso.GetRoleCredentials",
                                     lambda params, **_: self.portal_calls.append(params["accountId"]))
            return sso

        return Portal(client)

    def fast(self) -> FastCache:
        return FastCache(self.home / "cache", self.home / "runtime", org=self.box.org.name)

    def config(self, *grants: tuple[str, str]) -> UserConfig:
        accounts = {"dev": DEV, "prod": PROD}
        return UserConfig(
            user_name=self.name, user_arn="", ops_account_id="", org_name=self.box.org.name, region=REGION,
            mfa_required=False, store="keyring", identity=IDENTITY_CENTER, start_url=self.box.start_url,
            sso_region=REGION, sso_session=session_name(self.box.org),
            grants=tuple(RoleGrant(env, role, accounts[env], "", self.box.org.role(role).max_session, role)
                         for env, role in grants))

    def vendor(self, *grants: tuple[str, str]) -> IdentityCenterVendor:
        return IdentityCenterVendor(self.config(*grants), self.store, mfa=MfaSource(code=None),
                                    lock_dir=self.home / "locks", fast=self.fast(), signin=self.signin(),
                                    portal=self.portal())


@pytest.fixture
def person(box: Box, endpoint: str, tmp_path: Path) -> Any:
    return lambda name: Person(box, name, tmp_path / name)


def _whoami() -> Any:
    from awsroles.cli.creds import _session_user  # what `awsroles setup` names the person with

    return _session_user


# -- setup --------------------------------------------------------------------------------------


def test_setup_maps_the_portals_roles_to_the_org_file_and_saves_them(box: Box, person: Any, tmp_path: Path) -> None:
    alice: Person = person("alice")
    saved = tmp_path / "cfg" / "config.ini"
    fast = alice.fast()
    assert fast.put("dev", "admin", "role/old", _stale_credentials())
    done = setup_identity_center(
        box.org, box.org_path, SignInRequest(store="file", start_url=box.start_url),
        signin_for=lambda config, store: alice.signin(config, store), portal=alice.portal(), whoami=_whoami(),
        open_store=lambda kind: alice.store, save=lambda config: userconfig.save(config, saved), fast=fast)
    assert len(alice.shown) == 1
    grants = done.config.grants
    assert [(g.environment, g.role, g.account_id, g.permission_set) for g in grants] == [
        ("dev", "admin", DEV, "admin"), ("prod", "admin", PROD, "admin")]
    assert grants[0].max_session == 7200 and grants[0].role_arn == ""
    assert done.not_in_org_file == (f"dev/{HANDMADE}",)
    assert done.config.user_name == "alice"  # the role session's name
    assert done.config.identity == IDENTITY_CENTER and done.config.sso_session == "awsroles-acme"
    assert done.config.start_url == box.start_url and done.config.sso_region == REGION
    assert done.config_path == saved and userconfig.load(saved) == done.config
    assert fast.get("dev", "admin", "role/old") is None  # cleared: grants may have changed
    assert done.as_dict()["not_in_org_file"] == [f"dev/{HANDMADE}"]


def _stale_credentials() -> Any:
    from datetime import timedelta

    from awsroles.creds.model import Credentials, utcnow

    return Credentials("ASIAOLD", "old-secret", "old-token", utcnow() + timedelta(hours=1))


def test_setup_for_a_person_given_nothing_saves_no_grants_and_no_name(box: Box, person: Any, tmp_path: Path) -> None:
    carol: Person = person("carol")  # in the org file's users, on no team: assigned nothing
    done = setup_identity_center(
        box.org, box.org_path, SignInRequest(store="file", start_url=box.start_url),
        signin_for=lambda config, store: carol.signin(config, store), portal=carol.portal(),
        whoami=_whoami(), open_store=lambda kind: carol.store,
        save=lambda config: userconfig.save(config, tmp_path / "config.ini"))
    assert done.config.grants == () and done.config.user_name == "" and carol.portal_calls == []
    assert userconfig.load(tmp_path / "config.ini").identity_center


# -- the vendor -----------------------------------------------------------------------------------


def test_one_sign_in_gives_a_role_session_per_grant_cached_and_in_the_fast_cache(person: Any) -> None:
    alice: Person = person("alice")
    vendor = alice.vendor(("dev", "admin"), ("prod", "admin"))
    dev = vendor.role_session("dev", "admin")
    prod = vendor.role_session("prod")
    assert len(alice.shown) == 1  # one sign-in for both
    assert not dev.cached and not prod.cached and alice.portal_calls == [DEV, PROD]
    assert dev.credentials.access_key_id != prod.credentials.access_key_id
    again = vendor.role_session("prod", "admin")
    assert again.cached and again.credentials == prod.credentials and alice.portal_calls == [DEV, PROD]
    name = vendor.role_session_name(vendor.resolve("prod", "admin"))
    assert alice.fast().get("prod", "admin", name) == prod.credentials
    assert alice.store.get(SESSIONS, "sso/awsroles-acme")  # the sign-in, kept in the store
    assert vendor.describe_session("sso/awsroles-acme") == ("-", "Identity Center sign-in")


def test_duration_is_refused_cache_or_not(person: Any) -> None:
    alice: Person = person("alice")
    vendor = alice.vendor(("prod", "admin"))
    with pytest.raises(UsageError, match="leave --duration out") as refused:
        vendor.role_session("prod", "admin", duration=3600)
    assert refused.value.exit_code == ExitCode.USAGE
    assert alice.shown == [] and alice.portal_calls == []  # refused before any sign-in
    vendor.role_session("prod", "admin")
    with pytest.raises(UsageError, match="permission set"):
        vendor.role_session("prod", "admin", duration=900)


def test_a_revoked_assignment_is_not_granted_naming_role_and_environment(box: Box, person: Any) -> None:
    carol: Person = person("carol")
    box.assign("carol", DEV, "readonly")
    vendor = carol.vendor(("dev", "readonly"))
    assert not vendor.role_session("dev", "readonly").cached
    box.assign("carol", DEV, "readonly", remove=True)
    with pytest.raises(NotGrantedError) as refused:
        vendor.role_session("dev", "readonly", force=True)
    assert refused.value.exit_code == ExitCode.NOT_GRANTED
    assert "does not give carol the role readonly in dev" in str(refused.value)
    assert len(carol.shown) == 1  # a refusal is not a reason to sign in again


def test_an_expired_access_token_is_refreshed_without_a_new_sign_in(box: Box, person: Any) -> None:
    alice: Person = person("alice")
    vendor = alice.vendor(("dev", "admin"))
    vendor.role_session("dev", "admin")
    before = alice.store.get(SESSIONS, "sso/awsroles-acme")
    advance_clock(box.endpoint, 3600)  # AWS's clock: past the access token (awsroles' own still thinks it good)
    fresh = vendor.role_session("dev", "admin", force=True)
    assert not fresh.cached and len(alice.shown) == 1 and alice.portal_calls == [DEV, DEV, DEV]  # refused, then ok
    assert alice.store.get(SESSIONS, "sso/awsroles-acme") != before  # the refreshed token kept


def test_a_sign_in_ended_at_aws_leads_to_one_new_sign_in(box: Box, person: Any) -> None:
    """Logout at AWS ends the Identity Center session: its refresh token goes with it (the portal's
    Logout, https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/API_Logout.html)."""
    alice: Person = person("alice")
    vendor = alice.vendor(("dev", "admin"))
    vendor.role_session("dev", "admin")
    token = vendor.signin.cached()
    assert token is not None
    alice.portal().logout(token.access_token)
    assert not vendor.role_session("dev", "admin", force=True).cached
    assert len(alice.shown) == 2


def test_an_expired_refresh_token_leads_to_a_new_sign_in(box: Box, person: Any) -> None:
    alice: Person = person("alice")
    vendor = alice.vendor(("dev", "admin"))
    vendor.role_session("dev", "admin")
    advance_clock(box.endpoint, 8 * 3600)  # the portal session (8 hours) is over: no refresh either
    assert not vendor.role_session("dev", "admin", force=True).cached
    assert len(alice.shown) == 2


def test_many_threads_without_a_token_cause_one_sign_in(box: Box, person: Any) -> None:
    alice: Person = person("alice")
    grants = (("dev", "admin"), ("prod", "admin"))
    vendors = [alice.vendor(*grants) for _ in range(6)]  # six processes' worth: one store, one lock dir
    start = threading.Barrier(len(vendors))
    results: list[Any] = []

    def work(i: int, vendor: IdentityCenterVendor) -> None:
        start.wait()
        try:
            results.append(vendor.role_session(*grants[i % 2]))
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=work, args=(i, v)) for i, v in enumerate(vendors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(not isinstance(r, Exception) for r in results) and len(results) == 6, results
    assert len(alice.shown) == 1
    assert sorted(alice.portal_calls) == [DEV, PROD]  # one role session per grant, the others from the cache


@pytest.mark.parametrize("start_url", ["https://d-0000000000.awsapps.com/start", "https://example.com/start"])
def test_a_start_url_the_sandbox_does_not_know_says_to_check_the_org_file(person: Any, start_url: str) -> None:
    alice: Person = person("alice")
    alice.start_url = start_url
    with pytest.raises(SignInError, match="identity_center_start_url") as refused:
        alice.signin().token()
    assert start_url in str(refused.value) and refused.value.exit_code == ExitCode.MFA
    assert alice.shown == [] and alice.store.get(SESSIONS, "sso/awsroles-acme") is None


# -- the factories -------------------------------------------------------------------------------


def test_make_vendor_builds_an_identity_center_vendor_that_reaches_the_endpoint(
        person: Any, tmp_path: Path) -> None:
    from awsroles.creds.factory import make_vendor

    alice: Person = person("alice")
    config = alice.config(("prod", "admin"))
    environ = {"HOME": str(tmp_path), "AWSROLES_CONFIG_DIR": str(tmp_path / "cfg"),
               "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    vendor = make_vendor(config=replace(config, store="plaintext"), environ=environ)
    assert isinstance(vendor, IdentityCenterVendor)
    assert (vendor.signin.start_url, vendor.signin.region, vendor.signin.session_name) == (
        alice.box.start_url, REGION, "awsroles-acme")
    token = alice.signin().token()  # signed in elsewhere, kept in this person's store
    vendor.store.set(SESSIONS, vendor.signin.store_name, token.to_json())
    session = vendor.role_session("prod", "admin")
    assert session.credentials.access_key_id and len(alice.shown) == 1


def test_show_device_with_no_terminal_and_captured_output_says_to_log_in_first() -> None:
    program = (
        "from awsroles.creds import terminal\n"
        "from awsroles.creds.factory import show_device\n"
        "from awsroles.creds.signin import DeviceCode, SignInError\n"
        "assert not terminal.available()\n"
        "try:\n"
        "    show_device(DeviceCode('BCDF-GHJK', 'https://x/device', 'https://x/device?c', 600), captured=True)\n"
        "except SignInError as exc:\n"
        "    print(exc.exit_code, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=30,
                          start_new_session=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("4 ") and "run `awsroles login ENV` in a terminal first" in done.stdout
    assert "BCDF-GHJK" not in done.stdout + done.stderr  # nothing shown where nobody looks


# -- the commands, in this process ----------------------------------------------------------------


def invoke(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from awsroles.cli import run
    from awsroles.cli.app import App

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_whoami_status_and_logout_end_the_sign_in_at_aws(
        box: Box, person: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from awsroles.creds.factory import open_user_store
    from awsroles.creds.portal import TokenRefused

    alice: Person = person("alice")
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    userconfig.save(replace(alice.config(("prod", "admin")), store="plaintext"), userconfig.config_path())
    store = open_user_store("plaintext")
    token = alice.signin(store=store).token()  # as `awsroles login` would have
    code, out, err = invoke("whoami", "-o", "json")
    assert code == ExitCode.OK, err
    assert json.loads(out)["signed_in_until"] and json.loads(out)["identity_center"] == box.start_url
    code, out, err = invoke("status", "-o", "json")
    assert code == ExitCode.OK, err
    assert ("-", "Identity Center sign-in") in {(s["environment"], s["role"]) for s in json.loads(out)["sessions"]}

    code, out, err = invoke("logout", "-o", "json")
    assert code == ExitCode.OK, err
    assert json.loads(out)["signed_out"] is True
    assert store.get(SESSIONS, "sso/awsroles-acme") is None
    with pytest.raises(TokenRefused):  # ended at AWS: the token is dead wherever a copy of it is
        alice.portal().roles(token.access_token)
    refreshed = alice.signin()._refresh(token)  # and so is its refresh token
    assert refreshed is None
    code, out, _ = invoke("whoami", "-o", "json")
    assert code == ExitCode.OK and json.loads(out)["signed_in_until"] is None
    code, out, _ = invoke("logout", "-o", "json")  # nothing left to end: still fine
    assert code == ExitCode.OK and json.loads(out)["signed_out"] is False
