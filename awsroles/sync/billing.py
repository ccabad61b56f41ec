"""Pure: an account's tags and alternate contacts, from the org file against what AWS holds -> calls.

Tags. awsroles sets the account's tags from the file (:meth:`Org.account_tags`: [org] ``tags``,
the account's own, ``Environment`` = its environment) and records their keys, space-separated, in
the tag ``awsroles-tags``. A tag awsroles recorded whose value differs, or that is gone, is drift
(put back). A tag the file no longer has is removed only when ``awsroles-tags`` lists it; a tag
awsroles never set is never removed, and its marks (``managed-by``, ``awsroles-org``,
``awsroles-ou``) never are (the runner refuses to).

Alternate contacts. Each type the file gives (:meth:`Org.account_contacts`) is put when AWS holds
another (drift: changed outside awsroles, or set before awsroles managed the account) or none. A
type the file no longer gives is left as it is: awsroles never deletes an alternate contact.
"""

from __future__ import annotations

from collections.abc import Mapping

from awsroles.accounts.contacts import Contacts
from awsroles.org.entries import Account, Contact
from awsroles.org.marks import RESERVED_TAGS, TAGS_TAG
from awsroles.org.model import Org
from awsroles.sync.plan import Op

UNTAG_ACCOUNT = "awsroles:untag-account"  # {"AccountName", "AccountId", "TagKeys"}: never awsroles' marks
PUT_CONTACT = "awsroles:put-alternate-contact"  # {"AccountName", "AccountId" ("" if created), "Management",
#                                                  and PutAlternateContact's AlternateContactType, Name, ...}
BILLING_CALLS = frozenset({UNTAG_ACCOUNT, PUT_CONTACT})
PROTECTED_TAGS = frozenset(RESERVED_TAGS) - {TAGS_TAG}  # managed-by, awsroles-org, awsroles-ou


def owned_keys(tags: Mapping[str, str]) -> set[str]:
    """The keys awsroles set on an account (its ``awsroles-tags``)."""
    return set(tags.get(TAGS_TAG, "").split())


def as_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def new_account_tags(org: Org, account: Account) -> list[dict[str, str]]:
    """The file's tags of an account apply creates, with ``awsroles-tags`` listing them."""
    return as_tags(org.recorded_account_tags(account))


def tag_ops(org: Org, account: Account, account_id: str, live: Mapping[str, str],
            tag_call: str) -> tuple[list[Op], list[str], bool]:
    """The calls that bring ``live`` (an account's tags) to the file's, what they do, and whether
    something awsroles set was changed outside it (drift)."""
    desired = org.account_tags(account)
    owned = owned_keys(live)
    changed = {k: v for k, v in desired.items() if live.get(k) != v}
    details, drift = [], False
    for key, value in sorted(changed.items()):
        if key in owned:
            drift = True
            was = f"was {live[key]!r}" if key in live else "removed"
            details.append(f"tag {key} = {value} ({was} outside awsroles)")
        elif key in live:
            details.append(f"tag {key} = {value} (was {live[key]!r})")
        else:
            details.append(f"tag {key} = {value}")
    removed = sorted(k for k in owned - set(desired) if k in live and k not in RESERVED_TAGS)
    details.extend(f"untag {k} (set by awsroles, no longer in the org file)" for k in removed)
    mark = " ".join(sorted(desired))
    if desired and live.get(TAGS_TAG) != mark:
        changed[TAGS_TAG] = mark
    elif not desired and TAGS_TAG in live:
        removed.append(TAGS_TAG)
    ops: list[Op] = []
    if changed:
        ops.append((tag_call, {"AccountName": account.name, "AccountId": account_id, "Tags": as_tags(changed)}))
    if removed:
        ops.append((UNTAG_ACCOUNT, {"AccountName": account.name, "AccountId": account_id, "TagKeys": removed}))
    return ops, details, drift


def put_contact(account: Account, account_id: str, management: bool, contact: Contact) -> Op:
    return (PUT_CONTACT, {"AccountName": account.name, "AccountId": account_id, "Management": management,
                          "AlternateContactType": contact.type, "Name": contact.name, "Title": contact.title,
                          "EmailAddress": contact.email, "PhoneNumber": contact.phone})


def contact_ops(org: Org, account: Account, account_id: str, management: bool,
                live: Contacts | None) -> tuple[list[Op], list[str], bool]:
    """The PutAlternateContact calls for the contacts the file gives ``account`` that AWS does not
    hold (``live``: None when unread, for an account apply creates or adopts: every one is put)."""
    ops: list[Op] = []
    details, drift = [], False
    for kind, contact in sorted(org.account_contacts(account).items()):
        now = live.get(kind) if live is not None else None
        if now == contact:
            continue
        ops.append(put_contact(account, account_id, management, contact))
        text = f"{kind.lower()} contact {contact.name} <{contact.email}>"
        if now is not None:
            drift = True
            details.append(f"{text} (was {now.name} <{now.email}>, set outside awsroles)")
        else:
            details.append(text)
    return ops, details, drift
