"""The runner of account and OU changes: CreateAccount's polling (with its progress and its failures),
the id recorded before anything else happens to the account, and nothing else than its own calls."""

from __future__ import annotations

from typing import Any

import pytest

from awsroles.sync.accounts import CREATE_ACCOUNT, MOVE_ACCOUNT
from awsroles.sync.organizations import AccountCreationFailed, OrganizationsRunner
from awsroles.sync.plan import Change


class FakeOrganizations:
    """CreateAccount that stays IN_PROGRESS for ``polls`` answers, then ends in ``final``."""

    def __init__(self, polls: int, final: dict[str, Any]) -> None:
        self.polls, self.final = polls, final
        self.calls: list[str] = []

    def create_account(self, **params: Any) -> dict[str, Any]:
        self.calls.append("create_account")
        return {"CreateAccountStatus": {"Id": "car-1", "State": "IN_PROGRESS", "AccountName": params["AccountName"]}}

    def describe_create_account_status(self, CreateAccountRequestId: str) -> dict[str, Any]:
        self.calls.append("describe_create_account_status")
        assert CreateAccountRequestId == "car-1"
        if self.polls:
            self.polls -= 1
            return {"CreateAccountStatus": {"Id": "car-1", "State": "IN_PROGRESS"}}
        return {"CreateAccountStatus": {"Id": "car-1", **self.final}}

    def list_roots(self) -> dict[str, Any]:
        return {"Roots": [{"Id": "r-1"}]}

    def get_paginator(self, _name: str) -> Any:
        class Pages:
            def paginate(self, ParentId: str) -> list[dict[str, Any]]:
                children = [{"Id": "ou-1", "Name": "Workloads"}] if ParentId == "r-1" else []
                return [{"OrganizationalUnits": children}]
        return Pages()

    def list_parents(self, ChildId: str) -> dict[str, Any]:
        return {"Parents": [{"Id": "r-1", "Type": "ROOT"}]}

    def move_account(self, **params: Any) -> None:
        self.calls.append(f"move_account {params['AccountId']} {params['SourceParentId']} "
                          f"{params['DestinationParentId']}")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def create(name: str = "dev", ou: str = "") -> Change:
    ops: list[tuple[str, dict[str, Any]]] = [
        (CREATE_ACCOUNT, {"AccountName": name, "Email": f"aws+{name}@acme.example", "RoleName": "Bootstrap",
                          "Tags": []})]
    if ou:
        ops.append((MOVE_ACCOUNT, {"AccountName": name, "AccountId": "", "Path": ou}))
    return Change("ops", "111111111111", "create", "account", name, ops=tuple(ops))


def test_create_account_polls_with_backoff_shows_progress_records_the_id_then_moves() -> None:
    orgs, clock = FakeOrganizations(5, {"State": "SUCCEEDED", "AccountId": "222222222222"}), Clock()
    recorded: list[tuple[str, str]] = []
    heard: list[str] = []
    runner = OrganizationsRunner(orgs, lambda n, i: recorded.append((n, i)), progress=heard.append,
                                 sleep=clock.sleep, clock=clock)
    runner.run(create(ou="Workloads"))
    assert clock.slept == [1, 2, 4, 8, 15, 15]
    assert heard[0] == "creating account dev (aws+dev@acme.example): IN_PROGRESS"
    assert heard[-1] == "creating account dev: SUCCEEDED after 45s"
    assert recorded == [("dev", "222222222222")]
    assert orgs.calls[-1] == "move_account 222222222222 r-1 ou-1"


def test_a_failed_creation_says_why_and_what_to_do_and_records_nothing() -> None:
    orgs, clock = FakeOrganizations(1, {"State": "FAILED", "FailureReason": "EMAIL_ALREADY_EXISTS"}), Clock()
    recorded: list[tuple[str, str]] = []
    runner = OrganizationsRunner(orgs, lambda n, i: recorded.append((n, i)), sleep=clock.sleep, clock=clock)
    with pytest.raises(AccountCreationFailed) as failed:
        runner.run(create(ou="Workloads"))
    assert str(failed.value) == ("creating account dev failed: EMAIL_ALREADY_EXISTS: the e-mail address belongs to "
                                 "another AWS account already: give the account another email in the org file")
    assert not recorded and not any(c.startswith("move_account") for c in orgs.calls)


def test_a_creation_that_takes_too_long_is_left_for_the_next_apply() -> None:
    orgs, clock = FakeOrganizations(10_000, {}), Clock()
    runner = OrganizationsRunner(orgs, lambda *_: None, sleep=clock.sleep, clock=clock, timeout=60)
    with pytest.raises(AccountCreationFailed, match=r"still being created after 1 minutes \(request car-1\): run "
                                                    "apply again later; it finds the account by its e-mail"):
        runner.run(create())


@pytest.mark.parametrize("call", ["close_account", "remove_account_from_organization", "delete_organizational_unit",
                                  "leave_organization", "create_account"])
def test_only_awsroles_own_steps_run(call: str) -> None:
    orgs = FakeOrganizations(0, {"State": "SUCCEEDED", "AccountId": "222222222222"})
    change = Change("ops", "111111111111", "delete", "account", "dev", ops=((call, {"AccountId": "222222222222"}),))
    with pytest.raises(ValueError, match="it never closes or removes an account"):
        OrganizationsRunner(orgs, lambda *_: None).run(change)
    assert orgs.calls == []
