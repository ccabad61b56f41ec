"""A local credential endpoint for the AWS SDKs' container credentials provider.

A program started with ``AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/`` and
``AWS_CONTAINER_AUTHORIZATION_TOKEN=TOKEN`` (see :meth:`CredentialServer.environment`) asks this
server for credentials with ``GET`` and the header ``Authorization: TOKEN``, and asks again on its
own as they near expiry (botocore: 15 minutes before, advisory; 10 minutes before, mandatory).
The answer is what botocore's ``ContainerProvider`` reads: ``AccessKeyId``, ``SecretAccessKey``,
``Token`` and ``Expiration`` (ISO 8601), all required.

Safety:
- binds an IPv4 loopback address only (the SDKs also accept only loopback for plain HTTP);
- every request must carry the token, compared in constant time; 401 without it, 403 with a
  wrong one, in both cases with an empty body, before anything else is looked at;
- GET only (405 otherwise), path ``/`` only (404 otherwise);
- ``provider()`` is called per request and refreshes ahead of expiry itself; if it fails, the
  answer is a 500 with a short message: an :class:`~awsroles.errors.AwsrolesError`'s own message
  (written to be shown to people), otherwise only "credentials unavailable";
- nothing is written to stderr (``http.server`` logs every request there by default); request lines
  (never headers) go to this module's logger at DEBUG;
- responses are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from awsroles.creds.model import Credentials, iso
from awsroles.errors import AwsrolesError, UsageError

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
MIN_TOKEN_LENGTH = 16
REQUEST_TIMEOUT = 10.0
MAX_ERROR_MESSAGE = 300

Provider = Callable[[], Credentials]
ErrorHook = Callable[[BaseException], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: CredentialServer):
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "awsroles"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("credential server: " + format, *args)

    def _send(self, status: HTTPStatus, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Cache-Control", "no-store")
        if body:
            self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _authorized(self) -> bool:
        given = self.headers.get("Authorization")
        if given is None:
            self._send(HTTPStatus.UNAUTHORIZED)
            return False
        expected = self.server.owner.token.encode("utf-8")
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
            self._send(HTTPStatus.FORBIDDEN)
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path.split("?", 1)[0] != "/":
            self._send(HTTPStatus.NOT_FOUND)
            return
        body, status = self.server.owner._answer()
        self._send(status, body)

    def _not_allowed(self) -> None:
        if self._authorized():
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, headers={"Allow": "GET"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed


class CredentialServer:
    """Serve ``provider()``'s credentials to local programs holding the token.

    ``start()`` serves from a background thread; ``serve_forever()`` from the calling one (stop
    it with Ctrl-C or :meth:`stop` from another thread). Also a context manager (start/stop).
    ``provider`` is called from the request threads, possibly at once: it must be thread-safe
    (and should serve from its cache, refreshing ahead of expiry). ``on_error`` is called with each
    exception ``provider()`` raises (the CLI logs it).
    """

    def __init__(
        self,
        provider: Provider,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        on_error: ErrorHook | None = None,
    ):
        try:
            loopback = ipaddress.ip_address(host).version == 4 and ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise UsageError(f"the credential server binds a loopback address like 127.0.0.1 only, not {host!r}")
        if token is None:
            token = secrets.token_urlsafe(TOKEN_BYTES)
        elif len(token) < MIN_TOKEN_LENGTH or not token.isprintable() or not token.isascii():
            raise UsageError(f"the authorization token must be at least {MIN_TOKEN_LENGTH} printable ASCII characters")
        self.provider = provider
        self.token = token
        self.on_error = on_error
        self._server = _Server((host, port), self)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._serving = False
        self._loop_thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the token
        return f"CredentialServer({self.url})"

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def environment(self) -> dict[str, str]:
        """The variables that point an SDK at this server."""
        return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token}

    def _answer(self) -> tuple[bytes, HTTPStatus]:
        try:
            credentials = self.provider()
            if credentials.session_token is None or credentials.expiration is None:
                raise AwsrolesError("only temporary credentials (with a session token and an expiry) are served")
        except Exception as e:  # a failing provider must not take the server down
            if self.on_error is not None:
                try:
                    self.on_error(e)
                except Exception:
                    log.debug("credential server: on_error hook failed", exc_info=True)
            message = str(e)[:MAX_ERROR_MESSAGE] if isinstance(e, AwsrolesError) else "credentials unavailable"
            body = {"Code": "CredentialsUnavailable", "Message": message}
            return json.dumps(body).encode(), HTTPStatus.INTERNAL_SERVER_ERROR
        document = {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "Token": credentials.session_token,
            "Expiration": iso(credentials.expiration),
        }
        return json.dumps(document).encode(), HTTPStatus.OK

    # -- running ---------------------------------------------------------------------------------

    def _run(self) -> None:
        self._loop_thread = threading.current_thread()
        self._server.serve_forever(poll_interval=0.1)

    def start(self) -> CredentialServer:
        """Serve from a daemon thread; returns self."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the credential server was stopped")
            if self._thread is None:
                self._serving = True
                self._thread = threading.Thread(
                    target=self._run, name=f"awsroles-credential-server-{self.port}", daemon=True
                )
                self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from the calling thread until :meth:`stop` (or an exception, e.g. Ctrl-C)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the credential server was stopped")
            if self._serving:
                raise RuntimeError("the credential server is already serving")
            self._serving = True
        try:
            self._run()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and close the socket. Safe to call more than once, from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            serving, thread = self._serving, self._thread
        if serving and self._loop_thread is not threading.current_thread():
            self._server.shutdown()  # returns once the loop has stopped (even if it has yet to start)
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._server.server_close()

    def __enter__(self) -> CredentialServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
