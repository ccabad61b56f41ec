"""The command-line interface: a thin layer that parses, calls the library and renders.

:func:`run` is the single place where exceptions become exit codes (see ExitCode).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

import click

from awsroles.cli.app import App, cli  # the group imports each command's module when it is used
from awsroles.errors import AwsrolesError, ExitCode, OrgFileError

log = logging.getLogger("awsroles")


def run(argv: Sequence[str] | None = None, app: App | None = None) -> int:
    """Run the CLI and return the exit code; never raises (except SystemExit from click)."""
    app = app or App()
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="awsroles",
                          standalone_mode=False, obj=app)
    except OrgFileError as exc:
        for problem in exc.problems:
            if problem.is_error:
                click.echo(str(problem), file=app.stderr)
        return exc.exit_code
    except AwsrolesError as exc:
        click.echo(f"awsroles: error: {exc}", file=app.stderr)
        return int(getattr(exc, "exit_code", ExitCode.FAILURE))
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("awsroles: aborted", file=app.stderr)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show(file=app.stderr)
        return ExitCode.USAGE if exc.exit_code == 2 else ExitCode.FAILURE
    except KeyboardInterrupt:
        click.echo("awsroles: interrupted", file=app.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except OSError as exc:  # a file awsroles could not read or write: the path and the reason, one line
        from awsroles.errors import describe_os_error

        where = f"{os.fsdecode(exc.filename)}: " if exc.filename else ""
        click.echo(f"awsroles: error: {where}{describe_os_error(exc)}", file=app.stderr)
        if app.verbose:
            log.exception("file error")
        return ExitCode.FAILURE
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3")):  # without importing boto3 on every run
            click.echo(f"awsroles: error: {_aws_error(exc)}", file=app.stderr)
            if app.verbose:
                log.exception("AWS error")
            return ExitCode.FAILURE  # a bug: one line, and the traceback only when asked for
        if app.verbose:
            log.exception("internal error")
        click.echo(f"awsroles: internal error: {type(exc).__name__}: {exc} (run with -v for details)", file=app.stderr)
        return ExitCode.FAILURE
    return int(result) if isinstance(result, int) else ExitCode.OK


def _aws_error(exc: Exception) -> str:
    """One line that keeps the AWS error code; hints for the usual first-run mistakes."""
    from awsroles.sync.apply import describe_error

    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return "no AWS credentials found (set AWS_PROFILE or use --profile, or run `awsroles sandbox start`)"
    if name in ("EndpointConnectionError", "ConnectTimeoutError"):
        return f"cannot reach AWS: {exc}"
    return describe_error(exc)


def main() -> None:
    """Console-script entry point."""
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `awsroles access | head -1`: quiet, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
