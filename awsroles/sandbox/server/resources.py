"""IAM requests on a user (or a virtual MFA device) are checked against its ARN, as AWS does.

moto checks IAM actions other than the role ones against ``"*"``; here those on a user (and on a
virtual MFA device) are checked against its ARN, and the self-service ones without ``UserName``
(``GetUser``, ``ListMFADevices``, ``ListAccessKeys``...) act on the caller, as on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from awsroles.sandbox.server.protocol import param
from awsroles.sandbox.server.sessions import find_session

# IAM actions whose resource is an IAM user, and those that act on the caller when no UserName
# is given (the Service Authorization Reference); moto checks every other IAM action but the
# role ones against "*", so a policy scoped to the caller's own user never matched.
_USER_ACTIONS = frozenset({
    "AttachUserPolicy", "ChangePassword", "CreateAccessKey", "CreateLoginProfile", "CreateUser",
    "DeactivateMFADevice", "DeleteAccessKey", "DeleteLoginProfile", "DeleteSSHPublicKey",
    "DeleteServiceSpecificCredential", "DeleteSigningCertificate", "DeleteUser", "DeleteUserPermissionsBoundary",
    "DeleteUserPolicy", "DetachUserPolicy", "EnableMFADevice", "GetAccessKeyLastUsed", "GetLoginProfile",
    "GetMFADevice", "GetSSHPublicKey", "GetUser", "GetUserPolicy", "ListAccessKeys", "ListAttachedUserPolicies",
    "ListGroupsForUser", "ListMFADevices", "ListSSHPublicKeys", "ListServiceSpecificCredentials",
    "ListSigningCertificates", "ListUserPolicies", "ListUserTags", "PutUserPermissionsBoundary", "PutUserPolicy",
    "ResetServiceSpecificCredential", "ResyncMFADevice", "TagUser", "UntagUser", "UpdateAccessKey",
    "UpdateLoginProfile", "UpdateSSHPublicKey", "UpdateSigningCertificate", "UpdateUser",
    "UploadSSHPublicKey", "UploadSigningCertificate",
})
_SELF_ACTIONS = frozenset({
    "ChangePassword", "CreateAccessKey", "DeleteAccessKey", "DeleteSigningCertificate", "GetLoginProfile",
    "GetUser", "ListAccessKeys", "ListMFADevices", "ListSSHPublicKeys", "ListServiceSpecificCredentials",
    "ListSigningCertificates", "UpdateAccessKey", "UpdateSigningCertificate", "UploadSigningCertificate",
})


def patch_iam_resources() -> Callable[[], None]:
    """IAM requests on a user (or an MFA device) are checked against its ARN, as AWS does."""
    from moto.iam.responses import IamResponse

    original = IamResponse._determine_resource

    def determine_resource(self: Any) -> str:
        resource: str = original(self)
        if resource != "*":
            return resource
        action, data, backend = self._get_action(), self.data, self.backend
        prefix = f"arn:{self.partition}:iam::{self.current_account}"
        if action == "CreateVirtualMFADevice" and param(data, "VirtualMFADeviceName"):
            return f"{prefix}:mfa{param(data, 'Path') or '/'}{param(data, 'VirtualMFADeviceName')}"
        if action == "DeleteVirtualMFADevice":
            return param(data, "SerialNumber") or "*"
        if action not in _USER_ACTIONS:
            return "*"
        name = param(data, "UserName")
        if name is not None:
            user = backend.users.get(name)
            return str(user.arn) if user is not None else f"{prefix}:user{param(data, 'Path') or '/'}{name}"
        if action == "GetAccessKeyLastUsed":
            owner = backend.get_user_from_access_key_id(param(data, "AccessKeyId") or "")
            return str(owner.arn) if owner is not None else "*"
        if action in _SELF_ACTIONS:  # no UserName: the caller's own user, as AWS has it
            key = self.get_access_key()
            session = find_session(self.current_account, self.partition, key)
            caller = (backend.users.get(session.user_name) if session is not None
                      else backend.get_user_from_access_key_id(key))
            if caller is None:
                return "*"
            if isinstance(self.params, dict):  # and moto's handler acts on it too (not all of them look)
                self.params["UserName"] = caller.name
            return str(caller.arn)
        return "*"

    setattr(IamResponse, "_determine_resource", determine_resource)  # noqa: B010

    def undo() -> None:
        setattr(IamResponse, "_determine_resource", original)  # noqa: B010

    return undo


# -- cost data -----------------------------------------------------------------------------------
#
# moto's Cost Explorer answers only what a test queued, whatever the request asks. The sandbox
# instead holds a deterministic synthetic bill per payer account (seeded through
# ``POST /awsroles-sandbox/costs``) and answers GetCostAndUsage from it as Cost Explorer would:
