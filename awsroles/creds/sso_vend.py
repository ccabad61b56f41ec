"""Vending through IAM Identity Center: one sign-in, then any role the person is given.

The same :class:`~awsroles.creds.vend.Vendor` (its cache, its locks, its refresh windows, its fast
cache for ``credential-process``), with another source of role sessions: instead of an MFA session
and ``AssumeRole``, the sign-in's access token (:mod:`awsroles.creds.signin`) and the portal's
``GetRoleCredentials`` for the environment's account and the role's permission set
(:mod:`awsroles.creds.portal`). The session lasts what the permission set says (the role's
``max_session`` in the org file): Identity Center takes no duration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from awsroles.creds.model import Credentials
from awsroles.creds.portal import Portal, TokenRefused
from awsroles.creds.signin import SignIn
from awsroles.creds.userconfig import NotSetUp, RoleGrant
from awsroles.creds.vend import Vendor
from awsroles.errors import NotGrantedError, UsageError
from awsroles.org.limits import ROLE_CHAIN_SESSION_MAX

log = logging.getLogger(__name__)


class IdentityCenterVendor(Vendor):
    """A :class:`Vendor` whose role sessions come from IAM Identity Center."""

    def __init__(self, *args: Any, signin: SignIn, portal: Portal, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.signin = signin
        self.portal = portal

    @property
    def mfa_session_name(self) -> str:
        return self.signin.store_name

    def describe_session(self, name: str) -> tuple[str, str]:
        if name == self.signin.store_name or name.startswith("sso/"):
            return "-", "Identity Center sign-in"
        return super().describe_session(name)

    def caller_arn(self, accounts: Collection[str], arn_of: Callable[[Credentials], str]) -> str | None:
        """Who AWS says the signed-in person is: ``arn_of`` (GetCallerIdentity) with a role session the
        portal gives them in one of ``accounts`` (Identity Center names the session after them); None
        when it gives them no role there. Signs in first if needed, as ``login`` does."""
        token = self.signin.token()
        try:
            given = self.portal.roles(token.access_token)
        except TokenRefused:  # revoked since it was cached: once more, from a new sign-in
            token = self.signin.token(refused=token)
            given = self.portal.roles(token.access_token)
        role = next((r for r in given if r.account_id in accounts), None)
        if role is None:
            return None
        return arn_of(self.portal.role_credentials(token.access_token, role.account_id, role.role))

    def long_term(self) -> Credentials:
        raise UsageError("you sign in through IAM Identity Center: you have no access key of your own")

    def mfa_session(self) -> Credentials:
        raise UsageError("you sign in through IAM Identity Center: there is no MFA session to get (Identity "
                         "Center asks for MFA when you sign in)")

    def forget_mfa_session(self) -> None:
        self.signin.forget()

    def _check_duration(self, grant: RoleGrant, seconds: int) -> None:  # type: ignore[override]
        raise UsageError(f"IAM Identity Center sets the session length of {grant.environment}/{grant.role}: its "
                         f"permission set's ({grant.max_session}s, the role's max_session in the org file); "
                         "leave --duration out")

    def assume_break_glass(self, grant: RoleGrant, params: dict[str, Any], what: str) -> Credentials:
        """A break-glass role's session in an org on Identity Center alone: the role session of the
        break-glass permission set the portal gives the person in the environment's account, then
        ``AssumeRole`` from it (a role chain: an hour at most). No source identity: the role's trust
        cannot tie one to the person; who it was is the caller's session, named after them by
        Identity Center, in CloudTrail's record of the ``AssumeRole``."""
        source = self._assume(grant, None)
        params = {k: v for k, v in params.items() if k != "SourceIdentity"}
        params["DurationSeconds"] = min(int(params["DurationSeconds"]), ROLE_CHAIN_SESSION_MAX)
        return self.assume_role_from(source, params, what)

    def _assume(self, grant: RoleGrant, duration: int | None) -> Credentials:
        if duration is not None:
            self._check_duration(grant, duration)
        if not grant.permission_set:
            raise NotSetUp(f"{grant.environment}/{grant.role} has no permission set in your awsroles config: run "
                           "`awsroles setup` again")
        refused = None
        for attempt in (1, 2):
            token = self.signin.token(refused=refused)
            log.info("GetRoleCredentials %s in %s", grant.permission_set, grant.account_id)
            try:
                return self.portal.role_credentials(token.access_token, grant.account_id, grant.permission_set)
            except TokenRefused:
                if attempt == 2:
                    raise
                log.info("the portal refused the sign-in; refreshing it")
                refused = token
            except NotGrantedError as exc:
                raise NotGrantedError(f"IAM Identity Center does not give {self.config.user_name or 'you'} the role "
                                      f"{grant.role} in {grant.environment}; if it was granted just now, the admin "
                                      "must run `awsroles apply`") from exc
        raise AssertionError("unreachable")
