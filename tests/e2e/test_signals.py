"""Signals, which need a process of their own: Ctrl-C at a prompt exits 130 with one line and
nothing half-done (docs/exit-codes.md, "130: interrupted"); `awsroles serve` stops on SIGTERM
(or Ctrl-C) with exit status 0, its endpoint closed (docs/credentials.md, "serve"). Neither needs
AWS: the prompt comes before any call, and serve starts from a cached session."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsroles.creds import userconfig
from awsroles.creds.factory import open_user_store
from awsroles.creds.model import Credentials
from awsroles.creds.store import KEYS, SESSIONS
from awsroles.creds.userconfig import RoleGrant, UserConfig
from tests.e2e.test_credentials import _under_a_terminal
from tests.forkserver import REAL

pytestmark = pytest.mark.e2e


def command() -> list[str]:
    """The script itself, never the fork server: what a signal does to the process is the promise."""
    return [REAL]

PROD_ADMIN = RoleGrant("prod", "admin", "444444444444", "arn:aws:iam::444444444444:role/awsroles/admin", 3600)
ALICE = UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/awsroles/alice",
                   ops_account_id="111111111111", mfa_serial="arn:aws:iam::111111111111:mfa/alice",
                   grants=(PROD_ADMIN,), store="plaintext")
SESSION = "role/444444444444/admin/alice"


@pytest.fixture
def alice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Alice set up (her key in a plaintext store, no session yet): the environment to run her commands in."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "config"))
    userconfig.save(ALICE)
    open_user_store("plaintext").set(KEYS, ALICE.key_name, Credentials("AKIAALICE", "secret").to_json())
    return dict(os.environ)


def test_ctrl_c_at_the_mfa_prompt_exits_130_with_one_line(alice: dict[str, str]) -> None:
    pressed: list[str] = []

    def answer(screen: str) -> str | None:
        if "MFA code for arn:aws:iam::111111111111:mfa/alice" in screen and not pressed:
            pressed.append("^C")
            return "\x03"  # the terminal turns it into SIGINT for the foreground process
        return None

    code, screen = _under_a_terminal([*command(), "login", "prod", "--role", "admin"], alice, answer, timeout=60)
    assert pressed, f"no MFA prompt on the terminal:\n{screen}"
    assert code == 130, screen
    assert screen.rstrip().endswith("awsroles: interrupted") and "Traceback" not in screen
    assert open_user_store("plaintext").keys(SESSIONS) == []  # nothing cached half-way


def test_serve_stops_on_sigterm_with_status_0_and_closes_its_endpoint(alice: dict[str, str]) -> None:
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    open_user_store("plaintext").set(SESSIONS, SESSION, Credentials("ASIASERVED", "s3cr3t", "t0ken", later).to_json())
    process = subprocess.Popen([*command(), "serve", "prod", "--role", "admin", "-o", "json"], env=alice,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while lines[-1] not in ("}\n", ""):
            lines.append(process.stdout.readline())
        served = json.loads("".join(lines))
        url, token = served["AWS_CONTAINER_CREDENTIALS_FULL_URI"], served["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        request = urllib.request.Request(url, headers={"Authorization": token})
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert json.loads(reply.read())["AccessKeyId"] == "ASIASERVED"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert out == "" and "Traceback" not in err
    assert err.splitlines()[0].startswith("serving admin in prod at http://127.0.0.1:")
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=5):
        pass  # the endpoint went with it
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(request, timeout=5)


def _serving(alice: dict[str, str]) -> subprocess.Popen[str]:
    """``serve prod --role admin`` from a cached session, once it has printed its variables (the
    token last); a serve that ends before that is a failure, not a wait for ever."""
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    open_user_store("plaintext").set(SESSIONS, SESSION, Credentials("ASIASERVED", "s3cr3t", "t0ken", later).to_json())
    process = subprocess.Popen([*command(), "serve", "prod", "--role", "admin"], env=alice,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    while line and not line.startswith("export AWS_CONTAINER_AUTHORIZATION_TOKEN="):
        line = process.stdout.readline()
    if not line:
        _, err = process.communicate(timeout=15)
        pytest.fail(f"serve ended before its variables (status {process.returncode}): {err}")
    return process


def _stopped(process: subprocess.Popen[str], timeout: float) -> str:
    """``process``'s standard error once it has ended by itself within ``timeout`` seconds; killed
    if it has not (never left running: one was, once, waiting in signal.pause())."""
    try:
        return process.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        return f"{process.communicate()[1]}(still running {timeout:g} s after the signal: killed)"


def test_serve_stopped_as_soon_as_it_has_printed_its_variables_exits_0(alice: dict[str, str]) -> None:
    """A service manager may stop it the moment it is up: SIGTERM right after the output is a clean stop too."""
    for _ in range(5):  # the old race (handler set after the output) lost about every other time
        process = _serving(alice)
        process.send_signal(signal.SIGTERM)
        err = _stopped(process, timeout=15)
        assert process.returncode == 0 and "Traceback" not in err, err


def test_serve_stops_on_a_sigterm_that_lands_on_another_of_its_threads(alice: dict[str, str]) -> None:
    """The kernel may hand a process's SIGTERM to any of its threads (here, sent to one that is not
    the main thread, as ``tgkill`` does): serve still stops, with status 0. It once waited in
    ``signal.pause()``, which only a signal to the main thread wakes: one that landed elsewhere
    left it running until a second one came (seen in CI)."""
    import ctypes

    process = _serving(alice)
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        others = sorted((int(t) for t in os.listdir(f"/proc/{process.pid}/task") if int(t) != process.pid),
                        reverse=True)  # the newest first: the credential server's (the gc timer's may have ended)
        sent = next((tid for tid in others if libc.tgkill(process.pid, tid, signal.SIGTERM) == 0), None)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    err = _stopped(process, timeout=10)
    assert sent is not None, f"serve has no thread besides its main one to signal: {others}"
    assert process.returncode == 0 and "Traceback" not in err, err
