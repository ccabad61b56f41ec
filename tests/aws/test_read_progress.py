"""Plan's read, heard account by account (issue 20: with hundreds of accounts the read is what
takes time): the engine reports each account read, in order of completion, and the command shows
``reading accounts N/TOTAL`` on a terminal only, wiped when done."""

from __future__ import annotations

import io

from awsroles.aws import Aws
from awsroles.cli.app import App
from awsroles.cli.planview import ReadProgress
from awsroles.org.model import Org
from awsroles.sync.engine import Engine
from awsroles.sync.planner import accounts_to_read


def test_the_engine_hears_every_account_read_once_counted_to_the_total(classic: Org, ops_aws: Aws) -> None:
    heard: list[tuple[int, int]] = []
    Engine(classic, ops_aws, on_read=lambda done, total: heard.append((done, total))).read()
    assert len(accounts_to_read(classic)) == 4  # ops and the three environments of the classic org
    assert heard == [(1, 4), (2, 4), (3, 4), (4, 4)]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_count_is_rewritten_in_place_then_wiped() -> None:
    terminal = Terminal()
    progress = ReadProgress(App(stderr=terminal))
    for done in (1, 2, 3):
        progress(done, 3)
    assert terminal.getvalue() == "\rreading accounts 1/3\rreading accounts 2/3\r\x1b[K"


def test_in_a_pipe_or_a_log_nothing_is_written() -> None:
    pipe = io.StringIO()
    progress = ReadProgress(App(stderr=pipe))
    for done in (1, 2, 3):
        progress(done, 3)
    assert pipe.getvalue() == ""
