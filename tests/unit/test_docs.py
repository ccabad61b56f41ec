"""The documentation keeps up with the code."""

from __future__ import annotations

import re

from awsroles.orgfile import SECTION_KINDS
from tests.conftest import REPO


def test_every_org_file_key_is_documented() -> None:
    text = (REPO / "docs" / "org-file.md").read_text()
    for kind, keys in SECTION_KINDS.items():
        heading = f"## `[{kind}]`" if kind == "org" else f"## `[{kind} NAME]`"
        assert heading in text, heading
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
        assert documented == set(keys), (kind, set(keys) ^ documented)


def test_readme_has_exactly_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick, re.S)
    assert len(commands) == 2
    assert "awsroles demo" in commands[0]
    ci = (REPO / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines()
