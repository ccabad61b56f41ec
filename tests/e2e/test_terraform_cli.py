"""The Terraform export, accepted by terraform itself: ``fmt -check``, ``init`` against a local
provider mirror, ``validate``, and ``console`` reading the generated literals back.

What can be checked without the binary (byte stability, parsing with python-hcl2, equivalence
with desired_state) is in ``tests/unit/test_terraform.py``. These tests skip, saying why, only
when terraform or the AWS provider plugin directory is missing.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from awsroles.export import hcl
from awsroles.export.terraform import terraform_files
from awsroles.export.tree import write_tree
from awsroles.iam.desired import desired_state
from awsroles.org.model import Org
from awsroles.org.parse import load_org, parse_org
from tests.e2e.terraform import Terraform, report
from tests.unit.test_terraform import EDGE_DESCRIPTION, EDGE_ORG, EXAMPLE_FILES, TRICKY, budget_org

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]


@pytest.fixture
def edge_org(tmp_path: Path) -> Org:
    org, problems = parse_org(EDGE_ORG, str(tmp_path / "edge.ini"), tmp_path)
    assert org is not None, [str(p) for p in problems]
    return org


@dataclasses.dataclass(frozen=True)
class Checked:
    directory: Path
    fmt: subprocess.CompletedProcess[str]
    steps: tuple[subprocess.CompletedProcess[str], ...]


@pytest.fixture(scope="module", params=EXAMPLE_FILES, ids=lambda p: p.name)
def checked_example(
    request: pytest.FixtureRequest, terraform: Terraform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Checked]:
    """The example's export written out, fmt-checked, initialised and validated once per module."""
    example: Path = request.param
    directory = tmp_path_factory.mktemp(f"tf-{example.stem}")
    write_tree(directory, terraform_files(load_org(example)))
    fmt = terraform.run(directory, "fmt", "-check", "-recursive", "-diff", "-no-color")
    yield Checked(directory, fmt, terraform.init_and_validate(directory))


def test_terraform_fmt_is_clean(checked_example: Checked) -> None:
    assert checked_example.fmt.returncode == 0, report(checked_example.fmt)


def test_terraform_validate(checked_example: Checked) -> None:
    for step in checked_example.steps:
        assert step.returncode == 0, report(step)
    assert len(checked_example.steps) == 2
    assert "Success! The configuration is valid." in checked_example.steps[-1].stdout


def test_terraform_accepts_the_edge_org(terraform: Terraform, edge_org: Org, tmp_path: Path) -> None:
    directory = tmp_path / "tf"
    files = terraform_files(edge_org)
    write_tree(directory, files)
    fmt = terraform.run(directory, "fmt", "-check", "-recursive", "-diff", "-no-color")
    assert fmt.returncode == 0, report(fmt)
    for step in terraform.init_and_validate(directory):
        assert step.returncode == 0, report(step)

    # Terraform's own reading of the generated literals: the description and the user's tags.
    description = re.search(r"(?m)^  description += (\".*\")$", files["9lives.tf"])
    tags = re.search(r'(?ms)^resource "aws_iam_user" .*?^  tags = (\{\n.*?\n  \})$', files["providers-account.tf"])
    assert description and tags
    console_dir = tmp_path / "console"
    console_dir.mkdir()
    (console_dir / "main.tf").write_text(f"locals {{\n  d = {description.group(1)}\n  t = {tags.group(1)}\n}}\n")
    user_tags = dict(edge_org_user_tags(edge_org))
    assert {"Cost Center": "Research/Dev", "Küche": "Grüße", "email": "a.b@example.com"}.items() <= user_tags.items()
    assert terraform.evaluate(console_dir, "[local.d, local.t]") == [EDGE_DESCRIPTION, user_tags]


def edge_org_user_tags(org: Org) -> tuple[tuple[str, str], ...]:
    (user,) = [u for spec in desired_state(org) for u in spec.users]
    return user.tags


def test_terraform_reads_quoted_strings_back(terraform: Terraform, tmp_path: Path) -> None:
    """hcl.quote, as a value and as an object key, read back by terraform itself; the layout passes fmt."""
    keys = {f"k{i}-{text}": text for i, text in enumerate(TRICKY)}
    text = hcl.render([hcl.Block("locals", body=(hcl.Attribute("values", TRICKY), hcl.Attribute("keyed", keys)))])
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    fmt = terraform.run(tmp_path, "fmt", "-check", "-diff", "-no-color")
    assert fmt.returncode == 0, report(fmt)
    # Terraform (cty) keeps every string in Unicode NFC, so "e\u0301" comes back as "\u00e9".
    nfc = [unicodedata.normalize("NFC", t) for t in TRICKY]
    nfc_keys = {unicodedata.normalize("NFC", k): unicodedata.normalize("NFC", v) for k, v in keys.items()}
    assert terraform.evaluate(tmp_path, "[local.values, local.keyed]") == [nfc, nfc_keys]


@pytest.mark.parametrize("billing", [None, "payer"], ids=["billing-is-ops", "separate-payer"])
def test_terraform_accepts_the_budgets(terraform: Terraform, tmp_path: Path, billing: str | None) -> None:
    directory = tmp_path / "tf"
    write_tree(directory, terraform_files(budget_org(billing)))
    fmt = terraform.run(directory, "fmt", "-check", "-recursive", "-diff", "-no-color")
    assert fmt.returncode == 0, report(fmt)
    for step in terraform.init_and_validate(directory):
        assert step.returncode == 0, report(step)
