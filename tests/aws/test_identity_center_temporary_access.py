"""Temporary access in IAM Identity Center, through the access portal's role credentials against a
sandbox in this process (docs/temporary-access.md, "IAM Identity Center"): a temporary grant's
permission set works before ``until`` and refuses every request after it, with the credentials
still unexpired and nothing run in between; ending a person's sessions refuses theirs at once and
no one else's. Time moves by the sandbox's clock: no test sleeps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from awsroles.identity_center.temporary import permission_set_name
from awsroles.org.temporary import format_time
from awsroles.sandbox.client import SandboxError, advance_clock, approve_device, sso_start_url
from awsroles.sandbox.process import Sandbox
from awsroles.sandbox.server import clock
from awsroles.sync.engine import Engine
from tests.aws.test_sso_sandbox import DEV, DEVICE_GRANT, MGMT, ORG, PROD, REGION, SCOPES

GRANT = "t-incident-bob-prod"


def client(endpoint: str, service: str, credentials: dict[str, Any] | None = None) -> Any:
    if credentials is None:
        return boto3.Session(aws_access_key_id="fake", aws_secret_access_key="fake", region_name=REGION).client(
            service, endpoint_url=endpoint, config=Config(signature_version=UNSIGNED))
    return boto3.Session(aws_access_key_id=credentials["accessKeyId"],
                         aws_secret_access_key=credentials["secretAccessKey"],
                         aws_session_token=credentials["sessionToken"], region_name=REGION).client(
        service, endpoint_url=endpoint)


@contextlib.contextmanager
def applied_sandbox(org_path: Path, now: datetime | None = None) -> Iterator[Sandbox]:
    """A sandbox in this process seeded from ``org_path`` and applied (at ``now``: the engine's clock
    for temporary grants), with AWS managed policies loaded and apply's status polls not waiting."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        mp.setattr("awsroles.identity_center.runner.STATUS_FIRST", 0.0)
        with Sandbox(org_path, in_process=True) as box:
            engine = Engine(box.org, box.aws(), **({"clock": lambda: now} if now is not None else {}))
            result = engine.apply(engine.plan())
            assert result.ok, "\n".join(result.summary())
            yield box


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[Sandbox, datetime]]:
    """A sandbox with the org applied, bob granted readonly in prod for one hour from now, and alice
    in team backend too (readonly in dev)."""
    now = datetime.fromtimestamp(clock.sandbox_time(), timezone.utc).replace(microsecond=0)
    until = now + timedelta(hours=1)
    text = ORG.replace("members = bob", "members = bob, alice") + (
        f"\n[temporary {GRANT}]\nuser = bob\nenvironment = prod\nrole = readonly\n"
        f"until = {format_time(until)}\nreason = INC-1234\n")
    (tmp_path / "org.ini").write_text(text)
    with applied_sandbox(tmp_path / "org.ini", now) as box:
        yield box, until


def sign_in(box: Sandbox, user: str) -> str:
    """The device flow as ``user``: the access token."""
    oidc = client(box.endpoint, "sso-oidc")
    registered = oidc.register_client(clientName="awsroles-test", clientType="public", scopes=SCOPES)
    device = oidc.start_device_authorization(clientId=registered["clientId"],
                                             clientSecret=registered["clientSecret"],
                                             startUrl=sso_start_url(box.endpoint, MGMT, REGION))
    approve_device(box.endpoint, device["userCode"], user)
    return str(oidc.create_token(clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                                 grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])["accessToken"])


def test_the_grants_permission_set_refuses_everything_after_until_with_nothing_run(
        sandbox: tuple[Sandbox, datetime]) -> None:
    box, until = sandbox
    portal = client(box.endpoint, "sso")
    token = sign_in(box, "bob")
    role = permission_set_name(GRANT)
    assert [r["roleName"] for r in portal.list_account_roles(accessToken=token, accountId=PROD)["roleList"]] == [role]
    advance_clock(box.endpoint, 30 * 60)  # half-way: credentials for the hour the permission set allows
    credentials = portal.get_role_credentials(accessToken=token, accountId=PROD, roleName=role)["roleCredentials"]
    assert credentials["expiration"] / 1000 > until.timestamp() + 20 * 60  # they outlive the grant...
    iam = client(box.endpoint, "iam", credentials)
    assert iam.list_roles()["Roles"]  # ReadOnlyAccess, the role's policy
    advance_clock(box.endpoint, 30 * 60 + 1)  # one second after until
    with pytest.raises(ClientError) as refused:
        iam.list_roles()  # ... but the window's Deny refuses them
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # until the next apply removes the assignment, the portal still hands out credentials: refused as well
    later = portal.get_role_credentials(accessToken=sign_in(box, "bob"), accountId=PROD,
                                        roleName=role)["roleCredentials"]
    with pytest.raises(ClientError) as again:
        client(box.endpoint, "iam", later).list_roles()
    assert again.value.response["Error"]["Code"] == "AccessDenied"


def test_ending_bobs_sessions_refuses_his_credentials_at_once_and_not_alices_or_his_next(
        sandbox: tuple[Sandbox, datetime]) -> None:
    from awsroles.sync.end_sessions_ic import prepare, write

    box, _ = sandbox
    portal = client(box.endpoint, "sso")
    bob, alice = (portal.get_role_credentials(accessToken=sign_in(box, person), accountId=DEV,
                                              roleName="readonly")["roleCredentials"] for person in ("bob", "alice"))
    assert client(box.endpoint, "iam", bob).list_roles()["Roles"]
    advance_clock(box.endpoint, 1)
    now = datetime.fromtimestamp(clock.sandbox_time(), timezone.utc)
    engine = Engine(box.org, box.aws(), clock=lambda: now)
    runner = engine.identity_center_runner()
    assert write(runner, prepare(box.org, runner, [("dev", "readonly")], ["bob"], now))
    with pytest.raises(ClientError) as refused:
        client(box.endpoint, "iam", bob).list_roles()
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert client(box.endpoint, "iam", alice).list_roles()["Roles"]  # the same permission set, not revoked
    advance_clock(box.endpoint, 2)
    again = portal.get_role_credentials(accessToken=sign_in(box, "bob"), accountId=DEV,
                                        roleName="readonly")["roleCredentials"]
    assert client(box.endpoint, "iam", again).list_roles()["Roles"]  # issued after: not affected


def test_offboarding_bob_ends_his_sessions_and_his_portal_at_once_and_not_alices(
        sandbox: tuple[Sandbox, datetime], monkeypatch: pytest.MonkeyPatch) -> None:
    """`users offboard` in an org on Identity Center alone: the credentials bob holds are refused at
    once, his portal token no longer gets him any, he cannot sign in again, and alice, in his team's
    permission set, is not affected; the org file no longer has him. Refused first, with nothing
    changed, while a [temporary] section names him; `users disable` refuses with what to do instead."""
    import contextlib
    import io

    from awsroles.cli.app import App
    from awsroles.cli.runner import run

    box, _ = sandbox
    portal = client(box.endpoint, "sso")
    token = sign_in(box, "bob")
    bob = portal.get_role_credentials(accessToken=token, accountId=DEV, roleName="readonly")["roleCredentials"]
    alice = portal.get_role_credentials(accessToken=sign_in(box, "alice"), accountId=DEV,
                                        roleName="readonly")["roleCredentials"]
    assert client(box.endpoint, "iam", bob).list_roles()["Roles"]
    advance_clock(box.endpoint, 1)
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)

    def offboard() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(["users", "offboard", "bob", "--yes"], App(stdout=out, stderr=err))
        return code, out.getvalue(), err.getvalue()

    text = box.org_path.read_text()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["users", "disable", "bob"], App(stdout=out, stderr=err))
    assert code == 2 and err.getvalue().count("\n") == 1  # the Identity Store cannot disable a user: it says so
    assert "in an org on Identity Center alone, disable bob in the IAM Identity Center console" in err.getvalue()
    code, _, err = offboard()  # his temporary grant still names him: refused before anything changes
    assert code == 2 and err.count("\n") == 1, err
    assert f"refusing to offboard 'bob': without them the org file would not be valid ({box.org_path}:" in err
    assert "undefined user 'bob' in [temporary t-incident-bob-prod]" in err
    assert box.org_path.read_text() == text
    assert client(box.endpoint, "iam", bob).list_roles()["Roles"]  # his sessions were not touched either
    box.org_path.write_text(text[:text.index("[temporary ")])
    code, out, err = offboard()
    assert code == 0, err
    assert "  - remove bob from Identity Center group team-backend\n  - delete Identity Center user bob\n" in out
    assert "[user bob]" not in box.org_path.read_text()
    with pytest.raises(ClientError) as refused:
        client(box.endpoint, "iam", bob).list_roles()
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as portal_refused:
        portal.get_role_credentials(accessToken=token, accountId=DEV, roleName="readonly")
    assert portal_refused.value.response["Error"]["Code"] == "ForbiddenException"  # his portal: nothing
    with pytest.raises(SandboxError, match="has no user 'bob'"):
        sign_in(box, "bob")  # and no new sign-in
    assert client(box.endpoint, "iam", alice).list_roles()["Roles"]
