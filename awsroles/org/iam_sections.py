"""The readers of the [role], [user] and [team] sections (and the keys a [break-glass] section
shares with a role: ``managed``, ``policies``); the [org] settings and [account] sections are read
in :mod:`awsroles.org.sections`.

Each reads its sections into model objects and reports every mistake through the
:class:`~awsroles.org.builder.Builder`; teams are checked against every declared user, role and
environment.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from awsroles.org import limits
from awsroles.org.builder import (
    EMAIL,
    IAM_NAME_RULE,
    LOWER_NAME_RULE,
    NAME,
    SESSION_NAME_MIN,
    Builder,
    did_you_mean,
)
from awsroles.org.entries import Grant, PolicyFile, Role, Team, User
from awsroles.org.identity import (
    read_boundary,
    read_customer_managed,
    read_person_name,
    read_user_boundary,
)
from awsroles.org.ini import IniKey, IniSection
from awsroles.org.jsondoc import compact_size
from awsroles.org.keys import ROLE_KEYS, TEAM_KEYS, USER_KEYS
from awsroles.org.marks import EVERYONE_GROUP, MANAGED_BY_TAG, split_iam_path, team_group
from awsroles.org.policyfile import read_policy_file
from awsroles.org.sections import OrgSettings, partition


def read_managed(b: Builder, key: IniKey | None, name: str, region: str) -> list[str]:
    """A role's ``managed`` key: managed policy ARNs (in the org's partition, once each, at most 10)."""
    managed: list[str] = []
    if key is None:
        return managed
    for arn, line in b.items(key):
        if not limits.MANAGED_POLICY_ARN.fullmatch(arn):
            b.error(line, f"'{arn}' is not a managed policy ARN (arn:aws:iam::aws:policy/NAME)")
        elif arn.split(":")[1] != partition(region):
            b.error(line, f"'{arn}' is in partition {arn.split(':')[1]}, the org is in {partition(region)}")
        elif arn in managed:
            b.error(line, f"duplicate managed policy {arn} in role '{name}'")
        else:
            managed.append(arn)
    if len(managed) > limits.MANAGED_POLICIES_PER_ROLE:
        b.error(key.line, f"role '{name}' attaches {len(managed)} managed policies; "
                f"IAM allows {limits.MANAGED_POLICIES_PER_ROLE} per role")
    return managed


def read_policies(b: Builder, key: IniKey | None, name: str, policy_dir: Path) -> list[PolicyFile]:
    """A role's ``policies`` key: policy files, inline policy names unique whatever their case, at
    most IAM's inline policy characters per role together."""
    documents: list[PolicyFile] = []
    if key is None:
        return documents
    for ref, line in b.items(key):
        document = read_policy_file(b, policy_dir, ref, line)
        if document is None:
            continue
        same = next((d for d in documents if d.name.lower() == document.name.lower()), None)
        if same is not None and same.name == document.name:
            b.error(line, f"two policy files named '{document.name}' in role '{name}'")
            continue
        if same is not None:
            b.error(line, f"policy file names '{same.name}' and '{document.name}' in role '{name}' differ only "
                    "in case; IAM policy names ignore case")
            continue
        documents.append(document)
    total = sum(compact_size(d.document) for d in documents)
    if total > limits.ROLE_INLINE_POLICIES_MAX:
        b.error(key.line, f"role '{name}' has {total} characters of inline policy; "
                f"IAM allows {limits.ROLE_INLINE_POLICIES_MAX} per role")
    return documents


AWS_RESERVED_PATHS = ("/aws-service-role/", "/aws-reserved/", "/service-role/")


def read_adopted_path(b: Builder, key: IniKey | None, org_path: str, what: str) -> str:
    """A ``path`` key (a resource adopted in place at that IAM path): "" when absent or the org's own."""
    if key is None:
        return ""
    path = key.value.strip()
    if len(path) > limits.PATH_MAX or not limits.IAM_PATH.fullmatch(path):
        b.error(key.line, f"{what}: path '{path}' is not an IAM path: / or /name/ (up to {limits.PATH_MAX} characters)")
        return ""
    if path.startswith(AWS_RESERVED_PATHS):
        b.error(key.line, f"{what}: path '{path}' is AWS's own (its services' roles): awsroles never adopts those")
        return ""
    return "" if path == org_path else path


def read_adopted_group(b: Builder, key: IniKey | None, org_path: str, team: str) -> str:
    """A team's ``group`` key (``/Developers``: an existing IAM group adopted in place): "" when absent
    or the team's own ``team-NAME`` at the org's path."""
    if key is None:
        return ""
    text = key.value.strip()
    path, name = split_iam_path(text)
    what = f"team '{team}'"
    if not text.startswith("/") or not name or not limits.IAM_NAME.fullmatch(name) \
            or len(name) > limits.GROUP_NAME_MAX or len(path) > limits.PATH_MAX or not limits.IAM_PATH.fullmatch(path):
        b.error(key.line, f"{what}: group '{text}' is not an IAM group's path and name: /Developers, /team/Developers")
        return ""
    if name.lower() == EVERYONE_GROUP.lower():
        b.error(key.line, f"{what}: group '{name}' is the group of every awsroles user, not a team's")
        return ""
    return "" if (path, name) == (org_path, team_group(team)) else f"{path}{name}"


def read_move_from(b: Builder, key: IniKey | None, target: str, what: str) -> str:
    """A ``move_from`` key: the IAM path a user or a team's group is at now, which apply moves it from
    to ``target`` (its path in the org file); "" when absent."""
    if key is None:
        return ""
    path = key.value.strip()
    if len(path) > limits.PATH_MAX or not limits.IAM_PATH.fullmatch(path):
        b.error(key.line, f"{what}: move_from '{path}' is not an IAM path: / or /name/ (up to {limits.PATH_MAX} "
                "characters)")
        return ""
    if path.startswith(AWS_RESERVED_PATHS):
        b.error(key.line, f"{what}: move_from '{path}' is AWS's own path: awsroles never touches what is there")
        return ""
    if path == target:
        b.error(key.line, f"{what}: move_from '{path}' is where the org file wants it already; remove the line")
        return ""
    return path


def read_replaced(b: Builder, keys: dict[str, IniKey], role: str) -> tuple[str, bool]:
    """A role's ``replaces`` or ``retires`` key: (the replaced role's path and name, whether retired)."""
    found = [keys[k] for k in ("replaces", "retires") if k in keys]
    if not found:
        return "", False
    if len(found) > 1:
        b.error(found[1].line, f"role '{role}': replaces and retires name the same hand-made role at two stages; "
                "keep one (replaces while people move to the new role, then retires)")
        return "", False
    key = found[0]
    text = key.value.strip()
    path, name = split_iam_path(text)
    if not text.startswith("/") or not name or not limits.IAM_NAME.fullmatch(name) \
            or len(name) > limits.ROLE_NAME_MAX or len(path) > limits.PATH_MAX or not limits.IAM_PATH.fullmatch(path):
        b.error(key.line, f"role '{role}': {key.name} '{text}' is not an IAM role's path and name: /Developer, "
                "/eng/Developer")
        return "", False
    if path.startswith(AWS_RESERVED_PATHS):
        b.error(key.line, f"role '{role}': {key.name} '{text}' is at AWS's own path: awsroles never touches those")
        return "", False
    if name.lower() == role.lower():
        b.error(key.line, f"role '{role}': {key.name} '{text}' has this role's own name (IAM role names are unique "
                "in an account, whatever their path or case): the new role needs another name")
        return "", False
    return text, key.name == "retires"


def read_roles(b: Builder, found: list[tuple[str, IniSection]], s: OrgSettings) -> list[Role]:
    roles: list[Role] = []
    seen: dict[str, tuple[str, int]] = {}
    replaced: dict[str, str] = {}  # a replaced role's name, lower case -> the role replacing it
    for name, section in found:
        b.unknown_keys(section, ROLE_KEYS)
        ok = b.name(section, "role", name, limits.IAM_NAME, limits.ROLE_NAME_MAX, IAM_NAME_RULE)
        ok = ok and b.unique_ignoring_case(seen, "role", name, section.line)
        if ok and name.lower() == s.bootstrap_role.lower():
            b.error(section.line, f"role name '{name}' is taken by the bootstrap_role in every environment "
                    "account (IAM role names are unique in an account, whatever their path or case)")
            ok = False
        keys = section.keys
        managed = read_managed(b, keys.get("managed"), name, s.region)
        documents = read_policies(b, keys.get("policies"), name, s.policy_dir)
        customer_managed = read_customer_managed(b, keys.get("customer_managed"), name)
        boundary = read_boundary(b, keys.get("boundary"), partition(s.region))
        if customer_managed and len(managed) + len(customer_managed) > limits.MANAGED_POLICIES_PER_ROLE:
            key = keys["customer_managed"]
            b.error(key.line, f"role '{name}' attaches {len(managed) + len(customer_managed)} managed policies "
                    f"(managed and customer_managed); IAM allows {limits.MANAGED_POLICIES_PER_ROLE} per role")
        if (not managed and not documents and not customer_managed
                and not {"managed", "policies", "customer_managed"} & set(keys)):
            b.warn(section.line, f"role '{name}' has no managed ARNs and no policies: it grants nothing")
        max_session = b.duration(keys.get("max_session"), 3600, limits.ROLE_SESSION_MIN, limits.ROLE_SESSION_MAX)
        description = b.description(keys.get("description"), limits.ROLE_DESCRIPTION_MAX)
        path = read_adopted_path(b, keys.get("path"), s.path, f"role '{name}'")
        replaces, retire = read_replaced(b, keys, name)
        if ok and replaces:
            old = split_iam_path(replaces)[1].lower()
            if split_iam_path(replaces)[0] == s.path:
                b.error((keys.get("replaces") or keys["retires"]).line,
                        f"role '{name}': {replaces} is at the org's path, where the roles are awsroles' own (a "
                        "[role] or break-glass role): only a hand-made role elsewhere can be replaced")
                replaces = ""
            elif old == s.bootstrap_role.lower():
                b.error((keys.get("replaces") or keys["retires"]).line,
                        f"role '{name}': {replaces} is the bootstrap role, how awsroles reaches the account")
                replaces = ""
            elif old in replaced:
                b.error((keys.get("replaces") or keys["retires"]).line,
                        f"role '{name}': {replaces} is replaced by role '{replaced[old]}' already")
                replaces = ""
            else:
                replaced[old] = name
        if ok:
            roles.append(Role(name, tuple(managed), tuple(documents), max_session, description, customer_managed,
                              boundary, path, replaces, retire))
    declared = {r.name.lower(): r.name for r in roles}
    for role in roles:
        old = split_iam_path(role.replaces)[1] if role.replaces else ""
        if old.lower() in declared:
            section = next(sec for n, sec in found if n == role.name)
            key = section.keys.get("replaces") or section.keys["retires"]
            b.error(key.line, f"role '{role.name}': {role.replaces} is role '{declared[old.lower()]}' of the org "
                    "file: only a role awsroles does not declare can be replaced")
    return roles


def read_users(b: Builder, found: list[tuple[str, IniSection]], org_path: str = "/awsroles/", *,
               partition: str = "aws", ops_id: str = "") -> list[User]:
    users: list[User] = []
    seen: dict[str, tuple[str, int]] = {}
    for name, section in found:
        b.unknown_keys(section, USER_KEYS)
        ok = b.name(section, "user", name, limits.IAM_NAME, limits.USER_NAME_MAX, IAM_NAME_RULE)
        if ok and len(name) < SESSION_NAME_MIN:
            b.error(section.line, f"user name '{name}' is {len(name)} character; AWS needs at least "
                    f"{SESSION_NAME_MIN} for the session name and source identity of every role session, so "
                    f"'{name}' could never assume a role")
            ok = False
        ok = ok and b.unique_ignoring_case(seen, "user", name, section.line)
        keys = section.keys
        email = ""
        if "email" in keys:
            email = keys["email"].value.strip()
            if not EMAIL.fullmatch(email) or len(email) > limits.TAG_VALUE_MAX:
                b.error(keys["email"].line, f"email '{email}' is not an e-mail address")
        tags: dict[str, str] = {}
        if "tags" in keys:
            for item, line in b.items(keys["tags"], r"[,\n]"):
                tag_key, eq, value = item.partition("=")
                tag_key, value = tag_key.strip(), value.strip()
                if not eq or not tag_key:
                    b.error(line, f"tag '{item}' is not Key=Value")
                elif tag_key.lower().startswith("aws:") or tag_key in (MANAGED_BY_TAG[0], "email"):
                    b.error(line, f"tag key '{tag_key}' is reserved")
                elif len(tag_key) > limits.TAG_KEY_MAX or len(value) > limits.TAG_VALUE_MAX:
                    b.error(line, f"tag '{tag_key}' is too long (keys {limits.TAG_KEY_MAX}, values "
                            f"{limits.TAG_VALUE_MAX} characters)")
                elif (not limits.TAG_TEXT.fullmatch(tag_key) or not limits.TAG_TEXT.fullmatch(value)
                      or unicodedata.normalize("NFC", item) != item):
                    b.error(line, f"tag '{item}' has characters IAM does not accept in tags")
                elif tag_key in tags:
                    b.error(line, f"duplicate tag '{tag_key}'")
                else:
                    tags[tag_key] = value
            if len(tags) + 2 > limits.TAGS_PER_RESOURCE:
                b.error(keys["tags"].line, f"too many tags: IAM allows {limits.TAGS_PER_RESOURCE} per user, "
                        "awsroles uses 2")
        console = b.boolean(keys.get("console"), False)
        names = [read_person_name(b, keys.get(k)) for k in ("display_name", "given_name", "family_name")]
        path = read_adopted_path(b, keys.get("path"), org_path, f"user '{name}'")
        move_from = read_move_from(b, keys.get("move_from"), path or org_path, f"user '{name}'")
        boundary = read_user_boundary(b, keys.get("boundary"), partition, ops_id, f"user '{name}'")
        if ok:
            users.append(User(name, email, tuple(sorted(tags.items())), console, names[0], names[1], names[2], path,
                              move_from=move_from, boundary=boundary))
    return users


def read_teams(
    b: Builder,
    found: list[tuple[str, IniSection]],
    user_names: list[str],
    role_names: list[str],
    environments: list[str],
    org_path: str = "/awsroles/",
) -> list[Team]:
    """Teams; references are checked against every declared name (even one with an invalid name,
    which is reported once, at its own section, instead of at every reference)."""
    teams: list[Team] = []
    seen: dict[str, tuple[str, int]] = {}  # team-NAME groups: unique whatever the case (names are lower-case today)
    groups: dict[str, str] = {}  # every team's IAM group name, lower case -> team
    known_users, known_roles = set(user_names), set(role_names)  # (sets: a team of thousands of grants is linear)
    for name, section in found:
        ok = b.name(section, "team", name, NAME, limits.GROUP_NAME_MAX - len(team_group("")), LOWER_NAME_RULE)
        ok = ok and b.unique_ignoring_case(seen, "team", name, section.line)
        keys = section.keys
        members: list[str] = []
        members_seen: set[str] = set()
        if "members" in keys:
            for member, line in b.items(keys["members"]):
                if member in members_seen:
                    b.error(line, f"duplicate member '{member}' in team '{name}'")
                elif member not in known_users:
                    b.error(line, f"undefined user '{member}' in team '{name}'{did_you_mean(member, user_names)}; "
                            f"add a [user {member}] section")
                else:
                    members.append(member)
                    members_seen.add(member)
        grants: list[Grant] = []
        granted: set[Grant] = set()
        for key in keys.values():
            if key.name in TEAM_KEYS:
                continue
            if key.name not in environments:
                hint = did_you_mean(key.name, [*environments, *TEAM_KEYS])
                if hint and did_you_mean(key.name, TEAM_KEYS) == hint:  # e.g. 'member', 'Members'
                    b.error(key.line, f"unknown key '{key.name}' in [{section.name}]{hint}")
                else:
                    b.error(key.line, f"undefined environment '{key.name}' in team '{name}'{hint}")
                continue
            for role, line in b.items(key):
                grant = Grant(key.name, role)
                if grant in granted:
                    b.error(line, f"duplicate role '{role}' for {key.name} in team '{name}'")
                elif role not in known_roles:
                    b.error(line, f"undefined role '{role}' in team '{name}'{did_you_mean(role, role_names)}")
                else:
                    grants.append(grant)
                    granted.add(grant)
        if not members:
            b.warn(section.line, f"team '{name}' has no members")
        if not grants and not any(k not in TEAM_KEYS for k in keys):
            b.warn(section.line, f"team '{name}' is granted no roles")
        description = b.description(keys.get("description"), 1000)
        group = read_adopted_group(b, keys.get("group"), org_path, name)
        group_path, group_name = split_iam_path(group) if group else (org_path, team_group(name))
        move_from = read_move_from(b, keys.get("move_from"), group_path, f"team '{name}'")
        if ok and group_name.lower() in groups:
            b.error(section.line, f"team '{name}': group {group_name} is already team '{groups[group_name.lower()]}''s "
                    "(IAM group names are unique in an account, whatever their path or case)")
            ok = False
        if ok:
            groups.setdefault(group_name.lower(), name)
        if ok:
            teams.append(Team(name, tuple(members), tuple(grants), description, group, move_from))
    return teams
