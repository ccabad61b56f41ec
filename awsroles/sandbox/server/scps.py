"""AWS Organizations' service control policies (SCPs) as AWS answers them, where moto 5.2 does not.

Each rule, from the Organizations API reference (``CreatePolicy``, ``UpdatePolicy``,
``AttachPolicy``, ``DetachPolicy``, ``EnablePolicyType`` and their Errors) and the Organizations
User Guide ("Quotas and service limits": an SCP document holds at most 5,120 characters; at most 5
SCPs are attached to a root, an OU or an account):

- **Size.** An SCP of more than 5,120 characters is refused with ``ConstraintViolationException``
  (reason ``POLICY_CONTENT_LIMIT_EXCEEDED``: "You attempted to create a policy that is larger than
  the maximum size"); moto stored any size.
- **5 per target.** Attaching a sixth SCP to a root, OU or account is refused with
  ``ConstraintViolationException`` (reason ``MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED``: "You
  attempted to exceed the number of policies of a certain type that can be attached to an entity
  at one time"); moto attached any number.
- **Policy type enabled.** ``AttachPolicy`` of an SCP in a root where SCPs are not enabled fails
  with ``PolicyTypeNotEnabledException`` ("You can't attach policies of the specified type to
  entities in a root until you enable that type in the root"); moto attached it.
- **All features.** ``EnablePolicyType`` of SCPs in an organization with only consolidated billing
  fails with ``PolicyTypeNotAvailableForOrganizationException`` ("you can enable SCPs only after
  you enable all features in the organization"); moto enabled them.
- **Attachments are exact.** Attaching an SCP that is attached already fails with
  ``DuplicatePolicyAttachmentException``; detaching one that is not attached with
  ``PolicyNotAttachedException``; moto did nothing, silently, in both cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCP = "SERVICE_CONTROL_POLICY"
SCP_MAX_CHARS = 5120
SCPS_PER_TARGET = 5


def _error(code: str, message: str) -> Exception:
    from moto.organizations.exceptions import OrganizationsClientError

    return OrganizationsClientError(code, message)


def _too_large(content: Any) -> bool:
    return isinstance(content, str) and len(content) > SCP_MAX_CHARS


def _target(backend: Any, target_id: str) -> Any:
    found = [ou for ou in backend.ou if ou.id == target_id] + [a for a in backend.accounts if a.id == target_id]
    return found[0] if found else None


def patch_policies() -> Callable[[], None]:
    from moto.organizations import models

    backend_class = models.OrganizationsBackend
    originals = {name: getattr(backend_class, name) for name in
                 ("create_policy", "update_policy", "attach_policy", "detach_policy", "enable_policy_type")}

    def create_policy(self: Any, **kwargs: Any) -> Any:
        if kwargs.get("Type") == SCP and _too_large(kwargs.get("Content")):
            raise _error("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED: You attempted to create a "
                         "policy that is larger than the maximum size.")
        return originals["create_policy"](self, **kwargs)

    def update_policy(self: Any, **kwargs: Any) -> Any:
        policy = self.get_policy_by_id(kwargs["PolicyId"])
        if policy.type == SCP and _too_large(kwargs.get("Content")):
            raise _error("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED: You attempted to create a "
                         "policy that is larger than the maximum size.")
        return originals["update_policy"](self, **kwargs)

    def attach_policy(self: Any, **kwargs: Any) -> Any:
        policy = self.get_policy_by_id(kwargs["PolicyId"])
        target = _target(self, kwargs["TargetId"])
        if policy.type == SCP and target is not None and not policy.aws_managed:
            # (moto itself attaches FullAWSAccess to every new root, OU and account, as AWS does once SCPs are on)
            root = next(ou for ou in self.ou if getattr(ou, "type", "") == "ROOT")
            if not any(t["Type"] == SCP and t["Status"] == "ENABLED" for t in root.policy_types):
                raise _error("PolicyTypeNotEnabledException", "This operation can be performed only for enabled "
                             "policy types.")
            if policy in target.attached_policies:
                raise _error("DuplicatePolicyAttachmentException", "The selected policy is already attached to the "
                             "specified target.")
            if sum(1 for p in target.attached_policies if p.type == SCP) >= SCPS_PER_TARGET:
                raise _error("ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED: You "
                             "attempted to exceed the number of policies of a certain type that can be attached to "
                             "an entity at one time.")
        return originals["attach_policy"](self, **kwargs)

    def detach_policy(self: Any, **kwargs: Any) -> Any:
        policy = self.get_policy_by_id(kwargs["PolicyId"])
        target = _target(self, kwargs["TargetId"])
        if target is not None and policy not in target.attached_policies:
            raise _error("PolicyNotAttachedException", "The policy isn't attached to the specified target in the "
                         "specified root.")
        return originals["detach_policy"](self, **kwargs)

    def enable_policy_type(self: Any, **kwargs: Any) -> Any:
        if kwargs.get("PolicyType") == SCP and self.org is not None and self.org.feature_set != "ALL":
            raise _error("PolicyTypeNotAvailableForOrganizationException", "You can't use the specified policy "
                         "type with the feature set currently enabled for this organization.")
        return originals["enable_policy_type"](self, **kwargs)

    replacements = {"create_policy": create_policy, "update_policy": update_policy, "attach_policy": attach_policy,
                    "detach_policy": detach_policy, "enable_policy_type": enable_policy_type}
    for name, function in replacements.items():
        setattr(backend_class, name, function)

    def undo() -> None:
        for name, function in originals.items():
            setattr(backend_class, name, function)

    return undo

