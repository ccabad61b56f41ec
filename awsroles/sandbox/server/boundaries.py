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

An IAM user's boundary also limits what the user's requests may do (:func:`boundary_allows`, used
by the sandbox's IAM authorization for users' requests: :mod:`awsroles.sandbox.server.sessions`):
"an entity's permissions boundary allows it to perform only the actions that are allowed by both
its identity-based policies and its permissions boundaries", and an explicit deny in either wins
(IAM User Guide, "Permissions boundaries for IAM entities",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). A role's boundary
limits its sessions' requests the same way (:func:`role_boundary_allows`, used by
:mod:`awsroles.sandbox.server.role_sessions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
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


def boundary_allows(backend: Any, user: Any, action: str, resource: str, context: Mapping[str, str]) -> bool:
    """Whether ``user``'s permissions boundary (none: no limit) allows ``action`` on ``resource``, its
    conditions resolved against the request's ``context`` (a boundary policy that is gone allows nothing)."""
    from awsroles.sandbox.server.patches import user_boundary_arn

    return _policy_allows(backend, user_boundary_arn(user), action, resource, context)


def role_boundary_allows(backend: Any, role: Any, action: str, resource: str, context: Mapping[str, str]) -> bool:
    """The same for a role session's request: its role's permissions boundary, resolved over the keys
    a role session's request has (:data:`~awsroles.sandbox.server.conditions.ROLE_SESSION_KEYS`)."""
    from awsroles.sandbox.server.conditions import ROLE_SESSION_KEYS

    arn = getattr(role, "permissions_boundary_arn", None)
    return _policy_allows(backend, arn if isinstance(arn, str) and arn else None, action, resource, context,
                          ROLE_SESSION_KEYS)


def _policy_allows(backend: Any, arn: str | None, action: str, resource: str, context: Mapping[str, str],
                   known: Any = None) -> bool:
    if arn is None:
        return True
    policy = next((p for p in list(backend.managed_policies.values()) if p.arn == arn), None)
    if policy is None:
        return False
    from moto.iam.access_control import IAMPolicy, PermissionResult

    from awsroles.sandbox.server.conditions import CONTEXT_KEYS, resolve_policy

    resolved = resolve_policy(IAMPolicy(policy)._policy_json, context, CONTEXT_KEYS if known is None else known)
    return IAMPolicy(json.dumps(resolved)).is_action_permitted(action, resource) == PermissionResult.PERMITTED


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
