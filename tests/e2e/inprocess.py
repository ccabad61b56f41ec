"""``awsroles`` run in the test's own process, with exactly the environment a subprocess would get.

Test speed only: an ``awsroles`` process costs about 0.4 s of CPU (Python, botocore, awsroles),
most of it imports that the test worker has already done. End-to-end tests use :func:`invoke`
for their *setup* (a login before the step under test, a logout to start clean, a profiles sync)
and for refusals whose promise is the message and the exit code, not the process; every
behaviour that needs the real process (the exit status as a shell sees it, the credential chain
over HTTP, the hot path in :mod:`awsroles.entry`, a terminal, signals) stays a subprocess.

It goes through the same :func:`awsroles.cli.runner.run` as the console script (after the two
hot paths of :func:`awsroles.entry.main`, which a subprocess test keeps), against the same
sandbox server over HTTP, with the same environment, working folder and standard input.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from awsroles.cli.app import App
from awsroles.cli.runner import run


def invoke(argv: Sequence[str], env: Mapping[str, str], *, stdin: str | None = None,
           cwd: Path | str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``awsroles ARGV`` here as ``subprocess.run([awsroles, *argv], env=env, input=stdin,
    cwd=cwd, capture_output=True, text=True)`` would; the same result type."""
    out, err = io.StringIO(), io.StringIO()
    env = dict(env)  # a copy: ``env`` may be os.environ itself
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            mp.delenv(name)
        for name, value in env.items():
            mp.setenv(name, value)
        if cwd is not None:
            mp.chdir(cwd)
        mp.setattr(sys, "stdin", io.StringIO(stdin or ""))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # click's own --help, usage
            code = run(list(argv), App(stdout=out, stderr=err))
    return subprocess.CompletedProcess(["awsroles", *argv], code, out.getvalue(), err.getvalue())
