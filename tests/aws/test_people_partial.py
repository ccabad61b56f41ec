"""A people command that fails part-way says what was done, what failed and how to finish, and a
re-run converges (moto in-process, failures injected with a before-send hook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.errors import ExitCode, PartlyDone, UsageError
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.people import keys as userkeys
from awsroles.people import mfa as usermfa
from awsroles.people.suspend import disable
from awsroles.people.users import create_user, offboard
from awsroles.sync.engine import Engine
from tests.aws.conftest import apply_org
from tests.aws.faults import Fault
from tests.conftest import EXAMPLES, REPO

PASSWORD = "Xy7!" * 6


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    path = tmp_path / "org.ini"
    path.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    return path


@pytest.fixture
def applied(ops_aws: Aws, classic: Org) -> Any:
    """The classic org applied; returns an IAM client in ops."""
    engine = Engine(classic, ops_aws)
    apply_org(engine)
    return engine.iam(classic.ops)


def test_a_failed_console_password_says_what_was_done_and_a_rerun_converges(
        applied: Any, ops_aws: Aws, classic: Org, org_path: Path) -> None:
    fault = Fault("AccessDenied", "CreateLoginProfile", message="not authorized to perform iam:CreateLoginProfile")
    with pytest.raises(PartlyDone) as raised:
        create_user(org_path, load_org(org_path), fault.aws(classic), "carol", teams=["backend"], console=True,
                    password_factory=lambda: PASSWORD)
    error = raised.value
    text = str(error)
    assert fault.hits == ["CreateLoginProfile"]
    assert text.splitlines()[0] == ("users create carol stopped part-way: CreateLoginProfile failed: AccessDenied: "
                                    "not authorized to perform iam:CreateLoginProfile")
    assert error.done == (f"carol added to the org file {org_path}",
                          "IAM user carol exists in ops (111111111111) in groups awsroles-users, team-backend")
    assert error.not_done == ("the console password (carol cannot sign in to the console yet)",)
    assert "re-run `awsroles users create carol --team backend --console`" in error.finish
    assert error.exit_code == ExitCode.FAILURE and PASSWORD not in text
    assert "  to finish: " in text and "  done: " in text and "  not done: " in text

    # The re-run finishes the job instead of failing with "already exists".
    again = create_user(org_path, load_org(org_path), ops_aws, "carol", teams=["backend"], console=True,
                        password_factory=lambda: PASSWORD)
    assert again.resumed and again.password == PASSWORD
    assert again.groups == ("awsroles-users", "team-backend")
    assert applied.get_login_profile(UserName="carol")["LoginProfile"]["UserName"] == "carol"
    assert Engine(load_org(org_path), ops_aws).plan().empty
    # A third run has nothing left to do: that is "already exists", and nothing changes.
    with pytest.raises(UsageError, match="already exists, in the org file and in the ops account"):
        create_user(org_path, load_org(org_path), ops_aws, "carol", teams=["backend"], console=True)


def test_a_failed_create_user_leaves_the_file_entry_and_a_rerun_creates_the_user(
        applied: Any, ops_aws: Aws, classic: Org, org_path: Path) -> None:
    fault = Fault("AccessDenied", "CreateUser", message="no")
    with pytest.raises(PartlyDone) as raised:
        create_user(org_path, load_org(org_path), fault.aws(classic), "carol", teams=["backend"],
                    email="carol@acme.example")
    error = raised.value
    assert error.failed == "creating the IAM user failed: AccessDenied: no"
    assert error.done == (f"carol added to the org file {org_path}",)  # and nothing in AWS
    assert error.not_done == ("IAM user carol in groups awsroles-users, team-backend",)
    assert "`awsroles users create carol --team backend --email carol@acme.example`" in error.finish
    assert "[user carol]" in org_path.read_text()

    again = create_user(org_path, load_org(org_path), ops_aws, "carol", teams=["backend"])  # email optional
    assert again.resumed and again.password is None
    assert applied.get_user(UserName="carol")["User"]["Path"] == classic.path
    assert Engine(load_org(org_path), ops_aws).plan().empty


def test_a_rerun_that_asks_for_something_else_is_refused(applied: Any, ops_aws: Aws, org_path: Path) -> None:
    before = org_path.read_bytes()
    for teams, console in ((["platform"], False), (["backend"], True)):  # bob: team backend, no console
        with pytest.raises(UsageError, match=r"user 'bob' already exists in the org file \(teams: backend\)"):
            create_user(org_path, load_org(org_path), ops_aws, "bob", teams=teams, console=console)
    with pytest.raises(UsageError, match="already exists, in the org file and in the ops account"):
        create_user(org_path, load_org(org_path), ops_aws, "bob", teams=["backend"])
    assert org_path.read_bytes() == before


@pytest.mark.parametrize(("name", "problem"), [
    ("", "a user name cannot be empty"),
    ("x", "user name 'x' is too short: at least 2 characters"),
    ("a b", "user name 'a b' has characters IAM does not allow (' ')"),
    ("é" * 2, "has characters IAM does not allow ('é')"),
    ("x" * 65, "is 65 characters long: IAM allows at most 64"),
])
def test_names_aws_cannot_use_are_refused_before_any_call(org_path: Path, name: str, problem: str) -> None:
    before = org_path.read_bytes()
    aws = Aws()  # never asked for anything: no moto here, and the endpoint goes nowhere
    with pytest.raises(UsageError, match="nothing changed") as raised:
        create_user(org_path, load_org(org_path), aws, name, teams=["backend"])
    assert problem in str(raised.value)
    assert org_path.read_bytes() == before


def test_a_failed_offboarding_lists_the_steps_done_and_left_and_a_rerun_finishes(
        applied: Any, ops_aws: Aws, classic: Org, org_path: Path) -> None:
    applied.create_login_profile(UserName="bob", Password=PASSWORD)
    key = applied.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    fault = Fault("AccessDenied", "DeleteAccessKey", message="no")
    with pytest.raises(PartlyDone) as raised:
        offboard(org_path, load_org(org_path), fault.aws(classic), "bob")
    error = raised.value
    assert error.failed == f"delete access key {key} failed: AccessDenied: no"
    assert error.done == ("delete console password",)
    assert error.not_done[0] == f"delete access key {key}" and "delete IAM user bob" in error.not_done
    assert error.not_done[-1] == f"remove bob from the org file {org_path}"
    assert error.finish == "fix the cause, then re-run `awsroles users offboard bob`: it does what is left"
    assert "[user bob]" in org_path.read_text()

    done = offboard(org_path, load_org(org_path), ops_aws, "bob")
    assert done.removed_from_file and "[user bob]" not in org_path.read_text()
    assert "bob" not in {u["UserName"] for u in applied.list_users()["Users"]}


def test_a_failed_disable_says_what_is_left(applied: Any, classic: Org) -> None:
    applied.create_login_profile(UserName="bob", Password=PASSWORD)
    key = applied.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    fault = Fault("AccessDenied", "DeleteLoginProfile", message="no")
    with pytest.raises(PartlyDone) as raised:
        disable(classic, Engine(classic, fault.aws(classic)).iam("ops"), "bob")
    assert raised.value.done == ("record the keys it deactivates (for `users enable`)", f"deactivate access key {key}")
    assert raised.value.not_done == ("delete console password",)
    assert "re-run `awsroles users disable bob`" in raised.value.finish


def test_a_rotation_that_stops_after_the_new_key_works_hands_back_the_key(applied: Any, classic: Org) -> None:
    old = applied.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    iam = Engine(classic, Fault("AccessDenied", "UpdateAccessKey", message="no").aws(classic)).iam("ops")
    with pytest.raises(userkeys.RotationStopped) as raised:
        userkeys.rotate(iam, "bob", verify=lambda _key: True, grace_delete=True)
    error = raised.value
    assert error.failed == f"deactivate the old key {old} failed: AccessDenied: no"
    assert error.done == (f"created the new key {error.new.access_key_id} for bob and checked it works",)
    assert error.not_done == (f"deactivate the old key {old}", f"delete the old key {old}")
    assert f"`awsroles users keys delete bob {old}`" in error.finish
    assert error.new.secret not in str(error) and error.new.secret not in repr(error.new)
    keys = {k["AccessKeyId"]: k["Status"] for k in applied.list_access_keys(UserName="bob")["AccessKeyMetadata"]}
    assert keys == {old: "Active", error.new.access_key_id: "Active"}


def test_a_rotation_whose_new_key_cannot_be_removed_says_so(applied: Any, classic: Org) -> None:
    old = applied.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    iam = Engine(classic, Fault("AccessDenied", "DeleteAccessKey", message="no").aws(classic)).iam("ops")
    with pytest.raises(PartlyDone) as raised:
        userkeys.rotate(iam, "bob", verify=lambda _key: False, grace_delete=False)
    new = next(k["AccessKeyId"] for k in applied.list_access_keys(UserName="bob")["AccessKeyMetadata"]
               if k["AccessKeyId"] != old)
    error = raised.value
    assert error.failed == (f"the new key {new} did not work; bob's key {old} stays active; deleting the new key "
                            "again failed: AccessDenied: no")
    assert f"`awsroles users keys delete bob {new}`" in error.finish


def test_an_mfa_device_left_behind_is_named_and_reset_then_enrol_again_works(applied: Any, classic: Org) -> None:
    fault = Fault("AccessDenied", "EnableMFADevice", "DeleteVirtualMFADevice", message="no")
    with pytest.raises(PartlyDone) as raised:
        usermfa.enroll(Engine(classic, fault.aws(classic)).iam("ops"), "bob",
                       codes=lambda _uri: ("123456", "654321"))
    error = raised.value
    assert error.failed == "AccessDenied: no; deleting the device again failed: AccessDenied: no"
    serial = "arn:aws:iam::111111111111:mfa/bob"
    assert error.done == (f"created the virtual MFA device {serial} (not enabled)",)
    assert "`awsroles users mfa reset bob`" in error.finish

    assert usermfa.reset(applied, "bob") == [serial]  # the leftover goes
    enrolled = usermfa.enroll(applied, "bob", codes=lambda _uri: ("123456", "654321"))
    assert [d["SerialNumber"] for d in applied.list_mfa_devices(UserName="bob")["MFADevices"]] == [enrolled.serial]


def test_a_failed_mfa_reset_says_what_was_removed_and_a_rerun_finishes(applied: Any, classic: Org) -> None:
    enrolled = usermfa.enroll(applied, "bob", codes=lambda _uri: ("123456", "654321"))
    iam = Engine(classic, Fault("AccessDenied", "DeleteVirtualMFADevice", message="no").aws(classic)).iam("ops")
    with pytest.raises(PartlyDone) as raised:
        usermfa.reset(iam, "bob")
    assert raised.value.failed == f"delete {enrolled.serial} (deactivated) failed: AccessDenied: no"
    assert "re-run `awsroles users mfa reset bob`" in raised.value.finish
    assert usermfa.reset(applied, "bob") == [enrolled.serial]  # deactivated already: found as a leftover
    assert not applied.list_virtual_mfa_devices()["VirtualMFADevices"]
