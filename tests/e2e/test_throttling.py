"""`awsroles plan` under throttling, as a user runs it: a subprocess whose IAM calls go through a
local proxy that answers some of them 400 Throttling (the rest reach the sandbox), with botocore's
real retry handler and real (short: AWS_MAX_ATTEMPTS) backoff."""

from __future__ import annotations

import http.client
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e

THROTTLED = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
             b"</Error><RequestId>r</RequestId></ErrorResponse>")
READ = "GetAccountAuthorizationDetails"


class ThrottlingProxy:
    """Answers the first ``throttle`` requests 400 Throttling, forwards the others to ``target``
    unchanged (the Host header too, so SigV4 signatures still match)."""

    def __init__(self, target: str, throttle: int) -> None:
        self.target = urlsplit(target)
        self.throttle = throttle
        self.seen = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy.lock:
                    proxy.seen += 1
                    throttle = proxy.seen <= proxy.throttle
                if throttle:
                    status, headers, payload = 400, [("Content-Type", "text/xml")], THROTTLED
                else:
                    status, headers, payload = proxy.forward(self.command, self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(self, method: str, path: str, headers: dict[str, str],
                body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.target.hostname or "127.0.0.1", self.target.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def __enter__(self) -> ThrottlingProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _plan(box: SandboxHandle, proxy: ThrottlingProxy, max_attempts: int) -> subprocess.CompletedProcess[str]:
    env = {**box.env, "AWS_ENDPOINT_URL_IAM": proxy.endpoint, "AWS_MAX_ATTEMPTS": str(max_attempts)}
    return subprocess.run([*command(), "--file", str(box.org_path), "plan"], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def _accounts(box: SandboxHandle) -> set[str]:
    return {f"{a.name} ({a.id})" for a in box.org.accounts}


def test_a_throttled_plan_says_it_is_retrying_and_finishes(sandbox: SandboxHandle) -> None:
    with ThrottlingProxy(sandbox.endpoint, throttle=1) as proxy:
        result = _plan(sandbox, proxy, max_attempts=3)
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "retrying" in x]
    match = re.fullmatch(rf"WARNING awsroles.aws: retrying {READ} in (.+), attempt 2/3: Throttling", line)
    assert match is not None and match.group(1) in _accounts(sandbox), line
    assert "Plan for org" in result.stdout


def test_constant_throttling_gives_up_quickly_with_one_clear_error_and_exit_8(sandbox: SandboxHandle) -> None:
    started = time.monotonic()
    with ThrottlingProxy(sandbox.endpoint, throttle=10**6) as proxy:
        result = _plan(sandbox, proxy, max_attempts=2)
    # "quickly": two attempts, not a storm of backoffs (standard retries wait up to 20 s each); the
    # bound leaves room for a loaded CI machine (5 s was once missed by 0.24 s at a load of 10)
    assert time.monotonic() - started < 15
    assert result.returncode == 8, result.stderr
    lines = result.stderr.splitlines()
    retries = [x for x in lines if "retrying" in x]
    assert retries and all(x.endswith(", attempt 2/2: Throttling") for x in retries), lines
    error = lines[-1]
    match = re.fullmatch(rf"awsroles: error: AWS kept throttling {READ} in (.+): gave up after 2 attempts "
                         r"\(Throttling: Rate exceeded\); try again later \(plan and apply: --parallel 1 makes "
                         r"fewer calls at once\)", error)
    assert match is not None and match.group(1) in _accounts(sandbox), error
    assert result.stdout == "" and "Traceback" not in result.stderr
