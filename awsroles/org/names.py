"""Which IAM user names awsroles can use: pure checks, shared by the CLI and the org file validator.

IAM accepts user names of 1-64 characters from ``[\\w+=,.@-]`` (IAM API Reference, CreateUser,
``UserName``). awsroles also sets a person's name as the ``RoleSessionName`` and ``SourceIdentity``
of every role session, and those need at least 2 characters from the same set (STS API Reference,
AssumeRole: RoleSessionName 2-64, SourceIdentity 2 or more): a one-letter user could be created
but never switch into a role.
"""

from __future__ import annotations

import re

IAM_NAME_MAX = 64
USER_NAME_MIN = 2  # RoleSessionName and SourceIdentity: at least 2 characters
_ALLOWED = re.compile(r"[\w+=,.@-]+", re.ASCII)
ALLOWED_TEXT = "ASCII letters, digits and + = , . @ _ -"


def check_iam_user_name(name: str) -> str | None:
    """The problem with ``name`` as an IAM user name (what IAM itself refuses), or None."""
    if not name:
        return "a user name cannot be empty"
    if len(name) > IAM_NAME_MAX:
        return f"user name '{name[:20]}...' is {len(name)} characters long: IAM allows at most {IAM_NAME_MAX}"
    if not _ALLOWED.fullmatch(name):
        bad = "".join(sorted({c for c in name if not _ALLOWED.fullmatch(c)}))
        return f"user name {name!r} has characters IAM does not allow ({bad!r}): use only {ALLOWED_TEXT}"
    return None


def check_user_name(name: str) -> str | None:
    """The problem with ``name`` as the name of a person awsroles manages, or None.

    IAM's rule (:func:`check_iam_user_name`), plus at least 2 characters, since the name becomes
    the RoleSessionName and SourceIdentity of the person's role sessions. The message names the
    user and the rule, without a location: callers add ``FILE:LINE`` or "nothing changed".
    """
    problem = check_iam_user_name(name)
    if problem is None and len(name) < USER_NAME_MIN:
        return (f"user name {name!r} is too short: at least {USER_NAME_MIN} characters, since it becomes the "
                "role session name and source identity, which AWS requires to be at least 2 characters")
    return problem
