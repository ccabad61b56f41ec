"""Talking to a running sandbox server: moto's own API, the sandbox's routes (its clock, MFA codes
taken, cost data), an :class:`~awsroles.aws.Aws` whose every client goes to it, and the variables
a shell needs to use it as its admin.

The admin's keys are fake moto keys, valid only against this server: the sandbox hands them out in
plaintext on purpose (see :mod:`awsroles.sandbox.state`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsroles.errors import AwsrolesError
from awsroles.sandbox.server.routes import ROUTES

if TYPE_CHECKING:  # boto3 is imported only where it is used: `sandbox env` and `status` start fast

    from awsroles.aws import Aws, Hook


class SandboxError(AwsrolesError):
    """The sandbox could not start, be seeded, or be found."""


@dataclass(frozen=True)
class SandboxCredentials:
    """The sandbox admin: an IAM user in the ops account with AdministratorAccess."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    user_arn: str


# -- environment -------------------------------------------------------------------------------


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


# -- talking to the server ---------------------------------------------------------------------

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


def sso_start_url(endpoint: str, account: str, region: str) -> str:
    """The access portal's start URL (``https://d-XXXXXXXXXX.awsapps.com/start``) of the IAM
    Identity Center instance ``account`` (the organization's management account) has in ``region``."""
    from urllib.parse import urlencode

    reply = sandbox_route(endpoint, f"sso/start-url?{urlencode({'account': account, 'region': region})}")
    return str(reply["start_url"])


def approve_device(endpoint: str, user_code: str, user: str, *, allow: bool = True) -> None:
    """Allow (or deny) the sign-in request showing ``user_code`` as the Identity Store user ``user``
    would on the verification page: the device's next ``CreateToken`` poll gets its tokens (or
    AccessDeniedException). SandboxError for an unknown, expired or already answered code or an
    unknown user."""
    sandbox_route(endpoint, "sso/device", {"user_code": user_code, "user": user,
                                           "action": "allow" if allow else "deny"})


def slow_down_device(endpoint: str, user_code: str, polls: int = 1) -> None:
    """Make the next ``polls`` polls of the sign-in request showing ``user_code`` answer
    SlowDownException, as AWS does when it wants a client to poll less often."""
    sandbox_route(endpoint, "sso/slow-down", {"user_code": user_code, "polls": polls})


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


def sandbox_aws(endpoint: str, credentials: SandboxCredentials | tuple[str, str], region: str,
                *, hooks: Sequence[Hook] = ()) -> Aws:
    """An :class:`Aws` whose every client (also in other accounts) goes to ``endpoint``."""
    from awsroles.aws import Aws, AwsSettings

    key, secret = ((credentials.access_key_id, credentials.secret_access_key)
                   if isinstance(credentials, SandboxCredentials) else credentials)
    return Aws.with_keys(AwsSettings(region=region, endpoint_url=endpoint, max_attempts=3), key, secret,
                         hooks=hooks)
