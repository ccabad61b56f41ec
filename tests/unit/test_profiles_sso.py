"""``profiles sync --style sso-session``: the ``[sso-session NAME]`` section and profiles with
``sso_session``/``sso_account_id``/``sso_role_name`` that the AWS CLI v2 and the SDKs read
themselves, as botocore itself reads them; switching styles without losing what a person wrote;
a hand-made section of the same name refused; the CLI's refusals."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from pathlib import Path

import botocore.session
import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.creds import userconfig
from awsroles.creds.profile_specs import Profile, SsoGrant, desired_profiles, sso_session_profiles
from awsroles.creds.profile_text import ProfileConflictError, apply_profiles
from awsroles.creds.profiles import sync_profiles
from awsroles.creds.userconfig import IDENTITY_CENTER, RoleGrant, UserConfig
from awsroles.errors import ExitCode
from awsroles.org.entries import Grant

URL = "https://d-1234567890.awsapps.com/start"
DEV, PROD = "222222222222", "444444444444"
GRANTS = (SsoGrant("dev", "admin", DEV, "admin"), SsoGrant("prod", "readonly", PROD, "readonly"))
PERSONS_OWN = """\
# my own settings: keep
[default]
region = eu-west-1

[profile mine]
output = text
"""


def sso_profiles(region: str | None = "eu-west-1") -> tuple[Profile, ...]:
    return sso_session_profiles(GRANTS, org="acme", region=region, session="awsroles-acme", start_url=URL,
                                sso_region="us-east-1")


def process_profiles() -> tuple[Profile, ...]:
    return desired_profiles([Grant(g.environment, g.role) for g in GRANTS], org="acme", region="eu-west-1",
                            command="/usr/bin/awsroles")


def botocore_reads(text: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> botocore.session.Session:
    path.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return botocore.session.Session()


def test_the_sso_session_and_its_profiles_are_written_marked_and_read_by_botocore(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, result = apply_profiles(PERSONS_OWN, sso_profiles(), org="acme")
    assert result.added == ("acme-dev-admin", "acme-prod-readonly", "sso-session awsroles-acme")
    assert text.startswith(PERSONS_OWN)  # the person's own, byte for byte
    assert "[sso-session awsroles-acme]\nawsroles_managed = acme\n" in text
    assert "[profile acme-prod-readonly]\nawsroles_managed = acme\nsso_session = awsroles-acme\n" in text
    session = botocore_reads(text, tmp_path / "config", monkeypatch)
    sso = session.full_config["sso_sessions"]["awsroles-acme"]
    assert (sso["sso_start_url"], sso["sso_region"], sso["sso_registration_scopes"]) == (
        URL, "us-east-1", "sso:account:access")
    prod = session.full_config["profiles"]["acme-prod-readonly"]
    assert (prod["sso_session"], prod["sso_account_id"], prod["sso_role_name"], prod["region"]) == (
        "awsroles-acme", PROD, "readonly", "eu-west-1")
    assert "credential_process" not in prod and "sso_start_url" not in prod  # the session's, not the profile's
    scoped = botocore.session.Session(profile="acme-dev-admin").get_scoped_config()
    assert (scoped["sso_account_id"], scoped["sso_role_name"]) == (DEV, "admin")
    again, same = apply_profiles(text, sso_profiles(), org="acme")
    assert again == text and not same.changed


def test_switching_styles_removes_the_other_styles_keys_and_keeps_the_persons(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = apply_profiles(PERSONS_OWN, process_profiles(), org="acme")
    mine = first.replace("[profile acme-prod-readonly]\n",
                         "[profile acme-prod-readonly]\n# prod: careful\noutput = json\n")
    assert mine != first
    sso, result = apply_profiles(mine, sso_profiles(), org="acme")
    assert result.updated == ("acme-dev-admin", "acme-prod-readonly")
    assert result.added == ("sso-session awsroles-acme",)
    assert "credential_process" not in sso and "# prod: careful\noutput = json\n" in sso
    assert sso.startswith(PERSONS_OWN)
    prod = botocore_reads(sso, tmp_path / "config", monkeypatch).full_config["profiles"]["acme-prod-readonly"]
    assert prod["output"] == "json" and prod["sso_session"] == "awsroles-acme"

    back, result = apply_profiles(sso, process_profiles(), org="acme")
    assert result.removed == ("sso-session awsroles-acme",)
    assert result.updated == ("acme-dev-admin", "acme-prod-readonly")
    for key in ("sso_session", "sso_account_id", "sso_role_name", "sso_start_url", "[sso-session"):
        assert key not in back
    assert "# prod: careful\noutput = json\n" in back and back.startswith(PERSONS_OWN)
    prod = botocore_reads(back, tmp_path / "config", monkeypatch).full_config["profiles"]["acme-prod-readonly"]
    assert prod["output"] == "json" and prod["credential_process"].startswith("/usr/bin/awsroles credential-process")


def test_a_hand_made_sso_session_of_the_same_name_is_a_conflict_and_nothing_is_written(tmp_path: Path) -> None:
    config = tmp_path / "config"
    text = PERSONS_OWN + "\n[sso-session awsroles-acme]\nsso_start_url = https://d-0000000000.awsapps.com/start\n"
    config.write_text(text)
    with pytest.raises(ProfileConflictError, match=r"'sso-session awsroles-acme'.*nothing was written") as refused:
        sync_profiles([], org="acme", region=None, config_file=config, profiles=sso_profiles())
    assert refused.value.exit_code == ExitCode.USAGE
    assert config.read_text() == text
    another_org = text.replace("[sso-session awsroles-acme]\n",
                               "[sso-session awsroles-acme]\nawsroles_managed = other\n")
    with pytest.raises(ProfileConflictError):  # another org's is not ours either
        apply_profiles(another_org, sso_profiles(), org="acme")


# -- the CLI ---------------------------------------------------------------------------------------


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes: object) -> Path:
    """A person's user config in ``tmp_path``; the AWS config file awsroles would write."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    config = UserConfig(user_name="alice", user_arn="", ops_account_id="", org_name="acme", region="eu-west-1",
                        identity=IDENTITY_CENTER, start_url=URL, sso_region="us-east-1", sso_session="awsroles-acme",
                        grants=(RoleGrant("prod", "admin", PROD, "", 3600, "admin"),))
    userconfig.save(replace(config, **changes), userconfig.config_path())  # type: ignore[arg-type]
    aws_config = tmp_path / ".aws" / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_config))
    return aws_config


def test_the_cli_refuses_sso_session_profiles_to_an_iam_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aws_config = person(tmp_path, monkeypatch, identity="iam-users", ops_account_id="111111111111", start_url="",
                        sso_region="", sso_session="")
    code, _, err = invoke("profiles", "sync", "--style", "sso-session")
    assert code == ExitCode.USAGE and "Traceback" not in err
    assert "--style sso-session is for people who sign in through IAM Identity Center" in err
    assert not aws_config.exists()


def test_the_cli_refuses_sso_session_profiles_without_a_shared_sign_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aws_config = person(tmp_path, monkeypatch)
    code, _, err = invoke("profiles", "sync", "--style", "sso-session")
    assert code == ExitCode.USAGE and "Traceback" not in err
    assert "run `awsroles setup --identity-center --share-sso-login` first" in err
    assert not aws_config.exists()


def test_the_cli_writes_sso_session_profiles_for_a_shared_sign_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aws_config = person(tmp_path, monkeypatch, share_sso_login=True)
    code, out, err = invoke("profiles", "sync", "--style", "sso-session")
    assert code == ExitCode.OK, err
    assert "added: sso-session awsroles-acme" in out and "added: acme-prod-admin" in out
    prod = botocore.session.Session(profile="acme-prod-admin").get_scoped_config()
    assert (prod["sso_session"], prod["sso_account_id"], prod["sso_role_name"]) == ("awsroles-acme", PROD, "admin")
    assert aws_config.stat().st_mode & 0o777 == 0o600
