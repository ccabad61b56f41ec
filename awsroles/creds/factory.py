"""Wiring: the person's secret store and credential vendor, built in one place.

``login``, ``exec``, ``env``, ``credential-process``, ``console``, ``serve``, ``status``,
``logout`` and ``whoami`` all get their :class:`~awsroles.creds.vend.Vendor` from
:func:`make_vendor`; what talks to the person (the prompts) is passed in by the caller, the rest
(paths, the fast cache, the lock directory, how STS is reached) is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from awsroles import paths

if TYPE_CHECKING:
    from awsroles.aws import Aws
    from awsroles.creds.model import Credentials
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


def make_vendor(*, mfa_code: str | None = None, config: UserConfig | None = None,
                prompter: Prompter | None = None, secret_prompter: Prompter | None = None,
                environ: Mapping[str, str] | None = None) -> Vendor:
    """The vendor for the person who ran ``awsroles setup``.

    ``mfa_code``: a code given on the command line (else ``mfa_command``, the TOTP seed if opted
    in, then ``prompter``). ``secret_prompter`` asks for the encrypted file store's passphrase.
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
    key_name = config.key_name
    totp = (lambda: store.get(KEYS, f"totp/{key_name}")) if config.totp_in_store else None
    mfa = MfaSource(code=mfa_code, command=config.mfa_command, totp_seed=totp, prompter=prompter)
    return Vendor(config, store, mfa=mfa, lock_dir=Path(paths.lock_dir(environ)),
                  fast=FastCache.default(environ, org=config.org_name), aws_for=aws_for(config.region))
