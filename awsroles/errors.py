"""Error types and the exit codes they map to: the one place that decides exit codes.

:func:`from_aws` is the one classifier of errors from AWS and the network under it (botocore's
exceptions, duck-typed so this module never imports botocore: the credential hot path and shell
completion stay free of it). Every code is documented in docs/exit-codes.md.
"""

from __future__ import annotations

import enum
import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in docs/exit-codes.md."""

    OK = 0
    FAILURE = 1  # something went wrong talking to AWS or the filesystem
    USAGE = 2  # bad command line or bad org file
    CHANGES_PENDING = 3  # `plan --detailed-exitcode`: the plan is not empty
    MFA = 4  # no MFA code, or a wrong, reused or expired one; an Identity Center sign-in denied or expired
    NOT_GRANTED = 5  # the person may not assume that role
    STORE = 6  # the keyring or secret store is absent, locked or cannot be read
    NETWORK = 7  # AWS cannot be reached
    THROTTLED = 8  # AWS kept throttling (or failing) a call after its last retry
    NOT_EXECUTABLE = 126  # `exec`: the command exists but cannot be run (as shells say)
    COMMAND_NOT_FOUND = 127  # `exec`: no such command (as shells say)
    INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about an input file, reported as ``FILE:LINE: message``."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "severity": self.severity, "message": self.message}


class AwsrolesError(Exception):
    """Base class: every error awsroles raises on purpose. Carries its exit code."""

    exit_code: ExitCode = ExitCode.FAILURE


class UsageError(AwsrolesError):
    """The command line asks for something impossible (bad option, missing file...)."""

    exit_code = ExitCode.USAGE


class OrgFileError(AwsrolesError):
    """The org file is not valid; ``problems`` holds every finding, errors and warnings."""

    exit_code = ExitCode.USAGE

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(sorted(problems))
        errors = [p for p in self.problems if p.is_error]
        first = str(errors[0]) if errors else "invalid org file"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


class MfaError(AwsrolesError):
    """No MFA code could be had, or AWS refused the one given."""

    exit_code = ExitCode.MFA


class NotGrantedError(AwsrolesError):
    """The person is not granted the role they asked for."""

    exit_code = ExitCode.NOT_GRANTED


class NetworkError(AwsrolesError):
    """AWS cannot be reached."""

    exit_code = ExitCode.NETWORK


class FileWriteError(AwsrolesError, OSError):
    """A file or directory could not be written: one line, ``cannot write PATH: REASON``.

    Also an OSError (``errno``, ``strerror`` and ``filename`` are kept), so code that already
    handles OSError keeps working. ``hint``, after a semicolon, says what was done or how to get
    around it.
    """

    exit_code = ExitCode.FAILURE

    def __init__(self, path: str | os.PathLike[str], reason: str, code: int = 0, hint: str = ""):
        OSError.__init__(self, code, reason, os.fspath(path))
        self.path, self.reason, self.hint = os.fspath(path), reason, hint

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}" + (f"; {self.hint}" if self.hint else "")

    def __reduce__(self) -> tuple[type[FileWriteError], tuple[str, str, int, str]]:
        return type(self), (self.path, self.reason, self.errno or 0, self.hint)

    @classmethod
    def from_os_error(cls, path: str | os.PathLike[str], exc: OSError, hint: str = "") -> FileWriteError:
        """``exc`` while writing ``path`` (a FileWriteError is returned as it is)."""
        if isinstance(exc, FileWriteError):
            return exc
        return cls(path, describe_os_error(exc), exc.errno or 0, hint)


def describe_os_error(exc: OSError) -> str:
    """Why an OS call failed, for a human: ``Permission denied``, ``Read-only file system``...

    "Not a directory" also names the culprit: the first part of the path that is a file.
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOTDIR and exc.filename:
        path = os.fsdecode(exc.filename)
        parts = path.split(os.sep)
        for end in range(1, len(parts) + 1):
            prefix = os.sep.join(parts[:end]) or os.sep
            if os.path.lexists(prefix) and not os.path.isdir(prefix):
                if prefix != path:
                    reason += f" ({prefix} is a file)"
                break
    return reason


def aws_error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError (``AccessDenied``...), else "".

    Duck-typed on ``exc.response`` so callers need not import botocore.
    """
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def aws_error_message(exc: BaseException) -> str:
    """The AWS error message of a botocore ClientError, else ""."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Message", "")) if isinstance(response, dict) else ""


class PartlyDone(AwsrolesError):
    """A command of several steps stopped part-way. Says what was done, what failed (with the AWS
    error code), what was not done, and how to finish (a re-run converges). Keeps the exit code of
    its cause when that is an AwsrolesError (e.g. THROTTLED)."""

    def __init__(self, what: str, failed: str, *, done: Iterable[str] = (), not_done: Iterable[str] = (),
                 finish: str, cause: BaseException | None = None):
        self.what, self.failed, self.finish = what, failed, finish
        self.done, self.not_done = tuple(done), tuple(not_done)
        self.exit_code = from_aws(cause).exit_code if cause is not None else ExitCode.FAILURE
        super().__init__(what, failed)

    def __str__(self) -> str:
        lines = [f"{self.what} stopped part-way: {self.failed}",
                 "  done: " + ("; ".join(self.done) if self.done else "nothing")]
        if self.not_done:
            lines.append("  not done: " + "; ".join(self.not_done))
        lines.append(f"  to finish: {self.finish}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {"what": self.what, "failed": self.failed, "done": list(self.done), "not_done": list(self.not_done),
                "finish": self.finish}


class GaveUpError(AwsrolesError):
    """AWS kept throttling (or failing with a 5xx) a call after its last retry (awsroles.aws.AwsGaveUp)."""

    exit_code = ExitCode.THROTTLED


# -- errors from AWS: the one classifier ---------------------------------------------------------

NO_CREDENTIALS_HINT = "set AWS_PROFILE or use --profile, or run `awsroles sandbox start`"


def _botocore_bases(exc: BaseException) -> set[str]:
    """The names of ``exc``'s classes that botocore defines (``EndpointConnectionError``...)."""
    return {cls.__name__ for cls in type(exc).__mro__ if cls.__module__ == "botocore.exceptions"}


def is_network_error(exc: BaseException) -> bool:
    """AWS could not be reached, or the connection broke: botocore's ``ConnectionError`` family
    (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError, SSLError...) and its
    ``HTTPClientError`` family (ReadTimeoutError, ConnectionClosedError...)."""
    return bool(_botocore_bases(exc) & {"ConnectionError", "HTTPClientError"})


def describe_aws_error(exc: BaseException) -> str:
    """One line that keeps the AWS error code: ``AccessDenied: User ... is not authorized ...``;
    for an error without one (botocore's own, the network), its class: ``EndpointConnectionError:
    Could not connect to the endpoint URL: ...``."""
    code = aws_error_code(exc)
    message = aws_error_message(exc) if code else str(exc)
    text = f"{code}: {message}" if code else f"{type(exc).__name__}: {message}"
    return " ".join(text.split())


def from_aws(exc: BaseException, context: str = "") -> AwsrolesError:
    """The :class:`AwsrolesError` for an error from botocore (or the network under it), with its
    exit code; its ``__cause__`` is ``exc``. ``context`` (``"GetCallerIdentity"``, ``"cannot read
    IAM in prod"``) goes before the message, followed by a colon.

    - an AwsrolesError (e.g. ``aws.AwsGaveUp``: still throttled after the last retry, exit 8) is
      returned as it is: it already says what went wrong;
    - no credentials, or half of them: a hint saying where credentials come from (exit 1);
    - AWS cannot be reached (see :func:`is_network_error`): :class:`NetworkError` (exit 7);
    - anything else: ``CODE: message`` (:func:`describe_aws_error`), exit 1.
    """
    if isinstance(exc, AwsrolesError):
        return exc
    names = _botocore_bases(exc)
    error: AwsrolesError
    if "NoCredentialsError" in names:
        error = AwsrolesError(f"no AWS credentials found ({NO_CREDENTIALS_HINT})")
    elif "PartialCredentialsError" in names:
        error = AwsrolesError(f"incomplete AWS credentials: {exc} ({NO_CREDENTIALS_HINT})")
    elif is_network_error(exc):
        error = NetworkError(f"cannot reach AWS: {describe_aws_error(exc)}")
    else:
        error = AwsrolesError(describe_aws_error(exc))
    if context:
        error = type(error)(f"{context}: {error}")
    error.__cause__ = exc
    return error
