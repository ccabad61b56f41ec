"""Signing in through IAM Identity Center, end to end: the `awsroles` command as a subprocess
against the sandbox's SSO OIDC and portal over HTTP, the person approving each code as they would
in the browser (the sandbox's device route), and the AWS CLI v2 sharing the sign-in.

alice (platform: admin everywhere) and bob (backend: dev only) are Identity Store users made by
`awsroles apply` from examples/identity-center.ini; nobody has an access key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from awsroles.creds.sso_token import SharedCache
from awsroles.sandbox.client import approve_device, slow_down_device, sso_start_url
from tests.conftest import EXAMPLES
from tests.e2e.conftest import SandboxHandle, SandboxPool, apply_org
from tests.e2e.inprocess import invoke
from tests.e2e.test_credentials import _Federation, command

pytestmark = pytest.mark.e2e
ORG = EXAMPLES / "identity-center.ini"
CODE = re.compile(r"the code ([A-Z0-9]{4,}-[A-Z0-9]{4,})")
PROD, DEV = "444444444444", "222222222222"
AWS_V2 = "/usr/bin/aws"  # Debian's awscli package (2.x); the venv's `aws` is the AWS CLI v1


class Person:
    """Someone of the org, with a home of their own; ``run`` is a command, ``sign_in`` one that
    shows a code, which the person allows (or denies) on the sandbox's verification page."""

    def __init__(self, box: SandboxHandle, name: str, home: Path, start_url: str):
        self.box, self.name, self.home, self.start_url = box, name, home, start_url
        (home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in self.box.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        env.update(HOME=str(self.home), AWSROLES_CONFIG_DIR=str(self.home / "cfg"),
                   XDG_RUNTIME_DIR=str(self.home / "run"), AWS_CONFIG_FILE=str(self.home / ".aws" / "config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(self.home / ".aws" / "credentials"),
                   AWSROLES_PASSPHRASE="correct horse battery staple", AWSROLES_FILE=str(self.box.org_path),
                   AWSROLES_NO_BROWSER="1")
        return env

    def run(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command(), *argv], env=env or self.env, capture_output=True, text=True, timeout=90,
                              start_new_session=True)

    def local(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """The same command in this process (:mod:`tests.e2e.inprocess`): for set-up, reads of
        status and refusals whose promise is the message and exit code."""
        return invoke(argv, env or self.env)

    def sign_in(self, *argv: str, allow: bool = True, before: Any = None, program: list[str] | None = None,
                env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], str]:
        """Run ``argv``; when it shows a code, call ``before(code)`` then answer it. The result and the code."""
        process = subprocess.Popen([*(program or command()), *argv], env=env or self.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        assert process.stdout is not None
        seen, code = [], ""
        for line in process.stdout:
            seen.append(line)
            found = CODE.search(line) or re.fullmatch(r"\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*", line)
            if found:
                code = found.group(1)
                if before is not None:
                    before(code)
                if allow is not None:
                    approve_device(self.box.endpoint, code, self.name, allow=allow)
                break
        rest, _ = process.communicate(timeout=90)
        return subprocess.CompletedProcess(process.args, process.returncode, "".join(seen) + rest, ""), code

    def setup(self, *extra: str) -> subprocess.CompletedProcess[str]:
        result, code = self.sign_in("setup", "--identity-center", "--start-url", self.start_url, "--store", "file",
                                    *extra)
        assert code, result.stdout
        return result


@pytest.fixture(scope="module")
def ic_sandbox(sandbox_pool: SandboxPool) -> Iterator[SandboxHandle]:
    box = sandbox_pool.take(ORG)
    try:
        handle = SandboxHandle(box)
        apply_org(handle)
        yield handle
    finally:
        sandbox_pool.give_back(box)


@pytest.fixture(scope="module")
def start_url(ic_sandbox: SandboxHandle) -> str:
    return sso_start_url(ic_sandbox.endpoint, "111111111111", ic_sandbox.region)


@pytest.fixture
def person(ic_sandbox: SandboxHandle, start_url: str, tmp_path: Path) -> Any:
    return lambda name: Person(ic_sandbox, name, tmp_path / name, start_url)


def test_one_sign_in_serves_every_environment_and_role_then_the_hot_path_needs_no_network(person: Any) -> None:
    alice: Person = person("alice")
    setup = alice.setup()
    assert setup.returncode == 0, setup.stdout
    assert "Sign in to AWS IAM Identity Center: open http://127.0.0.1:" in setup.stdout
    assert "you may assume: dev: admin; stage: admin; prod: admin" in setup.stdout
    assert "alice in acme, through IAM Identity Center" in setup.stdout
    for environment in ("prod", "dev", "stage"):  # no new sign-in: one per token lifetime
        login = alice.run("login", environment, "--role", "admin")
        assert login.returncode == 0, login.stderr
        assert "Sign in" not in login.stderr + login.stdout
    probe = alice.run("exec", "prod", "--role", "admin", "--", "python", "-c",
                      "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])")
    assert probe.returncode == 0, probe.stderr
    assert re.fullmatch(rf"arn:aws:sts::{PROD}:assumed-role/AWSReservedSSO_admin_[0-9a-f]{{16}}/alice\n", probe.stdout)
    offline = {**alice.env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}  # nothing listens: a call would fail
    cached = alice.run("credential-process", "prod", "--role", "admin", env=offline)
    assert cached.returncode == 0, cached.stderr
    assert json.loads(cached.stdout)["Version"] == 1
    assert alice.local("login", "prod", "--duration", "7200", "--role", "admin").returncode == 2  # the permission set's
    _console_and_serve_work(alice)
    status = alice.local("status", "-o", "json")
    sessions = {(s["environment"], s["role"]): s for s in json.loads(status.stdout)["sessions"]}
    assert sessions[("-", "Identity Center sign-in")]["kept_in"] == ["store"]
    assert not (alice.home / ".aws" / "sso" / "cache").exists()  # plaintext only when asked
    who = json.loads(alice.local("whoami", "-o", "json").stdout)
    assert who["user"] == "alice" and who["identity_center"] == alice.start_url and who["signed_in_until"]
    out = alice.run("logout", "-o", "json")
    assert json.loads(out.stdout)["signed_out"] is True
    blind = alice.run("credential-process", "prod", "--role", "admin")  # an SDK's child: no terminal to show a code
    assert blind.returncode == 4 and "run `awsroles login ENV` in a terminal first" in blind.stderr
    again, code = alice.sign_in("login", "prod", "--role", "admin")  # logged out at AWS: a new sign-in
    assert again.returncode == 0 and code, again.stdout


def test_a_denied_an_expired_and_a_slowed_down_sign_in(person: Any, ic_sandbox: SandboxHandle) -> None:
    bob: Person = person("bob")
    denied, _ = bob.sign_in("setup", "--identity-center", "--start-url", bob.start_url, "--store", "file",
                            allow=False)
    assert denied.returncode == 4, denied.stdout
    assert "the sign-in was denied in the browser: nothing was cached" in denied.stdout
    assert not (bob.home / "cfg" / "config.ini").exists()
    expired, _ = bob.sign_in("setup", "--identity-center", "--start-url", bob.start_url, "--store", "file",
                             allow=None, before=lambda code: ic_sandbox.box.advance_clock(601))
    assert expired.returncode == 4, expired.stdout
    assert "the sign-in code expired before it was approved" in expired.stdout
    slowed, _ = bob.sign_in("-v", "setup", "--identity-center", "--start-url", bob.start_url, "--store", "file",
                            before=lambda code: slow_down_device(ic_sandbox.endpoint, code))
    assert slowed.returncode == 0, slowed.stdout
    assert "AWS asked to poll less often: every 6 seconds now" in slowed.stdout  # RFC 8628 3.5: 5 more
    assert "you may assume: dev: developer, readonly" in slowed.stdout
    refused = bob.run("login", "prod", "--role", "admin")
    assert refused.returncode == 5 and "you have no role in 'prod'" in refused.stderr


def test_a_refresh_keeps_the_sign_in_and_an_expired_refresh_token_asks_again(
        person: Any, ic_sandbox: SandboxHandle) -> None:
    alice: Person = person("alice")
    assert alice.setup().returncode == 0
    ic_sandbox.box.advance_clock(3700)  # the 1-hour access token is over at AWS; the 8-hour session is not
    assert alice.local("logout", "prod", "--role", "admin").returncode == 0
    refreshed = alice.run("login", "prod", "--role", "admin")
    assert refreshed.returncode == 0, refreshed.stderr
    assert "Sign in" not in refreshed.stderr
    ic_sandbox.box.advance_clock(8 * 3600)  # the Identity Center session is over: the refresh token too
    assert alice.local("logout", "prod", "--role", "admin").returncode == 0
    again, code = alice.sign_in("login", "prod", "--role", "admin")
    assert again.returncode == 0 and code, again.stdout


def _aws_data_path(box: SandboxHandle, root: Path) -> Path:
    """The AWS CLI v2 2.9 has no AWS_ENDPOINT_URL: endpoint rulesets in AWS_DATA_PATH (botocore's
    loader reads them before its own) send its SSO OIDC and portal calls to the sandbox."""
    import awscli  # noqa: F401 - only to fail loudly if the v1 package is missing too

    for service in ("sso-oidc", "sso"):
        folder = root / service / "2019-06-10"
        folder.mkdir(parents=True)
        rules = {"version": "1.0", "parameters": {
            "Region": {"builtIn": "AWS::Region", "required": False, "type": "String", "documentation": ""},
            "UseDualStack": {"builtIn": "AWS::UseDualStack", "required": True, "default": False, "type": "Boolean",
                             "documentation": ""},
            "UseFIPS": {"builtIn": "AWS::UseFIPS", "required": True, "default": False, "type": "Boolean",
                        "documentation": ""},
            "Endpoint": {"builtIn": "SDK::Endpoint", "required": False, "type": "String", "documentation": ""}},
            "rules": [{"conditions": [], "type": "endpoint", "endpoint": {"url": box.endpoint}}]}
        (folder / "endpoint-rule-set-1.json").write_text(json.dumps(rules))
    return root


@pytest.mark.skipif(not os.access(AWS_V2, os.X_OK), reason="the AWS CLI v2 (Debian's awscli) is not installed; "
                    ".ci/run installs it")
def test_aws_sso_login_and_awsroles_share_one_sign_in_both_ways(
        person: Any, ic_sandbox: SandboxHandle, tmp_path: Path) -> None:
    bob: Person = person("bob")
    cli_env = {**bob.env, "AWS_DATA_PATH": str(_aws_data_path(ic_sandbox, tmp_path / "aws-data"))}
    config = bob.home / ".aws" / "config"
    config.parent.mkdir(parents=True)
    config.write_text(f"[sso-session my-sso]\nsso_start_url = {bob.start_url}\nsso_region = us-east-1\n"
                      "sso_registration_scopes = sso:account:access\n")  # bob's own, made for the AWS CLI
    login, code = bob.sign_in("sso", "login", "--sso-session", "my-sso", "--no-browser",
                              program=[AWS_V2], env=cli_env)
    assert login.returncode == 0 and code, login.stdout
    # awsroles signs in with the AWS CLI's token (found by its start URL): no code to approve
    setup = bob.run("setup", "--identity-center", "--start-url", bob.start_url, "--store", "file",
                    "--share-sso-login")
    assert setup.returncode == 0, setup.stderr
    assert "Sign in" not in setup.stdout + setup.stderr
    assert bob.run("login", "dev", "--role", "readonly").returncode == 0
    # and the other way: sso-session profiles, read by the AWS CLI v2 itself from the shared cache
    synced = bob.run("profiles", "sync", "--style", "sso-session")
    assert synced.returncode == 0, synced.stderr
    text = config.read_text()
    assert "[profile acme-dev-readonly]" in text and "sso_role_name = readonly" in text
    assert "credential_process" not in text
    shared = SharedCache(bob.home / ".aws" / "sso" / "cache").read("awsroles-acme")
    assert shared is not None and shared.refresh_token
    who = cli_v2(bob, cli_env, ic_sandbox)
    assert who.returncode == 0, who.stderr
    assert f"arn:aws:sts::{DEV}:assumed-role/AWSReservedSSO_readonly_" in who.stdout and "/bob" in who.stdout
    # the AWS CLI refreshes the shared token itself (botocore's SSOTokenProvider, its expiresAt passed)...
    path = SharedCache(bob.home / ".aws" / "sso" / "cache").path("awsroles-acme")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "expiresAt": "2020-01-01T00:00:00Z"}))
    ic_sandbox.box.advance_clock(3700)  # and AWS agrees: the access token is over, the session is not
    shutil.rmtree(bob.home / ".aws" / "cli" / "cache")  # the AWS CLI's cached role session (which needs no token)
    who = cli_v2(bob, cli_env, ic_sandbox)
    assert who.returncode == 0 and "/bob" in who.stdout, who.stderr
    refreshed = json.loads(path.read_text())
    assert refreshed["refreshToken"] != data["refreshToken"] and refreshed["accessToken"] != data["accessToken"]
    # ...and awsroles uses what the AWS CLI refreshed (its own copy's refresh token is spent now)
    assert bob.local("logout", "dev", "--role", "readonly").returncode == 0
    after = bob.run("login", "dev", "--role", "readonly")
    assert after.returncode == 0 and "Sign in" not in after.stderr, after.stderr
    # once the Identity Center session is over, the AWS CLI says so; one awsroles sign-in serves both again
    ic_sandbox.box.advance_clock(8 * 3600)
    shutil.rmtree(bob.home / ".aws" / "cli" / "cache")
    assert cli_v2(bob, cli_env, ic_sandbox).returncode != 0
    assert bob.local("logout", "dev", "--role", "readonly").returncode == 0
    again, code = bob.sign_in("login", "dev", "--role", "readonly")
    assert again.returncode == 0 and code, again.stdout
    assert cli_v2(bob, cli_env, ic_sandbox).returncode == 0
    v1 = shutil.which("aws", path=os.path.dirname(command()[0])) or "aws"  # the venv's AWS CLI v1 (botocore)
    who = subprocess.run([v1, "sts", "get-caller-identity", "--profile", "acme-dev-readonly", "--output", "text"],
                         env=bob.env, capture_output=True, text=True, timeout=60)
    assert who.returncode == 0, who.stderr
    assert f"arn:aws:sts::{DEV}:assumed-role/AWSReservedSSO_readonly_" in who.stdout
    # sharing no more: awsroles' plaintext copy goes, the sign-in stays (in the store)
    unshared = bob.run("setup", "--identity-center", "--start-url", bob.start_url, "--store", "file")
    assert unshared.returncode == 0, unshared.stderr
    assert "removed awsroles' copy of your sign-in from ~/.aws/sso/cache" in unshared.stdout
    assert not path.exists()
    assert bob.local("logout", "dev", "--role", "readonly").returncode == 0
    still = bob.run("login", "dev", "--role", "readonly")
    assert still.returncode == 0 and "Sign in" not in still.stderr, still.stderr


def cli_v2(person: Person, env: dict[str, str], box: SandboxHandle) -> subprocess.CompletedProcess[str]:
    """The AWS CLI v2 with the sso-session profile `profiles sync --style sso-session` wrote."""
    return subprocess.run([AWS_V2, "sts", "get-caller-identity", "--profile", "acme-dev-readonly", "--output", "text",
                           "--endpoint-url", box.endpoint], env=env, capture_output=True, text=True, timeout=60)


def _console_and_serve_work(alice: Person) -> None:
    """`console` (a federation stub answers GetSigninToken) and `serve` (boto3 through the container
    provider) with the Identity Center role session."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Federation)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_port}/federation"
        url = alice.run("console", "prod", "--role", "admin", "--print",
                        env={**alice.env, "AWSROLES_FEDERATION_ENDPOINT": endpoint})
        assert url.returncode == 0, url.stderr
        assert url.stdout.startswith(endpoint + "?Action=login") and "SigninToken=TOKEN123" in url.stdout
    finally:
        server.shutdown()
    process = subprocess.Popen([*command(), "serve", "prod", "--role", "admin"], env=alice.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        variables: dict[str, str] = {}
        while len(variables) < 2:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            if line.startswith("export "):
                name, _, value = line[len("export "):].strip().partition("=")
                variables[name] = value.strip("'")
        env = {k: v for k, v in alice.env.items() if not k.startswith(("AWS_ACCESS", "AWS_SECRET"))}
        probe = "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"
        result = subprocess.run([sys.executable, "-c", probe], env={**env, **variables}, capture_output=True,
                                text=True, timeout=60)
        assert result.stdout.strip() == PROD, result.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
