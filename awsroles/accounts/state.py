"""Read the live organization from the management account, in calls that grow with OUs, not accounts.

One ``ListRoots``; per OU (and the root) one paginated ``ListOrganizationalUnitsForParent`` and one
paginated ``ListAccountsForParent``, which give every account with its parent; one paginated
``ListAccounts`` for each account's e-mail address and status; and ``ListTagsForResource`` for each
OU and for each account the org file declares (awsroles' marks are tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles.accounts.contacts import LiveContacts
from awsroles.accounts.reads import pages, tags_of
from awsroles.accounts.scps import LiveScps
from awsroles.errors import AwsrolesError, aws_error_code
from awsroles.org.model import MANAGED_BY_TAG, ORG_TAG, Account, Org


@dataclass(frozen=True)
class LiveOrgAccount:
    id: str
    name: str
    email: str
    status: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE
    parent: str  # OU path ("" for the root)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveOU:
    id: str
    path: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveOrganization:
    root_id: str
    accounts: Mapping[str, LiveOrgAccount] = field(default_factory=dict)  # by id
    ous: Mapping[str, LiveOU] = field(default_factory=dict)  # by path
    api_calls: int = 0
    scps: LiveScps | None = None  # the SCPs at the org's prefix, read by awsroles.accounts.scps.read_scps
    contacts: LiveContacts | None = None  # alternate contacts, read by awsroles.accounts.contacts (when declared)


def is_ours(tags: Mapping[str, str], org: str) -> bool:
    """Marked as awsroles' (``managed-by = awsroles``) for this org (``awsroles-org = ORG``)."""
    return tags.get(MANAGED_BY_TAG[0]) == MANAGED_BY_TAG[1] and tags.get(ORG_TAG) == org


def declared_as(org: Org, account: LiveOrgAccount) -> Account | None:
    """The org file's account that is ``account``: the one with its id, or with its e-mail address
    (any case), or one still to be created (no id) with its name. None: the file no longer declares
    it (apply keeps it, as retained; ``awsroles accounts close`` may close it)."""
    email = account.email.lower()
    for declared in org.accounts:
        if declared.id == account.id or (email and declared.email.lower() == email) or (
                declared.pending and declared.name == account.name):
            return declared
    return None


class NoOrganization(AwsrolesError):
    """The management account is in no organization."""


def read_organization(orgs: Any, where: str = "the management account") -> LiveOrganization:
    """The organization as seen by ``orgs`` (an Organizations client in the management account)."""
    try:
        roots, calls = pages(orgs, "list_roots", "Roots")
    except Exception as exc:
        if aws_error_code(exc) != "AWSOrganizationsNotInUseException":
            raise
        raise NoOrganization(f"{where} is in no AWS organization, so awsroles cannot create accounts or OUs from it: "
                             "create the organization first (aws organizations create-organization --feature-set "
                             "ALL)") from exc
    root = roots[0]["Id"]
    parents: dict[str, str] = {}  # account id -> OU path
    ous: dict[str, LiveOU] = {}
    queue: list[tuple[str, str]] = [(root, "")]
    while queue:
        parent_id, path = queue.pop(0)
        accounts, n = pages(orgs, "list_accounts_for_parent", "Accounts", ParentId=parent_id)
        calls += n
        for account in accounts:
            parents[account["Id"]] = path
        children, n = pages(orgs, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id)
        calls += n
        for ou in children:
            child = f"{path}/{ou['Name']}" if path else ou["Name"]
            tags, n = tags_of(orgs, ou["Id"])
            calls += n
            ous[child] = LiveOU(ou["Id"], child, tags)
            queue.append((ou["Id"], child))
    listed, n = pages(orgs, "list_accounts", "Accounts")
    calls += n
    accounts_by_id: dict[str, LiveOrgAccount] = {}
    for account in listed:
        account_tags, n = tags_of(orgs, account["Id"])
        calls += n
        accounts_by_id[account["Id"]] = LiveOrgAccount(
            account["Id"], str(account.get("Name", "")), str(account.get("Email", "")),
            str(account.get("Status", "ACTIVE")), parents.get(account["Id"], ""), account_tags)
    return LiveOrganization(root, accounts_by_id, ous, calls)
