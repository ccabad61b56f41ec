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
Sessions are botocore's own (:class:`Session`): boto3 adds nothing awsroles uses (its resources,
s3transfer), and importing it would cost every awsroles process ~0.1 s of CPU. Tests pass
``hooks`` to register botocore event handlers (fault injection, call counting) on every session
this object builds.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

import botocore
import botocore.exceptions
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from awsroles.errors import GaveUpError

if TYPE_CHECKING:
    from awsroles.org.model import Org

log = logging.getLogger(__name__)

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
CONNECTION_ATTEMPTS = 3  # attempts per call when AWS cannot be reached (throttling keeps max_attempts)
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


class AwsGaveUp(ClientError, GaveUpError):  # type: ignore[misc]  # botocore has no type hints
    """A call still throttled (or failing with a 5xx) after its last attempt. Still the ClientError
    botocore raises (same code; the message says how many attempts), and an AwsrolesError whose
    one line names the call and the account."""

    def __init__(self, error_response: Any, operation_name: str, where: str = "", attempts: int = 0,
                 throttled: bool = True) -> None:
        error = error_response.get("Error", {})
        self.aws_message = str(error.get("Message", ""))
        self.where, self.attempts, self.throttled = where, attempts, throttled
        if attempts:  # what apply's step errors show: "Throttling: Rate exceeded (gave up after 8 attempts)"
            error_response = {**error_response, "Error": {
                **error, "Message": f"{self.aws_message} (gave up after {attempts} attempts)".strip()}}
        super().__init__(error_response, operation_name)

    def __str__(self) -> str:
        code = self.response.get("Error", {}).get("Code", "")
        why = "throttling" if self.throttled else "failing"
        where = f" in {self.where}" if self.where else ""
        return (f"AWS kept {why} {self.operation_name}{where}: gave up after {self.attempts} attempts "
                f"({code}: {self.aws_message}); try again later (plan and apply: --parallel 1 makes fewer "
                "calls at once)")


def _is_network(exc: BaseException | None) -> bool:
    """``exc`` means AWS was not reached, or the connection broke (what errors.is_network_error says)."""
    return isinstance(exc, (BotocoreConnectionError, HTTPClientError))


class _RetryWatch:
    """Event handlers on one client: report each retry, stop retrying a network that does not
    answer after ``CONNECTION_ATTEMPTS``, and turn a call that is still throttled after its last
    attempt into :class:`AwsGaveUp`. ``where()`` names the account (late: the caller's own account
    is known only once GetCallerIdentity answered)."""

    _REASON = "awsroles_retry_reason"
    _NETWORK = "awsroles_retry_network"  # the last attempt did not reach AWS

    def __init__(self, where: Callable[[], str], max_attempts: int) -> None:
        self.where, self.max_attempts = where, max_attempts

    def install(self, client: Any) -> None:
        events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        # First on the service's own event, so it runs before botocore's retry handler there.
        events.register_first(f"needs-retry.{service}", self.stop_connection_retries,
                              unique_id="awsroles-connection-attempts")
        events.register_last("needs-retry", self.remember, unique_id="awsroles-retry-reason")
        events.register("request-created", self.announce, unique_id="awsroles-retry-announce")
        events.register_last("after-call", self.give_up, unique_id="awsroles-retry-give-up")

    @staticmethod
    def stop_connection_retries(caught_exception: Any = None, attempts: int = 1, **_: Any) -> None:
        """After ``CONNECTION_ATTEMPTS`` attempts that could not reach AWS, raise the last error
        instead of retrying (a handler of ``needs-retry`` can only say "retry" by returning a
        delay; raising is how it says "stop")."""
        if _is_network(caught_exception) and attempts >= CONNECTION_ATTEMPTS:
            raise caught_exception

    def remember(self, response: Any = None, caught_exception: Any = None, request_dict: Any = None,
                 **_: Any) -> None:
        """Why the last attempt failed, kept in the request's context for :meth:`announce`."""
        if request_dict is None:
            return
        if caught_exception is not None:
            reason = type(caught_exception).__name__
        elif response is not None and response[0].status_code >= 300:
            error = response[1].get("Error", {}) if isinstance(response[1], dict) else {}
            reason = str(error.get("Code") or f"HTTP {response[0].status_code}")
        else:
            return
        request_dict["context"][self._REASON] = reason
        request_dict["context"][self._NETWORK] = _is_network(caught_exception)

    def announce(self, request: Any, operation_name: str = "", **_: Any) -> None:
        context = getattr(request, "context", None) or {}
        attempt = context.get("retries", {}).get("attempt", 1)
        if attempt > 1:
            where = self.where()
            reason = context.get(self._REASON, "error")
            # Throttling and 5xx answers are worth a line each; a network that does not answer ends in
            # one clear error soon enough (exit 7), so its retries show only with -v.
            network = bool(context.get(self._NETWORK))
            level = logging.INFO if network else logging.WARNING
            last = min(self.max_attempts, CONNECTION_ATTEMPTS) if network else self.max_attempts
            log.log(level, "retrying %s%s, attempt %d/%d: %s", operation_name, f" in {where}" if where else "",
                    attempt, last, reason)

    def give_up(self, http_response: Any, parsed: Any, model: Any, context: Any, **_: Any) -> None:
        if http_response is None or http_response.status_code < 300 or not isinstance(parsed, dict):
            return
        retry = RetryContext(attempt_number=1, operation_model=model, parsed_response=parsed,
                             http_response=http_response)
        throttled = ThrottledRetryableChecker().is_retryable(retry)
        if throttled or TransientRetryableChecker().is_retryable(retry):
            attempts = int((context or {}).get("retries", {}).get("attempt", 1))
            raise AwsGaveUp(parsed, model.name, self.where(), attempts, throttled)


JSON_PROTOCOLS = frozenset({"json", "rest-json", "smithy-rpc-v2-cbor"})


def read_xml_error(operation_model: Any, response_dict: dict[str, Any], customized_response_dict: dict[str, Any],
                   **_: Any) -> None:
    """A ``before-parse`` handler: an error of a JSON-protocol service (Organizations, Budgets, Cost
    Explorer, IAM Identity Center...) whose body is an XML error document keeps its code and message.

    botocore's JSON parser cannot read XML: it would make the HTTP status the code and the whole
    document the message (``403: <?xml ...><Code>AccessDenied</Code>...``), so the error matches no
    code awsroles looks for (``AccessDenied``: the hint; ``Throttling``: the retry) and is shown
    raw. AWS's front ends, proxies in between, and moto (which answers every request IAM
    authorization denies in the Query protocol's XML) send such bodies.
    """
    if int(response_dict.get("status_code") or 0) < 300:
        return
    service = operation_model.service_model
    if getattr(service, "resolved_protocol", service.protocol) not in JSON_PROTOCOLS:
        return
    error = xml_error(response_dict.get("body") or b"")
    if error is not None:
        customized_response_dict["Error"] = {"Code": error[0], "Message": error[1]}


def xml_error(body: bytes) -> tuple[str, str] | None:
    """``(code, message)`` of an AWS XML error document (``<ErrorResponse><Error><Code>...``, with or
    without ``<Errors>`` or a namespace, or ``<Error>`` alone), else None."""
    if not body.lstrip().startswith(b"<"):
        return None
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    fields: dict[str, str] = {}
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if name in ("Code", "Message") and name not in fields:
            fields[name] = (element.text or "").strip()
    code = fields.get("Code", "")
    return (code, fields.get("Message", "")) if code else None


class _ServiceNames(Sequence[str]):
    """What ``Loader.list_available_services`` answers, for the one question botocore asks of it
    when it makes a client (is this service known?) answered by looking in that service's own
    folder; the whole list is made only if something reads it."""

    def __init__(self, loader: _Loader, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except botocore.exceptions.DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        names: list[str] = botocore.loaders.Loader.list_available_services(self._loader, self._type_name)
        return names

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


class _Loader(botocore.loaders.Loader):  # type: ignore[misc]  # botocore has no type hints
    """botocore's data loader, except that checking a service's name before loading its model
    looks in that service's folder instead of listing all ~400 services' folders (a few thousand
    directory reads: ~50 ms of CPU in every process that makes a client)."""

    def list_available_services(self, type_name: str) -> Sequence[str]:
        return _ServiceNames(self, type_name)


_TEMPLATE: list[Any] = []  # botocore's builtin event handlers, registered once: see _botocore_session


def _botocore_session(profile: str | None = None) -> botocore.session.Session:
    """A new botocore session whose builtin event handlers are a copy of a set registered once per
    process, instead of registered again (botocore's ``Session()`` does that, ~10 ms of CPU; with a
    role session per account, a tenth of a plan's CPU at 60 accounts, and the same over again for
    each client's first use). The copy is what botocore itself gives each client
    (``HierarchicalEmitter.__copy__``); the template never gets a hook: hooks go on each session."""
    with _LOADERS_LOCK:
        if not _TEMPLATE:
            _TEMPLATE.append(getattr(botocore.session.Session(), "_original_handler", None))
    emitter = _TEMPLATE[0]
    if emitter is None:  # a botocore laid out differently: its own way
        return botocore.session.Session(profile=profile)
    return botocore.session.Session(event_hooks=copy.copy(emitter), include_builtin_handlers=False, profile=profile)


_LOADERS: dict[Any, Any] = {}  # botocore's data loader, one per data path: see _shared_loader
_LOADERS_LOCK = threading.Lock()


def _shared_loader(session: botocore.session.Session) -> Any:
    """Make ``session`` read AWS's service models through this process's one loader, and return it.

    A botocore session reads the models (JSON files, the IAM one alone ~1 MB) through its own
    loader, which parses each once: a new session would parse them all again, ~0.1-0.2 s of CPU
    for its first client. The loaded data is only read, so every session here shares one loader
    (one per ``data_path`` setting, which decides where models are looked up)."""
    key = session.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(key)
        if loader is None:
            loader = _LOADERS[key] = session.get_component("data_loader")
            if type(loader) is botocore.loaders.Loader:
                loader.__class__ = _Loader  # the same object, state and caches: see _Loader
    if session.get_component("data_loader") is not loader:
        session.register_component("data_loader", loader)
    return loader


class Session:
    """A botocore session with its region: the part of ``boto3.Session`` awsroles uses, without
    importing boto3. ``client`` builds clients exactly as ``boto3.Session.client`` does (botocore's
    ``create_client`` in the session's region)."""

    def __init__(self, botocore_session: botocore.session.Session | None = None, *, region_name: str | None = None,
                 profile_name: str | None = None, aws_access_key_id: str | None = None,
                 aws_secret_access_key: str | None = None, aws_session_token: str | None = None) -> None:
        self._session = botocore_session or _botocore_session(profile_name)
        if aws_access_key_id or aws_secret_access_key or aws_session_token:
            self._session.set_credentials(aws_access_key_id, aws_secret_access_key, aws_session_token)
        if region_name is not None:
            self._session.set_config_variable("region", region_name)

    @property
    def region_name(self) -> str | None:
        region = self._session.get_config_variable("region")
        return str(region) if region else None

    @property
    def botocore_session(self) -> botocore.session.Session:
        return self._session

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.create_client(service, **kwargs)

    def get_credentials(self) -> Any:
        """The session's credentials (botocore's), as ``boto3.Session.get_credentials``."""
        return self._session.get_credentials()


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
