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
from pathlib import Path

import pytest

from awsroles.export import hcl
from awsroles.export.terraform import terraform_files
from awsroles.export.tree import write_tree
from awsroles.iam.desired import desired_state
from awsroles.org.model import Org
from awsroles.org.parse import load_org, parse_org
from tests.conftest import EXAMPLES
from tests.e2e.terraform import Terraform, report
from tests.unit.test_terraform import EDGE_DESCRIPTION, EDGE_ORG, EXAMPLE_FILES, TRICKY, budget_org, export_shape
from tests.unit.test_terraform_identity_center import BOTH_BACKENDS, ic_org

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]


NOT_VALIDATED = {"large.ini": "classic.ini"}  # export name -> the validated export that covers its shape


def _edge_org(folder: Path) -> Org:
    org, problems = parse_org(EDGE_ORG, str(folder / "edge.ini"), folder)
    assert org is not None, [str(p) for p in problems]
    return org


@dataclasses.dataclass(frozen=True)
class Checked:
    """Every export checked, each in a folder of its own: ``fmt`` per folder; ``steps``: one ``init``
    and one ``validate`` of a root module that uses each folder as a module, so the AWS provider
    loads its schema once, not once per export (it is most of terraform's time)."""

    directory: Path
    fmt: dict[str, subprocess.CompletedProcess[str]]
    steps: tuple[subprocess.CompletedProcess[str], ...]
    files: dict[str, dict[str, str]]


def _exports(folder: Path) -> dict[str, Org]:
    exports = {example.name: load_org(example) for example in EXAMPLE_FILES}
    exports["edge"] = _edge_org(folder)
    exports["budgets-billing-is-ops"] = budget_org(None)
    exports["budgets-separate-payer"] = budget_org("payer")
    exports["identity-center"] = ic_org()
    exports["identity-center-beside-iam-in-another-region"] = ic_org(
        **{k: f"{v}identity_center_region = eu-west-1\n" for k, v in BOTH_BACKENDS.items()})
    return exports


@pytest.fixture(scope="module")
def checked(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """The examples', the edge org's and the budget orgs' exports, written out, fmt-checked, and
    initialised and validated together, once per module. All but ``large`` are validated: terraform
    validate starts one AWS provider process per account (nearly a second of CPU each), and large's
    export uses no resource type or argument classic's lacks (``NOT_VALIDATED``)."""
    directory = tmp_path_factory.mktemp("tf-all")
    fmt, files, modules = {}, {}, []
    for index, (name, org) in enumerate(_exports(directory).items()):
        folder = directory / f"m{index}"
        files[name] = terraform_files(org)
        write_tree(folder, files[name])
        fmt[name] = terraform.run(folder, "fmt", "-check", "-recursive", "-diff", "-no-color")
        if name not in NOT_VALIDATED:
            modules.append(f'module "m{index}" {{\n  source = "./m{index}"\n}}\n')
    (directory / "main.tf").write_text("\n".join(modules))
    return Checked(directory, fmt, terraform.init_and_validate(directory), files)


@pytest.mark.parametrize("name", [*(p.name for p in EXAMPLE_FILES), "edge", "budgets-billing-is-ops",
                                  "budgets-separate-payer", "identity-center",
                                  "identity-center-beside-iam-in-another-region"])
def test_terraform_fmt_is_clean(checked: Checked, name: str) -> None:
    assert checked.fmt[name].returncode == 0, report(checked.fmt[name])


def test_terraform_validates_every_export(checked: Checked) -> None:
    """The examples (classic; large's shape: see NOT_VALIDATED), the edge org (odd names, Unicode,
    tags), budgets with the billing account as ops and as a payer of its own, and IAM Identity
    Center (alone; beside IAM users with its instance in another region)."""
    for step in checked.steps:
        assert step.returncode == 0, report(step)
    assert len(checked.steps) == 2
    assert "Success! The configuration is valid." in checked.steps[-1].stdout
    used = (checked.directory / "main.tf").read_text()
    assert used.count("module ") == len(checked.files) - len(NOT_VALIDATED) == len(EXAMPLE_FILES) + 4


def test_what_is_not_validated_uses_nothing_the_validated_exports_lack() -> None:
    """large's export: one terraform validate of it would show terraform nothing classic's does not."""
    for name, covered_by in NOT_VALIDATED.items():
        assert export_shape(load_org(EXAMPLES / name)) <= export_shape(load_org(EXAMPLES / covered_by))


def test_terraform_reads_the_edge_orgs_literals_back(terraform: Terraform, checked: Checked, tmp_path: Path) -> None:
    """Terraform's own reading of the generated literals: the description and the user's tags."""
    files = checked.files["edge"]
    description = re.search(r"(?m)^  description += (\".*\")$", files["9lives.tf"])
    tags = re.search(r'(?ms)^resource "aws_iam_user" .*?^  tags = (\{\n.*?\n  \})$', files["providers-account.tf"])
    assert description and tags
    console_dir = tmp_path / "console"
    console_dir.mkdir()
    (console_dir / "main.tf").write_text(f"locals {{\n  d = {description.group(1)}\n  t = {tags.group(1)}\n}}\n")
    user_tags = dict(edge_org_user_tags(_edge_org(tmp_path)))
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
