"""IAM Identity Center's access portal: what a signed-in person is given, and role credentials.

``ListAccounts`` and ``ListAccountRoles`` say which accounts and permission sets the token's
person is assigned (directly or through a group); ``GetRoleCredentials`` gives a role session in
one of them, for as long as the permission set's session duration; ``Logout`` ends the sign-in.
All take the access token, not a signature (Portal API Reference:
https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from awsroles.creds.model import Credentials
from awsroles.errors import AwsrolesError, NotGrantedError, from_aws
from awsroles.errors import aws_error_code as _code


class TokenRefused(AwsrolesError):
    """The portal refused the access token (UnauthorizedException): revoked, logged out, or expired."""


@dataclass(frozen=True)
class PortalRole:
    account_id: str
    account_name: str
    role: str  # the permission set's name


class Portal:
    """The access portal in the Identity Center instance's region; ``client`` builds an unsigned
    ``sso`` client."""

    def __init__(self, client: Callable[[], Any]):
        self._factory = client
        self._client: Any = None

    def _sso(self) -> Any:
        if self._client is None:
            self._client = self._factory()
        return self._client

    def _call(self, call: str, **params: Any) -> dict[str, Any]:
        try:
            reply: dict[str, Any] = getattr(self._sso(), call)(**params)
            return reply
        except AwsrolesError:
            raise
        except Exception as exc:
            code = _code(exc)
            if code == "UnauthorizedException":
                raise TokenRefused(f"{call}: IAM Identity Center refused the sign-in ({code})") from exc
            if code == "ForbiddenException":
                raise NotGrantedError(f"{call}: IAM Identity Center does not give you that role ({code})") from exc
            raise from_aws(exc, call) from exc

    def role_credentials(self, token: str, account_id: str, role: str) -> Credentials:
        creds = self._call("get_role_credentials", accessToken=token, accountId=account_id,
                           roleName=role)["roleCredentials"]
        expiry = datetime.fromtimestamp(int(creds["expiration"]) / 1000, timezone.utc).replace(microsecond=0)
        return Credentials(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"], expiry)

    def roles(self, token: str) -> list[PortalRole]:
        """Every (account, permission set) the person is given, in the portal's order."""
        out: list[PortalRole] = []
        accounts: list[dict[str, Any]] = []
        params: dict[str, Any] = {"accessToken": token}
        while True:
            reply = self._call("list_accounts", **params)
            accounts += reply.get("accountList", [])
            if not reply.get("nextToken"):
                break
            params["nextToken"] = reply["nextToken"]
        for account in accounts:
            params = {"accessToken": token, "accountId": account["accountId"]}
            while True:
                reply = self._call("list_account_roles", **params)
                out += [PortalRole(account["accountId"], account.get("accountName", ""), r["roleName"])
                        for r in reply.get("roleList", [])]
                if not reply.get("nextToken"):
                    break
                params["nextToken"] = reply["nextToken"]
        return out

    def logout(self, token: str) -> None:
        """End the sign-in at AWS; a token AWS no longer knows is already logged out."""
        with contextlib.suppress(TokenRefused):
            self._call("logout", accessToken=token)
