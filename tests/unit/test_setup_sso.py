"""``awsroles setup`` through IAM Identity Center, without AWS: the portal's (account, permission
set) pairs named as the org file names them, and what is refused before anything is asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from awsroles.creds.portal import PortalRole
from awsroles.creds.setup import SignInRequest, portal_grants, session_name, setup_identity_center
from awsroles.errors import ExitCode, UsageError
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES
from tests.unit.test_identity_center_model import IC
from tests.unit.test_orgfile import valid

MGMT, DEV, PROD = "111111111111", "222222222222", "333333333333"


def test_the_portals_roles_become_grants_in_the_org_files_order() -> None:
    org = valid(IC)
    found = [PortalRole(PROD, "prod", "unused"), PortalRole(PROD, "prod", "admin"), PortalRole(DEV, "dev", "admin"),
             PortalRole(DEV, "dev", "admin")]  # the portal's order; a pair twice (a group and directly)
    grants, others = portal_grants(org, found)
    assert [(g.environment, g.role, g.account_id, g.permission_set, g.role_arn) for g in grants] == [
        ("dev", "admin", DEV, "admin", ""), ("prod", "admin", PROD, "admin", ""),
        ("prod", "unused", PROD, "unused", "")]
    assert grants[0].max_session == 9000  # the role's max_session (2h30m): the permission set's session
    assert others == ()


def test_what_the_org_file_does_not_name_is_reported_not_granted() -> None:
    org = valid(IC)
    found = [PortalRole(DEV, "dev", "AWSAdministratorAccess"),  # made in the console
             PortalRole(MGMT, "mgmt", "admin"),  # the management account holds no environment
             PortalRole("999999999999", "", "admin"),  # another organization's account, nameless
             PortalRole(DEV, "dev", "Admin")]  # names are exact: not the org file's admin
    grants, others = portal_grants(org, found)
    assert grants == ()
    assert others == ("dev/AWSAdministratorAccess", "mgmt/admin", "999999999999/admin", "dev/Admin")


def test_setup_through_identity_center_refuses_an_org_of_iam_users_before_opening_anything(tmp_path: Path) -> None:
    org = load_org(EXAMPLES / "classic.ini")
    touched: list[str] = []

    def nothing(*args: Any, **kwargs: Any) -> Any:
        touched.append("called")
        raise AssertionError("nothing may be opened, asked or saved")

    with pytest.raises(UsageError, match="does not use IAM Identity Center") as refused:
        setup_identity_center(org, tmp_path / "org.ini", SignInRequest(), signin_for=nothing, portal=nothing,  # type: ignore[arg-type]
                              whoami=nothing, open_store=nothing, save=nothing)
    assert refused.value.exit_code == ExitCode.USAGE and touched == []


def test_setup_without_a_start_url_asks_for_one_before_any_sign_in(tmp_path: Path) -> None:
    from awsroles.creds.store.memory import MemoryStore

    org = valid(IC)
    signed: list[str] = []
    with pytest.raises(UsageError, match="identity_center_start_url"):
        setup_identity_center(org, tmp_path / "org.ini", SignInRequest(store="file"),
                              signin_for=lambda config, store: signed.append("sign-in"),  # type: ignore[arg-type,func-returns-value]
                              portal=None, whoami=lambda c, r: None,  # type: ignore[arg-type]
                              open_store=lambda kind: MemoryStore(), save=lambda config: signed.append("saved"))  # type: ignore[arg-type,func-returns-value]
    assert signed == []
    assert session_name(org) == "awsroles-acme"


def test_a_temporary_grants_permission_set_is_its_role_with_its_until_after_a_standing_grant() -> None:
    from datetime import datetime, timezone

    from awsroles.org.temporary import permission_set_name

    grants_text = "".join(f"\n[temporary {i}]\nteam = platform\nenvironment = prod\nrole = admin\nuntil = {until}\n"
                          f"reason = INC-1\n" for i, until in (("t-a", "2026-11-29T18:00:00Z"),
                                                                ("t-b", "2026-11-29T20:00:00Z"),
                                                                ("t-old", "2026-11-29T10:00:00Z")))
    org = valid(IC + grants_text)
    found = [PortalRole(PROD, "prod", permission_set_name("t-a")), PortalRole(PROD, "prod", permission_set_name("t-b")),
             PortalRole(PROD, "prod", "admin"), PortalRole(PROD, "prod", permission_set_name("t-old"))]
    grants, others = portal_grants(org, found, datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc))
    assert [(g.environment, g.role, g.permission_set, g.until, g.max_session) for g in grants] == [
        ("prod", "admin", "admin", "", 9000),
        ("prod", "admin", permission_set_name("t-b"), "2026-11-29T20:00:00Z", 3600),
        ("prod", "admin", permission_set_name("t-a"), "2026-11-29T18:00:00Z", 3600)]
    assert others == (f"prod/{permission_set_name('t-old')}",)  # ended: the next apply removes it
