"""HTTP for IAM Identity Center's sign-in: the SSO OIDC and portal APIs by method and path (both
unsigned REST-JSON, which moto does not serve), and the sandbox's own sign-in pages.

- ``POST /client/register``, ``/device_authorization``, ``/token``: SSO OIDC (:mod:`.sso_tokens`).
- ``GET /assignment/accounts``, ``/assignment/roles``, ``/federation/credentials``, ``POST /logout``:
  the access portal (:mod:`.sso_portal`), with the ``x-amz-sso_bearer_token`` header.
- The sandbox's routes under ``/awsroles-sandbox/sso/`` (listed in
  :class:`awsroles.sandbox.server.routes.SandboxRoutes`): ``start-url`` and the ``device`` page.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from awsroles.sandbox.server import sso_portal, sso_tokens
from awsroles.sandbox.server.sso_tokens import SsoError

log = logging.getLogger("awsroles.sandbox.server")  # the server's log names the server, whichever module logs

DEVICE_PAGE = "/awsroles-sandbox/sso/device"
BEARER = "x-amz-sso_bearer_token"  # the portal's header
BEARER_ENVIRON = "awsroles.sso_bearer_token"  # where bearer_handler puts it
_MAX_BODY = 65536
_JSON = "application/json"
_OIDC = {"/client/register", "/device_authorization", "/token"}
_PORTAL = {("GET", "/assignment/accounts"): sso_portal.list_accounts,
           ("GET", "/assignment/roles"): sso_portal.list_account_roles,
           ("GET", "/federation/credentials"): sso_portal.get_role_credentials}


def handles(method: str, path: str) -> bool:
    """Whether the request is one of the SSO OIDC or portal APIs'."""
    return (method == "POST" and path in (_OIDC | {"/logout"})) or (method, path) in _PORTAL


def api(environ: Mapping[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer an SSO OIDC or portal request (:func:`handles`)."""
    method, path = str(environ.get("REQUEST_METHOD")), str(environ.get("PATH_INFO"))
    try:
        if path in _OIDC:
            body = _body(environ)
            if path == "/client/register":
                answer = sso_tokens.register_client(body)
            elif path == "/device_authorization":
                page = f"http://{environ.get('HTTP_HOST') or 'localhost'}{DEVICE_PAGE}"
                answer = sso_tokens.start_device_authorization(body, sso_portal.instance_of_store, page)
            else:
                answer = sso_tokens.create_token(body)
        else:
            token = str(environ.get(BEARER_ENVIRON) or "")
            if path == "/logout":
                sso_tokens.logout(token)
                answer = {}
            else:
                query = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING") or "")).items()}
                answer = _PORTAL[(method, path)](token, query)
    except SsoError as exc:
        return _send(start_response, f"{exc.status} {HTTPStatus(exc.status).phrase}", json.dumps(exc.body()), _JSON,
                     [("x-amzn-ErrorType", exc.code)])
    return _send(start_response, "200 OK", json.dumps(answer), _JSON)


def bearer_handler(handler: type[Any]) -> type[Any]:
    """werkzeug's request handler, keeping the portal's ``x-amz-sso_bearer_token`` header (as
    ``environ["awsroles.sso_bearer_token"]``): werkzeug drops every header whose name has an
    underscore, since ``_`` and ``-`` both become ``_`` in the WSGI environ."""

    class BearerHandler(handler):  # type: ignore[misc]
        def make_environ(self) -> dict[str, Any]:
            environ: dict[str, Any] = super().make_environ()
            for key, value in self.headers.items():
                if key.lower() == BEARER:
                    environ[BEARER_ENVIRON] = value
            return environ

    return BearerHandler


def _body(environ: Mapping[str, Any]) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 <= length <= _MAX_BODY:
        raise SsoError("InvalidRequestException", 400, "Invalid request body", "invalid_request")
    raw = environ["wsgi.input"].read(length) if length else b"{}"
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise SsoError("InvalidRequestException", 400, "The request body is not a JSON object", "invalid_request")
    return body


def _send(start_response: Callable[..., Any], status: str, text: str, kind: str,
          extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    data = text.encode()
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(data))), *(extra or [])])
    return [data]


# -- the sandbox's own routes ----------------------------------------------------------------


def sandbox_route(method: str, route: str, environ: Mapping[str, Any]) -> tuple[str, str, str]:
    """``sso/start-url`` and ``sso/device`` (see SandboxRoutes): status, content type, body.
    Bad input is ValueError (SandboxRoutes answers 400 with it)."""
    query = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING") or "")).items()}
    if route == "start-url" and method == "GET":
        account, region = query.get("account", ""), query.get("region", "")
        if not account or not region:
            raise ValueError("sso/start-url?account=ID&region=REGION is needed")
        instance = sso_portal.instance_of_account(account, region)
        if instance is None:
            raise ValueError(f"account {account} has no IAM Identity Center instance in {region}")
        return "200 OK", _JSON, json.dumps({"start_url": sso_portal.start_url(instance.store_id)})
    if route == "device" and method == "GET":
        return "200 OK", "text/html; charset=utf-8", _form(query.get("user_code", ""))
    if route == "device" and method == "POST":
        form = "application/x-www-form-urlencoded" in str(environ.get("CONTENT_TYPE") or "")
        request = _form_body(environ) if form else _json_body(environ)
        answer = approve(str(request.get("user_code") or ""), str(request.get("user") or ""),
                         str(request.get("action") or ""))
        if form:
            words = "allowed" if answer["action"] == "allow" else "denied"
            return "200 OK", "text/html; charset=utf-8", _html(
                f"<p>{html.escape(answer['user'])} {words} the request {html.escape(answer['user_code'])}. "
                "You may close this page.</p>")
        return "200 OK", _JSON, json.dumps(answer)
    if route == "slow-down" and method == "POST":
        request = _json_body(environ)
        polls = request.get("polls", 1)
        if not isinstance(polls, int) or not 0 <= polls <= 100:
            raise ValueError('"polls" must be a whole number from 0 to 100')
        device = sso_tokens.slow_down(str(request.get("user_code") or ""), polls)
        return "200 OK", _JSON, json.dumps({"user_code": device.user_code, "polls": polls})
    return "404 Not Found", _JSON, json.dumps({"error": f"no sandbox route {method} /awsroles-sandbox/sso/{route}"})


def approve(user_code: str, user: str, action: str) -> dict[str, str]:
    """What a person clicking "Allow" (or "Deny") does; ValueError for an unknown or expired code,
    an unknown user of the instance, or an action other than allow or deny."""
    if action not in ("allow", "deny"):
        raise ValueError('"action" must be "allow" or "deny"')
    if not user_code or not user:
        raise ValueError('the body must be {"user_code": "ABCD-EFGH", "user": "alice", "action": "allow"}')
    device = sso_tokens.pending_device(user_code)
    person = sso_portal.person_named(device.instance, user)
    if person is None:
        raise ValueError(f"identity store {device.instance.store_id} has no user {user!r}")
    sso_tokens.decide(user_code, person, action == "allow")
    log.info("sign-in request %s %s by %s", device.user_code, "allowed" if action == "allow" else "denied",
             person.user_name)
    return {"user_code": device.user_code, "user": person.user_name, "action": action}


def _html(inner: str) -> str:
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>awsroles sandbox sign-in</title></head>"
            f"<body><h1>Sign in to the awsroles sandbox</h1>{inner}</body></html>\n")


def _form(user_code: str) -> str:
    code = html.escape(user_code, quote=True)
    return _html(f'<form method="post" action="{DEVICE_PAGE}">'
                 f'<p><label>Code <input name="user_code" value="{code}"></label></p>'
                 '<p><label>User name <input name="user"></label></p>'
                 '<p><button name="action" value="allow">Allow</button> '
                 '<button name="action" value="deny">Deny</button></p></form>')


def _raw(environ: Mapping[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= _MAX_BODY:
        raise ValueError(f"a body of at most {_MAX_BODY} bytes is needed")
    return bytes(environ["wsgi.input"].read(length))


def _form_body(environ: Mapping[str, Any]) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(_raw(environ).decode("utf-8", "replace")).items()}


def _json_body(environ: Mapping[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(_raw(environ))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body
