"""The Identity Center runner's waiting and retrying, with scripted clients (the sandbox answers at
once; AWS takes its time, and refuses a second update of an account while one runs)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.identity_center.runner import IdentityCenterRunner, ProvisioningFailed
from awsroles.sync.identity_center_base import IDENTITY_CENTER_CALLS
from awsroles.sync.plan import Change

INSTANCE, STORE = "arn:aws:sso:::instance/ssoins-1", "d-1"
SET_ARN = f"{INSTANCE}/ps-1"


def conflict() -> ClientError:
    return ClientError({"Error": {"Code": "ConflictException", "Message": "an operation is in progress"}},
                       "CreateAccountAssignment")


class Sso:
    def __init__(self, statuses: list[str], conflicts: int = 0) -> None:
        self.statuses, self.conflicts, self.calls = statuses, conflicts, []  # type: list[tuple[str, Any]]

    def list_permission_sets(self, **_: Any) -> dict[str, Any]:
        return {"PermissionSets": [SET_ARN]}

    def describe_permission_set(self, **_: Any) -> dict[str, Any]:
        return {"PermissionSet": {"Name": "admin", "PermissionSetArn": SET_ARN}}

    def _status(self, key: str) -> dict[str, Any]:
        status = self.statuses.pop(0)
        return {key: {"Status": status, "RequestId": "r-1", "FailureReason": "no such account" if status == "FAILED"
                      else None}}

    def create_account_assignment(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("create_account_assignment", params))
        if self.conflicts:
            self.conflicts -= 1
            raise conflict()
        return self._status("AccountAssignmentCreationStatus")

    def describe_account_assignment_creation_status(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("describe", params))
        return self._status("AccountAssignmentCreationStatus")

    def provision_permission_set(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("provision_permission_set", params))
        return self._status("PermissionSetProvisioningStatus")

    def describe_permission_set_provisioning_status(self, **params: Any) -> dict[str, Any]:
        return self._status("PermissionSetProvisioningStatus")


class Store:
    def get_group_id(self, **params: Any) -> dict[str, Any]:
        assert params["AlternateIdentifier"]["UniqueAttribute"] == {"AttributePath": "displayName",
                                                                    "AttributeValue": "team-platform"}
        return {"GroupId": "g-1"}


def change(*ops: tuple[str, dict[str, Any]]) -> Change:
    return Change("mgmt", "111111111111", "create", "assignment", "x", ops=ops)


ASSIGN = ("create_account_assignment", {"PermissionSet": "admin", "Group": "team-platform", "TargetId": "222222222222"})


def runner(sso: Sso, sleeps: list[float], said: list[str], timeout: float = 900.0) -> IdentityCenterRunner:
    clock = iter(range(0, 100000, 60))
    return IdentityCenterRunner(sso, Store(), INSTANCE, STORE, IDENTITY_CENTER_CALLS, progress=said.append,
                                sleep=sleeps.append, clock=lambda: float(next(clock)), timeout=timeout)


def test_an_assignment_is_waited_on_with_growing_pauses_and_names_resolved_to_ids() -> None:
    sso, sleeps, said = Sso(["IN_PROGRESS"] * 5 + ["SUCCEEDED"]), [], []  # type: Sso, list[float], list[str]
    runner(sso, sleeps, said).run(change(ASSIGN))
    assert sso.calls[0] == ("create_account_assignment", {
        "InstanceArn": INSTANCE, "PermissionSetArn": SET_ARN, "TargetId": "222222222222", "TargetType": "AWS_ACCOUNT",
        "PrincipalType": "GROUP", "PrincipalId": "g-1"})
    assert sleeps == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert said[-1] == "assigning admin in 222222222222: done" and said.count(
        "assigning admin in 222222222222: in progress") == 5


def test_a_busy_account_is_tried_again_and_a_failure_says_why() -> None:
    sso, sleeps, said = Sso(["FAILED"], conflicts=2), [], []  # type: Sso, list[float], list[str]
    with pytest.raises(ProvisioningFailed, match="assigning admin in 222222222222 failed: no such account"):
        runner(sso, sleeps, said).run(change(ASSIGN))
    assert [c[0] for c in sso.calls] == ["create_account_assignment"] * 3 and sleeps == [1.0, 2.0]
    assert said[0].startswith("another Identity Center change is running in that account")


def test_provisioning_that_never_ends_stops_at_the_timeout_with_what_to_do() -> None:
    sso, sleeps, said = Sso(["IN_PROGRESS"] * 100), [], []  # type: Sso, list[float], list[str]
    with pytest.raises(ProvisioningFailed, match=r"still in progress after 5 minutes .* re-run apply"):
        runner(sso, sleeps, said, timeout=300).run(change(("provision_permission_set", {"PermissionSet": "admin"})))
    assert sso.calls == [("provision_permission_set", {"InstanceArn": INSTANCE, "PermissionSetArn": SET_ARN,
                                                       "TargetType": "ALL_PROVISIONED_ACCOUNTS"})]


def test_only_identity_center_calls_a_plan_may_hold_are_run() -> None:
    sso = Sso([])
    with pytest.raises(ValueError, match="refusing to run 'delete_instance'"):
        runner(sso, [], []).run(change(("delete_instance", {})))
    assert sso.calls == []
