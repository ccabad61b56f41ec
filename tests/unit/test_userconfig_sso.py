"""What an Identity Center sign-in keeps in the person's config (and reads back), what an older
IAM-users config still means, and the org file's ``identity_center_start_url``."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsroles.creds import userconfig
from awsroles.creds.setup import start_url_of
from awsroles.creds.userconfig import IAM_USERS, IDENTITY_CENTER, RoleGrant, UserConfig
from awsroles.errors import ExitCode, OrgFileError, UsageError
from awsroles.org.parse import load_org
from tests.unit.test_identity_center_model import IC
from tests.unit.test_orgfile import errors, line_of, valid

URL = "https://d-1234567890.awsapps.com/start"
SIGNED_IN = UserConfig(
    user_name="alice", user_arn="", ops_account_id="", org_name="acme", region="eu-west-1", mfa_required=False,
    store="file", identity=IDENTITY_CENTER, start_url=URL, sso_region="us-east-2", sso_session="awsroles-acme",
    share_sso_login=True, browser="firefox",
    grants=(RoleGrant("dev", "admin", "222222222222", "", 9000, "admin"),
            RoleGrant("prod", "readonly", "333333333333", "", 3600, "ReadOnly")))

# What `awsroles setup` wrote for an IAM user before Identity Center existed: no identity key.
OLD_IAM_USERS = """\
# awsroles user config: written by `awsroles setup`; no secrets in here.
[user]
name = bob
arn = arn:aws:iam::111111111111:user/awsroles/bob
ops_account_id = 111111111111
org = acme
region = us-east-1
partition = aws
mfa_serial = arn:aws:iam::111111111111:mfa/bob
mfa_required = yes
mfa_max_age = 43200
session_duration = 3600
mfa_command =
store = keyring
totp_in_store = no
org_file = /home/bob/acme.ini
browser = default

[grant dev/developer]
account_id = 222222222222
role_arn = arn:aws:iam::222222222222:role/awsroles/developer
max_session = 3600
"""


def test_an_identity_center_config_round_trips(tmp_path: Path) -> None:
    path = userconfig.save(SIGNED_IN, tmp_path / "config.ini")
    text = path.read_text()
    for line in ("identity = identity-center", f"start_url = {URL}", "sso_region = us-east-2",
                 "sso_session = awsroles-acme", "share_sso_login = yes", "permission_set = ReadOnly"):
        assert line in text.splitlines()
    loaded = userconfig.load(path)
    assert loaded == SIGNED_IN and loaded.identity_center
    assert loaded.grant("prod", "readonly").permission_set == "ReadOnly"  # type: ignore[union-attr]
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_iam_users_config_writes_no_identity_center_keys(tmp_path: Path) -> None:
    path = userconfig.save(userconfig.load(_old(tmp_path)), tmp_path / "again.ini")
    text = path.read_text()
    for key in ("identity", "start_url", "sso_region", "sso_session", "share_sso_login", "permission_set"):
        assert f"\n{key} = " not in text


def _old(tmp_path: Path) -> Path:
    path = tmp_path / "old.ini"
    path.write_text(OLD_IAM_USERS)
    return path


def test_a_config_written_before_identity_center_still_loads_as_iam_users(tmp_path: Path) -> None:
    loaded = userconfig.load(_old(tmp_path))
    assert loaded.identity == IAM_USERS and not loaded.identity_center
    assert loaded.key_name == "111111111111/bob" and loaded.mfa_serial.endswith(":mfa/bob")
    assert (loaded.start_url, loaded.sso_region, loaded.sso_session, loaded.share_sso_login) == ("", "", "", False)
    grant = loaded.grant("dev", "developer")
    assert grant is not None and grant.permission_set == "" and grant.role_arn.endswith(":role/awsroles/developer")


@pytest.mark.parametrize("damage", [
    lambda text: text.replace("browser = default", "browser = default\nidentity = something"),
    lambda text: text.replace("ops_account_id = 111111111111\n", ""),  # an IAM user needs their account
    lambda text: text.replace("max_session = 3600", "max_session = an hour"),
])
def test_a_damaged_config_is_the_damaged_usage_error(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "config.ini"
    path.write_text(damage(OLD_IAM_USERS))  # type: ignore[operator]
    with pytest.raises(UsageError, match=r"config.ini: the awsroles user config is damaged .*run `awsroles setup` "
                                         "again") as damaged:
        userconfig.load(path)
    assert damaged.value.exit_code == ExitCode.USAGE and not isinstance(damaged.value, userconfig.NotSetUp)


def test_identity_something_names_the_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "config.ini"
    path.write_text(OLD_IAM_USERS.replace("browser = default", "browser = default\nidentity = something"))
    with pytest.raises(UsageError, match="identity = something"):
        userconfig.load(path)


# -- the org file's start URL ----------------------------------------------------------------------


def with_url(value: str) -> str:
    return IC.replace("identity = identity-center\n",
                      f"identity = identity-center\nidentity_center_start_url = {value}\n")


@pytest.mark.parametrize("url", [URL, URL + "/", URL + "#/", "https://acme.awsapps.com/start",
                                 "https://sso.acme.example:8443/start"])
def test_a_start_url_in_the_org_file(url: str) -> None:
    org = valid(with_url(url))
    assert org.identity_center_start_url == url
    assert start_url_of(org) == url and start_url_of(org, "https://d-0000000000.awsapps.com/start") != url


@pytest.mark.parametrize("url", ["http://d-1234567890.awsapps.com/start", "d-1234567890.awsapps.com/start",
                                 "https://d-1234567890.awsapps.com/start?x=1", "https://exa mple.com"])
def test_a_bad_start_url_is_a_file_line_error(url: str) -> None:
    text = with_url(url)
    found = errors(text)
    line = line_of(text, "identity_center_start_url")
    assert any(f"org.ini:{line}:" in e and "identity_center_start_url" in e and "access portal URL" in e
               for e in found), found


def test_an_empty_start_url_is_an_error_and_none_asks_for_one(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(with_url(""))
    with pytest.raises(OrgFileError, match=rf"org.ini:{line_of(with_url(''), 'identity_center_start_url')}: "
                                           "identity_center_start_url is empty") as empty:
        load_org(path)
    assert empty.value.exit_code == ExitCode.USAGE
    org = valid(IC)
    with pytest.raises(UsageError, match=r"names no identity_center_start_url.*pass --start-url"):
        start_url_of(org)
    with pytest.raises(UsageError, match="is not an access portal URL"):
        start_url_of(org, "ftp://d-1234567890.awsapps.com/start")
    assert start_url_of(org, URL) == URL


@pytest.mark.parametrize("key", ["start_url", "sso_region", "sso_session"])
def test_an_identity_center_config_without_what_a_sign_in_needs_is_damaged(tmp_path: Path, key: str) -> None:
    """Not a sign-in with an empty start URL or region, which AWS would answer with a puzzle."""
    path = userconfig.save(SIGNED_IN, tmp_path / "config.ini")
    lines = [line for line in path.read_text().splitlines() if not line.startswith(f"{key} = ")]
    for text in ("\n".join(lines) + "\n", path.read_text().replace(f"{key} = ", f"{key} =  \n# was: ")):
        path.write_text(text)
        with pytest.raises(UsageError, match=rf"damaged \(identity = identity-center without {key}\)"):
            userconfig.load(path)
