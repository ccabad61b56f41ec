"""Where `awsroles console` opens: the browser choice, the exact command lines, the profile folders.

No browser is started: :func:`awsroles.creds.browser.open_url` takes the runner that would start
one, and :func:`~awsroles.creds.browser.find` the lookup on PATH.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import time
import traceback
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import pytest

from awsroles.creds import browser as browsers
from awsroles.creds import userconfig
from awsroles.creds.browser import Browser, BrowserError, BrowserNotFound, Opened
from awsroles.creds.userconfig import UserConfig
from awsroles.errors import ExitCode, UsageError

# What a sign-in URL looks like: its own & and = must stay inside the container link's url value.
URL = ("https://signin.aws.amazon.com/federation?Action=login&Issuer=awsroles&Destination="
       "https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=SECRET-token_+/=abc")
TOKEN = "SECRET-token_+/=abc"


class Recorder:
    """A runner that records the command lines it was asked to start."""

    def __init__(self, error: OSError | None = None) -> None:
        self.started: list[list[str]] = []
        self.error = error

    def __call__(self, argv: Sequence[str]) -> None:
        self.started.append(list(argv))
        if self.error is not None:
            raise self.error


def only(names: dict[str, str]) -> browsers.Which:
    """A `which` that knows only ``names`` (name -> path)."""
    return names.get


@pytest.fixture
def data_env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data")}


# -- the choice ---------------------------------------------------------------------------------


def test_the_choice_is_print_then_the_option_then_the_setting_then_default() -> None:
    assert browsers.choose(None) == "default"
    assert browsers.choose(None, configured="") == "default"  # `browser =` left empty
    assert browsers.choose(None, configured="firefox") == "firefox"
    assert browsers.choose("chrome", configured="firefox") == "chrome"
    assert browsers.choose(None, print_only=True, configured="firefox") == "stdout"
    assert browsers.choose("stdout", print_only=True) == "stdout"
    assert browsers.KINDS == ("default", "firefox", "chrome", "chromium", "brave", "edge", "stdout")


def test_print_with_another_browser_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--print and --browser firefox disagree") as caught:
        browsers.choose("firefox", print_only=True)
    assert caught.value.exit_code == ExitCode.USAGE


def test_an_unknown_browser_in_the_config_names_the_file_and_the_fix() -> None:
    with pytest.raises(UsageError) as caught:
        browsers.choose(None, configured="netscape", configured_in="/home/a/.config/awsroles/config.ini")
    message = str(caught.value)
    assert message.startswith("/home/a/.config/awsroles/config.ini: unknown browser 'netscape'")
    assert "awsroles setup --browser" in message and "firefox" in message
    with pytest.raises(UsageError, match="--browser: unknown browser 'lynx'"):
        browsers.choose("lynx")


def test_the_user_config_keeps_the_browser_and_old_configs_still_load(tmp_path: Path) -> None:
    config = UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/alice",
                        ops_account_id="111111111111", org_name="acme", browser="firefox")
    path = userconfig.save(config, tmp_path / "config.ini")
    assert "browser = firefox\n" in path.read_text()
    assert userconfig.load(path).browser == "firefox"
    old = tmp_path / "old.ini"  # written before the setting existed
    old.write_text("[user]\nname = alice\narn = x\nops_account_id = 111111111111\n")
    assert userconfig.load(old).browser == "default"
    by_hand = tmp_path / "by-hand.ini"  # docs/credentials.md: setting the line yourself does the same
    by_hand.write_text(old.read_text() + "browser = brave\n")
    assert userconfig.load(by_hand).browser == "brave"


# -- finding the browser --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "names"), [
    ("firefox", ["firefox", "firefox-esr"]),
    ("chrome", ["google-chrome", "google-chrome-stable", "chrome"]),
    ("chromium", ["chromium", "chromium-browser"]),
    ("brave", ["brave-browser", "brave"]),
    ("edge", ["microsoft-edge", "microsoft-edge-stable"]),
])
def test_each_browser_is_looked_for_on_path_under_its_usual_names(kind: str, names: list[str]) -> None:
    for name in names:
        assert browsers.find(kind, which=only({name: f"/usr/bin/{name}"}), folders=()) == Browser(
            kind, f"/usr/bin/{name}")
    first, second = names[0], names[-1]
    both = only({first: f"/a/{first}", second: f"/b/{second}"})
    assert browsers.find(kind, which=both, folders=()).executable == f"/a/{first}"  # the first name wins


@pytest.mark.parametrize(("kind", "bundle"), [
    ("firefox", "Firefox.app/Contents/MacOS/firefox"),
    ("chrome", "Google Chrome.app/Contents/MacOS/Google Chrome"),
    ("chromium", "Chromium.app/Contents/MacOS/Chromium"),
    ("brave", "Brave Browser.app/Contents/MacOS/Brave Browser"),
    ("edge", "Microsoft Edge.app/Contents/MacOS/Microsoft Edge"),
])
def test_on_macos_the_application_folders_are_searched_after_path(tmp_path: Path, kind: str, bundle: str) -> None:
    apps = tmp_path / "Applications"
    executable = apps / bundle
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n")
    with pytest.raises(BrowserNotFound):  # there, but not executable: not taken
        browsers.find(kind, which=only({}), folders=[str(tmp_path / "nothing"), str(apps)])
    executable.chmod(0o755)
    assert browsers.find(kind, which=only({}), folders=[str(tmp_path / "nothing"), str(apps)]) == Browser(
        kind, str(executable))


def test_the_macos_folders_are_only_searched_on_macos() -> None:
    assert browsers.app_dirs("linux") == ()
    assert browsers.app_dirs("darwin", {"HOME": "/Users/alice"}) == ("/Applications", "/Users/alice/Applications")


def test_a_missing_browser_is_one_line_and_a_usage_error() -> None:
    with pytest.raises(BrowserNotFound) as caught:
        browsers.find("chrome", which=only({}), folders=())
    assert caught.value.exit_code == ExitCode.USAGE == 2
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("chrome not found (looked for google-chrome, google-chrome-stable, chrome on PATH)")
    assert "--browser" in message
    with pytest.raises(BrowserNotFound, match=r"on PATH, /Applications/Firefox\.app\)"):
        browsers.find("firefox", which=only({}), folders=["/Applications"])


def test_default_and_stdout_need_no_executable() -> None:
    assert browsers.find("default", which=only({})) == Browser("default")
    assert browsers.find("stdout", which=only({})) == Browser("stdout")


# -- names ----------------------------------------------------------------------------------------


def test_the_container_or_profile_is_named_org_env_role() -> None:
    assert browsers.profile_name("acme", "prod", "admin") == "acme-prod-admin"
    assert browsers.profile_name("", "dev", "read.only@x") == "awsroles-dev-read.only@x"
    for bad in (("acme", "prod", "a/../../b"), ("acme", "prod", "a b"), ("..", "", "")):
        with pytest.raises(UsageError, match="cannot name a browser container or profile"):
            browsers.profile_name(*bad)


def test_the_container_link_keeps_the_whole_url_in_its_url_value() -> None:
    link = browsers.container_link("acme-prod-admin+1", URL)
    assert link == "ext+container:name=acme-prod-admin%2B1&url=" + urllib.parse.quote(URL, safe="")
    # What the add-on does: one decodeURIComponent of what Firefox hands it, then URLSearchParams.
    params = urllib.parse.parse_qs(link.removeprefix("ext+container:"), strict_parsing=True)
    assert params == {"name": ["acme-prod-admin+1"], "url": [URL]}


# -- the command lines ----------------------------------------------------------------------------


def test_firefox_opens_a_new_tab_in_the_roles_container(data_env: dict[str, str]) -> None:
    runner = Recorder()
    opened = browsers.open_url(Browser("firefox", "/usr/bin/firefox"), URL, name="acme-prod-admin", runner=runner,
                               environ=data_env)
    assert runner.started == [["/usr/bin/firefox", "--new-tab", browsers.container_link("acme-prod-admin", URL)]]
    assert opened == Opened("firefox", "/usr/bin/firefox", container="acme-prod-admin")
    assert not Path(data_env["XDG_DATA_HOME"]).exists()  # Firefox keeps its containers itself


@pytest.mark.parametrize("kind", ["chrome", "chromium", "brave", "edge"])
def test_the_chromium_family_gets_a_private_profile_folder_per_role(data_env: dict[str, str], kind: str) -> None:
    runner = Recorder()
    prod = browsers.open_url(Browser(kind, f"/opt/{kind}"), URL, name="acme-prod-admin", runner=runner,
                             environ=data_env)
    dev = browsers.open_url(Browser(kind, f"/opt/{kind}"), URL, name="acme-dev-admin", runner=runner,
                            environ=data_env)
    root = Path(data_env["XDG_DATA_HOME"]) / "awsroles" / "browsers" / kind
    assert runner.started == [
        [f"/opt/{kind}", f"--user-data-dir={root / 'acme-prod-admin'}", "--no-first-run",
         "--no-default-browser-check", URL],
        [f"/opt/{kind}", f"--user-data-dir={root / 'acme-dev-admin'}", "--no-first-run",
         "--no-default-browser-check", URL],
    ]
    assert prod == Opened(kind, f"/opt/{kind}", profile_dir=str(root / "acme-prod-admin"))
    assert dev.profile_dir == str(root / "acme-dev-admin")
    for folder in (root / "acme-prod-admin", root / "acme-dev-admin", root, root.parent, root.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_a_profile_folder_left_open_is_made_private_again(data_env: dict[str, str]) -> None:
    folder = browsers.profile_dir("chrome", "acme-prod-admin", data_env)
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    browsers.open_url(Browser("chrome", "/opt/chrome"), URL, name="acme-prod-admin", runner=Recorder(),
                      environ=data_env)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_the_profile_folders_follow_awsroles_config_dir(tmp_path: Path) -> None:
    assert browsers.profile_dir("brave", "acme-dev-admin", {"AWSROLES_CONFIG_DIR": str(tmp_path)}) == (
        tmp_path / "data" / "browsers" / "brave" / "acme-dev-admin")


def test_the_default_browser_is_pythons_webbrowser(data_env: dict[str, str]) -> None:
    opened_urls: list[str] = []
    runner = Recorder()
    opened = browsers.open_url(Browser("default"), URL, name="acme-prod-admin", runner=runner,
                               open_default=lambda url: opened_urls.append(url) or True, environ=data_env)
    assert opened_urls == [URL] and runner.started == [] and opened == Opened("default", None)
    with pytest.raises(UsageError, match="no browser could be opened here: use --print") as caught:
        browsers.open_url(Browser("default"), URL, name="x", open_default=lambda url: False, environ=data_env)
    assert TOKEN not in str(caught.value)


def test_stdout_opens_nothing() -> None:
    with pytest.raises(ValueError, match="print the URL"):
        browsers.open_url(Browser("stdout"), URL, name="x", runner=Recorder())


# -- the URL is a credential -------------------------------------------------------------------------


def full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(vars(error))


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied", "/opt/chrome"),
                                   OSError(8, "Exec format error", "/opt/chrome", None, URL)])
def test_a_browser_that_cannot_start_is_an_error_without_the_url(data_env: dict[str, str], error: OSError) -> None:
    with pytest.raises(BrowserError) as caught:
        browsers.open_url(Browser("chrome", "/opt/chrome"), URL, name="acme-prod-admin", runner=Recorder(error),
                          environ=data_env)
    assert str(caught.value) == f"cannot start chrome (/opt/chrome): {error.strerror}"
    assert caught.value.exit_code == ExitCode.FAILURE
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert TOKEN not in full_text(caught.value) and "SigninToken" not in full_text(caught.value)


def test_nothing_is_logged(data_env: dict[str, str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    browsers.open_url(Browser("firefox", "/usr/bin/firefox"), URL, name="acme-prod-admin", runner=Recorder(),
                      environ=data_env)
    browsers.open_url(Browser("edge", "/opt/edge"), URL, name="acme-prod-admin", runner=Recorder(),
                      environ=data_env)
    with pytest.raises(BrowserError):
        browsers.open_url(Browser("edge", "/opt/edge"), URL, name="acme-prod-admin",
                          runner=Recorder(PermissionError(13, "Permission denied")), environ=data_env)
    assert caplog.records == []


def test_the_results_hold_no_url(data_env: dict[str, str]) -> None:
    opened = browsers.open_url(Browser("brave", "/opt/brave"), URL, name="acme-prod-admin", runner=Recorder(),
                               environ=data_env)
    assert TOKEN not in repr(opened) and TOKEN not in str(opened.as_dict())


def test_the_browser_starts_detached_without_aws_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real runner, on a stand-in browser: a session of its own, no AWS_*/AWSROLES_* variables."""
    seen = tmp_path / "seen.json"
    fake = tmp_path / "fake-browser"
    fake.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                    f"json.dump({{'pid': os.getpid(), 'sid': os.getsid(0), 'env': dict(os.environ), "
                    f"'argv': sys.argv[1:]}}, open({str(seen) + '.tmp'!r}, 'w'))\n"
                    f"os.replace({str(seen) + '.tmp'!r}, {str(seen)!r})\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AWSROLES_SESSION", "prod/admin")
    monkeypatch.setenv("KEEP_ME", "yes")
    assert os.environ["AWS_ACCESS_KEY_ID"]  # the test's own AWS_* variables are set
    browsers.start_detached([str(fake), "--flag", URL])
    deadline = time.monotonic() + 20
    while not seen.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    got = json.loads(seen.read_text())
    assert got["pid"] == got["sid"]  # the leader of a new session: Ctrl-C in awsroles' terminal does not reach it
    assert not [name for name in got["env"] if name.startswith(("AWS_", "AWSROLES_"))]
    assert got["env"]["KEEP_ME"] == "yes"
    assert got["argv"] == ["--flag", URL]
