"""A role's permissions boundary must be a managed policy that exists, as IAM has it.

moto 5 takes any well-formed policy ARN as a role's boundary; IAM refuses one that does not exist
(or is not in the role's account, or is not AWS managed) with ``NoSuchEntity``, as it refuses to
attach such a policy (which moto does check):

- PutRolePermissionsBoundary: "NoSuchEntity: The request was rejected because it referenced a
  resource entity that does not exist"
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePermissionsBoundary.html);
- CreateRole's ``PermissionsBoundary``, "the ARN of the managed policy that is used to set the
  permissions boundary for the role"
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html): the same policy, the
  same check, before the role is made (a refused CreateRole makes no role);
- AttachRolePolicy's wording for the policy that is not there, ``Policy ARN does not exist or is
  not attachable.`` (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html).

Installed by the sandbox server (:func:`awsroles.sandbox.server.main.install_workarounds`) and by
the in-process library tests, so that apply meets the rule in both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def require_policy(backend: Any, arn: str | None) -> None:
    """Raise IAM's ``NoSuchEntity`` unless ``arn`` is a managed policy ``backend`` (one account's
    IAM) can attach: AWS managed, or customer managed in that account."""
    if not arn:
        return
    # list(): a copy made at once, as other requests may add policies meanwhile (the server and
    # apply are threaded; iterating the live dict then fails with "changed size during iteration")
    if not any(policy.arn == arn for policy in list(backend.managed_policies.values())):
        from moto.iam.exceptions import NotFoundException

        raise NotFoundException(f"Policy {arn} does not exist or is not attachable.")


def patch_role_boundaries() -> Callable[[], None]:
    """CreateRole (with ``PermissionsBoundary``) and PutRolePermissionsBoundary check the policy."""
    from moto.iam import models

    original_create = models.IAMBackend.create_role
    original_put = models.IAMBackend.put_role_permissions_boundary

    def create_role(self: Any, role_name: str, assume_role_policy_document: str, path: str,
                    permissions_boundary: str | None, *args: Any, **kwargs: Any) -> Any:
        taken = any(role.name == role_name for role in list(self.get_roles()))  # moto's EntityAlreadyExists
        if not taken and self.policy_arn_regex.match(permissions_boundary or ""):  # else moto's InvalidInput
            require_policy(self, permissions_boundary)
        return original_create(self, role_name, assume_role_policy_document, path, permissions_boundary,
                               *args, **kwargs)

    def put_role_permissions_boundary(self: Any, role_name: str, permissions_boundary: str) -> None:
        self.get_role(role_name)  # NoSuchEntity for the role first
        if self.policy_arn_regex.match(permissions_boundary or ""):  # else moto's InvalidInput
            require_policy(self, permissions_boundary)
        original_put(self, role_name, permissions_boundary)

    setattr(models.IAMBackend, "create_role", create_role)  # noqa: B010  (a patch)
    setattr(models.IAMBackend, "put_role_permissions_boundary", put_role_permissions_boundary)  # noqa: B010

    def undo() -> None:
        setattr(models.IAMBackend, "create_role", original_create)  # noqa: B010
        setattr(models.IAMBackend, "put_role_permissions_boundary", original_put)  # noqa: B010

    return undo
