"""Which environment each account's costs belong to: the org file first, then an Organizations tag.

The org file's accounts without an environment (the ops account, a billing account, shared
services) go to the "(shared)" row under their own names. Accounts the org file does not know and
no tag maps (the management account when the file does not name it, a new account, a closed one)
are kept with ``environment=None`` and source "unmapped", so the report shows them in the
"(unmapped)" row: never merged, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from awsroles.costs.model import AccountInfo
from awsroles.org.marks import ENVIRONMENT_TAG
from awsroles.org.model import Org

DEFAULT_TAG = ENVIRONMENT_TAG  # the tag apply sets on every account it manages in Organizations


def from_org(org: Org) -> dict[str, AccountInfo]:
    """The org file's accounts; those without an environment go to the shared row, by name. An
    account apply has not created yet (no id) has no costs: it is left out, as its environment is
    until then (Org.as_existing), never listed as an account ""."""
    return {a.id: AccountInfo(a.id, a.name, a.environment, "org file") for a in org.accounts if not a.pending}


def account_map(org: Org, organizations: Any | None, *, tag: str = DEFAULT_TAG,
                warn: Callable[[str], None] = lambda _m: None) -> dict[str, AccountInfo]:
    """Account id -> AccountInfo: org file environments, then the ``tag`` of each Organizations account.

    Organizations errors (access denied, the account not in an organization) fall back to the
    org file alone, with a warning through ``warn``.
    """
    accounts = from_org(org)
    if organizations is None:
        return accounts
    try:
        listed = [a for page in organizations.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
        for item in listed:
            account_id, name = item["Id"], item.get("Name") or item["Id"]
            known = accounts.get(account_id)
            if known is not None and known.environment:
                continue  # the org file wins
            environment = _tag(organizations, account_id, tag)
            if environment:
                accounts[account_id] = AccountInfo(account_id, known.name if known else name, environment,
                                                   f"tag {tag}")
            elif known is None:
                accounts[account_id] = AccountInfo(account_id, name, None, "unmapped")
    except (ClientError, BotoCoreError) as exc:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
        warn(f"warning: cannot read AWS Organizations ({code or exc}); accounts map from the org file only")
    return accounts


def _tag(organizations: Any, account_id: str, key: str) -> str | None:
    tags: list[dict[str, str]] = []
    for page in organizations.get_paginator("list_tags_for_resource").paginate(ResourceId=account_id):
        tags.extend(page.get("Tags", []))
    for tag in tags:
        if tag.get("Key") == key and tag.get("Value"):
            return tag["Value"]
    return None


def complete(accounts: dict[str, AccountInfo], ids: Iterable[str]) -> dict[str, AccountInfo]:
    """Add an unmapped entry, named by its id, for every account with costs but unknown anywhere."""
    out = dict(accounts)
    for account_id in ids:
        if account_id not in out:
            out[account_id] = AccountInfo(account_id, account_id, None, "unmapped")
    return out
