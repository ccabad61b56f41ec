"""Tab completion as the shell runs it: a fresh interpreter per <TAB>, as bash calls the console
script. Each dynamic completion offers the right words and is answered before click is imported
(the fast path, awsroles/cli/fastcomplete.py), importing neither boto3 nor the org-file editor;
a request the fast path leaves to click loads only the command modules its words name. In-process completion (click's
ShellComplete, the names readers, the checked-in scripts) is in ``tests/unit/test_completion.py``;
real shells in ``tests/e2e/test_completion_shells.py``."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from awsroles.creds.userconfig import UserConfig, save
from tests.unit.test_completion import ALICE, CLASSIC, complete

pytestmark = pytest.mark.e2e


@pytest.fixture
def alice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserConfig:
    """A user config with grants in prod and stage only, in a private AWSROLES_CONFIG_DIR."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "config"))
    save(ALICE)
    return ALICE


# -- whole processes, the way the shell calls them -----------------------------------------------

HEAVY = ("boto3", "botocore", "filelock", "configupdater", "asyncio", "rich", "click",
         "dataclasses", "inspect", "typing")  # the last three: tens of milliseconds a <TAB>
PROBE = ("import atexit, sys\n"
         "atexit.register(lambda: sys.stderr.write('\\nMODULES:' + ' '.join(sys.modules)))\n"
         "sys.argv = ['awsroles']\n"
         "from awsroles.entry import main\n"
         "main()\n")

# Every dynamic completion: the line before <TAB> -> the offers (user config: ALICE; org file: classic).
DYNAMIC = [
    ("awsroles login ", ["prod", "stage"]),
    ("awsroles login prod --role ", ["admin", "readonly"]),
    ("awsroles exec ", ["prod", "stage"]),
    ("awsroles exec stage --role ", ["developer"]),
    ("awsroles env ", ["prod", "stage"]),
    ("awsroles env prod -r ", ["admin", "readonly"]),
    ("awsroles grant ", ["backend", "platform"]),
    ("awsroles grant backend ", ["dev", "prod", "stage"]),
    ("awsroles grant backend stage ", ["admin", "developer", "readonly"]),
    ("awsroles revoke ", ["backend", "platform"]),
    ("awsroles revoke backend ", ["dev", "prod", "stage"]),
    ("awsroles revoke backend dev ", ["developer", "readonly"]),
    ("awsroles users show ", ["alice", "bob"]),
    ("awsroles users disable ", ["alice", "bob"]),
    ("awsroles users offboard ", ["alice", "bob"]),
    ("awsroles users keys rotate ", ["alice", "bob"]),
    ("awsroles users mfa enroll ", ["alice", "bob"]),
    ("awsroles team add ", ["backend", "platform"]),
    ("awsroles team add backend ", ["alice", "bob"]),
    ("awsroles team remove ", ["backend", "platform"]),
]


def run_completion(line: str, env: dict[str, str]) -> tuple[list[str], set[str]]:
    """Complete ``line`` as bash does, in a fresh interpreter: the offers and every module loaded."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    env = {**env, "_AWSROLES_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    offers = [row.partition(",")[2] for row in out.stdout.split()]
    return offers, set(out.stderr.rpartition("MODULES:")[2].split())


@pytest.fixture
def completion_env(alice: UserConfig, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("AWSROLES_FILE", str(CLASSIC))
    return dict(os.environ)


@pytest.mark.parametrize(("line", "offers"), DYNAMIC)
def test_a_completion_process_imports_neither_click_boto3_nor_the_org_file_editor(
        completion_env: dict[str, str], line: str, offers: list[str]) -> None:
    got, modules = run_completion(line, completion_env)
    assert got == offers
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert not heavy, f"{line!r} imported {heavy}"
    # names come from the plain parser: neither the validator nor the editor is imported
    assert not modules & {"awsroles.org.parse", "awsroles.org.edit", "awsroles.people.audit", "awsroles.cli.plan"}


@pytest.mark.parametrize(("line", "offer", "needed", "not_needed"), [
    ("awsroles login prod --r", "--role", "awsroles.cli.creds", "awsroles.cli.grants"),
    ("awsroles grant backend --f", "--file", "awsroles.cli.grants", "awsroles.cli.creds"),
    ("awsroles console prod --r", "--role", "awsroles.cli.profiles", "awsroles.cli.sessions"),
    ("awsroles users show --o", "--output", "awsroles.cli.users_lifecycle", "awsroles.cli.users_credentials"),
    ("awsroles users keys rotate --d", "--delete-old",
     "awsroles.cli.users_credentials", "awsroles.cli.users_lifecycle"),
])
def test_a_completion_left_to_click_imports_only_the_command_modules_its_words_name(
        completion_env: dict[str, str], line: str, offer: str, needed: str, not_needed: str) -> None:
    """Option names are click's to complete: the lazy group loads the one module that defines the command."""
    offers, modules = run_completion(line, completion_env)
    assert offer in offers and "click" in modules
    loaded = {m for m in modules if m.startswith("awsroles.cli.")}
    assert needed in loaded and not_needed not in loaded
    assert not loaded & {"awsroles.cli.costs", "awsroles.cli.sandbox", "awsroles.cli.demo"}


def test_an_unknown_word_does_not_fail(completion_env: dict[str, str]) -> None:
    """The fast path leaves an unknown command to click, which answers (exit status 0: check=True)
    as it does at the start of the line: the commands, and nothing else printed."""
    offers, modules = run_completion("awsroles nope ", completion_env)
    assert "click" in modules  # click's answer, not the fast path's
    assert offers == complete("awsroles ") and "validate" in offers and "nope" not in offers
    assert run_completion("awsroles nope --f", completion_env)[0] == ["--file"]
