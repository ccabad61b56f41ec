"""Which account `awsroles accounts close` closes, pure: the org file against a live organization made
by hand; AWS's closing quota; and AWS's refusals of CloseAccount, each one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from awsroles.accounts.close import (
    CloseFailed,
    CloseRefused,
    Closing,
    closable,
    close_account,
    close_quota,
)
from awsroles.accounts.state import LiveOrgAccount, LiveOrganization
from awsroles.errors import ExitCode
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG
from awsroles.org.parse import load_org
from awsroles.sync.accounts import plan_organization
from tests.unit.test_org_accounts import org_text

OURS = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: "acme"}
OLD = LiveOrgAccount("555555555555", "old", "aws+old@acme.example", "ACTIVE", "Workloads/Old", OURS)


def organization(*accounts: LiveOrgAccount) -> LiveOrganization:
    base = [LiveOrgAccount("111111111111", "master", "root@acme.example", "ACTIVE", "", OURS),
            LiveOrgAccount("444444444444", "prod", "prod@acme.example", "ACTIVE", "", OURS),
            LiveOrgAccount("222222222222", "dev", "aws+dev@acme.example", "ACTIVE", "", OURS)]
    return LiveOrganization("r-1", {a.id: a for a in [*base, *accounts]})


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text(org_text())
    return path


def refusal(org_path: Path, wanted: str, *accounts: LiveOrgAccount) -> str:
    with pytest.raises(CloseRefused) as refused:
        closable(load_org(org_path), organization(*accounts), wanted)
    assert refused.value.exit_code == ExitCode.USAGE
    return str(refused.value)


def test_an_active_account_of_ours_no_longer_in_the_file_may_be_closed(org_path: Path) -> None:
    closing = closable(load_org(org_path), organization(OLD), "old")
    assert (closing.account, closing.management, closing.members) == (OLD, "ops (111111111111)", 3)
    assert closable(load_org(org_path), organization(OLD), "555555555555").account == OLD  # or by its id
    assert closing.as_dict() == {"name": "old", "id": "555555555555", "email": "aws+old@acme.example",
                                 "ou": "Workloads/Old", "status": "ACTIVE", "management_account": "ops (111111111111)"}


def test_what_closing_does_is_said_before_asking(org_path: Path) -> None:
    said = " ".join(closable(load_org(org_path), organization(OLD), "old").consequences())
    for words in ("PENDING_CLOSURE at once, SUSPENDED within minutes", "for 90 days (the post-closure period) AWS "
                  "Support can reopen it", "its e-mail address (aws+old@acme.example) cannot be the address of "
                  "another AWS account", "at most 250 member accounts closed in a rolling 30 days (the higher of "
                  "250 and 20% of its 3 member accounts, at most 1,000)"):
        assert words in said


def test_never_the_management_account(org_path: Path) -> None:
    for wanted in ("ops", "111111111111", "master"):
        assert "is the management account of the organization: AWS does not close it through CloseAccount" in \
            refusal(org_path, wanted)


def test_never_an_account_the_file_still_declares_and_it_says_where(org_path: Path) -> None:
    assert refusal(org_path, "prod") == (
        f"prod (444444444444) is still declared in the org file: remove [account prod] from {org_path}:13 first (and "
        "what names it), then `awsroles plan` shows it as retained, and `awsroles accounts close prod` closes it")
    # dev has no id in the file yet: the live account with its e-mail address (or name) is it
    assert refusal(org_path, "dev").startswith(f"dev (222222222222) is still declared in the org file: remove "
                                               f"[account dev] from {org_path}:9 first")


def test_never_one_closed_or_closing_already(org_path: Path) -> None:
    suspended = LiveOrgAccount("666666666666", "gone", "gone@acme.example", "SUSPENDED", "", OURS)
    closing = LiveOrgAccount("777777777777", "going", "going@acme.example", "PENDING_CLOSURE", "", OURS)
    assert refusal(org_path, "gone", suspended) == (
        "gone (666666666666) is closed already (SUSPENDED): for 90 days after its closure AWS Support can reopen "
        "it; then AWS closes it for good")
    assert refusal(org_path, "going", closing) == (
        "going (777777777777) is being closed already (PENDING_CLOSURE): AWS suspends it within minutes")


def test_never_one_awsroles_did_not_make_or_adopt(org_path: Path) -> None:
    theirs = LiveOrgAccount("888888888888", "theirs", "t@acme.example", "ACTIVE", "", {})
    other_org = LiveOrgAccount("999999999999", "other", "o@acme.example", "ACTIVE", "", {**OURS, ORG_TAG: "other"})
    for account in (theirs, other_org):
        assert refusal(org_path, account.name, account).endswith(
            "does not carry awsroles' mark for the org acme (the tags managed-by = awsroles and awsroles-org = "
            "acme): awsroles closes only accounts it made or adopted")


def test_an_unknown_or_ambiguous_name(org_path: Path) -> None:
    assert refusal(org_path, "nope") == ("no account named nope in the organization of the management account ops "
                                         "(111111111111)")
    twin = LiveOrgAccount("123456789012", "old", "x@acme.example", "ACTIVE", "", OURS)
    assert refusal(org_path, "old", OLD, twin) == ("2 accounts of the organization are named old (123456789012, "
                                                   "555555555555): give the id of the one to close")


def test_the_plans_retained_account_points_at_the_close_command(org_path: Path) -> None:
    closed = LiveOrgAccount("666666666666", "gone", "gone@acme.example", "SUSPENDED", "", OURS)
    out = plan_organization(load_org(org_path), organization(OLD, closed))
    assert [(f.name, f.reason) for f in out.retained] == [
        ("gone", "666666666666, made or adopted by awsroles, is no longer in the org file and is SUSPENDED (closed): "
                 "AWS takes it out of the organization 90 days after its closure"),
        ("old", "555555555555, made or adopted by awsroles, is no longer in the org file: kept (apply never closes "
                "or removes an account, not even with --prune); `awsroles accounts close old` closes it")]


@pytest.mark.parametrize(("members", "quota"), [(0, 250), (3, 250), (1250, 250), (1255, 251), (2000, 400),
                                                 (5000, 1000), (10_000, 1000)])
def test_the_closing_quota_is_the_higher_of_250_and_20_percent_at_most_1000(members: int, quota: int) -> None:
    assert close_quota(members) == quota


class RefusingOrganizations:
    def __init__(self, error: dict[str, Any] | None, status: str = "PENDING_CLOSURE") -> None:
        self.error, self.status, self.calls = error, status, []  # type: list[str]

    def close_account(self, AccountId: str) -> None:
        from botocore.exceptions import ClientError

        self.calls.append(AccountId)
        if self.error is not None:
            raise ClientError(self.error, "CloseAccount")

    def describe_account(self, AccountId: str) -> dict[str, Any]:
        return {"Account": {"Id": AccountId, "Status": self.status}}


def constraint(reason: str) -> dict[str, Any]:
    return {"Error": {"Code": "ConstraintViolationException", "Message": "..."}, "Reason": reason}


@pytest.mark.parametrize(("error", "says"), [
    (constraint("CLOSE_ACCOUNT_QUOTA_EXCEEDED"), "CLOSE_ACCOUNT_QUOTA_EXCEEDED: the organization has closed as many "
     "member accounts as AWS allows in a rolling 30 days (250: the higher of 250 and 20% of its 3 member accounts, "
     "at most 1,000); try again when the oldest of those closures is 30 days old"),
    (constraint("CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED"), "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED: too many accounts "
     "are being closed at once; try again when those in PENDING_CLOSURE are SUSPENDED"),
    ({"Error": {"Code": "ConstraintViolationException", "Message": "CANNOT_CLOSE_MANAGEMENT_ACCOUNT: You attempted"}},
     "CANNOT_CLOSE_MANAGEMENT_ACCOUNT: it is the management account of the organization"),
    ({"Error": {"Code": "ConcurrentModificationException", "Message": "..."}}, "ConcurrentModificationException: "
     "another request is changing it right now; try again in a few minutes"),
    ({"Error": {"Code": "AccountAlreadyClosedException", "Message": "..."}},
     "AccountAlreadyClosedException: it is closed already"),
])
def test_aws_refusals_are_one_line_each_and_nothing_was_closed(error: dict[str, Any], says: str) -> None:
    with pytest.raises(CloseFailed) as failed:
        close_account(RefusingOrganizations(error), Closing(OLD, "ops (111111111111)", 3))
    assert str(failed.value) == f"AWS did not close old (555555555555): {says}; nothing was closed"
    assert failed.value.exit_code == ExitCode.FAILURE


def test_other_errors_go_up_as_they_are_and_success_says_the_status() -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        close_account(RefusingOrganizations({"Error": {"Code": "AccessDeniedException", "Message": "no"}}),
                      Closing(OLD, "ops (111111111111)", 3))
    orgs = RefusingOrganizations(None)
    assert close_account(orgs, Closing(OLD, "ops (111111111111)", 3)) == "PENDING_CLOSURE"
    assert orgs.calls == ["555555555555"]
