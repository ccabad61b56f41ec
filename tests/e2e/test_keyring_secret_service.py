"""KeyringStore against a real Secret Service: gnome-keyring in a private D-Bus session.

Recipe (gnome-keyring 42): ``dbus-run-session -- sh -c 'printf %s PW | gnome-keyring-daemon
--unlock --components=secrets --daemonize; python ...'``. With ``--unlock`` the daemon reads the
password from stdin and creates (or unlocks) the "login" keyring under ``$HOME/.local/share/keyrings``,
which becomes the default collection. HOME and XDG_RUNTIME_DIR are temp directories and there is no
DISPLAY, so the developer's own keyring is never touched and no prompt can appear on a screen.

One session runs every check of the unlocked and locked keyring (a script that prints JSON); the
cases without a usable Secret Service each take their own short-lived process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("dbus-run-session") is None or shutil.which("gnome-keyring-daemon") is None,
                       reason="needs dbus-run-session and gnome-keyring-daemon (Debian: dbus, gnome-keyring)"),
]

CHECKS = textwrap.dedent(r'''
    import json, os, signal, sys, time
    from pathlib import Path

    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    from awsroles.creds.store import KEYS, SESSIONS, StoreError
    from awsroles.creds.store.keyring_store import KeyringStore

    out = {}
    index = Path(sys.argv[1])
    store = KeyringStore("secretservice", index)
    small = KeyringStore("secretservice", index, max_chunk=100)
    connection = open_dbus_connection()
    collection = secretstorage.Collection(connection)

    def raw(namespace):
        """What is really in the keyring: username -> secret, for one namespace."""
        return {item.get_attributes()["username"]: item.get_secret().decode()
                for item in collection.search_items({"service": namespace})}

    def failure(call):
        start = time.monotonic()
        try:
            call()
        except StoreError as exc:
            return {"reason": exc.reason, "message": str(exc), "seconds": time.monotonic() - start}
        return {"reason": None, "seconds": time.monotonic() - start}

    out["collection"] = collection.get_label()
    # set / get / delete
    store.set(KEYS, "111111111111/alice", "long-term-secret")
    out["get"] = store.get(KEYS, "111111111111/alice")
    out["absent"] = store.get(KEYS, "nobody")
    store.delete(KEYS, "nobody")  # no error
    # two namespaces, same key
    store.set(SESSIONS, "111111111111/alice", "session-secret")
    out["namespaces"] = [store.get(KEYS, "111111111111/alice"), store.get(SESSIONS, "111111111111/alice")]
    store.delete(SESSIONS, "111111111111/alice")
    out["after_session_delete"] = [store.get(KEYS, "111111111111/alice"), store.get(SESSIONS, "111111111111/alice")]
    # the keyring library (and so `keyring get`, seahorse) sees the same item
    import keyring.backends.SecretService
    out["keyring_library_reads"] = keyring.backends.SecretService.Keyring().get_password(KEYS, "111111111111/alice")
    # chunked values
    big = "".join(chr(33 + i % 90) for i in range(1000)) + "é" * 20 + "\U0001f511" * 20
    small.set(SESSIONS, "role/prod/admin", big)
    entries = raw(SESSIONS)
    out["chunk_entries"] = sorted(entries)
    out["chunk_max_units"] = max(len(v.encode("utf-16-le")) // 2 for v in entries.values())
    out["chunk_round_trip"] = small.get(SESSIONS, "role/prod/admin") == big
    out["chunk_read_by_default_store"] = store.get(SESSIONS, "role/prod/admin") == big
    session_json = json.dumps({"AccessKeyId": "ASIA" + "X" * 16, "SecretAccessKey": "s" * 40,
                               "SessionToken": "t" * 2800, "Expiration": "2030-01-01T00:00:00Z"})
    store.set(SESSIONS, "role/dev/developer", session_json)
    out["default_chunks"] = sorted(k for k in raw(SESSIONS) if k.startswith("role/dev/developer"))
    out["default_round_trip"] = store.get(SESSIONS, "role/dev/developer") == session_json
    small.set(SESSIONS, "role/prod/admin", "short now")
    out["after_shrink"] = sorted(k for k in raw(SESSIONS) if k.startswith("role/prod/admin"))
    out["shrunk_value"] = small.get(SESSIONS, "role/prod/admin")
    out["keys"] = {"keys": store.keys(KEYS), "sessions": store.keys(SESSIONS)}
    store.delete(SESSIONS, "role/dev/developer")
    out["after_chunked_delete"] = sorted(raw(SESSIONS))
    out["keys_after_delete"] = store.keys(SESSIONS)
    # a locked collection: fail fast, never prompt
    collection.lock()
    out["locked_is_locked"] = collection.is_locked()
    out["locked_get"] = failure(lambda: store.get(KEYS, "111111111111/alice"))
    out["locked_set"] = failure(lambda: KeyringStore("secretservice", index).set(KEYS, "k", "v"))
    # allowed to prompt, with a limit: gcr-prompter has no display, so the prompt is dismissed
    out["locked_prompt"] = failure(
        lambda: KeyringStore("secretservice", index, unlock_timeout=3).get(KEYS, "111111111111/alice"))
    # the daemon this session started: stop it, so nothing outlives the test
    bus = secretstorage.util.DBusAddressWrapper("/org/freedesktop/DBus", "org.freedesktop.DBus", connection)
    bus.bus_name = "org.freedesktop.DBus"
    (pid,) = bus.call("GetConnectionUnixProcessID", "s", "org.freedesktop.secrets")
    out["daemon_pid"] = pid
    print(json.dumps(out))
    sys.stdout.flush()
    os.kill(pid, signal.SIGTERM)
''')

PROBE = textwrap.dedent(r'''
    import json, sys, time
    from pathlib import Path
    from awsroles.creds.store import KEYS, StoreError
    from awsroles.creds.store.keyring_store import KeyringStore
    start = time.monotonic()
    try:
        KeyringStore("secretservice", Path(sys.argv[1])).get(KEYS, "k")
        result = {"reason": None}
    except StoreError as exc:
        result = {"reason": exc.reason, "message": str(exc)}
    result["seconds"] = time.monotonic() - start
    print(json.dumps(result))
''')

BUS_WITHOUT_SERVICES = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={tmp}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>
  </policy>
</busconfig>
"""


def clean_env(root: Path) -> dict[str, str]:
    """A private HOME and runtime dir, no display, no session bus of the developer's."""
    home, runtime = root / "home", root / "run"
    home.mkdir(exist_ok=True)
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
            "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}


def run(argv: list[str], env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def last_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result (rc {result.returncode}):\n{result.stdout}\n{result.stderr}"
    data: dict[str, Any] = json.loads(lines[-1])
    return data


def gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            with open(f"/proc/{pid}/stat") as stat:  # a zombie (no reaper in some containers) is gone too
                if stat.read().split(") ")[-1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every check of one real gnome-keyring session, run once."""
    root = tmp_path_factory.mktemp("secret-service")
    env = clean_env(root)
    script = ('printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets --daemonize '
              '>/dev/null && exec "$PYTHON" -c "$CHECKS" "$INDEX"')
    env.update(KEYRING_PASSWORD="test-password", PYTHON=sys.executable, CHECKS=CHECKS,
               INDEX=str(root / "data" / "keyring-index.json"))
    start = time.monotonic()
    result = run(["dbus-run-session", "--", "sh", "-c", script], env)
    data = last_json(result)
    data["elapsed"] = time.monotonic() - start
    data["index_path"] = str(root / "data" / "keyring-index.json")
    data["keyring_files"] = sorted(p.name for p in (root / "home" / ".local/share/keyrings").iterdir())
    return data


def test_runs_in_a_private_login_keyring(session: dict[str, Any]) -> None:
    assert session["collection"] == "Login"
    assert "login.keyring" in session["keyring_files"]
    assert session["elapsed"] < 15


def test_set_get_delete(session: dict[str, Any]) -> None:
    assert session["get"] == "long-term-secret"
    assert session["absent"] is None


def test_namespaces_are_separate(session: dict[str, Any]) -> None:
    assert session["namespaces"] == ["long-term-secret", "session-secret"]
    assert session["after_session_delete"] == ["long-term-secret", None]


def test_items_are_what_the_keyring_library_writes(session: dict[str, Any]) -> None:
    assert session["keyring_library_reads"] == "long-term-secret"


def test_long_values_are_chunked_and_reassembled(session: dict[str, Any]) -> None:
    names = set(session["chunk_entries"])
    assert len(names) >= 11
    assert names == {"role/prod/admin"} | {f"role/prod/admin#{i}" for i in range(1, len(names))}
    assert session["chunk_max_units"] <= 100
    assert session["chunk_round_trip"] and session["chunk_read_by_default_store"]
    # a real session (~3 KB) under the default limit: three entries of <= 1,200 characters
    assert session["default_chunks"] == ["role/dev/developer", "role/dev/developer#1", "role/dev/developer#2"]
    assert session["default_round_trip"]


def test_rewrites_and_deletes_leave_no_stale_chunks(session: dict[str, Any]) -> None:
    assert session["after_shrink"] == ["role/prod/admin"]
    assert session["shrunk_value"] == "short now"
    assert session["after_chunked_delete"] == ["role/prod/admin"]
    assert session["keys_after_delete"] == ["role/prod/admin"]


def test_keys_come_from_the_names_index(session: dict[str, Any]) -> None:
    assert session["keys"] == {"keys": ["111111111111/alice"],
                               "sessions": ["role/dev/developer", "role/prod/admin"]}
    index = Path(session["index_path"])
    assert index.stat().st_mode & 0o777 == 0o600
    assert index.parent.stat().st_mode & 0o777 == 0o700
    assert "long-term-secret" not in index.read_text()


def test_a_locked_keyring_fails_fast_without_prompting(session: dict[str, Any]) -> None:
    assert session["locked_is_locked"]
    for case in ("locked_get", "locked_set"):
        assert session[case]["reason"] == "locked", session[case]
        assert session[case]["seconds"] < 2
        assert "the keyring is locked" in session[case]["message"]
    assert "long-term-secret" not in session["locked_get"]["message"]


def test_an_allowed_unlock_prompt_is_bounded(session: dict[str, Any]) -> None:
    assert session["locked_prompt"]["reason"] == "locked"
    assert "unlock prompt was dismissed" in session["locked_prompt"]["message"]
    assert session["locked_prompt"]["seconds"] < 4


def test_the_daemon_does_not_outlive_the_session(session: dict[str, Any]) -> None:
    assert gone(session["daemon_pid"])


def probe(env: dict[str, str], argv_prefix: list[str], index: Path) -> dict[str, Any]:
    start = time.monotonic()
    result = run([*argv_prefix, sys.executable, "-c", PROBE, str(index)], env)
    data = last_json(result)
    data["process_seconds"] = time.monotonic() - start
    return data


def test_no_session_bus_is_unavailable_fast(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path / 'no-bus-here'}"
    result = probe(env, [], tmp_path / "index.json")
    assert result["reason"] == "unavailable"
    assert result["message"].startswith("no desktop keyring is running (Secret Service)")
    assert "awsroles setup --store file" in result["message"]
    assert result["seconds"] < 2
    del env["DBUS_SESSION_BUS_ADDRESS"]  # headless: not even a variable
    result = probe(env, [], tmp_path / "index.json")
    assert result["reason"] == "unavailable" and "DBUS_SESSION_BUS_ADDRESS is not set" in result["message"]


def test_a_bus_without_a_secret_service_is_unavailable(tmp_path: Path) -> None:
    config = tmp_path / "bus.conf"
    config.write_text(BUS_WITHOUT_SERVICES.format(tmp=tmp_path))
    result = probe(clean_env(tmp_path), ["dbus-run-session", f"--config-file={config}", "--"],
                   tmp_path / "index.json")
    assert result["reason"] == "unavailable"
    assert "nothing provides org.freedesktop.secrets" in result["message"]
    assert result["seconds"] < 2


def test_a_secret_service_without_a_default_keyring_is_unavailable(tmp_path: Path) -> None:
    """gnome-keyring started by D-Bus activation, for a user who never made a keyring: creating
    one would need a prompt, so this is a clear error instead."""
    result = probe(clean_env(tmp_path), ["dbus-run-session", "--"], tmp_path / "index.json")
    assert result["reason"] == "unavailable"
    assert "no default keyring" in result["message"]
    assert result["seconds"] < 3
