"""Break-glass: the ``[break-glass ENV]`` section, its role's trust policy, the people's policy, the
alarm's rule pattern and topic policy (docs/temporary-access.md#break-glass)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awsroles.iam import breakglass, policies
from awsroles.iam.checks import parse_org as iam_parse_org
from awsroles.iam.desired import desired_state, flatten
from awsroles.org.entries import BreakGlass
from awsroles.org.marks import BREAK_GLASS_POLICY_NAME
from awsroles.org.model import Org
from tests.conftest import EXAMPLES
from tests.unit.test_cli import invoke

CLASSIC = (EXAMPLES / "classic.ini").read_text()
SECTION = """
[break-glass prod]
people = alice, bob
managed = arn:aws:iam::aws:policy/AdministratorAccess
alarm_email = security@acme.example
"""


def parse(extra: str) -> tuple[Org | None, list[str]]:
    org, problems = iam_parse_org(CLASSIC + extra, "org.ini", EXAMPLES)
    return org, [str(p) for p in problems]


def line_of(extra: str, needle: str) -> int:
    return (CLASSIC + extra).splitlines().index(needle) + 1


def test_a_break_glass_section_reads_into_the_model() -> None:
    org, problems = parse(SECTION)
    assert org is not None, problems
    assert org.break_glass == (BreakGlass("prod", ("alice", "bob"), "breakglass",
                                          ("arn:aws:iam::aws:policy/AdministratorAccess",), (),
                                          "security@acme.example", 3600),)
    assert org.break_glass_in("prod") == org.break_glass[0] and org.break_glass_in("dev") is None
    assert "breakglass" not in org.grants_in("prod")  # never a team's role


@pytest.mark.parametrize(("extra", "needle", "message"), [
    ("\n[break-glass prd]\npeople = alice\n", "[break-glass prd]",
     "[break-glass prd]: undefined environment 'prd' (did you mean 'prod'?)"),
    ("\n[break-glass prod]\nrole = x\n", "[break-glass prod]", "[break-glass prod] needs people"),
    ("\n[break-glass prod]\npeople = alice, carl\n", "people = alice, carl",
     "undefined user 'carl' in [break-glass prod]"),
    ("\n[break-glass prod]\npeople = alice, alice\n", "people = alice, alice",
     "'alice' is named twice in [break-glass prod]"),
    ("\n[break-glass prod]\npeople = alice\nrole = Admin\n", "role = Admin",
     "[break-glass prod]: role name 'Admin' is [role admin]'s"),
    ("\n[break-glass prod]\npeople = alice\nrole = organizationaccountaccessrole\n",
     "role = organizationaccountaccessrole", "is taken by the bootstrap_role"),
    ("\n[break-glass prod]\npeople = alice\nrole = a/b\n", "role = a/b", "role name 'a/b' is not valid"),
    ("\n[break-glass prod]\npeople = alice\nalarm_email = nobody\n", "alarm_email = nobody",
     "alarm_email 'nobody' is not an e-mail address"),
    ("\n[break-glass prod]\npeople = alice\nmax_session = 30m\n", "max_session = 30m", "max_session: 30m is outside"),
    ("\n[break-glass prod]\npeople = alice\nmanaged = arn:aws:iam::aws:policy/x, nope\n",
     "managed = arn:aws:iam::aws:policy/x, nope", "'nope' is not a managed policy ARN"),
    ("\n[break-glass prod]\npeople = alice\npolicies = missing.json\n", "policies = missing.json", "missing.json"),
    ("\n[break-glass prod]\npeople = alice\nteam = platform\n", "team = platform",
     "unknown key 'team' in [break-glass prod]"),
])
def test_every_mistake_is_one_error_at_its_line(extra: str, needle: str, message: str) -> None:
    org, problems = parse(extra)
    assert org is None
    errors = [p for p in problems if "warning" not in p]
    assert any(p.startswith(f"org.ini:{line_of(extra, needle)}: ") and message in p for p in errors), errors


IC = (EXAMPLES / "identity-center.ini").read_text()
IC_SECTION = "\n[break-glass prod]\npeople = alice\nmanaged = arn:aws:iam::aws:policy/AdministratorAccess\n"


def test_in_an_org_on_identity_center_alone_the_people_come_from_a_permission_set_of_their_own() -> None:
    """The break-glass role is still an IAM role in prod, the only IAM resource awsroles wants there;
    its trust is prod's own account, narrowed to the role Identity Center makes for the break-glass
    permission set; that set is assigned to alice, in prod only, and allows nothing but the org's
    break-glass roles."""
    from awsroles.identity_center.desired import desired_identity_center

    org, problems = iam_parse_org(IC + IC_SECTION, "org.ini", EXAMPLES)
    assert org is not None, problems
    (spec,) = desired_state(org)
    assert spec.account.name == "prod" and not spec.groups and not spec.users and not spec.policies
    (role,) = spec.roles
    assert role.name == "breakglass" and role.path == "/awsroles/"
    trust = json.loads(role.trust_policy)
    assert {json.dumps(s["Principal"]) for s in trust["Statement"]} == {'{"AWS": "arn:aws:iam::444444444444:root"}'}
    reserved = "arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/"
    name = "AWSReservedSSO_awsroles-break-glass_" + "?" * 16
    for statement in trust["Statement"]:
        assert statement["Condition"]["ArnLike"] == {"aws:PrincipalArn": [f"{reserved}*/{name}", f"{reserved}{name}"]}
        assert statement["Condition"]["Null"] == {"aws:RequestTag/awsroles:reason": "false"}
        assert "sts:SetSourceIdentity" not in json.dumps(statement)  # nothing ties one to the person here
    wanted = desired_identity_center(org)
    (gate,) = [p for p in wanted.permission_sets if p.name == "awsroles-break-glass"]
    assert gate.session_duration == "PT1H" and not gate.managed and gate.inline is not None
    assert json.loads(gate.inline)["Statement"] == [{
        "Action": ["sts:AssumeRole", "sts:TagSession"], "Effect": "Allow",
        "Resource": ["arn:aws:iam::444444444444:role/awsroles/breakglass"], "Sid": "BreakGlassRolesOnly"}]
    assert [(a.group, a.account, a.principal_type) for a in wanted.assignments
            if a.permission_set == gate.name] == [("alice", "prod", "USER")]


def test_with_iam_users_too_the_people_assume_it_as_iam_users_and_no_permission_set_is_made() -> None:
    from awsroles.identity_center.desired import desired_identity_center

    both = CLASSIC.replace("[org]\n", "[org]\nidentity = iam-users, identity-center\n"
                           "identity_center_account = ops\n", 1)
    org, problems = iam_parse_org(both + SECTION, "org.ini", EXAMPLES)
    assert org is not None, problems
    assert breakglass.trust_policy(org, org.break_glass[0])["Statement"][0]["Principal"]["AWS"] == [
        "arn:aws:iam::111111111111:user/awsroles/alice", "arn:aws:iam::111111111111:user/awsroles/bob"]
    assert "awsroles-break-glass" not in {p.name for p in desired_identity_center(org).permission_sets}


def test_identity_center_alone_caps_the_session_at_an_hour_and_keeps_awsroles_names() -> None:
    text = IC + IC_SECTION + "max_session = 2h\n"
    org, problems = iam_parse_org(text, "org.ini", EXAMPLES)
    assert org is None
    line = text.splitlines().index("max_session = 2h") + 1
    assert any(str(p).startswith(f"org.ini:{line}: ") and "a role chain, which AWS caps at 3600s" in str(p)
               for p in problems), problems
    named = IC.replace("[role readonly]", "[role awsroles-break-glass]").replace("readonly", "awsroles-break-glass")
    org, problems = iam_parse_org(named + IC_SECTION, "org.ini", EXAMPLES)
    assert org is None
    assert any("awsroles names its own permission sets awsroles-break-glass and awsroles-tmp-..." in str(p)
               for p in problems), problems


def test_a_role_without_policies_is_a_warning() -> None:
    org, problems = parse("\n[break-glass prod]\npeople = alice\n")
    assert org is not None
    assert any("warning" in p and "its role grants nothing" in p for p in problems)


def _org() -> Org:
    org, problems = parse(SECTION)
    assert org is not None, problems
    return org


def test_the_trust_policy_names_the_people_and_requires_mfa_source_identity_and_a_reason_tag() -> None:
    org = _org()
    trust = breakglass.trust_policy(org, org.break_glass[0])
    people = ["arn:aws:iam::111111111111:user/awsroles/alice", "arn:aws:iam::111111111111:user/awsroles/bob"]
    assume, tag = sorted(trust["Statement"], key=lambda s: s["Sid"])
    for statement in (assume, tag):
        assert statement["Principal"] == {"AWS": people}  # the people, never the ops root
        condition = statement["Condition"]
        assert condition["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
        assert condition["NumericLessThan"] == {"aws:MultiFactorAuthAge": "43200"}
        assert condition["StringEquals"] == {"sts:SourceIdentity": "${aws:username}"}
        assert condition["Null"] == {"aws:RequestTag/awsroles:reason": "false"}
    assert assume["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]
    assert tag["Action"] == "sts:TagSession"
    assert tag["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["awsroles:reason"]}


def test_mfa_is_required_even_when_the_org_makes_it_optional() -> None:
    from dataclasses import replace

    org = _org()
    optional = replace(org, mfa_required=False)
    trust = breakglass.trust_policy(optional, optional.break_glass[0])
    assert all(s["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"} for s in trust["Statement"])


def test_desired_state_has_the_role_in_the_environment_and_a_policy_for_each_named_person() -> None:
    org = _org()
    specs = {s.account.name: s for s in desired_state(org)}
    role = next(r for r in specs["prod"].roles if r.name == "breakglass")
    assert role.path == "/awsroles/" and role.max_session == 3600
    assert role.managed == ("arn:aws:iam::aws:policy/AdministratorAccess",)
    assert json.loads(role.trust_policy) == breakglass.trust_policy(org, org.break_glass[0])
    assert ("managed-by", "awsroles") in role.tags
    users = {u.name: u for u in specs["ops"].users}
    for person in ("alice", "bob"):
        (inline,) = [p for p in users[person].inline if p.name == BREAK_GLASS_POLICY_NAME]
        (statement,) = json.loads(inline.document)["Statement"]
        assert statement["Resource"] == "arn:aws:iam::444444444444:role/awsroles/breakglass"
        assert statement["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
        assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert not any(r.name == "breakglass" for a in specs.values() for r in a.roles if a.account.name != "prod")


def test_no_team_policy_names_the_break_glass_role() -> None:
    org = _org()
    arn = "arn:aws:iam::444444444444:role/awsroles/breakglass"
    for team in org.teams:
        assert arn not in json.dumps(policies.team_policy(org, team))
    assert not any(arn in r.value for r in flatten(desired_state(org)) if r.type == "aws_iam_group_policy")


def test_the_rule_pattern_matches_assume_role_of_the_role_only() -> None:
    org = _org()
    assert breakglass.rule_pattern(org, org.break_glass[0]) == {
        "source": ["aws.sts"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["sts.amazonaws.com"], "eventName": ["AssumeRole"],
                   "requestParameters": {"roleArn": ["arn:aws:iam::444444444444:role/awsroles/breakglass"]}},
    }


def test_the_topic_policy_lets_only_the_rule_publish() -> None:
    org = _org()
    (statement,) = breakglass.topic_policy(org, "444444444444", "us-east-1")["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == "arn:aws:sns:us-east-1:444444444444:awsroles-break-glass"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:444444444444:rule/awsroles-break-glass"}}


def test_the_alarm_is_in_the_org_region_and_in_us_east_1() -> None:
    from dataclasses import replace

    org = _org()
    assert breakglass.alarm_regions(org) == ("us-east-1",)
    assert breakglass.alarm_regions(replace(org, region="eu-west-1")) == ("eu-west-1", "us-east-1")


def test_a_trust_policy_over_iams_quota_is_an_error_at_the_section() -> None:
    users = "".join(f"\n[user person{n:03d}-with-a-rather-long-name]\n" for n in range(40))
    people = ", ".join(f"person{n:03d}-with-a-rather-long-name" for n in range(40))
    extra = users + f"\n[break-glass prod]\npeople = {people}\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n"
    org, problems = parse(extra)
    assert org is None
    line = line_of(extra, "[break-glass prod]")
    assert any(p.startswith(f"org.ini:{line}: the break-glass role's trust policy is ") for p in problems), problems


def test_setup_records_the_break_glass_roles_that_name_the_person() -> None:
    from awsroles.creds.setup import break_glass_for, grants_for

    org = _org()
    (glass,) = break_glass_for(org, "alice")
    assert (glass.environment, glass.role, glass.role_arn, glass.max_session) == (
        "prod", "breakglass", "arn:aws:iam::444444444444:role/awsroles/breakglass", 3600)
    assert break_glass_for(_org(), "nobody") == ()
    assert not any(g.role == "breakglass" for g in grants_for(org, "alice"))  # never a grant


def test_setup_shows_the_break_glass_environments_apart_from_the_grants(tmp_path: Path) -> None:
    """`setup -o json`'s ``break_glass``: the environments whose break-glass role names the person
    (docs/credentials.md); never in ``environments``."""
    from awsroles.creds.setup import SetupResult, break_glass_for, grants_for
    from awsroles.creds.userconfig import UserConfig

    org = _org()
    config = UserConfig("alice", "arn:aws:iam::111111111111:user/awsroles/alice", "111111111111",
                        grants=grants_for(org, "alice"), break_glass=break_glass_for(org, "alice"))
    shown = SetupResult(config, tmp_path / "config.ini", "file", True).as_dict()
    assert shown["break_glass"] == ["prod"]
    assert "breakglass" not in [r for roles in shown["environments"].values() for r in roles]


def test_the_terraform_export_has_the_role_the_peoples_policies_and_the_alarm_in_each_region() -> None:
    from dataclasses import replace

    from awsroles.export.terraform import terraform_files

    org = replace(_org(), region="eu-west-1")
    files = terraform_files(org)
    prod, ops, providers = files["prod.tf"], files["ops.tf"], files["providers.tf"]
    assert 'resource "aws_iam_role" "prod_breakglass"' in prod
    assert 'resource "aws_iam_user_policy" "ops_alice_awsroles-break-glass"' in ops
    for region in ("eu-west-1", "us-east-1"):
        local = f"prod_break_glass_{region}"
        for kind in ("aws_sns_topic", "aws_sns_topic_policy", "aws_cloudwatch_event_rule",
                     "aws_cloudwatch_event_target", "aws_sns_topic_subscription"):
            assert f'resource "{kind}" "{local}"' in prod, (kind, region)
    assert 'alias               = "prod_us-east-1"' in providers
    assert "arn:aws:events:us-east-1:444444444444:rule/awsroles-break-glass" in prod
    assert files == terraform_files(org)  # byte-stable


def test_the_docs_show_the_documents_awsroles_writes() -> None:
    """docs/temporary-access.md#break-glass shows the trust policy, a person's policy, the rule pattern
    and the topic policy of its example section (alice and bob in prod): exactly these."""
    import re

    from tests.conftest import REPO

    org = _org()
    glass = org.break_glass[0]
    text = (REPO / "docs" / "temporary-access.md").read_text().split("## Break-glass", 1)[1].split("\n## ", 1)[0]
    assert "people = alice, bob" in text
    shown = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]
    assert shown == [breakglass.trust_policy(org, glass), breakglass.person_policy(org, "alice"),
                     breakglass.rule_pattern(org, glass), breakglass.topic_policy(org, "444444444444", "us-east-1")]


def test_ending_a_persons_sessions_covers_their_break_glass_roles() -> None:
    from awsroles.sync.end_sessions import roles_of

    org = _org()
    assert ("prod", "breakglass") in roles_of(org, "bob")  # users disable / offboard bob
    assert roles_of(org, "bob")[-1] == ("prod", "breakglass")


def test_access_lists_break_glass_roles_for_the_people_named_never_under_a_team(tmp_path: Path) -> None:
    from awsroles.iam.access import access_list, matrix

    org = _org()
    assert not any(a.break_glass for a in access_list(org))  # what setup and the demo read: grants only
    rows = [a for a in access_list(org, break_glass=True) if a.break_glass]
    assert [(a.user, a.environment, a.role, a.team, a.role_arn) for a in rows] == [
        ("alice", "prod", "breakglass", "", "arn:aws:iam::444444444444:role/awsroles/breakglass"),
        ("bob", "prod", "breakglass", "", "arn:aws:iam::444444444444:role/awsroles/breakglass")]
    assert rows[0].as_dict()["break_glass"] is True
    assert not access_list(org, team="platform", break_glass=True)[-1].break_glass
    columns, grid = matrix(org, access_list(org, break_glass=True))
    bob = dict(zip(columns, next(line for line in grid if line[0] == "bob"), strict=True))
    assert bob["prod"] == "breakglass (break-glass)"
    _, by_team = matrix(org, access_list(org, break_glass=True), by="team")
    assert not any("break-glass" in cell for line in by_team for cell in line)

    path = tmp_path / "org.ini"
    path.write_text(CLASSIC.replace("../policies", str(EXAMPLES.parent / "policies")) + SECTION)
    code, out, err = invoke("-f", str(path), "access", "--env", "prod", "--role", "breakglass", "-o", "json")
    assert code == 0, err
    assert [(a["user"], a["break_glass"]) for a in json.loads(out)] == [("alice", True), ("bob", True)]
    code, out, _ = invoke("-f", str(path), "access", "--user", "bob", "-o", "csv")
    assert "bob,(break-glass),prod,breakglass,444444444444," in out
    code, out, _ = invoke("-f", str(path), "access", "--user", "bob")
    assert "breakglass (break-glass)" in out


def test_the_docs_show_the_documents_awsroles_writes_in_an_org_on_identity_center_alone() -> None:
    """docs/temporary-access.md, "Break-glass through IAM Identity Center": the role's trust policy
    and the permission set's inline policy of its example section (alice in prod): exactly these."""
    import re

    from awsroles.identity_center.desired import break_glass_permission_set
    from tests.conftest import REPO

    text = (REPO / "docs" / "temporary-access.md").read_text().split("## Break-glass through IAM Identity Center",
                                                                       1)[1].split("\n## ", 1)[0]
    section = re.search(r"```ini\n(.*?)```", text, re.S)
    assert section is not None
    org, problems = iam_parse_org(IC + "\n" + section.group(1), "org.ini", EXAMPLES)
    assert org is not None, problems
    shown = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]
    inline = break_glass_permission_set(org).inline
    assert inline is not None
    assert shown == [breakglass.trust_policy(org, org.break_glass[0]), json.loads(inline)]


def test_in_an_account_apply_has_yet_to_create_the_break_glass_waits_for_its_id() -> None:
    """No assignment and no permission set naming a role without an account id (Identity Center
    would refuse an empty Resource): both come with the apply that has the account's id."""
    from awsroles.identity_center.desired import desired_identity_center

    pending = IC.replace("[account prod]\nid = 444444444444\n", "[account prod]\nemail = prod@acme.example\n")
    org, problems = iam_parse_org(pending + IC_SECTION, "org.ini", EXAMPLES)
    assert org is not None, problems
    assert org.environment_account("prod").pending
    wanted = desired_identity_center(org)
    assert "awsroles-break-glass" not in {p.name for p in wanted.permission_sets}
    assert not [a for a in wanted.assignments if a.permission_set == "awsroles-break-glass"]
