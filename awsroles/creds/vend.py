"""Vending: one MFA session per work day, then any granted role from it without a new code.

- The person's long-term key (ops account) lives in the secret store (``awsroles-keys``).
- ``GetSessionToken`` with the MFA code gives the MFA session, cached in the store
  (``awsroles-sessions``) for up to the org's ``mfa_max_age``.
- ``AssumeRole`` from the MFA session gives a role session (RoleSessionName and SourceIdentity are
  the IAM user name), cached in the store and in the fast cache, refreshed ahead of expiry:
  advisory 15 minutes before (an old session is kept if the refresh fails), mandatory at 10.
- A per-session file lock makes many processes at once cause one STS call and at most one prompt.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from awsroles.creds.fastcache import FastCache
from awsroles.creds.fastformat import ADVISORY_REFRESH, MANDATORY_REFRESH
from awsroles.creds.mfa import MfaSource
from awsroles.creds.model import Credentials, utcnow
from awsroles.creds.store import KEYS, SESSIONS, SecretStore
from awsroles.creds.userconfig import NotSetUp, RoleGrant, UserConfig
from awsroles.errors import AwsrolesError, MfaError, NetworkError, NotGrantedError, UsageError, from_aws
from awsroles.errors import aws_error_code as _code
from awsroles.errors import aws_error_message as _message

log = logging.getLogger(__name__)

LOCK_TIMEOUT = 900.0  # longer than a person takes to answer: an MFA prompt, a sign-in code (600 s)


class _Stale(Exception):
    """The session an ``AssumeRole`` was made with is no longer taken by STS: get a new one."""


@dataclass(frozen=True)
class RoleSession:
    grant: RoleGrant
    credentials: Credentials
    cached: bool


class Vendor:
    """Gets credentials for the person described by ``config``. Everything with a side effect is
    passed in: the store, the MFA source, the AWS builder, the clock and the lock directory."""

    def __init__(
        self,
        config: UserConfig,
        store: SecretStore,
        *,
        mfa: MfaSource,
        lock_dir: Path,
        fast: FastCache | None = None,
        aws_for: Callable[[Credentials], Any] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.config = config
        self.store = store
        self.mfa = mfa
        self.lock_dir = lock_dir
        self.fast = fast
        self.clock = clock
        self._aws_for = aws_for

    # -- plumbing ----------------------------------------------------------------------------

    def _sts(self, credentials: Credentials) -> Any:
        if self._aws_for is not None:
            return self._aws_for(credentials).client("sts")
        from awsroles.aws import for_credentials

        return for_credentials(credentials, self.config.region).client("sts")

    def _lock(self, name: str) -> AbstractContextManager[None]:
        from awsroles.fsutil import LOCK_SUFFIX, file_lock, private_dir

        private_dir(self.lock_dir)
        digest = hashlib.sha256(name.encode()).hexdigest()[:24]
        return file_lock(self.lock_dir / f"{digest}{LOCK_SUFFIX}", timeout=LOCK_TIMEOUT)

    def _stored(self, name: str) -> Credentials | None:
        text = self.store.get(SESSIONS, name)
        if not text:
            return None
        try:
            return Credentials.from_json(text)
        except (ValueError, KeyError):
            return None

    def _left(self, credentials: Credentials | None) -> float:
        return credentials.remaining(self.clock()) if credentials is not None else 0.0

    # -- names -----------------------------------------------------------------------------

    @property
    def mfa_session_name(self) -> str:
        return f"mfa/{self.config.key_name}/{self.config.mfa_serial or '-'}"

    def role_session_name(self, grant: RoleGrant) -> str:
        return f"role/{grant.account_id}/{grant.role}/{self.config.user_name}"

    def describe_session(self, name: str) -> tuple[str, str]:
        """``(environment, role)`` of a cached session's name, for people: the MFA session is
        ``("ops", "MFA session")``; a role session no longer granted shows its account id."""
        if name == self.mfa_session_name or name.startswith("mfa/"):
            return "ops", "MFA session"
        kind, _, rest = name.partition("/")
        account_id, _, rest = rest.partition("/")
        role = rest.partition("/")[0]
        if kind == "break-glass" and role:  # awsroles.creds.breakglass: shown for what it is
            glass = next((g for g in self.config.break_glass if g.account_id == account_id), None)
            return (glass.environment if glass else account_id), f"{role} (break-glass)"
        if kind != "role" or not role:
            return "-", name
        grant = next((g for g in self.config.grants if g.account_id == account_id and g.role == role), None)
        return (grant.environment if grant else account_id), role

    # -- long-term key -------------------------------------------------------------------------

    def long_term(self) -> Credentials:
        text = self.store.get(KEYS, self.config.key_name)
        if not text:
            raise NotSetUp(f"no access key stored for {self.config.user_name} in {self.store.name}: "
                           "run `awsroles setup`")
        return Credentials.from_json(text)

    # -- MFA session ---------------------------------------------------------------------------

    def mfa_session(self) -> Credentials:
        name = self.mfa_session_name
        cached = self._stored(name)
        if self._left(cached) > MANDATORY_REFRESH:
            return cached  # type: ignore[return-value]
        with self._lock(name):
            cached = self._stored(name)  # another process may have done it while we waited
            if self._left(cached) > MANDATORY_REFRESH:
                return cached  # type: ignore[return-value]
            credentials = self._get_session_token()
            self.store.set(SESSIONS, name, credentials.to_json())
            return credentials

    def forget_mfa_session(self) -> None:
        self.store.delete(SESSIONS, self.mfa_session_name)

    def _get_session_token(self) -> Credentials:
        long_term = self.long_term()
        params: dict[str, Any] = {"DurationSeconds": max(900, min(self.config.mfa_max_age, 129600))}
        if self.config.mfa_serial:
            params["SerialNumber"] = self.config.mfa_serial
            params["TokenCode"] = self.mfa(self.config.mfa_serial)
        elif self.config.mfa_required:
            raise MfaError("your org requires MFA but no MFA device is recorded for you: enrol one, then run "
                           "`awsroles setup` again")
        log.info("GetSessionToken for %s (%ss)", self.config.user_name, params["DurationSeconds"])
        try:
            reply = self._sts(long_term).get_session_token(**params)
        except AwsrolesError:  # aws.AwsGaveUp: still throttled after its last attempt (exit 8)
            raise
        except Exception as exc:
            raise self._translate(exc, "GetSessionToken") from exc
        return Credentials.from_mapping(reply["Credentials"])

    # -- role sessions -------------------------------------------------------------------------

    def resolve(self, environment: str, role: str | None) -> RoleGrant:
        environments = self.config.environments
        if environment not in environments:
            from awsroles.org.builder import did_you_mean

            hint = did_you_mean(environment, environments)
            mine = ", ".join(environments) or "none"
            raise NotGrantedError(f"you have no role in '{environment}'{hint}; your environments: {mine}")
        roles = self.config.roles_in(environment)
        if role is None:
            if len(roles) == 1:
                role = roles[0]
            else:
                raise UsageError(f"you have several roles in {environment} ({', '.join(roles)}): choose with --role")
        grant = self.config.grant(environment, role)
        if grant is None:
            raise NotGrantedError(f"you are not granted the role '{role}' in {environment}; "
                                  f"your roles there: {', '.join(roles)}")
        return grant

    def cached_role_session(self, grant: RoleGrant) -> Credentials | None:
        name = self.role_session_name(grant)
        cached = self.fast.get(grant.environment, grant.role, name) if self.fast is not None else None
        if cached is not None:
            return cached
        stored = self._stored(name)
        if stored is not None and self.fast is not None and self._left(stored) > ADVISORY_REFRESH:
            # a miss here but a session in the store: the fast cache lost its key or files
            # (reboot, logout, damage); seal it again so the next call is fast (self-healing)
            self.fast.put(grant.environment, grant.role, name, stored)
        return stored

    def role_session(self, environment: str, role: str | None = None, *, duration: int | None = None,
                     force: bool = False) -> RoleSession:
        grant = self.resolve(environment, role)
        if duration is not None:
            self._check_duration(grant, duration)  # over the role's maximum: refused, cache or not
        name = self.role_session_name(grant)

        def enough(cached: Credentials | None) -> bool:
            """Long enough: past the advisory refresh, and (asked for ``duration``) not much shorter
            than asked: a session of the same length issued a few minutes ago still serves."""
            left = self._left(cached)
            return left > ADVISORY_REFRESH and (duration is None or left >= duration - ADVISORY_REFRESH)

        cached = None if force else self.cached_role_session(grant)
        if enough(cached):
            return RoleSession(grant, cached, True)  # type: ignore[arg-type]
        with self._lock(name):
            cached = None if force else self.cached_role_session(grant)
            if enough(cached):
                return RoleSession(grant, cached, True)  # type: ignore[arg-type]
            try:
                credentials = self._assume(grant, duration)
            except AwsrolesError:
                if duration is None and cached is not None and self._left(cached) > MANDATORY_REFRESH:
                    log.warning("refreshing %s failed; using the cached session until its mandatory refresh", name)
                    return RoleSession(grant, cached, True)
                raise
            self.store.set(SESSIONS, name, credentials.to_json())
            if self.fast is not None:
                self.fast.put(grant.environment, grant.role, name, credentials)
            return RoleSession(grant, credentials, False)

    @staticmethod
    def _check_duration(grant: RoleGrant, seconds: int) -> None:
        if not 900 <= seconds <= grant.max_session:
            raise UsageError(f"a session of {seconds}s is outside 900..{grant.max_session} for "
                             f"{grant.environment}/{grant.role} (its max_session in the org file)")

    def _assume(self, grant: RoleGrant, duration: int | None) -> Credentials:
        seconds = duration or min(self.config.session_duration, grant.max_session)
        self._check_duration(grant, seconds)
        seconds = session_within(grant, seconds, self.clock())
        user = self.config.user_name
        params = {"RoleArn": grant.role_arn, "RoleSessionName": user[:64], "SourceIdentity": user,
                  "DurationSeconds": seconds}
        return self.assume_role(params, f"the role {grant.role} in {grant.environment}")

    def assume_role(self, params: dict[str, Any], what: str) -> Credentials:
        """``AssumeRole`` with ``params`` from the MFA session (a new one when STS no longer takes it);
        a refusal is NotGrantedError naming ``what`` (``the role admin in prod``)."""
        try:
            return self.assume_role_from(self.mfa_session(), params, what, stale=_Stale)
        except _Stale:
            log.info("the MFA session is no longer valid; getting a new one")
            self.forget_mfa_session()
        return self.assume_role_from(self.mfa_session(), params, what)

    def assume_role_from(self, session: Credentials, params: dict[str, Any], what: str,
                         stale: type[Exception] | None = None) -> Credentials:
        """``AssumeRole`` with ``params`` as ``session``; a refusal is NotGrantedError naming ``what``.
        ``stale``: raised instead when STS no longer takes ``session`` (expired, or its key is gone)."""
        user = self.config.user_name
        log.info("AssumeRole %s as %s (%ss)", params["RoleArn"], user, params["DurationSeconds"])
        try:
            reply = self._sts(session).assume_role(**params)
            return Credentials.from_mapping(reply["Credentials"])
        except AwsrolesError:
            raise
        except Exception as exc:
            if stale is not None and _code(exc) in ("ExpiredToken", "InvalidClientTokenId"):
                raise stale() from exc
            error = self._translate(exc, "AssumeRole")
            if isinstance(error, NotGrantedError):
                raise NotGrantedError(f"AWS refused {user} {what} ({_code(exc)}); if it was granted just now, "
                                      "the admin must run `awsroles apply`") from exc
            raise error from exc

    def assume_break_glass(self, grant: RoleGrant, params: dict[str, Any], what: str) -> Credentials:
        """A break-glass role's session (:mod:`awsroles.creds.breakglass`): from the MFA session."""
        return self.assume_role(params, what)

    def _translate(self, exc: Exception, call: str) -> AwsrolesError:
        """What STS's refusal means for the person (MFA: exit 4, not granted: 5, a dead key); the
        rest is errors.from_aws (AWS cannot be reached: 7, throttled: 8, else ``CALL: CODE: message``)."""
        code, message = _code(exc), _message(exc)
        if "MultiFactorAuthentication" in message and "serial number" in message:
            return MfaError(f"AWS does not know your MFA device {self.config.mfa_serial or '(none)'}: it may have "
                            "been replaced; run `awsroles setup` again")
        if "MultiFactorAuthentication" in message or code == "MultiFactorAuthentication":
            return MfaError("AWS refused the MFA code: wrong, or already used (wait for the next one)")
        if code in ("ExpiredToken", "ExpiredTokenException"):
            return MfaError("the MFA session has expired: run the command again to enter a new code")
        if code in ("AccessDenied", "AccessDeniedException") and call == "AssumeRole":
            return NotGrantedError(message)
        if code in ("InvalidClientTokenId", "SignatureDoesNotMatch"):
            return AwsrolesError(f"{call}: your stored access key was refused ({code}); it may have been "
                                 "rotated or deleted: run `awsroles setup` again")
        error = from_aws(exc, call)
        if isinstance(error, NetworkError):
            return NetworkError(f"{error}; check your network (nothing was cached)")
        return error


def session_within(grant: RoleGrant, seconds: int, now: datetime) -> int:
    """A session of ``seconds``, shortened to what a temporary grant has left (``grant.until``), but
    never below 900 s, the shortest AssumeRole gives: IAM refuses the role once the grant has ended,
    so such a session can outlast it by at most those 15 minutes."""
    if not grant.until:
        return seconds
    try:
        until = datetime.strptime(grant.until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return seconds
    moment = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    left = int((until - moment).total_seconds())
    return max(900, min(seconds, left))
