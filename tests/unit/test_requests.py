"""Requests and approvals in the org file: ``[request ID]``, ``approvers``, ``request_expiry``, ids,
expiry and who may decide (docs/temporary-access.md, "Requests and approvals")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsroles.errors import OrgFileError, UsageError
from awsroles.org.checks import Sections
from awsroles.org.entries import AccessRequest
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from awsroles.org.request_edit import add_request, approve, deny
from awsroles.org.requests import (
    RequestRefused,
    approved_grant,
    caller_person,
    check_requests,
    decide,
    listing,
    new_request,
    request_id,
)
from tests.conftest import EXAMPLES, REPO

CLASSIC = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
ASKED = datetime(2026, 11, 30, 1, 2, tzinfo=timezone.utc)
LATER = ASKED + timedelta(minutes=5)
REQUEST = """
[request r-20261130-0102-bob-prod]
user = bob
environment = prod
role = admin
duration = 2h
reason = INC-1234
requested_at = 2026-11-30T01:02:00Z
"""


def with_approvers(text: str = CLASSIC, org_line: str = "approvers = alice") -> str:
    return text.replace("policy_dir = ", f"{org_line}\npolicy_dir = ", 1)


def parse(text: str, checks: tuple = ()) -> tuple[Org | None, list[str]]:
    org, problems = parse_org(text, "org.ini", EXAMPLES, checks)
    return org, [str(p) for p in problems]


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def test_a_request_section_reads_into_the_model_with_approvers_and_expiry() -> None:
    text = with_approvers(CLASSIC, "approvers = alice\nrequest_expiry = 12h") + REQUEST
    text = text.replace("environment = prod\n", "environment = prod\napprovers = alice, bob\n", 1)
    org, problems = parse(text)
    assert org is not None, problems
    assert org.requests == (AccessRequest("r-20261130-0102-bob-prod", "bob", "prod", "admin", 7200, "INC-1234",
                                          ASKED),)
    assert org.approvers == ("alice",) and org.request_expiry == 12 * 3600
    assert org.approvers_of("prod") == ("alice", "bob")  # the environment's own list wins
    assert org.approvers_of("dev") == ("alice",)
    assert org.request_expiry == 43200 and parse(with_approvers())[0].request_expiry == 86400  # type: ignore[union-attr]


@pytest.mark.parametrize(("change", "needle", "message"), [
    ("user = bob", "user = bobb", "undefined user 'bobb' in [request r-20261130-0102-bob-prod] (did you mean 'bob'?)"),
    ("role = admin", "role = root", "undefined role 'root' in [request r-20261130-0102-bob-prod]"),
    ("environment = prod", "environment = qa", "undefined environment 'qa'"),
    ("duration = 2h", "duration = 8d", "duration: 192h is outside 15m..7d"),
    ("duration = 2h", "duration = 10m", "duration: 10m is outside 15m..7d"),
    ("requested_at = 2026-11-30T01:02:00Z", "requested_at = yesterday", "requested_at: 'yesterday' is not a UTC time"),
    ("reason = INC-1234", "reason = INC-1234\nstatus = maybe", "status: expected approved or denied"),
    ("reason = INC-1234", "reason = INC-1234\nstatus = approved",
     "[request r-20261130-0102-bob-prod] is approved: it needs grant"),
    ("reason = INC-1234", "reason = INC-1234\ndecided_by = alice",
     "decided_by in [request r-20261130-0102-bob-prod], which has no status (pending)"),
    ("reason = INC-1234", "reason = INC-1234\nwho = me", "unknown key 'who' in [request r-20261130-0102-bob-prod]"),
])
def test_mistakes_in_a_request_are_errors_at_their_line(change: str, needle: str, message: str) -> None:
    text = with_approvers() + REQUEST.replace(change, needle)
    org, problems = parse(text)
    assert org is None
    line = line_of(text, needle.split("\n")[-1])
    assert any(p.startswith(f"org.ini:{line}: ") and message in p for p in problems), (line, problems)


def test_a_request_needs_its_keys() -> None:
    text = with_approvers() + "\n[request r-1]\nuser = bob\n"
    _org, problems = parse(text)
    for key in ("environment", "role", "duration", "reason", "requested_at"):
        assert f"org.ini:{line_of(text, '[request r-1]')}: [request r-1] needs {key}" in problems


def test_approvers_must_be_declared_users_once_and_only_on_environments() -> None:
    text = with_approvers(CLASSIC, "approvers = alice, carol, alice")
    text = text.replace("description = IAM users, nothing else", "description = IAM users, nothing else\n"
                        "approvers = bob")
    _org, problems = parse(text)
    line = line_of(text, "approvers = alice, carol, alice")
    assert f"org.ini:{line}: approvers: undefined user 'carol' in [org]" in problems
    assert f"org.ini:{line}: approvers: 'alice' is listed twice in [org]" in problems
    assert any(p.startswith(f"org.ini:{line_of(text, 'approvers = bob')}: approvers in [account ops]: the account "
                            "holds no environment") for p in problems), problems


def test_request_expiry_is_a_duration_within_limits() -> None:
    text = with_approvers(CLASSIC, "request_expiry = 10m")
    _org, problems = parse(text)
    assert f"org.ini:{line_of(text, 'request_expiry = 10m')}: request_expiry: 10m is outside 1h..168h" in problems


def test_ids_are_the_temporary_scheme_with_r() -> None:
    assert request_id(ASKED, "bob", "prod", set()) == "r-20261130-0102-bob-prod"
    assert request_id(ASKED, "bob", "prod", {"r-20261130-0102-bob-prod"}) == "r-20261130-0102-bob-prod-2"
    assert request_id(ASKED, "Bob.Smith", "prod", set()) == "r-20261130-0102-bob-smith-prod"


def test_expiry_the_state_and_the_validate_warning() -> None:
    org, _ = parse(with_approvers() + REQUEST)
    assert org is not None
    request = org.requests[0]
    assert request.state(ASKED + timedelta(hours=23, minutes=59), org.request_expiry) == "pending"
    assert request.state(ASKED + timedelta(hours=24), org.request_expiry) == "expired"
    sections = Sections("org.ini", {("request", request.id): 77})
    assert check_requests(lambda: ASKED + timedelta(hours=1))(org, sections) == []
    [warning] = check_requests(lambda: ASKED + timedelta(hours=25))(org, sections)
    assert warning.severity == "warning" and warning.line == 77
    assert "request 'r-20261130-0102-bob-prod' (bob: admin in prod) expired unanswered at 2026-12-01T01:02:00Z" \
        in warning.message
    rows = listing(org, ASKED + timedelta(hours=25))
    assert rows[0]["state"] == "expired" and rows[0]["expires_at"] == "2026-12-01T01:02:00Z"
    assert rows[0]["approvers"] == ["alice"]


def test_who_may_decide() -> None:
    text = with_approvers(CLASSIC, "approvers = alice, bob") + REQUEST
    org, _ = parse(text)
    assert org is not None
    assert decide(org, "r-20261130-0102-bob-prod", "alice", LATER).user == "bob"
    with pytest.raises(RequestRefused, match="is your own: someone else among its approvers must decide it"):
        decide(org, "r-20261130-0102-bob-prod", "bob", LATER)  # listed, but the requester
    with pytest.raises(RequestRefused, match=r"carol may not approve requests for prod; its approvers: alice$"):
        decide(org, "r-20261130-0102-bob-prod", "carol", LATER)
    with pytest.raises(RequestRefused, match="expired unanswered at 2026-12-01T01:02:00Z"):
        decide(org, "r-20261130-0102-bob-prod", "alice", ASKED + timedelta(days=2))
    assert decide(org, "r-20261130-0102-bob-prod", "alice", ASKED + timedelta(days=2), expired_ok=True)
    with pytest.raises(RequestRefused, match="no request 'r-20261130-0102-bob-prd' in the org file "
                                             r"\(did you mean 'r-20261130-0102-bob-prod'\?\)"):
        decide(org, "r-20261130-0102-bob-prd", "alice", LATER)
    decided = text + "status = denied\ndecided_by = alice\ndecided_at = 2026-11-30T01:05:00Z\n"
    org, problems = parse(decided)
    assert org is not None, problems
    with pytest.raises(RequestRefused, match="was already denied by alice at 2026-11-30T01:05:00Z"):
        decide(org, "r-20261130-0102-bob-prod", "alice", LATER)
    nobody, _ = parse(CLASSIC + REQUEST)
    assert nobody is not None
    with pytest.raises(RequestRefused, match="its approvers: nobody: the org file names no approvers"):
        decide(nobody, "r-20261130-0102-bob-prod", "alice", LATER)


def test_the_approved_grant() -> None:
    org, _ = parse(with_approvers() + REQUEST)
    assert org is not None
    grant = approved_grant(org, org.requests[0], "alice", LATER)
    assert (grant.id, grant.user, grant.team, grant.environment, grant.role) == (
        "t-20261130-0107-bob-prod", "bob", "", "prod", "admin")
    assert grant.start == LATER and grant.until == LATER + timedelta(hours=2)
    assert grant.reason == "INC-1234 (request r-20261130-0102-bob-prod)" and grant.granted_by == "alice"


def test_the_caller_must_be_an_iam_user_of_ops() -> None:
    org, problems = parse(with_approvers())
    assert org is not None, problems
    assert caller_person("arn:aws:iam::111111111111:user/awsroles/alice", org) == "alice"
    assert caller_person("arn:aws:iam::111111111111:user/awsroles/ALICE", org) == "alice"  # IAM ignores case
    with pytest.raises(RequestRefused, match="you are signed in as a role session"):
        caller_person("arn:aws:sts::111111111111:assumed-role/admin/alice", org)
    with pytest.raises(RequestRefused, match="you are signed in as a role session"):  # no Identity Center here
        caller_person("arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_admin_0123456789abcdef/alice", org)
    with pytest.raises(RequestRefused, match="is not an IAM user of the ops account"):
        caller_person("arn:aws:iam::222222222222:user/awsroles/alice", org)


def identity_center(text: str) -> str:
    return text.replace("bootstrap_role =", "identity = identity-center\nidentity_center_start_url = "
                        "https://d-1234567890.awsapps.com/start\nbootstrap_role =")


def test_in_identity_center_the_caller_is_an_identity_center_session_in_one_of_the_orgs_accounts() -> None:
    """Identity Center names its roles' sessions after who signed in; any other session is named by
    whoever starts it, and a session in an account the org does not hold proves nothing."""
    org, problems = parse(identity_center(with_approvers()))
    assert org is not None, problems
    sso = "AWSReservedSSO_admin_0123456789abcdef"
    assert caller_person(f"arn:aws:sts::444444444444:assumed-role/{sso}/alice", org) == "alice"
    assert caller_person(f"arn:aws:sts::111111111111:assumed-role/{sso}/Bob", org) == "bob"  # any case, the file's
    for arn, message in (
            (f"arn:aws:sts::999999999999:assumed-role/{sso}/alice", "not an IAM Identity Center session in one of "
                                                                    "the org's accounts"),
            ("arn:aws:sts::444444444444:assumed-role/admin/alice", "not an IAM Identity Center session"),
            ("arn:aws:iam::111111111111:user/awsroles/alice", "this org's people sign in through IAM Identity Center"),
            ("arn:aws:iam::111111111111:root", "names no person of the org")):
        with pytest.raises(RequestRefused, match=message):
            caller_person(arn, org)


def test_new_request_checks_what_is_asked() -> None:
    org, _ = parse(with_approvers())
    assert org is not None
    made = new_request(org, "bob", "prod", "admin", "2h", " INC-1 ", ASKED)
    assert (made.id, made.duration, made.reason) == ("r-20261130-0102-bob-prod", 7200, "INC-1")
    for args, message in ((("carol", "prod", "admin", "2h", "x"), "you (carol) are not a user of the org file"),
                          (("bob", "prd", "admin", "2h", "x"), "unknown environment 'prd' (did you mean 'prod'?)"),
                          (("bob", "prod", "root", "2h", "x"), "unknown role 'root'"),
                          (("bob", "prod", "admin", "8d", "x"), "--for: 192h is outside 15m..7d"),
                          (("bob", "prod", "admin", "2h", " "), "--reason: one line")):
        with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
            new_request(org, *args, ASKED)  # type: ignore[arg-type]


def test_the_edits_keep_comments_and_decide_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(with_approvers())
    org, _ = parse(path.read_text())
    assert org is not None
    add_request(path, new_request(org, "bob", "prod", "admin", "2h", "INC-1234", ASKED))
    text = path.read_text()
    assert text.startswith("; The classic multi-account org") and text.endswith(REQUEST)
    org, _ = parse(text)
    assert org is not None
    grant = approved_grant(org, org.requests[0], "alice", LATER)
    approve(path, "r-20261130-0102-bob-prod", grant, LATER)
    after = path.read_text()
    assert after.endswith(REQUEST + "status = approved\ndecided_by = alice\ndecided_at = 2026-11-30T01:07:00Z\n"
                          "grant = t-20261130-0107-bob-prod\n\n[temporary t-20261130-0107-bob-prod]\nuser = bob\n"
                          "environment = prod\nrole = admin\nfrom = 2026-11-30T01:07:00Z\n"
                          "until = 2026-11-30T03:07:00Z\nreason = INC-1234 (request r-20261130-0102-bob-prod)\n"
                          "granted_by = alice\n")
    with pytest.raises(RequestRefused, match="already approved by alice"):  # judged again on the file as it is
        approve(path, "r-20261130-0102-bob-prod", grant, LATER)
    with pytest.raises(RequestRefused, match="already approved"):
        deny(path, "r-20261130-0102-bob-prod", "alice", LATER, "no")
    assert path.read_text() == after  # nothing written


def test_deny_marks_it_with_why(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(with_approvers() + REQUEST)
    with pytest.raises(RequestRefused, match="is your own"):
        deny(path, "r-20261130-0102-bob-prod", "bob", LATER, "withdrawn")
    deny(path, "r-20261130-0102-bob-prod", "alice", ASKED + timedelta(days=3), "use readonly")  # expired: closes it
    assert path.read_text().endswith("status = denied\ndecided_by = alice\ndecided_at = 2026-12-03T01:02:00Z\n"
                                      "decision_reason = use readonly\n")


def test_a_request_is_valid_in_an_org_on_identity_center() -> None:
    org, problems = parse(identity_center(with_approvers()) + REQUEST)
    assert org is not None, problems
    assert [(r.user, r.environment, r.role) for r in org.requests] == [("bob", "prod", "admin")]


def test_an_invalid_file_is_never_edited(tmp_path: Path) -> None:
    path = tmp_path / "org.ini"
    path.write_text(with_approvers() + REQUEST + "bogus = 1\n")
    before = path.read_text()
    with pytest.raises(OrgFileError):
        deny(path, "r-20261130-0102-bob-prod", "alice", LATER, "no")
    assert path.read_text() == before


def test_a_request_section_alone_changes_nothing_in_iam() -> None:
    """Only [temporary ID] sections become IAM statements, whatever a request's status says."""
    from awsroles.iam.desired import desired_state, flatten

    plain, _ = parse(with_approvers())
    hand_written = REQUEST + ("status = approved\ndecided_by = alice\ndecided_at = 2026-11-30T01:07:00Z\n"
                              "grant = t-nowhere\n")
    org, problems = parse(with_approvers() + hand_written)
    assert plain is not None and org is not None, problems
    assert flatten(desired_state(org, LATER)) == flatten(desired_state(plain, LATER))


def test_validate_warns_about_a_request_left_unanswered(tmp_path: Path) -> None:
    from awsroles.iam.checks import check_org

    path = tmp_path / "org.ini"
    path.write_text(with_approvers() + REQUEST.replace("2026-11-30T01:02:00Z", "2020-01-01T00:00:00Z"))
    org, problems = check_org(path)
    assert org is not None
    line = line_of(path.read_text(), "[request r-20261130-0102-bob-prod]")
    assert [p.severity for p in problems if p.line == line] == ["warning"]
    assert any("expired unanswered at 2020-01-02T00:00:00Z" in p.message for p in problems if p.line == line)
