"""The org package stands alone: its checks, and the IAM size checks that callers add to it.

``awsroles.org`` validates the org file by its own rules; the sizes of the IAM documents generated
from it are checked by :mod:`awsroles.iam.checks`, passed in as ``checks``.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from awsroles.errors import OrgFileError
from awsroles.iam import checks as iam_checks
from awsroles.iam import policies
from awsroles.iam.self_service import self_service_policy
from awsroles.org import edit as orgedit
from awsroles.org import jsondoc, limits
from awsroles.org import parse as org_parse
from awsroles.org.checks import Sections, check_references
from tests.conftest import DATA, EXAMPLES, REPO

ORG_DIR = REPO / "awsroles" / "org"
ALLOWED = ("awsroles.org", "awsroles.errors", "awsroles.fsutil")
TOO_LARGE = DATA / "broken" / "team-policy-too-large.ini"


def _awsroles_imports(path: Path) -> list[tuple[int, str]]:
    """Every awsroles module that ``path`` imports, at any depth (functions included), with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "awsroles":  # from awsroles import x: the module awsroles.x
                found += [(node.lineno, f"awsroles.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom):  # relative: inside the package itself
            assert node.level == 1, f"{path.name}:{node.lineno}: relative import out of awsroles.org"
    return [(line, module) for line, module in found if module.split(".")[0] == "awsroles"]


def test_org_package_imports_nothing_of_awsroles_but_itself_and_the_top_level_helpers() -> None:
    modules = sorted(ORG_DIR.glob("*.py"))
    assert len(modules) >= 10
    outside = [
        f"{path.name}:{line}: {module}"
        for path in modules
        for line, module in _awsroles_imports(path)
        if not any(module == allowed or module.startswith(f"{allowed}.") for allowed in ALLOWED)
    ]
    assert outside == []
    assert [p.name for p in modules if "awsroles.iam" in p.read_text(encoding="utf-8")] == []  # not even lazily


def test_the_import_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom awsroles import aws\n\ndef f():\n    from awsroles.iam import policies\n")
    assert _awsroles_imports(module) == [(2, "awsroles.aws"), (5, "awsroles.iam")]


def test_org_rules_alone_accept_what_the_iam_size_checks_refuse() -> None:
    """team-policy-too-large.ini breaks no rule of the org file itself; only the generated team policy is too big."""
    org, problems = org_parse.check_org(TOO_LARGE, checks=())
    assert org is not None and not [p for p in problems if p.is_error]
    org, problems = iam_checks.check_org(TOO_LARGE)
    assert org is None
    assert [(p.line, p.message) for p in problems if p.is_error] == [
        (53, "team 'platform' inline policy (its temporary grants) is 6129 characters in its managed form; IAM "
         "allows 5120 of inline policy per group, 4985 of them after awsroles' marker policy (split the team or end "
         "temporary grants)")
    ]


def test_check_sizes_reports_the_trust_and_self_service_policies_at_the_org_section() -> None:
    org = org_parse.load_org(EXAMPLES / "classic.ini", checks=())
    sections = Sections("org.ini", {("org", ""): 3, ("team", "platform"): 40})
    assert iam_checks.check_sizes(org, sections) == []
    huge = dataclasses.replace(org, path="/" + "p" * 2000 + "/", teams=())  # longer than a file allows
    trust = policies.policy_size(policies.trust_policy(huge))
    self_service = policies.policy_size(self_service_policy(huge))
    assert trust > limits.TRUST_POLICY_MAX and self_service > limits.MANAGED_POLICY_MAX
    assert [str(p) for p in iam_checks.check_sizes(huge, sections)] == [
        f"org.ini:3: the trust policy is {trust} characters; IAM allows {limits.TRUST_POLICY_MAX}",
        f"org.ini:3: the self-service policy is {self_service} characters; IAM allows {limits.MANAGED_POLICY_MAX}",
    ]


def test_a_size_error_refuses_the_model_and_keeps_the_org_warnings(tmp_path: Path) -> None:
    """Extra checks run with the org's own whole-model checks: one sorted report, and no model on an error."""
    text = TOO_LARGE.read_text(encoding="utf-8") + "\n[user carol]\n"  # carol is in no team: a warning
    carol = len(text.splitlines())
    org, problems = iam_checks.parse_org(text, "org.ini", tmp_path)
    assert org is None
    assert [(p.severity, p.line) for p in problems] == [("error", 53), ("warning", carol)]
    org, problems = org_parse.parse_org(text, "org.ini", tmp_path, checks=())
    assert org is not None and [(p.severity, p.line) for p in problems] == [("warning", carol)]


def test_sections_point_at_a_section_or_line_one() -> None:
    sections = Sections("f.ini", {("user", "bob"): 7})
    assert str(sections.error("user", "bob", "m")) == "f.ini:7: m"
    assert sections.warning("user", "bob", "m").severity == "warning"
    assert sections.error("role", "absent", "m").line == 1 and sections.error("role", "absent", "m").is_error


def test_check_references_alone() -> None:
    org = org_parse.load_org(EXAMPLES / "classic.ini", checks=())
    assert check_references(org, Sections("x", {})) == []
    lonely = dataclasses.replace(org, teams=())
    assert {p.message for p in check_references(lonely, Sections("x", {}))} >= {
        f"user '{org.users[0].name}' is in no team", f"role '{org.roles[0].name}' is granted to no team, so it is "
        "created nowhere"}


def test_policies_canonical_json_is_the_org_one() -> None:
    """Existing callers of policies.canonical_json get the org package's canonical form."""
    assert policies.canonical_json is jsondoc.canonical_json and policies.canonical is jsondoc.canonical
    document = {"Statement": {"Action": ["b", "a", "a"], "Effect": "Allow"}, "Version": "2012-10-17"}
    assert jsondoc.canonical_json(document) == (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
        '      "Action": [\n        "a",\n        "b"\n      ]\n    }\n  ]\n}\n'
    )
    assert jsondoc.compact_size(document) == policies.policy_size(document) == len(
        '{"Statement":{"Action":["b","a","a"],"Effect":"Allow"},"Version":"2012-10-17"}')


def test_an_edit_validates_with_the_checks_its_caller_passes(tmp_path: Path) -> None:
    """A temporary grant is refused (and nothing written) when the team's inline policy would outgrow
    IAM's quota; the org's own rules alone would have let it through."""
    from datetime import datetime, timezone

    from awsroles.org.entries import TemporaryGrant

    path = tmp_path / "org.ini"
    text = TOO_LARGE.read_text(encoding="utf-8").split("\n[temporary t-incident-7]")[0]  # seven: they fit
    path.write_text(text, encoding="utf-8")
    org = iam_checks.load_org(path)
    assert policies.team_policy_form(org, org.team("platform")) == policies.MANAGED
    eighth = TemporaryGrant("t-incident-7", "prod", "support", datetime(2999, 1, 1, tzinfo=timezone.utc), "INC-7",
                            team="platform")
    with pytest.raises(OrgFileError) as refused:
        orgedit.add_temporary(path, eighth, checks=iam_checks.ORG_CHECKS)
    [message] = [p.message for p in refused.value.problems if p.is_error]
    assert message.startswith("team 'platform' inline policy (its temporary grants) is ") and message.endswith(
        " characters in its managed form; IAM allows 5120 of inline policy per group, 4985 of them after awsroles' "
        "marker policy (split the team or end temporary grants)")
    assert path.read_text(encoding="utf-8") == text
    orgedit.add_temporary(path, eighth, checks=())
    assert "[temporary t-incident-7]" in path.read_text(encoding="utf-8")
