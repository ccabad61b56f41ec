"""The Terraform export: byte-stable, parseable, equivalent on paper to desired_state, accepted by terraform.

The equivalence check reads the generated HCL back with python-hcl2 and rebuilds the flat
resource set the way :func:`awsroles.iam.desired.flatten` builds it, resolving references and
``file()`` documents by hand, without using anything from :mod:`awsroles.export.terraform`.

The terraform binary itself (fmt, init against a local provider mirror, validate, console) runs
in ``tests/e2e/test_terraform_cli.py``: this module stays in-process.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from awsroles.budgets.desired import flatten as flatten_budgets
from awsroles.export import hcl
from awsroles.export.terraform import terraform_files
from awsroles.iam.desired import Resource, desired_state, flatten
from awsroles.org.model import Org
from awsroles.org.parse import load_org, parse_org
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ini"))


# -- reading the HCL back --------------------------------------------------------------------

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_FILE_CALL = re.compile(r'\$\{file\("\$\{path\.module\}/((?:[^"\\]|\\.)*)"\)\}')
_REFERENCE = re.compile(r"\$\{(aws_iam_[a-z_]+)\.([A-Za-z_][A-Za-z0-9_-]*)\.(name|arn)\}")
_PROVIDER = re.compile(r"\$\{aws\.([A-Za-z_][A-Za-z0-9_-]*)\}")


def hcl_string(source: str) -> str:
    """The value of an HCL quoted string given in source form (python-hcl2 8 keeps the quotes).

    Fails on an unescaped ``${`` or ``%{``: a template would not be the literal we meant.
    """
    assert len(source) >= 2 and source[0] == '"' and source[-1] == '"', f"not a quoted string: {source!r}"
    body = source[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            marker = body[i + 1]
            if marker in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[marker])
                i += 2
            elif marker in "uU":
                width = 4 if marker == "u" else 8
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
            else:
                raise AssertionError(f"unknown escape \\{marker} in {source!r}")
        elif body.startswith(("$${", "%%{"), i):
            out.append(char + "{")
            i += 3
        elif body.startswith(("${", "%{"), i):
            raise AssertionError(f"unescaped template sequence in {source!r}")
        else:
            assert char != '"', f"unescaped quote in {source!r}"
            out.append(char)
            i += 1
    return "".join(out)


def label(source: str) -> str:
    return hcl_string(source) if source.startswith('"') else source


@dataclasses.dataclass
class ParsedResource:
    type: str
    name: str
    account: str
    file: str
    body: dict[str, Any]


def parse_tf(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {path: hcl2.loads(text) for path, text in sorted(files.items()) if path.endswith(".tf")}


def provider_accounts(org: Org, parsed: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Provider alias -> account name, from the role each provider assumes (none: the ops account).
    One provider per account in the org's region, and one more in Identity Center's when it differs."""
    by_id = {a.id: a.name for a in org.accounts}
    out: dict[str, str] = {}
    regions: dict[str, str] = {}
    for doc in parsed.values():
        for entry in doc.get("provider", []):
            for provider_label, body in entry.items():
                assert label(provider_label) == "aws"
                alias = hcl_string(body["alias"])
                regions[alias] = hcl_string(body["region"])
                assert regions[alias] in {org.region, org.identity_center_region_name}
                assume = body.get("assume_role", [])
                if assume:
                    arn = hcl_string(assume[0]["role_arn"])
                    account = by_id[arn.split(":")[4]]
                    assert arn == org.bootstrap_role_arn(org.account(account))
                    assert hcl_string(assume[0]["session_name"]) == "awsroles-terraform"
                    assert account != org.ops_account, "the ops account must use the caller's credentials"
                else:
                    account = org.ops_account
                assert alias not in out, f"provider alias {alias} declared twice"
                assert (account, regions[alias]) not in ((out[a], regions[a]) for a in out), \
                    f"two providers for account {account} in {regions[alias]}"
                out[alias] = account
    return out


def parsed_resources(org: Org, parsed: dict[str, dict[str, Any]]) -> dict[tuple[str, str], ParsedResource]:
    aliases = provider_accounts(org, parsed)
    out: dict[tuple[str, str], ParsedResource] = {}
    for path, doc in parsed.items():
        for entry in doc.get("resource", []):
            for type_label, named in entry.items():
                for name_label, body in named.items():
                    rtype, name = label(type_label), label(name_label)
                    assert (rtype, name) not in out, f"{rtype}.{name} declared twice"
                    match = _PROVIDER.fullmatch(body["provider"])
                    assert match, f"{rtype}.{name}: provider {body['provider']!r}"
                    out[(rtype, name)] = ParsedResource(rtype, name, aliases[match.group(1)], path, body)
    return out


ATTRIBUTES = {
    "aws_iam_role": ({"name", "path", "max_session_duration", "assume_role_policy", "tags"},
                     {"description", "permissions_boundary", "lifecycle"}),  # lifecycle: adopted in place
    "aws_iam_role_policy_attachment": ({"role", "policy_arn"}, set()),
    "aws_iam_role_policy": ({"name", "role", "policy"}, set()),
    "aws_iam_policy": ({"name", "path", "policy", "tags"}, {"description"}),
    "aws_iam_group": ({"name", "path"}, {"lifecycle"}),
    "aws_iam_group_policy": ({"name", "group", "policy"}, set()),
    "aws_iam_group_policy_attachment": ({"group", "policy_arn"}, set()),
    "aws_iam_user": ({"name", "path", "tags"}, {"permissions_boundary", "lifecycle"}),
    "aws_iam_user_group_membership": ({"user", "groups"}, set()),
    "aws_iam_user_policy": ({"name", "user", "policy"}, set()),
    "aws_budgets_budget": ({"name", "account_id", "budget_type", "limit_amount", "limit_unit", "time_unit",
                            "cost_filter", "cost_types", "tags"}, {"notification"}),
}


def rebuild(org: Org, files: dict[str, str]) -> list[Resource]:
    """The resources the Terraform files declare, in :func:`awsroles.iam.desired.flatten` form."""
    resources = parsed_resources(org, parse_tf(files))
    accounts = {a.name: a for a in org.accounts}

    def text(value: Any) -> str:
        assert isinstance(value, str), value
        return hcl_string(value)

    def document(value: Any) -> str:
        match = _FILE_CALL.fullmatch(value)
        assert match, f"not a file() of a policy document: {value!r}"
        path = hcl_string(f'"{match.group(1)}"')
        assert path.startswith("policies/") and path in files, f"missing policy document {path}"
        return files[path]

    def resolve(value: Any, account: str, want_type: str) -> str:
        """A literal, or a reference to a resource of the same account (name, or a policy's ARN)."""
        assert isinstance(value, str), value
        if value.startswith('"'):
            return hcl_string(value)
        match = _REFERENCE.fullmatch(value)
        assert match, f"unexpected expression {value!r}"
        rtype, name, attribute = match.groups()
        assert rtype == want_type, f"{value} should refer to a {want_type}"
        target = resources[(rtype, name)]
        assert target.account == account, f"{value} refers to account {target.account}, not {account}"
        if attribute == "name":
            return text(target.body["name"])
        assert rtype == "aws_iam_policy"
        path, policy = text(target.body["path"]), text(target.body["name"])
        return f"arn:{org.partition}:iam::{accounts[account].id}:policy{path}{policy}"

    def tags(value: Any) -> str:
        assert isinstance(value, dict), value
        pairs = sorted((label(k), text(v)) for k, v in value.items())
        return ",".join(f"{k}={v}" for k, v in pairs)

    out: list[Resource] = []
    files_of_account: dict[str, set[str]] = {}
    for r in resources.values():
        if r.type.startswith(("aws_identitystore_", "aws_ssoadmin_")):
            continue  # Identity Center: tests/unit/test_terraform_identity_center.py
        if r.type.endswith("_exclusive"):
            continue  # what an adopted resource holds, exclusively: tests/unit/test_terraform_adopted.py
        a, body = r.account, r.body
        files_of_account.setdefault(a, set()).add(r.file)
        assert r.type in ATTRIBUTES, f"unexpected resource type {r.type}"
        required, optional = ATTRIBUTES[r.type]
        present = {k for k in body if not k.startswith("__")} - {"provider"}
        assert required <= present <= required | optional, f"{r.type}.{r.name}: attributes {sorted(present)}"
        if r.type == "aws_iam_role":
            name = text(body["name"])
            out.append(Resource(a, r.type, name, document(body["assume_role_policy"])))
            assert isinstance(body["max_session_duration"], int)
            out.append(Resource(a, "aws_iam_role#max_session_duration", name, str(body["max_session_duration"])))
            out.append(Resource(a, "aws_iam_role#path", name, text(body["path"])))
            out.append(Resource(a, "aws_iam_role#description", name, text(body.get("description", '""'))))
            out.append(Resource(a, "aws_iam_role#tags", name, tags(body["tags"])))
            if "permissions_boundary" in body:
                out.append(Resource(a, "aws_iam_role#permissions_boundary", name,
                                    resolve(body["permissions_boundary"], a, "aws_iam_policy")))
        elif r.type == "aws_iam_role_policy_attachment":
            role = resolve(body["role"], a, "aws_iam_role")
            out.append(Resource(a, r.type, role, resolve(body["policy_arn"], a, "aws_iam_policy")))
        elif r.type == "aws_iam_role_policy":
            role = resolve(body["role"], a, "aws_iam_role")
            out.append(Resource(a, r.type, f"{role}/{text(body['name'])}", document(body["policy"])))
        elif r.type == "aws_iam_policy":
            name = text(body["name"])
            out.append(Resource(a, r.type, name, document(body["policy"])))
            out.append(Resource(a, "aws_iam_policy#path", name, text(body["path"])))
            out.append(Resource(a, "aws_iam_policy#description", name, text(body.get("description", '""'))))
            out.append(Resource(a, "aws_iam_policy#tags", name, tags(body["tags"])))
        elif r.type == "aws_iam_group":
            out.append(Resource(a, r.type, text(body["name"]), text(body["path"])))
        elif r.type == "aws_iam_group_policy":
            group = resolve(body["group"], a, "aws_iam_group")
            out.append(Resource(a, r.type, f"{group}/{text(body['name'])}", document(body["policy"])))
        elif r.type == "aws_iam_group_policy_attachment":
            group = resolve(body["group"], a, "aws_iam_group")
            out.append(Resource(a, r.type, group, resolve(body["policy_arn"], a, "aws_iam_policy")))
        elif r.type == "aws_iam_user":
            name = text(body["name"])
            out.append(Resource(a, r.type, name, text(body["path"])))
            out.append(Resource(a, "aws_iam_user#tags", name, tags(body["tags"])))
            if "permissions_boundary" in body:
                out.append(Resource(a, "aws_iam_user#permissions_boundary", name,
                                    resolve(body["permissions_boundary"], a, "aws_iam_policy")))
        elif r.type == "aws_iam_user_policy":
            user = resolve(body["user"], a, "aws_iam_user")
            out.append(Resource(a, r.type, f"{user}/{text(body['name'])}", document(body["policy"])))
        elif r.type == "aws_budgets_budget":
            out.extend(Resource(*fact) for fact in budget_facts(a, body))
        else:
            user = resolve(body["user"], a, "aws_iam_user")
            groups = sorted(resolve(g, a, "aws_iam_group") for g in body["groups"])
            out.append(Resource(a, r.type, user, ",".join(groups)))
    for account, paths in files_of_account.items():
        assert len(paths) == 1, f"resources of {account} are spread over {sorted(paths)}"
    shared = [p for paths in files_of_account.values() for p in paths]
    assert len(shared) == len(set(shared)), "two accounts share a file"
    return out


def budget_facts(account: str, body: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """An ``aws_budgets_budget`` in :func:`awsroles.budgets.desired.flatten` form."""
    name = hcl_string(body["name"])
    (cost_filter,), (cost_types,) = body["cost_filter"], body["cost_types"]

    def camel(key: str) -> str:
        return "".join(part.capitalize() for part in key.split("_"))

    def number(value: Any) -> str:
        return str(int(value)) if float(value).is_integer() else str(value)

    facts = [
        (account, "aws_budgets_budget", name, " ".join(hcl_string(body[k]) for k in (
            "limit_amount", "limit_unit", "time_unit", "budget_type"))),
        (account, "aws_budgets_budget#account_id", name, hcl_string(body["account_id"])),
        (account, "aws_budgets_budget#cost_filter", name, f"{hcl_string(cost_filter['name'])}="
         + ",".join(sorted(hcl_string(v) for v in cost_filter["values"]))),
        (account, "aws_budgets_budget#cost_types", name, ",".join(sorted(
            f"{camel(k)}={str(v).lower()}" for k, v in cost_types.items() if not k.startswith("__")))),
        (account, "aws_budgets_budget#tags", name, ",".join(
            f"{k}={v}" for k, v in sorted((label(k), hcl_string(v)) for k, v in body["tags"].items()))),
    ]
    for notification in body.get("notification", []):
        facts.append((account, "aws_budgets_budget#notification",
                      f"{name}/{hcl_string(notification['notification_type'])}/{number(notification['threshold'])}",
                      f"{hcl_string(notification['comparison_operator'])} {hcl_string(notification['threshold_type'])} "
                      + ",".join(sorted(hcl_string(a) for a in notification["subscriber_email_addresses"]))))
    return facts


def assert_equivalent(org: Org, files: dict[str, str]) -> None:
    rebuilt = rebuild(org, files)
    assert len(rebuilt) == len(set(rebuilt)), "some resource is declared twice"
    expected = flatten(desired_state(org)) | {Resource(*fact) for fact in flatten_budgets(org)}
    missing, extra = sorted(expected - set(rebuilt)), sorted(set(rebuilt) - expected)
    assert not missing and not extra, f"missing: {missing}\nextra: {extra}"


# -- pure tests ------------------------------------------------------------------------------


@pytest.fixture(params=EXAMPLE_FILES, ids=lambda p: p.name)
def example(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_examples_exist() -> None:
    assert EXAMPLES / "classic.ini" in EXAMPLE_FILES


def test_byte_stable(example: Path) -> None:
    first = terraform_files(load_org(example))
    second = terraform_files(load_org(example))
    assert first == second
    assert list(first) == sorted(first)
    for path, content in first.items():
        assert str(EXAMPLES) not in content and str(EXAMPLES.parent) not in content, f"{path} holds a local path"


def test_layout(example: Path) -> None:
    org = load_org(example)
    files = terraform_files(org)
    specs = desired_state(org)
    assert {"versions.tf", "providers.tf", "policies/index.json"} <= set(files)
    # one file per account awsroles writes to: IAM's (specs), and Identity Center's home account
    accounts = {spec.account.name for spec in specs} | (
        {org.identity_center_home.name} if org.uses_identity_center else set())
    assert len([p for p in files if p.endswith(".tf")]) == 2 + len(accounts)
    for path, text in files.items():
        assert "/" in path or path.endswith(".tf"), path
        assert text.endswith("\n") and not text.endswith("\n\n"), path
        if path.endswith(".tf"):
            assert text.startswith("# Generated by awsroles"), path
            assert "\t" not in text and not any(line != line.rstrip() for line in text.split("\n")), path
    policy_docs = [p for p in files if p.startswith("policies/") and p != "policies/index.json"]
    referenced = {m.group(1) for text in files.values() for m in re.finditer(r'path\.module\}/([^"]+)"', text)}
    assert referenced == set(policy_docs)


def test_every_tf_parses(example: Path) -> None:
    for path, text in terraform_files(load_org(example)).items():
        if path.endswith(".tf"):
            assert isinstance(hcl2.loads(text), dict), path


def test_equivalent_on_paper(example: Path) -> None:
    org = load_org(example)
    assert_equivalent(org, terraform_files(org))


def test_temporary_grants_export_the_same_statements(classic_org_path: Path) -> None:
    """A team's temporary grant is in its group policy, a person's in their own awsroles-temporary
    policy: Terraform declares exactly what apply makes (docs/temporary-access.md)."""
    extra = "".join(f"\n[temporary t-{who.split()[2]}]\n{who}\nenvironment = stage\nrole = readonly\n"
                    "until = 2999-01-01T00:00:00Z\nreason = INC-1\n" for who in ("team = backend", "user = bob"))
    org, problems = parse_org(classic_org_path.read_text() + extra, str(classic_org_path), classic_org_path.parent)
    assert org is not None, problems
    files = terraform_files(org)
    assert_equivalent(org, files)
    user_policies = [p for p in files if p.endswith("bob.awsroles-temporary.json")]
    assert len(user_policies) == 1 and "TemporarytXbob" in files[user_policies[0]]
    assert any("TemporarytXbackend" in text for path, text in files.items() if "team-backend" in path)


def test_a_team_in_the_managed_form_exports_its_policies_and_their_attachments() -> None:
    """Grants outgrowing the group's inline room go to customer managed policies: Terraform declares
    them (aws_iam_policy) and their attachments to the group, and no empty inline policy."""
    from tests.unit.test_compact_policy import _org

    org = _org(45, 5)
    files = terraform_files(org)
    assert_equivalent(org, files)
    ops = files["ops.tf"]
    assert 'resource "aws_iam_policy" "ops_awsroles-assume-t-1"' in ops
    assert "policies/ops/policies/awsroles-assume-t-1.json" in files
    assert re.search(r'resource "aws_iam_group_policy_attachment" "[^"]*team-t[^"]*"', ops)
    assert "awsroles-assume-roles" not in ops  # nothing left inline: no empty policy


def test_equivalence_check_notices_a_missing_resource(classic_org_path: Path) -> None:
    org = load_org(classic_org_path)
    files = terraform_files(org)
    files["dev.tf"] = re.sub(r'(?ms)^resource "aws_iam_role_policy" .*?^}\n', "", files["dev.tf"], count=1)
    with pytest.raises(AssertionError, match="missing"):
        assert_equivalent(org, files)


# An org that stresses names and escaping: accounts called like the fixed files or starting with
# a digit, IAM names that are not identifiers, two attachments whose names collide, and text full
# of things HCL would otherwise read as templates.
EDGE_DESCRIPTION = 'Use ${aws:username}, "quotes", %{ if x }, $${kept} and back\\slash, caf\u00e9'
EDGE_ORG = f"""
[org]
name = edge
region = eu-west-1
ops_account = providers
mfa = optional

[account providers]
id = 111111111111

[account 9lives]
id = 222222222222
environment = dev

[account versions]
id = 333333333333
environment = prod

[role weird.name]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
description = {EDGE_DESCRIPTION}

[role weird_name]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::222222222222:policy/sub/ReadOnlyAccess

[team people]
members = a.b@example.com
dev = weird.name, weird_name
prod = weird.name

[user a.b@example.com]
email = a.b@example.com
tags = Cost Center=Research/Dev, K\u00fcche=Gr\u00fc\u00dfe
"""


@pytest.fixture
def edge_org(tmp_path: Path) -> Org:
    org, problems = parse_org(EDGE_ORG, str(tmp_path / "edge.ini"), tmp_path)
    assert org is not None, [str(p) for p in problems]
    return org


def test_edge_names_and_escaping(edge_org: Org) -> None:
    assert edge_org.role("weird.name").description == EDGE_DESCRIPTION
    files = terraform_files(edge_org)
    assert {"providers.tf", "versions.tf", "providers-account.tf", "versions-account.tf", "9lives.tf"} <= set(files)
    assert files == terraform_files(edge_org)
    assert_equivalent(edge_org, files)
    dev = files["9lives.tf"]
    assert '"aws_iam_role_policy_attachment" "_9lives_weird_name_ReadOnlyAccess"' in dev
    assert '"aws_iam_role_policy_attachment" "_9lives_weird_name_ReadOnlyAccess_2"' in dev
    assert "provider = aws._9lives" in dev
    literal = '"Use $${aws:username}, \\"quotes\\", %%{ if x }, $$${kept} and back\\\\slash, café"'
    assert f"description          = {literal}" in dev
    users = files["providers-account.tf"]
    assert re.search(r'"K\\u00FCche" += "Grüße"', users)


def test_a_description_can_be_any_valid_iam_text(edge_org: Org) -> None:
    """Newlines, tabs and every printable Latin-1 character come back unchanged."""
    text = "line 1\nline 2\r\n\ttab " + "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(
        chr(c) for c in range(0xA1, 0x100)
    )
    role = dataclasses.replace(edge_org.role("weird.name"), description=text)
    org = dataclasses.replace(edge_org, roles=(role, *edge_org.roles[1:]))
    assert_equivalent(org, terraform_files(org))


TRICKY = [
    "",
    "${aws:username}",
    "%{ if true }x%{ endif }",
    "$${already} %%{escaped} $$${three} $",
    '"quoted" \\back\\ \\n literal',
    "new\nline\r\ttab\x00nul\x1b\x7f\x85 \u2028 \ufeff",
    "caf\u00e9 e\u0301 \u4e2d\u6587 \U0001f600",
    "{ } [ ] = # // /* */ <<EOF",
]


def test_python_hcl2_reads_quoted_strings_back() -> None:
    text = hcl.render([hcl.Block("locals", body=tuple(hcl.Attribute(f"v{i}", t) for i, t in enumerate(TRICKY)))])
    body = hcl2.loads(text)["locals"][0]
    assert [hcl_string(body[f"v{i}"]) for i in range(len(TRICKY))] == TRICKY


def test_a_plain_string_is_written_as_is_and_every_other_as_a_character_at_a_time() -> None:
    """escape's shortcut for plain printable ASCII gives what the character-by-character path gives:
    every printable ASCII character alone, and every string of up to three characters over the ones
    that matter (a template's `${` and `%{` across each position, quotes, backslashes, a newline,
    a control and a non-ASCII character), with and without ascii_only."""
    printable = [chr(c) for c in range(0x20, 0x7F)]
    tricky = ["$", "%", "{", "}", "a", '"', "\\", "\n", "\x7f", "\u00e9", " "]
    arn = "arn:aws:iam::111111111111:role/awsroles/admin"
    texts = [*printable, *(a + b for a in tricky for b in tricky),
             *(a + b + c for a in tricky for b in tricky for c in tricky), arn, "team-backend_2 #x [y] ~!"]
    for text in texts:
        for ascii_only in (False, True):
            assert hcl.escape(text, ascii_only=ascii_only) == hcl._escape_each(text, ascii_only), text
    assert hcl.escape(arn) == arn
    assert hcl.escape("${x} %{y} $x {z}") == "$${x} %%{y} $x {z}"


BUDGETS = {
    "dev": "budget = 250.50",
    "prod": "budget = 5000 USD\nbudget_alerts = 80%, 87.5%, forecast 100%\n"
            "budget_notify = finance@acme.example, oncall@acme.example",
}


def budget_org(billing: str | None = None) -> Org:
    """The classic org with budgets for dev and prod; with ``billing``, in a payer account of its own."""
    text = (EXAMPLES / "classic.ini").read_text()
    for environment, lines in BUDGETS.items():
        text = text.replace(f"environment = {environment}\n", f"environment = {environment}\n{lines}\n")
    if billing is not None:
        text = text.replace("billing_account = ops ", f"billing_account = {billing} ")
        text += f"\n[account {billing}]\nid = 555555555555\n"
    org, problems = parse_org(text, str(EXAMPLES / "budgets.ini"), EXAMPLES)
    assert org is not None, [str(p) for p in problems]
    return org


def test_budgets_are_exported_with_what_apply_makes() -> None:
    org = budget_org()
    files = terraform_files(org)
    assert_equivalent(org, files)
    ops = files["ops.tf"]
    assert ops.count('resource "aws_budgets_budget"') == 2
    assert '  limit_amount = "5000"\n' in ops and '  limit_amount = "250.5"\n' in ops
    assert "    threshold           = 87.5\n" in ops
    assert 'notification_type   = "FORECASTED"' in ops


def test_budgets_of_a_separate_payer_account_get_its_provider_and_file() -> None:
    org = budget_org(billing="payer")
    files = terraform_files(org)
    assert_equivalent(org, files)
    assert "aws_budgets_budget" not in files["ops.tf"]
    assert files["payer.tf"].count('resource "aws_budgets_budget"') == 2
    assert "alias               = \"payer\"" in files["providers.tf"]
    assert "arn:aws:iam::555555555555:role/OrganizationAccountAccessRole" in files["providers.tf"]


def test_the_equivalence_check_notices_a_changed_budget() -> None:
    org = budget_org()
    files = terraform_files(org)
    files["ops.tf"] = files["ops.tf"].replace('limit_amount = "5000"', 'limit_amount = "5001"')
    with pytest.raises(AssertionError, match="missing"):
        assert_equivalent(org, files)


def export_shape(org: Org) -> set[tuple[str, str]]:
    """Every (resource type, argument or nested block) an org's export uses, and each type alone."""
    shape: set[tuple[str, str]] = set()
    for module in parse_tf(terraform_files(org)).values():
        for kind in ("resource", "data", "import"):
            for block in module.get(kind, []):
                if kind == "import":
                    shape.add(("import", ""))
                    continue
                for type_name, named in block.items():
                    shape.add((type_name, ""))
                    for body in named.values():
                        shape.update((type_name, argument) for argument in body if not argument.startswith("__"))
    return shape


def test_the_applied_export_uses_every_resource_type_and_argument_of_the_examples(tmp_path: Path) -> None:
    """tests/e2e/test_terraform_apply.py applies one export with terraform (the classic example with
    everything added): every resource type and argument the examples' exports use is in it, so
    terraform accepting that one export (and awsroles then planning nothing) speaks for them all.
    An example that gains something new fails here: add it to that org."""
    from tests.e2e.test_terraform_apply import write_applied_org

    applied = export_shape(load_org(write_applied_org(tmp_path)))
    for path in EXAMPLE_FILES:
        assert export_shape(load_org(path)) - applied == set(), path.name
