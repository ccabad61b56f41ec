"""Role sessions carry their source identity and issue time, and their requests are judged with them.

moto keeps neither a role session's ``SourceIdentity`` nor when it was issued, and evaluates a
role's policies with no request context at all: a statement conditioned on time or on the person
behind a session either always or never applies. AWS's documented way to end live sessions
("Revoking IAM role temporary security credentials",
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html) is a role
inline ``Deny`` on ``aws:TokenIssueTime`` earlier than the moment of revocation, here narrowed to
some people with ``aws:SourceIdentity``; the sandbox makes it work:

- **Issue time.** Every role session (``AssumeRole``, and the access portal's role credentials,
  which are made the same way) is stamped with the sandbox clock's now when issued
  (:mod:`awsroles.sandbox.server.clock`): its requests carry it as ``aws:TokenIssueTime``.
- **Source identity.** ``AssumeRole``'s ``SourceIdentity`` is kept with the session; a session
  made from a role session that has one inherits it, as on AWS, where "after you set the source
  identity, it persists ... through role chaining" (IAM User Guide, "Monitor and control actions
  taken with assumed roles", https://docs.aws.amazon.com/IAM/latest/UserGuide/
  id_credentials_temp_control-access_monitor.html). Its requests carry it as ``aws:SourceIdentity``
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceidentity).
- **A role session's request context**: ``aws:CurrentTime``, ``aws:EpochTime``,
  ``aws:TokenIssueTime``, ``aws:SourceIdentity`` (when set), ``aws:PrincipalType``
  (``AssumedRole``), ``aws:PrincipalArn`` (the role's ARN, not the session's),
  ``aws:PrincipalAccount``, ``aws:userid`` (``ROLEID:session``), ``sts:SourceIdentity`` on an
  ``AssumeRole`` that sets one, and, for the access portal's role credentials, ``identitystore:userId``:
  the Identity Store user they were given to (IAM Identity Center User Guide, "Use a Deny policy to
  revoke active user permissions", https://docs.aws.amazon.com/singlesignon/latest/userguide/
  prereqs-revoking-user-permissions.html, denies a person's sessions on that key). The role's
  policies are resolved against it (:func:`awsroles.sandbox.server.conditions.resolve_policy` over
  :data:`~awsroles.sandbox.server.conditions.ROLE_SESSION_KEYS`) before moto judges the request:
  a Deny that holds wins over any Allow; an Allow outside its window grants nothing.
  ``GetCallerIdentity`` needs no permission (STS API Reference, "GetCallerIdentity": "No
  permissions are required to perform this operation"), so a revoked session can still ask who
  it is, and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from awsroles.sandbox.server import clock
from awsroles.sandbox.server.boundaries import role_boundary_allows
from awsroles.sandbox.server.conditions import ROLE_SESSION_KEYS, resolve_policy, time_context
from awsroles.sandbox.server.protocol import param

_ISSUED = "awsroles_issued"  # attributes of moto's AssumedRole: when it was issued (naive UTC) ...
_SOURCE_IDENTITY = "awsroles_source_identity"  # ... and the SourceIdentity it carries
IDENTITY_STORE_USER = "awsroles_identity_store_user"  # ... and, from the access portal, the Identity Store user


def issued(assumed: Any) -> datetime | None:
    """When a role session (moto's ``AssumedRole``) was issued, by the sandbox's clock."""
    value = getattr(assumed, _ISSUED, None)
    return value if isinstance(value, datetime) else None


def source_identity(assumed: Any) -> str | None:
    """The ``SourceIdentity`` a role session carries, or None."""
    value = getattr(assumed, _SOURCE_IDENTITY, None)
    return value if isinstance(value, str) and value else None


def find_assumed(account_id: str, partition: str, access_key_id: str) -> Any:
    """moto's ``AssumedRole`` for a role session's key, or None."""
    from moto.sts.models import sts_backends

    return sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key_id)


def role_context(assumed: Any, role: Any, action: str, data: Mapping[str, Any]) -> dict[str, str]:
    """The request context AWS has for a role session's request (lower-case keys): see the
    module docstring. ``role``: the IAM role, or None when it is gone."""
    context = {"aws:principaltype": "AssumedRole", "aws:principalarn": str(assumed.role_arn),
               "aws:principalaccount": str(assumed.account_id),
               **time_context(clock.utcnow(), issued(assumed))}
    if role is not None:
        context["aws:userid"] = f"{role.id}:{assumed.session_name}"
    identity = source_identity(assumed)
    if identity is not None:
        context["aws:sourceidentity"] = identity
    store_user = getattr(assumed, IDENTITY_STORE_USER, None)
    if isinstance(store_user, str) and store_user:
        context["identitystore:userid"] = store_user
    requested = param(data, "SourceIdentity")
    if action == "sts:AssumeRole" and (requested or identity):
        context["sts:sourceidentity"] = requested or identity or ""
    return context


def _role_key() -> type[Any]:
    from moto.iam.access_control import AssumedRoleAccessKey, IAMPolicy

    class RoleKey(AssumedRoleAccessKey):
        """A role session's key: the role's policies as they apply to this request."""

        context: Mapping[str, str] = MappingProxyType({})  # the request's, set by check_action_permitted

        def collect_policies(self) -> list[Any]:
            return [json.dumps(resolve_policy(IAMPolicy(p)._policy_json, self.context, ROLE_SESSION_KEYS))
                    for p in super().collect_policies()]

    return RoleKey


def patch_role_sessions() -> Callable[[], None]:
    """Role sessions get an issue time and keep their SourceIdentity; their requests are judged
    with them (see the module docstring). Installed after
    :func:`awsroles.sandbox.server.sessions.patch_sessions`, whose patches it wraps."""
    from moto.iam import access_control
    from moto.iam.exceptions import NotFoundException
    from moto.sts import models as sts_models
    from moto.sts import responses as sts_responses

    role_key = _role_key()
    original_create = access_control.create_access_key
    original_check = access_control.IAMRequestBase.check_action_permitted
    original_backend_assume = sts_models.STSBackend.assume_role
    original_assume = sts_responses.TokenResponse.assume_role

    def create_access_key(account_id: str, partition: str, access_key_id: str, headers: Any) -> Any:
        key = original_create(account_id, partition, access_key_id, headers)
        if type(key) is access_control.AssumedRoleAccessKey:
            key.__class__ = role_key
        return key

    def check_action_permitted(self: Any, resource: str) -> None:
        key = self._access_key
        role = None
        if isinstance(key, role_key):
            assumed = find_assumed(key.account_id, key.partition, key._access_key_id)
            try:
                role = key.backend.get_role(key._owner_role_name)
            except NotFoundException:
                role = None
            key.context = ({} if assumed is None else role_context(assumed, role, self._action, self._data))
        original_check(self, resource)
        if isinstance(key, role_key) and role is not None and self._action != "sts:GetCallerIdentity" \
                and not role_boundary_allows(key.backend, role, self._action, resource, key.context):
            # the role's permissions boundary limits its sessions: allowed only when both allow it
            self._raise_access_denied()

    def backend_assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        assumed = original_backend_assume(self, *args, **kwargs)
        setattr(assumed, _ISSUED, clock.utcnow())
        return assumed

    def assume_role(self: Any) -> Any:
        caller = find_assumed(self.current_account, self.partition, self.get_access_key())
        result = original_assume(self)
        identity = self._get_param("SourceIdentity") or (None if caller is None else source_identity(caller))
        answer: Any = result.result  # the dict assume_role answers with
        if identity:
            setattr(answer["Credentials"], _SOURCE_IDENTITY, identity)
            answer["SourceIdentity"] = identity  # AWS answers with it too
        return result

    setattr(access_control, "create_access_key", create_access_key)  # noqa: B010  (a patch)
    setattr(access_control.IAMRequestBase, "check_action_permitted", check_action_permitted)  # noqa: B010
    setattr(sts_models.STSBackend, "assume_role", backend_assume_role)  # noqa: B010
    setattr(sts_responses.TokenResponse, "assume_role", assume_role)  # noqa: B010

    def undo() -> None:
        setattr(access_control, "create_access_key", original_create)  # noqa: B010
        setattr(access_control.IAMRequestBase, "check_action_permitted", original_check)  # noqa: B010
        setattr(sts_models.STSBackend, "assume_role", original_backend_assume)  # noqa: B010
        setattr(sts_responses.TokenResponse, "assume_role", original_assume)  # noqa: B010

    return undo
