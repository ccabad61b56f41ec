"""IAM users' sessions (``GetSessionToken``) as AWS makes them, and who an IAM user's request acts as.

- **GetSessionToken.** moto hands every caller the same example credentials, which its own
  IAM authorization then rejects. Here an IAM user's long-term key gets fresh credentials per
  call (``ASIA...`` key id from moto's ``create_temp_access_key``, so moto's
  ``get_account_id_from`` routes them to the user's account; random secret and token;
  ``Expiration`` = now + DurationSeconds, 900..129600, default 43200). Requests signed with
  them act as the user (``create_access_key`` in ``moto.iam.access_control``): the token must
  match, an expired one is ``ExpiredToken`` (at the sandbox's clock,
  :mod:`awsroles.sandbox.server.clock`), the user's and groups' policies apply, and
  ``GetCallerIdentity`` names the user. As on AWS they may call only ``AssumeRole`` and
  ``GetCallerIdentity`` in STS, and IAM only when the session was made with an MFA code; no
  policy is needed (or can deny) ``GetSessionToken``, which session credentials cannot call.
  MFA codes are checked by :func:`awsroles.sandbox.server.mfa.check_mfa`.
- **An IAM user's request context.** For IAM users' requests (long-term keys and sessions) the
  user's policies are resolved against the request's context (:func:`_context`) by
  :func:`awsroles.sandbox.server.conditions.resolve_policy` before moto sees them.
  ``AssumeRole`` carries ``aws:ResourceAccount`` (the role's account), and with a ``SourceIdentity``
  also takes ``sts:SetSourceIdentity``. An IAM user's
  permissions boundary limits their requests as on AWS
  (:func:`awsroles.sandbox.server.boundaries.boundary_allows`).
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from awsroles.sandbox.server import clock
from awsroles.sandbox.server.boundaries import boundary_allows
from awsroles.sandbox.server.conditions import resolve_policy, time_context
from awsroles.sandbox.server.mfa import check_mfa, mfa_codes
from awsroles.sandbox.server.protocol import auth_error, param

SESSION_SECONDS_MIN = 900  # GetSessionToken's DurationSeconds for an IAM user, as AWS bounds it
SESSION_SECONDS_DEFAULT = 43200
SESSION_SECONDS_MAX = 129600
_SESSION = "awsroles_session"  # the attribute of a moto AccessKey that carries its UserSession
_TOKEN_PREFIX = "IQoJb3JpZ2luX2VjE"  # what AWS session tokens start with; the rest is random


@dataclass(frozen=True)
class UserSession:
    """Temporary credentials an IAM user got from ``GetSessionToken``."""

    account_id: str
    partition: str
    user_name: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    issued: datetime  # naive UTC, as moto keeps times
    expiration: datetime
    mfa_serial: str | None  # the device given with a code; None: no MFA

    @property
    def mfa(self) -> bool:
        return self.mfa_serial is not None


def find_session(account_id: str, partition: str, access_key_id: str) -> UserSession | None:
    """The session ``access_key_id`` belongs to, or None (a long-term key, a role's, unknown)."""
    from moto.iam.models import iam_backends

    key = iam_backends[account_id][partition].access_keys.get(access_key_id)
    session = getattr(key, _SESSION, None)
    return session if isinstance(session, UserSession) else None


def _new_session(backend: Any, user_name: str, duration: int, mfa_serial: str | None) -> UserSession:
    # moto's own temporary key (ASIA...): kept in the account's IAM backend, which is where moto
    # looks for the account of every request (moto.iam.models.get_account_id_from), so requests
    # signed with it land in the user's account; moto's reset forgets it with the account.
    key = backend.create_temp_access_key()
    key.secret_access_key = secrets.token_urlsafe(30)[:40]
    now = clock.utcnow()
    session = UserSession(
        account_id=backend.account_id, partition=backend.partition, user_name=user_name,
        access_key_id=key.access_key_id, secret_access_key=key.secret_access_key,
        session_token=_TOKEN_PREFIX + base64.b64encode(secrets.token_bytes(240)).decode(),
        issued=now, expiration=now + timedelta(seconds=duration), mfa_serial=mfa_serial,
    )
    setattr(key, _SESSION, session)
    return session


def _context(session: UserSession | None, user: Any, action: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The request context AWS has for an IAM user's request (lower-case keys); a key that is
    absent is absent here too (long-term keys: no MFA keys and no ``aws:TokenIssueTime``)."""
    context = user_context(session, user)
    source_identity = param(data, "SourceIdentity")
    if action == "sts:AssumeRole" and source_identity:
        context["sts:sourceidentity"] = source_identity
    if action == "sts:AssumeRole":
        # The account that owns the role asked for (IAM User Guide, "AWS global condition context keys",
        # aws:ResourceAccount: "the resource owner's AWS account ID"): a team's per-role statement
        # allows the role in the accounts it lists
        # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
        parts = (param(data, "RoleArn") or "").split(":")
        if len(parts) > 4 and parts[4].isdigit():
            context["aws:resourceaccount"] = parts[4]
    return context


def user_context(session: UserSession | None, user: Any) -> dict[str, str]:
    """What every request of IAM user ``user`` carries (through ``session``, or its long-term key
    when None): who, when, and the session's MFA."""
    context = {
        "aws:username": user.name, "aws:userid": user.id, "aws:principalarn": user.arn,
        "aws:principalaccount": user.account_id, "aws:principaltype": "User",
        **time_context(clock.utcnow(), None if session is None else session.issued),
    }
    if session is not None:
        context["aws:multifactorauthpresent"] = "true" if session.mfa else "false"
        if session.mfa:
            context["aws:multifactorauthage"] = str(int((clock.utcnow() - session.issued).total_seconds()))
    return context


def _user_keys() -> tuple[type[Any], type[Any]]:
    """The access control's view of an IAM user's long-term key and of a session's key."""
    from botocore.credentials import Credentials
    from moto.iam.access_control import IAMPolicy, IAMUserAccessKey

    class UserKey(IAMUserAccessKey):
        """A long-term key: the user's policies as they apply to this request."""

        context: Mapping[str, str] = MappingProxyType({})  # the request's, set by check_action_permitted

        @property
        def arn(self) -> str:  # moto leaves out the user's path
            return str(self.backend.get_user(self._owner_user_name).arn)

        def collect_policies(self) -> list[Any]:
            return [json.dumps(resolve_policy(IAMPolicy(p)._policy_json, self.context))
                    for p in super().collect_policies()]

    class SessionKey(UserKey):
        """Credentials from GetSessionToken: the user, with the session's MFA context."""

        def __init__(self, session: UserSession) -> None:
            self.account_id = session.account_id
            self.partition = session.partition
            self.session = session
            self._owner_user_name = session.user_name
            self._access_key_id = session.access_key_id
            self._secret_access_key = session.secret_access_key

        def create_credentials(self) -> Any:
            return Credentials(self._access_key_id, self._secret_access_key, self.session.session_token)

    return UserKey, SessionKey


def _role_exists(key: Any) -> bool:
    """Whether the role of an assumed-role key (moto's AssumedRoleAccessKey) exists in its account."""
    from moto.iam.exceptions import NotFoundException

    try:
        key.backend.get_role(key._owner_role_name)
    except NotFoundException:
        return False
    return True


def patch_sessions() -> Callable[[], None]:
    """GetSessionToken mints per-call credentials that act as the IAM user (see the module docstring)."""
    from moto.iam import access_control
    from moto.iam.models import iam_backends
    from moto.sts import models as sts_models
    from moto.sts import responses as sts_responses
    from moto.sts.exceptions import STSValidationError

    user_key, session_key = _user_keys()
    mfa_codes.reset()  # a new server: no code used yet, and its clock is the wall clock
    clock.sandbox_clock.reset()
    original_create = access_control.create_access_key
    original_check = access_control.IAMRequestBase.check_action_permitted
    original_token = sts_responses.TokenResponse.get_session_token
    original_assume = sts_responses.TokenResponse.assume_role
    original_identity = sts_models.STSBackend.get_caller_identity
    failure = access_control.CreateAccessKeyFailure

    def create_access_key(account_id: str, partition: str, access_key_id: str, headers: Any) -> Any:
        session = find_session(account_id, partition, access_key_id)
        if session is None:
            key = original_create(account_id, partition, access_key_id, headers)
            if type(key) is access_control.IAMUserAccessKey:
                key.__class__ = user_key
            return key
        token = headers.get("X-Amz-Security-Token") or ""
        if not hmac.compare_digest(token.encode(), session.session_token.encode()):
            raise failure(reason="InvalidToken")
        if session.user_name not in iam_backends[account_id][partition].users:
            raise failure(reason="InvalidId")  # the user is gone: so are its sessions
        if clock.utcnow() >= session.expiration:
            raise auth_error()("ExpiredToken", "The security token included in the request is expired")
        return session_key(session)

    def check_action_permitted(self: Any, resource: str) -> None:
        key = self._access_key
        session = getattr(key, "session", None) if isinstance(key, session_key) else None
        if self._action == "sts:GetSessionToken":
            if session is not None or isinstance(key, access_control.AssumedRoleAccessKey):
                raise auth_error()("AccessDenied", "Cannot call GetSessionToken with session credentials")
            return  # AWS: getting a session needs no permission, and no policy can deny it
        if session is not None:
            if self._service == "sts" and self._action not in ("sts:AssumeRole", "sts:GetCallerIdentity"):
                operation = self._action.split(":", 1)[1]
                raise auth_error()("AccessDenied", f"Cannot call {operation} with session credentials")
            if self._service == "iam" and not session.mfa:
                raise auth_error()("AccessDenied", "Session credentials obtained without MFA cannot call IAM")
        if isinstance(key, user_key):
            user = self.backend.get_user(key._owner_user_name)
            key.context = _context(session, user, self._action, self._data)
        if (isinstance(key, access_control.AssumedRoleAccessKey) and self._action != "sts:GetCallerIdentity"
                and not _role_exists(key)):
            # AWS evaluates a role session's permissions on every request, from the role's current
            # policies: a role that does not exist (any more) grants nothing, so the request is
            # denied (403 AccessDenied), not a server error (IAM User Guide, "Disabling permissions
            # for temporary security credentials": https://docs.aws.amazon.com/IAM/latest/UserGuide/
            # id_credentials_temp_control-access_disable-perms.html). GetCallerIdentity needs no
            # permission (STS API Reference, GetCallerIdentity) and still answers.
            self._raise_access_denied()
        original_check(self, resource)
        bounded(self, key, resource)
        if self._action == "sts:AssumeRole" and param(self._data, "SourceIdentity"):
            self._action = "sts:SetSourceIdentity"  # AWS: setting one takes this permission too
            try:
                original_check(self, resource)
                bounded(self, key, resource)
            finally:
                self._action = "sts:AssumeRole"

    def bounded(request: Any, key: Any, resource: str) -> None:
        """An IAM user's request must be allowed by their permissions boundary too (see
        :func:`awsroles.sandbox.server.boundaries.boundary_allows`)."""
        if not isinstance(key, user_key) or request._action == "sts:GetCallerIdentity":
            return  # GetCallerIdentity needs no permission (STS API Reference): no boundary limits it
        user = request.backend.get_user(key._owner_user_name)
        if not boundary_allows(request.backend, user, request._action, resource, key.context):
            request._raise_access_denied()

    def get_session_token(self: Any) -> Any:
        from moto.core.responses import ActionResult

        backend = iam_backends[self.current_account][self.partition]
        user = backend.get_user_from_access_key_id(self.get_access_key())
        if user is None:  # not an IAM user's long-term key (only while authorization is off)
            return original_token(self)
        duration = self._get_int_param("DurationSeconds", SESSION_SECONDS_DEFAULT)
        if not SESSION_SECONDS_MIN <= duration <= SESSION_SECONDS_MAX:
            low = duration < SESSION_SECONDS_MIN
            word, bound = ("greater", SESSION_SECONDS_MIN) if low else ("less", SESSION_SECONDS_MAX)
            raise STSValidationError(f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed "
                                     f"to satisfy constraint: Member must have value {word} than or equal to {bound}")
        serial = check_mfa(backend, user, self._get_param("SerialNumber"), self._get_param("TokenCode"))
        session = _new_session(backend, user.name, duration, serial)
        return ActionResult({"Credentials": {
            "AccessKeyId": session.access_key_id, "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.session_token, "Expiration": session.expiration,
        }})

    def assume_role(self: Any) -> Any:
        serial, code = self._get_param("SerialNumber"), self._get_param("TokenCode")
        if serial or code:  # AWS: the code must be that of the calling IAM user's device
            backend = iam_backends[self.current_account][self.partition]
            key = self.get_access_key()
            session = find_session(self.current_account, self.partition, key)
            user = (backend.users.get(session.user_name) if session is not None
                    else backend.get_user_from_access_key_id(key))
            check_mfa(backend, user, serial, code)
        return original_assume(self)

    def get_caller_identity(self: Any, access_key_id: str, region: str) -> tuple[str, str, str]:
        session = find_session(self.account_id, self.partition, access_key_id)
        if session is None:
            return original_identity(self, access_key_id, region)
        user = iam_backends[session.account_id][session.partition].get_user(session.user_name)
        return user.id, user.arn, session.account_id

    setattr(access_control, "create_access_key", create_access_key)  # noqa: B010
    setattr(access_control.IAMRequestBase, "check_action_permitted", check_action_permitted)  # noqa: B010
    setattr(sts_responses.TokenResponse, "get_session_token", get_session_token)  # noqa: B010
    setattr(sts_responses.TokenResponse, "assume_role", assume_role)  # noqa: B010
    setattr(sts_models.STSBackend, "get_caller_identity", get_caller_identity)  # noqa: B010

    def undo() -> None:
        setattr(access_control, "create_access_key", original_create)  # noqa: B010
        setattr(access_control.IAMRequestBase, "check_action_permitted", original_check)  # noqa: B010
        setattr(sts_responses.TokenResponse, "get_session_token", original_token)  # noqa: B010
        setattr(sts_responses.TokenResponse, "assume_role", original_assume)  # noqa: B010
        mfa_codes.reset()
        clock.sandbox_clock.reset()
        setattr(sts_models.STSBackend, "get_caller_identity", original_identity)  # noqa: B010

    return undo
