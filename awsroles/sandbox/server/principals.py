"""A role's trust policy may name only IAM users and roles that exist, as IAM has it.

moto takes any well-formed ARN as a principal. IAM resolves a principal that names a specific IAM
user or role to that entity's unique id when the trust policy is saved, and refuses the policy when
the entity does not exist, with ``MalformedPolicyDocument: Invalid principal in policy: "AWS":"ARN"``
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
and #principal-users: "If your Principal element in a role trust policy contains an ARN that points
to a specific IAM role, then that ARN transforms to the role's unique principal ID when you save the
policy"; and, for a trust policy naming a user or role that does not exist or was deleted, "Invalid
principal in policy": https://repost.aws/knowledge-center/iam-trust-policy-error).
CreateRole and UpdateAssumeRolePolicy both check it; a refused CreateRole makes no role.

This is what made the first apply of an org with break-glass roles fail on AWS when the
environment accounts ran before the ops account had made the people's IAM users: apply now orders
them (:func:`awsroles.sync.apply.apply_plan`), and the sandbox refuses the same way AWS does.

Account principals (``arn:aws:iam::ID:root``, a bare account id), services and federated principals
are not checked. Installed by the sandbox server (:func:`awsroles.sandbox.server.main.install_workarounds`)
and by the in-process library tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

_ENTITY = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):(?P<kind>user|role)"
                     r"(?P<path>/(?:.*/)?)(?P<name>[^/]+)$")


def _aws_principals(document: str) -> Iterator[str]:
    try:
        policy = json.loads(document)
    except ValueError:
        return  # moto's own validator answers for a document that is not JSON
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        values = principal.get("AWS", []) if isinstance(principal, dict) else []
        yield from ([values] if isinstance(values, str) else [v for v in values if isinstance(v, str)])


def require_principals(document: str) -> None:
    """Raise IAM's ``MalformedPolicyDocument`` for the first IAM user or role named in
    ``document``'s principals that does not exist (names compared as IAM does, without case)."""
    from moto.iam.exceptions import MalformedPolicyDocument
    from moto.iam.models import iam_backends

    for arn in _aws_principals(document):
        entity = _ENTITY.match(arn)
        if entity is None:
            continue
        backend = iam_backends[entity["account"]][entity["partition"]]
        found = list(backend.users.values()) if entity["kind"] == "user" else list(backend.get_roles())
        if not any(e.name.lower() == entity["name"].lower() and e.path == entity["path"] for e in found):
            raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{arn}"')


def patch_trust_principals() -> Callable[[], None]:
    """CreateRole and UpdateAssumeRolePolicy refuse a principal that names a missing user or role."""
    from moto.iam import models

    original_create = models.IAMBackend.create_role
    original_update = models.IAMBackend.update_assume_role_policy

    def create_role(self: Any, role_name: str, assume_role_policy_document: str, *args: Any, **kwargs: Any) -> Any:
        require_principals(assume_role_policy_document)
        return original_create(self, role_name, assume_role_policy_document, *args, **kwargs)

    def update_assume_role_policy(self: Any, role_name: str, policy_document: str) -> None:
        self.get_role(role_name)  # NoSuchEntity for the role first
        require_principals(policy_document)
        original_update(self, role_name, policy_document)

    setattr(models.IAMBackend, "create_role", create_role)  # noqa: B010  (a patch)
    setattr(models.IAMBackend, "update_assume_role_policy", update_assume_role_policy)  # noqa: B010

    def undo() -> None:
        setattr(models.IAMBackend, "create_role", original_create)  # noqa: B010
        setattr(models.IAMBackend, "update_assume_role_policy", original_update)  # noqa: B010

    return undo
