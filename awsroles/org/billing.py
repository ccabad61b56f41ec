"""Reading ``tags`` and ``*_contact`` of ``[org]`` and ``[account NAME]``: an account's tags in
AWS Organizations and its alternate contacts, with AWS's rules.

Syntax::

    tags = CostCenter=42, Owner=finance          ; [org]: every account awsroles manages; [account]: over them
    billing_contact = Jane Doe | Finance lead | jane@acme.example | +1 555 0100
    operations_contact = ...                     ; and security_contact: Name | Title | Email | Phone

Tags (Organizations API reference, "Tag":
https://docs.aws.amazon.com/organizations/latest/APIReference/API_Tag.html, and "Quotas": 50 tags
per resource): a key is 1 to 128 characters, a value 0 to 256; a key may not begin with ``aws:``;
awsroles takes AWS's common tag characters (letters, digits, white space and ``_ . : / = + - @``),
and no white space in a key: awsroles records the keys it sets, space-separated, in the tag
``awsroles-tags`` (at most 256 characters, a tag value). awsroles' own marks (``managed-by``,
``awsroles-org``, ``awsroles-ou``, ``awsroles-tags``) cannot be set from the file, nor
``Environment`` where awsroles sets it from ``environment`` (every account that holds one; [org]).

Alternate contacts (AWS Account Management API reference, "PutAlternateContact" and
"AlternateContact": https://docs.aws.amazon.com/accounts/latest/reference/API_PutAlternateContact.html):
all four fields are required; Name 1 to 64 characters, Title 1 to 50, EmailAddress 1 to 254
matching ``[\\s]*[\\w+=.#|!&-]+@[\\w.-]+\\.[\\w]+[\\s]*``, PhoneNumber 1 to 25 of ``[\\s0-9()+-]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from awsroles.org import limits
from awsroles.org.builder import Builder
from awsroles.org.entries import Contact
from awsroles.org.ini import IniKey
from awsroles.org.marks import CONTACT_TYPES, ENVIRONMENT_TAG, RESERVED_TAGS

CONTACT_KEYS = {f"{kind.lower()}_contact": kind for kind in CONTACT_TYPES}
CONTACT_NAME_MAX, CONTACT_TITLE_MAX, CONTACT_EMAIL_MAX, CONTACT_PHONE_MAX = 64, 50, 254, 25
CONTACT_EMAIL = re.compile(r"[\w+=.#|!&-]+@[\w.-]+\.\w+")
CONTACT_PHONE = re.compile(r"[\s0-9()+-]+")
MARKS_ON_ACCOUNT = 4  # managed-by, awsroles-org, awsroles-ou, awsroles-tags
OWNED_KEYS_MAX = limits.TAG_VALUE_MAX  # the awsroles-tags value: the keys awsroles set, space-separated


def read_tags(b: Builder, key: IniKey | None, *, environment_set: bool) -> dict[str, str]:
    """``Key=Value, Key=Value`` -> {Key: Value}; every mistake a problem at its line.
    ``environment_set``: awsroles sets ``Environment`` here (so the file may not)."""
    tags: dict[str, str] = {}
    if key is None:
        return tags
    for item, line in b.items(key, r"[,\n]"):
        name, eq, value = (part.strip() for part in item.partition("="))
        if not eq or not name:
            b.error(line, f"tag '{item}' is not Key=Value")
        elif name.lower().startswith("aws:"):
            b.error(line, f"tag key '{name}' begins with 'aws:', which AWS keeps for itself")
        elif name in RESERVED_TAGS:
            b.error(line, f"tag key '{name}' is awsroles' own mark: it cannot be set from the org file")
        elif name == ENVIRONMENT_TAG and environment_set:
            b.error(line, f"tag key '{ENVIRONMENT_TAG}' is set by awsroles from the account's environment")
        elif len(name) > limits.TAG_KEY_MAX or len(value) > limits.TAG_VALUE_MAX:
            b.error(line, f"tag '{name}' is too long: AWS allows keys of {limits.TAG_KEY_MAX} and values of "
                    f"{limits.TAG_VALUE_MAX} characters")
        elif not limits.TAG_TEXT.fullmatch(name) or not limits.TAG_TEXT.fullmatch(value) or re.search(r"\s", name):
            b.error(line, f"tag '{item}' has characters awsroles does not accept in tags (letters, digits, "
                    "_ . : / = + - @, and spaces in values only)")
        elif name in tags:
            b.error(line, f"duplicate tag '{name}'")
        else:
            tags[name] = value
    return tags


def check_account_tags(b: Builder, line: int, tags: Mapping[str, str]) -> None:
    """AWS's 50 tags per account (awsroles' marks included), and room to record the keys."""
    if len(tags) + MARKS_ON_ACCOUNT > limits.TAGS_PER_RESOURCE:
        b.error(line, f"{len(tags)} tags (with [org] tags and Environment): AWS allows {limits.TAGS_PER_RESOURCE} "
                f"per account and awsroles uses {MARKS_ON_ACCOUNT}")
    elif len(" ".join(sorted(tags))) > OWNED_KEYS_MAX:
        b.error(line, f"the tag keys (with [org] tags and Environment) take more than {OWNED_KEYS_MAX} characters "
                "together: awsroles records them in one tag (awsroles-tags); use fewer or shorter keys")


def read_contact(b: Builder, key: IniKey) -> Contact | None:
    """``Name | Title | Email | Phone`` -> a Contact, or None (a problem at the key's line)."""
    kind = CONTACT_KEYS[key.name]
    parts = [p.strip() for p in key.value.replace("\n", " ").split("|")]
    if len(parts) != 4:
        b.error(key.line, f"{key.name} needs Name | Title | Email | Phone (4 fields separated by '|'), got "
                f"{len(parts)}")
        return None
    name, title, email, phone = parts
    for field, value, most in (("name", name, CONTACT_NAME_MAX), ("title", title, CONTACT_TITLE_MAX),
                               ("email", email, CONTACT_EMAIL_MAX), ("phone", phone, CONTACT_PHONE_MAX)):
        if not 1 <= len(value) <= most:
            b.error(key.line, f"{key.name}: the {field} is {len(value)} characters; AWS accepts 1 to {most} "
                    "(Account Management, PutAlternateContact)")
            return None
    if not CONTACT_EMAIL.fullmatch(email):
        b.error(key.line, f"{key.name}: '{email}' is not an e-mail address AWS accepts for a contact")
        return None
    if not CONTACT_PHONE.fullmatch(phone):
        b.error(key.line, f"{key.name}: phone '{phone}' may hold only digits, spaces and ( ) + -")
        return None
    return Contact(kind, name, title, email, phone)


def read_contacts(b: Builder, keys: Mapping[str, IniKey]) -> tuple[Contact, ...]:
    """The ``*_contact`` keys of one section, in BILLING, OPERATIONS, SECURITY order."""
    found = [read_contact(b, keys[name]) for name in CONTACT_KEYS if name in keys]
    return tuple(c for c in found if c is not None)
