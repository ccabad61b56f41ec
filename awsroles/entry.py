"""The ``awsroles`` console script: the hot paths first, then the CLI.

Two requests must start fast, and are answered here without click or boto3: a cached
``credential-process``, which runs on every AWS CLI call (:mod:`awsroles.creds.hotpath`), and tab
completion, which the shell runs on every <TAB> (:mod:`awsroles.cli.fastcomplete`). Either one
falls through to the click group when it cannot answer alone; the group imports only the command
modules the words on the line need (:class:`awsroles.cli.app.LazyGroup`).

Python's cyclic garbage collector is off for a command's first seconds (:func:`collect_later`).
"""

from __future__ import annotations

import gc
import os
import sys

GC_AFTER = 10.0  # seconds: a command that runs longer gets the cyclic collector back


def collect_later(after: float | None = None) -> None:
    """Turn the cyclic garbage collector off now and back on ``after`` (default: ``GC_AFTER``)
    seconds from now.

    A command's objects are freed by reference counting; the cyclic collector, which runs every
    700 new objects, costs a short command about a fifth of its CPU (importing botocore and
    awsroles, loading AWS's service models: measured on `plan`, 1.15 s of CPU with it, 0.87 s
    without) and frees almost nothing before the process ends (peak memory is the same, ~57 MB).
    A command that runs longer than ``after`` (`serve`, `exec`'s wait, a large apply or import) has
    it back from then on, from a daemon timer that never keeps the process alive."""
    import threading  # here, not at the top: the two hot paths in main() never need it

    gc.disable()
    timer = threading.Timer(GC_AFTER if after is None else after, gc.enable)
    timer.name, timer.daemon = "awsroles-gc-later", True
    timer.start()


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
    collect_later()
    from awsroles.cli.runner import main as cli_main

    cli_main()
