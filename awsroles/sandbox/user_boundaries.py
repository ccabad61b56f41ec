"""Permissions boundaries on IAM users, which moto 5 lacks: Put/DeleteUserPermissionsBoundary, and
the boundary in GetUser and GetAccountAuthorizationDetails, as IAM answers them.

IAM API Reference, "PutUserPermissionsBoundary" and "DeleteUserPermissionsBoundary": the boundary
is a managed policy ARN; deleting a boundary the user does not have is not an error. Installed by
the sandbox server (:func:`awsroles.sandbox.server.install_workarounds`) and by the in-process
library tests, so that drift through a user's boundary is tested against the same behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_ATTRIBUTE = "awsroles_boundary_arn"


def _boundary(self: Any) -> dict[str, str] | None:
    arn = getattr(self, _ATTRIBUTE, None)
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn} if arn else None


def patch_user_permissions_boundary() -> Callable[[], None]:
    """Teach moto user boundaries; returns a function that undoes it."""
    from moto.core.responses import EmptyResult
    from moto.iam import models
    from moto.iam.responses import IamResponse

    if hasattr(models.User, "permissions_boundary"):
        return lambda: None

    def put_user_permissions_boundary(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        arn = self._get_param("PermissionsBoundary")
        if not self.backend.policy_arn_regex.match(arn or ""):
            from moto.iam.exceptions import InvalidInput

            raise InvalidInput(f"ARN {arn} is not valid.")
        setattr(user, _ATTRIBUTE, arn)
        return EmptyResult()

    def delete_user_permissions_boundary(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        setattr(user, _ATTRIBUTE, None)
        return EmptyResult()

    setattr(models.User, "permissions_boundary", property(_boundary))  # noqa: B010  (a patch)
    setattr(IamResponse, "put_user_permissions_boundary", put_user_permissions_boundary)  # noqa: B010
    setattr(IamResponse, "delete_user_permissions_boundary", delete_user_permissions_boundary)  # noqa: B010

    def undo() -> None:
        for owner, name in ((models.User, "permissions_boundary"), (IamResponse, "put_user_permissions_boundary"),
                            (IamResponse, "delete_user_permissions_boundary")):
            delattr(owner, name)

    return undo
