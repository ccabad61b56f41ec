"""Credentials end to end: the `awsroles` command against the sandbox, through botocore's chain.

alice (platform: admin everywhere) and bob (backend: dev only) are created by `awsroles apply`,
given an access key and a virtual MFA device (codes from pyotp), and use awsroles as people do.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from awsroles.sandbox.seed import PersonCredentials, enroll_person
from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.forkserver import command

pytestmark = pytest.mark.e2e


class Person:
    def __init__(self, box: SandboxHandle, creds: PersonCredentials, home: Path):
        self.box, self.creds, self.home = box, creds, home
        (home / "run").mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in self.box.env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        env.update(HOME=str(self.home), AWSROLES_CONFIG_DIR=str(self.home / "cfg"),
                   XDG_RUNTIME_DIR=str(self.home / "run"), AWS_CONFIG_FILE=str(self.home / "aws" / "config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(self.home / "aws" / "credentials"),
                   AWSROLES_PASSPHRASE="correct horse battery staple", AWSROLES_FILE=str(self.box.org_path))
        env.pop("AWSROLES_SESSION", None)
        return env

    def run(self, *argv: str, env: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command(), *argv], env=env or self.env, input=stdin, capture_output=True,
                              text=True, timeout=timeout)

    def local(self, *argv: str, env: dict[str, str] | None = None,
              stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """The same command in this process (:mod:`tests.e2e.inprocess`): for a step that sets up
        the one under test, or a refusal whose promise is its message and exit code."""
        return invoke(argv, env or self.env, stdin=stdin)

    def setup(self, *extra: str, local: bool = False) -> subprocess.CompletedProcess[str]:
        argv = ("setup", "--access-key-id", self.creds.access_key_id, "--secret-stdin", "--store", "file", *extra)
        stdin = self.creds.secret_access_key + "\n"
        return self.local(*argv, stdin=stdin) if local else self.run(*argv, stdin=stdin)

    def login(self, environment: str = "prod", role: str = "admin") -> None:
        """Set-up: a session for ``role`` in ``environment`` (a new MFA session if needed), in this process."""
        done = self.local("login", environment, "--role", role, "--mfa-code", self.code())
        assert done.returncode == 0, done.stderr

    def code(self) -> str:
        return self.creds.mfa_code()


@pytest.fixture(scope="module")
def world(module_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The classic org applied in this module's sandbox; alice and bob enrolled and set up."""
    box = module_sandbox
    people = {name: Person(box, enroll_person(box.aws(), box.org, name), tmp_path_factory.mktemp(name))
              for name in ("alice", "bob")}
    for person in people.values():
        result = person.setup(local=True)
        assert result.returncode == 0, result.stderr
    return {"box": box, **people}


def test_setup_records_who_you_are_and_what_you_may_assume(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    result = alice.setup()
    assert result.returncode == 0, result.stderr
    assert "alice (arn:aws:iam::111111111111:user/awsroles/alice)" in result.stdout
    assert "MFA device:    arn:aws:iam::111111111111:mfa/alice" in result.stdout
    assert "you may assume: dev: admin; stage: admin; prod: admin" in result.stdout
    config = (alice.home / "cfg" / "config.ini").read_text()
    assert alice.creds.secret_access_key not in config
    secrets = alice.home / "cfg" / "data" / "secrets.bin"
    assert secrets.is_file() and alice.creds.secret_access_key.encode() not in secrets.read_bytes()
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"
    assert not (alice.home / "aws" / "credentials").exists()
    shown = alice.setup("-o", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "user": "alice", "arn": "arn:aws:iam::111111111111:user/awsroles/alice", "ops_account": "111111111111",
        "store": json.loads(shown.stdout)["store"], "mfa_serial": "arn:aws:iam::111111111111:mfa/alice",
        "environments": {"dev": ["admin"], "stage": ["admin"], "prod": ["admin"]}, "break_glass": [],
        "settings": str(alice.home / "cfg" / "config.ini"), "browser": "default"}


def test_one_mfa_code_then_every_role_without_one(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    assert alice.local("logout").returncode == 0
    first = alice.run("login", "prod", "--role", "admin", "--mfa-code", alice.code())
    assert first.returncode == 0, first.stderr
    assert "admin in prod (444444444444) until" in first.stdout and "(new session)" in first.stdout
    # No code and no terminal: the cached MFA session is enough for another environment.
    dev = alice.run("login", "dev")
    assert dev.returncode == 0, dev.stderr
    assert "admin in dev (222222222222)" in dev.stdout
    again = alice.run("login", "prod", "--role", "admin")
    assert "(reused the cached session)" in again.stdout


def test_the_access_review_shows_the_key_and_the_role_a_person_used(world: dict[str, Any], tmp_path: Path) -> None:
    """``awsroles access review`` as the admin, after alice used her key and prod's admin role (and
    never stage's): the last uses as IAM records them, through the bootstrap role in each account, and
    with ``--cloudtrail`` when alice herself assumed each role (CloudTrail, by source identity)."""
    box: SandboxHandle = world["box"]
    alice: Person = world["alice"]
    used = alice.run("exec", "prod", "--role", "admin", "--mfa-code", alice.code(), "--", sys.executable, "-c",
                     "import boto3; boto3.client('sts').get_caller_identity()")
    assert used.returncode == 0, used.stderr
    review = subprocess.run([*command(), "access", "review", "--cloudtrail", "--since", "1d", "-o", "json"],
                            env=box.env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert review.returncode == 0, review.stderr
    people = {p["name"]: p for p in json.loads(review.stdout)["people"]}
    assert people["alice"]["keys"][0]["last_used"] != "never" and "inactive" not in people["alice"]["flags"]
    grants = {(g["environment"], g["role"]): g for g in people["alice"]["grants"]}
    assert grants["prod", "admin"]["role_last_used"].endswith("Z") and grants["prod", "admin"]["flags"] == []
    assert grants["stage", "admin"]["role_last_used"] == "never"
    assert grants["stage", "admin"]["flags"] == ["unused grant"]
    assert grants["prod", "admin"]["last_assumed_by_person"].endswith("Z")
    assert grants["stage", "admin"]["last_assumed_by_person"] == "never"


def test_exec_runs_the_command_as_the_role_and_passes_its_exit_code(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    probe = ("import boto3, os; i = boto3.client('sts').get_caller_identity(); "
             "print(i['Account'], i['Arn'], os.environ['AWSROLES_SESSION'])")
    result = alice.run("exec", "prod", "--role", "admin", "--", sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    account, arn, session = result.stdout.split()
    assert account == "444444444444" and arn.endswith(":assumed-role/admin/alice") and session == "prod/admin"
    assert alice.run("exec", "prod", "--role", "admin", "--", sys.executable, "-c",
                     "import sys; sys.exit(7)").returncode == 7
    assert alice.env.get("AWSROLES_PASSPHRASE")  # her file store's passphrase: awsroles' secret, not the command's
    leaked = alice.run("exec", "prod", "--role", "admin", "--", sys.executable, "-c",
                       "import os; print(os.environ.get('AWSROLES_PASSPHRASE'))")
    assert leaked.stdout.strip() == "None"
    nested = alice.local("exec", "dev", "--", "true", env={**alice.env, "AWSROLES_SESSION": "prod/admin"})
    assert nested.returncode == 2 and "already inside `awsroles exec` (prod/admin)" in nested.stderr


def test_exec_a_command_that_cannot_start_exits_as_a_shell_would(world: dict[str, Any], tmp_path: Path) -> None:
    alice: Person = world["alice"]
    alice.login()
    missing = alice.run("exec", "prod", "--role", "admin", "--", "no-such-command-here")
    assert (missing.returncode, missing.stderr) == (127, "awsroles: error: command not found: no-such-command-here\n")
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    refused = alice.run("exec", "prod", "--role", "admin", "--", str(script))
    assert refused.returncode == 126 and refused.stderr.startswith(f"awsroles: error: cannot run {script}: ")


def test_env_formats(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    sh = alice.run("env", "prod", "--role", "admin")
    assert sh.returncode == 0
    evaluated = subprocess.run(["bash", "-c", sh.stdout + '\necho "$AWS_ACCESS_KEY_ID $AWSROLES_SESSION"'],
                               capture_output=True, text=True)
    key, session = evaluated.stdout.split()
    assert key.startswith("ASIA") and session == "prod/admin"
    data = json.loads(alice.run("env", "prod", "--role", "admin", "--format", "json").stdout)
    assert data["AWS_ACCESS_KEY_ID"] == key and data["AWS_SESSION_TOKEN"]
    for argv in (["-o", "json", "env", "prod", "--role", "admin"], ["env", "prod", "--role", "admin", "-o", "json"],
                 ["env", "prod", "-o", "json", "--format", "json", "--role", "admin"]):
        assert json.loads(alice.local(*argv).stdout) == data, argv  # -o json is JSON, not shell exports
    both = alice.local("env", "prod", "--role", "admin", "-o", "json", "--format", "fish")
    assert both.returncode == 2 and "--format fish and --output json disagree" in both.stderr and not both.stdout
    csv = alice.local("-o", "csv", "env", "prod", "--role", "admin")
    assert csv.returncode == 2 and "awsroles env has no CSV form; use --output table or json" in csv.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_assume_loads_a_role_into_the_shell_and_the_prompt_marks_it(world: dict[str, Any], shell: str) -> None:
    """`awsroles shell-init SHELL` in a real shell: `assume prod admin` sets the role's keys and the
    session; the prompt marker shows it, the minutes left near the end, then "expired"."""
    alice: Person = world["alice"]
    alice.login()
    exe = command()[0] if len(command()) == 1 else "awsroles"
    env = {**alice.env, "PATH": os.pathsep.join([os.path.dirname(exe), os.environ.get("PATH", "")])}
    if shell == "fish":
        script = ("awsroles shell-init fish | source; assume prod admin; or exit 9; "
                  "echo $AWSROLES_SESSION $AWS_ACCESS_KEY_ID; __awsroles_prompt; echo; "
                  "set -gx AWSROLES_SESSION_EXPIRES (math (date +%s) + 300); __awsroles_prompt; echo; "
                  "set -gx AWSROLES_SESSION_EXPIRES 1; __awsroles_prompt; echo; assume; echo \" status $status\"")
    else:
        script = (f'eval "$(awsroles shell-init {shell})"; assume prod admin || exit 9; '
                  'echo $AWSROLES_SESSION $AWS_ACCESS_KEY_ID; __awsroles_prompt; echo; '
                  'AWSROLES_SESSION_EXPIRES=$(( $(date +%s) + 300 )); __awsroles_prompt; echo; '
                  'AWSROLES_SESSION_EXPIRES=1; __awsroles_prompt; echo; assume 2>/dev/null; echo " status $?"')
    done = subprocess.run([shell, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    session, key = lines[0].split()
    assert session == "prod/admin" and key.startswith("ASIA")
    assert lines[1:4] == ["[prod/admin] ", "[prod/admin 5m] ", "[prod/admin expired] "]
    assert lines[4].endswith(" status 2")  # `assume` alone: its usage, exit 2


def test_exec_takes_the_global_options_and_passes_the_commands_own_words(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    probe = "import os, sys; print(os.environ['AWSROLES_SESSION'], *sys.argv[1:])"
    result = alice.run("exec", "-v", "-o", "json", "-f", str(alice.box.org_path), "prod", "--role", "admin",
                       sys.executable, "-c", probe, "-v", "-o", "text", "--role", "x", "-f", "y")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["prod/admin", "-v", "-o", "text", "--role", "x", "-f", "y"]


def test_profiles_sync_then_boto3_uses_credential_process(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    config = alice.home / "aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("# my own settings\n[profile personal]\nregion = eu-west-1\n")
    synced = alice.run("profiles", "sync")
    assert synced.returncode == 0, synced.stderr
    text = config.read_text()
    assert text.startswith("# my own settings\n[profile personal]\nregion = eu-west-1\n")
    for name in ("acme-dev-admin", "acme-stage-admin", "acme-prod-admin"):
        assert f"[profile {name}]" in text
    alice.login()
    probe = ("import boto3; session = boto3.Session(profile_name='acme-prod-admin'); "
             "print(session.client('sts').get_caller_identity()['Arn'])")
    env = {k: v for k, v in alice.env.items() if not k.startswith("AWS_ACCESS") and k != "AWS_SECRET_ACCESS_KEY"}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "arn:aws:sts::444444444444:assumed-role/admin/alice"
    assert alice.local("profiles", "sync").stdout.strip().endswith("unchanged: 3 profile(s)")


def test_credential_process_format_and_hot_path(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    result = alice.run("credential-process", "prod", "--role", "admin")
    data = json.loads(result.stdout)
    assert data["Version"] == 1 and data["AccessKeyId"].startswith("ASIA") and data["Expiration"].endswith("Z")


class _Federation(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"SigninToken": "TOKEN123"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


def test_console_urls(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Federation)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_port}/federation"
        env = {**alice.env, "AWSROLES_FEDERATION_ENDPOINT": endpoint}
        alice.login()
        url = alice.run("console", "prod", "--role", "admin", "--print", env=env)
        assert url.returncode == 0, url.stderr
        assert url.stdout.startswith(endpoint + "?Action=login") and "SigninToken=TOKEN123" in url.stdout
        assert "Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1" in url.stdout
        page = alice.local("console", "prod", "--role", "admin", "--print", "--service", "cloudwatch", "--region",
                         "eu-west-1", env=env)
        assert ("Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fcloudwatch%2Fhome%3Fregion%3Deu-west-1"
                in page.stdout)
        away = alice.local("console", "prod", "--role", "admin", "--print", "--destination", "https://evil.example/",
                         env=env)
        assert away.returncode == 2 and not away.stdout and len(away.stderr.splitlines()) == 1
    finally:
        server.shutdown()
    # the console's Switch Role sets no SourceIdentity, which the trust policy requires: no such link
    switch = alice.local("console", "prod", "--role", "admin", "--switch-role", "--print")
    assert switch.returncode == 2 and "No such option '--switch-role'" in switch.stderr and not switch.stdout


def test_serve_feeds_boto3_through_the_container_provider(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    process = subprocess.Popen([*command(), "serve", "prod", "--role", "admin"], env=alice.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        variables = {}
        while len(variables) < 2:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            if line.startswith("export "):
                name, _, value = line[len("export "):].strip().partition("=")
                variables[name] = value.strip("'")
        env = {k: v for k, v in alice.env.items() if not k.startswith(("AWS_ACCESS", "AWS_SECRET"))}
        env.update(variables)
        probe = "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"
        result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
        assert result.stdout.strip() == "444444444444", result.stderr
        wrong = {**env, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "not-the-token-0123456789"}
        refused = subprocess.run([sys.executable, "-c", probe], env=wrong, capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    process = subprocess.Popen([*command(), "serve", "prod", "--role", "admin", "-o", "json", "-v"], env=alice.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while lines[-1] not in ("}\n", ""):
            lines.append(process.stdout.readline())
        served = json.loads("".join(lines))
        assert set(served) == {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}
        assert served["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_bob_is_refused_prod(world: dict[str, Any]) -> None:
    bob: Person = world["bob"]
    result = bob.run("login", "prod", "--role", "admin", "--mfa-code", bob.code())
    assert result.returncode == 5
    assert result.stderr.strip() == "awsroles: error: you have no role in 'prod'; your environments: dev"
    ok = bob.local("login", "dev", "--role", "developer", "--mfa-code", bob.code())
    assert ok.returncode == 0, ok.stderr
    # Even with a forged local grant, AWS itself refuses: the team policy names only dev roles.
    config = bob.home / "cfg" / "config.ini"
    original = config.read_text()
    try:
        config.write_text(original + "\n[grant prod/admin]\naccount_id = 444444444444\n"
                          "role_arn = arn:aws:iam::444444444444:role/awsroles/admin\nmax_session = 3600\n")
        forged = bob.local("login", "prod", "--role", "admin")
        assert forged.returncode == 5
        assert "AWS refused bob the role admin in prod (AccessDenied)" in forged.stderr
    finally:
        config.write_text(original)


def test_errors_are_one_line_with_distinct_exit_codes(world: dict[str, Any], tmp_path: Path) -> None:
    alice: Person = world["alice"]
    assert alice.local("logout").returncode == 0
    bad_code = alice.run("login", "prod", "--role", "admin", "--mfa-code", "12ab")
    assert bad_code.returncode == 4 and bad_code.stderr.strip() == (
        "awsroles: error: the MFA code from --mfa-code is not 6 digits")
    no_code = alice.local("login", "prod", "--role", "admin")
    assert no_code.returncode == 4 and "an MFA code is needed" in no_code.stderr
    offline = alice.local("login", "prod", "--role", "admin", "--mfa-code", alice.code(),
                        env={**alice.env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert offline.returncode == 7 and "cannot reach AWS" in offline.stderr
    not_granted = alice.local("login", "prod", "--role", "developer")
    assert not_granted.returncode == 5 and "your roles there: admin" in not_granted.stderr
    keyring_env = {k: v for k, v in alice.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    keyring_env.update(DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent", AWSROLES_CONFIG_DIR=str(tmp_path))
    no_keyring = alice.run("setup", "--access-key-id", alice.creds.access_key_id, "--secret-stdin",
                           env=keyring_env, stdin=alice.creds.secret_access_key + "\n")
    assert no_keyring.returncode == 6, no_keyring.stderr
    assert "keyring" in no_keyring.stderr
    for result in (bad_code, no_code, offline, not_granted, no_keyring):
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_status_and_logout_show_no_secrets(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    status = alice.run("status", "-o", "json")
    data = json.loads(status.stdout)
    names = [s["session"] for s in data["sessions"]]
    assert "role/444444444444/admin/alice" in names and any(n.startswith("mfa/") for n in names)
    shown = {(s["environment"], s["role"]) for s in data["sessions"]}
    assert {("prod", "admin"), ("ops", "MFA session")} <= shown  # what people read, not cache keys
    by_role = {(s["environment"], s["role"]): s for s in data["sessions"]}
    assert by_role[("prod", "admin")]["source"] == "assumed from your MFA session"
    assert by_role[("prod", "admin")]["kept_in"] == ["fast cache", "store"]
    assert by_role[("ops", "MFA session")]["source"] == "your access key and an MFA code"
    assert by_role[("ops", "MFA session")]["kept_in"] == ["store"]
    assert data["fast_path"] == {"active": True, "detail": "on: key in memory ($XDG_RUNTIME_DIR, cleared at logout)"}
    table = alice.local("status").stdout
    assert "prod" in table and "admin" in table and "role/444444444444" not in table
    assert "fast path: on" in table and "assumed from your MFA session" in table
    # without a runtime dir and without /dev/shm, status says the fast path is off and why
    bare = {k: v for k, v in alice.env.items() if k != "XDG_RUNTIME_DIR"} | {"AWSROLES_SHM_DIR": ""}
    off = json.loads(alice.local("status", "-o", "json", env=bare).stdout)["fast_path"]
    assert not off["active"] and "no memory-backed folder" in off["detail"]
    secret = json.loads(alice.local("credential-process", "prod", "--role", "admin").stdout)["SecretAccessKey"]
    assert secret not in status.stdout
    assert alice.run("logout").returncode == 0
    assert json.loads(alice.local("status", "-o", "json").stdout)["sessions"] == []


def test_logout_of_one_session_keeps_the_others(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    assert alice.local("login", "dev").returncode == 0
    one = alice.run("logout", "prod", "--role", "admin", "-o", "json")
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["stored_sessions_removed"] == ["role/444444444444/admin/alice"]
    left = {(s["environment"], s["role"]) for s in json.loads(alice.local("status", "-o", "json").stdout)["sessions"]}
    assert ("prod", "admin") not in left and {("dev", "admin"), ("ops", "MFA session")} <= left
    assert alice.local("logout", "--role", "admin").returncode == 2  # a role needs its environment
    assert alice.local("logout", "prod", "--all").returncode == 2  # --all is everything, not one environment's
    nowhere = alice.local("logout", "qa")
    assert nowhere.returncode == 5 and "no role in 'qa'" in nowhere.stderr
    assert alice.local("logout").returncode == 0


def test_short_sessions_are_refreshed_ahead_of_expiry(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    alice.login()
    first = alice.local("login", "dev", "--duration", "900")
    assert "(new session)" in first.stdout
    # 15 minutes is inside the advisory refresh window: the next request refreshes it.
    second = alice.run("login", "dev", "--duration", "900")
    assert "(new session)" in second.stdout


def test_twenty_processes_at_once_make_one_sts_call_each_kind(world: dict[str, Any], tmp_path: Path) -> None:
    alice: Person = world["alice"]
    counter = tmp_path / "mfa-calls"
    script = tmp_path / "mfa.py"
    # The code is worked out when awsroles runs the command, as an authenticator shows it then: one
    # the sandbox has not taken (like AWS, it refuses a code used before). Computed before twenty
    # processes start on a loaded machine, it could age out of its window first.
    creds = alice.creds
    script.write_text(
        "from awsroles.sandbox.seed import PersonCredentials\n"
        f"open({str(counter)!r}, 'a').write('x')\n"
        f"print(PersonCredentials({creds.access_key_id!r}, {creds.secret_access_key!r}, {creds.mfa_serial!r}, "
        f"{creds.totp_seed!r}, {creds.user_arn!r}, {creds.endpoint!r}).mfa_code())\n")
    assert alice.setup("--mfa-command", f"{sys.executable} {script}", local=True).returncode == 0
    assert alice.local("logout").returncode == 0
    processes = [subprocess.Popen([*command(), "-v", "credential-process", "stage", "--role", "admin"],
                                  env=alice.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(20)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [e for _, e in outputs if e][:2]
    keys = {json.loads(out)["AccessKeyId"] for out, _ in outputs}
    assert len(keys) == 1
    logs = "".join(err for _, err in outputs)
    assert logs.count("GetSessionToken for alice") == 1
    assert logs.count("AssumeRole arn:aws:iam::333333333333:role/awsroles/admin") == 1
    assert counter.read_text() == "x"
    assert alice.setup(local=True).returncode == 0  # back to no mfa_command for the other tests


def test_whoami_outside_and_inside_exec(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    outside = json.loads(alice.run("whoami", "-o", "json").stdout)
    assert outside["arn"] == "arn:aws:iam::111111111111:user/awsroles/alice" and outside["session"] is None
    alice.login("dev")
    inside = alice.run("exec", "dev", "--", *command(), "whoami", "-o", "json")
    assert inside.returncode == 0, inside.stderr
    data = json.loads(inside.stdout)
    assert data["arn"] == "arn:aws:sts::222222222222:assumed-role/admin/alice" and data["session"] == "dev/admin"


def test_very_verbose_output_carries_no_secret(world: dict[str, Any]) -> None:
    alice: Person = world["alice"]
    assert alice.local("logout").returncode == 0
    result = alice.run("-vv", "credential-process", "prod", "--role", "admin", "--mfa-code", alice.code())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "AssumeRole arn:aws:iam::444444444444:role/awsroles/admin" in result.stderr  # our own log is there
    for secret in (data["SecretAccessKey"], data["SessionToken"], alice.creds.secret_access_key):
        assert secret not in result.stderr


def _under_a_terminal(argv: list[str], env: dict[str, str], answer: Callable[[str], str | None],
                      timeout: float = 90) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal as its controlling terminal (as in a person's terminal
    window); ``answer(screen so far)`` returns what to type next, or None. The exit status and
    everything the terminal showed."""
    import pty
    import select
    import time

    pid, master = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        # As in a terminal, ^C interrupts: a shell's background job (pytest started with `&`) would
        # pass SIGINT down ignored, and Python then keeps it ignored.
        import signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(argv[0], argv, env)
    screen, deadline = "", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal: it exited
                    break
                if not chunk:
                    break
                screen += chunk.decode(errors="replace")
                typed = answer(screen)
                if typed is not None:
                    os.write(master, typed.encode())
        else:
            os.kill(pid, 9)
            raise AssertionError(f"still waiting after {timeout}s; the terminal showed:\n{screen}")
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), screen
    finally:
        os.close(master)


def test_the_mfa_prompt_is_seen_on_the_terminal_under_credential_process(world: dict[str, Any]) -> None:
    """After logout, the real AWS CLI through a generated profile: it captures credential-process's
    stdout and stderr, so the MFA prompt must come on the controlling terminal, and the code typed
    there must log in."""
    alice: Person = world["alice"]
    assert alice.local("profiles", "sync").returncode == 0
    assert alice.local("logout").returncode == 0
    aws = shutil.which("aws", path=os.path.dirname(sys.executable))  # the test extra's awscli
    assert aws, "the AWS CLI (awscli, in the test extra) is not installed next to this interpreter"
    typed: list[str] = []

    def answer(screen: str) -> str | None:
        if "MFA code for arn:aws:iam::111111111111:mfa/alice: " in screen and not typed:
            typed.append(alice.code())
            return typed[0] + "\n"
        return None

    argv = [aws, "sts", "get-caller-identity", "--profile", "acme-dev-admin", "--query", "Arn", "--output", "text"]
    code, screen = _under_a_terminal(argv, alice.env, answer)
    assert typed, f"no MFA prompt on the terminal:\n{screen}"
    assert code == 0, screen
    assert "arn:aws:sts::222222222222:assumed-role/admin/alice" in screen
    assert typed[0] + "\r\n" in screen or typed[0] in screen  # echoed as typed, like any prompt


def test_rotating_your_own_key_needs_no_admin_and_stores_the_new_key(world: dict[str, Any]) -> None:
    """Last in this module: it replaces alice's key. Her own credentials (through her MFA session)
    are enough; the new key is in her store once it works, the old one is gone, she logs in again."""
    alice: Person = world["alice"]
    iam = world["box"].client("iam")
    old = alice.creds.access_key_id
    assert "AWS_ACCESS_KEY_ID" not in alice.env and "AWS_PROFILE" not in alice.env  # no admin anywhere
    alice.login("dev")  # a morning's MFA session
    rotated = alice.run("users", "keys", "rotate", "alice", "--delete-old", "-o", "json")
    assert rotated.returncode == 0, rotated.stderr
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]]
    assert old not in keys and len(keys) == 1
    assert "SecretAccessKey" not in rotated.stdout or json.loads(rotated.stdout).get("SecretAccessKey") is None
    again = alice.run("login", "prod", "--role", "admin", "--mfa-code", alice.code())  # a new MFA session, new key
    assert again.returncode == 0, again.stderr
    assert "new session" in again.stdout


def test_two_orgs_on_one_machine(world: dict[str, Any], tmp_path: Path) -> None:
    """A consultant with two orgs: the first set up stays where one org always was; the second goes
    beside it; --org and $AWSROLES_ORG pick one; each org keeps its own sessions and profiles, and a
    profile pinned to one org is answered with that org's session whatever $AWSROLES_ORG says."""
    box = world["box"]
    bob = Person(box, world["bob"].creds, tmp_path / "consultant")  # alice's key is rotated by another test
    text = box.org_path.read_text()
    policies = (box.org_path.parent / "../policies").resolve()
    globex = tmp_path / "globex.ini"
    globex.write_text(text.replace("name = acme", "name = globex", 1)
                      .replace("policy_dir = ../policies", f"policy_dir = {policies}", 1))
    assert bob.setup(local=True).returncode == 0
    second = bob.setup("--file", str(globex))
    assert second.returncode == 0, second.stderr
    assert "beside acme (your first org): pick globex with --org globex or AWSROLES_ORG=globex" in second.stdout
    assert (bob.home / "cfg" / "orgs" / "globex" / "config.ini").is_file()
    refused = bob.setup("--file", str(globex), "--org", "acme", local=True)
    assert refused.returncode == 2 and "but the org file is globex's" in refused.stderr

    acme_login = bob.local("login", "dev", "--role", "developer", "--mfa-code", bob.code(), "-o", "json")
    globex_login = bob.run("login", "dev", "--role", "developer", "--org", "globex", "--mfa-code", bob.code(),
                             "-o", "json")
    assert acme_login.returncode == 0 and globex_login.returncode == 0, globex_login.stderr
    assert json.loads(globex_login.stdout)["cached"] is False  # its own MFA session and role session

    def key(*argv: str, env: dict[str, str] | None = None) -> str:
        done = bob.run("credential-process", "dev", "--role", "developer", *argv, env=env)
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout)["AccessKeyId"])

    acme_key, globex_key = key(), key("--org", "globex")
    assert acme_key != globex_key
    in_globex_shell = {**bob.env, "AWSROLES_ORG": "globex"}
    assert key(env=in_globex_shell) == globex_key
    assert key("--org", "acme", env=in_globex_shell) == acme_key
    status = json.loads(bob.local("status", "-o", "json", "--org", "globex").stdout)
    assert {(s["environment"], s["role"]) for s in status["sessions"]} >= {("dev", "developer")}
    unknown = bob.local("status", "--org", "initech")
    assert unknown.returncode == 2 and "no org 'initech' is set up here (set up: acme (the first), globex)" in (
        unknown.stderr)

    # Profiles for both orgs, each pinned: the AWS CLI gets each org's own session.
    assert bob.local("profiles", "sync").returncode == 0
    assert bob.local("profiles", "sync", "--org", "globex").returncode == 0
    config = (bob.home / "aws" / "config").read_text()
    assert "credential-process dev --role developer --org acme" in config
    assert "credential-process dev --role developer --org globex" in config
    for profile, expected in (("acme-dev-developer", acme_key), ("globex-dev-developer", globex_key)):
        probe = f"import boto3; print(boto3.Session(profile_name={profile!r}).get_credentials().access_key)"
        done = subprocess.run([sys.executable, "-c", probe], env=in_globex_shell, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected


def test_without_a_terminal_the_mfa_command_is_asked_else_one_line_says_how(world: dict[str, Any],
                                                                            tmp_path: Path) -> None:
    """The real AWS CLI from a process with no controlling terminal (a GUI launcher, an IDE): the
    configured prompt program (here a stand-in for `zenity --entry`) gives the code; without one,
    the AWS CLI shows awsroles' one-line error, and nothing waits."""
    box = world["box"]
    bob = Person(box, world["bob"].creds, tmp_path / "no-terminal")
    code_file = tmp_path / "typed"
    dialog = tmp_path / "zenity"
    dialog.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'asked'}\ncat {code_file}\n")
    dialog.chmod(0o700)
    assert bob.setup("--mfa-command", f"{dialog} --entry --text 'MFA code'", local=True).returncode == 0
    assert bob.local("profiles", "sync").returncode == 0
    aws = shutil.which("aws", path=os.path.dirname(sys.executable))
    assert aws
    argv = [aws, "sts", "get-caller-identity", "--profile", "acme-dev-developer", "--query", "Arn", "--output", "text"]

    def no_terminal(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90,
                              start_new_session=True)  # no controlling terminal: /dev/tty cannot be opened

    code_file.write_text(bob.code() + "\n")
    done = no_terminal(bob.env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "arn:aws:sts::222222222222:assumed-role/developer/bob"
    assert (tmp_path / "asked").read_text().strip() == "--entry --text MFA code"

    plain = Person(box, world["bob"].creds, tmp_path / "no-program")
    assert plain.setup(local=True).returncode == 0 and plain.local("profiles", "sync").returncode == 0
    refused = no_terminal(plain.env)
    assert refused.returncode != 0
    assert "an MFA code is needed and there is no terminal to ask on" in refused.stderr
    assert "Traceback" not in refused.stderr
