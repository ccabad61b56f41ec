"""Temporary grants: the ``[temporary ID]`` section, its IAM statements, expiry and sizes (docs/temporary-access.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsroles.errors import UsageError
from awsroles.iam import policies
from awsroles.iam.checks import ORG_CHECKS, check_sizes
from awsroles.iam.checks import parse_org as iam_parse_org
from awsroles.iam.desired import desired_state, flatten
from awsroles.org import edit as orgedit
from awsroles.org.checks import Sections
from awsroles.org.entries import TemporaryGrant
from awsroles.org.marks import TEAM_POLICY_NAME, TEMPORARY_POLICY_NAME
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from awsroles.org.temporary import check_expired, format_time, parse_time
from tests.conftest import EXAMPLES, REPO

CLASSIC = (EXAMPLES / "classic.ini").read_text()
NOW = datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc)
SECTION = """
[temporary t-20261129-1402-backend-stage]
team = backend
environment = stage
role = readonly
until = 2026-11-29T18:02:00Z
reason = INC-1234
granted_by = alice
"""


def parse(extra: str, checks: tuple = ()) -> tuple[Org | None, list[str]]:
    text = CLASSIC + extra
    org, problems = parse_org(text, "org.ini", EXAMPLES, checks)
    return org, [str(p) for p in problems]


def line_of(extra: str, needle: str) -> int:
    return (CLASSIC + extra).splitlines().index(needle) + 1


def errors(extra: str) -> list[str]:
    org, problems = parse(extra)
    assert org is None
    return [p for p in problems if "warning" not in p]


def test_a_temporary_section_reads_into_the_model() -> None:
    org, problems = parse(SECTION)
    assert org is not None, problems
    assert org.temporary_grants == (TemporaryGrant(
        "t-20261129-1402-backend-stage", "stage", "readonly", datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc),
        "INC-1234", team="backend", granted_by="alice"),)
    assert "readonly" in org.grants_in("stage")  # the role is created where a temporary grant names it


@pytest.mark.parametrize(("change", "needle", "message"), [
    ("team = backend\nuser = bob\n", "[temporary x]", "needs exactly one of team and user"),
    ("user = bob\n", "user = bob", None),
    ("team = backnd\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29T18:02:00Z\nreason = r\n",
     "team = backnd", "undefined team 'backnd' in [temporary x] (did you mean 'backend'?)"),
    ("team =\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29T18:02:00Z\nreason = r\n",
     "team =", "undefined team '' in [temporary x]"),
    ("user = bobby\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29T18:02:00Z\nreason = r\n",
     "user = bobby", "undefined user 'bobby' in [temporary x] (did you mean 'bob'?)"),
    ("team = backend\nenvironment = stag\nrole = readonly\nuntil = 2026-11-29T18:02:00Z\nreason = r\n",
     "environment = stag", "undefined environment 'stag'"),
    ("team = backend\nenvironment = stage\nrole = reader\nuntil = 2026-11-29T18:02:00Z\nreason = r\n",
     "role = reader", "undefined role 'reader'"),
    ("team = backend\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29 18:02\nreason = r\n",
     "until = 2026-11-29 18:02", "until: '2026-11-29 18:02' is not a UTC time like 2026-11-29T18:02:00Z"),
    ("team = backend\nenvironment = stage\nrole = readonly\nuntil = 2026-11-31T18:02:00Z\nreason = r\n",
     "until = 2026-11-31T18:02:00Z", "until: '2026-11-31T18:02:00Z' is not a valid time"),
    ("team = backend\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29T18:02:00+01:00\nreason = r\n",
     "until = 2026-11-29T18:02:00+01:00", "is not a UTC time"),
    ("team = backend\nenvironment = stage\nrole = readonly\nreason = r\n", "[temporary x]", "needs until"),
    ("team = backend\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29T18:02:00Z\n", "[temporary x]",
     "needs reason"),
    ("team = backend\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29T18:02:00Z\n"
     "from = 2026-11-29T18:02:00Z\nreason = r\n", "from = 2026-11-29T18:02:00Z",
     "from 2026-11-29T18:02:00Z is not before until 2026-11-29T18:02:00Z"),
    ("team = backend\nenvironment = stage\nrole = readonly\nuntil = 2026-11-29T18:02:00Z\nreason = r\nwhy = x\n",
     "why = x", "unknown key 'why'"),
])
def test_mistakes_are_reported_at_their_line(change: str, needle: str, message: str | None) -> None:
    extra = "\n[temporary x]\n" + change
    found = errors(extra)
    if message is None:  # only the other mistakes of that section
        assert not any(f":{line_of(extra, needle)}:" in e for e in found), found
        return
    line = line_of(extra, needle)
    assert any(e.startswith(f"org.ini:{line}: ") and message in e for e in found), found


@pytest.mark.parametrize("bad", ["T-1", "a_b", "x" * 65, "a.b"])
def test_ids_are_lower_case_letters_digits_and_dashes(bad: str) -> None:
    extra = SECTION.replace("t-20261129-1402-backend-stage", bad)
    assert any("is not valid: 1 to 64 lower-case letters" in e for e in errors(extra))


def test_an_expired_grant_is_a_warning_not_an_error() -> None:
    check = check_expired(lambda: datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc))
    org, problems = parse(SECTION, (check,))
    assert org is not None
    line = line_of(SECTION, "[temporary t-20261129-1402-backend-stage]")
    assert (f"org.ini:{line}: warning: temporary grant 't-20261129-1402-backend-stage' expired at "
            "2026-11-29T18:02:00Z: IAM no longer honours it; `awsroles revoke --temporary "
            "t-20261129-1402-backend-stage` removes the section") in problems
    org, problems = parse(SECTION, (check_expired(lambda: NOW),))
    assert not any("expired" in p for p in problems)


def test_times_round_trip() -> None:
    assert parse_time("2026-11-29T18:02Z") == datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
    assert format_time(datetime(2026, 11, 29, 19, 2, 7, 999, tzinfo=timezone(timedelta(hours=1)))) == \
        "2026-11-29T18:02:07Z"


# -- the IAM statements ------------------------------------------------------------------------


def _org(extra: str) -> Org:
    org, problems = parse(extra)
    assert org is not None, problems
    return org


def _team_doc(org: Org, team: str, now: datetime = NOW) -> dict:
    ops = next(s for s in desired_state(org, now) if s.account.name == org.ops_account)
    group = next(g for g in ops.groups if g.name == f"team-{team}")
    return json.loads(next(p.document for p in group.inline if p.name == TEAM_POLICY_NAME))


def test_a_team_grant_is_one_time_bounded_statement_in_the_team_policy() -> None:
    org = _org(SECTION.replace("reason", "from = 2026-11-29T14:02:00Z\nreason"))
    statement = next(s for s in _team_doc(org, "backend")["Statement"] if s["Sid"].startswith("Temporary"))
    assert statement == {
        "Sid": "TemporarytX20261129X1402XbackendXstage",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Resource": "arn:aws:iam::333333333333:role/awsroles/readonly",
        "Condition": {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "DateGreaterThan": {"aws:CurrentTime": "2026-11-29T14:02:00Z"},
            "DateLessThan": {"aws:CurrentTime": "2026-11-29T18:02:00Z"},
            "NumericLessThan": {"aws:MultiFactorAuthAge": "43200"},
            "StringEquals": {"sts:SourceIdentity": "${aws:username}"},
        },
    }
    standing = [s for s in _team_doc(org, "backend")["Statement"] if not s["Sid"].startswith("Temporary")]
    assert standing == [s for s in _team_doc(_org(""), "backend")["Statement"]]


def test_without_from_there_is_no_lower_bound() -> None:
    statement = next(s for s in _team_doc(_org(SECTION), "backend")["Statement"] if s["Sid"].startswith("Temp"))
    assert "DateGreaterThan" not in statement["Condition"]


def test_overlapping_grants_of_one_role_are_kept_apart_and_expire_apart() -> None:
    second = SECTION.replace("t-20261129-1402-backend-stage", "t-2").replace("18:02", "20:00")
    org = _org(SECTION + second)
    sids = {s["Sid"] for s in _team_doc(org, "backend")["Statement"] if s["Sid"].startswith("Temporary")}
    assert sids == {"TemporarytX20261129X1402XbackendXstage", "TemporarytX2"}
    after_first = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
    sids = {s["Sid"] for s in _team_doc(org, "backend", after_first)["Statement"] if s["Sid"].startswith("Temp")}
    assert sids == {"TemporarytX2"}


def test_sids_are_one_to_one_with_ids() -> None:
    ids = ["a-1b", "a1b", "ab-c", "a-bc", "a--b", "a-b"]
    assert len({policies.temporary_sid(i) for i in ids}) == len(ids)
    assert all(policies.temporary_id(policies.temporary_sid(i)) == i for i in ids)
    assert policies.temporary_id("AssumeDevRoles") is None


def test_an_expired_grant_is_not_desired() -> None:
    org = _org(SECTION)
    later = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
    assert not any(s["Sid"].startswith("Temporary") for s in _team_doc(org, "backend", later)["Statement"])


def test_a_user_grant_goes_in_the_users_own_inline_policy() -> None:
    org = _org(SECTION.replace("team = backend", "user = bob"))
    ops = next(s for s in desired_state(org, NOW) if s.account.name == org.ops_account)
    bob = next(u for u in ops.users if u.name == "bob")
    assert [p.name for p in bob.inline] == [TEMPORARY_POLICY_NAME]
    doc = json.loads(bob.inline[0].document)
    assert [s["Sid"] for s in doc["Statement"]] == ["TemporarytX20261129X1402XbackendXstage"]
    assert not next(u for u in ops.users if u.name == "alice").inline
    assert "Temporary" not in json.dumps(_team_doc(org, "backend"))
    later = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
    ops = next(s for s in desired_state(org, later) if s.account.name == org.ops_account)
    assert not next(u for u in ops.users if u.name == "bob").inline
    assert any(r.type == "aws_iam_user_policy" for r in flatten(desired_state(org, NOW)))


def test_a_persons_temporary_grants_are_measured_against_the_user_inline_quota() -> None:
    many = "".join(SECTION.replace("t-20261129-1402-backend-stage", f"t-{i}").replace("team = backend", "user = bob")
                   for i in range(8))
    org = _org(many)
    sections = Sections("org.ini", {("user", "bob"): 77})
    problems = [str(p) for p in check_sizes(org, sections, NOW)]
    assert any(p.startswith("org.ini:77: user 'bob' temporary grants make a") and "IAM allows 2048" in p
               for p in problems), problems
    later = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
    assert check_sizes(org, sections, later) == []  # expired grants take no room


def test_validate_runs_the_size_check_on_temporary_grants() -> None:
    many = "".join(SECTION.replace("t-20261129-1402-backend-stage", f"t-{i}").replace("team = backend", "user = bob")
                   .replace("2026-11-29T18:02:00Z", "2999-01-01T00:00:00Z") for i in range(8))
    org, problems = iam_parse_org(CLASSIC + many, "org.ini", EXAMPLES)
    assert org is None and any("temporary grants make a" in str(p) for p in problems)


# -- edits -------------------------------------------------------------------------------------


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text(CLASSIC.replace("../policies", str(REPO / "policies")))
    return path


def test_add_then_remove_a_temporary_section_keeps_the_rest_byte_for_byte(org_file: Path) -> None:
    before = org_file.read_text()
    grant = TemporaryGrant("t-1", "stage", "readonly", datetime(2999, 1, 1, tzinfo=timezone.utc), "INC-1",
                           team="backend", granted_by="alice")
    org = orgedit.add_temporary(org_file, grant, checks=ORG_CHECKS)
    assert org.temporary_grants == (grant,)
    text = org_file.read_text()
    assert text.startswith(before)
    assert text[len(before):] == ("\n[temporary t-1]\nteam = backend\nenvironment = stage\nrole = readonly\n"
                                  "until = 2999-01-01T00:00:00Z\nreason = INC-1\ngranted_by = alice\n")
    with pytest.raises(UsageError, match="already exists"):
        orgedit.add_temporary(org_file, grant, checks=ORG_CHECKS)
    orgedit.remove_temporary(org_file, "t-1", checks=ORG_CHECKS)
    assert org_file.read_text() == before
    with pytest.raises(UsageError, match="no temporary grant 't-1'"):
        orgedit.remove_temporary(org_file, "t-1", checks=ORG_CHECKS)


def test_removing_a_section_between_others_leaves_one_blank_line(org_file: Path) -> None:
    for i in (1, 2, 3):
        orgedit.add_temporary(org_file, TemporaryGrant(f"t-{i}", "dev", "admin", datetime(2999, 1, 1,
                              tzinfo=timezone.utc), "r", user="alice"), checks=ORG_CHECKS)
    orgedit.remove_temporary(org_file, "t-2", checks=ORG_CHECKS)
    text = org_file.read_text()
    assert "[temporary t-2]" not in text
    assert "reason = r\n\n[temporary t-3]" in text


def test_an_unknown_team_is_refused_and_nothing_written(org_file: Path) -> None:
    before = org_file.read_text()
    grant = TemporaryGrant("t-1", "stage", "readonly", datetime(2999, 1, 1, tzinfo=timezone.utc), "r", team="nope")
    with pytest.raises(UsageError, match="unknown team 'nope'"):
        orgedit.add_temporary(org_file, grant, checks=ORG_CHECKS)
    assert org_file.read_text() == before


# -- the command line, access, sessions ---------------------------------------------------------


def invoke(*argv: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from awsroles.cli.app import App
    from awsroles.cli.runner import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_grant_for_writes_a_section_and_revoke_temporary_removes_it(org_file: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "carol")
    monkeypatch.setenv("LOGNAME", "carol")
    before = org_file.read_text()
    code, out, err = invoke("-f", str(org_file), "grant", "backend", "stage", "readonly", "--for", "4h",
                            "--reason", "INC-1234", "--no-plan")
    assert code == 0, err
    org, _ = parse_org(org_file.read_text(), str(org_file), org_file.parent)
    assert org is not None
    (grant,) = org.temporary_grants
    assert grant.id.startswith("t-") and grant.id.endswith("-backend-stage")
    assert (grant.team, grant.environment, grant.role, grant.reason, grant.granted_by) == (
        "backend", "stage", "readonly", "INC-1234", "carol")
    left = (grant.until - datetime.now(timezone.utc)).total_seconds()
    assert 4 * 3600 - 120 < left <= 4 * 3600
    assert f"grant.temporary team/backend id={grant.id}" in out
    code, out, err = invoke("-f", str(org_file), "revoke", "--temporary", grant.id, "--no-plan")
    assert code == 0, err
    assert org_file.read_text() == before


def test_grant_user_for_a_person(org_file: Path) -> None:
    code, _, err = invoke("-f", str(org_file), "grant", "--user", "bob", "prod", "readonly", "--for", "90m",
                          "--reason", "INC-9", "--no-plan")
    assert code == 0, err
    org, _ = parse_org(org_file.read_text(), str(org_file), org_file.parent)
    assert org is not None and org.temporary_grants[0].user == "bob" and not org.temporary_grants[0].team


@pytest.mark.parametrize(("argv", "message"), [
    (["backend", "stage", "readonly", "--for", "4h"], "--for needs --reason TEXT"),
    (["backend", "stage", "readonly", "--for", "10m", "--reason", "x"], "10m is outside 15m..7d"),
    (["backend", "stage", "readonly", "--for", "8d", "--reason", "x"], "is outside 15m..7d"),
    (["backend", "stage", "readonly", "--for", "soon", "--reason", "x"], "invalid duration 'soon'"),
    (["--user", "bob", "stage", "readonly", "--reason", "x"], "--user grants are temporary"),
    (["--user", "bob", "backend", "stage", "readonly", "--for", "1h", "--reason", "x"], "with --user, give ENV ROLE"),
    (["backend", "stage", "readonly", "--reason", "x"], "--reason goes with --for"),
    (["backnd", "stage", "readonly", "--for", "1h", "--reason", "x"], "unknown team 'backnd'"),
])
def test_bad_temporary_grants_are_one_line_errors_and_change_nothing(org_file: Path, argv: list[str],
                                                                     message: str) -> None:
    before = org_file.read_text()
    code, _, err = invoke("-f", str(org_file), "grant", *argv, "--no-plan")
    assert code == 2, err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) <= 3, err
    assert org_file.read_text() == before


def test_revoke_of_an_unknown_temporary_grant(org_file: Path) -> None:
    code, _, err = invoke("-f", str(org_file), "revoke", "--temporary", "t-nope", "--no-plan")
    assert code == 2 and "no temporary grant 't-nope' in the org file" in err


def test_access_lists_active_temporary_grants_with_their_end() -> None:
    from awsroles.iam.access import access_list, matrix

    org = _org(SECTION + SECTION.replace("t-20261129-1402-backend-stage", "t-bob").replace("team = backend",
                                                                                            "user = alice"))
    rows = [a for a in access_list(org, now=NOW) if a.temporary]
    assert [(a.user, a.team, a.environment, a.role, a.until) for a in rows] == [
        ("alice", "", "stage", "readonly", "2026-11-29T18:02:00Z"),
        ("bob", "backend", "stage", "readonly", "2026-11-29T18:02:00Z")]
    assert rows[1].as_dict()["temporary"] == "t-20261129-1402-backend-stage"
    assert "temporary" not in next(a for a in access_list(org, now=NOW) if not a.temporary).as_dict()
    columns, grid = matrix(org, access_list(org, now=NOW))
    bob = next(line for line in grid if line[0] == "bob")
    assert bob[columns.index("stage")] == "readonly until 2026-11-29T18:02:00Z"
    later = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
    assert not any(a.temporary for a in access_list(org, now=later))


def test_setup_records_the_end_of_a_role_held_only_for_a_while() -> None:
    from awsroles.creds.setup import grants_for

    org = _org(SECTION.replace("2026-11-29T18:02:00Z", "2999-01-01T00:00:00Z").replace("role = readonly",
                                                                                       "role = developer")
               .replace("environment = stage", "environment = dev"))
    # bob holds developer in dev for good (team backend): a temporary grant of it changes nothing
    assert all(not g.until for g in grants_for(org, "bob"))
    org = _org(SECTION.replace("2026-11-29T18:02:00Z", "2999-01-01T00:00:00Z"))
    stage = next(g for g in grants_for(org, "bob") if g.environment == "stage")
    assert (stage.role, stage.until) == ("readonly", "2999-01-01T00:00:00Z")


def test_a_session_never_outlasts_the_grant_by_more_than_the_shortest_session() -> None:
    from awsroles.creds.userconfig import RoleGrant
    from awsroles.creds.vend import session_within

    grant = RoleGrant("stage", "readonly", "333333333333", "arn", 28800, until="2026-11-29T18:00:00Z")
    at = datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)
    assert session_within(grant, 28800, at) == 7200  # two hours left: two hours asked
    assert session_within(grant, 3600, at) == 3600
    assert session_within(grant, 3600, datetime(2026, 11, 29, 17, 55, tzinfo=timezone.utc)) == 900
    standing = RoleGrant("stage", "readonly", "333333333333", "arn", 28800)
    assert session_within(standing, 28800, at) == 28800


def test_the_user_config_keeps_the_end() -> None:
    from awsroles.creds.userconfig import RoleGrant, UserConfig, dumps

    config = UserConfig("bob", "arn", "111111111111", grants=(
        RoleGrant("stage", "readonly", "333333333333", "arn:r", 3600, until="2999-01-01T00:00:00Z"),))
    assert "until = 2999-01-01T00:00:00Z" in dumps(config)


def test_new_ids_name_the_moment_the_holder_and_the_environment() -> None:
    from awsroles.org.temporary import grant_id

    at = datetime(2026, 11, 29, 14, 2, 59, tzinfo=timezone.utc)
    assert grant_id(at, "backend", "stage", set()) == "t-20261129-1402-backend-stage"
    assert grant_id(at, "backend", "stage", {"t-20261129-1402-backend-stage"}) == "t-20261129-1402-backend-stage-2"
    assert grant_id(at, "backend", "stage", {"t-20261129-1402-backend-stage",
                                             "t-20261129-1402-backend-stage-2"}) == "t-20261129-1402-backend-stage-3"
    assert grant_id(at, "Bob.Smith@x", "prod", set()) == "t-20261129-1402-bob-smith-x-prod"
    long = grant_id(at, "a" * 64, "prod", set())
    assert len(long) <= 64 and len(grant_id(at, "a" * 64, "prod", {long})) <= 64


def test_ending_a_person_s_sessions_covers_the_roles_they_hold_for_a_while() -> None:
    from dataclasses import replace

    from awsroles.org.parse import load_org
    from awsroles.sync.end_sessions import roles_of

    org = load_org(EXAMPLES / "classic.ini")
    until = datetime(2026, 11, 29, 18, 2, tzinfo=timezone.utc)
    org = replace(org, temporary_grants=(
        TemporaryGrant("t-1", "stage", "readonly", until, "INC-1", team="backend"),
        TemporaryGrant("t-2", "prod", "readonly", until, "INC-2", user="bob"),
        TemporaryGrant("t-3", "prod", "admin", until, "INC-3", user="alice"),
    ))
    assert roles_of(org, "bob") == [("dev", "developer"), ("dev", "readonly"), ("stage", "readonly"),
                                    ("prod", "readonly")]
