"""The one boundary to AWS: every botocore session and client is built here.

- Region: the caller's choice, else the org's default region.
- Endpoints: botocore's own resolution (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``,
  ``endpoint_url`` in ~/.aws/config), so a moto server or a VPC endpoint just works; or
  ``AwsSettings.endpoint_url``, which every client this object builds uses (the sandbox).
- Retries: botocore's own retry handler, ``standard`` mode (``adaptive`` when ``AWS_RETRY_MODE`` or
  the profile's ``retry_mode`` says so), at most ``max_attempts`` attempts per call (``AWS_MAX_ATTEMPTS``
  or the profile's ``max_attempts``, else 8); botocore waits at most 20 s between two attempts, so
  a call gives up after a bounded time. A network that does not answer (connection refused, DNS,
  timeouts) gets at most ``CONNECTION_ATTEMPTS`` (3) attempts: its error (exit code NETWORK) comes
  within seconds, while throttling keeps every attempt. Each retry is reported on the ``awsroles.aws`` logger
  ("retrying ListRoles in prod (222222222222), attempt 3/8: Throttling"); a call still throttled
  (or failing with 5xx) after the last attempt raises :class:`AwsGaveUp` (exit code THROTTLED),
  which names the call and the account.
- Environment accounts are reached by assuming the org's bootstrap role, with credentials that
  refresh themselves; the caller's own account is used directly.

Everything else receives an :class:`Aws` and asks it for clients; nothing else builds a client.
The retries live in :mod:`awsroles.aws.retries`, the sessions in :mod:`awsroles.aws.sessions`.
Sessions are botocore's own (:class:`Session`): boto3 adds nothing awsroles uses (its resources,
s3transfer), and importing it would cost every awsroles process ~0.1 s of CPU. Tests pass
``hooks`` to register botocore event handlers (fault injection, call counting) on every session
this object builds.

May import: botocore (the only package that does, with its sessions), awsroles.errors, and
awsroles.org (for types only).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

import botocore
import botocore.exceptions
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

from awsroles.aws.retries import CONNECTION_ATTEMPTS, AwsGaveUp, _RetryWatch, read_xml_error, xml_error
from awsroles.aws.sessions import Session, _botocore_session, _shared_loader

if TYPE_CHECKING:
    from awsroles.org.model import Org

log = logging.getLogger(__name__)

__all__ = [
    "CONNECTION_ATTEMPTS",
    "DEFAULT_MAX_ATTEMPTS",
    "RETRY_MODES",
    "Aws",
    "AwsGaveUp",
    "AwsSettings",
    "Hook",
    "Identity",
    "Keys",
    "Session",
    "_botocore_session",
    "anonymous",
    "for_credentials",
    "for_org",
    "global_region",
    "read_xml_error",
    "xml_error",
]

Hook = Callable[[botocore.session.Session], None]


class Keys(Protocol):
    """Explicit credentials (awsroles.creds.model.Credentials is one)."""

    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> str | None: ...


DEFAULT_MAX_ATTEMPTS = 8
RETRY_MODES = ("standard", "adaptive")


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    profile: str | None = None
    max_attempts: int | None = None  # None: AWS_MAX_ATTEMPTS or the profile's max_attempts, else 8
    retry_mode: str | None = None  # None: AWS_RETRY_MODE or the profile's retry_mode if adaptive, else standard
    max_pool_connections: int = 32
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    endpoint_url: str | None = None  # every client goes here (e.g. the sandbox); None: botocore decides
    unsigned: bool = False  # requests carry no signature (IAM Identity Center's sign-in and portal APIs)


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str

    @property
    def user_name(self) -> str | None:
        """The IAM user name for a user ARN (``arn:aws:iam::1:user/path/alice`` -> ``alice``)."""
        resource = self.arn.split(":", 5)[-1]
        return resource.rsplit("/", 1)[-1] if resource.startswith("user/") else None

    @property
    def person(self) -> str | None:
        """Who calls, by the name the org file gives them: an IAM user's name, or, for a session of
        IAM Identity Center (an assumed role ``AWSReservedSSO_*``, whose session Identity Center names
        after the user), the Identity Center user's name; None for anything else."""
        if self.user_name is not None:
            return self.user_name
        parts = self.arn.split(":", 5)[-1].split("/")
        if len(parts) == 3 and parts[0] == "assumed-role" and parts[1].startswith("AWSReservedSSO_"):
            return parts[2]
        return None


class Aws:
    """Builds sessions and clients; thread-safe; caches one session per account."""

    def __init__(
        self,
        settings: AwsSettings | None = None,
        *,
        session: Session | None = None,
        hooks: Sequence[Hook] = (),
    ) -> None:
        self.settings = settings or AwsSettings()
        self._hooks = tuple(hooks)
        self._lock = threading.RLock()
        self._base = session or self._new_session(profile_name=self.settings.profile)
        if session is not None:
            self._apply_hooks(session)
        # One loader of service models for every session we build (see _shared_loader).
        self._loader = _shared_loader(self._base.botocore_session)
        self._identity: Identity | None = None
        self._accounts: dict[tuple[str, str], Session] = {}
        self._account_locks: dict[tuple[str, str], threading.Lock] = {}  # one AssumeRole per account at a time
        self._account_of: dict[int, str] = {}  # id(session) -> its account id, for retry messages
        self._sts: Any = None  # the STS client every account's AssumeRole goes through, made on first use

    @classmethod
    def with_keys(cls, settings: AwsSettings, access_key_id: str, secret_access_key: str,
                  session_token: str | None = None, *, hooks: Sequence[Hook] = ()) -> Aws:
        """An Aws with explicit credentials instead of botocore's chain (the sandbox's admin)."""
        session = Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                                aws_session_token=session_token, region_name=settings.region,
                                botocore_session=_botocore_session())
        return cls(settings, session=session, hooks=hooks)

    # -- building ------------------------------------------------------------------------

    def _apply_hooks(self, session: Session) -> None:
        for hook in self._hooks:
            hook(session.botocore_session)

    def _new_session(self, **kwargs: Any) -> Session:
        session = Session(region_name=self.settings.region, **kwargs)
        self._apply_hooks(session)
        return session

    @property
    def max_attempts(self) -> int:
        """Attempts per call: the settings', else ``AWS_MAX_ATTEMPTS`` or the profile's, else 8."""
        if self.settings.max_attempts is not None:
            return max(1, self.settings.max_attempts)
        configured = self._base.botocore_session.get_config_variable("max_attempts")
        return max(1, int(configured)) if configured else DEFAULT_MAX_ATTEMPTS

    @property
    def retry_mode(self) -> str:
        mode = self.settings.retry_mode or self._base.botocore_session.get_config_variable("retry_mode")
        return mode if mode in RETRY_MODES else "standard"

    @property
    def config(self) -> Config:
        s = self.settings
        return Config(
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            max_pool_connections=s.max_pool_connections,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            user_agent_extra="awsroles",
            **({"signature_version": botocore.UNSIGNED} if s.unsigned else {}),
        )

    def client(self, service: str, session: Session | None = None, *, account: str | None = None,
               region: str | None = None) -> Any:
        """A client for ``service`` in the base session, or in ``session`` (see :meth:`for_account`).

        ``account``: the account's name in the org, for retry messages and errors ("prod
        (222222222222)"); ``region``: another region than the session's (IAM Identity Center's).
        """
        extra: dict[str, Any] = {"endpoint_url": self.settings.endpoint_url} if self.settings.endpoint_url else {}
        if region:
            extra["region_name"] = region
        session = session or self._base
        with self._lock:
            config = self.config
            client = session.client(service, config=config, **extra)
            account_id = self._account_of.get(id(session))
        _RetryWatch(lambda: self._where(account, account_id), config.retries["total_max_attempts"]).install(client)
        client.meta.events.register("before-parse", read_xml_error, unique_id="awsroles-xml-error")
        return client

    def _where(self, name: str | None, account_id: str | None) -> str:
        """``prod (222222222222)``, or what of it is known."""
        if account_id is None and self._identity is not None:
            account_id = self._identity.account  # the base session: the caller's own account
        if name and account_id:
            return f"{name} ({account_id})"
        return name or account_id or ""

    @property
    def base_session(self) -> Session:
        return self._base

    # -- identities and accounts ---------------------------------------------------------

    def whoami(self) -> Identity:
        """The caller (``GetCallerIdentity``), asked once."""
        with self._lock:
            if self._identity is None:
                reply = self.client("sts").get_caller_identity()
                self._identity = Identity(reply["Account"], reply["Arn"], reply["UserId"])
            return self._identity

    def for_account(self, account_id: str, role_name: str, *, partition: str = "aws",
                    session_name: str = "awsroles") -> Session:
        """A session in ``account_id``: the caller's own if already there, else via ``role_name``.

        Made once per account and role; accounts are reached in parallel (each waits only for its
        own ``AssumeRole``), through one STS client."""
        if self.whoami().account == account_id:
            return self._base
        key = (account_id, role_name)
        with self._lock:
            if key in self._accounts:
                return self._accounts[key]
            account_lock = self._account_locks.setdefault(key, threading.Lock())
            if self._sts is None:
                self._sts = self.client("sts")
            sts = self._sts
        with account_lock:
            with self._lock:
                if key in self._accounts:  # made while this thread waited for the account's lock
                    return self._accounts[key]
            role_arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"

            def refresh() -> dict[str, str]:
                log.debug("assuming %s", role_arn)
                creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
                expiry = creds["Expiration"]
                if isinstance(expiry, datetime):
                    expiry = expiry.astimezone(timezone.utc).isoformat()
                return {
                    "access_key": creds["AccessKeyId"],
                    "secret_key": creds["SecretAccessKey"],
                    "token": creds["SessionToken"],
                    "expiry_time": expiry,
                }

            credentials = RefreshableCredentials.create_from_metadata(
                metadata=refresh(), refresh_using=refresh, method="assume-role"
            )
            botocore_session = _botocore_session()
            botocore_session._credentials = credentials  # the documented way boto3 itself uses for refreshable creds
            session = Session(botocore_session=botocore_session,
                              region_name=self._base.region_name or self.settings.region)
            _shared_loader(botocore_session)
            self._apply_hooks(session)
            with self._lock:
                self._accounts[key] = session
                self._account_of[id(session)] = account_id
            return session


# -- the factories commands use ------------------------------------------------------------------


def global_region(session: Session, service: str = "sts") -> str | None:
    """The region botocore signs ``service``'s partition-wide endpoint with (``us-east-1`` in the
    ``aws`` partition): what botocore itself uses for IAM, STS and Organizations when no region is
    configured. None if botocore does not say."""
    try:
        resolver = session.botocore_session._get_internal_component("endpoint_resolver")
        endpoint = resolver.construct_endpoint(service, "aws-global") or {}
        region = endpoint.get("credentialScope", {}).get("region")
    except Exception:  # a botocore without that data: the caller keeps no region
        return None
    return str(region) if region else None


def for_org(org: Org | None = None, profile: str | None = None, *, region: str | None = None,
            session: Session | None = None, max_attempts: int | None = None,
            hooks: Sequence[Hook] = ()) -> Aws:
    """The Aws an admin command works with: ``profile``'s credentials (else botocore's chain), or
    ``session`` (an account reached through :meth:`Aws.for_account`).

    Region: ``region``, else the org's, else the caller's configured one (``AWS_REGION``, the
    profile's); with none at all, the region botocore signs the partition's global endpoints with,
    so that ``import`` without an org file works against a custom endpoint (``AWS_ENDPOINT_URL``,
    the sandbox), where botocore cannot sign without a region.
    """
    settings = AwsSettings(region=region or (org.region if org is not None else None), profile=profile,
                           max_attempts=max_attempts)
    aws = Aws(settings, session=session, hooks=hooks)
    if settings.region is None and aws.base_session.region_name is None:
        fallback = global_region(aws.base_session)
        if fallback is not None:
            aws = Aws(replace(settings, region=fallback), session=session, hooks=hooks)
    return aws


def for_credentials(credentials: Keys, region: str | None, *, max_attempts: int = 3,
                    hooks: Sequence[Hook] = ()) -> Aws:
    """An Aws acting as ``credentials`` (a person's own key, or a session): what ``setup``,
    ``whoami`` and credential vending use. Few attempts: a person is waiting."""
    return Aws.with_keys(AwsSettings(region=region, max_attempts=max_attempts), credentials.access_key_id,
                         credentials.secret_access_key, credentials.session_token, hooks=hooks)


def anonymous(region: str, *, max_attempts: int = 3, hooks: Sequence[Hook] = ()) -> Aws:
    """An Aws whose clients sign nothing: IAM Identity Center's sign-in (``sso-oidc``) and access
    portal (``sso``) APIs, which take a client secret or a bearer token in the request instead.
    No credentials are looked up (a person signing in has none). Few attempts: a person is waiting."""
    session = Session(region_name=region, botocore_session=_botocore_session())
    return Aws(AwsSettings(region=region, max_attempts=max_attempts, unsigned=True), session=session, hooks=hooks)
