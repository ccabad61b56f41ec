"""Run the calls of Identity Center changes in the instance's account.

A plan names users, groups and permission sets by name (``User``, ``Group``, ``PermissionSet``);
the runner turns them into ids and ARNs when it runs (what apply creates has none before), adds
the instance's ARN and identity store id, and runs only the calls it is given as allowed.

Asynchronous requests are waited on: ``ProvisionPermissionSet``, ``CreateAccountAssignment`` and
``DeleteAccountAssignment`` return a request whose status is polled (after a quarter of a second,
as most finish within a second or two, then doubling up to 15 s) until it succeeds or fails,
telling ``progress`` how it goes. Identity Center runs one update per account at a time and
answers ``ConflictException`` to another: such calls are tried again after a pause ("IAM Identity
Center quotas"; sso-admin API reference, "Common errors").
Repeats are harmless: what exists already is used, what is gone is not an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from awsroles.errors import AwsrolesError, aws_error_code

POLL_FIRST, POLL_MAX = 1.0, 15.0  # pauses before trying a busy account again
STATUS_FIRST = 0.25  # the first pause before reading a request's status
TIMEOUT = 15 * 60.0
CONFLICT_TRIES = 8
_GONE = frozenset({"ResourceNotFoundException"})
_EXISTS = frozenset({"ConflictException"})


class ProvisioningFailed(AwsrolesError):
    pass


class IdentityCenterRunner:
    """Runs Identity Center changes; thread-safe (apply may run a wave's changes at once)."""

    def __init__(self, sso: Any, store: Any, instance_arn: str, identity_store_id: str, allowed: Collection[str], *,
                 progress: Callable[[str], None] | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, timeout: float = TIMEOUT) -> None:
        self.sso, self.store = sso, store
        self.instance, self.store_id = instance_arn, identity_store_id
        self.allowed = frozenset(allowed)
        self.progress = progress or (lambda _message: None)
        self.sleep, self.clock, self.timeout = sleep, clock, timeout
        self._lock = threading.Lock()
        self._sets: dict[str, str] | None = None  # permission set name -> ARN
        self._users: dict[str, str] = {}
        self._groups: dict[str, str] = {}

    # names -> ids -------------------------------------------------------------------------

    def permission_set_arn(self, name: str) -> str:
        with self._lock:
            if self._sets is None or name not in self._sets:
                found: dict[str, str] = {}
                token = None
                while True:
                    page = self.sso.list_permission_sets(InstanceArn=self.instance,
                                                         **({"NextToken": token} if token else {}))
                    for arn in page.get("PermissionSets", []):
                        described = self.sso.describe_permission_set(InstanceArn=self.instance, PermissionSetArn=arn)
                        found[described["PermissionSet"]["Name"]] = arn
                    token = page.get("NextToken")
                    if not token:
                        break
                self._sets = found
            if name not in self._sets:
                raise AwsrolesError(f"permission set {name} does not exist in {self.instance}")
            return self._sets[name]

    def _id(self, kind: str, name: str) -> str:
        cache, attribute, call, key = ((self._users, "userName", self.store.get_user_id, "UserId") if kind == "user"
                                       else (self._groups, "displayName", self.store.get_group_id, "GroupId"))
        with self._lock:
            if name.lower() in cache:
                return cache[name.lower()]
        found = call(IdentityStoreId=self.store_id, AlternateIdentifier={
            "UniqueAttribute": {"AttributePath": attribute, "AttributeValue": name}})[key]
        with self._lock:
            cache[name.lower()] = found
        return str(found)

    def user_id(self, name: str) -> str:
        return self._id("user", name)

    def group_id(self, name: str) -> str:
        return self._id("group", name)

    # running ----------------------------------------------------------------------------

    def run(self, change: Any) -> None:
        for method, params in change.ops:
            if method not in self.allowed:
                raise ValueError(f"refusing to run {method!r}: not an Identity Center call awsroles plans for a "
                                 f"{change.kind}")
            self.call(method, dict(params))

    def call(self, method: str, params: dict[str, Any]) -> None:
        try:
            self._call(method, params)
        except Exception as exc:
            code = aws_error_code(exc)
            if method.startswith(("delete_", "detach_")) and code in _GONE:
                return
            if method.startswith(("create_", "attach_")) and method not in ("create_account_assignment",) \
                    and code in _EXISTS:
                return
            raise

    def _resolve(self, params: dict[str, Any]) -> dict[str, Any]:
        if "PermissionSet" in params:
            params["PermissionSetArn"] = self.permission_set_arn(params.pop("PermissionSet"))
        return params

    def _call(self, method: str, params: dict[str, Any]) -> None:
        store, sso, instance = self.store, self.sso, {"InstanceArn": self.instance}
        if method == "create_user":
            made = store.create_user(IdentityStoreId=self.store_id, **params)
            with self._lock:
                self._users[params["UserName"].lower()] = made["UserId"]
        elif method == "update_user":
            store.update_user(IdentityStoreId=self.store_id, UserId=self.user_id(params["User"]),
                              Operations=params["Operations"])
        elif method == "delete_user":
            store.delete_user(IdentityStoreId=self.store_id, UserId=self.user_id(params["User"]))
        elif method == "create_group":
            made = store.create_group(IdentityStoreId=self.store_id, **params)
            with self._lock:
                self._groups[params["DisplayName"].lower()] = made["GroupId"]
        elif method == "update_group":
            store.update_group(IdentityStoreId=self.store_id, GroupId=self.group_id(params["Group"]),
                               Operations=params["Operations"])
        elif method == "delete_group":
            store.delete_group(IdentityStoreId=self.store_id, GroupId=self.group_id(params["Group"]))
        elif method == "create_group_membership":
            store.create_group_membership(IdentityStoreId=self.store_id, GroupId=self.group_id(params["Group"]),
                                          MemberId={"UserId": self.user_id(params["User"])})
        elif method == "delete_group_membership":
            membership = store.get_group_membership_id(
                IdentityStoreId=self.store_id, GroupId=self.group_id(params["Group"]),
                MemberId={"UserId": self.user_id(params["User"])})["MembershipId"]
            store.delete_group_membership(IdentityStoreId=self.store_id, MembershipId=membership)
        elif method == "create_permission_set":
            made = sso.create_permission_set(**instance, **params)
            with self._lock:
                if self._sets is not None:
                    self._sets[params["Name"]] = made["PermissionSet"]["PermissionSetArn"]
        elif method == "tag_resource":
            arn = self.permission_set_arn(params.pop("PermissionSet"))
            sso.tag_resource(**instance, ResourceArn=arn, **params)
        elif method == "provision_permission_set":
            arn = self.permission_set_arn(params["PermissionSet"])
            status = self._retrying(lambda: sso.provision_permission_set(
                **instance, PermissionSetArn=arn, TargetType="ALL_PROVISIONED_ACCOUNTS"))
            self._wait(f"provisioning permission set {params['PermissionSet']}",
                       status["PermissionSetProvisioningStatus"],
                       lambda request: sso.describe_permission_set_provisioning_status(
                           **instance, ProvisionPermissionSetRequestId=request)["PermissionSetProvisioningStatus"])
        elif method in ("create_account_assignment", "delete_account_assignment"):
            self._assignment(method, params)
        elif method == "delete_permission_set":
            arn = self.permission_set_arn(params["PermissionSet"])
            sso.delete_permission_set(**instance, PermissionSetArn=arn)
            with self._lock:
                if self._sets is not None:
                    self._sets.pop(params["PermissionSet"], None)
        else:  # the permission set's own settings: its ARN is all they need besides their parameters
            getattr(sso, method)(**instance, **self._resolve(params))

    def _assignment(self, method: str, params: dict[str, Any]) -> None:
        set_name = params["PermissionSet"]
        arn = self.permission_set_arn(set_name)
        if "Group" in params:
            principal_type, principal_id = "GROUP", self.group_id(params["Group"])
        elif "User" in params:
            principal_type, principal_id = "USER", self.user_id(params["User"])
        else:
            principal_type, principal_id = params["PrincipalType"], params["PrincipalId"]
        request = {"InstanceArn": self.instance, "PermissionSetArn": arn, "TargetId": params["TargetId"],
                   "TargetType": "AWS_ACCOUNT", "PrincipalType": principal_type, "PrincipalId": principal_id}
        what = f"{'assigning' if method.startswith('create') else 'removing'} {set_name} in {params['TargetId']}"
        if method == "create_account_assignment":
            status = self._retrying(lambda: self.sso.create_account_assignment(**request))
            self._wait(what, status["AccountAssignmentCreationStatus"],
                       lambda rid: self.sso.describe_account_assignment_creation_status(
                           InstanceArn=self.instance, AccountAssignmentCreationRequestId=rid,
                       )["AccountAssignmentCreationStatus"])
        else:
            status = self._retrying(lambda: self.sso.delete_account_assignment(**request))
            self._wait(what, status["AccountAssignmentDeletionStatus"],
                       lambda rid: self.sso.describe_account_assignment_deletion_status(
                           InstanceArn=self.instance, AccountAssignmentDeletionRequestId=rid,
                       )["AccountAssignmentDeletionStatus"])

    def _retrying(self, call: Callable[[], Any]) -> Any:
        delay = POLL_FIRST
        for attempt in range(CONFLICT_TRIES):
            try:
                return call()
            except Exception as exc:
                if aws_error_code(exc) != "ConflictException" or attempt == CONFLICT_TRIES - 1:
                    raise
                self.progress(f"another Identity Center change is running in that account: trying again in "
                              f"{delay:.0f} s")
                self.sleep(delay)
                delay = min(delay * 2, POLL_MAX)
        raise AssertionError("unreachable")

    def _wait(self, what: str, status: dict[str, Any], describe: Callable[[str], dict[str, Any]]) -> None:
        start, delay = self.clock(), STATUS_FIRST
        while status.get("Status") == "IN_PROGRESS":
            if self.clock() - start > self.timeout:
                raise ProvisioningFailed(f"{what}: still in progress after {self.timeout / 60:.0f} minutes "
                                         f"(request {status.get('RequestId')}); re-run apply to check again")
            self.progress(f"{what}: in progress")
            self.sleep(delay)
            delay = min(delay * 2, POLL_MAX)
            status = describe(str(status["RequestId"]))
        if status.get("Status") == "FAILED":
            raise ProvisioningFailed(f"{what} failed: {status.get('FailureReason') or 'no reason given'}")
        self.progress(f"{what}: done")
