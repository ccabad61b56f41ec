"""`awsroles console` opening a browser of its own per role, as alice runs it against the sandbox.

Stand-in browsers: a folder on PATH holding ``firefox`` and ``google-chrome`` scripts that record
their command line and environment into a file and exit. The sign-in token comes from a fake
federation endpoint on 127.0.0.1 (``AWSROLES_FEDERATION_ENDPOINT``): the sandbox has none.
"""

from __future__ import annotations

import json
import stat
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from awsroles.sandbox.seed import enroll_person
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_credentials import Person

pytestmark = pytest.mark.e2e

TOKEN = "SIGNIN-e2e-Zq8r0lT0k3n-do-not-leak"  # what the fake federation endpoint hands out


class Federation:
    """A fake ``/federation`` endpoint: counts getSigninToken requests, answers TOKEN."""

    def __init__(self) -> None:
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                body = json.dumps({"SigninToken": TOKEN}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/federation"


class Browsers:
    """Stand-in browser executables on PATH; each run leaves ``seen/NAME.N.json``."""

    def __init__(self, root: Path) -> None:
        self.bin, self.seen = root / "bin", root / "seen"
        self.bin.mkdir(parents=True)
        self.seen.mkdir()
        for name in ("firefox", "google-chrome"):
            self.install(name)

    def install(self, name: str, interpreter: str = sys.executable) -> None:
        script = self.bin / name
        script.write_text(
            f"#!{interpreter}\n"
            "import json, os, sys, time\n"
            f"target = os.path.join({str(self.seen)!r}, f'{name}.{{time.time_ns()}}.json')\n"
            "with open(target + '.tmp', 'w') as out:\n"
            "    json.dump({'argv': sys.argv[1:], 'env': dict(os.environ)}, out)\n"
            "os.replace(target + '.tmp', target)\n")
        script.chmod(0o755)

    def wait(self, name: str, count: int = 1) -> list[dict[str, Any]]:
        """The runs of ``name`` so far, once there are ``count`` (the browser is not waited for)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            runs = sorted(self.seen.glob(f"{name}.*.json"))
            if len(runs) >= count:
                return [json.loads(run.read_text()) for run in runs]
            time.sleep(0.02)
        raise AssertionError(f"{name} was not started {count} time(s)")


@pytest.fixture(scope="module")
def alice(module_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> Person:
    person = Person(module_sandbox, enroll_person(module_sandbox.aws(), module_sandbox.org, "alice"),
                    tmp_path_factory.mktemp("alice"))
    done = person.setup(local=True)
    assert done.returncode == 0, done.stderr
    return person


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    fake = Federation()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
def browsers(tmp_path: Path) -> Browsers:
    return Browsers(tmp_path)


def env_for(alice: Person, federation: Federation, browsers: Browsers, **extra: str) -> dict[str, str]:
    """alice's environment with only the stand-in browsers on PATH (never a real one)."""
    return {**alice.env, "AWSROLES_FEDERATION_ENDPOINT": federation.url, "PATH": str(browsers.bin), **extra}


def signed_in(url: str, federation: Federation) -> bool:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return url.startswith(federation.url + "?Action=login&") and query["SigninToken"] == [TOKEN]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_firefox_opens_the_role_in_a_container_of_its_own(alice: Person, federation: Federation,
                                                          browsers: Browsers) -> None:
    alice.login()
    env = env_for(alice, federation, browsers)
    done = alice.run("console", "prod", "--role", "admin", "--browser", "firefox", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "opened the console for prod as admin in the Firefox container acme-prod-admin\n"
    (run,) = browsers.wait("firefox")
    new_tab, link = run["argv"]
    assert new_tab == "--new-tab"
    assert link.startswith("ext+container:name=acme-prod-admin&url=")
    url = urllib.parse.unquote(link.removeprefix("ext+container:name=acme-prod-admin&url="))
    assert signed_in(url, federation)
    assert link == "ext+container:name=acme-prod-admin&url=" + urllib.parse.quote(url, safe="")
    assert not [name for name in run["env"] if name.startswith(("AWS_", "AWSROLES_"))]
    # dev/admin: another container, so both stay signed in side by side
    alice.run("console", "dev", "--browser", "firefox", env=env)
    assert browsers.wait("firefox", 2)[1]["argv"][1].startswith("ext+container:name=acme-dev-admin&url=")
    shown = alice.run("console", "prod", "--role", "admin", "--browser", "firefox", "-o", "json", env=env)
    assert json.loads(shown.stdout) == {"environment": "prod", "role": "admin", "browser": "firefox",
                                        "executable": str(browsers.bin / "firefox"), "container": "acme-prod-admin",
                                        "profile_dir": None}


def test_chrome_from_setup_gets_a_private_profile_per_role(alice: Person, federation: Federation,
                                                           browsers: Browsers) -> None:
    chosen = alice.setup("--browser", "chrome")
    assert chosen.returncode == 0, chosen.stderr
    assert "  console browser: chrome" in chosen.stdout
    config = alice.home / "cfg" / "config.ini"
    assert "browser = chrome\n" in config.read_text()
    again = alice.setup(local=True)  # setup again without --browser: the choice is kept
    assert "  console browser: chrome" in again.stdout and "browser = chrome\n" in config.read_text()

    alice.login()
    env = env_for(alice, federation, browsers)
    for environment in ("prod", "dev"):
        done = alice.run("console", environment, env=env)
        assert done.returncode == 0, done.stderr
    prod, dev = browsers.wait("google-chrome", 2)
    root = alice.home / "cfg" / "data" / "browsers" / "chrome"
    assert prod["argv"][:3] == [f"--user-data-dir={root / 'acme-prod-admin'}", "--no-first-run",
                                "--no-default-browser-check"]
    assert dev["argv"][0] == f"--user-data-dir={root / 'acme-dev-admin'}"
    assert signed_in(prod["argv"][3], federation) and len(prod["argv"]) == 4
    for folder in (root / "acme-prod-admin", root / "acme-dev-admin", root, root.parent):
        assert folder.is_dir() and mode(folder) == 0o700, folder
    # --browser beats the setting
    alice.run("console", "prod", "--browser", "firefox", env=env)
    assert browsers.wait("firefox")[0]["argv"][1].startswith("ext+container:name=acme-prod-admin&url=")
    # back to the system's browser for the rest of this module
    assert alice.setup("--browser", "default", local=True).returncode == 0
    assert "browser = default\n" in config.read_text()


def test_print_writes_only_the_url_to_stdout_and_warns_on_stderr(alice: Person, federation: Federation,
                                                                browsers: Browsers) -> None:
    alice.login()
    env = env_for(alice, federation, browsers)
    for argv in (["--print"], ["--browser", "stdout"]):
        done = alice.run("console", "prod", "--role", "admin", *argv, env=env)
        assert done.returncode == 0, done.stderr
        url = done.stdout.removesuffix("\n")
        assert "\n" not in url and signed_in(url, federation)
        (warning,) = done.stderr.splitlines()
        assert warning.startswith("warning: this URL signs whoever opens it in to the console as admin in prod")
        assert "credential, valid for 15 minutes" in warning and TOKEN not in warning
    assert not list(browsers.seen.iterdir())  # nothing was opened
    before = federation.requests
    both = alice.local("console", "prod", "--role", "admin", "--print", "--browser", "firefox", env=env)
    assert (both.returncode, both.stdout) == (2, "")
    assert both.stderr == "awsroles: error: --print and --browser firefox disagree: give one of them\n"
    assert federation.requests == before


def test_a_missing_browser_is_refused_before_anything_is_asked(alice: Person, federation: Federation,
                                                               browsers: Browsers) -> None:
    if sys.platform == "darwin":
        pytest.skip("macOS also looks in /Applications, where Brave may be installed")
    assert alice.local("logout").returncode == 0  # no MFA session: had awsroles gone on, it would need a code
    before = federation.requests
    env = env_for(alice, federation, browsers)
    done = alice.run("console", "prod", "--role", "admin", "--browser", "brave", env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("awsroles: error: brave not found (looked for brave-browser, brave on PATH): install it, "
                           "or choose another with --browser (default, firefox, chrome, chromium, brave, edge, "
                           "stdout)\n")
    assert federation.requests == before


def test_the_sign_in_url_is_never_logged(alice: Person, federation: Federation, browsers: Browsers,
                                         tmp_path: Path) -> None:
    """With debug logging and an audit log, the token shows nowhere but on the browser's command
    line (and, with --print, stdout): not on stderr, not in the audit log, not in an error."""
    audit = tmp_path / "audit.jsonl"
    env = env_for(alice, federation, browsers, AWSROLES_AUDIT_LOG=str(audit))
    alice.login()
    opened = alice.run("-vv", "console", "prod", "--role", "admin", "--browser", "chrome", env=env)
    assert opened.returncode == 0, opened.stderr
    printed = alice.run("-vv", "console", "prod", "--role", "admin", "--print", env=env)
    assert TOKEN in printed.stdout
    browsers.install("google-chrome", interpreter="/nonexistent/interpreter")  # found, but cannot start
    failed = alice.run("-vv", "console", "prod", "--role", "admin", "--browser", "chrome", env=env)
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.splitlines()[-1] == (
        f"awsroles: error: cannot start chrome ({browsers.bin / 'google-chrome'}): No such file or directory")
    for done in (opened, printed, failed):
        assert TOKEN not in done.stderr and "SigninToken" not in done.stderr
    assert not audit.exists() or TOKEN not in audit.read_text()
    assert TOKEN in browsers.wait("google-chrome")[0]["argv"][-1]  # where it does travel
