"""The ``awsroles`` console script: the hot path first, then the full CLI."""

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
