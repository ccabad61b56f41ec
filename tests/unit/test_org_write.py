"""awsroles.org.write: the model written as a whole org file reads back as the same model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from awsroles.iam.checks import load_org, parse_org
from awsroles.org.write import LIST_WIDTH, render_org_file
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.ini")), ids=lambda p: p.stem)
def test_a_written_org_reads_back_as_the_same_model(example: Path) -> None:
    org = load_org(example)
    text = render_org_file(org, "../policies", ["written by a test"])
    assert text.startswith("; written by a test\n\n[org]\n")
    back, problems = parse_org(text, str(example), example.parent)
    assert [p for p in problems if p.is_error] == []
    assert back == org


def test_long_lists_go_on_continuation_lines() -> None:
    org = load_org(EXAMPLES / "classic.ini")
    members = tuple(f"person-{n:02d}" for n in range(12))  # 12 * 11 characters: over LIST_WIDTH on one line
    short, long = replace(org.teams[0], members=members[:2]), replace(org.teams[0], name="many", members=members)
    text = render_org_file(replace(org, teams=(short, long)), "../policies")
    assert len(", ".join(members)) > LIST_WIDTH
    assert f"[team {short.name}]\n" in text and "members = person-00, person-01\n" in text
    assert "[team many]\n" in text and "members =\n" + "".join(f"    {m}\n" for m in members) in text


def test_tags_and_contacts_of_org_and_accounts_read_back() -> None:
    text = (EXAMPLES / "classic.ini").read_text().replace("mfa = required", "mfa = required\ntags = CostCenter=42\n"
                                                          "security_contact = Sam Roe | CISO | sam@acme.example | 555")
    text = text.replace("environment = prod\n", "environment = prod\ntags = Team=web, Owner=a b\n"
                        "billing_contact = Jane Doe | Finance lead | jane@acme.example | +1 555 0100\n")
    org, problems = parse_org(text, str(EXAMPLES / "classic.ini"), EXAMPLES)
    assert org is not None and not [p for p in problems if p.is_error]
    written = render_org_file(org, "../policies")
    assert "tags = CostCenter=42\nsecurity_contact = Sam Roe | CISO | sam@acme.example | 555\n" in written
    assert "tags = Team=web, Owner=a b\nbilling_contact = Jane Doe | Finance lead | jane@acme.example | +1 555 0100\n" \
        in written
    back, problems = parse_org(written, str(EXAMPLES / "classic.ini"), EXAMPLES)
    assert [p for p in problems if p.is_error] == [] and back == org
