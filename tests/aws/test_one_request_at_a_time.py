"""moto serves one request at a time, in process and in the sandbox server
(:mod:`awsroles.sandbox.server.serial`): ``apply`` sends concurrent IAM requests, which AWS
serves, but which moto's dicts do not survive (``dictionary changed size during iteration``).

Each test slows ``CreateRole`` down inside moto and counts how many are inside at once while
eight threads create roles: without the lock that is several, reliably; with it, one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from moto.iam import models

from awsroles.sandbox.server.main import MotoServer
from awsroles.sandbox.server.serial import patch_one_request_at_a_time

TRUST = '{"Version": "2012-10-17", "Statement": []}'


class Inside:
    """Counts the threads inside moto's ``IAMBackend.create_role`` at once (the most seen)."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()

    def __enter__(self) -> Inside:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        return self

    def __exit__(self, *_: object) -> None:
        with self.lock:
            self.now -= 1


@pytest.fixture
def inside(monkeypatch: pytest.MonkeyPatch) -> Inside:
    counter = Inside()
    original = models.IAMBackend.create_role

    def slow_create_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        with counter:
            time.sleep(0.05)  # long enough for every other thread to arrive
            return original(self, *args, **kwargs)

    monkeypatch.setattr(models.IAMBackend, "create_role", slow_create_role)
    return counter


def create_roles(iam: Any, count: int = 8) -> list[str]:
    def create(n: int) -> str:
        return str(iam.create_role(RoleName=f"role-{n}", AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"])

    with ThreadPoolExecutor(max_workers=count) as pool:
        return sorted(pool.map(create, range(count)))


def test_in_process_moto_serves_one_request_at_a_time(moto_aws: None, inside: Inside) -> None:
    """tests/aws/conftest.py installs the lock with the sandbox's other workarounds."""
    iam = boto3.client("iam", region_name="us-east-1")
    assert create_roles(iam) == [f"role-{n}" for n in range(8)]
    assert inside.most == 1


def test_without_the_lock_the_same_requests_overlap(moto_aws: None, inside: Inside) -> None:
    """What the lock prevents is real: the same threads overlap inside moto without it."""
    from moto.core.botocore_stubber import BotocoreStubber

    undo_all = getattr(BotocoreStubber.__call__, "__wrapped__")  # noqa: B009  (the unwrapped handler)
    original = BotocoreStubber.__call__
    BotocoreStubber.__call__ = undo_all  # type: ignore[method-assign]
    try:
        create_roles(boto3.client("iam", region_name="us-east-1"))
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]
    assert inside.most > 1


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    box = MotoServer()
    box.start()
    try:
        yield f"http://127.0.0.1:{box.port}"
    finally:
        box.stop()


def test_the_sandbox_server_serves_one_request_at_a_time(server: str, inside: Inside) -> None:
    iam = boto3.Session(region_name="us-east-1").client(
        "iam", endpoint_url=server, aws_access_key_id="AKIAFAKEADMIN0000000", aws_secret_access_key="fake")
    assert create_roles(iam) == [f"role-{n}" for n in range(8)]
    assert inside.most == 1


def test_the_patch_is_undone_and_installs_once() -> None:
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    before = (BotocoreStubber.__call__, DomainDispatcherApplication.__call__)
    undo = patch_one_request_at_a_time()
    during = (BotocoreStubber.__call__, DomainDispatcherApplication.__call__)
    again = patch_one_request_at_a_time()  # a sandbox server inside a test that also uses mock_aws
    assert (BotocoreStubber.__call__, DomainDispatcherApplication.__call__) == during
    again()
    undo()
    assert during != before
    assert (BotocoreStubber.__call__, DomainDispatcherApplication.__call__) == before
