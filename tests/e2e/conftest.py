"""Sandboxes for end-to-end tests: a seeded moto server on 127.0.0.1, shared where tests only read.

Pick the widest one a test can use (each start costs about a second of CPU, on 2 cores shared by
the whole suite):

- ``sandbox`` (session): the classic org, seeded, not applied; shared: do not change it.
- ``applied_sandbox`` (session): the classic org applied (what ``awsroles apply`` makes); shared:
  only read it.
- ``module_sandbox`` (module): the classic org applied, in a sandbox of this module's own; its
  tests may change it, and see each other's changes in file order.
- ``fresh_sandbox`` (function): a new, independent sandbox with the classic org, not applied,
  for tests that change things.
- ``fresh_applied_sandbox`` (function): the same with the classic org applied.
- ``sandbox_factory`` (function): ``sandbox_factory(org_path)`` for any org file; every sandbox
  it made is stopped after the test.
- ``terraform`` (module): the terraform binary with the local AWS provider, or a skip saying what
  is missing (:mod:`tests.e2e.terraform`).

Session fixtures are per xdist worker: at most one of each per worker process.

Servers are reused: a sandbox a fixture is done with goes back to this worker's pool
(``sandbox_pool``), and the next one it hands out is a pooled server reset and seeded again
(:meth:`awsroles.sandbox.process.Sandbox.reset`: moto's data, the sandbox's clock, MFA codes and
bill, IAM authorization, all as on a new server), which spares starting one (about a second of
CPU each). A server that stopped or fails to reset is not reused. ``awsroles sandbox start`` and
the tests of :class:`~awsroles.sandbox.process.Sandbox` itself start their own.

Each server runs in its own child process (``awsroles.sandbox.process.Sandbox``), so sandboxes share no
moto state with each other or with ``mock_aws`` in this process. Seeded (in ~1 s): the org's
accounts with their own ids and ``Environment`` tags, the bootstrap role in each environment
account, and ``/sandbox/sandbox-admin`` in ops; IAM authorization is on. Applied: through the
library (:class:`awsroles.sync.engine.Engine`, what ``awsroles apply --yes`` runs) as the
sandbox admin, which spares a process; ``tests/e2e/test_plan_apply.py`` runs the command itself.
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
from awsroles.sandbox.client import SandboxCredentials, SandboxError
from awsroles.sandbox.process import Sandbox
from awsroles.sync.engine import Engine
from tests.conftest import EXAMPLES
from tests.e2e.terraform import Terraform, find_terraform

CLASSIC = EXAMPLES / "classic.ini"


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
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "AWSROLES_")) or k == "AWSROLES_SHM_DIR"}
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
        mp.delenv("XDG_RUNTIME_DIR", raising=False)
        mp.setenv("AWSROLES_SHM_DIR", str(home / "shm"))
        mp.setenv("HOME", str(home))
        mp.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


def apply_org(box: SandboxHandle | Sandbox, org: Org | None = None) -> None:
    """Apply ``org`` (default: the sandbox's own) as the sandbox admin, as ``awsroles apply --yes`` does."""
    engine = Engine(org or box.org, box.aws())
    result = engine.apply(engine.plan())
    assert result.ok, result


class SandboxPool:
    """This worker's idle sandbox servers: :meth:`take` hands out one seeded from an org file (a
    pooled server reset and seeded again, else a new one), :meth:`give_back` keeps it for the
    next (stopped if it no longer runs)."""

    def __init__(self) -> None:
        self.idle: list[Sandbox] = []

    def take(self, org_path: Path = CLASSIC, *, bare: bool = False, console: bool = False) -> Sandbox:
        while self.idle:
            box = self.idle.pop()
            with contextlib.suppress(SandboxError):  # reset stops a box it could not reset
                return box.reset(org_path, bare=bare, console=console)
        return Sandbox(org_path, bare=bare, console=console).start()

    def give_back(self, box: Sandbox) -> None:
        if box.running:
            self.idle.append(box)
        else:
            box.stop()

    def close(self) -> None:
        while self.idle:
            self.idle.pop().stop()


@pytest.fixture(scope="session")
def sandbox_pool() -> Iterator[SandboxPool]:
    """This worker's pool of sandbox servers (see the module docstring); all stopped at the end."""
    pool = SandboxPool()
    try:
        yield pool
    finally:
        pool.close()


@contextlib.contextmanager
def _started(pool: SandboxPool, home: Path, org_path: Path = CLASSIC, *,
             applied: bool = False) -> Iterator[SandboxHandle]:
    """A sandbox for a fixture wider than one test: seeded (and applied) with HOME in ``home``."""
    with _isolated(home):
        box = pool.take(org_path)
        try:
            handle = SandboxHandle(box)
            if applied:
                apply_org(handle)
        except BaseException:
            box.stop()
            raise
    try:
        yield handle
    finally:
        pool.give_back(box)


@pytest.fixture(scope="session")
def sandbox(sandbox_pool: SandboxPool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """The classic org in a sandbox shared by the whole session. Do not change it."""
    with _started(sandbox_pool, tmp_path_factory.mktemp("sandbox-home")) as handle:
        yield handle


@pytest.fixture(scope="session")
def applied_sandbox(sandbox_pool: SandboxPool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """The classic org applied, in a sandbox shared by the whole session. Only read it."""
    with _started(sandbox_pool, tmp_path_factory.mktemp("applied-sandbox-home"), applied=True) as handle:
        yield handle


@pytest.fixture(scope="module")
def module_sandbox(sandbox_pool: SandboxPool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """The classic org applied, in this module's own sandbox: its tests may change it, in order."""
    with _started(sandbox_pool, tmp_path_factory.mktemp("module-sandbox-home"), applied=True) as handle:
        yield handle


@pytest.fixture
def sandbox_factory(sandbox_pool: SandboxPool) -> Iterator[Callable[..., SandboxHandle]]:
    """``sandbox_factory(org_path=None, bare=False, console=False)``: a freshly seeded sandbox (default:
    the classic org; ``bare``: its management account alone; ``console``: with a console-made org at
    IAM path /, as ``sandbox start --console-org``)."""
    made: list[Sandbox] = []

    def make(org_path: Path | None = None, *, bare: bool = False, console: bool = False) -> SandboxHandle:
        box = sandbox_pool.take(org_path or CLASSIC, bare=bare, console=console)
        made.append(box)
        return SandboxHandle(box)

    try:
        yield make
    finally:
        for box in made:
            sandbox_pool.give_back(box)


@pytest.fixture
def fresh_sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    """A new sandbox with the classic org, for this test only: change anything."""
    return sandbox_factory()


@pytest.fixture
def fresh_applied_sandbox(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    """A new sandbox with the classic org applied, for this test only: change anything."""
    box = sandbox_factory()
    apply_org(box)
    return box


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    """terraform with the local AWS provider plugin directory; skipped, saying what is missing, without them."""
    return find_terraform(tmp_path_factory.mktemp("terraform"))
