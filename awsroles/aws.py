"""The one boundary to AWS: every boto3 session and client is built here.

- Region: the caller's choice, else the org's default region.
- Endpoints: botocore's own resolution (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``,
  ``endpoint_url`` in ~/.aws/config), so a moto server or a VPC endpoint just works; or
  ``AwsSettings.endpoint_url``, which every client this object builds uses (the sandbox).
- Retries: botocore ``standard`` mode with an explicit ``total_max_attempts``, so throttling is
  retried with backoff by botocore's own handler.
- Environment accounts are reached by assuming the org's bootstrap role, with credentials that
  refresh themselves; the caller's own account is used directly.

Everything else receives an :class:`Aws` and asks it for clients; nothing else calls
``boto3.client``. Tests pass ``hooks`` to register botocore event handlers (fault injection,
call counting) on every session this object builds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

log = logging.getLogger(__name__)

Hook = Callable[[botocore.session.Session], None]
DEFAULT_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    profile: str | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_pool_connections: int = 32
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    endpoint_url: str | None = None  # every client goes here (e.g. the sandbox); None: botocore decides


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


class Aws:
    """Builds sessions and clients; thread-safe; caches one session per account."""

    def __init__(
        self,
        settings: AwsSettings | None = None,
        *,
        session: boto3.Session | None = None,
        hooks: Sequence[Hook] = (),
    ) -> None:
        self.settings = settings or AwsSettings()
        self._hooks = tuple(hooks)
        self._lock = threading.RLock()
        self._base = session or self._new_session(profile_name=self.settings.profile)
        if session is not None:
            self._apply_hooks(session)
        # One loader of service models for every session we build: parsing them again per account
        # costs tens of milliseconds per client.
        self._loader = self._base._session.get_component("data_loader")
        self._identity: Identity | None = None
        self._accounts: dict[tuple[str, str], boto3.Session] = {}

    @classmethod
    def with_keys(cls, settings: AwsSettings, access_key_id: str, secret_access_key: str,
                  session_token: str | None = None, *, hooks: Sequence[Hook] = ()) -> Aws:
        """An Aws with explicit credentials instead of botocore's chain (the sandbox's admin)."""
        session = boto3.Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                                aws_session_token=session_token, region_name=settings.region,
                                botocore_session=botocore.session.Session())
        return cls(settings, session=session, hooks=hooks)

    # -- building ------------------------------------------------------------------------

    def _apply_hooks(self, session: boto3.Session) -> None:
        for hook in self._hooks:
            hook(session._session)  # boto3 keeps the botocore session here

    def _new_session(self, **kwargs: Any) -> boto3.Session:
        botocore_session = botocore.session.Session(profile=kwargs.pop("profile_name", None))
        session = boto3.Session(botocore_session=botocore_session, region_name=self.settings.region, **kwargs)
        self._apply_hooks(session)
        return session

    @property
    def config(self) -> Config:
        s = self.settings
        return Config(
            retries={"mode": "standard", "total_max_attempts": s.max_attempts},
            max_pool_connections=s.max_pool_connections,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            user_agent_extra="awsroles",
        )

    def client(self, service: str, session: boto3.Session | None = None) -> Any:
        """A client for ``service`` in the base session, or in ``session`` (see :meth:`for_account`)."""
        extra = {"endpoint_url": self.settings.endpoint_url} if self.settings.endpoint_url else {}
        with self._lock:
            return (session or self._base).client(service, config=self.config, **extra)

    @property
    def base_session(self) -> boto3.Session:
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
                    session_name: str = "awsroles") -> boto3.Session:
        """A session in ``account_id``: the caller's own if already there, else via ``role_name``."""
        if self.whoami().account == account_id:
            return self._base
        key = (account_id, role_name)
        with self._lock:
            if key in self._accounts:
                return self._accounts[key]
            role_arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
            sts = self.client("sts")

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
            botocore_session = botocore.session.Session()
            botocore_session.register_component("data_loader", self._loader)
            botocore_session._credentials = credentials  # the documented way boto3 itself uses for refreshable creds
            session = boto3.Session(botocore_session=botocore_session,
                                    region_name=self._base.region_name or self.settings.region)
            self._apply_hooks(session)
            self._accounts[key] = session
            return session
