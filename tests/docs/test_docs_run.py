"""Docs are tests: every shell block in README.md, docs/*.md and completions/README.md runs, in
order, or says why not.

Each page runs in a fresh HOME and a fresh, empty working folder (never the checkout, whose files
a page must not edit), as one terminal session
(:class:`tests.docs.runner.Terminal`). A page that does not start the sandbox itself gets one
first, as a newcomer would: ``awsroles init``, ``awsroles sandbox start``, ``eval "$(awsroles
sandbox env)"``. Whatever sandbox a page leaves running is stopped afterwards. The markers a page
may use are in :mod:`tests.docs.runner`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.docs.runner import Block, Terminal, shell_blocks, terminal_environ

pytestmark = pytest.mark.e2e
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "completions" / "README.md"]
NEWCOMER = 'awsroles init > /dev/null\nawsroles sandbox start > /dev/null\neval "$(awsroles sandbox env)"\n'


def test_every_shell_block_runs_or_says_why_not() -> None:
    """Parsing every page: unknown marks are refused, and a block not run here says why."""
    seen = 0
    for page in PAGES:
        for block in shell_blocks(page):
            seen += 1
            if block.not_runnable is not None:
                assert len(block.not_runnable.split()) >= 3, f"{block.where}: say why it cannot run here"
    assert seen >= 20


RUNNABLE = [page for page in PAGES if any(b.not_runnable is None for b in shell_blocks(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(REPO)) for p in RUNNABLE])
def test_the_page_runs_in_order_on_a_fresh_sandbox(page: Path, tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    environ = terminal_environ(home)
    terminal = Terminal(home, work, environ)
    blocks = [b for b in shell_blocks(page) if b.not_runnable is None]
    if not any("sandbox start" in b.code for b in blocks):
        blocks.insert(0, Block(page, 0, NEWCOMER))
    try:
        for block in blocks:
            ran = terminal.run(block)
            assert ran.returncode == block.returncode, ran.report()
            if block.expected_output is not None:
                shown = f"{block.where}: the page shows another output\n"
                assert ran.stdout == block.expected_output, shown + ran.report()
    finally:
        subprocess.run(["awsroles", "sandbox", "stop"], env=environ, cwd=work, capture_output=True, timeout=60)
