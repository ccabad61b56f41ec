"""Guardrails and SCP files in the org file (``[org]``, ``[ou PATH]``, ``[account NAME]``): what they
mean, Organizations' limits, and each mistake as one FILE:LINE problem."""

from __future__ import annotations

import json
from pathlib import Path

from awsroles.accounts.checks import check_scps
from awsroles.iam.checks import ORG_CHECKS
from awsroles.org.guardrails import Guardrail
from awsroles.org.marks import file_scp_name, guardrails_scp_name
from awsroles.org.parse import parse_org
from tests.unit.test_org_accounts import org_text
from tests.unit.test_orgfile import errors, valid, warnings

DENY_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:PutBucketPublicAccessBlock",
                                                   "Resource": "*"}]}


def line_of(text: str, snippet: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


def with_files(tmp_path: Path, **documents: object) -> Path:
    (tmp_path / "policies").mkdir(exist_ok=True)
    for name, document in documents.items():
        (tmp_path / "policies" / f"{name}.json").write_text(json.dumps(document, indent=2))
    return tmp_path


def test_guardrails_and_scp_files_on_the_root_an_ou_and_an_account(tmp_path: Path) -> None:
    base = with_files(tmp_path, **{"deny-s3": DENY_S3})
    text = org_text(org="account_email = aws+{name}@acme.example\nguardrails = deny-leave-organization",
                    dev="ou = Workloads/Dev\nguardrails = deny-root-user,\n    allowed-regions eu-west-1 eu-central-1")
    text += "\n[ou Workloads]\nguardrails = protect-awsroles, protect-security-services\nscp_files = deny-s3.json\n"
    org = valid(text, base)
    assert org.ous == ("Workloads",) and org.uses_accounts
    assert [(t.kind, t.name) for t in org.scp_targets] == [("root", ""), ("ou", "Workloads"), ("account", "dev")]
    root, ou, dev = org.scp_targets
    assert root.guardrails == (Guardrail("deny-leave-organization"),)
    assert dev.guardrails == (Guardrail("deny-root-user"), Guardrail("allowed-regions", ("eu-west-1", "eu-central-1")))
    assert [f.name for f in ou.scp_files] == ["deny-s3"]
    assert guardrails_scp_name("acme", ou) == "awsroles-acme-guardrails-ou-Workloads"
    assert guardrails_scp_name("acme", root) == "awsroles-acme-guardrails-root"
    assert file_scp_name("acme", ou.scp_files[0]) == "awsroles-acme-scp-deny-s3"


def test_an_ou_section_alone_declares_the_ou_and_makes_the_org_use_organizations() -> None:
    org = valid(org_text().replace("[role admin]", "[ou Sandbox/Team A]\n\n[role admin]"))
    assert org.ous == ("Sandbox/Team A",) and org.scp_targets == ()


def test_unknown_guardrails_bad_regions_and_repeats_are_errors_at_their_own_line() -> None:
    text = org_text(dev="guardrails = deny-leave-organisation,\n    allowed-regions eu-west-1 mars-1,\n"
                        "    deny-root-user, deny-root-user\nou = Workloads")
    first = line_of(text, "deny-leave-organisation")
    assert errors(text) == [
        f"org.ini:{first}: unknown guardrail 'deny-leave-organisation': did you mean deny-leave-organization? "
        "(guardrails of account dev)",
        f"org.ini:{first + 1}: allowed-regions: not a region name: mars-1 (expected names such as eu-west-1) "
        "(guardrails of account dev)",
        f"org.ini:{first + 2}: guardrail deny-root-user is listed twice (guardrails of account dev)",
    ]


def test_scp_files_are_read_like_policy_files_and_held_to_organizations_limits(tmp_path: Path) -> None:
    actions = [f"s3:Action{i:04d}" for i in range(400)]
    big = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": actions, "Resource": "*"}]}
    principal = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*",
                                                         "Resource": "*"}]}
    base = with_files(tmp_path, big=big, principal=principal, **{f"p{i}": DENY_S3 for i in range(4)})
    text = org_text(dev="scp_files = big.json, principal.json, missing.json\nou = Workloads")
    found = errors(text, base)
    at = f"org.ini:{line_of(text, 'scp_files')}: "
    assert found[0].startswith(f"{at}SCP file big.json is ") and found[0].endswith(
        "characters; Organizations allows 5120 per SCP")
    assert found[1].startswith(f"{at}SCP file principal.json names a Principal")
    assert any(e.startswith(f"{at}policy file ") and e.endswith("missing.json not found") for e in found)
    text = org_text(dev="guardrails = deny-root-user\nscp_files = p0.json p1.json p2.json p3.json\nou = Workloads")
    assert errors(text, base) == [
        f"org.ini:{line_of(text, 'scp_files')}: account dev would have 6 SCPs (FullAWSAccess, its guardrails, "
        "4 SCP file(s)); Organizations attaches at most 5 to a root, OU or account"]
    assert valid(text.replace(" p3.json", ""), base).scp_targets[0].scp_files[-1].name == "p2"


def test_two_different_scp_files_with_one_name_are_an_error(tmp_path: Path) -> None:
    base = with_files(tmp_path, **{"deny-s3": DENY_S3})
    (tmp_path / "policies" / "other").mkdir()
    (tmp_path / "policies" / "other" / "deny-s3.json").write_text(json.dumps({**DENY_S3, "Version": "2008-10-17"}))
    text = org_text(dev="scp_files = deny-s3.json\nou = W", prod="scp_files = other/deny-s3.json")
    assert "are both named 'deny-s3' but differ" in errors(text, base)[0]


def test_guardrails_on_the_management_account_are_a_warning_and_ou_paths_are_checked() -> None:
    text = org_text().replace("id = 111111111111\n", "id = 111111111111\nguardrails = deny-root-user\n")
    assert any("is the management account: SCPs never restrict the management account" in w
               for w in warnings(text))
    text = org_text().replace("[role admin]", "[ou A//B]\n\n[role admin]")
    assert errors(text) == [f"org.ini:{line_of(text, '[ou A//B]')}: [ou A//B]: the path has an empty part: separate "
                            "OU names with single '/', e.g. Workloads/Prod"]
    text = org_text().replace("[role admin]", "[ou A]\nguardrail = deny-root-user\n\n[role admin]")
    assert errors(text) == [
        f"org.ini:{line_of(text, 'guardrail =')}: unknown key 'guardrail' in [ou A] (did you mean 'guardrails'?)"]


def test_validate_measures_the_guardrails_scp_of_each_target() -> None:
    regions = " ".join(f"{p}-{d}-{i}" for p in ("aa", "bb", "cc", "dd", "ee") for d in ("west", "east")
                       for i in range(1, 40))
    text = org_text(dev=f"guardrails = allowed-regions {regions}\nou = W")
    assert valid(text).scp_targets  # each region is valid: only the SCP they make is too large
    org, problems = parse_org(text, "org.ini", None, checks=(*ORG_CHECKS, check_scps))
    assert org is None
    assert next(str(p) for p in problems if p.is_error).startswith(
        f"org.ini:{line_of(text, '[account dev]')}: account dev: the guardrails make an SCP of ")


def test_an_scp_name_over_128_characters_is_an_error() -> None:
    name = "W" * 110
    text = org_text().replace("[role admin]", f"[ou {name}]\nguardrails = deny-root-user\n\n[role admin]")
    scp = f"awsroles-acme-guardrails-ou-{name}"
    assert errors(text) == [
        f"org.ini:{line_of(text, 'guardrails =')}: the SCP name '{scp}' is {len(scp)} "
        "characters; Organizations allows 128 ASCII characters: use a shorter name"]
