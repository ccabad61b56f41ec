"""``awsroles accounts close NAME``: which account may be closed, what closing it does, and the call.

Closing is never a side effect of apply (:mod:`awsroles.sync.accounts` keeps what the file no longer
declares as ``retained``); this is the one deliberate way. :func:`closable` decides, from the org
file and the live organization alone (no AWS call), whether an account may be closed: only an
ACTIVE member account that carries awsroles' mark for this org and that the org file no longer
declares; never the management account. :func:`close_account` then calls ``CloseAccount`` and turns
AWS's refusals into one line each.

AWS's rules, from the Organizations API reference, "CloseAccount" (:data:`API_DOC`), and the User
Guide, "Closing a member account in your organization" (:data:`GUIDE`): the management account
cannot be closed with the API; the account goes PENDING_CLOSURE, then SUSPENDED; for 90 days
(the post-closure period) AWS Support can reopen it, then it is closed for good and what is left in
it deleted; its e-mail address cannot be used for another AWS account; within a rolling 30 days an
organization closes at most the higher of 250 and 20% of its member accounts, up to 1,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from awsroles.accounts.state import LiveOrgAccount, LiveOrganization, declared_as, is_ours
from awsroles.errors import AwsrolesError, ExitCode, UsageError, aws_error_code
from awsroles.org.ini import section_line
from awsroles.org.model import Org

API_DOC = "https://docs.aws.amazon.com/organizations/latest/APIReference/API_CloseAccount.html"
GUIDE = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_close.html"
POST_CLOSURE_DAYS = 90
QUOTA_FLOOR, QUOTA_SHARE, QUOTA_CEILING = 250, 0.20, 1000
_ACCOUNT_ID = re.compile(r"\d{12}")


class CloseRefused(UsageError):
    """awsroles does not close this account (exit 2: the command cannot go on as asked)."""


class CloseFailed(AwsrolesError):
    """AWS refused to close the account (exit 1)."""


class NotConfirmed(AwsrolesError):
    """The name typed back is not the account's: nothing was closed (exit 130, as a confirmation
    answered no)."""

    exit_code = ExitCode.INTERRUPTED


def close_quota(members: int) -> int:
    """How many member accounts an organization of ``members`` may close in a rolling 30 days."""
    return min(QUOTA_CEILING, max(QUOTA_FLOOR, int(members * QUOTA_SHARE)))


@dataclass(frozen=True)
class Closing:
    """An account awsroles may close, and what AWS will do."""

    account: LiveOrgAccount
    management: str  # "ops (111111111111)"
    members: int  # member accounts in the organization (the management account not counted)

    @property
    def label(self) -> str:
        return f"{self.account.name} ({self.account.id})"

    @property
    def quota(self) -> int:
        return close_quota(self.members)

    def consequences(self) -> list[str]:
        """What AWS does when it closes the account, as its documentation says."""
        return [
            "AWS suspends it: PENDING_CLOSURE at once, SUSPENDED within minutes; nobody can use its services "
            "or reach its resources any more, and what runs in it stops",
            f"for {POST_CLOSURE_DAYS} days (the post-closure period) AWS Support can reopen it; after that AWS "
            "closes it for good and deletes what is left in it",
            f"its e-mail address ({self.account.email}) cannot be the address of another AWS account",
            "a last bill may still come for what it used before",
            f"it counts toward the organization's closing quota: at most {self.quota} member accounts closed in a "
            f"rolling 30 days (the higher of {QUOTA_FLOOR} and {QUOTA_SHARE:.0%} of its {self.members} member "
            f"accounts, at most {QUOTA_CEILING:,})",
        ]

    def as_dict(self) -> dict[str, Any]:
        a = self.account
        return {"name": a.name, "id": a.id, "email": a.email, "ou": a.parent, "status": a.status,
                "management_account": self.management}


def _declared_at(org: Org, name: str) -> str:
    """``FILE:LINE`` of ``[account NAME]`` in the org file (the file alone without a line)."""
    path = org.source
    try:
        line = section_line(path.read_text(encoding="utf-8-sig"), "account", name)
    except OSError:
        line = 0
    return f"{path}:{line}" if line else str(path)


def closable(org: Org, live: LiveOrganization, wanted: str) -> Closing:
    """The account ``wanted`` (a name, or a 12-digit id) if awsroles may close it, else
    :class:`CloseRefused` saying why and what to do. No AWS call."""
    management = org.management
    where = f"{management.name} ({management.id})"
    if wanted in (management.name, management.id):
        raise CloseRefused(f"{wanted} is the management account of the organization: AWS does not close it through "
                           "CloseAccount, and awsroles never closes it")
    if _ACCOUNT_ID.fullmatch(wanted):
        found = [a for a in live.accounts.values() if a.id == wanted]
    else:
        found = [a for a in live.accounts.values() if a.name == wanted]
    if not found:
        raise CloseRefused(f"no account {'with the id' if _ACCOUNT_ID.fullmatch(wanted) else 'named'} {wanted} in the "
                           f"organization of the management account {where}")
    if len(found) > 1:
        raise CloseRefused(f"{len(found)} accounts of the organization are named {wanted} "
                           f"({', '.join(sorted(a.id for a in found))}): give the id of the one to close")
    account = found[0]
    label = f"{account.name} ({account.id})"
    if account.id == management.id:
        raise CloseRefused(f"{label} is the management account of the organization: AWS does not close it through "
                           "CloseAccount, and awsroles never closes it")
    declared = declared_as(org, account)
    if declared is not None:
        raise CloseRefused(f"{label} is still declared in the org file: remove [account {declared.name}] from "
                           f"{_declared_at(org, declared.name)} first (and what names it), then `awsroles plan` "
                           f"shows it as retained, and `awsroles accounts close {account.name}` closes it")
    if account.status == "PENDING_CLOSURE":
        raise CloseRefused(f"{label} is being closed already (PENDING_CLOSURE): AWS suspends it within minutes")
    if account.status == "SUSPENDED":
        raise CloseRefused(f"{label} is closed already (SUSPENDED): for {POST_CLOSURE_DAYS} days after its closure "
                           "AWS Support can reopen it; then AWS closes it for good")
    if account.status != "ACTIVE":
        raise CloseRefused(f"{label} is {account.status}, not ACTIVE: awsroles closes only active accounts")
    if not is_ours(account.tags, org.name):
        raise CloseRefused(f"{label} does not carry awsroles' mark for the org {org.name} (the tags managed-by = "
                           f"awsroles and awsroles-org = {org.name}): awsroles closes only accounts it made or adopted")
    members = sum(1 for a in live.accounts.values() if a.id != management.id)
    return Closing(account, where, members)


def _reason(exc: BaseException) -> str:
    """A ConstraintViolationException's reason: its ``Reason`` field, else the message's first word."""
    response = getattr(exc, "response", None) or {}
    reason = str(response.get("Reason") or "")
    if not reason:
        message = str(response.get("Error", {}).get("Message", ""))
        reason = message.split(":", 1)[0] if re.fullmatch(r"[A-Z_]+", message.split(":", 1)[0]) else ""
    return reason


def _refusal(closing: Closing, exc: BaseException) -> str | None:
    """What a refusal of CloseAccount means and what to do, or None for an error passed on as it is."""
    code, reason = aws_error_code(exc), _reason(exc)
    if code == "ConstraintViolationException" and reason == "CLOSE_ACCOUNT_QUOTA_EXCEEDED":
        return (f"CLOSE_ACCOUNT_QUOTA_EXCEEDED: the organization has closed as many member accounts as AWS allows in "
                f"a rolling 30 days ({closing.quota}: the higher of {QUOTA_FLOOR} and {QUOTA_SHARE:.0%} of its "
                f"{closing.members} member accounts, at most {QUOTA_CEILING:,}); try again when the oldest of those "
                "closures is 30 days old")
    if code == "ConstraintViolationException" and reason == "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED":
        return ("CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED: too many accounts are being closed at once; try again when "
                "those in PENDING_CLOSURE are SUSPENDED")
    if code == "ConstraintViolationException" and reason == "CANNOT_CLOSE_MANAGEMENT_ACCOUNT":
        return "CANNOT_CLOSE_MANAGEMENT_ACCOUNT: it is the management account of the organization"
    if code == "AccountAlreadyClosedException":
        return "AccountAlreadyClosedException: it is closed already"
    if code in ("ConcurrentModificationException", "ConflictException"):
        return f"{code}: another request is changing it right now; try again in a few minutes"
    return None


def close_account(orgs: Any, closing: Closing) -> str:
    """``CloseAccount``, then the account's status (``DescribeAccount``): PENDING_CLOSURE, or
    SUSPENDED once AWS is done. AWS's refusals are :class:`CloseFailed`, one line each, saying that
    nothing was closed; other errors go up as they are (throttling and the network: errors.from_aws)."""
    try:
        orgs.close_account(AccountId=closing.account.id)
    except Exception as exc:
        why = _refusal(closing, exc)
        if why is None:
            raise
        raise CloseFailed(f"AWS did not close {closing.label}: {why}; nothing was closed") from exc
    return str(orgs.describe_account(AccountId=closing.account.id)["Account"].get("Status", "PENDING_CLOSURE"))


def reopen_until(today: date) -> date:
    """The last day AWS Support can reopen an account closed ``today``."""
    return today + timedelta(days=POST_CLOSURE_DAYS)
