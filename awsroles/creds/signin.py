"""Signing in to IAM Identity Center: the OAuth 2.0 device authorization grant, as AWS runs it.

One sign-in serves every environment and role until its token expires (the portal's
``GetRoleCredentials`` takes the token for any account and permission set the person is given):

1. ``RegisterClient`` (SSO OIDC) registers awsroles as a public client, with the scope
   ``sso:account:access`` so that AWS issues a refresh token; the registration (90 days) is
   kept with the token and reused.
2. ``StartDeviceAuthorization`` gives a user code and a verification URL: shown on the
   terminal, and opened in the browser when there is one. The person checks the code and
   clicks "Allow" there.
3. ``CreateToken`` with the device code is polled every ``interval`` seconds (RFC 8628, section
   3.4): ``AuthorizationPendingException`` means not yet, ``SlowDownException`` adds 5 seconds to
   the interval (section 3.5), ``AccessDeniedException`` is the person's "Deny", and
   ``ExpiredTokenException`` the code's end (``expiresIn``, 10 minutes).
4. A token close to its end is refreshed with ``CreateToken`` and the refresh token
   (``grantType=refresh_token``); when AWS refuses that (``InvalidGrantException``: the Identity
   Center session is over), the person signs in again; when the refresh fails otherwise (AWS
   unreachable, throttled, failing), the token serves until its last minute (``LAST_USE``), as
   botocore's ``SSOTokenProvider`` keeps its token when a refresh fails.

The token lives in the secret store (``awsroles-sessions``, ``sso/SESSION``); with ``shared``,
also in the AWS CLI v2's cache (:mod:`awsroles.creds.sso_token`), which awsroles reads in any
case, so a sign-in made by ``aws sso login --sso-session SESSION`` serves awsroles too. A file
lock per session makes many processes at once cause one sign-in.

Sources: SSO OIDC API Reference (https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/),
RFC 8628 (https://www.rfc-editor.org/rfc/rfc8628), the AWS CLI's "Configuring IAM Identity Center
authentication" (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from awsroles.creds.model import utcnow
from awsroles.creds.sso_token import SharedCache, SsoToken
from awsroles.creds.store import SESSIONS, SecretStore
from awsroles.errors import AwsrolesError, MfaError, from_aws
from awsroles.errors import aws_error_code as _code

log = logging.getLogger(__name__)

SCOPES = ("sso:account:access",)  # what the AWS CLI's sso-session profiles register with: refresh tokens
CLIENT_NAME = "awsroles"
REFRESH_WINDOW = 15 * 60  # refresh a token with less left than this (botocore's SSOTokenProvider does too)
LAST_USE = 60  # a token with less left than this is not used (a refresh that failed keeps the old one till then)
SLOW_DOWN = 5  # seconds added to the polling interval at each SlowDownException (RFC 8628, 3.5)
LOCK_TIMEOUT = 900.0  # longer than a device code lives (600 s): a second process waits for the first sign-in
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class SignInError(MfaError):
    """The sign-in did not happen: denied, timed out, or impossible here (exit 4, as a refused MFA code)."""


@dataclass(frozen=True)
class DeviceCode:
    """What the person needs to approve the sign-in (nothing secret: the device code stays here)."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int


Show = Callable[[DeviceCode], None]


class SignIn:
    """The person's Identity Center sign-in for one ``start_url``.

    ``oidc`` builds an SSO OIDC client (unsigned, in ``region``); ``show`` tells the person the
    code (and may open a browser), or raises :class:`SignInError` where nobody can be asked.
    """

    def __init__(self, *, start_url: str, region: str, session_name: str, store: SecretStore, lock_dir: Path,
                 oidc: Callable[[], Any], show: Show, shared: SharedCache | None = None,
                 share: bool = False, clock: Callable[[], datetime] = utcnow,
                 sleep: Callable[[float], None] = time.sleep):
        self.start_url = start_url
        self.region = region
        self.session_name = session_name
        self.store = store
        self.lock_dir = lock_dir
        self.shared = shared
        self.share = share and shared is not None
        self.clock = clock
        self.sleep = sleep
        self._oidc_factory = oidc
        self._oidc: Any = None
        self._show = show
        self._source: Path | None = None  # the AWS CLI's file the cached token came from (None: the store)

    @property
    def store_name(self) -> str:
        return f"sso/{self.session_name}"

    def _client(self) -> Any:
        if self._oidc is None:
            self._oidc = self._oidc_factory()
        return self._oidc

    def _lock(self) -> AbstractContextManager[None]:
        from awsroles.fsutil import LOCK_SUFFIX, file_lock, private_dir

        private_dir(self.lock_dir)
        digest = hashlib.sha256(self.store_name.encode()).hexdigest()[:24]
        return file_lock(self.lock_dir / f"{digest}{LOCK_SUFFIX}", timeout=LOCK_TIMEOUT)

    # -- the cached token ----------------------------------------------------------------------

    def cached(self) -> SsoToken | None:
        """The newest token for this start URL: the store's, or one in the AWS CLI's cache (any
        sso-session's: ``aws sso login`` signs awsroles in too)."""
        found: list[tuple[Path | None, SsoToken]] = []
        text = self.store.get(SESSIONS, self.store_name)
        if text:
            try:
                found.append((None, SsoToken.from_json(text)))
            except (ValueError, KeyError, TypeError):
                log.info("the stored sign-in is damaged: ignored")
        if self.shared is not None:
            found += self.shared.find(self.start_url, self.region)
        found = [(p, t) for p, t in found if t.for_url(self.start_url, self.region)]
        if not found:
            self._source = None
            return None
        self._source, token = max(found, key=lambda pair: pair[1].expires_at)
        return token

    def _keep(self, token: SsoToken, *, refreshed: bool = False) -> None:
        """Keep ``token`` in the store (and in awsroles' file in the AWS CLI's cache when shared).
        A refresh of a token another sso-session's file held goes back to that file too, as
        botocore does: the refresh spent its refresh token, and the AWS CLI needs the new one."""
        self.store.set(SESSIONS, self.store_name, token.to_json())
        if self.share and self.shared is not None:
            self.shared.write(self.session_name, token)
        source = self._source
        if refreshed and self.shared is not None and source is not None and (
                not self.share or source != self.shared.path(self.session_name)):
            self.shared.write_path(source, token)

    def forget(self) -> SsoToken | None:
        """Remove the sign-in from the store (and from the AWS CLI's cache when shared); the
        forgotten token, for the caller to log out of the portal with."""
        token = self.cached()
        self.store.delete(SESSIONS, self.store_name)
        if self.share and self.shared is not None:
            self.shared.delete(self.session_name)
        return token

    def _left(self, token: SsoToken | None) -> float:
        return token.remaining(self.clock()) if token is not None else 0.0

    # -- getting one -----------------------------------------------------------------------------

    def token(self, *, refused: SsoToken | None = None) -> SsoToken:
        """A usable token: the cached one, else refreshed, else a new sign-in. ``refused``: a
        token the portal just refused (revoked, or expired by AWS's clock): never returned."""
        cached = self.cached()
        if self._usable(cached, refused, REFRESH_WINDOW):
            return self._shared_too(cached)  # type: ignore[arg-type]
        with self._lock():
            cached = self.cached()  # another process may have signed in while we waited
            if self._usable(cached, refused, REFRESH_WINDOW):
                return self._shared_too(cached)  # type: ignore[arg-type]
            if cached is not None and cached.can_refresh(self.clock()):
                try:
                    refreshed = self._refresh(cached)
                except AwsrolesError:  # AWS unreachable, throttled, failing: not a refused refresh token
                    if self._usable(cached, refused, LAST_USE):
                        log.warning("refreshing the Identity Center token failed; using the cached one until its "
                                    "last minute")
                        return cached
                    raise
                if refreshed is not None:
                    self._keep(refreshed, refreshed=True)
                    return refreshed
                if self._usable(cached, refused, LAST_USE):
                    return cached
            token = self._device_sign_in(cached)
            self._source = None
            self._keep(token)
            return token

    def _shared_too(self, token: SsoToken) -> SsoToken:
        """Shared, a sign-in found elsewhere (the store, another sso-session's file) is also put in
        awsroles' own file of the AWS CLI's cache, which the sso-session profiles name."""
        if self.share and self.shared is not None and self._source != self.shared.path(self.session_name):
            current = self.shared.read(self.session_name)
            if current is None or current.access_token != token.access_token:
                self.shared.write(self.session_name, token)
        return token

    def _usable(self, token: SsoToken | None, refused: SsoToken | None, margin: float) -> bool:
        if token is None or (refused is not None and token.access_token == refused.access_token):
            return False
        return self._left(token) > margin

    def _refresh(self, token: SsoToken) -> SsoToken | None:
        """A new token from the refresh token; None when AWS refuses it (then: sign in again)."""
        log.info("refreshing the Identity Center token of %s", self.session_name)
        try:
            reply = self._client().create_token(clientId=token.client_id, clientSecret=token.client_secret,
                                                grantType="refresh_token", refreshToken=token.refresh_token)
        except AwsrolesError:
            raise
        except Exception as exc:
            code = _code(exc)
            if code in ("InvalidGrantException", "ExpiredTokenException", "InvalidClientException",
                        "UnauthorizedClientException", "AccessDeniedException"):
                log.info("the refresh token was refused (%s): signing in again", code)
                return None
            raise from_aws(exc, "CreateToken") from exc
        return self._token(reply, token.client_id, token.client_secret, token.registration_expires_at,
                           keep_refresh=token.refresh_token)

    def _token(self, reply: dict[str, Any], client_id: str, client_secret: str,
               registered_until: datetime | None, keep_refresh: str = "") -> SsoToken:
        now = self.clock()
        return SsoToken(
            start_url=self.start_url, region=self.region, access_token=reply["accessToken"],
            expires_at=(now + timedelta(seconds=int(reply.get("expiresIn") or 3600))).replace(microsecond=0),
            refresh_token=reply.get("refreshToken") or keep_refresh, client_id=client_id,
            client_secret=client_secret, registration_expires_at=registered_until,
        )

    def _registration(self, cached: SsoToken | None) -> tuple[str, str, datetime | None]:
        """A client registration: the cached token's while it lasts (a day to spare), else new."""
        now = self.clock()
        if cached is not None and cached.client_id and cached.client_secret and (
                cached.registration_expires_at is None or cached.registration_expires_at > now + timedelta(days=1)):
            return cached.client_id, cached.client_secret, cached.registration_expires_at
        try:
            reply = self._client().register_client(clientName=CLIENT_NAME, clientType="public", scopes=list(SCOPES))
        except AwsrolesError:
            raise
        except Exception as exc:
            raise from_aws(exc, "RegisterClient") from exc
        expires = reply.get("clientSecretExpiresAt")
        until = datetime.fromtimestamp(int(expires), now.tzinfo) if expires else None
        return reply["clientId"], reply["clientSecret"], until

    def _device_sign_in(self, cached: SsoToken | None) -> SsoToken:
        client_id, client_secret, until = self._registration(cached)
        client = self._client()
        try:
            start = client.start_device_authorization(clientId=client_id, clientSecret=client_secret,
                                                      startUrl=self.start_url)
        except AwsrolesError:
            raise
        except Exception as exc:
            if _code(exc) == "InvalidClientException" and cached is not None:
                return self._device_sign_in(None)  # the registration was revoked: register again
            raise self._refusal(exc, "StartDeviceAuthorization") from exc
        device = DeviceCode(start["userCode"], start["verificationUri"],
                            start.get("verificationUriComplete") or start["verificationUri"],
                            int(start.get("expiresIn") or 600))
        self._show(device)
        interval = max(1, int(start.get("interval") or 5))
        deadline = time.monotonic() + device.expires_in
        while True:
            self.sleep(interval)
            try:
                reply = client.create_token(clientId=client_id, clientSecret=client_secret, grantType=DEVICE_GRANT,
                                            deviceCode=start["deviceCode"])
                log.info("signed in to %s", self.start_url)
                return self._token(reply, client_id, client_secret, until)
            except AwsrolesError:
                raise
            except Exception as exc:
                code = _code(exc)
                if code == "AuthorizationPendingException":
                    if time.monotonic() > deadline + interval:
                        raise SignInError("the sign-in was not approved in time: run the command again") from exc
                    continue
                if code == "SlowDownException":
                    interval += SLOW_DOWN
                    log.info("AWS asked to poll less often: every %s seconds now", interval)
                    continue
                raise self._refusal(exc, "CreateToken") from exc

    def _refusal(self, exc: Exception, call: str) -> AwsrolesError:
        code = _code(exc)
        if code == "AccessDeniedException":
            return SignInError("the sign-in was denied in the browser: nothing was cached")
        if code == "ExpiredTokenException":
            return SignInError("the sign-in code expired before it was approved: run the command again")
        if code == "InvalidRequestException" and call == "StartDeviceAuthorization":
            return SignInError(f"IAM Identity Center does not know the start URL {self.start_url} in "
                               f"{self.region}: check identity_center_start_url in the org file")
        return from_aws(exc, call)
