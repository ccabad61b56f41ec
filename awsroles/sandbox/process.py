"""The sandbox: a local AWS on 127.0.0.1 (a moto server), seeded from an org file.

Two ways to run one:

- :class:`Sandbox`: owned by the caller (tests, ``awsroles demo``). By default the moto server
  runs in a child process, so every sandbox has its own state and moto's process-wide settings
  (IAM authorization, ``mock_aws``) are left alone; ``in_process=True`` runs it on a thread here.
- :func:`start_detached` / :func:`stop_detached`: ``awsroles sandbox start|stop``. The server
  outlives the command; what a shell needs to use it is kept in a state file (:func:`state_dir`).

:func:`seed` turns a fresh server into the org: the organization and its accounts with the org
file's own ids, the bootstrap role in each environment account, and an admin IAM user in the
ops account whose access key the sandbox hands out. Then it turns on moto's IAM authorization,
so identity policies are enforced from then on. :func:`enroll_person` then gives a user that
``awsroles apply`` made an access key and a virtual MFA device, as a person would have, and
:func:`advance_clock` moves a running server's clock forward so its sessions expire.

The admin's keys are fake moto keys, valid only against this server; they are kept in the state
file in plaintext (0600 in a 0700 directory) on purpose. Nothing else in awsroles may do that.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsroles import paths
from awsroles.errors import AwsrolesError
from awsroles.fsutil import atomic_write, file_lock, private_dir
from awsroles.iam.checks import load_org
from awsroles.org.model import Account, Org
from awsroles.sandbox.server.main import HOST
from awsroles.sandbox.server.mfa import TOTP_STEP
from awsroles.sandbox.server.patches import account_email
from awsroles.sandbox.server.routes import ROUTES

if TYPE_CHECKING:  # boto3 is imported only where it is used: `sandbox env` and `status` start fast
    import botocore.session

    from awsroles.aws import Aws, Hook

log = logging.getLogger(__name__)

ADMIN_USER = "sandbox-admin"
ADMIN_PATH = "/sandbox/"  # not the org's path: awsroles must never manage (or delete) this user
ENVIRONMENT_TAG = "Environment"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
STATE_FILE = "sandbox.json"
LOG_FILE = "server.log"
LOCK_FILE = "sandbox.lock"
READY_FILE = "ready.json"
SERVER_MODULE = "awsroles.sandbox.server"
_SEED_KEYS = ("sandbox-seed", "sandbox-seed")  # any key works until authorization is on


class SandboxError(AwsrolesError):
    """The sandbox could not start, be seeded, or be found."""


@dataclass(frozen=True)
class SandboxCredentials:
    """The sandbox admin: an IAM user in the ops account with AdministratorAccess."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    user_arn: str


@dataclass(frozen=True)
class SandboxState:
    """A running sandbox, as kept in the state file."""

    pid: int
    port: int
    endpoint: str
    region: str
    credentials: SandboxCredentials
    org_file: str
    started_at: str  # UTC, ISO 8601
    log_file: str = ""
    state_file: str = field(default="", compare=False)  # where it was read from; not stored

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("state_file")
        data["note"] = "awsroles sandbox: fake moto keys, valid only against this local server"
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, state_file: str = "") -> SandboxState:
        data = json.loads(text)
        return cls(
            pid=int(data["pid"]), port=int(data["port"]), endpoint=str(data["endpoint"]),
            region=str(data["region"]), credentials=SandboxCredentials(**data["credentials"]),
            org_file=str(data["org_file"]), started_at=str(data["started_at"]),
            log_file=str(data.get("log_file", "")), state_file=state_file,
        )

    def public(self) -> dict[str, Any]:
        """What ``status`` shows: everything but the secret key."""
        return {
            "pid": self.pid, "port": self.port, "endpoint": self.endpoint, "region": self.region,
            "org_file": self.org_file, "started_at": self.started_at, "access_key_id": self.credentials.access_key_id,
            "admin": self.credentials.user_arn, "log_file": self.log_file, "state_file": self.state_file,
        }

    def env(self) -> dict[str, str]:
        return sandbox_env(self.endpoint, self.credentials, self.region, self.org_file)


# -- environment -------------------------------------------------------------------------


def sandbox_env(endpoint: str, credentials: SandboxCredentials, region: str, org_file: str | Path) -> dict[str, str]:
    """The variables a shell (or a subprocess) needs to use the sandbox as its admin."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWSROLES_FILE": str(org_file),
    }


# -- talking to the server ---------------------------------------------------------------

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes via a proxy


def moto_api(endpoint: str, path: str, body: bytes | None = None, *, timeout: float = 10.0) -> Any:
    """GET (or, with ``body``, POST as text/plain) ``{endpoint}/moto-api/{path}``; the reply as JSON."""
    request = urllib.request.Request(f"{endpoint}/moto-api/{path}", data=body,
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "text/plain"})
    try:
        with _NO_PROXY.open(request, timeout=timeout) as reply:
            text = reply.read()
    except (urllib.error.URLError, OSError) as exc:
        raise SandboxError(f"the sandbox at {endpoint} does not answer: {exc}") from exc
    return json.loads(text) if text else None


def sandbox_route(endpoint: str, route: str, body: Mapping[str, Any] | None = None, *,
                  timeout: float = 10.0) -> Any:
    """GET (or, with ``body``, POST as JSON) one of the sandbox server's own routes
    (``{endpoint}/awsroles-sandbox/{route}``, see :class:`awsroles.sandbox.server.routes.SandboxRoutes`)."""
    request = urllib.request.Request(f"{endpoint}{ROUTES}{route}",
                                     data=None if body is None else json.dumps(dict(body)).encode(),
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with _NO_PROXY.open(request, timeout=timeout) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read()).get("error", exc.reason)
        except (ValueError, AttributeError, OSError):
            reason = exc.reason
        hint = " (is it an awsroles sandbox server on 127.0.0.1?)" if exc.code == 404 else ""
        raise SandboxError(f"the sandbox at {endpoint} refused {route}: {reason}{hint}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SandboxError(f"the sandbox at {endpoint} does not answer: {exc}") from exc


def advance_clock(endpoint: str, seconds: float) -> float:
    """Move the sandbox server's clock ``seconds`` forward (0 or more); returns how far ahead of
    the wall clock it now runs, in seconds. Sessions from ``GetSessionToken`` expire by it
    (``ExpiredToken``), their MFA ages by it (``aws:MultiFactorAuthAge``), and MFA codes follow it
    (30 seconds on: the next code). moto never expires ``AssumeRole`` credentials: they do not."""
    reply = sandbox_route(endpoint, "clock", {"advance": seconds})
    return float(reply["offset"])


def clock_offset(endpoint: str) -> float:
    """How far ahead of the wall clock the sandbox server's clock runs, in seconds."""
    return float(sandbox_route(endpoint, "clock")["offset"])


def mfa_windows(endpoint: str, serial: str) -> tuple[float, set[int]]:
    """The sandbox's Unix time (MFA codes follow its clock), and the TOTP windows
    (``int(unix_time // 30)``) of ``serial``'s codes it accepted and would now refuse as reused."""
    from urllib.parse import quote

    reply = sandbox_route(endpoint, f"mfa?serial={quote(serial, safe='')}")
    return float(reply["time"]), {int(w) for w in reply["used"]}


def answers(endpoint: str, timeout: float = 2.0) -> bool:
    """True when a moto server answers at ``endpoint``."""
    try:
        moto_api(endpoint, "config", timeout=timeout)
    except (SandboxError, ValueError):
        return False
    return True


def enable_iam_authorization(endpoint: str) -> None:
    """From the next request on, moto checks every caller's identity policies."""
    reply = moto_api(endpoint, "reset-auth", b"0")
    if not isinstance(reply, dict) or reply.get("status") != "ok":
        raise SandboxError(f"moto did not turn on IAM authorization: {reply!r}")


_LOADER: list[Any] = []  # one botocore data loader for every sandbox session: models are parsed once


def _share_models(session: botocore.session.Session) -> None:
    """A hook: reuse the service models the first session loaded (saves ~40 ms per client)."""
    if not _LOADER:
        _LOADER.append(session.get_component("data_loader"))
    session.register_component("data_loader", _LOADER[0])


def sandbox_aws(endpoint: str, credentials: SandboxCredentials | tuple[str, str], region: str,
                *, hooks: Sequence[Hook] = ()) -> Aws:
    """An :class:`Aws` whose every client (also in other accounts) goes to ``endpoint``."""
    from awsroles.aws import Aws, AwsSettings

    key, secret = ((credentials.access_key_id, credentials.secret_access_key)
                   if isinstance(credentials, SandboxCredentials) else credentials)
    return Aws.with_keys(AwsSettings(region=region, endpoint_url=endpoint, max_attempts=3), key, secret,
                         hooks=(_share_models, *hooks))


# -- seeding -----------------------------------------------------------------------------


def _admin_policy(org: Org) -> str:
    return f"arn:{org.partition}:iam::aws:policy/AdministratorAccess"


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def _create_organization(seeder: Aws, org: Org) -> list[Account]:
    """The organization, managed from the billing account; returns the accounts it created."""
    orgs = seeder.client("organizations", seeder.for_account(org.billing.id, org.bootstrap_role))
    with contextlib.suppress(orgs.exceptions.AlreadyInOrganizationException):
        orgs.create_organization(FeatureSet="ALL")
    existing = {a["Id"] for a in _paginate(orgs, "list_accounts", "Accounts")}
    created = []
    for account in org.accounts:
        tags = [{"Key": ENVIRONMENT_TAG, "Value": account.environment}] if account.environment else []
        if account.id in existing:
            if tags:
                orgs.tag_resource(ResourceId=account.id, Tags=tags)
            continue
        status = orgs.create_account(Email=account_email(org.name, account.name, account.id),
                                     AccountName=account.name, RoleName=org.bootstrap_role, Tags=tags)
        made = status["CreateAccountStatus"].get("AccountId")
        if made != account.id:
            raise SandboxError(f"the server made account {made} for '{account.name}' instead of {account.id}: "
                               f"it is not an awsroles sandbox server (see {SERVER_MODULE})")
        existing.add(made)
        created.append(account)
    return created


def _bootstrap_roles(seeder: Aws, org: Org, created: Sequence[Account]) -> None:
    """The bootstrap role, with AdministratorAccess, in every environment account (trusting ops
    and billing), and in every account Organizations created (as AWS does; trusting billing)."""
    created_ids = {a.id for a in created}
    for account in org.accounts:
        if not account.environment and account.id not in created_ids:
            continue
        trusted = dict.fromkeys([org.billing.id, *([org.ops.id] if account.environment else [])])
        trust = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:{org.partition}:iam::{i}:root" for i in trusted]},
                "Action": "sts:AssumeRole",
            }],
        }
        iam = seeder.client("iam", seeder.for_account(account.id, org.bootstrap_role))
        try:
            iam.create_role(RoleName=org.bootstrap_role, AssumeRolePolicyDocument=json.dumps(trust),
                            Description="awsroles sandbox: how awsroles reaches this account")
        except iam.exceptions.EntityAlreadyExistsException:
            iam.update_assume_role_policy(RoleName=org.bootstrap_role, PolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName=org.bootstrap_role, PolicyArn=_admin_policy(org))


def _admin_user(seeder: Aws, org: Org, name: str) -> SandboxCredentials:
    iam = seeder.client("iam", seeder.for_account(org.ops.id, org.bootstrap_role))
    user = iam.create_user(UserName=name, Path=ADMIN_PATH,
                           Tags=[{"Key": "purpose", "Value": "awsroles sandbox admin"}])["User"]
    iam.attach_user_policy(UserName=name, PolicyArn=_admin_policy(org))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return SandboxCredentials(key["AccessKeyId"], key["SecretAccessKey"], org.ops.id, user["Arn"])


def _check_authorization(endpoint: str, org: Org, admin: SandboxCredentials) -> None:
    """Authorization is on: the admin gets in, the seeding keys (no IAM user) do not."""
    from botocore.exceptions import ClientError

    identity = sandbox_aws(endpoint, admin, org.region).client("sts").get_caller_identity()
    if identity["Account"] != org.ops.id:
        raise SandboxError(f"the sandbox admin landed in account {identity['Account']}, not {org.ops.id}")
    try:
        sandbox_aws(endpoint, _SEED_KEYS, org.region).client("iam").list_users()
    except ClientError:
        return
    raise SandboxError("moto still accepts unknown keys: IAM authorization is not on")


COST_WEIGHTS = {"prod": 5.0, "production": 5.0, "stage": 2.0, "staging": 2.0, "dev": 1.5}
COST_MONTHS = 13


def seed_costs(endpoint: str, org: Org, months: int = COST_MONTHS) -> None:
    """A synthetic consolidated bill for the org's billing account: ``months`` months up to the
    current one (which Cost Explorer reports as estimated), every account of the org, bigger for
    prod than for dev, with tax, credits, a refund, support and fees, so every column of
    ``awsroles costs`` has something in it. Deterministic: the same org gives the same bill."""
    accounts = {a.id: COST_WEIGHTS.get(a.environment or "", 1.0 if a.environment else 0.4) for a in org.accounts}
    sandbox_route(endpoint, "costs", {"payer": org.billing.id, "accounts": accounts, "months": months})


def seed(endpoint: str, org: Org, *, admin_user: str = ADMIN_USER, hooks: Sequence[Hook] = ()) -> SandboxCredentials:
    """Turn the fresh moto server at ``endpoint`` into ``org``; return the admin's credentials.

    In order: the organization (from the billing account) and every other account with the
    org file's own id, environment accounts tagged ``Environment=<env>``; the bootstrap role;
    the admin user ``/sandbox/<admin_user>`` in ops with AdministratorAccess and an access key;
    13 months of cost data for the billing account (:func:`seed_costs`); then moto's IAM
    authorization, checked. Everything goes over HTTP through :class:`Aws`.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    seeder = sandbox_aws(endpoint, _SEED_KEYS, org.region, hooks=hooks)
    try:
        created = _create_organization(seeder, org)
        _bootstrap_roles(seeder, org, created)
        admin = _admin_user(seeder, org, admin_user)
        seed_costs(endpoint, org)
        # Later seed data goes here, before authorization is on.
        enable_iam_authorization(endpoint)
        _check_authorization(endpoint, org, admin)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SandboxError(f"seeding the sandbox at {endpoint} failed: {exc.operation_name}: "
                           f"{error.get('Code', '?')}: {error.get('Message', '')} "
                           "(seed needs a fresh awsroles sandbox server)") from exc
    except BotoCoreError as exc:
        raise SandboxError(f"seeding the sandbox at {endpoint} failed: {exc}") from exc
    return admin


# -- people ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonCredentials:
    """What a person gets in the sandbox: a long-term access key and a virtual MFA device.

    Fake and in plaintext, like everything the sandbox hands out (see the module docstring).
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    mfa_serial: str
    totp_seed: str = field(repr=False)  # base32, as an authenticator app stores it
    user_arn: str
    endpoint: str = field(default="", compare=False)  # the sandbox that checks the codes

    def mfa_code(self, at: float | None = None) -> str:
        """A code the sandbox accepts now, or the code the authenticator shows at Unix time ``at``.

        The sandbox, like AWS, takes each code once and also accepts the previous and the next
        30-second code. Without ``at``, this is one of those three that the sandbox has not
        seen used, by the sandbox's clock (asked at :attr:`endpoint`): the current code, else the
        next, else the previous one while it has a few seconds left. When all three are taken,
        it moves the sandbox's clock on to the next 30 seconds, which is what waiting for a new
        code would do to the sandbox, without the wait. So a test may log in several times a
        minute. A code computed otherwise (``pyotp.TOTP(seed).now()``) may be one this handed
        out and the sandbox took already. Without an endpoint: the current code by this
        machine's clock."""
        import pyotp

        totp = pyotp.TOTP(self.totp_seed, interval=TOTP_STEP)
        if at is not None:
            return totp.at(at)
        if not self.endpoint:
            return totp.now()
        return totp.at(fresh_mfa_window(self.endpoint, self.mfa_serial) * TOTP_STEP)


PREVIOUS_CODE_MARGIN = 10.0  # seconds the previous code must still be valid for to be handed out


def fresh_mfa_window(endpoint: str, serial: str) -> int:
    """The TOTP window of a code for ``serial`` that the sandbox at ``endpoint`` accepts and has not
    seen used, by its clock, which this moves on to the next window when the three it accepts
    are all taken (see :meth:`PersonCredentials.mfa_code`); the current window by this machine's
    clock when the sandbox does not answer."""
    try:
        now, used = mfa_windows(endpoint, serial)
    except SandboxError:
        return int(time.time() // TOTP_STEP)
    for _ in range(3):
        window, left = int(now // TOTP_STEP), TOTP_STEP - now % TOTP_STEP
        candidates = [window, window + 1] + ([window - 1] if left > PREVIOUS_CODE_MARGIN else [])
        for candidate in candidates:
            if candidate not in used:
                return candidate
        advance_clock(endpoint, math.ceil(left * 1000) / 1000 + 0.001)  # the next window, at once
        now, used = mfa_windows(endpoint, serial)
    raise SandboxError(f"the sandbox at {endpoint} has no unused MFA code for {serial}")


def enroll_person(aws_admin: Aws, org: Org, user: str) -> PersonCredentials:
    """Give the IAM user ``user`` (made by ``awsroles apply``) an access key and a virtual MFA
    device named after them, enabled with two consecutive codes from its seed, as a person
    enrolling an authenticator app would. ``aws_admin`` acts as the sandbox admin."""
    import pyotp

    iam = aws_admin.client("iam", aws_admin.for_account(org.ops.id, org.bootstrap_role))
    try:
        arn = iam.get_user(UserName=user)["User"]["Arn"]
    except iam.exceptions.NoSuchEntityException as exc:
        raise SandboxError(f"no IAM user '{user}' in the ops account ({org.ops.id}): "
                           "run `awsroles apply` first") from exc
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    raw = device["Base32StringSeed"]
    seed = raw.decode("ascii") if isinstance(raw, bytes) else str(raw)
    totp = pyotp.TOTP(seed)
    now = time.time()
    iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - totp.interval), AuthenticationCode2=totp.at(now))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return PersonCredentials(key["AccessKeyId"], key["SecretAccessKey"], device["SerialNumber"], seed, arn,
                             endpoint=aws_admin.settings.endpoint_url or "")


# -- server processes --------------------------------------------------------------------


def _server_command(port: int, partition: str, ready_file: Path, *, exit_with_parent: bool) -> list[str]:
    command = [sys.executable, "-m", SERVER_MODULE, "--host", HOST, "--port", str(port),
               "--partition", partition, "--ready-file", str(ready_file)]
    return [*command, "--exit-with-parent"] if exit_with_parent else command


def _server_environ() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
    environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    source = str(Path(__file__).resolve().parents[2])  # run this very awsroles, installed or not
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (source, environ.get("PYTHONPATH", "")) if p)
    return environ


def _log_tail(log_file: Path, lines: int = 15) -> str:
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = text.strip().splitlines()[-lines:]
    return ("; its log ends:\n  " + "\n  ".join(tail)) if tail else ""


def _spawn(port: int, partition: str, ready_file: Path, log_file: Path, *, detached: bool) -> subprocess.Popen[bytes]:
    with contextlib.suppress(FileNotFoundError):
        ready_file.unlink()
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when an older log was left with other permissions
        return subprocess.Popen(
            _server_command(port, partition, ready_file, exit_with_parent=not detached),
            stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, cwd="/", env=_server_environ(),
            close_fds=True, start_new_session=detached,
        )
    finally:
        os.close(fd)


def _wait_ready(process: subprocess.Popen[bytes], ready_file: Path, log_file: Path, timeout: float) -> int:
    """The port the server listens on, once it answers; SandboxError if it does not in ``timeout``."""
    deadline = time.monotonic() + timeout
    port = 0
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise SandboxError(f"the sandbox server exited with code {code} before it was ready{_log_tail(log_file)}")
        if not port and ready_file.is_file():
            with contextlib.suppress(ValueError, KeyError, OSError):
                port = int(json.loads(ready_file.read_text(encoding="utf-8"))["port"])
        if port and answers(f"http://{HOST}:{port}", timeout=1.0):
            with contextlib.suppress(FileNotFoundError):
                ready_file.unlink()
            return port
        time.sleep(0.02)
    raise SandboxError(f"the sandbox server did not answer within {timeout:g}s (log: {log_file}){_log_tail(log_file)}")


def _terminate(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


class Sandbox:
    """A seeded sandbox owned by this process; a context manager.

    ``Sandbox(org_path).start()`` runs a moto server in a child process (stopped by
    :meth:`stop`, and by itself if this process dies), seeds it from the org file and is ready
    to use: :attr:`endpoint`, :attr:`credentials`, :meth:`env`, :meth:`aws`. With
    ``in_process=True`` the server runs on a thread in this process instead: faster to start,
    but moto's state is per process, so only one such sandbox at a time, sharing moto's data
    (and its IAM authorization setting, restored by :meth:`stop`) with any ``mock_aws``.
    """

    def __init__(self, org_path: str | os.PathLike[str] | None = None, *, in_process: bool = False, port: int = 0,
                 start_timeout: float = START_TIMEOUT, admin_user: str = ADMIN_USER) -> None:
        from awsroles.org.examples import example

        self.org_path = Path(org_path) if org_path is not None else example("classic")
        self.org = load_org(self.org_path)
        self.in_process = in_process
        self.requested_port = port
        self.start_timeout = start_timeout
        self.admin_user = admin_user
        self.port = 0
        self.pid = 0
        self._credentials: SandboxCredentials | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._server: Any = None
        self._workdir: Path | None = None
        self.started_at = ""

    @property
    def endpoint(self) -> str:
        if not self.port:
            raise SandboxError("the sandbox is not running")
        return f"http://{HOST}:{self.port}"

    @property
    def region(self) -> str:
        return self.org.region

    @property
    def credentials(self) -> SandboxCredentials:
        if self._credentials is None:
            raise SandboxError("the sandbox is not running")
        return self._credentials

    @property
    def running(self) -> bool:
        return self._credentials is not None

    def start(self) -> Sandbox:
        if self.running:
            return self
        if importlib.util.find_spec("moto") is None:
            raise SandboxError("the sandbox runs on moto, which is not installed: pip install 'awsroles[sandbox]'")
        try:
            if self.in_process:
                from awsroles.sandbox.server.main import MotoServer

                self._server = MotoServer(HOST, self.requested_port, self.org.partition)
                self.port = self._server.start()
                self.pid = os.getpid()
            else:
                self._workdir = Path(tempfile.mkdtemp(prefix="awsroles-sandbox-"))
                log_file = self._workdir / LOG_FILE
                self._process = _spawn(self.requested_port, self.org.partition, self._workdir / READY_FILE,
                                       log_file, detached=False)
                self.pid = self._process.pid
                self.port = _wait_ready(self._process, self._workdir / READY_FILE, log_file, self.start_timeout)
            self._credentials = seed(self.endpoint, self.org, admin_user=self.admin_user)
            self.started_at = _now()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._process is not None:
            _terminate(self._process)
            self._process = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._credentials = None
        self.port = 0

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The variables for a shell or a subprocess (see :func:`sandbox_env`)."""
        return sandbox_env(self.endpoint, self.credentials, self.region, self.org_path.resolve())

    def aws(self, *, hooks: Sequence[Hook] = ()) -> Aws:
        """An :class:`Aws` acting as the sandbox admin."""
        return sandbox_aws(self.endpoint, self.credentials, self.region, hooks=hooks)

    def advance_clock(self, seconds: float) -> float:
        """Move this sandbox's clock forward (see :func:`advance_clock`); the offset it now has."""
        return advance_clock(self.endpoint, seconds)

    def state(self) -> SandboxState:
        return SandboxState(self.pid, self.port, self.endpoint, self.region, self.credentials,
                            str(self.org_path.resolve()), self.started_at)


# -- the detached sandbox: state file and process ----------------------------------------


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/awsroles/sandbox``, by default ``~/.local/state/awsroles/sandbox`` (see
    :mod:`awsroles.paths`)."""
    return Path(paths.sandbox_dir(environ))


def _private_dir(directory: Path) -> Path:
    private_dir(directory.parent)  # .../awsroles and .../awsroles/sandbox are ours: both 0700
    return private_dir(directory)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie does not)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child that has exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _is_sandbox_server(pid: int) -> bool:
    """``pid`` runs and is our server (where /proc tells; a reused pid must never be killed)."""
    if not _alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc here: trust the pid
    except OSError:
        return False
    return SERVER_MODULE.encode() in cmdline


@contextlib.contextmanager
def _lock(directory: Path, timeout: float = START_TIMEOUT * 2) -> Iterator[None]:
    """One ``sandbox start`` or ``stop`` at a time."""

    def busy(lock: Path, _waited: float) -> SandboxError:
        return SandboxError(f"another `awsroles sandbox` command holds {lock}; try again")

    with file_lock(directory / LOCK_FILE, timeout=timeout, busy=busy):
        yield


def read_state(directory: Path | None = None) -> SandboxState | None:
    """The running detached sandbox, or None. A state file whose server is gone is removed."""
    directory = directory or state_dir()
    path = directory / STATE_FILE
    try:
        state = SandboxState.from_json(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable sandbox state %s: %s", path, exc)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    if not _is_sandbox_server(state.pid):
        log.info("removing stale sandbox state %s: process %d is gone", path, state.pid)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    return state


def start_detached(org_path: Path, *, directory: Path | None = None, port: int = 0,
                   timeout: float = START_TIMEOUT) -> tuple[SandboxState, bool]:
    """Start a sandbox that outlives this process, seeded from ``org_path``.

    Returns the state and True, or the already running sandbox's state and False.
    """
    directory = _private_dir(directory or state_dir())
    with _lock(directory):
        running = read_state(directory)
        if running is not None:
            return running, False
        org = load_org(org_path)
        log_file = directory / LOG_FILE
        ready_file = directory / READY_FILE
        process = _spawn(port, org.partition, ready_file, log_file, detached=True)
        try:
            actual = _wait_ready(process, ready_file, log_file, timeout)
            endpoint = f"http://{HOST}:{actual}"
            credentials = seed(endpoint, org)
            state = SandboxState(process.pid, actual, endpoint, org.region, credentials,
                                 str(Path(org_path).resolve()), _now(), str(log_file),
                                 state_file=str(directory / STATE_FILE))
            atomic_write(directory / STATE_FILE, state.to_json(), mode=0o600)
        except BaseException:
            _terminate(process)
            raise
        process.returncode = 0  # it is meant to outlive us: no "still running" warning when collected
        return state, True


def stop_detached(directory: Path | None = None, *, timeout: float = STOP_TIMEOUT) -> SandboxState | None:
    """Stop the detached sandbox (SIGTERM, then SIGKILL after ``timeout``); None if none ran."""
    directory = directory or state_dir()
    if not directory.is_dir():
        return None
    with _lock(directory):
        state = read_state(directory)
        if state is None:
            return None
        for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(state.pid, signum)
            if _wait_gone(state.pid, wait):
                break
        else:
            raise SandboxError(f"the sandbox server (pid {state.pid}) does not stop")
        with contextlib.suppress(FileNotFoundError):
            (directory / STATE_FILE).unlink()
        return state


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True

