"""The org file's identity keys: ``[org] identity`` and where IAM Identity Center lives, a role's
customer managed policies and permissions boundary, and a person's names.

Both backends read the same roles: ``customer_managed`` names a policy by ``[/path/]name`` that
exists in every environment account (IAM attaches ``arn:PARTITION:iam::ACCOUNT:policy/path/name``;
Identity Center attaches a customer managed policy reference), and ``boundary`` is either a
managed policy ARN or such a name.
"""

from __future__ import annotations

import re

from awsroles.org import limits
from awsroles.org.builder import Builder
from awsroles.org.ini import IniKey
from awsroles.org.model import IDENTITIES, IDENTITY_IAM_USERS

# IAM CreatePolicy: PolicyName 1-128 of [\w+=,.@-]; Path / or /x/.../ of \x21-\x7e, 512 at most
# (IAM API Reference, "CreatePolicy").
POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
PERSON_NAME_MAX = 1024  # Identity Store CreateUser: DisplayName, GivenName, FamilyName 1-1024 characters


def read_identity(b: Builder, key: IniKey | None) -> tuple[str, ...]:
    """``identity = iam-users | identity-center | iam-users, identity-center``."""
    if key is None:
        return (IDENTITY_IAM_USERS,)
    chosen: list[str] = []
    for item, line in b.items(key):
        value = item.lower()
        if value not in IDENTITIES:
            b.error(line, f"identity: expected {' or '.join(IDENTITIES)} (or both, while moving), got {item!r}")
        elif value in chosen:
            b.error(line, f"identity: {value} is given twice")
        else:
            chosen.append(value)
    if not chosen:
        if not any(p.is_error and p.line == key.line for p in b.problems):
            b.error(key.line, f"identity is empty: give {' or '.join(IDENTITIES)}")
        return (IDENTITY_IAM_USERS,)
    return tuple(i for i in IDENTITIES if i in chosen)  # one order, whatever the file's


def split_policy_path(ref: str) -> tuple[str, str] | None:
    """``/team/deny-iam`` -> ``("/team/", "deny-iam")``; ``deny-iam`` -> ``("/", "deny-iam")``;
    None when it is no IAM policy path and name."""
    ref = ref.strip()
    path, _, name = ref.rpartition("/")
    path = f"{path}/" if path else "/"
    if not path.startswith("/"):
        path = f"/{path}"
    if not POLICY_NAME.fullmatch(name) or len(path) > limits.PATH_MAX or not limits.IAM_PATH.fullmatch(path):
        return None
    return path, name


def policy_reference(path: str, name: str) -> str:
    """The org file's spelling of a customer managed policy: ``/team/deny-iam``, or ``deny-iam`` at ``/``."""
    return name if path == "/" else f"{path}{name}"


def read_customer_managed(b: Builder, key: IniKey | None, role: str) -> tuple[str, ...]:
    if key is None:
        return ()
    found: list[str] = []
    for item, line in b.items(key):
        split = split_policy_path(item)
        if split is None:
            b.error(line, f"customer_managed '{item}' is not a policy [/path/]name (letters, digits and "
                    "+ = , . @ _ -; a path like /team/)")
            continue
        reference = policy_reference(*split)
        if reference.lower() in (f.lower() for f in found):
            b.error(line, f"duplicate customer managed policy {reference} in role '{role}'")
            continue
        found.append(reference)
    return tuple(found)


def read_boundary(b: Builder, key: IniKey | None, partition: str) -> str:
    if key is None:
        return ""
    value = key.value.strip()
    if value.startswith("arn:"):
        if not limits.MANAGED_POLICY_ARN.fullmatch(value):
            b.error(key.line, f"boundary '{value}' is not a managed policy ARN (arn:aws:iam::aws:policy/NAME)")
            return ""
        if value.split(":")[1] != partition:
            b.error(key.line, f"boundary '{value}' is in partition {value.split(':')[1]}, the org is in {partition}")
            return ""
        return value
    split = split_policy_path(value)
    if split is None:
        b.error(key.line, f"boundary '{value}' is neither a managed policy ARN nor a customer managed policy "
                "[/path/]name")
        return ""
    return policy_reference(*split)


def read_user_boundary(b: Builder, key: IniKey | None, partition: str, ops_id: str, what: str) -> str:
    """A person's permissions boundary (``[user] boundary``, ``[org] user_boundary``): as a role's,
    but IAM sets a user's boundary only from a policy of the user's own account (the ops account) or
    an AWS managed one, so an ARN naming another account is refused here, before any plan."""
    value = read_boundary(b, key, partition)
    if key is None or not value.startswith("arn:"):
        return value
    owner = value.split(":")[4]
    if owner != "aws" and ops_id and owner != ops_id:
        b.error(key.line, f"{what}: boundary '{value}' is a policy of account {owner}; a user's permissions boundary "
                f"is an AWS managed policy or a policy of the ops account ({ops_id}): write it as [/path/]name")
        return ""
    return value


def read_person_name(b: Builder, key: IniKey | None) -> str:
    if key is None:
        return ""
    value = " ".join(key.value.split())
    if not value:
        b.error(key.line, f"{key.name} is empty: leave the key out for the default")
    elif len(value) > PERSON_NAME_MAX:
        b.error(key.line, f"{key.name} is {len(value)} characters; IAM Identity Center allows {PERSON_NAME_MAX}")
    elif any(ord(c) < 0x20 for c in value):
        b.error(key.line, f"{key.name} has control characters")
    return value
