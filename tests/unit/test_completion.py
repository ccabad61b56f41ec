"""Shell completion: the checked-in scripts, the dynamic callbacks, and the fast path's command table."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import click
import pytest
from click.shell_completion import ShellComplete

from awsroles.cli import cli
from awsroles.cli.app import App
from awsroles.cli.completion import SHELLS, completion_script
from awsroles.creds.userconfig import RoleGrant, UserConfig, save
from awsroles.entry import COMMAND_MODULES, modules_for
from tests.conftest import EXAMPLES, REPO
from tests.unit.test_cli import invoke

SCRIPTS = {"bash": "awsroles.bash", "zsh": "_awsroles", "fish": "awsroles.fish"}


def _grant(environment: str, role: str) -> RoleGrant:
    return RoleGrant(environment, role, "111111111111", f"arn:aws:iam::111111111111:role/{role}", 3600)


@pytest.fixture
def alice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserConfig:
    """A user config with grants in prod and stage only, in a private AWSROLES_CONFIG_DIR."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "config"))
    config = UserConfig("alice", "arn:aws:iam::100000000000:user/alice", "100000000000",
                        grants=(_grant("prod", "admin"), _grant("prod", "readonly"), _grant("stage", "developer")))
    save(config)
    return config


def complete(line: str) -> list[str]:
    """What click offers for ``line`` (the last word, possibly empty, is the one being completed)."""
    words = line.split(" ")
    comp = ShellComplete(cli, {"obj": App()}, "awsroles", "_AWSROLES_COMPLETE")
    return [item.value for item in comp.get_completions(words[1:-1], words[-1])]


@pytest.mark.parametrize("shell", SHELLS)
def test_checked_in_scripts_are_the_generated_ones(shell: str) -> None:
    path = REPO / "completions" / SCRIPTS[shell]
    code, out, _ = invoke("completion", shell)
    assert code == 0
    assert out == completion_script(shell)
    assert path.read_text() == out, (
        f"{path} is out of date: run `awsroles completion {shell} > completions/{SCRIPTS[shell]}`")
    assert "_AWSROLES_COMPLETE" in out


def test_completion_rejects_an_unknown_shell() -> None:
    code, _, err = invoke("completion", "tcsh")
    assert code == 2 and "tcsh" in err


def test_command_names() -> None:
    assert complete("awsroles lo") == ["login", "logout"]


def test_environments_are_the_persons_own(alice: UserConfig) -> None:
    assert complete("awsroles login ") == ["prod", "stage"]
    assert complete("awsroles exec st") == ["stage"]


@pytest.mark.parametrize(("line", "roles"), [
    ("awsroles login prod --role ", ["admin", "readonly"]),
    ("awsroles login prod -r r", ["readonly"]),
    ("awsroles login stage --role ", ["developer"]),
    ("awsroles env --duration 900 prod --role ", ["admin", "readonly"]),
    ("awsroles login --role ", []),  # no environment yet: no guess
    ("awsroles login dev --role ", []),  # no grant there
])
def test_roles_are_only_those_the_person_may_assume_there(alice: UserConfig, line: str, roles: list[str]) -> None:
    assert complete(line) == roles


def test_nothing_before_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path))
    assert complete("awsroles login ") == []
    assert complete("awsroles login prod --role ") == []


def test_team_user_environment_and_role_names_from_the_org_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.org.parse import load_org

    org = load_org(EXAMPLES / "classic.ini")
    teams = sorted(t.name for t in org.teams)
    users = sorted(u.name for u in org.users)
    path = str(EXAMPLES / "classic.ini")
    assert complete(f"awsroles -f {path} grant ") == teams
    assert complete(f"awsroles grant -f {path} ") == teams  # --file after the command name
    assert complete(f"awsroles -f {path} grant {teams[0]} ") == sorted(org.environments)
    assert complete(f"awsroles -f {path} grant {teams[0]} prod ") == sorted(r.name for r in org.roles)
    team = next(t for t in org.teams if t.grants)
    granted = sorted({g.role for g in team.grants if g.environment == team.grants[0].environment})
    assert complete(f"awsroles -f {path} revoke {team.name} {team.grants[0].environment} ") == granted
    assert complete(f"awsroles -f {path} team add {teams[0]} ") == users
    assert complete(f"awsroles -f {path} users show ") == users
    assert complete(f"awsroles -f {path} users keys rotate ") == users
    monkeypatch.setenv("AWSROLES_FILE", path)
    assert complete("awsroles team remove ") == teams


def test_names_from_the_org_file_recorded_at_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    save(UserConfig("alice", "arn", "100000000000", org_file=str(EXAMPLES / "classic.ini")))
    assert complete("awsroles users show ")


def test_a_broken_org_file_completes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("[org\n")
    assert complete(f"awsroles -f {bad} grant ") == []
    assert complete(f"awsroles -f {tmp_path / 'missing.ini'} grant ") == []


def _modules(command: click.Command) -> set[str]:
    found = {command.callback.__module__.rsplit(".", 1)[1]} if command.callback else set()
    for sub in getattr(command, "commands", {}).values():
        found |= _modules(sub)
    return found


def test_the_fast_paths_command_table_matches_the_cli() -> None:
    assert set(COMMAND_MODULES) == set(cli.commands)
    for name, command in cli.commands.items():
        assert set(COMMAND_MODULES[name]) == _modules(command), name


@pytest.mark.parametrize(("args", "incomplete", "modules"), [
    (["login", "prod", "--role"], "", {"creds"}),
    (["-f", "x.ini", "-v", "users", "show"], "", {"users", "users_lifecycle", "users_credentials"}),
    ([], "lo", {"creds"}),
    ([], "-", set()),
    (["no-such-command"], "", None),
])
def test_modules_for(args: list[str], incomplete: str, modules: set[str] | None) -> None:
    assert modules_for(args, incomplete) == modules


def test_fast_path_process_answers_without_boto3_or_the_whole_cli(alice: UserConfig) -> None:
    probe = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('MODULES:' + ' '.join(sys.modules))); "
             "from awsroles.entry import main; main()")
    env = {**os.environ, "_AWSROLES_COMPLETE": "bash_complete", "COMP_WORDS": "awsroles login prod --role ",
           "COMP_CWORD": "4"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["plain,admin", "plain,readonly"]
    modules = set(out.stderr.rpartition("MODULES:")[2].split())
    assert not {m for m in modules if m.split(".")[0] in ("boto3", "botocore")}
    assert "awsroles.cli.costs" not in modules and "awsroles.cli.creds" in modules


def test_fast_path_falls_back_to_the_whole_cli_for_an_unknown_word(alice: UserConfig) -> None:
    env = {**os.environ, "_AWSROLES_COMPLETE": "bash_complete", "COMP_WORDS": "awsroles nope ", "COMP_CWORD": "2"}
    out = subprocess.run([sys.executable, "-c", "from awsroles.entry import main; main()"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_help_still_lists_every_command() -> None:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code, out, _ = invoke("--help")
    assert code == 0 and "completion" in out and "login" in out
