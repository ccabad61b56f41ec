"""Running the CLI: :func:`run` is the single place where exceptions become exit codes (see ExitCode)."""

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
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (KeyboardInterrupt) into Abort too: say which it was (docs/exit-codes.md)
        interrupted = isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt)
        click.echo("awsroles: interrupted" if interrupted else "awsroles: aborted", file=app.stderr)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show(file=app.stderr)
        return ExitCode.USAGE if exc.exit_code == 2 else ExitCode.FAILURE
    except KeyboardInterrupt:
        click.echo("awsroles: interrupted", file=app.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:
        if _from_botocore(exc):  # before OSError: some of botocore's network errors are OSErrors too
            return _aws_error(app, exc)
        if isinstance(exc, OSError):
            return _os_error(app, exc)
        if app.verbose:
            log.exception("internal error")
        click.echo(f"awsroles: internal error: {type(exc).__name__}: {exc} (run with -v for details)", file=app.stderr)
        return ExitCode.FAILURE
    return int(result) if isinstance(result, int) else ExitCode.OK


def _from_botocore(exc: Exception) -> bool:
    """Raised by botocore or boto3 (told without importing them on every run)."""
    return any(cls.__module__.startswith(("botocore", "boto3")) for cls in type(exc).__mro__)


def _aws_error(app: App, exc: Exception) -> int:
    """An AWS error that reached the top: one line that keeps the AWS error code, and the exit
    code errors.from_aws gives it (7 when AWS cannot be reached)."""
    from awsroles.errors import from_aws

    error = from_aws(exc)
    click.echo(f"awsroles: error: {error}", file=app.stderr)
    if app.verbose:
        log.error("AWS error", exc_info=exc)
    return int(error.exit_code)


def _os_error(app: App, exc: OSError) -> int:
    """A file awsroles could not read or write: the path and the reason, one line."""
    from awsroles.errors import describe_os_error

    where = f"{os.fsdecode(exc.filename)}: " if exc.filename else ""
    click.echo(f"awsroles: error: {where}{describe_os_error(exc)}", file=app.stderr)
    if app.verbose:
        log.error("file error", exc_info=exc)
    return ExitCode.FAILURE


def main() -> None:
    """Console-script entry point."""
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `awsroles access | head -1`: quiet, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
