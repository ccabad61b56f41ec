"""The org file checked against IAM's quotas on the documents awsroles generates from it.

:func:`check_sizes` measures the trust policy, the self-service policy and every team's policy.
:func:`parse_org`, :func:`check_org` and :func:`load_org` are those of :mod:`awsroles.org.parse`
with these checks added (:data:`ORG_CHECKS`): what ``awsroles validate`` and every command use.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from awsroles.errors import OrgFileError, Problem
from awsroles.iam import breakglass, policies
from awsroles.iam.self_service import self_service_policy
from awsroles.identity_center.checks import check_identity_center
from awsroles.org import limits
from awsroles.org import parse as org_parse
from awsroles.org.checks import OrgCheck, Sections
from awsroles.org.marks import TEAM_MANAGED_POLICY_PREFIX, team_managed_policy_name
from awsroles.org.model import Org
from awsroles.org.requests import check_requests
from awsroles.org.temporary import check_expired


def measured(org: Org) -> Org:
    """``org`` as its documents are measured: accounts apply has yet to create get a 12-digit
    placeholder id (all ids are 12 digits), so each document is as large as it will be."""
    if not org.pending_accounts:
        return org
    from dataclasses import replace

    return replace(org, accounts=tuple(replace(a, id=PLACEHOLDER_ID) if a.pending else a for a in org.accounts))


def check_sizes(org: Org, sections: Sections, now: datetime | None = None) -> list[Problem]:
    """The generated documents that would be larger than IAM allows, each at its section's line.
    Accounts apply has yet to create are measured with a 12-digit placeholder id (all ids are 12 digits).
    Temporary grants count while they have not expired at ``now`` (default: the current time)."""
    problems: list[Problem] = []
    org = measured(org)
    trust = policies.policy_size(policies.trust_policy(org))
    if trust > limits.TRUST_POLICY_MAX:
        adopted = len(org.adopted_in_place()["user"])
        hint = (f" ({adopted} users adopted in place outside the path are named one by one in it: move people "
                f"under {org.path} instead, or adopt fewer)") if adopted else ""
        problems.append(sections.error("org", "", f"the trust policy is {trust} characters; "
                                       f"IAM allows {limits.TRUST_POLICY_MAX}{hint}"))
    self_service = policies.policy_size(self_service_policy(org))
    if self_service > limits.MANAGED_POLICY_MAX:
        problems.append(sections.error("org", "", f"the self-service policy is {self_service} characters; "
                                       f"IAM allows {limits.MANAGED_POLICY_MAX}"))
    temporary = org.active_temporary(now if now is not None else datetime.now(timezone.utc))
    for team in org.teams:
        size = policies.policy_size(policies.team_policy(org, team, temporary))
        extra = " or end temporary grants" if any(g.team == team.name for g in temporary) else ""
        form = policies.team_policy_form(org, team, temporary)
        if size > policies.TEAM_POLICY_ROOM:
            what = "policy" if form != policies.MANAGED else "inline policy (its temporary grants)"
            problems.append(sections.error("team", team.name, f"team '{team.name}' {what} is {size} characters "
                                           f"in its {form} form; IAM allows {limits.GROUP_INLINE_POLICIES_MAX} of "
                                           f"inline policy per group, {policies.TEAM_POLICY_ROOM} of them after "
                                           f"awsroles' marker policy (split the team{extra})"))
        if form != policies.MANAGED:
            continue
        parts = len(policies.team_managed_policies(org, team, temporary))
        if parts > policies.TEAM_MANAGED_POLICIES_MAX:
            problems.append(sections.error("team", team.name, f"team '{team.name}' grants need {parts} managed "
                                           f"policies of {limits.MANAGED_POLICY_MAX} characters; IAM attaches at most "
                                           f"{policies.TEAM_MANAGED_POLICIES_MAX} to a group (split the team)"))
        name = team_managed_policy_name(team.name, parts)
        if len(name) > limits.POLICY_NAME_MAX:
            problems.append(sections.error("team", team.name, f"team '{team.name}' grants go to managed policies "
                                           f"named {TEAM_MANAGED_POLICY_PREFIX}{team.name}-N, longer than IAM's "
                                           f"{limits.POLICY_NAME_MAX} characters (a shorter team name)"))
    for user in org.users:
        own = tuple(g for g in temporary if g.user == user.name)
        size = policies.policy_size(policies.user_temporary_policy(org, own)) if own else 0
        mine = breakglass.person_policy(org, user.name)
        size += policies.policy_size(mine) if mine is not None else 0
        if size > limits.USER_INLINE_POLICIES_MAX:
            what = "temporary grants and break-glass roles" if own and mine else (
                "temporary grants" if own else "break-glass roles")
            problems.append(sections.error("user", user.name, f"user '{user.name}' {what} make a {size}-character "
                                           f"policy; IAM allows {limits.USER_INLINE_POLICIES_MAX} of inline policy "
                                           "per user (end some, or grant through a team)"))
    for glass in org.break_glass:
        size = policies.policy_size(breakglass.trust_policy(org, glass))
        if size > limits.TRUST_POLICY_MAX:
            problems.append(sections.error("break-glass", glass.environment, f"the break-glass role's trust policy "
                                           f"is {size} characters; IAM allows {limits.TRUST_POLICY_MAX} (name "
                                           "fewer people)"))
    return problems


PLACEHOLDER_ID = "000000000000"
ORG_CHECKS: tuple[OrgCheck, ...] = (check_sizes, check_identity_center, check_expired(), check_requests())


def parse_org(text: str, file: str, base_dir: Path | None = None) -> tuple[Org | None, list[Problem]]:
    """Parse and validate org-file text, IAM's quotas included (see :func:`awsroles.org.parse.parse_org`)."""
    return org_parse.parse_org(text, file, base_dir, checks=ORG_CHECKS)


def check_org(path: Path) -> tuple[Org | None, list[Problem]]:
    """Read and validate the org file at ``path``, IAM's quotas included; never raises on bad content."""
    return org_parse.check_org(path, checks=ORG_CHECKS)


def load_org(path: Path) -> Org:
    """The validated org; raises OrgFileError with every problem (IAM's quotas included) when it has errors."""
    org, problems = check_org(path)
    if org is None:
        raise OrgFileError(problems)
    return org
