"""How awsroles names and marks what it makes in IAM Identity Center.

Permission sets can be tagged: awsroles' carry ``managed-by = awsroles`` and ``awsroles-org = ORG``.
Identity Store users and groups cannot be tagged (the Identity Store API has no tags), so awsroles
marks them with attributes it owns: a group's description starts with ``[awsroles:ORG]``, a
user's ``UserType`` is ``awsroles:ORG``. Without its mark a user, group or permission set is not
awsroles': never changed or deleted (``--adopt`` takes over one the org file names).
"""

from __future__ import annotations

import re

from awsroles.org.marks import BREAK_GLASS_PERMISSION_SET, MANAGED_BY_TAG, ORG_TAG, team_group

PERMISSION_SET_NAME = re.compile(r"[\w+=,.@-]{1,32}", re.ASCII)  # sso-admin CreatePermissionSet: Name
PERMISSION_SET_NAME_MAX = 32
INLINE_POLICY_MAX = 10240  # non-whitespace characters of a permission set's one inline policy (AWS_FACTS)
MANAGED_POLICIES_MAX = 10  # AWS managed and customer managed policies of one permission set
DESCRIPTION_MAX = 700  # sso-admin CreatePermissionSet: Description, 1-700 characters
GROUP_DESCRIPTION_MAX = 1024  # identitystore CreateGroup: Description
# The permission set a person named in a [break-glass ENV] is given in ENV's account, and nothing
# else: from its role they assume the break-glass role (awsroles.iam.breakglass). Its roles are AWS's:
RESERVED_ROLE_PREFIX = "AWSReservedSSO_"  # AWSReservedSSO_<permission set>_<16 hex>
RESERVED_ROLE_SUFFIX = 16
RESERVED_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
BREAK_GLASS_SET = BREAK_GLASS_PERMISSION_SET
DIGEST_TAG = "awsroles-digest"  # on a permission set: the digest of its settings as awsroles last wrote them


def group_name(team: str) -> str:
    """A team's Identity Store group: its DisplayName, ``team-NAME`` as in IAM."""
    return team_group(team)


def group_mark(org: str) -> str:
    """What the description of a group awsroles made starts with."""
    return f"[awsroles:{org}]"


def group_description(org: str, description: str) -> str:
    return f"{group_mark(org)} {description}".strip()[:GROUP_DESCRIPTION_MAX]


def group_owner(description: str) -> str | None:
    """The org whose mark a group's description carries, or None."""
    match = re.match(r"\[awsroles:([a-z0-9][a-z0-9-]*)\]", description or "")
    return match.group(1) if match else None


def user_mark(org: str) -> str:
    """A user awsroles made has this ``UserType``."""
    return f"awsroles:{org}"


def user_owner(user_type: str) -> str | None:
    match = re.fullmatch(r"awsroles:([a-z0-9][a-z0-9-]*)", user_type or "")
    return match.group(1) if match else None


def permission_set_tags(org: str) -> tuple[tuple[str, str], ...]:
    return (MANAGED_BY_TAG, (ORG_TAG, org))


def permission_set_owner(tags: dict[str, str]) -> str | None:
    """The org a permission set's tags say it belongs to (None: not awsroles')."""
    if tags.get(MANAGED_BY_TAG[0]) != MANAGED_BY_TAG[1]:
        return None
    return tags.get(ORG_TAG, "")


def iso_duration(seconds: int) -> str:
    """``3600`` -> ``PT1H``, ``5400`` -> ``PT1H30M`` (a permission set's SessionDuration)."""
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") if seconds >= 60 else "PT1H"


def duration_seconds(text: str) -> int:
    """``PT1H30M`` -> 5400 (0 for what is not such a duration)."""
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text or "")
    if not match:
        return 0
    h, m, s = (int(g or 0) for g in match.groups())
    return h * 3600 + m * 60 + s
