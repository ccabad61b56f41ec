"""The ``sso-admin`` operations on instances, permission sets, their tags and policies, as
:mod:`.identity_center` describes them (provisioning and assignments: :mod:`.identity_center_assignments`).

Each function is a method of moto's ``SSOAdminResponse``: it reads the request's JSON parameters,
works on moto's backend for the caller's account and region (its instances, permission sets and
account assignments) and the sandbox's :class:`~.identity_center.State` beside it, and answers JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from awsroles.sandbox.server.identity_center import (
    MAX_INLINE_POLICY,
    MAX_POLICIES,
    State,
    check_permission_set_fields,
    check_reference,
    check_tags,
    dumps,
    error,
    instances_of,
    organization_accounts,
    page,
    state_of,
)


class Call:
    """One request: its parameters, moto's backend and the sandbox's state."""

    def __init__(self, response: Any) -> None:
        self.params: dict[str, Any] = json.loads(response.body or "{}")
        self.backend = response.ssoadmin_backend
        self.state: State = state_of(self.backend)
        self.account: str = response.current_account
        self.region: str = response.region
        self.partition: str = response.partition

    def instance(self) -> Any:
        arn = self.params.get("InstanceArn")
        found = next((i for i in instances_of(self.backend, self.account) if i.instance_arn == arn), None)
        if found is None:
            raise error("ResourceNotFoundException", f"Instance {arn} does not exist")
        return found

    def permission_set(self, arn_key: str = "PermissionSetArn") -> Any:
        self.instance()
        return self.backend._find_permission_set(self.params.get("InstanceArn"), self.params.get(arn_key))

    def managed_policy(self, arn: str | None) -> Any:
        return self.backend._find_managed_policy(str(arn or ""))  # ResourceNotFoundException unless it exists

    def target(self) -> str:
        target = str(self.params.get("TargetId") or "")
        if target not in organization_accounts(self.account, self.partition):
            raise error("ValidationException", f"TargetId {target} is not an account of the organization this "
                        "instance belongs to")
        return target

    def policy_count(self, permission_set: Any) -> int:
        return len(permission_set.managed_policies) + len(permission_set.customer_managed_policies)

    def changed(self, permission_set: Any) -> str:
        self.state.changed(permission_set.permission_set_arn)
        return "{}"


def describe(permission_set: Any) -> dict[str, Any]:
    fields = {"Name": permission_set.name, "PermissionSetArn": permission_set.permission_set_arn,
              "Description": permission_set.description, "CreatedDate": permission_set.created_date,
              "SessionDuration": permission_set.session_duration, "RelayState": permission_set.relay_state}
    return {k: v for k, v in fields.items() if v is not None}


def list_instances(self: Any) -> str:
    call = Call(self)
    instances, token = page(instances_of(call.backend, call.account), call.params)
    return dumps({"Instances": [{k: v for k, v in i.to_json().items() if v is not None} for i in instances],
                  "NextToken": token})


def describe_instance(self: Any) -> str:
    instance = Call(self).instance()
    return dumps({k: v for k, v in instance.to_json().items() if v is not None})


def create_permission_set(self: Any) -> str:
    from moto.ssoadmin.models import PermissionSet

    call = Call(self)
    instance_arn = call.instance().instance_arn
    check_permission_set_fields(call.params, creating=True)
    tags = check_tags(call.params.get("Tags") or [])
    name = call.params["Name"]
    if any(p.name == name and p.instance_arn == instance_arn for p in call.backend.permission_sets):
        raise error("ConflictException", f"PermissionSet with name {name} already exists")
    description: Any = call.params.get("Description")  # moto hints str; None is what AWS leaves out
    relay_state: Any = call.params.get("RelayState")
    created = PermissionSet(name, description, instance_arn, call.params.get("SessionDuration") or "PT1H",
                            relay_state, [{"Key": k, "Value": v} for k, v in tags.items()])
    call.backend.permission_sets.append(created)
    call.state.tags[created.permission_set_arn] = tags
    return dumps({"PermissionSet": describe(created)})


def update_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    check_permission_set_fields(call.params, creating=False)
    for key, attr in (("Description", "description"), ("SessionDuration", "session_duration"),
                      ("RelayState", "relay_state")):
        if call.params.get(key) is not None:
            setattr(permission_set, attr, call.params[key])
    return call.changed(permission_set)


def describe_permission_set(self: Any) -> str:
    return dumps({"PermissionSet": describe(Call(self).permission_set())})


def list_permission_sets(self: Any) -> str:
    call = Call(self)
    instance_arn = call.instance().instance_arn
    arns = [p.permission_set_arn for p in call.backend.permission_sets if p.instance_arn == instance_arn]
    items, token = page(arns, call.params)
    return dumps({"PermissionSets": items, "NextToken": token})


def delete_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    arn = permission_set.permission_set_arn
    if any(key[0] == arn for key in call.state.provisioned):
        raise error("ConflictException", "Could not delete because PermissionSet has ApplicationProfile associated "
                    "with it")
    call.backend.permission_sets.remove(permission_set)
    for kept in (call.state.tags, call.state.boundaries, call.state.versions):
        kept.pop(arn, None)
    return "{}"


def list_tags_for_resource(self: Any) -> str:
    call = Call(self)
    call.permission_set("ResourceArn")
    tags = call.state.tags.get(call.params["ResourceArn"], {})
    items, token = page([{"Key": k, "Value": v} for k, v in sorted(tags.items())], call.params)
    return dumps({"Tags": items, "NextToken": token})


def tag_resource(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set("ResourceArn")
    tags = call.state.tags.setdefault(permission_set.permission_set_arn, {})
    tags.update(check_tags(call.params.get("Tags") or []))
    permission_set.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
    return "{}"


def untag_resource(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set("ResourceArn")
    tags = call.state.tags.setdefault(permission_set.permission_set_arn, {})
    for key in call.params.get("TagKeys") or []:
        tags.pop(key, None)
    permission_set.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
    return "{}"


def put_inline_policy_to_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    policy = str(call.params.get("InlinePolicy") or "")
    if not 1 <= len(policy) <= MAX_INLINE_POLICY:
        raise error("ValidationException", f"InlinePolicy must have length between 1 and {MAX_INLINE_POLICY}")
    try:
        json.loads(policy)
    except ValueError as exc:
        raise error("ValidationException", "The inline policy is not valid JSON") from exc
    permission_set.inline_policy = policy
    return call.changed(permission_set)


def get_inline_policy_for_permission_set(self: Any) -> str:
    return dumps({"InlinePolicy": Call(self).permission_set().inline_policy or ""})


def delete_inline_policy_from_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    permission_set.inline_policy = ""
    return call.changed(permission_set)


def attach_managed_policy_to_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    policy = call.managed_policy(call.params.get("ManagedPolicyArn"))
    if policy in permission_set.managed_policies:
        raise error("ConflictException", f"Permission set already has the managed policy {policy.arn} attached")
    if call.policy_count(permission_set) >= MAX_POLICIES:
        raise error("ServiceQuotaExceededException", f"A permission set can have at most {MAX_POLICIES} managed and "
                    "customer managed policies attached")
    permission_set.managed_policies.append(policy)
    return call.changed(permission_set)


def list_managed_policies_in_permission_set(self: Any) -> str:
    call = Call(self)
    policies = [{"Arn": p.arn, "Name": p.name} for p in call.permission_set().managed_policies]
    items, token = page(policies, call.params)
    return dumps({"AttachedManagedPolicies": items, "NextToken": token})


def detach_managed_policy_from_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    arn = call.params.get("ManagedPolicyArn")
    found = next((p for p in permission_set.managed_policies if p.arn == arn), None)
    if found is None:
        raise error("ResourceNotFoundException", f"Could not find ManagedPolicy with arn {arn}")
    permission_set.managed_policies.remove(found)
    return call.changed(permission_set)


def attach_customer_managed_policy_reference_to_permission_set(self: Any) -> str:
    from moto.ssoadmin.models import CustomerManagedPolicy

    call = Call(self)
    permission_set = call.permission_set()
    name, path = check_reference(call.params.get("CustomerManagedPolicyReference"))
    reference = CustomerManagedPolicy(name=name, path=path)
    if reference in permission_set.customer_managed_policies:
        raise error("ConflictException", f"Customer managed policy {path}{name} is already attached")
    if call.policy_count(permission_set) >= MAX_POLICIES:
        raise error("ServiceQuotaExceededException", f"A permission set can have at most {MAX_POLICIES} managed and "
                    "customer managed policies attached")
    permission_set.customer_managed_policies.append(reference)
    return call.changed(permission_set)


def list_customer_managed_policy_references_in_permission_set(self: Any) -> str:
    call = Call(self)
    references = [{"Name": p.name, "Path": p.path} for p in call.permission_set().customer_managed_policies]
    items, token = page(references, call.params)
    return dumps({"CustomerManagedPolicyReferences": items, "NextToken": token})


def detach_customer_managed_policy_reference_from_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    name, path = check_reference(call.params.get("CustomerManagedPolicyReference"))
    found = next((p for p in permission_set.customer_managed_policies if (p.name, p.path) == (name, path)), None)
    if found is None:
        raise error("ResourceNotFoundException", f"Customer managed policy {path}{name} is not attached")
    permission_set.customer_managed_policies.remove(found)
    return call.changed(permission_set)


def put_permissions_boundary_to_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    boundary = call.params.get("PermissionsBoundary") or {}
    arn, reference = boundary.get("ManagedPolicyArn"), boundary.get("CustomerManagedPolicyReference")
    if (arn is None) == (reference is None):
        raise error("ValidationException", "PermissionsBoundary needs exactly one of ManagedPolicyArn and "
                    "CustomerManagedPolicyReference")
    if arn is not None:
        call.managed_policy(arn)
        kept: dict[str, Any] = {"ManagedPolicyArn": arn}
    else:
        name, path = check_reference(reference)
        kept = {"CustomerManagedPolicyReference": {"Name": name, "Path": path}}
    call.state.boundaries[permission_set.permission_set_arn] = kept
    return call.changed(permission_set)


def get_permissions_boundary_for_permission_set(self: Any) -> str:
    call = Call(self)
    arn = call.permission_set().permission_set_arn
    if arn not in call.state.boundaries:
        raise error("ResourceNotFoundException", "The permission set has no permissions boundary")
    return dumps({"PermissionsBoundary": call.state.boundaries[arn]})


def delete_permissions_boundary_from_permission_set(self: Any) -> str:
    call = Call(self)
    permission_set = call.permission_set()
    if call.state.boundaries.pop(permission_set.permission_set_arn, None) is None:
        raise error("ResourceNotFoundException", "The permission set has no permissions boundary")
    return call.changed(permission_set)


OPERATIONS: tuple[Callable[..., str], ...] = (
    list_instances, describe_instance, create_permission_set, update_permission_set, describe_permission_set,
    list_permission_sets, delete_permission_set, list_tags_for_resource, tag_resource, untag_resource,
    put_inline_policy_to_permission_set, get_inline_policy_for_permission_set, delete_inline_policy_from_permission_set,
    attach_managed_policy_to_permission_set, list_managed_policies_in_permission_set,
    detach_managed_policy_from_permission_set, attach_customer_managed_policy_reference_to_permission_set,
    list_customer_managed_policy_references_in_permission_set,
    detach_customer_managed_policy_reference_from_permission_set, put_permissions_boundary_to_permission_set,
    get_permissions_boundary_for_permission_set, delete_permissions_boundary_from_permission_set)
