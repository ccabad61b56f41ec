"""AWS Organizations' ``CloseAccount`` as AWS answers it, where moto 5.2 does not.

Each rule is from the Organizations API reference, "CloseAccount"
(https://docs.aws.amazon.com/organizations/latest/APIReference/API_CloseAccount.html), and the
Organizations User Guide, "Closing a member account in your organization"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_close.html):

- **Not the management account.** "You can't close the management account with this API":
  ``ConstraintViolationException``, reason ``CANNOT_CLOSE_MANAGEMENT_ACCOUNT``. moto closed it.
- **A quota over a rolling 30 days.** "Within a rolling 30 day period you can close the higher of
  either 250 or 20% of the member accounts in your organization, up to a maximum of 1,000. This
  quota is not bound by a calendar month, but starts when you close an account." Past it:
  ``ConstraintViolationException``, reason ``CLOSE_ACCOUNT_QUOTA_EXCEEDED`` ("You have exceeded
  close account quota for the past 30 days"). (Older versions of the page said 10% of member
  accounts, between 10 and 1,000, or between 10 and 200.) moto had no quota. The window follows
  the sandbox's clock (:mod:`.clock`), so a test moves it 30 days on instead of waiting.
- **Asynchronous.** "While the close account request is in progress, Account status will indicate
  PENDING_CLOSURE. When the close account request completes, the status will change to
  SUSPENDED": the account reads ``PENDING_CLOSURE`` for :data:`CLOSING_SECONDS` of the sandbox's
  time, then ``SUSPENDED``. moto suspended it at once.
- **Closed once.** Closing an account already ``PENDING_CLOSURE`` or ``SUSPENDED`` is
  ``AccountAlreadyClosedException`` ("You attempted to close an account that is already closed");
  moto refused only a ``SUSPENDED`` one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from awsroles.sandbox.server import clock

WINDOW = timedelta(days=30)
QUOTA_FLOOR, QUOTA_SHARE, QUOTA_CEILING = 250, 0.20, 1000
CLOSING_SECONDS = 60  # PENDING_CLOSURE this long (sandbox time), then SUSPENDED: "a few minutes" on AWS
_closed: dict[str, list[tuple[datetime, str]]] = {}  # organization id -> (when, account id) of each closure
_lock = threading.Lock()


def close_quota(members: int) -> int:
    """How many member accounts an organization of ``members`` may close in a rolling 30 days:
    the higher of 250 and 20% of them, at most 1,000."""
    return min(QUOTA_CEILING, max(QUOTA_FLOOR, int(members * QUOTA_SHARE)))


def _constraint(reason: str, message: str) -> Exception:
    """``ConstraintViolationException`` with its ``Reason``, as AWS sends it (boto3 puts it in
    ``response["Reason"]``)."""
    from moto.organizations.exceptions import OrganizationsClientError

    error = OrganizationsClientError("ConstraintViolationException", message)
    setattr(error, "reason", reason)  # noqa: B010  (moto serialises an exception's attributes that the error's shape declares)
    return error


def _settle(account: Any) -> None:
    """A closing account becomes SUSPENDED once CLOSING_SECONDS of the sandbox's time have passed."""
    since = getattr(account, "awsroles_closing_since", None)
    if since is not None and account.status == "PENDING_CLOSURE" \
            and clock.utcnow() - since >= timedelta(seconds=CLOSING_SECONDS):
        account.status = account.state = "SUSPENDED"


def patch_close_account() -> Callable[[], None]:
    from moto.organizations import exceptions, models

    original_close = models.OrganizationsBackend.close_account
    original_describe = models.FakeAccount.describe

    def close_account(self: Any, **kwargs: Any) -> Any:
        if self.org is None:
            return original_close(self, **kwargs)
        account_id = str(kwargs.get("AccountId", ""))
        account = next((a for a in self.accounts if a.id == account_id), None)
        if account is None:
            return original_close(self, **kwargs)  # AccountNotFoundException
        if account_id == self.org.master_account_id:
            raise _constraint("CANNOT_CLOSE_MANAGEMENT_ACCOUNT", "You attempted to close the management account. To "
                              "close the management account for the organization, you must first either remove or "
                              "close all member accounts in the organization.")
        _settle(account)
        if account.status in ("PENDING_CLOSURE", "SUSPENDED"):
            raise exceptions.AccountAlreadyClosedException
        now = clock.utcnow()
        members = sum(1 for a in self.accounts if a.id != self.org.master_account_id)
        with _lock:
            recent = [c for c in _closed.get(self.org.id, []) if now - c[0] < WINDOW]
            if len(recent) >= close_quota(members):
                raise _constraint("CLOSE_ACCOUNT_QUOTA_EXCEEDED", "You have exceeded close account quota for the "
                                  "past 30 days.")
            _closed[self.org.id] = [*recent, (now, account_id)]
        account.status = account.state = "PENDING_CLOSURE"
        account.awsroles_closing_since = now
        return None

    def describe(self: Any) -> dict[str, Any]:
        _settle(self)
        answer: dict[str, Any] = original_describe(self)
        return answer

    setattr(models.OrganizationsBackend, "close_account", close_account)  # noqa: B010  (a patch)
    setattr(models.FakeAccount, "describe", describe)  # noqa: B010

    def undo() -> None:
        setattr(models.OrganizationsBackend, "close_account", original_close)  # noqa: B010
        setattr(models.FakeAccount, "describe", original_describe)  # noqa: B010
        reset_closures()

    return undo


def reset_closures() -> None:
    """Forget every closure (with the rest of moto's data, on a sandbox reset)."""
    with _lock:
        _closed.clear()
