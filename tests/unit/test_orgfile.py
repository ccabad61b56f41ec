"""parse_org and check_org on small inline org files: the model they build and what they report."""

from __future__ import annotations

import configparser
import contextlib
import json
import sys
from pathlib import Path

import pytest

from awsroles.errors import ExitCode, OrgFileError, Problem
from awsroles.iam import policies
from awsroles.iam.checks import check_org, load_org, parse_org
from awsroles.org.entries import Account, Grant, PolicyFile, Role, Team, User
from awsroles.org.ini import new_parser, read_ini
from awsroles.org.location import resolve_path
from awsroles.org.model import Org
from tests.conftest import EXAMPLES, REPO

MINIMAL = """\
[org]
name = acme
ops_account = ops

[account ops]
id = 111111111111

[account dev]
id = 222222222222
environment = dev

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[team platform]
members = alice
dev = admin

[user alice]
"""


def parse(text: str, base_dir: Path = EXAMPLES) -> tuple[Org | None, list[Problem]]:
    return parse_org(text, "org.ini", base_dir)


def valid(text: str, base_dir: Path = EXAMPLES) -> Org:
    org, problems = parse(text, base_dir)
    assert org is not None, [str(p) for p in problems]
    return org


def errors(text: str, base_dir: Path = EXAMPLES) -> list[str]:
    """The error lines of an invalid org file (asserting that the model is refused)."""
    org, problems = parse(text, base_dir)
    assert org is None
    return [str(p) for p in problems if p.is_error]


def warnings(text: str) -> list[str]:
    return [str(p) for p in parse(text)[1] if not p.is_error]


def line_of(text: str, fragment: str) -> int:
    """1-based number of the first line containing ``fragment``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in text")


def policy_file(name: str) -> PolicyFile:
    document = json.loads((REPO / "policies" / name).read_text())
    return PolicyFile(name.removesuffix(".json"), name, policies.canonical_json(document))


# -- defaults and the model -----------------------------------------------------------------------


def test_minimal_org_has_no_problems() -> None:
    assert parse(MINIMAL)[1] == []


def test_defaults() -> None:
    org = valid(MINIMAL)
    assert org.name == "acme"
    assert org.region == "us-east-1"
    assert org.partition == "aws"
    assert org.ops_account == "ops"
    assert org.billing_account == "ops"  # billing defaults to the ops account
    assert org.billing == org.ops == Account("ops", "111111111111")
    assert org.mfa_required is True
    assert org.mfa_max_age == 12 * 3600
    assert org.session_duration == 3600
    assert org.bootstrap_role == "OrganizationAccountAccessRole"
    assert org.path == "/awsroles/"
    assert org.mfa_enrollment == "admin" and not org.self_mfa_enrollment  # admins enrol MFA devices
    assert org.source == Path("org.ini")
    assert org.roles == (Role("admin", ("arn:aws:iam::aws:policy/AdministratorAccess",), (), 3600, ""),)
    assert org.users == (User("alice", "", (), False),)
    assert org.teams == (Team("platform", ("alice",), (Grant("dev", "admin"),), ""),)
    assert org.role_arn("dev", "admin") == "arn:aws:iam::222222222222:role/awsroles/admin"


def test_every_org_setting() -> None:
    text = MINIMAL.replace(
        "ops_account = ops\n",
        "ops_account = ops\nbilling_account = dev\nregion = cn-north-1\nmfa = optional\nmfa_max_age = 1h30m\n"
        "session_duration = 2h\nbootstrap_role = Bootstrap\npath = /people/ops/\n",
    )
    text = text.replace("arn:aws:iam::aws:policy", "arn:aws-cn:iam::aws:policy")
    text = text.replace("AdministratorAccess\n", "AdministratorAccess\nmax_session = 2h\n")
    org = valid(text)
    assert (org.billing_account, org.region, org.partition) == ("dev", "cn-north-1", "aws-cn")
    assert (org.mfa_required, org.mfa_max_age, org.session_duration) == (False, 5400, 7200)
    assert (org.bootstrap_role, org.path) == ("Bootstrap", "/people/ops/")
    assert org.role_arn("dev", "admin") == "arn:aws-cn:iam::222222222222:role/people/ops/admin"


def test_mfa_is_case_insensitive() -> None:
    assert valid(MINIMAL.replace("ops_account = ops\n", "ops_account = ops\nmfa = Optional\n")).mfa_required is False
    assert valid(MINIMAL.replace("ops_account = ops\n", "ops_account = ops\nmfa = REQUIRED\n")).mfa_required is True


def test_classic_example_model(classic_org_path: Path) -> None:
    org, problems = check_org(classic_org_path)
    assert problems == []
    assert org == Org(
        name="acme",
        region="us-east-1",
        ops_account="ops",
        billing_account="ops",
        mfa_required=True,
        mfa_max_age=43200,
        session_duration=3600,
        bootstrap_role="OrganizationAccountAccessRole",
        path="/awsroles/",
        accounts=(
            Account("ops", "111111111111", None, "IAM users, nothing else"),
            Account("dev", "222222222222", "dev", ""),
            Account("stage", "333333333333", "stage", ""),
            Account("prod", "444444444444", "prod", ""),
        ),
        roles=(
            Role("admin", ("arn:aws:iam::aws:policy/AdministratorAccess",), (), 3600,
                 "Full access, for the platform team"),
            Role("developer", ("arn:aws:iam::aws:policy/PowerUserAccess",), (policy_file("deny-iam-writes.json"),),
                 4 * 3600, "Build and run services; no IAM changes"),
            Role("readonly", ("arn:aws:iam::aws:policy/ReadOnlyAccess",), (), 8 * 3600, "Look, do not touch"),
        ),
        teams=(
            Team("platform", ("alice",), (Grant("dev", "admin"), Grant("stage", "admin"), Grant("prod", "admin")),
                 "Runs the platform"),
            Team("backend", ("bob",), (Grant("dev", "developer"), Grant("dev", "readonly")), "Builds the services"),
        ),
        users=(
            User("alice", "alice@acme.example", (), True),
            User("bob", "bob@acme.example", (("Department", "Backend"),), False),
        ),
    )
    assert org.source == classic_org_path
    assert list(org.environments) == ["dev", "stage", "prod"]
    assert org.grants_in("dev") == ("admin", "developer", "readonly")
    assert org.teams_of("alice") == (org.team("platform"),)


def test_large_example_is_valid_without_warnings() -> None:
    org, problems = check_org(EXAMPLES / "large.ini")
    assert [str(p) for p in problems] == []
    assert org is not None
    assert org.name == "globex"
    assert org.billing_account != org.ops_account
    assert len(org.environments) >= 6
    assert len(org.roles) >= 5
    assert len(org.teams) >= 6
    assert 10 <= len(org.users) <= 20
    assert any(role.policies for role in org.roles)
    assert all(org.teams_of(user.name) for user in org.users)


# -- warnings ---------------------------------------------------------------------------------------


def test_warnings_do_not_refuse_the_model() -> None:
    text = MINIMAL + (
        "\n[role auditor]\nmanaged = arn:aws:iam::aws:policy/SecurityAudit\n"
        "\n[team empty]\ndev = admin\n"
        "\n[team idle]\nmembers = alice\n"
        "\n[role nothing]\n"
        "\n[user carol]\n"
    )
    org, problems = parse(text)
    assert org is not None
    assert all(p.severity == "warning" and not p.is_error for p in problems)
    assert [str(p) for p in problems] == [
        f"org.ini:{line_of(text, '[role auditor]')}: warning: role 'auditor' is granted to no team, "
        "so it is created nowhere",
        f"org.ini:{line_of(text, '[team empty]')}: warning: team 'empty' has no members",
        f"org.ini:{line_of(text, '[team idle]')}: warning: team 'idle' is granted no roles",
        f"org.ini:{line_of(text, '[role nothing]')}: warning: role 'nothing' has no managed ARNs and no policies: "
        "it grants nothing",
        f"org.ini:{line_of(text, '[role nothing]')}: warning: role 'nothing' is granted to no team, "
        "so it is created nowhere",
        f"org.ini:{line_of(text, '[user carol]')}: warning: user 'carol' is in no team",
    ]


def test_warning_when_a_role_session_is_shorter_than_the_org_default() -> None:
    text = MINIMAL.replace("ops_account = ops\n", "ops_account = ops\nsession_duration = 2h\n")
    assert warnings(text) == [
        f"org.ini:{line_of(text, '[role admin]')}: warning: role 'admin' max_session 1h is shorter than the "
        "org session_duration 2h; sessions will be shortened"
    ]


def test_warnings_and_errors_come_together() -> None:
    text = MINIMAL.replace("[user alice]", "[team empty]\ndev = admin\n\n[user alice]\nconsole = maybe")
    org, problems = parse(text)
    assert org is None
    assert {p.severity for p in problems} == {"error", "warning"}


# -- lines ------------------------------------------------------------------------------------------


def test_list_items_on_continuation_lines_report_their_own_line() -> None:
    team = "members = alice,\n    bob\n    carol\ndev =\n  admin\n  ops"
    text = MINIMAL.replace("members = alice\ndev = admin", team)
    assert errors(text) == [
        f"org.ini:{line_of(text, '    bob')}: undefined user 'bob' in team 'platform'; add a [user bob] section",
        f"org.ini:{line_of(text, '    carol')}: undefined user 'carol' in team 'platform'; add a [user carol] section",
        f"org.ini:{line_of(text, '  ops')}: undefined role 'ops' in team 'platform'",
    ]


def test_managed_arns_on_continuation_lines_report_their_own_line() -> None:
    text = MINIMAL.replace("AdministratorAccess\n", "AdministratorAccess\n    ReadOnlyAccess\n")
    assert errors(text) == [
        f"org.ini:{line_of(text, '    ReadOnlyAccess')}: 'ReadOnlyAccess' is not a managed policy ARN "
        "(arn:aws:iam::aws:policy/NAME)"
    ]


def test_a_duplicated_key_is_reported_at_the_line_whose_value_counts() -> None:
    """configparser keeps the last value, so problems with it point at the last line."""
    text = MINIMAL.replace("members = alice\n", "members = alice\nmembers = alice, bob\n")
    assert errors(text) == [
        "org.ini:17: duplicate key 'members' in [team platform] (first at line 16)",
        "org.ini:17: undefined user 'bob' in team 'platform'; add a [user bob] section",
    ]


def test_a_third_copy_of_a_key_names_the_first() -> None:
    text = MINIMAL.replace("dev = admin\n", "dev = admin\ndev = admin\ndev = x\n")
    assert errors(text) == [
        "org.ini:18: duplicate key 'dev' in [team platform] (first at line 17)",
        "org.ini:19: duplicate key 'dev' in [team platform] (first at line 17)",
        "org.ini:19: undefined role 'x' in team 'platform'",
    ]


def test_value_without_key_ends_the_value_above_as_configparser_does() -> None:
    """A '= value' line is an error; an indented line after it is a new key, not a continuation."""
    text = MINIMAL.replace("dev = admin\n", "dev = admin\n= admin\n  description = Platform\n")
    assert [str(p) for p in parse(text)[1]] == [f"org.ini:{line_of(text, 'description') - 1}: cannot parse '= admin': "
                                          "expected 'key = value'"]
    document = read_ini(text, "org.ini")
    team = next(s for s in document.sections if s.name == "team platform")
    assert team.keys["description"].value == "Platform"
    assert team.keys["description"].line == line_of(text, "description")
    assert "" not in team.keys


def test_an_indented_header_after_a_value_without_key_is_a_section() -> None:
    text = MINIMAL.replace("[user alice]\n", "= x\n  [user alice]\n")
    assert errors(text) == [f"org.ini:{line_of(text, '= x')}: cannot parse '= x': expected 'key = value'"]


# -- comments ---------------------------------------------------------------------------------------


def test_comments_are_ignored() -> None:
    text = (
        "; full-line comment\n# another\n   ; indented comment\n"
        + MINIMAL.replace("name = acme", "name = acme ; inline comment")
        .replace("members = alice", "members = alice    # bob is not a member")
        .replace("dev = admin", "dev = admin\t; readonly later\n# dev = readonly")
        .replace("[user alice]", "[user alice]   ; the first user\nemail = alice@acme.example;x ;comment")
    )
    org = valid(text)
    assert org.name == "acme"
    assert org.team("platform").members == ("alice",)
    assert org.team("platform").grants == (Grant("dev", "admin"),)
    assert org.user("alice").email == "alice@acme.example;x"  # ';' inside a word is text


def test_a_semicolon_inside_a_value_is_not_a_comment() -> None:
    text = MINIMAL.replace("[user alice]", "[user alice]\n").replace(
        "managed =", "description = Build; run, deploy#1\nmanaged ="
    )
    assert valid(text).role("admin").description == "Build; run, deploy#1"


def test_comment_prefixes_compete_as_configparser_decides() -> None:
    """Up to Python 3.12 configparser finds the two comment prefixes step by step, from 3.13 the
    earliest wins: '[role a;b ;c] #x' is a section header in one and a bad line in the other."""
    text = MINIMAL + "\n[role a;b ;c] #x\nk = v ;c #d\n"
    parser = new_parser()
    with contextlib.suppress(configparser.ParsingError):
        parser.read_string(text)
    document = read_ini(text, "org.ini")
    assert [s.name for s in document.sections] == parser.sections()
    for section in document.sections:
        assert sorted(section.keys) == sorted(parser.options(section.name))
    header, key = line_of(text, "[role a;b"), line_of(text, "k = v")
    problems = errors(text)
    if sys.version_info < (3, 13):  # a section whose name is not valid, holding k
        assert (document.sections[-1].name, document.sections[-1].line) == ("role a;b ;c", header)
        assert list(document.sections[-1].keys) == ["k"]
        assert f"org.ini:{header}: role name 'a;b ;c' is not valid: use letters, digits and + = , . @ _ -" in problems
        assert f"org.ini:{key}: unknown key 'k' in [role a;b ;c]" in problems
    else:  # a bad line: k stays in the section before it
        assert [s.name for s in document.sections][-1] == "user alice"
        assert list(document.sections[-1].keys) == ["k"]
        assert f"org.ini:{header}: cannot parse '[role a;b': expected 'key = value'" in problems
        assert f"org.ini:{key}: unknown key 'k' in [user alice]" in problems


def test_a_commented_line_ends_a_multi_line_value() -> None:
    text = MINIMAL.replace("members = alice\n", "members = alice\n    ; bob\n    carol\n")
    assert errors(text) == [f"org.ini:{line_of(text, '    carol')}: cannot parse 'carol': expected 'key = value'"]


# -- sections and keys ------------------------------------------------------------------------------


def test_default_section_is_an_unknown_section_and_leaks_nothing() -> None:
    text = MINIMAL + "\n[DEFAULT]\nregion = eu-west-1\nmembers = bob\n"
    assert errors(text) == [
        f"org.ini:{line_of(text, '[DEFAULT]')}: unknown section [DEFAULT]; expected one of [org], "
        "[account NAME], [ou PATH], [role NAME], [team NAME], [user NAME], [temporary ID], [request ID], "
        "[break-glass ENV]"
    ]
    sections = {section.name: section for section in read_ini(text, "org.ini").sections}
    assert set(sections["DEFAULT"].keys) == {"region", "members"}
    assert all("region" not in s.keys for name, s in sections.items() if name != "DEFAULT")
    assert sections["team platform"].keys["members"].value == "alice"


def test_keys_are_case_sensitive() -> None:
    text = MINIMAL.replace("members = alice", "Members = alice").replace("name = acme", "name = acme\nName = x")
    assert errors(text) == [
        "org.ini:3: unknown key 'Name' in [org] (did you mean 'name'?)",
        f"org.ini:{line_of(text, 'Members')}: unknown key 'Members' in [team platform] (did you mean 'members'?)",
    ]


def test_team_keys_are_environments_unless_they_look_like_team_keys() -> None:
    text = MINIMAL.replace("dev = admin", "dev = admin\ndevv = admin\nstage = admin\nmember = alice\ndescriptio = x")
    assert errors(text) == [
        f"org.ini:{line_of(text, 'devv')}: undefined environment 'devv' in team 'platform' (did you mean 'dev'?)",
        f"org.ini:{line_of(text, 'stage')}: undefined environment 'stage' in team 'platform'",
        f"org.ini:{line_of(text, 'member =')}: unknown key 'member' in [team platform] (did you mean 'members'?)",
        f"org.ini:{line_of(text, 'descriptio')}: unknown key 'descriptio' in [team platform] "
        "(did you mean 'description'?)",
    ]


def test_section_names_with_extra_spaces_are_the_same_section() -> None:
    text = MINIMAL + "\n[user   alice]\n\n[org ]\n"
    assert errors(text) == [
        f"org.ini:{line_of(text, '[user   alice]')}: duplicate section [user alice] (first at line 19)",
        f"org.ini:{line_of(text, '[org ]')}: duplicate section [org] (first at line 1)",
    ]


def test_sections_need_names_and_org_takes_none() -> None:
    text = MINIMAL + "\n[role]\n\n[org acme]\n"
    assert errors(text) == [
        f"org.ini:{line_of(text, '[role]')}: [role] needs a name: [role NAME]",
        f"org.ini:{line_of(text, '[org acme]')}: [org] takes no name: [org acme]",
    ]


def test_empty_file_misses_org() -> None:
    assert errors("") == ["org.ini:1: missing [org] section (it names the org and its ops account)"]
    assert errors("; nothing but a comment\n\n") == [
        "org.ini:1: missing [org] section (it names the org and its ops account)"
    ]


def test_text_before_the_first_section_is_the_only_problem() -> None:
    assert errors("\n; comment\nname = acme\n" + MINIMAL) == [
        "org.ini:3: expected a [section] header before 'name = acme'"
    ]


def test_org_needs_name_and_ops_account() -> None:
    text = "[org]\nregion = us-east-1\n\n[account ops]\nid = 111111111111\n"
    assert errors(text) == [
        "org.ini:1: [org] needs a name",
        "org.ini:1: [org] needs ops_account (the account where people log in)",
    ]


# -- values -----------------------------------------------------------------------------------------


def test_a_bad_ops_account_id_is_not_also_an_undefined_account() -> None:
    assert errors(MINIMAL.replace("111111111111", "1111")) == ["org.ini:6: account id '1111' is not 12 digits"]


def test_multi_line_values_give_one_line_messages() -> None:
    text = MINIMAL.replace("[user alice]\n", "[user alice]\nemail = alice@acme.example\n  second line\n")
    assert errors(text) == [
        f"org.ini:{line_of(text, 'email')}: email 'alice@acme.example\\nsecond line' is not an e-mail address"
    ]


def test_tags_and_console() -> None:
    text = MINIMAL.replace("[user alice]\n", "[user alice]\ntags = Team=platform,\n  Floor = 3\nconsole = On\n")
    assert valid(text).user("alice") == User("alice", "", (("Floor", "3"), ("Team", "platform")), True)


def test_duplicate_account_environment_and_role_grant() -> None:
    text = MINIMAL.replace(
        "[role admin]", "[account dev2]\nid = 222222222222\nenvironment = dev\n\n[role admin]"
    ).replace("dev = admin", "dev = admin admin")
    assert errors(text) == [
        f"org.ini:{line_of(text, 'dev2') + 1}: duplicate account id 222222222222 (also account 'dev' at line 9)",
        f"org.ini:{line_of(text, 'dev2') + 2}: environment 'dev' is already held by account 'dev' (line 10); "
        "one account per environment",
        f"org.ini:{line_of(text, 'dev = admin admin')}: duplicate role 'admin' for dev in team 'platform'",
    ]


# -- policy files -----------------------------------------------------------------------------------


def write_policy(directory: Path, name: str, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")


def test_policy_files_are_read_from_policy_dir_relative_to_the_org_file(tmp_path: Path) -> None:
    write_policy(tmp_path / "docs", "read-s3.json", '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", '
                 '"Action": ["s3:List*", "s3:Get*"], "Resource": "*"}}')
    text = MINIMAL.replace("ops_account = ops", "ops_account = ops\npolicy_dir = docs").replace(
        "AdministratorAccess\n", "AdministratorAccess\npolicies = read-s3.json\n"
    )
    role = valid(text, tmp_path).role("admin")
    assert role.policies == (
        PolicyFile("read-s3", "read-s3.json", policies.canonical_json(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
                                                     "Resource": "*"}]})),
    )


def test_bad_policy_files(tmp_path: Path) -> None:
    policy_dir = tmp_path / "policies"
    write_policy(policy_dir, "broken.json", '{\n  "Statement": [\n    {"Effect": "Allow",,}\n  ]\n}\n')
    write_policy(policy_dir, "deep.json", "[" * 100_000 + "]" * 100_000)
    write_policy(policy_dir, "list.json", "[]")
    (policy_dir / "latin1.json").write_bytes(b'{"Sid": "caf\xe9"}')
    (policy_dir / "a-directory.json").mkdir()
    text = MINIMAL.replace(
        "AdministratorAccess\n",
        "AdministratorAccess\npolicies = broken.json deep.json list.json\n"
        "  latin1.json a-directory.json absent.json\n"
        f"  {'x' * 300}.json\n",
    )
    refs = line_of(text, "policies =")
    org, problems = parse_org(text, str(tmp_path / "org.ini"), tmp_path)
    assert org is None
    shown = {p.file for p in problems}
    assert len(shown) == 4  # the org file and the three unreadable documents
    by_message = {p.message.split(";")[0]: p for p in problems}
    assert by_message["not valid JSON: Expecting property name enclosed in double quotes (column 24)"].line == 3
    assert by_message["not valid JSON: nested too deeply"].line == 1
    assert by_message["not an IAM policy: expected an object with a Statement list"].line == 1
    assert sum("cannot be read" in p.message and p.line == refs + 1 for p in problems) == 1
    assert sum(p.message.endswith("a-directory.json not found") and p.line == refs + 1 for p in problems) == 1
    assert sum(p.message.endswith("absent.json not found") and p.line == refs + 1 for p in problems) == 1
    assert sum(p.message.endswith("x.json not found") and p.line == refs + 2 for p in problems) == 1


def test_policy_file_name_must_be_an_iam_policy_name(tmp_path: Path) -> None:
    write_policy(tmp_path / "policies", "bad$name.json", '{"Statement": [{"Effect": "Allow"}]}')
    text = MINIMAL.replace("AdministratorAccess\n", "AdministratorAccess\npolicies = bad$name.json\n")
    assert errors(text, tmp_path) == [
        "org.ini:14: policy file name 'bad$name' cannot be an IAM policy name: use letters, digits and + = , . @ _ -"
    ]


# -- files ------------------------------------------------------------------------------------------


def test_check_org_missing_file_and_directory(tmp_path: Path) -> None:
    org, problems = check_org(tmp_path / "absent.ini")
    assert org is None
    assert [str(p) for p in problems] == [f"{tmp_path / 'absent.ini'}: no such file (use --file or $AWSROLES_FILE)"]
    assert problems[0].line == 0
    org, problems = check_org(tmp_path)
    assert org is None
    assert [str(p) for p in problems] == [f"{tmp_path}: is a directory, not an org file"]


def test_check_org_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_bytes(MINIMAL.replace("[user alice]", "[user alice]\n; caf\xe9").encode("latin-1"))
    org, problems = check_org(path)
    assert org is None
    assert [str(p) for p in problems] == [f"{path}:20: not valid UTF-8 (byte 0xe9)"]


def test_check_org_nul_byte(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_bytes(MINIMAL.encode().replace(b"[role admin]", b"[role ad\x00min]"))
    org, problems = check_org(path)
    assert org is None
    assert [str(p) for p in problems] == [f"{path}:12: contains a NUL byte: not a text file"]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_check_org_utf8_bom_and_other_line_endings(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "org.ini"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.replace("\n", newline).encode())
    org, problems = check_org(path)
    assert problems == []
    assert org == valid(MINIMAL)
    path.write_bytes(MINIMAL.replace("dev = admin", "dev = root").replace("\n", newline).encode())
    assert [p.line for p in check_org(path)[1]] == [line_of(MINIMAL, "dev = admin")]


def test_check_org_reads_policies_next_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(MINIMAL.replace("AdministratorAccess\n", "AdministratorAccess\npolicies = p.json\n"))
    write_policy(tmp_path / "policies", "p.json", '{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}')
    org, problems = check_org(path)
    assert problems == []
    assert org is not None and org.role("admin").policies[0].name == "p"


def test_load_org_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(MINIMAL.replace("dev = admin", "dev = admin, root\nprod = admin"))
    with pytest.raises(OrgFileError) as info:
        load_org(path)
    assert info.value.exit_code == ExitCode.USAGE
    assert len(info.value.problems) == 2
    assert str(info.value).endswith("(and 1 more)")
    assert load_org(EXAMPLES / "classic.ini").name == "acme"


def test_resolve_path_order() -> None:
    assert resolve_path("a.ini", {"AWSROLES_FILE": "b.ini"}) == Path("a.ini")
    assert resolve_path(None, {"AWSROLES_FILE": "b.ini"}) == Path("b.ini")
    assert resolve_path(None, {}) == Path("awsroles.ini")
    assert resolve_path("", {"AWSROLES_FILE": ""}) == Path("awsroles.ini")


def _parse_with_policy(tmp_path: Path, body: str) -> tuple[object, list[str]]:
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "p.json").write_text(body)
    text = ("[org]\nname = x\nops_account = ops\n[account ops]\nid = 111111111111\nenvironment = ops\n"
            "[role r]\npolicies = p.json\n[team t]\nmembers = uu\nops = r\n[user uu]\n")
    org, problems = parse_org(text, str(tmp_path / "org.ini"), tmp_path)
    return org, [str(p) for p in problems]


def test_nan_in_a_policy_is_reported_at_its_line(tmp_path: Path) -> None:
    org, problems = _parse_with_policy(tmp_path, '{"Statement": [\n {"Effect": "Allow",\n "X": NaN}]}')
    assert org is None
    assert problems == [f"{tmp_path / 'policies' / 'p.json'}:3: not valid JSON: NaN is not a JSON value; "
                        f"referenced from {tmp_path / 'org.ini'}:8"]


def test_an_invalid_role_name_is_reported_once_not_at_every_reference(tmp_path: Path) -> None:
    text = ("[org]\nname = x\nops_account = ops\n[account ops]\nid = 111111111111\nenvironment = ops\n"
            "[role bad/name]\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n"
            "[team t]\nmembers = uu\nops = bad/name\n[user uu]\n")
    org, problems = parse_org(text, "org.ini", tmp_path)
    assert org is None
    assert [p.line for p in problems if p.is_error] == [7]


def test_tags_must_be_nfc(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301"
    text = (f"[org]\nname = x\nops_account = ops\n[account ops]\nid = 111111111111\n"
            f"[user uu]\ntags = Place={decomposed}\n")
    org, problems = parse_org(text, "org.ini", tmp_path)
    assert org is None
    assert any("characters IAM does not accept" in p.message and p.line == 7 for p in problems)


# -- issue 10: names AWS cannot use, empty keys, who enrols MFA devices -------------------------------


def test_mfa_enrollment_is_admin_or_self() -> None:
    def org_with(value: str) -> str:
        return MINIMAL.replace("ops_account = ops\n", f"ops_account = ops\nmfa_enrollment = {value}\n")

    assert valid(org_with("self")).self_mfa_enrollment is True
    assert valid(org_with("Admin")).mfa_enrollment == "admin"
    assert errors(org_with("users")) == ["org.ini:4: mfa_enrollment: expected admin or self, got 'users'"]
    assert errors(org_with("")) == ["org.ini:4: mfa_enrollment: expected admin or self, got ''"]


def test_an_empty_ops_account_is_a_file_line_error_not_a_crash(tmp_path: Path) -> None:
    """Found by fuzzing: `ops_account =` crashed every command with KeyError: ''."""
    text = MINIMAL.replace("ops_account = ops\n", "ops_account =\n")
    assert errors(text) == ["org.ini:3: ops_account is empty: name the [account NAME] where people log in"]
    text = MINIMAL.replace("ops_account = ops\n", "ops_account = ops\nbilling_account =  ; later\n")
    assert errors(text) == ["org.ini:4: billing_account is empty: name an [account NAME], or leave the key out to "
                            "use ops_account"]
    from tests.unit.test_cli import invoke

    path = tmp_path / "awsroles.ini"
    path.write_text(MINIMAL.replace("ops_account = ops\n", "ops_account =\n"))
    for command in (["validate"], ["access"], ["export", "policies", str(tmp_path / "out")]):
        code, _, err = invoke("-f", str(path), *command)
        assert code == ExitCode.USAGE, (command, err)
        assert f"{path}:3: ops_account is empty" in err and "KeyError" not in err and "internal error" not in err


def test_one_letter_user_names_are_refused_two_letters_are_fine() -> None:
    """Found by fuzzing: a one-letter user validated but could never log in: RoleSessionName and
    SourceIdentity (both the user name) need 2 to 64 characters."""
    def with_user(name: str) -> str:
        return MINIMAL.replace("members = alice", f"members = alice, {name}").replace(
            "[user alice]\n", f"[user alice]\n[user {name}]\n")

    text = with_user("x")
    assert errors(text) == [
        f"org.ini:{line_of(text, '[user x]')}: user name 'x' is 1 character; AWS needs at least 2 for the session "
        "name and source identity of every role session, so 'x' could never assume a role"
    ]
    assert valid(with_user("xy")).user("xy").name == "xy"
    longest = "u" * 64
    assert valid(with_user(longest)).user(longest).name == longest


def test_names_that_differ_only_in_case_are_refused_at_the_second() -> None:
    """IAM refuses a second user, role, group or policy name that differs only in case."""
    text = MINIMAL.replace("[user alice]\n", "[user Alice]\n[user alice]\n")
    assert errors(text) == [f"org.ini:{line_of(text, '[user alice]')}: user name 'alice' differs only in case "
                            f"from user 'Alice' (line {line_of(text, '[user Alice]')}); IAM names ignore case"]
    text = MINIMAL.replace("[role admin]\n", "[role ADMIN]\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n"
                           "[role admin]\n")
    assert errors(text) == [f"org.ini:{line_of(text, '[role admin]')}: role name 'admin' differs only in case "
                            f"from role 'ADMIN' (line {line_of(text, '[role ADMIN]')}); IAM names ignore case"]
    # team names are lower-case, so team-Ops and team-ops can never both be asked for
    text = MINIMAL.replace("[team platform]", "[team Ops]\nmembers = alice\ndev = admin\n[team ops]")
    assert errors(text) == [f"org.ini:{line_of(text, '[team Ops]')}: team name 'Ops' is not valid: use lower-case "
                            "letters, digits and '-', starting with a letter or digit"]


def test_a_role_cannot_take_the_bootstrap_roles_name() -> None:
    text = MINIMAL.replace("ops_account = ops\n", "ops_account = ops\nbootstrap_role = Bootstrap\n").replace(
        "[role admin]", "[role bootstrap]").replace("dev = admin", "dev = bootstrap")
    assert errors(text) == [f"org.ini:{line_of(text, '[role bootstrap]')}: role name 'bootstrap' is taken by the "
                            "bootstrap_role in every environment account (IAM role names are unique in an account, "
                            "whatever their path or case)"]


def test_policy_names_from_files_in_other_folders_must_differ_in_more_than_case(tmp_path: Path) -> None:
    (tmp_path / "policies" / "b").mkdir(parents=True)
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}'
    (tmp_path / "policies" / "deny.json").write_text(document)
    (tmp_path / "policies" / "b" / "Deny.json").write_text(document)
    text = MINIMAL.replace("AdministratorAccess\n", "AdministratorAccess\npolicies = deny.json, b/Deny.json\n")
    assert errors(text, tmp_path) == [f"org.ini:{line_of(text, 'policies =')}: policy file names 'deny' and 'Deny' "
                                      "in role 'admin' differ only in case; IAM policy names ignore case"]


@pytest.mark.parametrize("kind", ["user", "role", "team", "account"])
def test_path_looking_names_are_refused(kind: str) -> None:
    text = MINIMAL + f"\n[{kind} awsroles/evil]\n"
    found = errors(text)
    where = f"org.ini:{line_of(text, 'awsroles/evil')}: {kind} name 'awsroles/evil' is not valid"
    assert any(e.startswith(where) for e in found), found


@pytest.mark.parametrize("path", ["/a*/", "/team?/", "/${aws:username}/"])
def test_a_path_with_wildcards_or_variables_is_refused(path: str) -> None:
    """The trust policy trusts users by path (ArnLike arn:...:user/PATH/*): a '*' or '?' in the path
    would widen it, a '${...}' would be a policy variable."""
    text = MINIMAL.replace("ops_account = ops\n", f"ops_account = ops\npath = {path}\n")
    assert errors(text) == [f"org.ini:4: path '{path}' has '*', '?' or '$': the trust policy matches people by this "
                            "path (ArnLike aws:PrincipalArn), where those are wildcards and policy variables"]


@pytest.mark.parametrize("name", ["classic.ini", "large.ini", "identity-center.ini"])
def test_lookups_by_name_find_what_a_search_in_file_order_finds(name: str) -> None:
    """The org's lookups (worked out once) against a plain search of its sections, for every name it
    has and for a name it lacks."""
    org = load_org(EXAMPLES / name)
    for user in org.users:
        assert org.user(user.name) is user
        assert org.teams_of(user.name) == tuple(t for t in org.teams if user.name in t.members)
        assert org.user_path(user.name) == (user.path or org.path)
        assert org.user_boundary_of(user.name) == (user.boundary or org.user_boundary)
    for team in org.teams:
        assert org.team(team.name) is team
    for role in org.roles:
        assert org.role(role.name) is role
        assert org.role_path(role.name) == (role.path or org.path)
    assert org.teams_of("nobody") == () and org.user_path("nobody") == org.path
    for lookup in (org.user, org.team, org.role):
        with pytest.raises(KeyError):
            lookup("nobody")
