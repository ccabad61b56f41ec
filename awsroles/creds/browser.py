"""Opening the console's sign-in URL: a browser container or profile of its own per role.

``awsroles console`` hands the federated sign-in URL (:mod:`awsroles.creds.console`) to one of:

- ``default``: the system's browser, through Python's :mod:`webbrowser` (``$BROWSER``, else the
  desktop's handler). One cookie jar: a second role signs the first one out.
- ``firefox``: ``firefox --new-tab 'ext+container:name=ORG-ENV-ROLE&url=URL'``, for the Firefox
  add-on "Open external links in a container"
  (https://addons.mozilla.org/firefox/addon/open-url-in-container/), which opens the URL in the
  container of that name, creating it the first time. Like granted's Firefox containers: one
  container per environment and role, so each keeps its own console session, side by side.
- ``chrome``, ``chromium``, ``brave``, ``edge``: the browser with ``--user-data-dir`` of its own
  per environment and role (``DATA/browsers/KIND/ORG-ENV-ROLE``, created 0700 under the private
  data folder of :mod:`awsroles.paths`): a separate browser instance with its own cookies.
- ``stdout``: nothing is opened; the caller prints the URL.

**The URL is a credential** (valid for 15 minutes). Nothing here logs it, and no error message
or exception carries it: errors name the browser and the executable only, and are raised outside
``except`` blocks so no exception holding the command line is chained to them. It does travel on
the browser's command line (every peer does the same), where other users of the machine may read it
in the process list for as long as that browser process runs. The browser is started in a session
of its own, its output discarded, and without the ``AWS_*``/``AWSROLES_*`` variables of the shell
that ran awsroles.

Everything with a side effect is passed in: how executables are found (``which``, ``folders``),
how a program is started (``runner``) and how the system browser is opened (``open_default``),
so tests check the exact command line without starting a browser.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from awsroles import paths
from awsroles.errors import AwsrolesError, UsageError

DEFAULT = "default"
STDOUT = "stdout"
FIREFOX = "firefox"
CHROMIUM_FAMILY = ("chrome", "chromium", "brave", "edge")
KINDS = (DEFAULT, FIREFOX, *CHROMIUM_FAMILY, STDOUT)

# Looked up on PATH, in this order.
EXECUTABLES: dict[str, tuple[str, ...]] = {
    "firefox": ("firefox", "firefox-esr"),
    "chrome": ("google-chrome", "google-chrome-stable", "chrome"),
    "chromium": ("chromium", "chromium-browser"),
    "brave": ("brave-browser", "brave"),
    "edge": ("microsoft-edge", "microsoft-edge-stable"),
}
# Then, on macOS, inside the usual application folders (/Applications, ~/Applications).
MACOS_APPS: dict[str, str] = {
    "firefox": "Firefox.app/Contents/MacOS/firefox",
    "chrome": "Google Chrome.app/Contents/MacOS/Google Chrome",
    "chromium": "Chromium.app/Contents/MacOS/Chromium",
    "brave": "Brave Browser.app/Contents/MacOS/Brave Browser",
    "edge": "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
}
CONTAINER_SCHEME = "ext+container:"
CONTAINER_ADDON = "https://addons.mozilla.org/firefox/addon/open-url-in-container/"
BROWSERS_DIR = "browsers"  # under the data dir: one folder per browser kind, one per role in it
_NAME = re.compile(r"[A-Za-z0-9][\w+=,.@-]{0,199}", re.ASCII)
_SCRUBBED = ("AWS_", "AWSROLES_")  # never handed to the browser

Runner = Callable[[Sequence[str]], None]
Which = Callable[[str], "str | None"]  # shutil.which


class BrowserNotFound(UsageError):
    """The chosen browser is not installed where awsroles looks (exit 2: choose another)."""


class BrowserError(AwsrolesError):
    """The browser was found but could not be started. Never carries the URL."""


@dataclass(frozen=True)
class Browser:
    """A browser choice, with the executable it runs (None for ``default`` and ``stdout``)."""

    kind: str
    executable: str | None = None


@dataclass(frozen=True)
class Opened:
    """Where the console was opened (nothing secret: no URL)."""

    kind: str
    executable: str | None
    container: str | None = None  # firefox: the container's name
    profile_dir: str | None = None  # the chromium family: the browser's --user-data-dir

    def as_dict(self) -> dict[str, str | None]:
        return {"browser": self.kind, "executable": self.executable, "container": self.container,
                "profile_dir": self.profile_dir}


def check_kind(kind: str, where: str = "--browser") -> str:
    """``kind`` if awsroles knows it, else a UsageError naming ``where`` it came from."""
    if kind not in KINDS:
        raise UsageError(f"{where}: unknown browser {kind!r} (one of: {', '.join(KINDS)})")
    return kind


def choose(option: str | None, *, print_only: bool = False, configured: str = DEFAULT,
           configured_in: str = "your awsroles config") -> str:
    """The browser kind for one ``console`` run: ``--print`` (which is ``stdout``), else
    ``--browser``, else the ``browser`` setting of the user config (``configured``, read from
    ``configured_in``), else ``default``. ``--print`` with another ``--browser`` is a UsageError."""
    if print_only:
        if option not in (None, STDOUT):
            raise UsageError(f"--print and --browser {option} disagree: give one of them")
        return STDOUT
    if option is not None:
        return check_kind(option)
    configured = configured or DEFAULT
    if configured not in KINDS:
        raise UsageError(f"{configured_in}: unknown browser {configured!r} in the browser setting (one of: "
                         f"{', '.join(KINDS)}); choose with `awsroles setup --browser NAME`")
    return configured


def app_dirs(platform: str = sys.platform, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Where applications are installed, outside PATH: /Applications and ~/Applications on macOS."""
    if platform != "darwin":
        return ()
    home = (environ if environ is not None else os.environ).get("HOME") or os.path.expanduser("~")
    return ("/Applications", os.path.join(home, "Applications"))


def find(kind: str, *, which: Which = shutil.which, folders: Iterable[str] | None = None) -> Browser:
    """The browser ``kind``, with its executable: the first of :data:`EXECUTABLES` on PATH (by
    ``which``), else the application bundle in ``folders`` (default: :func:`app_dirs`, the usual
    macOS folders on macOS, none elsewhere). :class:`BrowserNotFound` when it is nowhere."""
    check_kind(kind)
    if kind in (DEFAULT, STDOUT):
        return Browser(kind)
    for name in EXECUTABLES[kind]:
        found = which(name)
        if found:
            return Browser(kind, found)
    where = app_dirs() if folders is None else tuple(folders)
    for folder in where:
        candidate = os.path.join(folder, MACOS_APPS[kind])
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Browser(kind, candidate)
    looked = ", ".join(EXECUTABLES[kind])
    if where:
        looked += " on PATH, " + ", ".join(os.path.join(f, MACOS_APPS[kind].split("/")[0]) for f in where)
    else:
        looked += " on PATH"
    raise BrowserNotFound(f"{kind} not found (looked for {looked}): install it, or choose another "
                          f"with --browser ({', '.join(KINDS)})")


def profile_name(org: str, environment: str, role: str) -> str:
    """``ORG-ENV-ROLE``: the Firefox container's or the browser profile folder's name (the same
    names as ``profiles sync``'s default template)."""
    name = f"{org or 'awsroles'}-{environment}-{role}"
    if not _NAME.fullmatch(name):
        raise UsageError(f"{name!r} cannot name a browser container or profile: use letters, digits and "
                         "+ = , . @ _ - only")
    return name


def container_link(name: str, url: str) -> str:
    """``ext+container:name=NAME&url=URL`` for the "Open external links in a container" add-on:
    both values percent-encoded, so the sign-in URL's own ``&`` and ``=`` stay inside ``url``."""
    return (f"{CONTAINER_SCHEME}name={urllib.parse.quote(name, safe='')}"
            f"&url={urllib.parse.quote(url, safe='')}")


def profile_dir(kind: str, name: str, environ: Mapping[str, str] | None = None) -> Path:
    """Where the chromium-family browser ``kind`` keeps the profile ``name`` (not created here)."""
    return Path(paths.data_dir(environ), BROWSERS_DIR, kind, name)


def command(browser: Browser, url: str, *, name: str, user_data_dir: Path | None = None) -> list[str]:
    """The command line that opens ``url`` in ``browser``'s container or profile ``name``."""
    if browser.executable is None:
        raise ValueError(f"{browser.kind} is not started as a program")
    if browser.kind == FIREFOX:
        return [browser.executable, "--new-tab", container_link(name, url)]
    if browser.kind in CHROMIUM_FAMILY:
        if user_data_dir is None:
            raise ValueError(f"{browser.kind} needs a user data dir")
        return [browser.executable, f"--user-data-dir={user_data_dir}", "--no-first-run",
                "--no-default-browser-check", url]
    raise ValueError(f"no command line for {browser.kind}")


def start_detached(argv: Sequence[str]) -> None:
    """Start ``argv`` and leave it running: its own session (Ctrl-C here does not close the
    browser), no terminal input or output, none of the AWS_*/AWSROLES_* variables."""
    import subprocess

    environ = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, env=environ, start_new_session=True, close_fds=True)


def _open_default(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)


def open_url(browser: Browser, url: str, *, name: str, runner: Runner = start_detached,
             open_default: Callable[[str], bool] = _open_default,
             environ: Mapping[str, str] | None = None) -> Opened:
    """Open the sign-in ``url`` in ``browser``, in the container or profile ``name``.

    The chromium family's profile folder is created first (0700, parents too). Raises
    :class:`BrowserError` when the program cannot be started and UsageError when no system
    browser can be opened; neither names the URL.
    """
    from awsroles.fsutil import private_dir

    if browser.kind == STDOUT:
        raise ValueError("stdout opens nothing: print the URL")
    if browser.kind == DEFAULT:
        if not open_default(url):
            raise UsageError("no browser could be opened here: use --print, or --browser with one you have")
        return Opened(DEFAULT, None)
    user_data_dir = None
    if browser.kind in CHROMIUM_FAMILY:
        user_data_dir = private_dir(profile_dir(browser.kind, name, environ))
    argv = command(browser, url, name=name, user_data_dir=user_data_dir)
    failure: str | None = None
    try:
        runner(argv)
    except OSError as exc:  # the exception may hold the command line: only its reason is kept
        failure = f"cannot start {browser.kind} ({browser.executable}): {exc.strerror or type(exc).__name__}"
    if failure is not None:
        raise BrowserError(failure)
    if browser.kind == FIREFOX:
        return Opened(FIREFOX, browser.executable, container=name)
    return Opened(browser.kind, browser.executable, profile_dir=str(user_data_dir))
