"""User names: what IAM and STS accept, and `users create` refusing the rest before any AWS call."""

from __future__ import annotations

import contextlib
import io

import pytest

from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.org.names import check_iam_user_name, check_user_name
from tests.conftest import EXAMPLES

CLASSIC = str(EXAMPLES / "classic.ini")


@pytest.mark.parametrize("name", ["ab", "alice", "a.b-c_d+e=f,g@h", "x" * 64, "Bob2"])
def test_names_aws_accepts(name: str) -> None:
    assert check_user_name(name) is None
    assert check_iam_user_name(name) is None


@pytest.mark.parametrize(("name", "problem"), [
    ("", "a user name cannot be empty"),
    ("x" * 65, "is 65 characters long: IAM allows at most 64"),
    ("a b", "user name 'a b' has characters IAM does not allow (' ')"),
    ("a/b", "('/')"),
    ("al\nice", "('\\n')"),
    ("zoë", "('ë')"),  # IAM's \w is ASCII
    ("x", "user name 'x' is too short: at least 2 characters"),
])
def test_names_aws_refuses(name: str, problem: str) -> None:
    found = check_user_name(name)
    assert found is not None and problem in found
    assert (check_iam_user_name(name) is None) == (name == "x")  # IAM itself takes one letter


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ["", "x", "bad name"])
def test_users_create_refuses_a_bad_name_in_one_line_before_any_aws_call(name: str) -> None:
    # The autouse fixture points every AWS endpoint at a closed port: any call would end in
    # "cannot reach AWS" (exit 7) after retries, not in a usage error.
    code, out, err = invoke("users", "create", name, "--team", "backend", "--yes", "-f", CLASSIC)
    assert code == ExitCode.USAGE, err
    assert len(err.splitlines()) == 1 and err.startswith("awsroles: error: ") and "nothing changed" in err
    assert "ParamValidationError" not in err and out == ""


@pytest.mark.parametrize("command", [("users", "show"), ("users", "disable"), ("users", "offboard")])
def test_other_user_commands_refuse_what_iam_cannot_name(command: tuple[str, ...]) -> None:
    code, _, err = invoke(*command, "", "-f", CLASSIC)
    assert code == ExitCode.USAGE and "a user name cannot be empty" in err
