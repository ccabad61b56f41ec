"""bounded_map (awsroles.accounts.reads), which the organization's and the SCPs' readers use to read
many accounts, OUs and policies at once: never more than its bound in flight, results in the
items' order, and the earliest failure raised as it was, with the calls not yet started never made."""

from __future__ import annotations

import threading
import time

import pytest

from awsroles.accounts.reads import CONCURRENCY, bounded_map


class Recorder:
    """A fake read that records how many calls are in flight at once."""

    def __init__(self, fail: set[int] | None = None) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.most = 0
        self.started: list[int] = []
        self.fail = fail or set()

    def __call__(self, item: int) -> int:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self.started.append(item)
        try:
            time.sleep(0.005)  # long enough for the pool to start the others
            if item in self.fail:
                raise RuntimeError(f"read {item} failed")
            return item * 10
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.mark.parametrize("limit", [2, 3, CONCURRENCY])
def test_never_more_than_the_bound_in_flight_and_results_in_order(limit: int) -> None:
    read = Recorder()
    assert bounded_map(read, list(range(40)), limit) == [i * 10 for i in range(40)]
    assert read.most == limit
    assert sorted(read.started) == list(range(40))


def test_one_at_a_time_runs_in_the_callers_thread_in_order() -> None:
    threads: list[str] = []

    def read(item: int) -> int:
        threads.append(threading.current_thread().name)
        return item

    assert bounded_map(read, [3, 1, 2], 1) == [3, 1, 2]
    assert set(threads) == {threading.current_thread().name}
    assert bounded_map(read, [], 8) == []


def test_the_earliest_failure_is_raised_and_the_rest_are_not_started() -> None:
    read = Recorder(fail={5, 7})
    with pytest.raises(RuntimeError, match=r"^read 5 failed$"):
        bounded_map(read, list(range(200)), 2)
    assert read.in_flight == 0  # nothing left running
    assert len(read.started) < 200


class _AccountManagement:
    """A fake Account Management client: GetAlternateContact, counting the calls in flight."""

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.asked: list[tuple[str, str | None]] = []

    def get_alternate_contact(self, AlternateContactType: str,
                              AccountId: str | None = None) -> dict[str, object]:
        self.recorder(0)
        self.asked.append((AlternateContactType, AccountId))
        return {"AlternateContact": {"Name": f"n-{AccountId}", "Title": "t", "EmailAddress": "a@b.example",
                                     "PhoneNumber": "1"}}


@pytest.mark.parametrize("limit", [1, 3])
def test_contacts_are_read_parallel_at_a_time_in_order_and_the_management_account_without_its_id(limit: int) -> None:
    from awsroles.accounts.contacts import read_contacts

    client = _AccountManagement()
    ids = [f"{n:012d}" for n in range(1, 10)]
    found = read_contacts(client, ids, management_id=ids[0], limit=limit)
    assert list(found) == ids
    assert client.recorder.most == limit  # each account's three reads run in one call of the pool
    assert len(client.asked) == 3 * len(ids)
    assert {account for _kind, account in client.asked} == {None, *ids[1:]}  # never AccountId = the management's
    billing = found[ids[1]]["BILLING"]
    assert billing is not None and billing.name == f"n-{ids[1]}"
