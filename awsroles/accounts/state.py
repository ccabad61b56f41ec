"""Read the live organization from the management account.

One ``ListRoots``; per OU (and the root) one paginated ``ListOrganizationalUnitsForParent`` and one
paginated ``ListAccountsForParent``, which give every account with its parent; one paginated
``ListAccounts`` for each account's e-mail address and status; and one ``ListTagsForResource`` for
each OU and each account (awsroles' marks are tags: every account's, since the plan reports the
accounts awsroles made or adopted that the file no longer declares). So an organization of A
accounts in O OUs takes 4 + 3 * O + A calls, and one more per further page of a list (the counts
docs/accounts.md states, tested in tests/aws/test_accounts_scale.py). The reads of one level of the OU tree, and
the tag reads, run a bounded number at a time (``concurrency``: ``--parallel``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles.accounts.contacts import LiveContacts
from awsroles.accounts.reads import CONCURRENCY, bounded_map, pages, tags_of
from awsroles.accounts.scps import LiveScps
from awsroles.errors import AwsrolesError, aws_error_code
from awsroles.org.entries import Account
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG
from awsroles.org.model import Org


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


def read_organization(orgs: Any, where: str = "the management account",
                      concurrency: int = CONCURRENCY) -> LiveOrganization:
    """The organization as seen by ``orgs`` (an Organizations client in the management account);
    the reads of each level of OUs, of the OUs' tags and of the accounts' tags run ``concurrency``
    at a time (:func:`~awsroles.accounts.reads.bounded_map`)."""
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
    found: dict[str, str] = {}  # OU path -> id

    def children(parent: tuple[str, str]) -> tuple[list[Any], list[Any], int]:
        parent_id, _path = parent
        accounts, n = pages(orgs, "list_accounts_for_parent", "Accounts", ParentId=parent_id)
        units, m = pages(orgs, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id)
        return accounts, units, n + m

    level: list[tuple[str, str]] = [(root, "")]
    while level:  # one level of the tree at a time: its parents are read together
        below: list[tuple[str, str]] = []
        for (_parent, path), (accounts, units, n) in zip(level, bounded_map(children, level, concurrency), strict=True):
            calls += n
            for account in accounts:
                parents[account["Id"]] = path
            for ou in units:
                child = f"{path}/{ou['Name']}" if path else ou["Name"]
                found[child] = ou["Id"]
                below.append((ou["Id"], child))
        level = below
    listed, n = pages(orgs, "list_accounts", "Accounts")
    calls += n
    # Tags of every OU and every account: awsroles' marks say which it made or adopted, also of
    # those the file no longer declares (kept, and reported as such by the plan).
    resources = [*found.values(), *(str(a["Id"]) for a in listed)]
    tagged = bounded_map(lambda resource: tags_of(orgs, resource), resources, concurrency)
    calls += sum(n for _tags, n in tagged)
    tags = {resource: t for resource, (t, _n) in zip(resources, tagged, strict=True)}
    ous = {path: LiveOU(ou_id, path, tags[ou_id]) for path, ou_id in found.items()}
    accounts_by_id = {
        account["Id"]: LiveOrgAccount(account["Id"], str(account.get("Name", "")), str(account.get("Email", "")),
                                      str(account.get("Status", "ACTIVE")), parents.get(account["Id"], ""),
                                      tags[account["Id"]])
        for account in listed}
    return LiveOrganization(root, accounts_by_id, ous, calls)
