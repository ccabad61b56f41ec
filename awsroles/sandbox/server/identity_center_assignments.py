"""The ``sso-admin`` operations on provisioning and account assignments, as :mod:`.identity_center`
describes them: asynchronous requests polled through Describe...Status, and which permission set
is provisioned, at which version, to which account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from awsroles.sandbox.server.identity_center import Request, dumps, error, page, principal_exists
from awsroles.sandbox.server.identity_center_calls import Call


def _request(kind: dict[str, Request], status: dict[str, Any]) -> dict[str, Any]:
    from moto.core.utils import unix_time

    request = Request({**status, "RequestId": str(uuid4()), "CreatedDate": unix_time()})
    kind[request.status["RequestId"]] = request
    return {**request.status, "Status": "IN_PROGRESS"}


def _status(kind: dict[str, Request], request_id: str | None) -> dict[str, Any]:
    request = kind.get(str(request_id))
    if request is None:
        raise error("ResourceNotFoundException", f"Request {request_id} does not exist")
    return request.describe()


def _roles_up_to_date(call: Call, permission_set: Any, accounts: list[str]) -> None:
    """Provisioning brings the role Identity Center made for the permission set in each account up
    to date with the permission set's policies ("As you modify the permission set, IAM Identity
    Center ensures that the corresponding IAM policies and roles are updated accordingly",
    https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html)."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    from awsroles.sandbox.server.sso_portal import _reserved_role, role_name

    for account in accounts:
        try:
            iam_backends[account][call.partition].get_role(role_name(account, permission_set))
        except NotFoundException:
            continue
        _reserved_role(account, call.partition, permission_set)


def provision_permission_set(self: Any) -> str:
    call = Call(self)
    arn = call.permission_set().permission_set_arn
    version = call.state.versions.get(arn, 0)
    status: dict[str, Any] = {"PermissionSetArn": arn}
    if call.params.get("TargetType") == "AWS_ACCOUNT":
        account = call.target()
        call.state.provisioned[(arn, account)] = version
        status["AccountId"] = account
    elif call.params.get("TargetType") == "ALL_PROVISIONED_ACCOUNTS":
        if call.params.get("TargetId"):
            raise error("ValidationException", "TargetId is only for TargetType AWS_ACCOUNT")
        for key in [k for k in call.state.provisioned if k[0] == arn]:
            call.state.provisioned[key] = version
    else:
        raise error("ValidationException", "TargetType must be AWS_ACCOUNT or ALL_PROVISIONED_ACCOUNTS")
    _roles_up_to_date(call, call.permission_set(), [a for (p, a) in call.state.provisioned if p == arn])
    return dumps({"PermissionSetProvisioningStatus": _request(call.state.provisioning, status)})


def describe_permission_set_provisioning_status(self: Any) -> str:
    call = Call(self)
    call.instance()
    status = _status(call.state.provisioning, call.params.get("ProvisionPermissionSetRequestId"))
    return dumps({"PermissionSetProvisioningStatus": status})


def _assignment(call: Call, *, creating: bool) -> tuple[Any, Any]:
    """The requested assignment's key fields, checked, and moto's assignment if it exists."""
    instance = call.instance()
    permission_set = call.permission_set()
    if call.params.get("TargetType") != "AWS_ACCOUNT":
        raise error("ValidationException", "TargetType must be AWS_ACCOUNT")
    kind, principal = call.params.get("PrincipalType"), str(call.params.get("PrincipalId") or "")
    if kind not in ("USER", "GROUP"):
        raise error("ValidationException", "PrincipalType must be USER or GROUP")
    target = call.target() if creating else str(call.params.get("TargetId") or "")
    if creating and not principal_exists(call.account, call.region, instance.identity_store_id, kind, principal):
        raise error("ResourceNotFoundException", f"{kind.capitalize()} {principal} does not exist in identity store "
                    f"{instance.identity_store_id}")
    key = (instance.instance_arn, target, "AWS_ACCOUNT", permission_set.permission_set_arn, kind, principal)
    existing = next((a for a in call.backend.account_assignments
                     if (a.instance_arn, a.target_id, a.target_type, a.permission_set_arn, a.principal_type,
                         a.principal_id) == key), None)
    return key, existing


def _fields(key: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(("TargetId", "TargetType", "PermissionSetArn", "PrincipalType", "PrincipalId"), key[1:],
                    strict=True))


def create_account_assignment(self: Any) -> str:
    from moto.ssoadmin.models import AccountAssignment

    from awsroles.sandbox.server.sso_portal import _reserved_role

    call = Call(self)
    key, existing = _assignment(call, creating=True)
    if existing is None:
        call.backend.account_assignments.append(AccountAssignment(*key))
    arn, account = key[3], key[1]
    call.state.provisioned.setdefault((arn, account), call.state.versions.get(arn, 0))
    _reserved_role(account, call.partition, call.permission_set())  # provisioned: its role is made
    return dumps({"AccountAssignmentCreationStatus": _request(call.state.creations, _fields(key))})


def delete_account_assignment(self: Any) -> str:
    call = Call(self)
    key, existing = _assignment(call, creating=False)
    if existing is None:
        raise error("ResourceNotFoundException", "The account assignment does not exist")
    call.backend.account_assignments.remove(existing)
    arn, account = key[3], key[1]
    if not any(a.permission_set_arn == arn and a.target_id == account for a in call.backend.account_assignments):
        from awsroles.sandbox.server.sso_portal import delete_reserved_role

        call.state.provisioned.pop((arn, account), None)  # the account's last assignment of the set
        delete_reserved_role(account, call.partition, call.permission_set())  # and its role goes
    return dumps({"AccountAssignmentDeletionStatus": _request(call.state.deletions, _fields(key))})


def describe_account_assignment_creation_status(self: Any) -> str:
    call = Call(self)
    call.instance()
    status = _status(call.state.creations, call.params.get("AccountAssignmentCreationRequestId"))
    return dumps({"AccountAssignmentCreationStatus": status})


def describe_account_assignment_deletion_status(self: Any) -> str:
    call = Call(self)
    call.instance()
    status = _status(call.state.deletions, call.params.get("AccountAssignmentDeletionRequestId"))
    return dumps({"AccountAssignmentDeletionStatus": status})


def list_account_assignments(self: Any) -> str:
    call = Call(self)
    instance_arn = call.instance().instance_arn
    arn = call.permission_set().permission_set_arn
    account = call.params.get("AccountId")
    found = [{"AccountId": a.target_id, "PermissionSetArn": a.permission_set_arn, "PrincipalType": a.principal_type,
              "PrincipalId": a.principal_id} for a in call.backend.account_assignments
             if a.instance_arn == instance_arn and a.target_id == account and a.permission_set_arn == arn]
    items, token = page(found, call.params)
    return dumps({"AccountAssignments": items, "NextToken": token})


def _wanted(call: Call, arn: str, account: str) -> bool:
    status = call.state.status_of(arn, account)
    return status is not None and call.params.get("ProvisioningStatus") in (None, status)


def list_accounts_for_provisioned_permission_set(self: Any) -> str:
    call = Call(self)
    arn = call.permission_set().permission_set_arn
    accounts = sorted(a for (p, a) in call.state.provisioned if p == arn and _wanted(call, arn, a))
    items, token = page(accounts, call.params)
    return dumps({"AccountIds": items, "NextToken": token})


def list_permission_sets_provisioned_to_account(self: Any) -> str:
    call = Call(self)
    instance_arn = call.instance().instance_arn
    account = str(call.params.get("AccountId") or "")
    arns = [p.permission_set_arn for p in call.backend.permission_sets
            if p.instance_arn == instance_arn and _wanted(call, p.permission_set_arn, account)]
    items, token = page(arns, call.params)
    return dumps({"PermissionSets": items, "NextToken": token})


OPERATIONS: tuple[Callable[..., str], ...] = (
    provision_permission_set, describe_permission_set_provisioning_status, create_account_assignment,
    delete_account_assignment, describe_account_assignment_creation_status, describe_account_assignment_deletion_status,
    list_account_assignments, list_accounts_for_provisioned_permission_set, list_permission_sets_provisioned_to_account)
