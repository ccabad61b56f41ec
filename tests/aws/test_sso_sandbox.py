"""The sandbox answers IAM Identity Center's sign-in as AWS does: SSO OIDC's device authorization
(:mod:`awsroles.sandbox.server.sso_tokens`), the access portal (:mod:`awsroles.sandbox.server.sso_portal`)
and the approval page (:mod:`awsroles.sandbox.server.sso_routes`), driven with boto3's ``sso-oidc``
and ``sso`` clients against a sandbox server in this process (moto has neither API, so
``mock_aws`` cannot answer them). Time moves by the sandbox's clock: no test sleeps."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from awsroles.sandbox.client import SandboxError, advance_clock, approve_device, sandbox_route, sso_start_url
from awsroles.sandbox.process import Sandbox
from awsroles.sandbox.server import sso_tokens
from awsroles.sync.engine import Engine

MGMT, DEV, PROD = "111111111111", "222222222222", "444444444444"
REGION = "us-east-1"
ORG = """\
[org]
name = acme
region = us-east-1
management_account = mgmt
identity = identity-center

[account mgmt]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[account prod]
id = 444444444444
environment = prod

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
max_session = 2h

[role readonly]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess

[team platform]
members = alice
dev = admin
prod = admin

[team backend]
members = bob
dev = readonly

[user alice]
email = alice@acme.example

[user bob]
email = bob@acme.example

[user carol]
email = carol@acme.example
"""
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = ["sso:account:access"]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


@dataclass
class Box:
    endpoint: str
    start_url: str
    admin: Any  # the sandbox's Aws, as its admin

    def client(self, service: str) -> Any:
        return boto3.Session(aws_access_key_id="fake", aws_secret_access_key="fake", region_name=REGION).client(
            service, endpoint_url=self.endpoint, config=Config(signature_version=UNSIGNED))

    def keys_client(self, service: str, credentials: dict[str, Any]) -> Any:
        return boto3.Session(aws_access_key_id=credentials["accessKeyId"],
                             aws_secret_access_key=credentials["secretAccessKey"],
                             aws_session_token=credentials["sessionToken"], region_name=REGION).client(
            service, endpoint_url=self.endpoint)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    """A sandbox in this process with the org applied, and carol assigned readonly in prod directly
    (awsroles assigns teams only)."""
    folder = tmp_path_factory.mktemp("sso")
    (folder / "org.ini").write_text(ORG)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        mp.setattr("awsroles.identity_center.runner.STATUS_FIRST", 0.0)
        sandbox = Sandbox(Path(folder / "org.ini"), in_process=True)
        with sandbox:
            engine = Engine(sandbox.org, sandbox.aws())
            result = engine.apply(engine.plan())
            assert result.ok, "\n".join(result.summary())
            admin = sandbox.aws()
            sso, store = engine.identity_center()
            instance = sso.list_instances()["Instances"][0]
            users = store.list_users(IdentityStoreId=instance["IdentityStoreId"])["Users"]
            carol = next(u["UserId"] for u in users if u["UserName"] == "carol")
            sets = {sso.describe_permission_set(InstanceArn=instance["InstanceArn"], PermissionSetArn=a)
                    ["PermissionSet"]["Name"]: a
                    for a in sso.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"]}
            sso.create_account_assignment(InstanceArn=instance["InstanceArn"], TargetId=PROD, TargetType="AWS_ACCOUNT",
                                          PermissionSetArn=sets["readonly"], PrincipalType="USER", PrincipalId=carol)
            yield Box(sandbox.endpoint, sso_start_url(sandbox.endpoint, MGMT, REGION), admin)


@pytest.fixture(scope="module")
def oidc(box: Box) -> Any:
    return box.client("sso-oidc")


@pytest.fixture(scope="module")
def portal(box: Box) -> Any:
    return box.client("sso")


def register(oidc: Any, scopes: list[str] | None = SCOPES) -> dict[str, Any]:
    extra = {"scopes": scopes} if scopes else {}
    return dict(oidc.register_client(clientName="awsroles-test", clientType="public", **extra))


def start(oidc: Any, box: Box, client: dict[str, Any]) -> dict[str, Any]:
    return dict(oidc.start_device_authorization(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                                startUrl=box.start_url))


def poll(oidc: Any, client: dict[str, Any], device: dict[str, Any]) -> dict[str, Any]:
    return dict(oidc.create_token(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                  grantType=DEVICE_GRANT, deviceCode=device["deviceCode"]))


def refresh(oidc: Any, client: dict[str, Any], token: str) -> dict[str, Any]:
    return dict(oidc.create_token(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                  grantType="refresh_token", refreshToken=token))


def sign_in(oidc: Any, box: Box, user: str = "alice", scopes: list[str] | None = SCOPES) -> tuple[dict[str, Any],
                                                                                                   dict[str, Any]]:
    """The device flow to the end: (the client, CreateToken's answer)."""
    client = register(oidc, scopes)
    device = start(oidc, box, client)
    approve_device(box.endpoint, device["userCode"], user)
    return client, poll(oidc, client, device)


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


# -- SSO OIDC ----------------------------------------------------------------------------------


def test_a_client_registers_for_90_days(oidc: Any) -> None:
    client = register(oidc)
    assert client["clientId"] and client["clientSecret"]
    assert client["clientSecretExpiresAt"] - client["clientIdIssuedAt"] == 90 * 86400


def test_the_device_flow_pending_then_allowed_gives_tokens_once(oidc: Any, box: Box) -> None:
    client = register(oidc)
    device = start(oidc, box, client)
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", device["userCode"])
    assert device["verificationUri"] == f"{box.endpoint}/awsroles-sandbox/sso/device"
    assert device["verificationUriComplete"] == f"{device['verificationUri']}?user_code={device['userCode']}"
    assert (device["expiresIn"], device["interval"]) == (600, 1)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
        poll(oidc, client, device)
    assert pending.value.response["error"] == "authorization_pending"
    approve_device(box.endpoint, device["userCode"].lower(), "alice")
    advance_clock(box.endpoint, 1)
    token = poll(oidc, client, device)
    assert token["tokenType"] == "Bearer" and token["accessToken"] and token["refreshToken"]
    assert token["expiresIn"] == 3600
    advance_clock(box.endpoint, 1)
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # a device code gives tokens once
        poll(oidc, client, device)


def test_polling_sooner_than_the_interval_is_slow_down(oidc: Any, box: Box) -> None:
    client = register(oidc)
    device = start(oidc, box, client)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        poll(oidc, client, device)
    with pytest.raises(oidc.exceptions.SlowDownException) as slow:
        poll(oidc, client, device)
    assert slow.value.response["error"] == "slow_down"
    advance_clock(box.endpoint, 1)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        poll(oidc, client, device)


def test_a_denied_request_is_access_denied(oidc: Any, box: Box) -> None:
    client = register(oidc)
    device = start(oidc, box, client)
    approve_device(box.endpoint, device["userCode"], "alice", allow=False)
    with pytest.raises(oidc.exceptions.AccessDeniedException) as denied:
        poll(oidc, client, device)
    assert denied.value.response["error"] == "access_denied"
    with pytest.raises(SandboxError, match="already answered"):
        approve_device(box.endpoint, device["userCode"], "alice")


def test_a_device_code_expires_after_600_seconds(oidc: Any, box: Box) -> None:
    client = register(oidc)
    device = start(oidc, box, client)
    advance_clock(box.endpoint, 600)
    with pytest.raises(oidc.exceptions.ExpiredTokenException) as expired:
        poll(oidc, client, device)
    assert expired.value.response["error"] == "expired_token"
    with pytest.raises(SandboxError, match="expired"):
        approve_device(box.endpoint, device["userCode"], "alice")


def test_bad_clients_start_urls_and_grants_are_refused(oidc: Any, box: Box) -> None:
    client = register(oidc)
    with pytest.raises(oidc.exceptions.InvalidClientException) as bad:
        oidc.start_device_authorization(clientId=client["clientId"], clientSecret="wrong", startUrl=box.start_url)
    assert bad.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    assert bad.value.response["error"] == "invalid_client"
    with pytest.raises(oidc.exceptions.InvalidRequestException):
        oidc.start_device_authorization(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                        startUrl="https://d-0000000000.awsapps.com/start")
    for suffix in ("/", "#/", "/#/"):  # the portal's own spellings of its URL name the same instance
        oidc.start_device_authorization(clientId=client["clientId"], clientSecret=client["clientSecret"],
                                        startUrl=box.start_url + suffix)
    with pytest.raises(oidc.exceptions.InvalidGrantException) as unknown:
        poll(oidc, client, {"deviceCode": "no-such-code"})
    assert unknown.value.response["error"] == "invalid_grant"
    with pytest.raises(oidc.exceptions.UnsupportedGrantTypeException):
        oidc.create_token(clientId=client["clientId"], clientSecret=client["clientSecret"],
                          grantType="authorization_code", code="x")
    other = register(oidc)
    device = start(oidc, box, client)
    approve_device(box.endpoint, device["userCode"], "alice")
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # another client's device code
        poll(oidc, other, device)


def test_a_registration_expires_after_90_days(oidc: Any, box: Box) -> None:
    client = register(oidc)
    advance_clock(box.endpoint, 90 * 86400)
    with pytest.raises(oidc.exceptions.InvalidClientException):
        start(oidc, box, client)


def test_refresh_gives_new_tokens_and_the_old_refresh_token_is_spent(oidc: Any, box: Box, portal: Any) -> None:
    client, token = sign_in(oidc, box)
    renewed = refresh(oidc, client, token["refreshToken"])
    assert renewed["accessToken"] != token["accessToken"] and renewed["refreshToken"] != token["refreshToken"]
    assert renewed["expiresIn"] == 3600
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(oidc, client, token["refreshToken"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(oidc, client, "aor-unknown")
    assert portal.list_accounts(accessToken=renewed["accessToken"])["accountList"]


def test_tokens_expire_by_the_clock_and_refresh_tokens_with_the_eight_hour_session(
        oidc: Any, box: Box, portal: Any) -> None:
    client, token = sign_in(oidc, box)
    advance_clock(box.endpoint, 3600)
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.list_accounts(accessToken=token["accessToken"])
    latest = refresh(oidc, client, token["refreshToken"])  # refreshing does not lengthen the session
    advance_clock(box.endpoint, 7 * 3600 - 60)
    last = refresh(oidc, client, latest["refreshToken"])
    assert last["expiresIn"] == 60  # no access token outlives the session
    advance_clock(box.endpoint, 60)
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(oidc, client, last["refreshToken"])


def test_a_client_without_scopes_gets_no_refresh_token_and_an_eight_hour_token(oidc: Any, box: Box) -> None:
    _, token = sign_in(oidc, box, scopes=None)
    assert "refreshToken" not in token
    assert token["expiresIn"] == 8 * 3600


# -- the approval page and the start URL -------------------------------------------------------


def test_the_device_page_is_a_form_and_its_post_allows(oidc: Any, box: Box) -> None:
    client = register(oidc)
    device = start(oidc, box, client)
    with OPENER.open(device["verificationUriComplete"]) as reply:
        page = reply.read().decode()
    assert f'value="{device["userCode"]}"' in page and 'value="allow"' in page and 'value="deny"' in page
    form = f"user_code={device['userCode']}&user=bob&action=allow".encode()
    request = urllib.request.Request(device["verificationUri"], data=form, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with OPENER.open(request) as reply:
        assert "bob allowed" in reply.read().decode()
    assert poll(oidc, client, device)["accessToken"]


def test_the_device_route_refuses_unknown_codes_users_and_actions(oidc: Any, box: Box) -> None:
    device = start(oidc, box, register(oidc))
    for user_code, user, action, message in ((device["userCode"], "mallory", "allow", "no user 'mallory'"),
                                             ("BCDF-GHJK", "alice", "allow", "no sign-in request"),
                                             (device["userCode"], "alice", "maybe", "allow.*or.*deny")):
        request = urllib.request.Request(f"{box.endpoint}/awsroles-sandbox/sso/device", method="POST",
                                         headers={"Content-Type": "application/json"},
                                         data=json.dumps({"user_code": user_code, "user": user,
                                                          "action": action}).encode())
        with pytest.raises(urllib.error.HTTPError) as refused:
            OPENER.open(request)
        assert refused.value.code == 400
        assert re.search(message, json.loads(refused.value.read())["error"])


def test_the_start_url_names_the_management_accounts_instance(box: Box) -> None:
    assert re.fullmatch(r"https://d-[0-9a-f]{10}\.awsapps\.com/start", box.start_url)
    with pytest.raises(SandboxError, match="no IAM Identity Center instance"):
        sso_start_url(box.endpoint, DEV, REGION)


# -- the portal --------------------------------------------------------------------------------


def _accounts(portal: Any, token: str) -> dict[str, dict[str, str]]:
    return {a["accountId"]: a for a in portal.get_paginator("list_accounts").paginate(accessToken=token)
            .build_full_result()["accountList"]}


def _roles(portal: Any, token: str, account: str) -> list[str]:
    return [r["roleName"] for r in portal.list_account_roles(accessToken=token, accountId=account)["roleList"]]


def test_the_portal_lists_what_the_user_is_assigned_through_groups_and_directly(
        oidc: Any, box: Box, portal: Any) -> None:
    _, alice = sign_in(oidc, box, "alice")
    _, bob = sign_in(oidc, box, "bob")
    _, carol = sign_in(oidc, box, "carol")
    accounts = _accounts(portal, alice["accessToken"])
    assert sorted(accounts) == [DEV, PROD]
    assert accounts[PROD]["accountName"] == "prod" and accounts[PROD]["emailAddress"]
    assert _roles(portal, alice["accessToken"], PROD) == ["admin"]
    assert sorted(_accounts(portal, bob["accessToken"])) == [DEV]
    assert _roles(portal, bob["accessToken"], DEV) == ["readonly"]
    assert _roles(portal, bob["accessToken"], PROD) == []
    assert sorted(_accounts(portal, carol["accessToken"])) == [PROD]  # assigned directly
    assert _roles(portal, carol["accessToken"], PROD) == ["readonly"]
    page = portal.list_accounts(accessToken=alice["accessToken"], maxResults=1)
    assert len(page["accountList"]) == 1 and page["nextToken"]


def test_role_credentials_work_in_the_account_and_expire_with_the_session_duration(
        oidc: Any, box: Box, portal: Any) -> None:
    _, token = sign_in(oidc, box, "alice")
    at = sso_tokens.clock.sandbox_time()
    credentials = portal.get_role_credentials(accessToken=token["accessToken"], accountId=PROD,
                                              roleName="admin")["roleCredentials"]
    assert abs(credentials["expiration"] / 1000 - (at + 2 * 3600)) < 5  # max_session = 2h, in milliseconds
    sts = box.keys_client("sts", credentials)
    arn = sts.get_caller_identity()["Arn"]
    assert re.fullmatch(rf"arn:aws:sts::{PROD}:assumed-role/AWSReservedSSO_admin_[0-9a-f]{{16}}/alice", arn), arn
    role = box.keys_client("iam", credentials).get_role(RoleName=arn.split("/")[1])["Role"]  # admin may read IAM
    assert role["Path"] == "/aws-reserved/sso.amazonaws.com/"
    advance_clock(box.endpoint, 2 * 3600)
    with pytest.raises(ClientError) as expired:
        sts.get_caller_identity()
    assert code(expired) == "ExpiredToken"


def test_a_role_the_user_is_not_assigned_is_forbidden(oidc: Any, box: Box, portal: Any) -> None:
    _, token = sign_in(oidc, box, "bob")
    for account, role in ((PROD, "admin"), (DEV, "admin"), (DEV, "nosuchrole")):
        with pytest.raises(ClientError) as refused:
            portal.get_role_credentials(accessToken=token["accessToken"], accountId=account, roleName=role)
        assert code(refused) == "ForbiddenException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert refused.value.response["Error"]["Message"] == "No access"
    readonly = portal.get_role_credentials(accessToken=token["accessToken"], accountId=DEV, roleName="readonly")
    assert readonly["roleCredentials"]["accessKeyId"]


def test_logout_ends_the_session_but_not_the_role_credentials(oidc: Any, box: Box, portal: Any) -> None:
    client, token = sign_in(oidc, box, "alice")
    credentials = portal.get_role_credentials(accessToken=token["accessToken"], accountId=DEV,
                                              roleName="admin")["roleCredentials"]
    portal.logout(accessToken=token["accessToken"])
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.list_accounts(accessToken=token["accessToken"])
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(oidc, client, token["refreshToken"])
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.get_role_credentials(accessToken="aoa-unknown", accountId=DEV, roleName="admin")
    assert box.keys_client("sts", credentials).get_caller_identity()["Account"] == DEV


def test_the_sandbox_reset_forgets_every_sign_in(oidc: Any, box: Box, portal: Any) -> None:
    """The module's last test: the reset empties the sandbox."""
    client, token = sign_in(oidc, box, "alice")
    sandbox_route(box.endpoint, "reset", {})
    with pytest.raises(portal.exceptions.UnauthorizedException):
        portal.list_accounts(accessToken=token["accessToken"])
    with pytest.raises(oidc.exceptions.InvalidClientException):
        start(oidc, box, client)
