"""Run the calls of account and OU changes with an Organizations client in the management account.

OUs are found by path when a change runs (a plan names them by path: an OU it creates has no id
until then). ``CreateAccount`` is asynchronous: the runner polls ``DescribeCreateAccountStatus``
until the request succeeds or fails, telling ``progress`` how it goes, then hands the new id to
``record`` (which writes it into the org file) before anything else happens to the account.
Repeats are harmless: an OU that exists is used, an account already in its OU is not moved.
Account changes may run at once (apply runs an organization's account changes ``--parallel`` at a
time): at most :data:`CONCURRENT_CREATES` account creations are in progress at once (each holds its
place from ``CreateAccount`` until its status is final), ids are recorded one at a time, and OUs
(created parents first) and SCPs run one change at a time.
Nothing here can close or remove an account: only :data:`ORGANIZATIONS_CALLS` run; SCP calls go to
:class:`~awsroles.sync.scp_runner.ScpRunner`, which touches only SCPs awsroles owns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from awsroles.accounts.reads import pages
from awsroles.errors import AwsrolesError
from awsroles.sync.accounts import (
    CREATE_ACCOUNT,
    CREATE_OU,
    MOVE_ACCOUNT,
    ORGANIZATIONS_CALLS,
    RECORD_ID,
    TAG_ACCOUNT,
    TAG_OU,
)
from awsroles.sync.billing import PROTECTED_TAGS, PUT_CONTACT, UNTAG_ACCOUNT
from awsroles.sync.plan import Change
from awsroles.sync.scp_runner import ScpRunner
from awsroles.sync.scps import SCP_CALLS

# CreateAccount requests in progress at once: Organizations refuses more (ConstraintViolationException
# ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED; Organizations User Guide, "Quotas and service limits",
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
CONCURRENT_CREATES = 5
POLL_FIRST, POLL_MAX = 1.0, 15.0  # seconds between DescribeCreateAccountStatus calls: 1, 2, 4 .. 15
CREATE_TIMEOUT = 30 * 60.0  # AWS usually takes a few minutes

# FailureReason of DescribeCreateAccountStatus (Organizations API reference, CreateAccountStatus).
FAILURES = {
    "EMAIL_ALREADY_EXISTS": "the e-mail address belongs to another AWS account already: give the account another "
                            "email in the org file",
    "ACCOUNT_LIMIT_EXCEEDED": "the organization has as many accounts as its quota allows: ask AWS for more "
                              "(Service Quotas, AWS Organizations)",
    "INVALID_EMAIL": "AWS refused the e-mail address",
    "INVALID_ADDRESS": "AWS refused the organization's address",
    "CONCURRENT_ACCOUNT_MODIFICATION": "another account is being created or changed: try again",
    "INTERNAL_FAILURE": "AWS failed internally: try again",
}


class AccountCreationFailed(AwsrolesError):
    pass


class OrganizationsRunner:
    """Runs account and OU changes; ``record(name, id)`` is called once an account's id is known."""

    def __init__(self, orgs: Any, record: Callable[[str, str], None], *,
                 progress: Callable[[str], None] | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, timeout: float = CREATE_TIMEOUT,
                 created: Callable[[str, str], None] | None = None,
                 account: Callable[[], Any] | None = None) -> None:
        """``created(name, id)``: called once an account exists, before its id is recorded (the
        engine opens its role to the account apply runs from, see :meth:`Engine.open_to_caller`).
        ``account()``: an AWS Account Management client in the management account (for contacts)."""
        self.orgs, self.record, self.created, self.account = orgs, record, created, account
        self.progress = progress or (lambda _message: None)
        self.sleep, self.clock, self.timeout = sleep, clock, timeout
        self._ou_ids: dict[str, str] | None = None  # path -> id ("" is the root)
        self._lock = threading.RLock()  # OUs, SCPs and the OU tree: one at a time
        self._recording = threading.Lock()  # the org file: one id written at a time
        self._creating = threading.BoundedSemaphore(CONCURRENT_CREATES)
        self.scps = ScpRunner(orgs, self.ou_id, lambda: self.ou_id(""))

    # OUs by path -------------------------------------------------------------------------------

    def _tree(self) -> dict[str, str]:
        with self._lock:
            return self._read_tree()

    def _read_tree(self) -> dict[str, str]:
        if self._ou_ids is None:
            root = pages(self.orgs, "list_roots", "Roots")[0][0]["Id"]
            self._ou_ids = {"": root}
            queue = [("", root)]
            while queue:
                path, parent = queue.pop(0)
                for ou in pages(self.orgs, "list_organizational_units_for_parent", "OrganizationalUnits",
                                ParentId=parent)[0]:
                    child = f"{path}/{ou['Name']}" if path else ou["Name"]
                    self._ou_ids[child] = ou["Id"]
                    queue.append((child, ou["Id"]))
        return self._ou_ids

    def ou_id(self, path: str) -> str:
        tree = self._tree()
        if path not in tree:
            raise AwsrolesError(f"no organizational unit {path} in the organization (its change did not run?)")
        return tree[path]

    def create_ou(self, path: str, tags: list[dict[str, str]]) -> None:
        tree = self._tree()
        if path in tree:
            return
        parent, _, name = path.rpartition("/")
        made = self.orgs.create_organizational_unit(ParentId=self.ou_id(parent), Name=name, Tags=tags)
        tree[path] = made["OrganizationalUnit"]["Id"]

    # accounts --------------------------------------------------------------------------------

    def create_account(self, params: dict[str, Any]) -> str:
        with self._creating:
            status = self._create(params)
        account_id = str(status["AccountId"])
        with self._recording:
            if self.created is not None:
                self.created(params["AccountName"], account_id)
            self.record(params["AccountName"], account_id)
        return account_id

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        """CreateAccount, polled until it is final: its CreateAccountStatus, once SUCCEEDED."""
        name = params["AccountName"]
        status = self.orgs.create_account(**params)["CreateAccountStatus"]
        started, wait = self.clock(), POLL_FIRST
        self.progress(f"creating account {name} ({params['Email']}): {status['State']}")
        while status["State"] == "IN_PROGRESS":
            if self.clock() - started > self.timeout:
                raise AccountCreationFailed(f"account {name} is still being created after {self.timeout / 60:g} "
                                            f"minutes (request {status['Id']}): run apply again later; it finds "
                                            "the account by its e-mail address")
            self.sleep(wait)
            wait = min(wait * 2, POLL_MAX)
            reply = self.orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])
            status = reply["CreateAccountStatus"]
            self.progress(f"creating account {name}: {status['State']} after {self.clock() - started:.0f}s")
        if status["State"] != "SUCCEEDED":
            reason = status.get("FailureReason", "unknown")
            raise AccountCreationFailed(f"creating account {name} failed: {reason}: {FAILURES.get(reason, 'see AWS')}")
        return dict(status)

    def move_account(self, account_id: str, path: str) -> None:
        destination = self.ou_id(path)
        parents = pages(self.orgs, "list_parents", "Parents", ChildId=account_id)[0]
        source = parents[0]["Id"]
        if source != destination:
            self.orgs.move_account(AccountId=account_id, SourceParentId=source, DestinationParentId=destination)

    def run(self, change: Change) -> None:
        """Run one account or OU change, in order; refuse any call not in ORGANIZATIONS_CALLS."""
        created = ""
        for method, params in change.ops:
            if method not in ORGANIZATIONS_CALLS:
                raise ValueError(f"refusing to run {method!r}: not a call awsroles plans for an account or an OU "
                                 "(it never closes or removes an account)")
            if method in SCP_CALLS:
                with self._lock:
                    self.scps.run(method, params)
                continue
            with self._lock:
                if method == CREATE_OU:
                    self.create_ou(params["Path"], params["Tags"])
                elif method == TAG_OU:
                    self.orgs.tag_resource(ResourceId=self.ou_id(params["Path"]), Tags=params["Tags"])
            if method == CREATE_ACCOUNT:
                created = self.create_account(params)
            elif method == RECORD_ID:
                with self._recording:
                    self.record(params["AccountName"], params["AccountId"])
            elif method == MOVE_ACCOUNT:
                self.move_account(params["AccountId"] or created, params["Path"])
            elif method == TAG_ACCOUNT:
                self.orgs.tag_resource(ResourceId=params["AccountId"] or created, Tags=params["Tags"])
            elif method == UNTAG_ACCOUNT:
                self.untag(params["AccountId"] or created, params["TagKeys"])
            elif method == PUT_CONTACT:
                self.put_contact(params, params["AccountId"] or created)

    def untag(self, account_id: str, keys: list[str]) -> None:
        """Remove tags awsroles set; never its marks (managed-by, awsroles-org, awsroles-ou)."""
        marks = sorted(set(keys) & PROTECTED_TAGS)
        if marks:
            raise ValueError(f"refusing to remove the tag {', '.join(marks)} of account {account_id}: awsroles' mark")
        self.orgs.untag_resource(ResourceId=account_id, TagKeys=keys)

    def put_contact(self, params: dict[str, Any], account_id: str) -> None:
        """PutAlternateContact; without AccountId for the management account (AWS refuses its own id)."""
        if self.account is None:
            raise AwsrolesError("no AWS Account Management client to set alternate contacts with")
        fields = {k: params[k] for k in ("AlternateContactType", "Name", "Title", "EmailAddress", "PhoneNumber")}
        self.account().put_alternate_contact(**fields, **({} if params["Management"] else {"AccountId": account_id}))
