"""Read the alternate contacts of accounts, and whether AWS Account Management may reach them.

From the management account: one ``ListAWSServiceAccessForOrganization`` (trusted access for
``account.amazonaws.com``, which ``PutAlternateContact`` and ``GetAlternateContact`` need with an
``AccountId``), then three ``GetAlternateContact`` (BILLING, OPERATIONS, SECURITY) per account
asked for. The management account's own are read without ``AccountId``: AWS refuses an
``AccountId`` that names the caller's own account (AWS Account Management API reference,
https://docs.aws.amazon.com/accounts/latest/reference/API_GetAlternateContact.html). Each account is
independent of the others (:func:`read_contacts` over any list of ids), so a caller may spread them
over a pool.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles.accounts.reads import CONCURRENCY, bounded_map
from awsroles.errors import aws_error_code
from awsroles.org.entries import Contact
from awsroles.org.marks import CONTACT_TYPES

ACCOUNT_SERVICE = "account.amazonaws.com"
ENABLE_TRUSTED_ACCESS = f"aws organizations enable-aws-service-access --service-principal {ACCOUNT_SERVICE}"
Contacts = Mapping[str, Contact | None]  # contact type -> the contact, or None when it has none


@dataclass(frozen=True)
class LiveContacts:
    trusted_access: bool  # AWS Account Management may reach member accounts (trusted access enabled)
    by_account: Mapping[str, Contacts] = field(default_factory=dict)  # account id -> its contacts
    api_calls: int = 0


def trusted_access(orgs: Any) -> tuple[bool, int]:
    """Whether trusted access for AWS Account Management is enabled, and the calls it took."""
    enabled, calls = False, 0
    for page in orgs.get_paginator("list_aws_service_access_for_organization").paginate():
        calls += 1
        enabled = enabled or any(s.get("ServicePrincipal") == ACCOUNT_SERVICE
                                 for s in page.get("EnabledServicePrincipals", []))
    return enabled, calls


def account_contacts(account: Any, account_id: str, management_id: str) -> Contacts:
    """The three alternate contacts of one account (3 calls)."""
    found: dict[str, Contact | None] = {}
    extra = {} if account_id == management_id else {"AccountId": account_id}
    for kind in CONTACT_TYPES:
        try:
            contact = account.get_alternate_contact(AlternateContactType=kind, **extra)["AlternateContact"]
        except Exception as exc:
            if aws_error_code(exc) != "ResourceNotFoundException":
                raise
            found[kind] = None
            continue
        found[kind] = Contact(kind, str(contact.get("Name", "")), str(contact.get("Title", "")),
                              str(contact.get("EmailAddress", "")), str(contact.get("PhoneNumber", "")))
    return found


def read_contacts(account: Any, ids: Iterable[str], management_id: str,
                  limit: int = CONCURRENCY) -> dict[str, Contacts]:
    """Account id -> its alternate contacts, for each of ``ids`` (3 calls each), with ``account`` an
    Account Management client in the management account; ``limit`` accounts read at once."""
    wanted = list(ids)
    found = bounded_map(lambda account_id: account_contacts(account, account_id, management_id), wanted, limit)
    return dict(zip(wanted, found, strict=True))
