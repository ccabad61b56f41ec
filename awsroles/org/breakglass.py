"""``[break-glass ENV]`` sections: a role per environment that only named people may assume, with
MFA and a reason, watched by an alarm (docs/temporary-access.md#break-glass).

:func:`read_break_glass` reads them, every mistake at its ``FILE:LINE``. The role's ``managed`` and
``policies`` keys are read as a ``[role]``'s (:func:`awsroles.org.iam_sections.read_managed`,
:func:`~awsroles.org.iam_sections.read_policies`).
"""

from __future__ import annotations

from awsroles.org import limits
from awsroles.org.builder import EMAIL, IAM_NAME_RULE, Builder, did_you_mean
from awsroles.org.entries import BreakGlass, Role, User
from awsroles.org.iam_sections import read_managed, read_policies
from awsroles.org.ini import IniSection
from awsroles.org.keys import BREAK_GLASS_KEYS
from awsroles.org.marks import BREAK_GLASS_ROLE
from awsroles.org.sections import OrgSettings


def read_break_glass(b: Builder, found: list[tuple[str, IniSection]], s: OrgSettings, users: list[User],
                     roles: list[Role], environments: list[str], iam_users: bool) -> list[BreakGlass]:
    """The ``[break-glass ENV]`` sections. The role is an IAM role that the named people assume: as
    IAM users, or, in an org on IAM Identity Center alone (``iam_users`` false), from the break-glass
    permission set Identity Center gives them in that account (a role chain: at most an hour). Its
    name is taken by no ``[role]`` (a team grant of that name would reach it) nor the ``bootstrap_role``."""
    out: list[BreakGlass] = []
    user_names = [u.name for u in users]
    role_names = {r.name.lower(): r.name for r in roles}
    for environment, section in found:
        b.unknown_keys(section, BREAK_GLASS_KEYS)
        keys = section.keys
        title = f"[break-glass {environment}]"
        ok = True
        if environment not in environments:
            hint = did_you_mean(environment, environments)
            b.error(section.line, f"{title}: undefined environment '{environment}'{hint}")
            ok = False
        people: list[str] = []
        if "people" not in keys or not keys["people"].value.strip():
            b.error(keys["people"].line if "people" in keys else section.line,
                    f"{title} needs people: the users who may assume the role")
            ok = False
        else:
            for person, line in b.items(keys["people"]):
                if person not in user_names:
                    b.error(line, f"undefined user '{person}' in {title}{did_you_mean(person, user_names)}")
                    ok = False
                elif person in people:
                    b.error(line, f"'{person}' is named twice in {title}")
                    ok = False
                else:
                    people.append(person)
        role = keys["role"].value.strip() if "role" in keys else BREAK_GLASS_ROLE
        line = keys["role"].line if "role" in keys else section.line
        if not limits.IAM_NAME.fullmatch(role) or len(role) > limits.ROLE_NAME_MAX:
            b.error(line, f"{title}: role name '{role}' is not valid: {IAM_NAME_RULE} (at most "
                    f"{limits.ROLE_NAME_MAX} characters)")
            ok = False
        elif role.lower() in role_names:
            b.error(line, f"{title}: role name '{role}' is [role {role_names[role.lower()]}]'s: a team granted that "
                    "role could assume the break-glass role (IAM role names ignore case); name it otherwise")
            ok = False
        elif role.lower() == s.bootstrap_role.lower():
            b.error(line, f"{title}: role name '{role}' is taken by the bootstrap_role")
            ok = False
        managed = read_managed(b, keys.get("managed"), role, s.region)
        documents = read_policies(b, keys.get("policies"), role, s.policy_dir)
        if not managed and not documents and not {"managed", "policies"} & set(keys):
            b.warn(section.line, f"{title} has no managed ARNs and no policies: its role grants nothing")
        email = keys["alarm_email"].value.strip() if "alarm_email" in keys else ""
        if "alarm_email" in keys and not EMAIL.fullmatch(email):
            b.error(keys["alarm_email"].line, f"alarm_email '{email}' is not an e-mail address")
            ok = False
        max_session = b.duration(keys.get("max_session"), 3600, limits.ROLE_SESSION_MIN, limits.ROLE_SESSION_MAX)
        if not iam_users and max_session > limits.ROLE_CHAIN_SESSION_MAX:
            b.error(keys["max_session"].line, f"{title}: max_session is {max_session}s; in an org on IAM Identity "
                    "Center alone the role is assumed from an Identity Center role session, a role chain, which "
                    f"AWS caps at {limits.ROLE_CHAIN_SESSION_MAX}s (1h)")
            ok = False
        if ok:
            out.append(BreakGlass(environment, tuple(people), role, tuple(managed), tuple(documents), email,
                                  max_session))
    return out
