"""Several orgs on one machine (issue 13, item 4): where each org's settings, secrets and sessions
live, how one is chosen (--org, $AWSROLES_ORG, else the first), and that a profile pinned to one org
is never answered with another org's session."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from awsroles import paths
from awsroles.creds import hotpath, orgs, userconfig
from awsroles.creds.fastcache import FastCache
from awsroles.creds.model import Credentials
from awsroles.creds.profile_specs import credential_process_command, desired_profiles
from awsroles.errors import UsageError
from awsroles.org.entries import Grant
from tests.unit.test_creds_local import CONFIG, CREDS, NAME, SOON

ACME = dataclasses.replace(CONFIG, org_name="acme")
GLOBEX = dataclasses.replace(CONFIG, org_name="globex")
GLOBEX_CREDS = Credentials("ASIAGLOBEX", "globex-secret", "globex-token", SOON)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.delenv(paths.ORG_VAR, raising=False)
    (tmp_path / "run").mkdir()
    return os.environ  # type: ignore[return-value]


def _set_up(config: userconfig.UserConfig, creds: Credentials) -> None:
    """What `awsroles setup` leaves for an org, and `awsroles login prod` in it."""
    beside = orgs.place_for_setup(config.org_name)
    userconfig.save(config)
    FastCache.default(org=config.org_name).put("prod", "admin", NAME, creds)
    os.environ.pop(paths.ORG_VAR, None)
    assert beside == (None if config is ACME else "acme")


def test_the_first_org_stays_where_one_org_always_was_and_the_next_goes_beside_it(
        env: dict[str, str], tmp_path: Path) -> None:
    _set_up(ACME, CREDS)
    _set_up(GLOBEX, GLOBEX_CREDS)
    cfg = tmp_path / "cfg"
    assert (cfg / "config.ini").is_file() and "org = acme" in (cfg / "config.ini").read_text()
    assert "org = globex" in (cfg / "orgs" / "globex" / "config.ini").read_text()
    assert [p.name for p in (cfg / "cache" / "sessions").glob("*.session")] == ["prod.admin.session"]
    assert [p.name for p in (cfg / "cache" / "orgs" / "globex" / "sessions").glob("*.session")] == [
        "prod.admin.session"]
    assert [(o.name, o.first) for o in orgs.set_up_orgs()] == [("acme", True), ("globex", False)]
    assert userconfig.load().org_name == "acme"  # no --org: the first
    env[paths.ORG_VAR] = "globex"
    assert userconfig.load().org_name == "globex"
    assert paths.data_dir() == str(cfg / "data" / "orgs" / "globex")
    env[paths.ORG_VAR] = "acme"  # the first org by name: the top of the folders
    assert userconfig.load().org_name == "acme" and paths.config_dir() == str(cfg)


def test_an_org_not_set_up_here_is_a_usage_error_listing_the_ones_that_are(env: dict[str, str]) -> None:
    _set_up(ACME, CREDS)
    _set_up(GLOBEX, GLOBEX_CREDS)
    env[paths.ORG_VAR] = "initech"
    with pytest.raises(UsageError, match=r"no org 'initech' is set up here \(set up: acme \(the first\), globex\)"):
        userconfig.load()
    env[paths.ORG_VAR] = "../etc"
    with pytest.raises(UsageError, match="bad org name"):
        userconfig.load()


def test_without_a_first_org_the_only_one_is_picked_and_several_must_be_chosen(
        env: dict[str, str], tmp_path: Path) -> None:
    _set_up(ACME, CREDS)
    _set_up(GLOBEX, GLOBEX_CREDS)
    (tmp_path / "cfg" / "config.ini").unlink()  # the first org removed by hand
    assert userconfig.load().org_name == "globex" and env[paths.ORG_VAR] == "globex"
    del env[paths.ORG_VAR]
    third = tmp_path / "cfg" / "orgs" / "initech"
    third.mkdir()
    userconfig.save(dataclasses.replace(CONFIG, org_name="initech"), third / "config.ini")
    with pytest.raises(UsageError, match=r"several orgs are set up here \(globex, initech\): choose one with --org"):
        userconfig.load()


def test_setup_with_an_org_that_is_not_the_org_files_is_refused(env: dict[str, str]) -> None:
    env[paths.ORG_VAR] = "globex"
    with pytest.raises(UsageError, match=r"--org globex .* but the org file is acme's"):
        orgs.place_for_setup("acme")


def test_profiles_name_their_org_and_the_hot_path_keeps_orgs_apart(
        env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    _set_up(ACME, CREDS)
    _set_up(GLOBEX, GLOBEX_CREDS)

    def key(*argv: str) -> str | None:
        if hotpath.run(["credential-process", "prod", *argv]) != 0:
            return None
        return str(json.loads(capsys.readouterr().out)["AccessKeyId"])

    assert key() == "ASIAEXAMPLE"  # no org named: the first, as before several orgs
    assert key("--org", "acme") == "ASIAEXAMPLE"
    assert key("--org=globex") == "ASIAGLOBEX"
    env[paths.ORG_VAR] = "globex"
    assert key() == "ASIAGLOBEX"
    assert key("--org", "acme") == "ASIAEXAMPLE"  # a pinned profile wins over the shell's $AWSROLES_ORG
    assert key("--org", "initech") is None  # not set up: the full CLI explains
    # A session sealed for another org in the first org's place is never served for this one.
    del env[paths.ORG_VAR]
    FastCache.default(org="globex").put("dev", "admin", "x", GLOBEX_CREDS)  # written to acme's folder, marked globex
    assert key() == "ASIAEXAMPLE"
    assert hotpath.run(["credential-process", "dev", "--org", "acme"]) is None
    assert FastCache.default(org="acme").get("dev", "admin", "x") is None


def test_generated_profiles_pin_their_org() -> None:
    line = credential_process_command(["/bin/awsroles"], "prod", "admin", platform="linux", org="globex")
    assert line == "/bin/awsroles credential-process prod --role admin --org globex"
    assert "--org" not in credential_process_command(["/bin/awsroles"], "prod", "admin", platform="linux")
    (profile,) = desired_profiles([Grant("prod", "admin")], org="globex", region=None, command=["/bin/awsroles"],
                                  pin_org="globex", platform="linux")
    assert profile.name == "globex-prod-admin"
    assert dict(profile.options)["credential_process"].endswith("--org globex")
