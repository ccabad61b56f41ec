"""IAM Identity Center's sign-in (SSO OIDC: device authorization) as AWS answers it; moto has none.

After the SSO OIDC API Reference (https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/,
``API_<Action>.html``) and RFC 8628 (OAuth 2.0 Device Authorization Grant,
https://www.rfc-editor.org/rfc/rfc8628):

- **RegisterClient** (API_RegisterClient.html): ``clientName`` and ``clientType`` ``public`` (the
  only type the service supports, else InvalidRequestException); optional ``scopes``. Answers
  ``clientId``, ``clientSecret``, ``clientIdIssuedAt`` and ``clientSecretExpiresAt`` (epoch
  seconds): a registration lasts 90 days, after which the client is InvalidClientException.
- **StartDeviceAuthorization** (API_StartDeviceAuthorization.html): the client's id and secret
  (InvalidClientException, HTTP 401, when either is wrong or the registration expired) and the
  access portal's ``startUrl``, ``https://d-XXXXXXXXXX.awsapps.com/start`` (also with ``/`` or
  ``#/`` after it), which names the instance by its identity store id; an unknown one is
  InvalidRequestException. Answers a ``deviceCode``, a ``userCode`` such as ``BCDF-GHJK``
  (RFC 8628 section 6.1: letters without vowels, case-insensitive, a dash for readability), the
  ``verificationUri`` (here the sandbox's approval page, :mod:`.sso_routes`) and
  ``verificationUriComplete`` (with the code), ``expiresIn`` 600 and ``interval`` 1.
- **CreateToken** (API_CreateToken.html) with ``grantType``
  ``urn:ietf:params:oauth:grant-type:device_code``: AuthorizationPendingException until the person
  allows the request; SlowDownException when the device code is polled again sooner than
  ``interval`` seconds after its last poll (RFC 8628 section 3.5); AccessDeniedException once the
  person denied it; ExpiredTokenException after ``expiresIn``; InvalidGrantException for a device
  code that is unknown, another client's or already used (RFC 8628 section 3.5: ``invalid_grant``).
  With ``grantType`` ``refresh_token``: a new access token and a new refresh token; the old
  refresh token is then invalid (InvalidGrantException, as for an unknown or expired one).
  Any other grant type (``authorization_code`` with PKCE included: not in the sandbox) is
  UnsupportedGrantTypeException.
- **Refresh tokens** are issued only to clients registered with ``scopes`` (User Guide, "Configure
  IAM Identity Center authentication with the AWS CLI": the ``sso-session`` profiles register with
  ``sso:account:access`` and refresh their token; legacy profiles register without scopes and do
  not). The sandbox's reading where the documentation gives no number: an access token lasts
  1 hour when a refresh token comes with it, else 8 hours; a refresh token lasts as long as the
  Identity Center session, 8 hours from the sign-in (the default session duration, User Guide,
  "Configure the duration of the AWS access portal sessions"), however often it is refreshed, and
  no access token outlives that session.

Errors are REST-JSON as AWS sends them: the ``x-amzn-ErrorType`` header names the exception, the
body carries ``error`` (``authorization_pending``, ``slow_down`` ...) and ``error_description``.
Everything follows the sandbox's clock (:mod:`.clock`); :func:`reset` forgets it all.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from awsroles.sandbox.server import clock

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
CLIENT_SECONDS = 90 * 86400  # a client registration's life
DEVICE_SECONDS = 600  # expiresIn of a device code
INTERVAL = 1  # seconds between polls
ACCESS_SECONDS_REFRESHABLE = 3600  # the sandbox's reading: see the module docstring
ACCESS_SECONDS_LEGACY = 8 * 3600
SESSION_SECONDS = 8 * 3600  # the Identity Center session: a refresh token's life from the sign-in
START_URL = re.compile(r"https://(d-[0-9a-f]{10})\.awsapps\.com/start(?:/|#/?|/#/?)?")
_USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 section 6.1: no vowels, no look-alikes


class SsoError(Exception):
    """An error as the SSO OIDC and portal APIs send it (REST-JSON)."""

    def __init__(self, code: str, status: int, description: str, error: str | None = None) -> None:
        super().__init__(description)
        self.code, self.status, self.description, self.error = code, status, description, error

    def body(self) -> dict[str, str]:
        if self.error is None:  # the portal's errors: a message
            return {"message": self.description}
        return {"error": self.error, "error_description": self.description}


def oidc_error(code: str, description: str) -> SsoError:
    """One of SSO OIDC's errors: ``InvalidGrantException`` -> ``error`` ``invalid_grant``."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", code.removesuffix("Exception")).lower()
    return SsoError(code, 401 if code == "InvalidClientException" else 400, description, snake)


@dataclass
class Client:
    client_id: str
    secret: str
    name: str
    scopes: tuple[str, ...]
    issued: float  # the sandbox's Unix time
    expires: float


@dataclass(frozen=True)
class Instance:
    """The Identity Center instance a start URL names."""

    account: str
    region: str
    store_id: str
    instance_arn: str

    @property
    def partition(self) -> str:
        return self.instance_arn.split(":")[1]


@dataclass(frozen=True)
class Person:
    """Who signed in: an Identity Store user of the instance."""

    user_id: str
    user_name: str


@dataclass
class Device:
    device_code: str
    user_code: str
    client_id: str
    instance: Instance
    expires: float
    last_poll: float | None = None
    decision: str | None = None  # "allow" or "deny"
    person: Person | None = None
    used: bool = False
    slow_downs: int = 0  # polls still to answer SlowDownException (the sandbox's `sso/slow-down` route)


@dataclass
class SignIn:
    """An Identity Center session: what a person's approval starts and ``Logout`` ends."""

    instance: Instance
    person: Person
    ends: float
    ended: bool = False


@dataclass
class Token:
    sign_in: SignIn
    expires: float
    client_id: str = ""
    used: bool = False  # refresh tokens: once

    def valid(self, now: float) -> bool:
        return not self.used and not self.sign_in.ended and now < min(self.expires, self.sign_in.ends)


@dataclass
class SsoState:
    clients: dict[str, Client] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)  # by device code
    user_codes: dict[str, str] = field(default_factory=dict)  # user code -> device code
    access: dict[str, Token] = field(default_factory=dict)
    refresh: dict[str, Token] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


state = SsoState()


def reset() -> None:
    """Forget every client, device code and token (a new server; the sandbox's reset)."""
    with state.lock:
        state.clients.clear()
        state.devices.clear()
        state.user_codes.clear()
        state.access.clear()
        state.refresh.clear()


def _text(request: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = request.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise oidc_error("InvalidRequestException", f"{name} is required")
    return value


def register_client(request: dict[str, Any]) -> dict[str, Any]:
    """RegisterClient (https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_RegisterClient.html)."""
    name = _text(request, "clientName")
    if _text(request, "clientType") != "public":
        raise oidc_error("InvalidRequestException", "clientType must be public")
    scopes = request.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        raise oidc_error("InvalidScopeException", "scopes must be a list of scope names")
    now = clock.sandbox_time()
    client = Client(secrets.token_urlsafe(16), secrets.token_urlsafe(96), name, tuple(scopes), now,
                    now + CLIENT_SECONDS)
    with state.lock:
        state.clients[client.client_id] = client
    return {"clientId": client.client_id, "clientSecret": client.secret, "clientIdIssuedAt": int(client.issued),
            "clientSecretExpiresAt": int(client.expires)}


def _client(request: dict[str, Any], now: float) -> Client:
    client = state.clients.get(_text(request, "clientId"))
    if client is None or not secrets.compare_digest(client.secret, _text(request, "clientSecret")):
        raise oidc_error("InvalidClientException", "Invalid client id or client secret")
    if now >= client.expires:
        raise oidc_error("InvalidClientException", "The client's registration has expired")
    return client


def _user_code() -> str:
    letters = "".join(secrets.choice(_USER_CODE_LETTERS) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def normal_user_code(code: str) -> str:
    """``bcdf ghjk``, ``BCDFGHJK`` -> ``BCDF-GHJK`` (RFC 8628 section 6.1: case and dashes do not matter)."""
    letters = re.sub(r"[^A-Z]", "", code.upper())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else code


def start_device_authorization(request: dict[str, Any], instance_of: Any, page: str) -> dict[str, Any]:
    """StartDeviceAuthorization (https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/
    API_StartDeviceAuthorization.html). ``instance_of(store_id)`` finds the instance a start URL
    names (None: unknown); ``page`` is the verification page's URL."""
    now = clock.sandbox_time()
    with state.lock:
        client = _client(request, now)
    start_url = _text(request, "startUrl")
    match = START_URL.fullmatch(start_url)
    instance = instance_of(match.group(1)) if match else None
    if instance is None:
        raise oidc_error("InvalidRequestException", f"Invalid start URL {start_url!r}: no IAM Identity Center "
                         "instance has it")
    with state.lock:
        user_code = _user_code()
        while user_code in state.user_codes:
            user_code = _user_code()
        device = Device(secrets.token_urlsafe(48), user_code, client.client_id, instance, now + DEVICE_SECONDS)
        state.devices[device.device_code] = device
        state.user_codes[user_code] = device.device_code
    return {"deviceCode": device.device_code, "userCode": user_code, "verificationUri": page,
            "verificationUriComplete": f"{page}?user_code={user_code}", "expiresIn": DEVICE_SECONDS,
            "interval": INTERVAL}


def create_token(request: dict[str, Any]) -> dict[str, Any]:
    """CreateToken (https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateToken.html)."""
    now = clock.sandbox_time()
    grant = _text(request, "grantType")
    with state.lock:
        client = _client(request, now)
        if grant == DEVICE_GRANT:
            sign_in = _device_grant(client, _text(request, "deviceCode"), now)
        elif grant == REFRESH_GRANT:
            sign_in = _refresh_grant(client, _text(request, "refreshToken"), now)
        else:
            raise oidc_error("UnsupportedGrantTypeException", f"Unsupported grant type {grant!r}: the sandbox "
                             f"supports {DEVICE_GRANT} and {REFRESH_GRANT}")
        return _issue(client, sign_in, now)


def _device_grant(client: Client, device_code: str, now: float) -> SignIn:
    device = state.devices.get(device_code)
    if device is None or device.client_id != client.client_id or device.used:
        raise oidc_error("InvalidGrantException", "Invalid device code provided")
    if now >= device.expires:
        raise oidc_error("ExpiredTokenException", "Device code has expired")
    last, device.last_poll = device.last_poll, now
    if last is not None and now - last < INTERVAL:
        raise oidc_error("SlowDownException", f"Poll at most every {INTERVAL} seconds")
    if device.slow_downs > 0:  # AWS busy: what a client must survive by polling less often (RFC 8628, 3.5)
        device.slow_downs -= 1
        raise oidc_error("SlowDownException", "Client is polling too fast")
    if device.decision == "deny":
        raise oidc_error("AccessDeniedException", "The user denied the authorization request")
    if device.decision != "allow" or device.person is None:
        raise oidc_error("AuthorizationPendingException", "Authorization is still pending")
    device.used = True
    return SignIn(device.instance, device.person, now + SESSION_SECONDS)


def _refresh_grant(client: Client, refresh_token: str, now: float) -> SignIn:
    token = state.refresh.get(refresh_token)
    if token is None or token.client_id != client.client_id or not token.valid(now):
        raise oidc_error("InvalidGrantException", "Invalid refresh token provided")
    token.used = True
    return token.sign_in


def _issue(client: Client, sign_in: SignIn, now: float) -> dict[str, Any]:
    seconds = ACCESS_SECONDS_REFRESHABLE if client.scopes else ACCESS_SECONDS_LEGACY
    seconds = max(1, min(seconds, math.ceil(sign_in.ends - now)))
    access = "aoa" + secrets.token_urlsafe(96)
    state.access[access] = Token(sign_in, now + seconds, client.client_id)
    answer: dict[str, Any] = {"accessToken": access, "tokenType": "Bearer", "expiresIn": seconds}
    if client.scopes:
        refresh = "aor" + secrets.token_urlsafe(96)
        state.refresh[refresh] = Token(sign_in, sign_in.ends, client.client_id)
        answer["refreshToken"] = refresh
    return answer


def pending_device(user_code: str) -> Device:
    """The device request a person is asked to allow (ValueError: unknown, expired or decided)."""
    with state.lock:
        device = state.devices.get(state.user_codes.get(normal_user_code(user_code), ""))
        if device is None:
            raise ValueError(f"no sign-in request has the code {user_code!r}")
        if clock.sandbox_time() >= device.expires:
            raise ValueError(f"the code {user_code!r} has expired")
        if device.decision is not None:
            raise ValueError(f"the code {user_code!r} was already answered ({device.decision})")
        return device


def decide(user_code: str, person: Person, allow: bool) -> Device:
    """The person allows (or denies) the request with ``user_code`` (ValueError as :func:`pending_device`)."""
    device = pending_device(user_code)
    with state.lock:
        if device.decision is not None:
            raise ValueError(f"the code {user_code!r} was already answered ({device.decision})")
        device.decision, device.person = ("allow" if allow else "deny"), person
    return device


def signed_in(access_token: str) -> SignIn:
    """The sign-in an access token belongs to; UnauthorizedException (401) for an unknown, expired
    or logged-out one."""
    with state.lock:
        token = state.access.get(access_token)
        if token is None or not token.valid(clock.sandbox_time()):
            raise SsoError("UnauthorizedException", 401, "Session token not found or invalid")
        return token.sign_in


def logout(access_token: str) -> None:
    """End the token's Identity Center session: its access and refresh tokens stop working."""
    sign_in = signed_in(access_token)
    with state.lock:
        sign_in.ended = True


def slow_down(user_code: str, polls: int) -> Device:
    """Answer the next ``polls`` polls of ``user_code``'s device code with SlowDownException, as
    AWS does when it wants a client to poll less often (ValueError as :func:`pending_device`)."""
    device = pending_device(user_code)
    with state.lock:
        device.slow_downs = polls
    return device
