"""Who still uses IAM (awsroles.people.activity), as `migrate identity-center --finish` shows it, and
offboarding from IAM only (`users offboard --keep-in-file`) in an org on Identity Center."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from awsroles.errors import UsageError
from awsroles.org.parse import load_org
from awsroles.people.activity import IamUse, KeyUse
from awsroles.people.users import check_offboard
from tests.conftest import EXAMPLES

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def test_the_last_use_is_the_latest_of_password_and_keys_and_recent_counts_days_back() -> None:
    use = IamUse("alice", True, NOW - timedelta(days=30),
                 (KeyUse("AKIA1", "Active", NOW - timedelta(days=6, hours=23)), KeyUse("AKIA2", "Inactive", None)),
                 ("arn:aws:iam::111111111111:mfa/alice",))
    assert use.last_used == NOW - timedelta(days=6, hours=23)
    assert use.recent(NOW, 7) and not use.recent(NOW, 6)
    assert use.summary() == ("console password (last used 2026-10-30), access key AKIA1 (last used 2026-11-22), "
                             "access key AKIA2 (inactive) (never used), 1 MFA device")
    assert use.holds_credentials and use.as_dict()["last_used"] == "2026-11-22T13:00:00+00:00"


def test_nobody_who_never_signed_in_is_recent_and_no_credentials_is_said() -> None:
    assert IamUse("bob").summary() == "no credentials" and not IamUse("bob").holds_credentials
    assert IamUse("bob").last_used is None and not IamUse("bob").recent(NOW, 3650)
    assert IamUse("bob", mfa_devices=("a", "b")).summary() == "2 MFA devices"
    gone = IamUse("carol", password_last_used=NOW - timedelta(days=1))  # a password used, then removed
    assert gone.summary() == "no console password (last used 2026-11-28)" and gone.recent(NOW, 7)
    assert not gone.holds_credentials


def test_offboarding_the_last_admin_from_iam_only_is_allowed_once_the_org_is_on_identity_center() -> None:
    org = load_org(EXAMPLES / "classic.ini")  # alice is the platform team's only member: admin everywhere
    with pytest.raises(UsageError, match="the last member of team 'platform'"):
        check_offboard(org, "bob", "alice")
    with pytest.raises(UsageError, match="the last member of team 'platform'"):  # IAM is still a way in
        check_offboard(replace(org, identity=("iam-users", "identity-center")), "bob", "alice", keep_in_file=True)
    check_offboard(replace(org, identity=("identity-center",)), "bob", "alice", keep_in_file=True)
    with pytest.raises(UsageError, match="refusing to offboard yourself"):
        check_offboard(replace(org, identity=("identity-center",)), "alice", "alice", keep_in_file=True)


def test_an_identity_center_session_is_its_person_and_may_not_offboard_them() -> None:
    """Signed in through Identity Center (a session of an AWSReservedSSO_ role, named after the user),
    the caller is that user: offboarding them is offboarding yourself, in any case of the name."""
    from awsroles.aws import Identity

    sso = Identity("222222222222", "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_admin_0123456789abcdef/alice",
                   "AROAEXAMPLE:alice")
    assert sso.person == "alice" and sso.user_name is None
    assert Identity("111111111111", "arn:aws:iam::111111111111:user/awsroles/bob", "AIDAEXAMPLE").person == "bob"
    other = Identity("111111111111", "arn:aws:sts::111111111111:assumed-role/admin/alice", "AROAEXAMPLE:alice")
    assert other.person is None  # a role session named alice is not alice: any name can be given to one
    org = replace(load_org(EXAMPLES / "classic.ini"), identity=("identity-center",))
    bob = Identity("222222222222", "arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_admin_0123456789abcdef/bob",
                   "AROAEXAMPLE:bob")
    with pytest.raises(UsageError, match=r"refusing to offboard yourself \('Bob'\)"):
        check_offboard(org, bob.person, "Bob")
    check_offboard(org, sso.person, "bob")  # alice offboarding bob: fine
