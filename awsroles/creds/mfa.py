"""Where an MFA code comes from, in order: --mfa-code, the mfa_command, a TOTP seed in the store
(opt-in), a prompt on the controlling terminal (``/dev/tty``: seen even when the AWS CLI or an
SDK captures the output of ``credential-process``). Codes are never logged."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from awsroles.creds import terminal
from awsroles.errors import MfaError

_CODE = re.compile(r"\d{6}")
Prompter = Callable[[str], str]


def _valid(code: str, source: str) -> str:
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise MfaError(f"the MFA code from {source} is not 6 digits")
    return code


@dataclass
class MfaSource:
    """Produces one MFA code for ``serial``, from the first source that has one."""

    code: str | None = None
    command: str = ""
    totp_seed: Callable[[], str | None] | None = None  # reads the seed from the store, only if opted in
    prompter: Prompter | None = None
    interactive: Callable[[], bool] = terminal.available
    command_timeout: float = 60.0  # seconds for the mfa_command (a person answering a dialog)

    def __call__(self, serial: str) -> str:
        if self.code:
            code, self.code = self.code, None  # a code is good for one request only
            return _valid(code, "--mfa-code")
        if self.command:
            try:
                result = subprocess.run(shlex.split(self.command), capture_output=True, text=True,
                                        timeout=self.command_timeout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise MfaError(f"mfa_command failed: {type(exc).__name__}") from None
            if result.returncode != 0:
                raise MfaError(f"mfa_command exited {result.returncode}")
            return _valid(result.stdout, "mfa_command")
        if self.totp_seed is not None:
            seed = self.totp_seed()
            if seed:
                import pyotp

                return str(pyotp.TOTP(seed).now())
        if self.prompter is not None and self.interactive():
            try:
                typed = self.prompter(f"MFA code for {serial}")
            except (EOFError, OSError):  # Ctrl-D, or the terminal went away
                raise MfaError("no MFA code was typed") from None
            return _valid(typed, "the prompt")
        raise MfaError("an MFA code is needed and there is no terminal to ask on: log in first in a terminal "
                       "(`awsroles login ENV`), pass --mfa-code, or set an mfa_command (a program that prints "
                       "a code: ykman, zenity --entry, ...) with `awsroles setup`")
