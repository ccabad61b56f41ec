"""The sandbox's own HTTP routes, under ``/awsroles-sandbox/``, in front of moto's app."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from awsroles.sandbox.server import clock, sso_routes
from awsroles.sandbox.server.closures import reset_closures
from awsroles.sandbox.server.cloudtrail import reset_cloudtrail
from awsroles.sandbox.server.costs import cost_data
from awsroles.sandbox.server.mfa import TOTP_STEP, mfa_codes
from awsroles.sandbox.server.organizations import reset_organizations
from awsroles.sandbox.server.serial import serialized
from awsroles.sandbox.server.sso_tokens import reset as reset_sso

log = logging.getLogger("awsroles.sandbox.server")  # the server's log names the server, whichever module logs

ROUTES = "/awsroles-sandbox/"
_MAX_BODY = 1 << 20  # 1 MiB: a bill for some 20,000 accounts (about 52 bytes each in POST costs)


def loopback(host: str) -> bool:
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
      (:meth:`awsroles.sandbox.seed.PersonCredentials.mfa_code`).
    - ``POST costs`` with ``{"payer": id, "accounts": {id: weight}, "months": n}`` and optionally
      ``"categories": {id: CostCenter value}`` and ``"today": "YYYY-MM-DD"`` (the bill's today, else the
      sandbox clock's): the synthetic bill Cost Explorer answers from for that payer
      (:mod:`awsroles.sandbox.server.costs`).
    - ``POST reset`` with ``{}``: back to what a new server holds, ready to be seeded again
      (:func:`reset_server`); what :meth:`awsroles.sandbox.process.Sandbox.reset` calls.
    - ``GET sso/start-url?account=ID&region=REGION``: ``{"start_url":
      "https://d-XXXXXXXXXX.awsapps.com/start"}``, the access portal's URL of the IAM Identity
      Center instance of that account (the organization's management account) in that region
      (:func:`awsroles.sandbox.client.sso_start_url`); 400 for an account without one.
    - ``GET sso/device`` (optionally ``?user_code=ABCD-EFGH``): the page SSO OIDC's
      ``verificationUri`` names, a small HTML form (the code, an Identity Store user name, Allow
      or Deny). ``POST sso/device`` with ``{"user_code": "ABCD-EFGH", "user": "alice", "action":
      "allow"}`` (or ``"deny"``; the form's urlencoded body too): that user of the instance the
      start URL named allows (or denies) the sign-in, as a person clicking "Allow" would
      (:func:`awsroles.sandbox.client.approve_device`); 400 for an unknown, expired or already
      answered code or an unknown user.
    - ``POST sso/slow-down`` with ``{"user_code": "ABCD-EFGH", "polls": 1}``: the next ``polls``
      polls of that request answer SlowDownException, as AWS does when it wants a client to poll
      less often (:func:`awsroles.sandbox.client.slow_down_device`).

    Requests to IAM Identity Center's sign-in APIs, SSO OIDC (``POST /client/register``,
    ``/device_authorization``, ``/token``) and the access portal (``GET /assignment/accounts``,
    ``/assignment/roles``, ``/federation/credentials``, ``POST /logout``), are answered here too
    (:mod:`.sso_routes`): moto has neither.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    @serialized  # the sandbox's own routes read and write moto's data too: see .serial
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO") or "")
        if sso_routes.handles(str(environ.get("REQUEST_METHOD", "GET")), path):
            return sso_routes.api(environ, start_response)
        if not path.startswith(ROUTES):
            return self.app(environ, start_response)
        if path.startswith(f"{ROUTES}sso/"):
            return self._sso(environ, start_response, path[len(ROUTES) + 4:])
        try:
            status, body = self._route(str(environ.get("REQUEST_METHOD", "GET")), path[len(ROUTES):], environ)
        except ValueError as exc:
            status, body = "400 Bad Request", {"error": str(exc)}
        data = (json.dumps(body) + "\n").encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def _sso(self, environ: dict[str, Any], start_response: Callable[..., Any], route: str) -> Any:
        try:
            status, kind, text = sso_routes.sandbox_route(str(environ.get("REQUEST_METHOD", "GET")), route, environ)
        except ValueError as exc:
            status, kind, text = "400 Bad Request", "application/json", json.dumps({"error": str(exc)})
        data = (text if text.endswith("\n") else text + "\n").encode()
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
        return [data]

    def _route(self, method: str, route: str, environ: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        if route == "clock":
            if method == "POST":
                request = _json_body(environ)
                if set(request) != {"advance"}:
                    raise ValueError('the body must be {"advance": seconds}')
                clock.sandbox_clock.advance(request["advance"])
                log.info("sandbox clock advanced by %ss: now %+gs from the wall clock", request["advance"],
                         clock.sandbox_clock.offset)
            elif method != "GET":
                return "405 Method Not Allowed", {"error": "GET or POST"}
            now = clock.utcnow().replace(microsecond=0).isoformat() + "Z"
            return "200 OK", {"offset": clock.sandbox_clock.offset, "now": now}
        if route == "costs" and method == "POST":
            request = _json_body(environ)
            accounts = request.get("accounts")
            if not isinstance(accounts, dict) or not isinstance(request.get("payer"), str):
                raise ValueError('the body must be {"payer": id, "accounts": {id: weight}, "months": n}')
            categories = request.get("categories") or {}
            if not isinstance(categories, dict):
                raise ValueError('"categories" must be {account id: cost category value}')
            today = request.get("today")
            try:
                pinned = date.fromisoformat(today) if today else None
            except (TypeError, ValueError):
                raise ValueError(f'"today" must be YYYY-MM-DD, not {today!r}') from None
            cost_data.seed(request["payer"], {str(k): float(v) for k, v in accounts.items()},
                           int(request.get("months", 13)), {str(k): str(v) for k, v in categories.items()}, pinned)
            return "200 OK", {"payer": request["payer"], "accounts": len(accounts)}
        if route == "reset" and method == "POST":
            reset_server()
            log.info("sandbox reset: no data, the wall clock, IAM authorization off until seeded again")
            return "200 OK", {"reset": True}
        if route == "mfa" and method == "GET":
            from urllib.parse import parse_qs

            serial = (parse_qs(str(environ.get("QUERY_STRING", ""))).get("serial") or [""])[0]
            if not serial:
                raise ValueError("mfa?serial=<the device's serial number> is needed")
            at = clock.sandbox_time()
            return "200 OK", {"serial": serial, "time": at, "step": TOTP_STEP, "used": mfa_codes.used(serial, at)}
        return "404 Not Found", {"error": f"no sandbox route {method} {ROUTES}{route}"}


def reset_server() -> None:
    """What a new server holds: moto's data gone (every account, key and session), the clock back
    on the wall clock, no MFA code taken, no bill, no CloudTrail event, and IAM authorization off (as
    before seeding).

    moto's data goes as :func:`drop_moto_data` drops it."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    drop_moto_data()
    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    ActionAuthenticatorMixin.request_count = 0
    clock.sandbox_clock.reset()
    mfa_codes.reset()
    cost_data.reset()
    reset_closures()
    reset_cloudtrail()
    reset_organizations()
    reset_sso()


def drop_moto_data() -> None:
    """moto's reset (``moto_api_backend.reset``), with every account's backends dropped first: moto
    would otherwise build each of them anew only to drop it (``BackendDict.reset``), and an IAM one
    copies its ~1,600 AWS managed policies (a quarter of the CPU of a sandbox's reset and seed).
    Nothing keeps a backend across a reset: each request looks its backends up again, and new ones
    are made on first use."""
    from moto.core.base_backend import BackendDict, backend_lock
    from moto.moto_api._internal.models import moto_api_backend

    with backend_lock:
        for backends in BackendDict._instances:  # type: ignore[misc]
            backends.clear()
    moto_api_backend.reset()


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

