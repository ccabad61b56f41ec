"""Run a Markdown page's shell blocks in order, as a newcomer would type them.

Blocks are read with pytest-codeblocks' parser (``pytest_codeblocks.main.extract_from_file``), so
the page uses its markers, as HTML comments that do not show when the page is rendered:

- ``<!--pytest.mark.skip(reason="...")-->`` above a block: not runnable here (real AWS, a browser,
  a benchmark); the reason is required and shows in the page's source next to the block;
- ``<!--pytest.mark.returncode(N)-->`` above a block: its last command exits N (a documented
  failure, e.g. ``validate`` on a broken file); every other block must exit 0;
- ``<!--pytest-codeblocks:expected-output-->`` below a block, then a fenced block: the output the
  page shows, compared exactly;
- ``<!--pytest-codeblocks:cont-->``: the block continues the one before.

Each block runs in ``bash -e -o pipefail`` with the variables exported and the directory left by
the blocks before it (what a person's terminal keeps between commands), so ``eval "$(awsroles
sandbox env)"`` in one block holds for the next.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pytest_codeblocks.main import CodeBlock, extract_from_file

from tests import forkserver

SHELLS = ("sh", "bash", "shell")
_SKIP = re.compile(r"""pytest\.mark\.skip\(reason=(["'])(?P<reason>.+)\1\)""")
_RETURNCODE = re.compile(r"pytest\.mark\.returncode\((?P<code>\d+)\)")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    code: str
    not_runnable: str | None = None  # the reason, when marked
    returncode: int = 0
    expected_output: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"


def _block(page: Path, raw: CodeBlock) -> Block:
    reason, returncode = None, 0
    for mark in raw.marks:
        if (skip := _SKIP.fullmatch(mark)) is not None:
            reason = skip["reason"]
        elif (code := _RETURNCODE.fullmatch(mark)) is not None:
            returncode = int(code["code"])
        else:
            raise ValueError(f"{page.name}:{raw.lineno}: unknown mark {mark!r} (skip(reason=...) or returncode(N))")
    return Block(page, raw.lineno, raw.code, reason, returncode, raw.expected_output)


def shell_blocks(page: Path) -> list[Block]:
    """Every shell block of ``page``, in order."""
    return [_block(page, raw) for raw in extract_from_file(page) if (raw.syntax or "").strip() in SHELLS]


@dataclass
class Ran:
    block: Block
    returncode: int
    stdout: str
    stderr: str

    def report(self) -> str:
        return (f"{self.block.where} exited {self.returncode} (expected {self.block.returncode}):\n"
                f"$ {self.block.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}")


class Terminal:
    """One person's terminal: a HOME, a working directory, and what the blocks exported."""

    def __init__(self, home: Path, cwd: Path, environ: dict[str, str]):
        self.home, self.state = home, home.parent / "terminal"
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "cwd").write_text(str(cwd))
        (self.state / "env").write_text("")
        self.environ = environ

    def run(self, block: Block, timeout: float = 300) -> Ran:
        state = self.state
        script = (f"source {shlex.quote(str(state / 'env'))}\n"
                  f"cd \"$(cat {shlex.quote(str(state / 'cwd'))})\"\n"
                  f"{block.code}\n"
                  f"export -p > {shlex.quote(str(state / 'env'))}\n"
                  f"pwd > {shlex.quote(str(state / 'cwd'))}\n")
        if block.returncode:  # a documented failure: the block's status is its last command's
            script = (f"source {shlex.quote(str(state / 'env'))}\n"
                      f"cd \"$(cat {shlex.quote(str(state / 'cwd'))})\"\n"
                      f"set +e\n{block.code}\n")
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], env=self.environ,
                              capture_output=True, text=True, timeout=timeout)
        return Ran(block, done.returncode, done.stdout, done.stderr)


def terminal_environ(home: Path) -> dict[str, str]:
    """A newcomer's environment: this HOME, the venv's awsroles first on PATH, nothing of AWS or
    awsroles set (no account reachable: AWS calls go to the sandbox once `sandbox env` is read)."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR", "SHELL", "USER", "LOGNAME", forkserver.VARIABLE)
    environ = {k: v for k, v in os.environ.items() if k in keep}
    environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), environ.get("PATH", "/usr/bin:/bin")])
    if forkserver.VARIABLE in environ:  # the test's fork server (tests/forkserver.py): its awsroles first
        environ["PATH"] = os.pathsep.join([os.path.dirname(forkserver.command()[0]), environ["PATH"]])
    environ["HOME"] = str(home)
    # a desktop session's runtime dir (the fast cache's key), this page's own
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    environ["XDG_RUNTIME_DIR"] = str(runtime)
    environ["AWS_EC2_METADATA_DISABLED"] = "true"
    environ["AWS_CONFIG_FILE"] = str(home / ".aws" / "config")
    environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / ".aws" / "credentials")
    return environ
