"""Wiring: the person's secret store and credential vendor, built in one place.

``login``, ``exec``, ``env``, ``credential-process``, ``console``, ``serve``, ``status``,
``logout`` and ``whoami`` all get their :class:`~awsroles.creds.vend.Vendor` from
:func:`make_vendor`; what talks to the person (the prompts) is passed in by the caller, the rest
(paths, the fast cache, the lock directory, how STS is reached) is decided here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from awsroles import paths

if TYPE_CHECKING:
    from awsroles.aws import Aws
    from awsroles.creds.model import Credentials
    from awsroles.creds.portal import Portal
    from awsroles.creds.signin import DeviceCode, SignIn
    from awsroles.creds.store import SecretStore
    from awsroles.creds.userconfig import UserConfig
    from awsroles.creds.vend import Vendor

Prompter = Callable[[str], str]


def open_user_store(kind: str, *, prompter: Prompter | None = None,
                    environ: Mapping[str, str] | None = None) -> SecretStore:
    """The person's secret store of ``kind`` (``keyring``, ``file``, ``plaintext``), its files in
    :func:`awsroles.paths.secrets_dir`. ``prompter`` asks for the encrypted file's passphrase."""
    from awsroles.creds.store import open_store

    return open_store(kind, directory=Path(paths.secrets_dir(environ)), prompter=prompter, environ=environ)


def aws_for(region: str | None) -> Callable[[Credentials], Aws]:
    """How the vendor reaches STS: as the credentials it holds, in the person's region."""

    def build(credentials: Credentials) -> Aws:
        from awsroles.aws import for_credentials

        return for_credentials(credentials, region)

    return build


def show_device(device: DeviceCode, *, captured: bool = False, browser: str = "default",
                environ: Mapping[str, str] | None = None) -> None:
    """Tell the person where to approve a sign-in: on the controlling terminal when there is one
    (under ``credential_process`` the SDK captures stdout and stderr), else on stderr; and open
    the page in their browser when there is a display and their ``browser`` setting is not
    ``stdout``. ``captured``: stderr is nobody's screen (``credential-process``): with no terminal
    either, nobody can approve, so :class:`~awsroles.creds.signin.SignInError` says to sign in first."""
    import os
    import sys

    from awsroles.creds import terminal
    from awsroles.creds.signin import SignInError

    env = os.environ if environ is None else environ
    text = (f"Sign in to AWS IAM Identity Center: open {device.verification_uri_complete}\n"
            f"and check that the page shows the code {device.user_code}; waiting for your approval "
            f"({device.expires_in // 60} minutes)...\n")
    if terminal.available():
        terminal.say(text)
    elif captured:
        raise SignInError("you are not signed in to IAM Identity Center and there is no terminal to sign in on: "
                          "run `awsroles login ENV` in a terminal first")
    else:
        sys.stderr.write(text)
        sys.stderr.flush()
    display = sys.platform in ("darwin", "win32") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    url = device.verification_uri_complete
    web = url.startswith("https://") or url.startswith(("http://127.0.0.1:", "http://localhost:"))  # the sandbox
    if display and web and browser != "stdout" and not env.get("AWSROLES_NO_BROWSER"):
        import webbrowser

        with contextlib.suppress(Exception):
            webbrowser.open(device.verification_uri_complete)


def make_signin(config: UserConfig, store: SecretStore, *, captured: bool = False,
                environ: Mapping[str, str] | None = None) -> SignIn:
    """The person's Identity Center sign-in (see :mod:`awsroles.creds.signin`)."""
    from awsroles.creds.signin import SignIn
    from awsroles.creds.sso_token import SharedCache

    def oidc() -> object:
        from awsroles.aws import anonymous

        return anonymous(config.sso_region).client("sso-oidc")

    return SignIn(start_url=config.start_url, region=config.sso_region, session_name=config.sso_session,
                  store=store, lock_dir=Path(paths.lock_dir(environ)), oidc=oidc,
                  show=lambda device: show_device(device, captured=captured, browser=config.browser, environ=environ),
                  shared=SharedCache(Path(paths.aws_sso_cache_dir(environ))), share=config.share_sso_login)


def make_portal(region: str) -> Portal:
    from awsroles.creds.portal import Portal

    def sso() -> object:
        from awsroles.aws import anonymous

        return anonymous(region).client("sso")

    return Portal(sso)


def make_vendor(*, mfa_code: str | None = None, config: UserConfig | None = None,
                prompter: Prompter | None = None, secret_prompter: Prompter | None = None,
                environ: Mapping[str, str] | None = None, captured: bool = False) -> Vendor:
    """The vendor for the person who ran ``awsroles setup``.

    ``mfa_code``: a code given on the command line (else ``mfa_command``, the TOTP seed if opted
    in, then ``prompter``). ``secret_prompter`` asks for the encrypted file store's passphrase.
    ``captured``: this process's output is not a person's screen (``credential-process``).
    Raises :class:`~awsroles.creds.userconfig.NotSetUp` before any setup.
    """
    from awsroles.creds import userconfig
    from awsroles.creds.fastcache import FastCache
    from awsroles.creds.mfa import MfaSource
    from awsroles.creds.store import KEYS
    from awsroles.creds.vend import Vendor

    if config is None:
        if environ is None:
            from awsroles.creds.orgs import select

            select()  # which of the person's orgs (--org, $AWSROLES_ORG); see awsroles.creds.orgs
        config = userconfig.load(userconfig.config_path(environ))
    store = open_user_store(config.store, prompter=secret_prompter, environ=environ)
    fast = FastCache.default(environ, org=config.org_name)
    if config.identity_center:
        from awsroles.creds.sso_vend import IdentityCenterVendor

        return IdentityCenterVendor(config, store, mfa=MfaSource(code=None, prompter=prompter),
                                    lock_dir=Path(paths.lock_dir(environ)), fast=fast,
                                    signin=make_signin(config, store, captured=captured, environ=environ),
                                    portal=make_portal(config.sso_region))
    key_name = config.key_name
    totp = (lambda: store.get(KEYS, f"totp/{key_name}")) if config.totp_in_store else None
    mfa = MfaSource(code=mfa_code, command=config.mfa_command, totp_seed=totp, prompter=prompter)
    return Vendor(config, store, mfa=mfa, lock_dir=Path(paths.lock_dir(environ)),
                  fast=fast, aws_for=aws_for(config.region))
