"""A part-way apply says what was done, what failed, what was not attempted, and how to finish."""

from __future__ import annotations

import io

from awsroles.aws import Aws
from awsroles.cli.app import App
from awsroles.cli.planview import show_result
from awsroles.org.model import Org
from awsroles.sync.engine import Engine
from tests.aws.faults import Fault


def test_a_failed_apply_lists_done_failed_and_not_attempted_and_how_to_finish(ops_aws: Aws, classic: Org) -> None:
    fault = Fault("AccessDenied", "CreateGroup", message="no iam:CreateGroup for you")
    engine = Engine(classic, fault.aws(classic))
    result = engine.apply(engine.plan())
    assert not result.ok and fault.hits

    stdout = io.StringIO()
    show_result(App(stdout=stdout), result)
    lines = stdout.getvalue().splitlines()
    assert lines[0].startswith("Apply incomplete: ")
    sections = {title: lines.index(title) for title in ("Done:", "Failed:", "Not attempted:")}
    assert sections["Done:"] < sections["Failed:"] < sections["Not attempted:"]
    done = lines[sections["Done:"] + 1:sections["Failed:"]]
    failed = lines[sections["Failed:"] + 1:sections["Not attempted:"]]
    assert "  dev: create role developer" in done  # other accounts carried on
    assert failed and all(line.startswith("  ops: create group ") for line in failed)
    assert all(line.endswith("AccessDenied: no iam:CreateGroup for you") for line in failed)
    not_attempted = lines[sections["Not attempted:"] + 1:-1]
    assert "  ops: create user alice" in not_attempted  # later waves of the failed account
    assert "re-run `awsroles apply`" in lines[-1]

    # What it says is true: a re-run finishes the job.
    clean = Engine(classic, ops_aws)
    assert clean.apply(clean.plan()).ok
    assert Engine(classic, ops_aws).plan().empty


def test_a_complete_apply_says_so_in_one_line(ops_aws: Aws, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    result = engine.apply(engine.plan())
    assert result.summary() == [f"Apply complete: {result.count('done')} changes made."]


def test_one_change_is_one_change() -> None:
    from awsroles.sync.apply import changes_made

    assert [changes_made(n) for n in (0, 1, 2)] == ["0 changes made", "1 change made", "2 changes made"]
