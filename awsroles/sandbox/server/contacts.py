"""AWS Account Management's alternate contacts as AWS answers them, where moto differs.

moto's ``account`` service stores any contact for any ``AccountId``. AWS Account Management API
reference, "PutAlternateContact" / "GetAlternateContact" / "DeleteAlternateContact", parameter
``AccountId`` (https://docs.aws.amazon.com/accounts/latest/reference/API_PutAlternateContact.html):

- "To use this parameter, the caller must be an identity in the organization's management account
  ... and the specified account ID must be a member account in the same organization": another
  caller, or an account outside the caller's organization, gets ``AccessDeniedException``;
- "The organization must have all features enabled, and the organization must have trusted access
  enabled for the Account Management service" (``account.amazonaws.com``, "Enable trusted access
  for AWS Account Management": https://docs.aws.amazon.com/accounts/latest/reference/using-orgs-trusted-access.html):
  else ``AccessDeniedException``;
- "The management account can't specify its own AccountId; it must call the operation in
  standalone context by not including the AccountId parameter": ``AccessDeniedException``.

And the fields of ``PutAlternateContact`` (API reference, "AlternateContact"): Name 1 to 64
characters, Title 1 to 50, EmailAddress 1 to 254 matching
``[\\s]*[\\w+=.#|!&-]+@[\\w.-]+\\.[\\w]+[\\s]*``, PhoneNumber 1 to 25 of ``[\\s0-9()+-]``; else
``ValidationException`` (moto stored anything).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ACCOUNT_SERVICE = "account.amazonaws.com"
EMAIL = re.compile(r"\s*[\w+=.#|!&-]+@[\w.-]+\.\w+\s*")
PHONE = re.compile(r"[\s0-9()+-]+")
FIELDS = (("Name", 64, None), ("Title", 50, None), ("EmailAddress", 254, EMAIL), ("PhoneNumber", 25, PHONE))


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(error_type=code, message=message)


def check_account_id(caller: str, account_id: str | None, partition: str, action: str) -> None:
    """Raise AWS's AccessDeniedException where ``caller`` may not name ``account_id``."""
    if not account_id:
        return
    from moto.organizations.models import organizations_backends

    denied = f"User is not authorized to perform: account:{action}"
    if account_id == caller:
        raise _error("AccessDeniedException", f"{denied} (The management account can only be managed using the "
                     "standalone context from the management account: leave out AccountId.)")
    backend = organizations_backends[caller][partition]
    org = backend.org
    if org is None or org.master_account_id != caller:
        raise _error("AccessDeniedException", f"{denied} (AccountId is only for the organization's management "
                     "account.)")
    if org.feature_set != "ALL" or not any(s.get("ServicePrincipal") == ACCOUNT_SERVICE for s in backend.services):
        raise _error("AccessDeniedException", f"{denied} (Trusted access is not enabled for {ACCOUNT_SERVICE} in "
                     "the organization.)")
    if not any(a.id == account_id for a in backend.accounts):
        raise _error("AccessDeniedException", f"{denied} (Account {account_id} is not a member of your "
                     "organization.)")


def check_fields(params: dict[str, Any]) -> None:
    for name, most, pattern in FIELDS:
        value = str(params.get(name) or "")
        if not 1 <= len(value) <= most or (pattern is not None and not pattern.fullmatch(value)):
            rule = f"length between 1 and {most}" + (f" and match {pattern.pattern}" if pattern else "")
            raise _error("ValidationException", f"1 validation error detected: Value at '{name[0].lower()}"
                         f"{name[1:]}' failed to satisfy constraint: Member must have {rule}")


def patch_alternate_contacts() -> Callable[[], None]:
    from moto.account.responses import AccountResponse

    originals = {name: getattr(AccountResponse, name)
                 for name in ("put_alternate_contact", "get_alternate_contact", "delete_alternate_contact")}

    def guarded(name: str) -> Callable[..., Any]:
        original = originals[name]
        action = "".join(p.capitalize() for p in name.split("_"))

        def call(self: Any) -> Any:
            check_account_id(self.current_account, self._get_param("AccountId"), self.partition, action)
            if name == "put_alternate_contact":
                check_fields({k: self._get_param(k) for k, _, _ in FIELDS})
            return original(self)

        return call

    for name in originals:
        setattr(AccountResponse, name, guarded(name))

    def undo() -> None:
        for name, original in originals.items():
            setattr(AccountResponse, name, original)

    return undo
