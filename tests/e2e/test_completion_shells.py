"""Tab completion in real shells (bash, zsh, fish), through each shell's own completion hooks.

Each shell sources the checked-in script from completions/ and runs the venv's ``awsroles`` (first
on PATH) with a seeded user config in a private AWSROLES_CONFIG_DIR and examples/classic.ini as
the org file ($AWSROLES_FILE).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from awsroles.creds.userconfig import RoleGrant, UserConfig, save
from tests.conftest import EXAMPLES, REPO

SCRIPTS = REPO / "completions"
BIN = Path(sys.executable).parent


def _grant(environment: str, role: str) -> RoleGrant:
    return RoleGrant(environment, role, "111111111111", f"arn:aws:iam::111111111111:role/{role}", 3600)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config_dir = tmp_path / "config"
    save(UserConfig("alice", "arn:aws:iam::100000000000:user/alice", "100000000000",
                    grants=(_grant("prod", "admin"), _grant("prod", "readonly"), _grant("stage", "developer"))),
         config_dir / "config.ini")
    assert shutil.which("awsroles", path=str(BIN)), "the venv has no awsroles script"
    return {**os.environ, "AWSROLES_CONFIG_DIR": str(config_dir), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "LC_ALL": "C.UTF-8",
            "AWSROLES_FILE": str(EXAMPLES / "classic.ini")}


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path


# Each: the line typed before <TAB> (split into words, the last being completed) -> the offers.
CASES = [
    ("awsroles lo", ["login", "logout"]),
    ("awsroles login ", ["prod", "stage"]),
    ("awsroles login prod --role ", ["admin", "readonly"]),
    ("awsroles login stage --role ", ["developer"]),
    ("awsroles users keys ", ["create", "delete", "rotate"]),  # a group nested in a lazy group
    # names from the org file
    ("awsroles grant ", ["backend", "platform"]),
    ("awsroles grant backend ", ["dev", "prod", "stage"]),
    ("awsroles revoke backend dev ", ["developer", "readonly"]),
    ("awsroles users show ", ["alice", "bob"]),
    ("awsroles team add backend ", ["alice", "bob"]),
]


def bash_offers(line: str, env: dict[str, str]) -> list[str]:
    words = line.split(" ")
    script = (f"source {SCRIPTS / 'awsroles.bash'}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)})\nCOMP_CWORD={len(words) - 1}\n"
              "_awsroles_completion awsroles\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    out = subprocess.run([_shell("bash"), "--norc", "--noprofile", "-c", script], env=env, capture_output=True,
                         text=True, check=True, timeout=30)
    return out.stdout.split()


def zsh_offers(line: str, env: dict[str, str]) -> list[str]:
    # compinit, the script's compdef, then its completion function with zsh's own words/CURRENT;
    # compadd and _describe (zsh's builtins that show the offers) are recorded instead.
    words = line.split(" ")
    script = (f"autoload -Uz compinit && compinit -u -d {env['HOME']}/.zcompdump\n"
              f"source {SCRIPTS / '_awsroles'}\n"
              "compadd() { local a; for a in \"${(@P)${@[-1]}}\"; do print -r -- \"$a\"; done }\n"
              "_describe() { local a; for a in \"${(@P)${@[3]}}\"; do print -r -- \"${a%%:*}\"; done }\n"
              f"words=({' '.join(repr(w) for w in words)})\nCURRENT={len(words)}\n"
              "_awsroles_completion\n")
    out = subprocess.run([_shell("zsh"), "-f", "-c", script], env=env, capture_output=True, text=True, check=True,
                         timeout=30)
    return out.stdout.split()


def fish_offers(line: str, env: dict[str, str]) -> list[str]:
    script = f"source {SCRIPTS / 'awsroles.fish'}; complete -C '{line}'"
    out = subprocess.run([_shell("fish"), "--no-config", "-c", script], env=env, capture_output=True, text=True,
                         check=True, timeout=30)
    return [row.split("\t")[0] for row in out.stdout.splitlines()]


@pytest.mark.parametrize(("line", "offers"), CASES)
def test_bash(env: dict[str, str], line: str, offers: list[str]) -> None:
    assert bash_offers(line, env) == offers


@pytest.mark.parametrize(("line", "offers"), CASES)
def test_zsh(env: dict[str, str], line: str, offers: list[str]) -> None:
    assert zsh_offers(line, env) == offers


@pytest.mark.parametrize(("line", "offers"), CASES)
def test_fish(env: dict[str, str], line: str, offers: list[str]) -> None:
    assert sorted(fish_offers(line, env)) == offers
