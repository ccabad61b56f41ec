"""The local pieces of credential vending: user config, fast cache, MFA sources, the hot path."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsroles.creds import hotpath, userconfig
from awsroles.creds.fastcache import FastCache
from awsroles.creds.mfa import MfaSource
from awsroles.creds.model import Credentials
from awsroles.creds.userconfig import NotSetUp, RoleGrant, UserConfig
from awsroles.errors import ExitCode, MfaError, UsageError

SOON = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
CREDS = Credentials("ASIAEXAMPLE", "s3cr3t-value", "t0ken-value", SOON)
CONFIG = UserConfig(
    user_name="alice", user_arn="arn:aws:iam::111111111111:user/awsroles/alice", ops_account_id="111111111111",
    org_name="acme", mfa_serial="arn:aws:iam::111111111111:mfa/alice", org_file="/x/awsroles.ini",
    grants=(RoleGrant("prod", "admin", "444444444444", "arn:aws:iam::444444444444:role/awsroles/admin", 3600),
            RoleGrant("dev", "admin", "222222222222", "arn:aws:iam::222222222222:role/awsroles/admin", 3600),
            RoleGrant("dev", "readonly", "222222222222", "arn:aws:iam::222222222222:role/awsroles/readonly", 28800)),
)


def test_user_config_round_trip_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.ini"
    userconfig.save(CONFIG, path)
    assert userconfig.load(path) == CONFIG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert CONFIG.roles_in("dev") == ["admin", "readonly"] and CONFIG.environments == ["prod", "dev"]


def test_user_config_missing_or_damaged(tmp_path: Path) -> None:
    with pytest.raises(NotSetUp, match="run `awsroles setup`"):
        userconfig.load(tmp_path / "nope.ini")
    bad = tmp_path / "bad.ini"
    bad.write_text("[user]\nname = x\n")
    with pytest.raises(UsageError) as damaged:
        userconfig.load(bad)
    assert type(damaged.value) is UsageError and damaged.value.exit_code == ExitCode.USAGE
    assert str(damaged.value).startswith(f"{bad}: the awsroles user config is damaged (")
    assert str(damaged.value).endswith("); run `awsroles setup` again")


NAME = "role/444444444444/admin/alice"


def test_fast_cache_round_trip_encrypted_at_rest(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", tmp_path / "run")
    cache.put("prod", "admin", NAME, CREDS)
    assert cache.get("prod", "admin", NAME) == CREDS
    assert cache.get("prod", "admin", "role/999999999999/admin/alice") is None  # another account's session
    (entry,) = list((tmp_path / "cache").iterdir())
    assert entry.name == "prod.admin.session"
    raw = entry.read_bytes()
    assert b"s3cr3t-value" not in raw and b"t0ken-value" not in raw
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "run" / "cache.key").stat().st_mode) == 0o600
    assert cache.entries() == [(NAME, SOON)]
    # A new key (a new login session) makes the old files unreadable: a miss, not an error.
    (tmp_path / "run" / "cache.key").unlink()
    assert cache.get("prod", "admin", NAME) is None
    # Tampering is detected.
    cache.put("dev", "x", "x", CREDS)
    target = next(p for p in (tmp_path / "cache").iterdir() if p != entry)
    data = bytearray(target.read_bytes())
    data[-1] ^= 1
    target.write_bytes(bytes(data))
    assert cache.get("dev", "x", "x") is None
    assert cache.clear() == 2


def test_fast_cache_is_off_without_a_runtime_dir(tmp_path: Path) -> None:
    cache = FastCache(tmp_path / "cache", None)
    cache.put("dev", "x", "x", CREDS)
    assert cache.get("dev", "x", "x") is None and not (tmp_path / "cache").exists()


def test_mfa_sources_in_order(tmp_path: Path) -> None:
    assert MfaSource(code="123456")("serial") == "123456"
    script = tmp_path / "code.sh"
    script.write_text("#!/bin/sh\necho 654321\n")
    script.chmod(0o700)
    assert MfaSource(command=str(script))("serial") == "654321"
    import pyotp

    seed = pyotp.random_base32()
    assert MfaSource(totp_seed=lambda: seed, interactive=lambda: False)("serial") == pyotp.TOTP(seed).now()
    asked = []
    source = MfaSource(prompter=lambda m: asked.append(m) or "111222", interactive=lambda: True)
    assert source("arn:mfa") == "111222" and asked == ["MFA code for arn:mfa"]
    with pytest.raises(MfaError, match="not 6 digits"):
        MfaSource(code="12ab56")("serial")
    with pytest.raises(MfaError, match="an MFA code is needed"):
        MfaSource(prompter=lambda m: "1", interactive=lambda: False)("serial")
    failing = tmp_path / "fail.sh"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o700)
    with pytest.raises(MfaError, match="mfa_command exited 3"):
        MfaSource(command=str(failing))("serial")


def test_a_code_is_used_once() -> None:
    source = MfaSource(code="123456", interactive=lambda: False)
    assert source("s") == "123456"
    with pytest.raises(MfaError):
        source("s")


def test_credentials_formats() -> None:
    data = json.loads(CREDS.credential_process())
    assert data == {"Version": 1, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s3cr3t-value",
                    "SessionToken": "t0ken-value", "Expiration": SOON.strftime("%Y-%m-%dT%H:%M:%SZ")}
    env = CREDS.environment()
    assert env["AWS_SESSION_TOKEN"] == env["AWS_SECURITY_TOKEN"] == "t0ken-value"
    assert Credentials.from_json(CREDS.to_json()) == CREDS
    assert "s3cr3t" not in repr(CREDS) and "t0ken" not in f"{CREDS}"


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    userconfig.save(CONFIG)
    return tmp_path


def test_hot_path_answers_from_the_fast_cache(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert hotpath.run(["credential-process", "prod"]) is None  # nothing cached: the full CLI takes over
    FastCache.default().put("prod", "admin", NAME, CREDS)
    assert hotpath.run(["credential-process", "prod"]) == 0
    assert json.loads(capsys.readouterr().out)["AccessKeyId"] == "ASIAEXAMPLE"
    assert hotpath.run(["credential-process", "prod", "--role", "admin"]) == 0
    assert hotpath.run(["credential-process", "prod", "--role=admin"]) == 0
    cache = FastCache.default()
    cache.put("dev", "admin", "a", CREDS)
    cache.put("dev", "readonly", "b", CREDS)
    assert hotpath.run(["credential-process", "dev"]) is None  # two roles there: ask the full CLI
    soon = Credentials("ASIAX", "s", "t", datetime.now(timezone.utc) + timedelta(minutes=10))
    cache.put("stage", "admin", "c", soon)
    assert hotpath.run(["credential-process", "stage"]) is None  # inside the refresh window
    assert hotpath.run(["credential-process", "prod", "--duration", "900"]) is None  # unknown to the hot path
    assert hotpath.run(["login", "prod"]) is None


@pytest.mark.parametrize("layout", ["xdg", "config-dir", "home"])
def test_hot_path_reads_where_the_library_writes(layout: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Both take their directories from awsroles.paths: whatever the environment says, the hot path
    answers from the session the library cached."""
    (tmp_path / "run").mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if layout == "xdg":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    elif layout == "config-dir":
        monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    FastCache.default().put("prod", "admin", NAME, CREDS)
    assert hotpath.run(["credential-process", "prod"]) == 0
    assert json.loads(capsys.readouterr().out)["AccessKeyId"] == "ASIAEXAMPLE"
    expected = {"xdg": tmp_path / "xdg-cache", "config-dir": tmp_path / "cfg" / "cache",
                "home": tmp_path / "home" / ".cache"}[layout]
    assert [p.name for p in expected.rglob("*.session")] == ["prod.admin.session"]


def test_the_fast_aesgcm_is_the_public_one() -> None:
    from cryptography.hazmat.bindings._rust import openssl
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    assert openssl.aead.AESGCM is AESGCM


def test_a_prompt_closed_without_a_code_is_an_mfa_error() -> None:
    def closed(_message: str) -> str:
        raise EOFError("the terminal was closed")

    source = MfaSource(prompter=closed, interactive=lambda: True)
    with pytest.raises(MfaError, match="no MFA code was typed"):
        source("arn:mfa")


def test_an_mfa_command_that_hangs_or_prints_no_code_is_an_mfa_error(tmp_path: Path) -> None:
    slow = tmp_path / "slow.sh"
    slow.write_text("#!/bin/sh\nsleep 5\necho 123456\n")
    slow.chmod(0o700)
    with pytest.raises(MfaError, match=r"^mfa_command failed: TimeoutExpired$"):
        MfaSource(command=str(slow), command_timeout=0.3)("serial")
    chatty = tmp_path / "chatty.sh"
    chatty.write_text("#!/bin/sh\necho '  654321  '\n")
    chatty.chmod(0o700)
    assert MfaSource(command=str(chatty))("serial") == "654321"
    wrong = tmp_path / "wrong.sh"
    wrong.write_text("#!/bin/sh\necho 'code: 654321'\n")
    wrong.chmod(0o700)
    with pytest.raises(MfaError, match="the MFA code from mfa_command is not 6 digits"):
        MfaSource(command=str(wrong))("serial")
