"""The documentation keeps up with the code."""

from __future__ import annotations

import re

from awsroles.org.keys import SECTION_KINDS
from tests.conftest import REPO


def test_every_org_file_key_is_documented() -> None:
    text = (REPO / "docs" / "org-file.md").read_text()
    for kind, keys in SECTION_KINDS.items():
        word = {"ou": "PATH", "temporary": "ID", "request": "ID", "break-glass": "ENV"}.get(kind, "NAME")
        heading = f"## `[{kind}]`" if kind == "org" else f"## `[{kind} {word}]`"
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


def test_every_relative_link_in_the_docs_resolves() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "completions" / "README.md"]
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # code is not a link
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links to missing {target}"


def test_the_three_guides_exist_and_cover_their_commands() -> None:
    guides = {"user-guide.md": ["awsroles setup", "awsroles login", "awsroles profiles sync", "awsroles exec"],
              "admin-guide.md": ["awsroles plan", "awsroles apply", "awsroles grant", "awsroles import",
                                 "awsroles export terraform", "awsroles users mfa enroll"],
              "finance-guide.md": ["awsroles costs", "--source cur", "--source athena", "--xlsx"]}
    for name, commands in guides.items():
        text = (REPO / "docs" / name).read_text()
        for command in commands:
            assert command in text, (name, command)
