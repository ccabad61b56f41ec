"""What an import reads from AWS: IAM in every account, the budgets in the billing account, the
Identity Center instance, the organization's SCPs and alternate contacts, an account's alias.

Each reader goes through the bootstrap role into another account (:meth:`awsroles.aws.Aws.for_account`)
and names the account in its errors; :mod:`awsroles.importer.build` calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from awsroles.accounts.scps import LiveScps
from awsroles.accounts.state import LiveOrganization
from awsroles.budgets.state import ACCESS_DENIED, LiveBudgets, read_budgets
from awsroles.errors import NetworkError
from awsroles.importer.accounts import Accounts, marked_org
from awsroles.importer.identity_center import InstanceRead
from awsroles.org.entries import Account
from awsroles.org.marks import budget_prefix, scp_prefix
from awsroles.sync.state import LiveAccount, read_account

if TYPE_CHECKING:
    from awsroles.aws import Aws


def read_live(aws: Aws, accounts: Sequence[Account], *, bootstrap_role: str, path: str, partition: str = "aws",
              max_workers: int = 8, everywhere: frozenset[str] = frozenset()) -> dict[str, LiveAccount]:
    """Read ``accounts`` in parallel (the caller's own account directly, the others through
    ``bootstrap_role``); account name -> live state. An unreadable account fails the whole import.
    ``everywhere``: the kinds (role, group, user) read in full wherever they are, to adopt in place."""
    from botocore.exceptions import BotoCoreError, ClientError

    from awsroles.errors import from_aws

    def read(account: Account) -> LiveAccount:
        try:
            session = aws.for_account(account.id, bootstrap_role, partition=partition,
                                      session_name="awsroles-import")
            return read_account(aws.client("iam", session), account, path, everywhere=everywhere)
        except (ClientError, BotoCoreError) as exc:
            error = from_aws(exc)
            if error is exc:  # it says what it is (AwsGaveUp names the call and the account)
                raise
            via = ""
            if not isinstance(error, NetworkError):  # else asking who we are would wait for the network again
                via = "" if aws.whoami().account == account.id else f" through role {bootstrap_role}"
            raise from_aws(exc, f"cannot read IAM in account {account.name} ({account.id}){via}") from exc

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(accounts) or 1))) as pool:
        futures = {a.name: pool.submit(read, a) for a in accounts}
        return {name: future.result() for name, future in futures.items()}


def read_live_budgets(aws: Aws, account: Account, *, bootstrap_role: str, org_name: str,
                      partition: str = "aws") -> LiveBudgets:
    """The budgets named like the org's (``awsroles-ORG-...``) in the billing ``account``, read in full;
    access denied is not an error (``LiveBudgets.unread``): an org may not use budgets at all."""
    from botocore.exceptions import BotoCoreError, ClientError

    from awsroles.errors import aws_error_code, from_aws

    prefix = budget_prefix(org_name)
    try:
        session = aws.for_account(account.id, bootstrap_role, partition=partition, session_name="awsroles-import")
        return read_budgets(aws.client("budgets", session), account.id, prefix, partition)
    except (ClientError, BotoCoreError) as exc:
        if aws_error_code(exc) in ACCESS_DENIED:
            return LiveBudgets(account.id, prefix, api_calls=1, unread=aws_error_code(exc))
        raise from_aws(exc, f"cannot read the budgets of account {account.name} ({account.id})") from exc


def account_alias(aws: Aws, account: Account, *, bootstrap_role: str, partition: str = "aws") -> str | None:
    """The account's IAM alias (a hint for the org name), or None when it has none or we may not ask."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = aws.for_account(account.id, bootstrap_role, partition=partition, session_name="awsroles-import")
        aliases = aws.client("iam", session).list_account_aliases().get("AccountAliases", [])
    except (ClientError, BotoCoreError):
        return None
    return str(aliases[0]) if aliases else None


def read_instance(aws: Aws, account: Account, region: str, org_name: str, *, bootstrap_role: str,
                  partition: str = "aws", max_workers: int = 8) -> InstanceRead:
    """The IAM Identity Center instance of ``account`` in ``region``, read in full (every permission
    set, group, user and assignment): through ``bootstrap_role`` unless it is the caller's account."""
    from botocore.exceptions import BotoCoreError, ClientError

    from awsroles.errors import from_aws
    from awsroles.identity_center.state import read_identity_center

    where = f"account {account.name} ({account.id}) in {region}"
    try:
        session = aws.for_account(account.id, bootstrap_role, partition=partition, session_name="awsroles-import")
        live = read_identity_center(aws.client("sso-admin", session, region=region),
                                    aws.client("identitystore", session, region=region), org_name, where=where,
                                    max_workers=max_workers, detail_all=True)
    except (ClientError, BotoCoreError) as exc:
        error = from_aws(exc)
        if error is exc:
            raise
        raise from_aws(exc, f"cannot read IAM Identity Center in {where}") from exc
    return InstanceRead(live, account.name, account.id, region)


def organization_name(organization: LiveOrganization | None) -> str | None:
    """The org awsroles marked the organization's accounts and OUs for (``awsroles-org``), when they
    name exactly one; else None."""
    if organization is None:
        return None
    tags = [a.tags for a in organization.accounts.values()] + [o.tags for o in organization.ous.values()]
    names = {marked_org(t) for t in tags} - {None}
    return str(names.pop()) if len(names) == 1 else None


def read_organization_contacts(aws: Aws, found: Accounts, org_name: str) -> LiveOrganization:
    """The organization with the alternate contacts of the imported accounts awsroles owns (member
    accounts only when trusted access for AWS Account Management is enabled; without it, or without
    permission to read them, none: the import warns)."""
    from botocore.exceptions import ClientError

    from awsroles.accounts.contacts import LiveContacts, read_contacts, trusted_access
    from awsroles.accounts.state import is_ours
    from awsroles.errors import aws_error_code

    organization = found.organization
    assert organization is not None
    management = found.by_name(found.billing).id
    owned = [a.id for a in found.accounts
             if a.id in organization.accounts and is_ours(organization.accounts[a.id].tags, org_name)]
    if not owned:
        return organization
    try:
        enabled, calls = trusted_access(aws.client("organizations"))
        ids = owned if enabled else [i for i in owned if i == management]
        by_account = read_contacts(aws.client("account"), ids, management) if ids else {}
    except ClientError as exc:
        if aws_error_code(exc) not in ("AccessDeniedException", "AccessDenied"):
            raise
        return replace(organization, contacts=LiveContacts(False))
    return replace(organization, contacts=LiveContacts(enabled, by_account, calls + 3 * len(ids)))


def read_organization_scps(aws: Aws, org_name: str) -> tuple[LiveScps, tuple[str, ...]]:
    """The SCPs at the org's prefix (:func:`awsroles.accounts.scps.read_scps`), and the names of every other
    SCP that is not AWS's own (``FullAWSAccess``): those are reported, never imported. None of it when SCPs
    are not enabled (or the organization has consolidated billing only)."""
    from awsroles.accounts.reads import pages
    from awsroles.accounts.scps import SCP_TYPE, read_scps

    organizations = aws.client("organizations")
    scps = read_scps(organizations, scp_prefix(org_name), ())
    if not scps.enabled:
        return scps, ()
    listed, _ = pages(organizations, "list_policies", "Policies", Filter=SCP_TYPE)
    others = tuple(sorted(str(p["Name"]) for p in listed
                          if not p.get("AwsManaged") and str(p["Name"]) not in scps.policies))
    return scps, others
