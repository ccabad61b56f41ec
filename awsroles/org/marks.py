"""The names awsroles gives what it makes in AWS, and the marks (tags, prefixes) it knows them by.

Ownership is by these names and tags (:mod:`awsroles.sync.ownership`): change one and awsroles no
longer recognises what it made before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from awsroles.org.entries import PolicyFile, ScpTarget

MFA_ENROLLMENT_ADMIN = "admin"  # only admins enrol MFA devices (the default)
MFA_ENROLLMENT_SELF = "self"  # people may enrol their own device with their access key alone
TEAM_GROUP_PREFIX = "team-"
EVERYONE_GROUP = "awsroles-users"
SELF_SERVICE_POLICY = "awsroles-self-service"
TEAM_POLICY_NAME = "awsroles-assume-roles"
TEAM_MANAGED_POLICY_PREFIX = "awsroles-assume-"  # + team + "-" + n: a team's grants in the managed form


def team_managed_policy_name(team: str, number: int) -> str:
    """The name of a team's ``number``-th customer managed policy (from 1) in the managed form."""
    return f"{TEAM_MANAGED_POLICY_PREFIX}{team}-{number}"


TEMPORARY_POLICY_NAME = "awsroles-temporary"  # a user's own inline policy: their temporary grants
BREAK_GLASS_POLICY_NAME = "awsroles-break-glass"  # a user's own inline policy: the break-glass roles they may assume
BREAK_GLASS_ROLE = "breakglass"  # [break-glass ENV] role's default
BREAK_GLASS_TAG = "awsroles-break-glass"  # on the break-glass role: its environment (plan reads the alarm beside it)
BREAK_GLASS_PERMISSION_SET = "awsroles-break-glass"  # Identity Center alone: the way to the break-glass roles
BREAK_GLASS_ALARM = "awsroles-break-glass"  # the EventBridge rule and the SNS topic of the alarm, per account
REASON_TAG = "awsroles:reason"  # the session tag `login --break-glass --reason` passes
USER_POLICY_NAMES = (TEMPORARY_POLICY_NAME, BREAK_GLASS_POLICY_NAME)  # the only inline policies awsroles puts on users
MANAGED_BY_TAG = ("managed-by", "awsroles")
ORG_TAG = "awsroles-org"  # on what awsroles makes in AWS Organizations: the org it belongs to
OU_TAG = "awsroles-ou"  # on an account: the OU path awsroles last placed it in (moved since: drift)
TAGS_TAG = "awsroles-tags"  # on an account: the keys of the tags awsroles set there, space-separated
ENVIRONMENT_TAG = "Environment"  # on an account: its environment (the costs report reads it)
RESERVED_TAGS = (MANAGED_BY_TAG[0], ORG_TAG, OU_TAG, TAGS_TAG)  # awsroles' marks: never set from the file
CONTACT_TYPES = ("BILLING", "OPERATIONS", "SECURITY")


BUDGET_PREFIX = "awsroles-"


SCP_PREFIX = "awsroles-"
SCP_NAME_MAX = 128  # Organizations CreatePolicy: Name, 1 to 128 ASCII characters


def scp_prefix(org: str) -> str:
    """Every SCP awsroles makes for org ``org`` has a name that starts with this."""
    return f"{SCP_PREFIX}{org}-"


def guardrails_scp_name(org: str, target: ScpTarget) -> str:
    """``awsroles-acme-guardrails-ou-Workloads/Prod``: the one SCP of a target's guardrails."""
    return f"{scp_prefix(org)}guardrails-{target.key}"


def file_scp_name(org: str, policy: PolicyFile) -> str:
    """``awsroles-acme-scp-deny-s3-public``: an SCP file, one SCP whatever the targets that list it."""
    return f"{scp_prefix(org)}scp-{policy.name}"


def split_iam_path(text: str) -> tuple[str, str]:
    """``/team/Developers`` -> ``("/team/", "Developers")``; ``Developers`` -> ``("/", "Developers")``."""
    head, _, name = text.rpartition("/")
    return f"{head}/" if head else "/", name


def team_group(team: str) -> str:
    """The IAM group name of a team."""
    return f"{TEAM_GROUP_PREFIX}{team}"


def budget_prefix(org: str) -> str:
    """Every budget awsroles makes for org ``org`` has a name that starts with this."""
    return f"{BUDGET_PREFIX}{org}-"


def budget_name(org: str, environment: str) -> str:
    """The AWS Budgets name of an environment's budget: ``awsroles-ORG-ENV``."""
    return f"{budget_prefix(org)}{environment}"
