"""Pure: a ``[temporary ID]`` section as IAM Identity Center holds it (docs/temporary-access.md,
"IAM Identity Center").

Identity Center has no time-bounded account assignment, and awsroles runs no service that would
remove one on time. So each temporary grant gets a **permission set of its own**,
``awsroles-tmp-<12 hex of sha256(ID)>`` (25 characters: a permission set name is at most 32,
sso-admin API reference, "CreatePermissionSet"), made of its role's policies plus a statement that
denies everything outside the grant's window:

- ``AwsrolesTemporaryWindow``: ``Deny *`` when ``DateGreaterThan aws:CurrentTime UNTIL``;
- ``AwsrolesTemporaryStart`` (only with ``from``): ``Deny *`` when ``DateLessThan aws:CurrentTime FROM``.

Identity Center copies a permission set's policies, its inline policy included, into the role it
creates in each account it is assigned in ("When you assign a permission set, IAM Identity Center
creates corresponding IAM Identity Center-controlled IAM roles in each account, and attaches the
policies specified in the permission set to those roles",
https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetsconcept.html), and IAM
evaluates ``aws:CurrentTime`` on every request
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime):
an explicit Deny wins over every Allow, so after ``until`` the role allows nothing, for sessions
issued before as well as after, even if awsroles never runs again. The permission set's session
duration is one hour, the shortest Identity Center allows ("Set session duration",
https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosessionduration.html), whatever the
role's ``max_session``: a session never outlives the grant by more than an hour, and the Deny makes
it useless from ``until`` on anyway.

Overlapping grants of the same role never touch each other: each has its own permission set and
its own assignment, and the tag ``awsroles-temporary = ID`` tells the planner which permission sets
are temporary grants' (deleted, with their assignments, once the grant has expired or its section
is gone; not left for ``--prune``).
"""

from __future__ import annotations

import json
from datetime import datetime

from awsroles.org.entries import Role, TemporaryGrant
from awsroles.org.jsondoc import canonical_json
from awsroles.org.model import Org
from awsroles.org.temporary import format_time, permission_set_name

__all__ = ["PREFIX", "TAG", "description", "grant_of", "inline_policy", "permission_set_name", "window_statements"]

PREFIX = "awsroles-tmp-"
TAG = "awsroles-temporary"  # on a temporary grant's permission set: the grant's ID
WINDOW_SID, START_SID = "AwsrolesTemporaryWindow", "AwsrolesTemporaryStart"
SESSION = "PT1H"  # Identity Center's shortest session; the window's Deny ends every session anyway
POLICY_VERSION = "2012-10-17"


def _time(moment: datetime) -> str:
    return format_time(moment)


def window_statements(grant: TemporaryGrant) -> list[dict[str, object]]:
    """The Deny statements that bound the grant in time (see the module docstring)."""
    found: list[dict[str, object]] = [{"Sid": WINDOW_SID, "Effect": "Deny", "Action": "*", "Resource": "*",
                                       "Condition": {"DateGreaterThan": {"aws:CurrentTime": _time(grant.until)}}}]
    if grant.start is not None:
        found.append({"Sid": START_SID, "Effect": "Deny", "Action": "*", "Resource": "*",
                      "Condition": {"DateLessThan": {"aws:CurrentTime": _time(grant.start)}}})
    return found


def inline_policy(role: Role, grant: TemporaryGrant) -> str:
    """The role's policy files merged (as its own permission set's) plus the window's Deny statements."""
    statements: list[object] = []
    for policy in role.policies:
        document = json.loads(policy.document)
        found = document.get("Statement", [])
        statements.extend(found if isinstance(found, list) else [found])
    statements.extend(window_statements(grant))
    return canonical_json({"Version": POLICY_VERSION, "Statement": statements})


def description(grant: TemporaryGrant, limit: int) -> str:
    """What the permission set says it is: the grant's ID first (a permission set's description is
    printable Latin-1 text, ``[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*``, 1-700
    characters: anything else in the reason becomes ``?``)."""
    text = (f"temporary grant {grant.id}: {grant.holder}, {grant.role} in {grant.environment} until "
            f"{_time(grant.until)} ({grant.reason})")
    return "".join(c if c in "\t\n\r" or 0x20 <= ord(c) <= 0x7E or 0xA1 <= ord(c) <= 0xFF else "?"
                   for c in text)[:limit]


def grant_of(org: Org, grant_id: str) -> TemporaryGrant | None:
    return next((g for g in org.temporary_grants if g.id == grant_id), None)
