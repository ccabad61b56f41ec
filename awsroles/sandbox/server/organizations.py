"""AWS Organizations as AWS answers ``CreateAccount``, where moto differs.

- **Asynchronous creation.** ``CreateAccount`` answers ``IN_PROGRESS`` (no ``AccountId`` yet) and
  ``DescribeCreateAccountStatus`` then ``SUCCEEDED`` with the id, as AWS does (Organizations API
  reference, "CreateAccount": "This is an asynchronous request ... check the status of the request
  with DescribeCreateAccountStatus"). moto answered ``SUCCEEDED`` at once, so a client that never
  polls would pass in the sandbox and fail on AWS.
- **At most 5 creations in progress.** A ``CreateAccount`` while 5 requests are ``IN_PROGRESS`` is
  refused with ``ConstraintViolationException``, reason ``ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED``
  ("You attempted to exceed the number of accounts that can be in progress at a time": API
  reference, "ConstraintViolationException"; the number is in the Organizations User Guide,
  "Quotas and service limits",
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html). A
  sandbox request stays in progress until ``DescribeCreateAccountStatus`` is first asked about it
  (AWS takes minutes); moto had no limit.
- **One AWS account per address.** An e-mail address already used by an account (any case) makes
  the request end ``FAILED`` with ``FailureReason`` ``EMAIL_ALREADY_EXISTS`` (API reference,
  "CreateAccountStatus"); moto made a second account.
- **Parameter constraints** (API reference, "CreateAccount", Request Parameters): ``AccountName``
  1 to 50 characters of ``[\\u0020-\\u007E]``; ``Email`` 6 to 64 characters matching
  ``[^\\s@]+@[^\\s@]+\\.[^\\s@]+``. Others get ``ValidationException`` (HTTP 400); moto took anything.
- **The role Organizations creates** in the new account (``OrganizationAccountAccessRole``, or the
  ``RoleName`` given) "grants full administrator permissions to the member account"
  (Organizations User Guide, "Accessing a member account that has a management account access
  role"): it has ``AdministratorAccess``. moto made it with no policy, which denies everything
  once the sandbox turns on IAM authorization.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
ACCOUNT_NAME = re.compile(r"[\x20-\x7e]{1,50}")
_failed: dict[str, dict[str, Any]] = {}  # request id -> the CreateAccountStatus of a request that failed
_in_progress: set[str] = set()  # request ids not yet described: "in progress" in the sandbox
_lock = threading.Lock()
CONCURRENT_CREATES = 5


def _validation(message: str) -> Exception:
    from moto.core.exceptions import ServiceException

    class ValidationException(ServiceException):
        code = "ValidationException"

    return ValidationException(message)


def _too_many_in_progress() -> Exception:
    from moto.organizations.exceptions import OrganizationsClientError

    return OrganizationsClientError("ConstraintViolationException", "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED: You "
                                    "attempted to exceed the number of accounts that can be in progress at a time.")


def _started(request: str) -> None:
    with _lock:
        if len(_in_progress) >= CONCURRENT_CREATES:
            raise _too_many_in_progress()
        _in_progress.add(request)


def _emails_in_use() -> set[str]:
    from moto.organizations.models import organizations_backends

    emails: set[str] = set()
    for by_partition in list(organizations_backends.values()):
        for backend in list(by_partition.values()):
            if backend.org is not None:
                emails.add(str(backend.org.master_account_email).lower())
            emails.update(str(a.email).lower() for a in backend.accounts)
    return emails


def patch_organizations() -> Callable[[], None]:
    from moto.core.utils import unix_time
    from moto.organizations import models, utils

    original_create = models.OrganizationsBackend.create_account
    original_describe = models.OrganizationsBackend.describe_create_account_status

    def create_account(self: Any, **kwargs: Any) -> dict[str, Any]:
        name, email = str(kwargs.get("AccountName", "")), str(kwargs.get("Email", ""))
        if not ACCOUNT_NAME.fullmatch(name):
            raise _validation(f"1 validation error detected: Value '{name}' at 'accountName' failed to satisfy "
                              "constraint: Member must have length between 1 and 50 and match [\\u0020-\\u007E]+")
        if not 6 <= len(email) <= 64 or not EMAIL.fullmatch(email):
            raise _validation("1 validation error detected: Value at 'email' failed to satisfy constraint: Member "
                              "must have length between 6 and 64 and match [^\\s@]+@[^\\s@]+\\.[^\\s@]+")
        if self.org is not None and email.lower() in _emails_in_use():
            request = utils.make_random_create_account_status_id()
            status = {"Id": request, "AccountName": name, "State": "FAILED", "FailureReason": "EMAIL_ALREADY_EXISTS",
                      "RequestedTimestamp": unix_time(), "CompletedTimestamp": unix_time()}
            _started(request)
            with _lock:
                _failed[request] = status
            return {"CreateAccountStatus": {k: v for k, v in status.items()
                                            if k not in ("FailureReason", "CompletedTimestamp")} | {
                "State": "IN_PROGRESS"}}
        with _lock:  # the check and the creation at once: two requests cannot both take the last place
            if len(_in_progress) >= CONCURRENT_CREATES:
                raise _too_many_in_progress()
            answer: dict[str, Any] = original_create(self, **kwargs)
            status = dict(answer["CreateAccountStatus"])
            _in_progress.add(str(status["Id"]))
        account_id = status.pop("AccountId")
        status.pop("CompletedTimestamp", None)
        _administrator(str(account_id), str(kwargs.get("RoleName") or "OrganizationAccountAccessRole"))
        return {"CreateAccountStatus": {**status, "State": "IN_PROGRESS"}}

    def describe_create_account_status(self: Any, **kwargs: Any) -> dict[str, Any]:
        with _lock:
            _in_progress.discard(str(kwargs.get("CreateAccountRequestId")))
            failed = _failed.get(str(kwargs.get("CreateAccountRequestId")))
        if failed is not None:
            return {"CreateAccountStatus": dict(failed)}
        answer: dict[str, Any] = original_describe(self, **kwargs)
        return answer

    setattr(models.OrganizationsBackend, "create_account", create_account)  # noqa: B010  (a patch)
    setattr(models.OrganizationsBackend, "describe_create_account_status", describe_create_account_status)  # noqa: B010

    def undo() -> None:
        setattr(models.OrganizationsBackend, "create_account", original_create)  # noqa: B010
        setattr(models.OrganizationsBackend, "describe_create_account_status", original_describe)  # noqa: B010
        reset_organizations()

    return undo


def _administrator(account_id: str, role: str) -> None:
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["global"]
    backend.attach_role_policy(f"arn:{backend.partition}:iam::aws:policy/AdministratorAccess", role)


def reset_organizations() -> None:
    """Forget the failed requests (with the rest of moto's data, on a sandbox reset)."""
    with _lock:
        _failed.clear()
        _in_progress.clear()
