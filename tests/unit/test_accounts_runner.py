"""The runner of account and OU changes: CreateAccount's polling (with its progress and its failures),
the id recorded before anything else happens to the account, nothing else than its own calls, and
account creations run at once by apply, up to Organizations' limit of requests in progress."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from awsroles.sync.accounts import CREATE_ACCOUNT, MOVE_ACCOUNT
from awsroles.sync.apply import apply_plan
from awsroles.sync.organizations import CONCURRENT_CREATES, AccountCreationFailed, OrganizationsRunner
from awsroles.sync.plan import Change, Plan


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

    def get_paginator(self, name: str) -> Any:
        """The runner's reads, paginated (one page each)."""
        class Pages:
            def paginate(self, **params: Any) -> list[dict[str, Any]]:
                if name == "list_roots":
                    return [{"Roots": [{"Id": "r-1"}]}]
                if name == "list_parents":
                    return [{"Parents": [{"Id": "r-1", "Type": "ROOT"}]}]
                assert name == "list_organizational_units_for_parent"
                children = [{"Id": "ou-1", "Name": "Workloads"}] if params["ParentId"] == "r-1" else []
                return [{"OrganizationalUnits": children}]
        return Pages()

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


class ManyAtOnce:
    """Organizations as AWS limits it: at most 5 CreateAccount requests in progress (each until its
    status is described SUCCEEDED, after one IN_PROGRESS answer); it records the most at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_progress: dict[str, int] = {}  # request -> IN_PROGRESS answers left
        self.most = 0
        self.made = 0

    def create_account(self, **params: Any) -> dict[str, Any]:
        with self.lock:
            if len(self.in_progress) >= CONCURRENT_CREATES:
                raise AssertionError("ConstraintViolationException: ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED")
            self.made += 1
            request = f"car-{self.made}"
            self.in_progress[request] = 1
            self.most = max(self.most, len(self.in_progress))
        time.sleep(0.01)  # the others start meanwhile
        return {"CreateAccountStatus": {"Id": request, "State": "IN_PROGRESS"}}

    def describe_create_account_status(self, CreateAccountRequestId: str) -> dict[str, Any]:
        with self.lock:
            if self.in_progress[CreateAccountRequestId]:
                self.in_progress[CreateAccountRequestId] -= 1
                return {"CreateAccountStatus": {"Id": CreateAccountRequestId, "State": "IN_PROGRESS"}}
            del self.in_progress[CreateAccountRequestId]
        number = int(CreateAccountRequestId.removeprefix("car-"))
        return {"CreateAccountStatus": {"Id": CreateAccountRequestId, "State": "SUCCEEDED",
                                        "AccountId": f"{200000000000 + number}"}}


def test_apply_creates_accounts_at_once_but_never_more_than_organizations_allows_in_progress() -> None:
    orgs = ManyAtOnce()
    writing, recorded = threading.Lock(), []

    def record(name: str, account_id: str) -> None:
        assert writing.acquire(blocking=False), "two ids written into the org file at once"
        try:
            time.sleep(0.001)
            recorded.append((name, account_id))
        finally:
            writing.release()

    runner = OrganizationsRunner(orgs, record, sleep=lambda _s: time.sleep(0.005))
    plan = Plan(tuple(create(f"team{i}") for i in range(12)))
    result = apply_plan(plan, lambda _a: None, max_workers=8, organizations_for=lambda _a: runner)
    assert result.ok, result.summary()
    assert orgs.most == CONCURRENT_CREATES  # in parallel, up to the limit and no further
    assert sorted(name for name, _id in recorded) == sorted(f"team{i}" for i in range(12))
    assert len({account_id for _name, account_id in recorded}) == 12


def test_with_parallel_1_accounts_are_created_one_after_another_in_plan_order() -> None:
    orgs = ManyAtOnce()
    recorded: list[str] = []
    runner = OrganizationsRunner(orgs, lambda name, _id: recorded.append(name), sleep=lambda _s: None)
    plan = Plan(tuple(create(f"team{i}") for i in range(4)))
    assert apply_plan(plan, lambda _a: None, max_workers=1, per_account=1, organizations_for=lambda _a: runner).ok
    assert orgs.most == 1 and recorded == ["team0", "team1", "team2", "team3"]


class RecordingRunner:
    """Stands for the OrganizationsRunner: records, per kind, the most changes running at once, and
    the order in which changes start and end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.events: list[tuple[str, str]] = []

    def run(self, change: Change) -> None:
        with self.lock:
            self.running[change.kind] = self.running.get(change.kind, 0) + 1
            self.most[change.kind] = max(self.most.get(change.kind, 0), self.running[change.kind])
            self.events.append(("start", change.kind))
        time.sleep(0.01)
        with self.lock:
            self.running[change.kind] -= 1
            self.events.append(("end", change.kind))


def test_ous_then_accounts_at_once_then_scps_one_at_a_time() -> None:
    changes = [Change("ops", "111111111111", "create", kind, f"{kind}{n}")
               for kind, count in (("ou", 3), ("account", 6), ("scp", 3)) for n in range(count)]
    runner = RecordingRunner()
    assert apply_plan(Plan(tuple(changes)), lambda _a: None, max_workers=4, organizations_for=lambda _a: runner).ok
    assert runner.most == {"ou": 1, "account": 4, "scp": 1}
    kinds = [kind for _event, kind in runner.events]
    assert kinds == sorted(kinds, key=["ou", "account", "scp"].index)  # each kind ends before the next starts
