"""`mfa_enrollment` (issue 10): who may enrol an MFA device, and `users mfa enroll --self` under each setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsroles.errors import ExitCode, UsageError
from awsroles.org.parse import load_org
from awsroles.people.mfa import check_self_enrolment
from tests.conftest import EXAMPLES, REPO
from tests.unit.test_cli import invoke

CLASSIC = EXAMPLES / "classic.ini"


def _classic(tmp_path: Path, enrollment: str) -> Path:
    path = tmp_path / "awsroles.ini"
    text = CLASSIC.read_text().replace("[org]\n", f"[org]\nmfa_enrollment = {enrollment}\n", 1)
    path.write_text(text.replace("policy_dir = ../policies", f"policy_dir = {REPO / 'policies'}"))
    return path


def test_self_enrolment_is_refused_by_default_before_any_aws_call() -> None:
    org = load_org(CLASSIC)
    assert org.mfa_enrollment == "admin"
    with pytest.raises(UsageError, match=r"enrols MFA devices by admins only \(mfa_enrollment = admin"):
        check_self_enrolment(org, "bob")
    code, out, err = invoke("-f", str(CLASSIC), "users", "mfa", "enroll", "bob", "--self", "--code1", "123456",
                            "--code2", "654321")
    assert code == ExitCode.USAGE
    assert "ask an admin to run `awsroles users mfa enroll bob`" in err
    assert "mfa_enrollment = self" in err and "otpauth" not in out


def test_self_enrolment_goes_on_where_the_org_allows_it(tmp_path: Path) -> None:
    path = _classic(tmp_path, "self")
    check_self_enrolment(load_org(path), "bob")
    code, _, err = invoke("-f", str(path), "users", "mfa", "enroll", "bob", "--self")
    assert code == ExitCode.USAGE
    assert "--self needs your own key: run `awsroles setup` first" in err  # the next check, not the setting

