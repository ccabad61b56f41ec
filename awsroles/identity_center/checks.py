"""The org file against IAM Identity Center's rules, when the org uses it (``validate`` runs these
with IAM's, see :mod:`awsroles.iam.checks`).

Sources: sso-admin API reference, "CreatePermissionSet" (Name 1-32 of ``[\\w+=,.@-]``,
Description 1-700), "AttachManagedPolicyToPermissionSet" (AWS managed policies only: customer
managed ones are attached by reference); "IAM Identity Center quotas" (one inline policy of 10,240
non-whitespace characters, 10 managed policies per permission set: the same as IAM's quotas on a
role's inline policies together and managed policies, which the org file's reader checks already).
"""

from __future__ import annotations

import json
import re

from awsroles.errors import Problem
from awsroles.identity_center import names, temporary
from awsroles.org.checks import Sections
from awsroles.org.model import Org


def check_identity_center(org: Org, sections: Sections) -> list[Problem]:
    if not org.uses_identity_center:
        return []
    problems: list[Problem] = []
    home = org.identity_center_home
    if home.pending:
        key = "identity_center_account" if org.identity_center_account else "management_account"
        problems.append(sections.error("org", "", f"the Identity Center account '{home.name}' ({key}) needs an id: "
                                       "its instance must exist before apply manages it"))
    granted = {g.role for t in org.teams for g in t.grants}
    temporary_roles = {g.role for g in org.temporary_grants}
    for role in org.roles:
        if role.name not in granted | temporary_roles:
            continue
        where = f"role '{role.name}' (an Identity Center permission set)"
        if role.name in granted and not names.PERMISSION_SET_NAME.fullmatch(role.name):
            problems.append(sections.error("role", role.name, f"{where}: a permission set name is 1 to "
                                           f"{names.PERMISSION_SET_NAME_MAX} characters of letters, digits and "
                                           "+ = , . @ _ -"))
        if len(role.description) > names.DESCRIPTION_MAX:
            problems.append(sections.error("role", role.name, f"{where}: description is {len(role.description)} "
                                           f"characters; a permission set's may have {names.DESCRIPTION_MAX}"))
        for arn in role.managed:
            if arn.split(":")[4] != "aws":
                problems.append(sections.error(
                    "role", role.name, f"{where}: {arn} is a customer managed policy ARN; Identity Center attaches "
                    "only AWS managed policies by ARN: name it in customer_managed instead (it must exist in every "
                    "account the role is granted in)"))
        sids: dict[str, str] = {}
        for policy in role.policies:
            found = json.loads(policy.document).get("Statement", [])
            for statement in found if isinstance(found, list) else [found]:
                sid = statement.get("Sid") if isinstance(statement, dict) else None
                if sid and sid in sids and sids[sid] != policy.name:
                    problems.append(sections.error(
                        "role", role.name, f"{where}: statement id '{sid}' is in policy files {sids[sid]} and "
                        f"{policy.name}; a permission set has one inline policy, whose statement ids must differ"))
                elif sid:
                    sids[sid] = policy.name
    problems += _temporary(org, sections)
    for role in org.roles:
        if role.name in granted | temporary_roles and (role.name.lower() == names.BREAK_GLASS_SET
                                                      or role.name.lower().startswith(temporary.PREFIX)):
            problems.append(sections.error("role", role.name, f"role '{role.name}': awsroles names its own "
                                           f"permission sets {names.BREAK_GLASS_SET} and {temporary.PREFIX}...: "
                                           "name the role otherwise"))
    for user in org.users:
        if not user.email:
            problems.append(sections.error("user", user.name, f"user '{user.name}' needs an email: IAM Identity "
                                           "Center sends one-time passwords and password resets there"))
    return problems


def _temporary(org: Org, sections: Sections) -> list[Problem]:
    """A temporary grant's permission set holds its role's inline policy and the window's Deny
    statements (:mod:`awsroles.identity_center.temporary`): their statement ids must not clash and
    the whole must fit Identity Center's 10,240 non-whitespace characters."""
    problems: list[Problem] = []
    roles = {r.name: r for r in org.roles}
    for grant in org.temporary_grants:
        role = roles[grant.role]
        document = json.loads(temporary.inline_policy(role, grant))
        sids = [s.get("Sid") for s in document["Statement"] if isinstance(s, dict)]
        for sid in (temporary.WINDOW_SID, temporary.START_SID):
            if sids.count(sid) > 1:
                problems.append(sections.error("temporary", grant.id, f"[temporary {grant.id}]: role '{role.name}' "
                                               f"has a statement id '{sid}', which awsroles uses for the grant's "
                                               "time window in Identity Center: rename it"))
        size = len(re.sub(r"\s", "", temporary.inline_policy(role, grant)))
        if size > names.INLINE_POLICY_MAX:
            problems.append(sections.error("temporary", grant.id, f"[temporary {grant.id}]: the permission set's "
                                           f"inline policy (role '{role.name}' and the time window) is {size} "
                                           f"characters; Identity Center allows {names.INLINE_POLICY_MAX}"))
    return problems
