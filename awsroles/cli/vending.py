"""What the credential commands share: the person's vendor and secret store (with click's
prompts), the role options (ENV, --role, --duration, --mfa-code) and the variable ``exec`` sets.

Used by creds.py, sessions.py and profiles.py, which never import each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from awsroles.cli.complete import complete_my_environments, complete_my_roles

if TYPE_CHECKING:
    from awsroles.creds.store import SecretStore
    from awsroles.creds.vend import RoleSession, Vendor

SESSION_VARIABLE = "AWSROLES_SESSION"  # set inside `awsroles exec`: which session this shell has


def _prompt(message: str) -> str:
    """On the controlling terminal: under credential_process, stdout and stderr are not the screen."""
    from awsroles.creds import terminal

    return terminal.ask(message)


def _secret_prompt(message: str) -> str:
    from awsroles.creds import terminal

    return terminal.ask_secret(message)


def open_user_store(config_store: str) -> SecretStore:
    from awsroles.creds.factory import open_user_store as open_store

    return open_store(config_store, prompter=_secret_prompt)


def make_vendor(mfa_code: str | None = None, *, captured: bool = False) -> Vendor:
    """``captured``: stdout and stderr are an SDK's, not the person's screen (``credential-process``)."""
    from awsroles.creds.factory import make_vendor as vendor

    return vendor(mfa_code=mfa_code, prompter=_prompt, secret_prompter=_secret_prompt, captured=captured)


def when(session: RoleSession) -> str:
    expiry = session.credentials.expiration
    return expiry.strftime("%Y-%m-%d %H:%M UTC") if expiry else "never"


def role_options(command: Any) -> Any:
    from awsroles.cli.app import org_option

    command = org_option(command)
    command = click.option("--mfa-code", metavar="CODE",
                           help="A 6-digit MFA code (else: mfa_command, prompt).")(command)
    command = click.option("--duration", metavar="SECONDS", type=click.IntRange(900, 43200),
                           help="Role session length (default: the org's session_duration, at most the "
                                "role's maximum).")(command)
    command = click.option("--role", "-r", metavar="ROLE", shell_complete=complete_my_roles,
                           help="The role (optional when you have one there).")(command)
    return click.argument("environment", shell_complete=complete_my_environments)(command)
