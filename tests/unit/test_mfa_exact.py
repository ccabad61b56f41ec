"""Where an MFA code comes from, exactly (issue 21: the mutation score of awsroles/creds/mfa.py): the
order of the sources, and each refusal's one line as the person reads it (docs/credentials.md,
"MFA codes, in this order")."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from awsroles.creds.mfa import MfaSource
from awsroles.errors import ExitCode, MfaError

NO_CODE = ("an MFA code is needed and there is no terminal to ask on: log in first in a terminal "
           "(`awsroles login ENV`), pass --mfa-code, or set an mfa_command (a program that prints a code: ykman, "
           "zenity --entry, ...) with `awsroles setup`")


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "mfa.sh"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o700)
    return str(path)


def refusal(source: MfaSource) -> str:
    with pytest.raises(MfaError) as raised:
        source("arn:aws:iam::111111111111:mfa/alice")
    assert raised.value.exit_code == ExitCode.MFA
    return str(raised.value)


def never(_message: str) -> str:
    raise AssertionError("asked although an earlier source had a code")


def test_the_first_source_with_a_code_wins(tmp_path: Path) -> None:
    seed = pyotp.random_base32()
    assert MfaSource(code=" 123456\n", command=script(tmp_path, "echo 654321"), totp_seed=lambda: seed,
                     prompter=never, interactive=lambda: True)("s") == "123456"
    assert MfaSource(command=script(tmp_path, "echo 654321"), totp_seed=lambda: seed, prompter=never,
                     interactive=lambda: True)("s") == "654321"
    assert MfaSource(totp_seed=lambda: seed, prompter=never, interactive=lambda: True)("s") == pyotp.TOTP(seed).now()


@pytest.mark.parametrize("seed", [None, ""])
def test_no_seed_in_the_store_asks_at_the_terminal(seed: str | None) -> None:
    asked: list[str] = []
    source = MfaSource(totp_seed=lambda: seed, prompter=lambda m: asked.append(m) or " 111222 ",
                       interactive=lambda: True)
    assert source("arn:aws:iam::111111111111:mfa/alice") == "111222"
    assert asked == ["MFA code for arn:aws:iam::111111111111:mfa/alice"]


def test_each_source_names_itself_when_its_code_is_not_6_digits(tmp_path: Path) -> None:
    assert refusal(MfaSource(code="12345")) == "the MFA code from --mfa-code is not 6 digits"
    assert refusal(MfaSource(code="1234567")) == "the MFA code from --mfa-code is not 6 digits"
    assert refusal(MfaSource(command=script(tmp_path, "echo 12ab56"))) == \
        "the MFA code from mfa_command is not 6 digits"
    assert refusal(MfaSource(prompter=lambda m: "abcdef", interactive=lambda: True)) == \
        "the MFA code from the prompt is not 6 digits"


def test_an_mfa_command_that_fails_is_named_by_its_exit_status_only(tmp_path: Path) -> None:
    assert refusal(MfaSource(command=script(tmp_path, "echo 123456; echo secret >&2; exit 3"))) == \
        "mfa_command exited 3"
    assert refusal(MfaSource(command=str(tmp_path / "absent"))) == "mfa_command failed: FileNotFoundError"


def test_an_mfa_command_has_a_minute_by_default() -> None:
    assert MfaSource().command_timeout == 60.0  # docs/credentials.md: "a timeout (60 s)"


@pytest.mark.parametrize("error", [EOFError, OSError])
def test_a_prompt_that_ends_without_a_code(error: type[Exception]) -> None:
    def gone(_message: str) -> str:
        raise error()

    assert refusal(MfaSource(prompter=gone, interactive=lambda: True)) == "no MFA code was typed"


def test_nowhere_to_ask_says_how_to_log_in() -> None:
    assert refusal(MfaSource()) == NO_CODE
    assert refusal(MfaSource(prompter=never, interactive=lambda: False)) == NO_CODE
    assert refusal(MfaSource(totp_seed=lambda: None)) == NO_CODE


def test_the_prompt_is_asked_only_with_a_controlling_terminal() -> None:
    from awsroles.creds import terminal

    assert MfaSource().interactive is terminal.available
