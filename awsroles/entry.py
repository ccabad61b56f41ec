"""The ``awsroles`` console script: the credential hot path first, then the CLI.

A cached ``credential-process`` runs on every AWS CLI call, so it is answered here without click
or boto3 (:mod:`awsroles.creds.hotpath`). Everything else, tab completion included, goes to the
click group, which imports only the command modules the words on the line need
(:class:`awsroles.cli.app.LazyGroup`): a completion request never imports boto3.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["credential-process"]:
        from awsroles.creds.hotpath import run

        code = run(argv)
        if code is not None:
            sys.exit(code)
    from awsroles.cli import main as cli_main

    cli_main()
