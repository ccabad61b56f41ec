"""The sandbox's server side: a moto server on loopback, with the few workarounds it needs.

This is the only module that imports moto (always inside functions, so importing it is cheap),
and the only place that reaches into moto's internals. It runs either in its own process
(``python -m awsroles.sandbox.server``, what :mod:`awsroles.sandbox.process` starts) or, for
:class:`awsroles.sandbox.process.Sandbox` with ``in_process=True``, in the caller's process.

Workarounds, each undone by :meth:`MotoServer.stop`:

- **Account ids.** moto's Organizations ``CreateAccount`` makes a random 12-digit id. The seeder
  asks for a specific id by putting it into the account's e-mail address
  (``dev+222222222222@acme.example``, see :func:`account_email`); the patched id generator
  returns it for that one call (any other ``CreateAccount`` stays random).
- **AWS managed policies.** moto loads its ~1,600 AWS managed policies into every IAM backend
  when ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, and it builds one IAM backend per account *and
  partition* (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc) the first time any
  request with an unknown access key arrives (``moto.iam.models.get_account_id_from``): about
  0.6 s per new account. The patched loader parses the policy data once and loads it only in
  the partition the sandbox serves, which makes a new account cost a few milliseconds.
- **ListServiceSpecificCredentials** is not implemented by moto; ``apply`` calls it before it
  deletes a user. The sandbox answers it with an empty list: nobody can create such
  credentials there (``CreateServiceSpecificCredential`` is not implemented either).
- **GetSessionToken.** moto hands every caller the same example credentials, which its own
  IAM authorization then rejects. Here an IAM user's long-term key gets fresh credentials per
  call (``ASIA...`` key id from moto's ``create_temp_access_key``, so moto's
  ``get_account_id_from`` routes them to the user's account; random secret and token;
  ``Expiration`` = now + DurationSeconds, 900..129600, default 43200). Requests signed with
  them act as the user (``create_access_key`` in ``moto.iam.access_control``): the token must
  match, an expired one is ``ExpiredToken``, the user's and groups' policies apply, and
  ``GetCallerIdentity`` names the user. As on AWS they may call only ``AssumeRole`` and
  ``GetCallerIdentity`` in STS, and IAM only when the session was made with an MFA code; no
  policy is needed (or can deny) ``GetSessionToken``, which session credentials cannot call.
- **MFA codes.** moto accepts any ``SerialNumber``/``TokenCode``. Here ``GetSessionToken`` and
  ``AssumeRole`` check the code against the seed moto keeps for the caller's virtual MFA device
  (the current 30-second code or the one before or after) and take each code once, answering
  ``AccessDenied`` with AWS's own messages otherwise (:func:`check_mfa`).
- **The clock.** Session expiry, MFA age and MFA codes follow the sandbox's clock
  (:func:`_utcnow`, :func:`sandbox_time`), which runs ahead of the wall clock by what tests asked
  for (``POST /awsroles-sandbox/clock``, :class:`SandboxRoutes`). moto itself never expires
  ``AssumeRole`` credentials, so the clock does not touch those.
- **An IAM user's request context.** moto evaluates no condition but ``StringEquals`` (on
  values it mostly lacks) and no policy variable, so a policy that needs MFA either always or
  never applies. For IAM users' requests (long-term keys and sessions) the sandbox evaluates
  the conditions on ``aws:MultiFactorAuthPresent``, ``aws:MultiFactorAuthAge``,
  ``aws:username``, ``aws:userid``, ``aws:PrincipalArn``, ``aws:PrincipalAccount``,
  ``aws:PrincipalType`` and ``sts:SourceIdentity`` itself (String*, Numeric*, Bool, Null,
  ...IfExists), replaces ``${aws:username}``-style variables in ``Resource``, and leaves
  everything else to moto (:func:`resolve_policy`). ``AssumeRole`` with a ``SourceIdentity``
  also takes ``sts:SetSourceIdentity``.
- **IAM resources.** moto checks IAM actions other than the role ones against ``"*"``; here
  those on a user (and on a virtual MFA device) are checked against its ARN, and the self-service
  ones without ``UserName`` (``GetUser``, ``ListMFADevices``, ``ListAccessKeys``...) act on
  the caller, as on AWS.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hmac
import json
import logging
import math
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

HOST = "127.0.0.1"
_REQUESTED_ID = re.compile(r"^[^@]*\+([0-9]{12})@")

log = logging.getLogger(__name__)


def account_email(org_name: str, account_name: str, account_id: str) -> str:
    """The e-mail address the seeder gives an account; it carries the id the account must get."""
    return f"{account_name}+{account_id}@{org_name}.example"


def requested_account_id(email: str) -> str | None:
    """The account id an :func:`account_email` address asks for, or None."""
    match = _REQUESTED_ID.match(email)
    return match.group(1) if match else None


# -- workarounds -------------------------------------------------------------------------

_wanted = threading.local()


def _patch_account_ids() -> Callable[[], None]:
    from moto.organizations import models, utils

    original_make = utils.make_random_account_id
    original_init = models.FakeAccount.__init__

    def make_account_id() -> str:
        wanted: str | None = getattr(_wanted, "account_id", None)
        return wanted or original_make()

    def init(self: Any, organization: Any, **kwargs: Any) -> None:
        wanted = requested_account_id(str(kwargs.get("Email", "")))
        backend = _organizations_backend_of(organization)
        taken = backend is not None and any(a.id == wanted for a in backend.accounts)
        _wanted.account_id = None if taken else wanted  # a taken id: moto's random one; the seeder notices
        try:
            original_init(self, organization, **kwargs)
        finally:
            _wanted.account_id = None

    setattr(utils, "make_random_account_id", make_account_id)  # noqa: B010  (a patch, not an assignment)
    setattr(models.FakeAccount, "__init__", init)  # noqa: B010

    def undo() -> None:
        setattr(utils, "make_random_account_id", original_make)  # noqa: B010
        setattr(models.FakeAccount, "__init__", original_init)  # noqa: B010

    return undo


def _organizations_backend_of(organization: Any) -> Any:
    from moto.organizations.models import organizations_backends
    from moto.utilities.utils import get_partition

    try:
        return organizations_backends[organization.master_account_id][get_partition(organization.region)]
    except Exception:  # a moto laid out differently: no check, the seeder still verifies every id
        return None


def _patch_managed_policies(partition: str) -> Callable[[], None]:
    from moto.iam import models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    original = models.IAMBackend._init_aws_policies
    parsed: dict[str, Any] = {}
    lock = threading.Lock()

    def init_aws_policies(self: Any) -> list[Any]:
        if self.partition != partition:
            return []
        with lock:
            if not parsed:
                parsed.update(json.loads(aws_managed_policies_data))
        return [
            models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in parsed.items()
        ]

    setattr(models.IAMBackend, "_init_aws_policies", init_aws_policies)  # noqa: B010

    def undo() -> None:
        setattr(models.IAMBackend, "_init_aws_policies", original)  # noqa: B010

    return undo


def _patch_missing_iam_reads() -> Callable[[], None]:
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "list_service_specific_credentials"):
        return lambda: None

    def list_service_specific_credentials(self: Any) -> Any:
        from moto.core.responses import ActionResult

        return ActionResult({"ServiceSpecificCredentials": []})

    setattr(IamResponse, "list_service_specific_credentials", list_service_specific_credentials)  # noqa: B010
    return lambda: delattr(IamResponse, "list_service_specific_credentials")


# -- IAM users' sessions (GetSessionToken) as AWS makes them -------------------------------

SESSION_SECONDS_MIN = 900  # GetSessionToken's DurationSeconds for an IAM user, as AWS bounds it
SESSION_SECONDS_DEFAULT = 43200
SESSION_SECONDS_MAX = 129600
_SESSION = "awsroles_session"  # the attribute of a moto AccessKey that carries its UserSession
_TOKEN_PREFIX = "IQoJb3JpZ2luX2VjE"  # what AWS session tokens start with; the rest is random
# The condition keys the sandbox evaluates itself for an IAM user's requests (moto evaluates
# only StringEquals, and knows no value for any of these); any other key is left to moto.
_CONTEXT_KEYS = frozenset({
    "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:username", "aws:userid",
    "aws:principalarn", "aws:principalaccount", "aws:principaltype", "sts:sourceidentity",
})
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


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


def _param(data: Mapping[str, Any], name: str) -> str | None:
    """A request parameter (moto keeps query parameters as lists)."""
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


MAX_ADVANCE = 10 * 366 * 86400  # seconds; ten years at once is plenty


class SandboxClock:
    """How far the sandbox's time runs ahead of the wall clock: tests move it forward (``POST
    /awsroles-sandbox/clock``) to expire sessions, age their MFA and bring new MFA codes."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or not 0 <= seconds <= MAX_ADVANCE:
            raise ValueError(f"advance must be a number of seconds from 0 to {MAX_ADVANCE}")
        with self._lock:
            self._offset += float(seconds)
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


clock = SandboxClock()


def _utcnow() -> datetime:
    """Naive UTC, as moto keeps times, plus the sandbox clock's offset: session expiry and MFA
    age use it (in-process tests may also replace this function)."""
    return datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=clock.offset)


def sandbox_time() -> float:
    """The sandbox's Unix time (the wall clock plus the offset), which MFA codes are checked at:
    moving the clock forward 30 seconds brings the next code, as waiting would."""
    return time.time() + clock.offset


# -- MFA codes, checked as AWS checks them ------------------------------------------------

TOTP_STEP = 30  # seconds per code; AWS accepts the current code and the ones just before and after
MFA_INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
MFA_UNKNOWN_DEVICE = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
                      "serial number is valid and associated with this user.")  # AWS's words, two spaces too
_TOKEN_CODE = re.compile(r"[0-9]{6}")


class MfaCodes:
    """The codes each MFA device has had accepted: AWS takes a code once, so a second request
    with it (while it is still valid) fails like a wrong one. Kept per serial as TOTP windows
    (``int(unix_time // 30)``), forgotten once they can no longer be valid."""

    def __init__(self) -> None:
        self._used: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def _forget_old(self, window: int) -> None:
        for used in self._used.values():
            used.difference_update({w for w in used if w < window - 1})

    def used(self, serial: str, now: float) -> list[int]:
        """The windows of ``serial``'s codes that were accepted and would still be valid."""
        with self._lock:
            self._forget_old(int(now // TOTP_STEP))
            return sorted(self._used.get(serial, ()))

    def accept(self, serial: str, seed: str, code: str, now: float) -> bool:
        """True (and remembered) when ``code`` is ``seed``'s for the window of ``now`` or one
        next to it, and was not accepted before."""
        import pyotp

        totp = pyotp.TOTP(seed, interval=TOTP_STEP)
        window = int(now // TOTP_STEP)
        with self._lock:
            self._forget_old(window)
            used = self._used.setdefault(serial, set())
            for candidate in (window, window - 1, window + 1):
                if candidate not in used and hmac.compare_digest(totp.at(candidate * TOTP_STEP), code):
                    used.add(candidate)
                    return True
        return False

    def reset(self) -> None:
        with self._lock:
            self._used.clear()


mfa_codes = MfaCodes()


def check_mfa(backend: Any, user: Any, serial: str | None, code: str | None) -> str | None:
    """The MFA device a request authenticates with: ``serial``, once ``code`` is checked against
    its seed; None when the request names neither. Raises what AWS answers otherwise."""
    if not serial and not code:
        return None
    if code is not None and not _TOKEN_CODE.fullmatch(code):
        from moto.sts.exceptions import STSValidationError

        rule = ("must have length less than or equal to 6" if len(code) > 6 else
                "must have length greater than or equal to 6" if len(code) < 6 else
                "must satisfy regular expression pattern: [\\d]*")
        raise STSValidationError(f"1 validation error detected: Value '{code}' at 'tokenCode' failed to satisfy "
                                 f"constraint: Member {rule}")
    device = backend.virtual_mfa_devices.get(serial) if serial else None
    if user is None or device is None or serial not in user.mfa_devices:
        raise _auth_error()("AccessDenied", MFA_UNKNOWN_DEVICE)  # not the caller's (virtual) device
    if not code or not mfa_codes.accept(str(serial), device.base32_string_seed, code, sandbox_time()):
        raise _auth_error()("AccessDenied", MFA_INVALID_CODE)
    return str(serial)


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
    now = _utcnow()
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
    absent is absent here too (long-term keys: no MFA keys at all)."""
    context = {
        "aws:username": user.name, "aws:userid": user.id, "aws:principalarn": user.arn,
        "aws:principalaccount": user.account_id, "aws:principaltype": "User",
    }
    if session is not None:
        context["aws:multifactorauthpresent"] = "true" if session.mfa else "false"
        if session.mfa:
            context["aws:multifactorauthage"] = str(int((_utcnow() - session.issued).total_seconds()))
    source_identity = _param(data, "SourceIdentity")
    if action == "sts:AssumeRole" and source_identity:
        context["sts:sourceidentity"] = source_identity
    return context


def _substitute(text: str, context: Mapping[str, str]) -> str:
    """Policy variables: ``${aws:username}`` and the other keys the context has."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("*", "?", "$"):
            return name
        return context.get(name.lower(), match.group(0))

    return _VARIABLE.sub(value, text)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(operator: str, actual: str, expected: str) -> bool | None:
    """One condition operator on one value (the Not... ones: whether it *matches*; the caller
    negates); None for an operator the sandbox leaves to moto."""
    if operator in ("StringEquals", "StringNotEquals"):
        return actual == expected
    if operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "StringNotLike"):
        pattern = re.escape(expected).replace(r"\*", ".*").replace(r"\?", ".")
        return re.fullmatch(pattern, actual, re.DOTALL) is not None
    if operator == "Bool":
        return actual.lower() == expected.lower()
    if operator.startswith("Numeric"):
        a, e = _number(actual), _number(expected)
        if a is None or e is None:
            return False
        return {"NumericEquals": a == e, "NumericNotEquals": a == e, "NumericLessThan": a < e,
                "NumericLessThanEquals": a <= e, "NumericGreaterThan": a > e,
                "NumericGreaterThanEquals": a >= e}.get(operator)
    return None


_NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals"})
_OPERATORS = frozenset({
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "Bool", "Null", "NumericEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", *_NEGATED,
})


def _conditions(conditions: Mapping[str, Any], context: Mapping[str, str]) -> tuple[bool, dict[str, Any]]:
    """Evaluate what the sandbox knows: (does the statement apply, the conditions left for moto)."""
    left: dict[str, Any] = {}
    for operator, pairs in conditions.items():
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        if not isinstance(pairs, dict) or base not in _OPERATORS:
            left[operator] = pairs  # ForAnyValue:..., ArnLike, DateLessThan, IpAddress...: moto's business
            continue
        for key, expected in pairs.items():
            if key.lower() not in _CONTEXT_KEYS:
                left.setdefault(operator, {})[key] = expected
                continue
            actual = context.get(key.lower())
            values = [_substitute(str(v), context) for v in (expected if isinstance(expected, list) else [expected])]
            if base == "Null":
                holds = any((v.lower() == "true") == (actual is None) for v in values)
            elif actual is None:
                holds = if_exists
            elif base in _NEGATED:
                holds = not any(_compare(base, actual, v) for v in values)
            else:
                holds = any(_compare(base, actual, v) for v in values)
            if not holds:
                return False, {}
    return True, left


def resolve_policy(document: Mapping[str, Any], context: Mapping[str, str]) -> dict[str, Any]:
    """``document`` as it applies to one request: statements whose conditions on the context's
    keys fail are gone, conditions that hold are gone, policy variables in ``Resource`` are
    replaced; the rest (other keys, other operators) is left for moto."""
    statements = document.get("Statement", [])
    resolved = []
    for statement in statements if isinstance(statements, list) else [statements]:
        statement = dict(statement)
        if isinstance(statement.get("Condition"), dict):
            applies, left = _conditions(statement["Condition"], context)
            if not applies:
                continue
            statement.pop("Condition")
            if left:
                statement["Condition"] = left
        for element in ("Resource", "NotResource"):
            value = statement.get(element)
            if isinstance(value, str):
                statement[element] = _substitute(value, context)
            elif isinstance(value, list):
                statement[element] = [_substitute(str(v), context) for v in value]
        resolved.append(statement)
    return {**document, "Statement": resolved}


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


@functools.cache
def _auth_error() -> type[Exception]:
    """An error at authentication time (HTTP 403), formatted as moto formats its own there."""
    from moto.core.exceptions import InvalidClientTokenIdError

    class AuthError(InvalidClientTokenIdError):
        def __init__(self, code: str, message: str) -> None:
            super(InvalidClientTokenIdError, self).__init__(code, message)

    return AuthError


def _role_exists(key: Any) -> bool:
    """Whether the role of an assumed-role key (moto's AssumedRoleAccessKey) exists in its account."""
    from moto.iam.exceptions import NotFoundException

    try:
        key.backend.get_role(key._owner_role_name)
    except NotFoundException:
        return False
    return True


def _patch_sessions() -> Callable[[], None]:
    """GetSessionToken mints per-call credentials that act as the IAM user (see the docstring)."""
    from moto.iam import access_control
    from moto.iam.models import iam_backends
    from moto.sts import models as sts_models
    from moto.sts import responses as sts_responses
    from moto.sts.exceptions import STSValidationError

    user_key, session_key = _user_keys()
    mfa_codes.reset()  # a new server: no code used yet, and its clock is the wall clock
    clock.reset()
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
        if _utcnow() >= session.expiration:
            raise _auth_error()("ExpiredToken", "The security token included in the request is expired")
        return session_key(session)

    def check_action_permitted(self: Any, resource: str) -> None:
        key = self._access_key
        session = getattr(key, "session", None) if isinstance(key, session_key) else None
        if self._action == "sts:GetSessionToken":
            if session is not None or isinstance(key, access_control.AssumedRoleAccessKey):
                raise _auth_error()("AccessDenied", "Cannot call GetSessionToken with session credentials")
            return  # AWS: getting a session needs no permission, and no policy can deny it
        if session is not None:
            if self._service == "sts" and self._action not in ("sts:AssumeRole", "sts:GetCallerIdentity"):
                operation = self._action.split(":", 1)[1]
                raise _auth_error()("AccessDenied", f"Cannot call {operation} with session credentials")
            if self._service == "iam" and not session.mfa:
                raise _auth_error()("AccessDenied", "Session credentials obtained without MFA cannot call IAM")
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
        if self._action == "sts:AssumeRole" and _param(self._data, "SourceIdentity"):
            self._action = "sts:SetSourceIdentity"  # AWS: setting one takes this permission too
            try:
                original_check(self, resource)
            finally:
                self._action = "sts:AssumeRole"

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
        clock.reset()
        setattr(sts_models.STSBackend, "get_caller_identity", original_identity)  # noqa: B010

    return undo


# IAM actions whose resource is an IAM user, and those that act on the caller when no UserName
# is given (the Service Authorization Reference); moto checks every other IAM action but the
# role ones against "*", so a policy scoped to the caller's own user never matched.
_USER_ACTIONS = frozenset({
    "AttachUserPolicy", "ChangePassword", "CreateAccessKey", "CreateLoginProfile", "CreateUser",
    "DeactivateMFADevice", "DeleteAccessKey", "DeleteLoginProfile", "DeleteSSHPublicKey",
    "DeleteServiceSpecificCredential", "DeleteSigningCertificate", "DeleteUser", "DeleteUserPermissionsBoundary",
    "DeleteUserPolicy", "DetachUserPolicy", "EnableMFADevice", "GetAccessKeyLastUsed", "GetLoginProfile",
    "GetMFADevice", "GetSSHPublicKey", "GetUser", "GetUserPolicy", "ListAccessKeys", "ListAttachedUserPolicies",
    "ListGroupsForUser", "ListMFADevices", "ListSSHPublicKeys", "ListServiceSpecificCredentials",
    "ListSigningCertificates", "ListUserPolicies", "ListUserTags", "PutUserPermissionsBoundary", "PutUserPolicy",
    "ResetServiceSpecificCredential", "ResyncMFADevice", "TagUser", "UntagUser", "UpdateAccessKey",
    "UpdateLoginProfile", "UpdateSSHPublicKey", "UpdateSigningCertificate", "UpdateUser",
    "UploadSSHPublicKey", "UploadSigningCertificate",
})
_SELF_ACTIONS = frozenset({
    "ChangePassword", "CreateAccessKey", "DeleteAccessKey", "DeleteSigningCertificate", "GetLoginProfile",
    "GetUser", "ListAccessKeys", "ListMFADevices", "ListSSHPublicKeys", "ListServiceSpecificCredentials",
    "ListSigningCertificates", "UpdateAccessKey", "UpdateSigningCertificate", "UploadSigningCertificate",
})


def _patch_iam_resources() -> Callable[[], None]:
    """IAM requests on a user (or an MFA device) are checked against its ARN, as AWS does."""
    from moto.iam.responses import IamResponse

    original = IamResponse._determine_resource

    def determine_resource(self: Any) -> str:
        resource: str = original(self)
        if resource != "*":
            return resource
        action, data, backend = self._get_action(), self.data, self.backend
        prefix = f"arn:{self.partition}:iam::{self.current_account}"
        if action == "CreateVirtualMFADevice" and _param(data, "VirtualMFADeviceName"):
            return f"{prefix}:mfa{_param(data, 'Path') or '/'}{_param(data, 'VirtualMFADeviceName')}"
        if action == "DeleteVirtualMFADevice":
            return _param(data, "SerialNumber") or "*"
        if action not in _USER_ACTIONS:
            return "*"
        name = _param(data, "UserName")
        if name is not None:
            user = backend.users.get(name)
            return str(user.arn) if user is not None else f"{prefix}:user{_param(data, 'Path') or '/'}{name}"
        if action == "GetAccessKeyLastUsed":
            owner = backend.get_user_from_access_key_id(_param(data, "AccessKeyId") or "")
            return str(owner.arn) if owner is not None else "*"
        if action in _SELF_ACTIONS:  # no UserName: the caller's own user, as AWS has it
            key = self.get_access_key()
            session = find_session(self.current_account, self.partition, key)
            caller = (backend.users.get(session.user_name) if session is not None
                      else backend.get_user_from_access_key_id(key))
            if caller is None:
                return "*"
            if isinstance(self.params, dict):  # and moto's handler acts on it too (not all of them look)
                self.params["UserName"] = caller.name
            return str(caller.arn)
        return "*"

    setattr(IamResponse, "_determine_resource", determine_resource)  # noqa: B010

    def undo() -> None:
        setattr(IamResponse, "_determine_resource", original)  # noqa: B010

    return undo


# -- cost data -----------------------------------------------------------------------------------
#
# moto's Cost Explorer answers only what a test queued, whatever the request asks. The sandbox
# instead holds a deterministic synthetic bill per payer account (seeded through
# ``POST /awsroles-sandbox/costs``) and answers GetCostAndUsage from it as Cost Explorer would:
# the requested months, MONTHLY, grouped by LINKED_ACCOUNT and RECORD_TYPE or SERVICE, every
# requested metric, the current month Estimated, and pages (NextPageToken) of four months.

_SERVICES = (("Amazon Elastic Compute Cloud - Compute", 0.55), ("Amazon Relational Database Service", 0.2),
             ("Amazon Simple Storage Service", 0.1), ("AWS Lambda", 0.05), ("Amazon CloudWatch", 0.1))
_PAGE_MONTHS = 4


class CostData:
    def __init__(self) -> None:
        self.bills: dict[str, dict[str, Any]] = {}  # payer account -> {"accounts": {id: weight}, "months": n}

    def seed(self, payer: str, accounts: Mapping[str, float], months: int) -> None:
        self.bills[payer] = {"accounts": dict(accounts), "months": months}

    def lines(self, payer: str, month: str) -> list[tuple[str, str, str, float]]:
        """(account, record type, service, amount) of one month of ``payer``'s bill."""
        bill = self.bills[payer]
        now = datetime.fromtimestamp(sandbox_time(), timezone.utc)
        current = now.year * 12 + now.month - 1
        year, number = (int(x) for x in month.split("-"))
        age = current - (year * 12 + number - 1)
        if age < 0 or age >= bill["months"]:
            return []
        growth = 1 + 0.03 * (bill["months"] - age)  # the bill grows 3% a month
        out = []
        for account, weight in sorted(bill["accounts"].items()):
            usage = 1000.0 * weight * growth * (0.5 if age == 0 else 1.0)  # the open month is half over
            for service, share in _SERVICES:
                out.append((account, "Usage", service, round(usage * share, 4)))
            out.append((account, "Tax", "Tax", round(usage * 0.08, 4)))
            if age % 4 == 1:
                out.append((account, "Credit", _SERVICES[0][0], round(-usage * 0.05, 4)))
            if weight >= 3:
                out.append((account, "Fee", "Savings Plans for AWS Compute usage", round(150.0 * weight, 4)))
        if age % 6 == 2:
            out.append((payer, "Refund", "Amazon Simple Storage Service", -42.5))
        out.append((payer, "Support", "AWS Support (Business)", round(0.03 * sum(x[3] for x in out), 4)))
        return out

    def answer(self, payer: str, request: Mapping[str, Any]) -> dict[str, Any]:
        start, end = request["TimePeriod"]["Start"][:7], request["TimePeriod"]["End"][:10]
        metrics = list(request.get("Metrics") or ["UnblendedCost"])
        keys = [g["Key"] for g in request.get("GroupBy", [])]
        months = []
        year, number = (int(x) for x in start.split("-"))
        while f"{year:04d}-{number:02d}-01" < end:
            months.append(f"{year:04d}-{number:02d}")
            year, number = (year + 1, 1) if number == 12 else (year, number + 1)
        first = int(request.get("NextPageToken") or 0)
        page = months[first:first + _PAGE_MONTHS]
        now = datetime.fromtimestamp(sandbox_time(), timezone.utc)
        results = []
        for month in page:
            grouped: dict[tuple[str, ...], float] = {}
            for account, record_type, service, amount in self.lines(payer, month):
                values = {"LINKED_ACCOUNT": account, "RECORD_TYPE": record_type, "SERVICE": service}
                key = tuple(values.get(k, "") for k in keys)
                grouped[key] = grouped.get(key, 0.0) + amount
            year, number = (int(x) for x in month.split("-"))
            after = f"{year + (number == 12):04d}-{number % 12 + 1:02d}-01"
            results.append({
                "TimePeriod": {"Start": f"{month}-01", "End": after},
                "Total": {} if keys else {m: {"Amount": f"{sum(grouped.values()):.10f}", "Unit": "USD"}
                                          for m in metrics},
                "Groups": [{"Keys": list(k), "Metrics": {m: {"Amount": f"{v:.10f}", "Unit": "USD"} for m in metrics}}
                           for k, v in sorted(grouped.items())] if keys else [],
                "Estimated": month == f"{now.year:04d}-{now.month:02d}",
            })
        reply: dict[str, Any] = {"GroupDefinitions": request.get("GroupBy", []), "ResultsByTime": results,
                                 "DimensionValueAttributes": []}
        if first + _PAGE_MONTHS < len(months):
            reply["NextPageToken"] = str(first + _PAGE_MONTHS)
        return reply


cost_data = CostData()


def _patch_cost_explorer() -> Callable[[], None]:
    from moto.ce.responses import CostExplorerResponse

    original = CostExplorerResponse.get_cost_and_usage

    def get_cost_and_usage(self: Any) -> str:
        payer = str(self.current_account)
        if payer not in cost_data.bills:
            return str(original(self))
        return json.dumps(cost_data.answer(payer, json.loads(self.body)))

    setattr(CostExplorerResponse, "get_cost_and_usage", get_cost_and_usage)  # noqa: B010
    had_forecast = hasattr(CostExplorerResponse, "get_cost_forecast")
    original_forecast = getattr(CostExplorerResponse, "get_cost_forecast", None)

    def get_cost_forecast(self: Any) -> str:
        """moto has no GetCostForecast: the rest of the current month is as much again as so far
        (the synthetic open month is half over), for the accounts in the LINKED_ACCOUNT filter."""
        payer = str(self.current_account)
        request = json.loads(self.body)
        if payer not in cost_data.bills:
            return json.dumps({"Total": {"Amount": "0", "Unit": "USD"}, "ForecastResultsByTime": []})
        now = datetime.fromtimestamp(sandbox_time(), timezone.utc)
        wanted = set(request.get("Filter", {}).get("Dimensions", {}).get("Values", []))
        amount = sum(x[3] for x in cost_data.lines(payer, f"{now.year:04d}-{now.month:02d}")
                     if not wanted or x[0] in wanted)
        period = request["TimePeriod"]
        return json.dumps({"Total": {"Amount": f"{amount:.10f}", "Unit": "USD"},
                           "ForecastResultsByTime": [{"TimePeriod": period, "MeanValue": f"{amount:.10f}"}]})

    setattr(CostExplorerResponse, "get_cost_forecast", get_cost_forecast)  # noqa: B010

    def undo() -> None:
        setattr(CostExplorerResponse, "get_cost_and_usage", original)  # noqa: B010
        if had_forecast:
            setattr(CostExplorerResponse, "get_cost_forecast", original_forecast)  # noqa: B010
        else:
            delattr(CostExplorerResponse, "get_cost_forecast")

    return undo


def install_workarounds(partition: str = "aws") -> Callable[[], None]:
    """Patch moto as described in the module docstring; returns a function that undoes it."""
    from awsroles.sandbox.user_boundaries import patch_user_permissions_boundary

    undos = [_patch_account_ids(), _patch_managed_policies(partition), _patch_missing_iam_reads(),
             patch_user_permissions_boundary(),
             _patch_sessions(), _patch_iam_resources(), _patch_cost_explorer()]

    def undo() -> None:
        for step in reversed(undos):
            step()

    return undo


# -- the sandbox's own routes -------------------------------------------------------------

ROUTES = "/awsroles-sandbox/"
_MAX_BODY = 4096


def _loopback(host: str) -> bool:
    return host == "localhost" or host == "::1" or host.startswith("127.")


class SandboxRoutes:
    """WSGI middleware in front of moto's app: requests under ``/awsroles-sandbox/`` are the
    sandbox's, everything else goes to moto. Installed only on a loopback server.

    - ``GET clock``: ``{"offset": seconds ahead of the wall clock, "now": the sandbox's UTC time}``
    - ``POST clock`` with ``{"advance": seconds}`` (0 or more): moves the clock forward; the same
      answer. Session credentials expire (``ExpiredToken``), MFA ages (``aws:MultiFactorAuthAge``)
      and MFA codes change by it.
    - ``GET mfa?serial=ARN``: ``{"serial", "time": the sandbox's Unix time, "step": 30, "used":
      [windows]}``, the TOTP windows (``int(unix_time // 30)``) of the device's codes that were
      accepted and are still valid, so a test can pick a code AWS would not refuse as reused
      (:meth:`awsroles.sandbox.process.PersonCredentials.mfa_code`).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO") or "")
        if not path.startswith(ROUTES):
            return self.app(environ, start_response)
        try:
            status, body = self._route(str(environ.get("REQUEST_METHOD", "GET")), path[len(ROUTES):], environ)
        except ValueError as exc:
            status, body = "400 Bad Request", {"error": str(exc)}
        data = (json.dumps(body) + "\n").encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def _route(self, method: str, route: str, environ: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        if route == "clock":
            if method == "POST":
                request = _json_body(environ)
                if set(request) != {"advance"}:
                    raise ValueError('the body must be {"advance": seconds}')
                clock.advance(request["advance"])
                log.info("sandbox clock advanced by %ss: now %+gs from the wall clock", request["advance"],
                         clock.offset)
            elif method != "GET":
                return "405 Method Not Allowed", {"error": "GET or POST"}
            return "200 OK", {"offset": clock.offset, "now": _utcnow().replace(microsecond=0).isoformat() + "Z"}
        if route == "costs" and method == "POST":
            request = _json_body(environ)
            accounts = request.get("accounts")
            if not isinstance(accounts, dict) or not isinstance(request.get("payer"), str):
                raise ValueError('the body must be {"payer": id, "accounts": {id: weight}, "months": n}')
            cost_data.seed(request["payer"], {str(k): float(v) for k, v in accounts.items()},
                           int(request.get("months", 13)))
            return "200 OK", {"payer": request["payer"], "accounts": len(accounts)}
        if route == "mfa" and method == "GET":
            from urllib.parse import parse_qs

            serial = (parse_qs(str(environ.get("QUERY_STRING", ""))).get("serial") or [""])[0]
            if not serial:
                raise ValueError("mfa?serial=<the device's serial number> is needed")
            at = sandbox_time()
            return "200 OK", {"serial": serial, "time": at, "step": TOTP_STEP, "used": mfa_codes.used(serial, at)}
        return "404 Not Found", {"error": f"no sandbox route {method} {ROUTES}{route}"}


def _json_body(environ: Mapping[str, Any]) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= _MAX_BODY:
        raise ValueError(f"a JSON body of at most {_MAX_BODY} bytes is needed")
    try:
        body = json.loads(environ["wsgi.input"].read(length))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


# -- the server --------------------------------------------------------------------------


class MotoServer:
    """``moto.server.ThreadedMotoServer`` on ``host``, with the workarounds, in this process.

    moto's state is global to the process: one of these per process, and it shares its data
    with ``mock_aws``. ``start`` and ``stop`` reset moto's data; ``stop`` also puts moto's IAM
    authorization setting back as it was (the seeder turns authorization on over HTTP, which
    changes a process-wide setting) and undoes the workarounds.
    """

    def __init__(self, host: str = HOST, port: int = 0, partition: str = "aws", *, quiet: bool = True) -> None:
        self.host = host
        self.requested_port = port
        self.partition = partition
        self.quiet = quiet
        self.port = 0
        self._server: Any = None
        self._undo: Callable[[], None] | None = None
        self._saved_auth: float | None = None
        self._saved_log_level: int | None = None

    def start(self) -> int:
        from moto import settings
        from moto.moto_api._internal.models import moto_api_backend
        from moto.server import ThreadedMotoServer

        moto_api_backend.reset()  # this process may hold moto data made without the workarounds
        self._undo = install_workarounds(self.partition)
        self._saved_auth = settings.INITIAL_NO_AUTH_ACTION_COUNT
        if self.quiet:  # werkzeug logs every request on stderr unless told otherwise
            logger = logging.getLogger("werkzeug")
            self._saved_log_level = logger.level
            logger.setLevel(logging.WARNING)
        try:
            if self.requested_port:
                _check_free(self.host, self.requested_port)
            self._server = ThreadedMotoServer(ip_address=self.host, port=self.requested_port, verbose=False)
            self._server.start()
        except BaseException:
            self._restore()
            raise
        self.port = int(self._server.get_host_and_port()[1])
        inner = getattr(self._server, "_server", None)  # werkzeug's server: its app serves each request
        if inner is not None and _loopback(self.host):
            inner.app = SandboxRoutes(inner.app)
        return self.port

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.stop()
        inner = getattr(server, "_server", None)  # ThreadedMotoServer.stop() leaves the socket open
        if inner is not None:
            inner.server_close()
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()  # leave no sandbox data behind in this process's moto
        self._restore()

    def _restore(self) -> None:
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        if self._saved_auth is not None:
            settings.INITIAL_NO_AUTH_ACTION_COUNT = self._saved_auth
            ActionAuthenticatorMixin.request_count = 0
            self._saved_auth = None
        if self._saved_log_level is not None:
            logging.getLogger("werkzeug").setLevel(self._saved_log_level)
            self._saved_log_level = None
        if self._undo is not None:
            self._undo()
            self._undo = None


def _check_free(host: str, port: int) -> None:
    """ThreadedMotoServer.start() waits forever when it cannot bind: find out first."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _write_ready(path: Path, port: int) -> None:
    from awsroles.fsutil import atomic_write

    atomic_write(path, json.dumps({"pid": os.getpid(), "port": port}), mode=0o600)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m awsroles.sandbox.server``: serve until SIGTERM (or until the parent dies)."""
    parser = argparse.ArgumentParser(prog="python -m awsroles.sandbox.server",
                                     description="The awsroles sandbox: a moto server on loopback.")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=0, help="0: any free port (default)")
    parser.add_argument("--partition", default="aws")
    parser.add_argument("--ready-file", type=Path, help="write {pid, port} here once listening")
    parser.add_argument("--exit-with-parent", action="store_true", help="stop when the parent process goes")
    args = parser.parse_args(argv)

    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # before moto is imported (MotoServer.start)
    os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)  # the seeder turns authorization on when done
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    server = MotoServer(args.host, args.port, args.partition, quiet=False)
    try:
        port = server.start()
    except OSError as exc:
        log.error("%s", exc)
        return 1
    log.info("awsroles sandbox listening on http://%s:%d (pid %d)", args.host, port, os.getpid())
    if args.ready_file:
        _write_ready(args.ready_file, port)
    while not stop.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            log.info("parent process %d is gone; stopping", parent)
            break
    log.info("stopped")
    # No graceful shutdown: moto keeps everything in memory, exiting closes the socket, and
    # tearing down moto's modules at interpreter exit takes longer than the whole stop.
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    sys.exit(main())
