"""Sandboxes for end-to-end tests: a seeded moto server on 127.0.0.1, one per test or per session.

- ``sandbox`` (session): the classic org, shared; tests must not change what others rely on.
- ``fresh_sandbox`` (function): a new, independent server with the classic org, for tests that
  change things.
- ``sandbox_factory`` (function): ``sandbox_factory(org_path)`` for any org file; every sandbox
  it made is stopped after the test.

Each server runs in its own child process (``awsroles.sandbox.process.Sandbox``), so sandboxes share no
moto state with each other or with ``mock_aws`` in this process. Seeded (in ~1 s): the org's
accounts with their own ids and ``Environment`` tags, the bootstrap role in each environment
account, and ``/sandbox/sandbox-admin`` in ops; IAM authorization is on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws, Hook
from awsroles.org.model import Org
from awsroles.sandbox.client import SandboxCredentials
from awsroles.sandbox.process import Sandbox
from tests.conftest import EXAMPLES


class SandboxHandle:
    """A running seeded sandbox, as tests use it."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box

    @property
    def endpoint(self) -> str:
        return self.box.endpoint

    @property
    def org_path(self) -> Path:
        return self.box.org_path.resolve()

    @property
    def org(self) -> Org:
        return self.box.org

    @property
    def region(self) -> str:
        return self.box.region

    @property
    def credentials(self) -> SandboxCredentials:
        """The admin's (``/sandbox/sandbox-admin`` in ops, AdministratorAccess)."""
        return self.box.credentials

    @property
    def variables(self) -> dict[str, str]:
        """Only the sandbox's variables (AWS_ENDPOINT_URL, keys, region, AWSROLES_FILE...)."""
        return self.box.env()

    @property
    def env(self) -> dict[str, str]:
        """For ``subprocess.run(env=...)``: this test's environment without any AWS_*/AWSROLES_*
        variable, plus the sandbox's. Read when asked, so HOME is the test's temporary one."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSROLES_"))}
        return {**base, **self.variables}

    def aws(self, *, hooks: Sequence[Hook] = ()) -> Aws:
        """An :class:`awsroles.aws.Aws` acting as the sandbox admin, in the ops account."""
        return self.box.aws(hooks=hooks)

    def client(self, service: str, account: str | None = None) -> Any:
        """A boto3 client as the admin; ``account``: an account name, environment or id (via the
        bootstrap role), or None for ops."""
        aws = self.aws()
        if account is None:
            return aws.client(service)
        target = next((a for a in self.org.accounts if account in (a.name, a.id, a.environment)), None)
        if target is None:
            raise KeyError(account)
        return aws.client(service, aws.for_account(target.id, self.org.bootstrap_role))


@contextlib.contextmanager
def _isolated(home: Path) -> Iterator[None]:
    """What tests/conftest.py's autouse fixture does, for fixtures wider than one test."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("AWS_", "AWSROLES_")):
                mp.delenv(name)
        mp.setenv("HOME", str(home))
        mp.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """The classic org in a sandbox shared by the whole session. Do not change it."""
    with _isolated(tmp_path_factory.mktemp("sandbox-home")):
        box = Sandbox(EXAMPLES / "classic.ini").start()
    try:
        yield SandboxHandle(box)
    finally:
        box.stop()


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxHandle]]:
    """``sandbox_factory(org_path=None)``: a new seeded sandbox (default: the classic org)."""
    made: list[Sandbox] = []

    def make(org_path: Path | None = None) -> SandboxHandle:
        box = Sandbox(org_path or EXAMPLES / "classic.ini")
        made.append(box)
        return SandboxHandle(box.start())

    try:
        yield make
    finally:
        for box in made:
            box.stop()


@pytest.fixture
def fresh_sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    """A new sandbox with the classic org, for this test only: change anything."""
    return sandbox_factory()
