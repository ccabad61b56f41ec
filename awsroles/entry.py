"""The ``awsroles`` console script: the hot paths first, then the CLI.

Two requests must start fast, and are answered here without click or boto3: a cached
``credential-process``, which runs on every AWS CLI call (:mod:`awsroles.creds.hotpath`), and tab
completion, which the shell runs on every <TAB> (:mod:`awsroles.cli.fastcomplete`). Either one
falls through to the click group when it cannot answer alone; the group imports only the command
modules the words on the line need (:class:`awsroles.cli.app.LazyGroup`).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["credential-process"]:
        from awsroles.creds.hotpath import run

        code = run(argv)
        if code is not None:
            sys.exit(code)
    from awsroles.cli import fastcomplete

    if fastcomplete.COMPLETE_VAR in os.environ:
        reply = fastcomplete.answer(os.environ)
        if reply is not None:
            sys.stdout.buffer.write(reply)
            sys.stdout.flush()
            sys.exit(0)
    from awsroles.cli.runner import main as cli_main

    cli_main()
