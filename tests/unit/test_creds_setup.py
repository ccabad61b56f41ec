"""awsroles.creds.setup and awsroles.creds.factory: setup as a library call with every side effect
passed in (fake AWS, an in-memory store, a temp config), and the vendor's wiring from the paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from awsroles import paths
from awsroles.aws import Identity
from awsroles.creds import factory
from awsroles.creds.fastcache import FastCache
from awsroles.creds.model import Credentials
from awsroles.creds.setup import SetupRequest, setup
from awsroles.creds.store import KEYS
from awsroles.creds.store.memory import MemoryStore
from awsroles.creds.userconfig import UserConfig
from awsroles.errors import ExitCode, UsageError
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES

ORG_PATH = EXAMPLES / "classic.ini"
ORG = load_org(ORG_PATH)
ALICE = f"arn:aws:iam::{ORG.ops.id}:user/awsroles/alice"
SERIAL = f"arn:aws:iam::{ORG.ops.id}:mfa/alice"


class FakeAws:
    def __init__(self, arn: str = ALICE, account: str = ORG.ops.id, error: Exception | None = None):
        self.identity, self.error = Identity(account, arn, "AIDA"), error
        self.asked: list[str] = []

    def whoami(self) -> Identity:
        if self.error is not None:
            raise self.error
        return self.identity

    def client(self, service: str) -> Any:
        outer = self

        class Iam:
            def list_mfa_devices(self, UserName: str) -> dict[str, Any]:
                outer.asked.append(UserName)
                return {"MFADevices": [{"SerialNumber": SERIAL}]}

        assert service == "iam"
        return Iam()


class Side:
    """Every side effect setup has, recorded."""

    def __init__(self, tmp_path: Path, aws: FakeAws):
        self.aws, self.store, self.saved = aws, MemoryStore("test store"), []
        self.fast = FastCache(tmp_path / "sessions", tmp_path / "run")
        self.fast.put("old", "role", "role/1/old/alice", Credentials("A", "s", "t", _soon()))
        self.keys: list[tuple[Credentials, str]] = []
        self.config_path = tmp_path / "config.ini"

    def aws_for(self, key: Credentials, region: str) -> FakeAws:
        self.keys.append((key, region))
        return self.aws

    def save(self, config: UserConfig) -> Path:
        self.saved.append(config)
        return self.config_path

    def run(self, request: SetupRequest) -> Any:
        return setup(ORG, ORG_PATH, request, aws_for=self.aws_for, open_store=lambda _kind: self.store,
                     save=self.save, fast=self.fast)


def _soon() -> Any:
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) + timedelta(hours=1)


def test_setup_checks_the_key_then_keeps_it_and_the_grants(tmp_path: Path) -> None:
    side = Side(tmp_path, FakeAws())
    result = side.run(SetupRequest("AKIAALICE", "secret", store="file", mfa_command="ykman", totp_seed="SEED"))
    assert side.keys == [(Credentials("AKIAALICE", "secret"), ORG.region)]  # AWS reached as that key
    assert side.aws.asked == ["alice"]
    (config,) = side.saved
    assert (config.user_name, config.user_arn, config.ops_account_id, config.mfa_serial) == (
        "alice", ALICE, ORG.ops.id, SERIAL)
    assert (config.store, config.mfa_command, config.totp_in_store, config.org_file) == (
        "file", "ykman", True, str(ORG_PATH.resolve()))
    assert result.environments == {"dev": ["admin"], "stage": ["admin"], "prod": ["admin"]}
    assert Credentials.from_json(side.store.get(KEYS, config.key_name) or "") == Credentials("AKIAALICE", "secret")
    assert side.store.get(KEYS, f"totp/{config.key_name}") == "SEED"
    assert side.fast.entries() == []  # grants may have changed
    assert result.config_path == side.config_path and result.store_name == "test store"
    assert "secret" not in repr(SetupRequest("AKIA", "secret", totp_seed="SEED")) and "SEED" not in repr(
        SetupRequest("AKIA", "secret", totp_seed="SEED"))


def test_a_region_of_ones_own(tmp_path: Path) -> None:
    side = Side(tmp_path, FakeAws())
    side.run(SetupRequest("AKIAALICE", "secret", region="eu-west-1"))
    assert side.keys[0][1] == "eu-west-1" and side.saved[0].region == "eu-west-1"
    assert side.store.get(KEYS, f"totp/{side.saved[0].key_name}") is None


@pytest.mark.parametrize(("aws", "message"), [
    (FakeAws(arn=f"arn:aws:sts::{ORG.ops.id}:assumed-role/x/y"), "not an IAM user"),
    (FakeAws(account="999999999999", arn="arn:aws:iam::999999999999:user/alice"), "not the ops account"),
])
def test_a_key_that_is_not_the_persons_stores_nothing(tmp_path: Path, aws: FakeAws, message: str) -> None:
    side = Side(tmp_path, aws)
    with pytest.raises(UsageError, match=message):
        side.run(SetupRequest("AKIAX", "secret"))
    assert side.saved == [] and side.store.keys(KEYS) == [] and side.fast.entries() != []


def test_aws_unreachable_is_exit_7(tmp_path: Path) -> None:
    from botocore.exceptions import EndpointConnectionError

    side = Side(tmp_path, FakeAws(error=EndpointConnectionError(endpoint_url="https://sts.amazonaws.com")))
    with pytest.raises(Exception) as caught:
        side.run(SetupRequest("AKIAX", "secret"))
    assert getattr(caught.value, "exit_code", None) == ExitCode.NETWORK
    assert str(caught.value).startswith("cannot check that key: ")
    assert side.saved == []


def test_the_vendor_is_wired_from_the_paths(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    config = UserConfig(user_name="alice", user_arn=ALICE, ops_account_id=ORG.ops.id, region="eu-west-2",
                        store="plaintext", totp_in_store=True)
    asked: list[str] = []
    vendor = factory.make_vendor(mfa_code="123456", config=config, prompter=asked.append, environ=env)
    assert vendor.lock_dir == Path(paths.lock_dir(env)) == tmp_path / "run" / "awsroles" / "locks"
    assert vendor.fast is not None and vendor.fast.cache_dir == Path(paths.sessions_dir(env))
    assert str(Path(paths.secrets_dir(env)) / "secrets.json") in vendor.store.name
    assert vendor.mfa.code == "123456" and vendor.mfa.prompter is not None and vendor.mfa.totp_seed is not None
    aws = vendor._aws_for(Credentials("ASIAX", "s", "t")) if vendor._aws_for else None
    assert aws is not None and aws.settings.region == "eu-west-2" and aws.max_attempts == 3


def test_a_store_that_cannot_be_used_fails_before_anything_is_sent_to_aws(tmp_path: Path) -> None:
    """`setup --store keyring` on a machine without a keyring: the store's error, and AWS never asked."""
    from awsroles.creds.store.base import StoreError

    class NoKeyring(MemoryStore):
        def get(self, namespace: str, key: str) -> str | None:
            raise StoreError("no keyring is available", "unavailable")

    side = Side(tmp_path, FakeAws())
    side.store = NoKeyring("keyring")
    with pytest.raises(StoreError, match="no keyring"):
        side.run(SetupRequest("AKIAALICE", "secret", store="keyring"))
    assert side.keys == [] and side.aws.asked == [] and side.saved == []
