"""Parse and validate the org file into an :class:`awsroles.org.model.Org`.

Every mistake is reported as a :class:`~awsroles.errors.Problem` (``FILE:LINE: message``), all
of them in one pass. Nothing in here raises on bad input except :func:`load_org`, which raises
:class:`~awsroles.errors.OrgFileError` carrying every problem.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from awsroles.errors import OrgFileError, Problem
from awsroles.iam import policies
from awsroles.org import limits
from awsroles.org.durations import format_duration, parse_duration
from awsroles.org.ini import IniKey, IniSection, read_ini
from awsroles.org.model import (
    EVERYONE_GROUP,
    MANAGED_BY_TAG,
    MFA_ENROLLMENT_ADMIN,
    MFA_ENROLLMENT_SELF,
    Account,
    Grant,
    Org,
    PolicyFile,
    Role,
    Team,
    User,
    team_group,
)

DEFAULT_FILE = "awsroles.ini"
ENV_VAR = "AWSROLES_FILE"

# Every key, with its meaning; docs/org-file.md documents the same keys (a test keeps them in step).
ORG_KEYS = {
    "name": "short name of the organisation",
    "region": "default AWS region",
    "ops_account": "the account where people have IAM users and log in",
    "billing_account": "the payer account for cost reports (default: ops_account)",
    "mfa": "required or optional",
    "mfa_max_age": "longest an MFA sign-in stays valid for assuming roles",
    "mfa_enrollment": "who enrols MFA devices: admin (the default) or self",
    "session_duration": "default length of a role session",
    "bootstrap_role": "role that awsroles assumes to manage an environment account",
    "path": "IAM path of everything awsroles creates",
    "policy_dir": "folder of policy documents, relative to the org file",
}
ACCOUNT_KEYS = {
    "id": "12-digit account id",
    "environment": "environment held by the account",
    "description": "free text",
}
ROLE_KEYS = {
    "managed": "AWS or customer managed policy ARNs to attach",
    "policies": "policy documents (files in policy_dir) to put inline",
    "max_session": "maximum session duration (1h to 12h)",
    "description": "free text, shown in IAM",
}
TEAM_KEYS = {"members": "user names", "description": "free text"}
USER_KEYS = {"email": "e-mail address", "tags": "Key=Value pairs", "console": "yes to allow console sign-in"}
SECTION_KINDS: dict[str, dict[str, str]] = {
    "org": ORG_KEYS,
    "account": ACCOUNT_KEYS,
    "role": ROLE_KEYS,
    "team": TEAM_KEYS,
    "user": USER_KEYS,
}

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DESCRIPTION = re.compile(r"[\t\n\r\x20-\x7e\xa1-\xff]*")
_BOOLEANS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}


def resolve_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> Path:
    """Where the org file is: ``--file``, then ``$AWSROLES_FILE``, then ``./awsroles.ini``."""
    environ = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR])
    return Path(DEFAULT_FILE)


def did_you_mean(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


@dataclass
class _Builder:
    file: str
    base_dir: Path
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, "warning"))

    # -- values ------------------------------------------------------------------------

    def items(self, key: IniKey, separators: str = r"[,\s]+") -> list[tuple[str, int]]:
        """A list value with the line of each item (continuation lines follow the key line)."""
        out: list[tuple[str, int]] = []
        for offset, text in enumerate(key.value.split("\n")):
            out.extend((item, key.line + offset) for item in re.split(separators, text) if item.strip())
        return [(item.strip(), line) for item, line in out]

    def duration(self, key: IniKey | None, default: int, low: int, high: int) -> int:
        if key is None:
            return default
        try:
            seconds = parse_duration(key.value)
        except ValueError as exc:
            self.error(key.line, f"{key.name}: {exc}")
            return default
        if not low <= seconds <= high:
            self.error(
                key.line,
                f"{key.name}: {format_duration(seconds)} is outside {format_duration(low)}..{format_duration(high)}",
            )
            return default
        return seconds

    def boolean(self, key: IniKey | None, default: bool) -> bool:
        if key is None:
            return default
        value = key.value.strip().lower()
        if value not in _BOOLEANS:
            self.error(key.line, f"{key.name}: expected yes or no, got {key.value.strip()!r}")
            return default
        return _BOOLEANS[value]

    def description(self, key: IniKey | None, limit: int) -> str:
        if key is None:
            return ""
        text = " ".join(key.value.split())
        if len(text) > limit:
            self.error(key.line, f"description is {len(text)} characters; IAM allows {limit}")
        elif not _DESCRIPTION.fullmatch(text):
            self.error(key.line, "description has characters IAM does not accept")
        return text

    def name(
        self, section: IniSection, kind: str, name: str, pattern: re.Pattern[str], max_len: int, rule: str
    ) -> bool:
        if not pattern.fullmatch(name):
            self.error(section.line, f"{kind} name '{name}' is not valid: {rule}")
            return False
        if len(name) > max_len:
            self.error(section.line, f"{kind} name '{name}' is {len(name)} characters; IAM allows {max_len}")
            return False
        return True

    def unique_ignoring_case(self, seen: dict[str, tuple[str, int]], kind: str, name: str, line: int) -> bool:
        """IAM names are unique whatever their case: of 'Bob' and 'bob' the second is refused."""
        first = seen.setdefault(name.lower(), (name, line))
        if first != (name, line):
            self.error(line, f"{kind} name '{name}' differs only in case from {kind} '{first[0]}' (line {first[1]}); "
                       "IAM names ignore case")
            return False
        return True

    def unknown_keys(self, section: IniSection, known: Mapping[str, str]) -> None:
        for key in section.keys.values():
            if key.name not in known:
                hint = did_you_mean(key.name, known)
                self.error(key.line, f"unknown key '{key.name}' in [{section.name}]{hint}")


# RoleSessionName and SourceIdentity (both the IAM user name when awsroles assumes a role): 2-64
# characters of [\w+=,.@-] (STS API reference, AssumeRole); user names have the same characters.
_SESSION_NAME_MIN = 2
_LOWER_NAME_RULE = "use lower-case letters, digits and '-', starting with a letter or digit"
_IAM_NAME_RULE = "use letters, digits and + = , . @ _ -"


def _split_sections(b: _Builder, sections: list[IniSection]) -> dict[str, list[tuple[str, IniSection]]]:
    by_kind: dict[str, list[tuple[str, IniSection]]] = {k: [] for k in SECTION_KINDS}
    seen: dict[tuple[str, str], int] = {}
    for section in sections:
        kind, _, name = section.name.strip().partition(" ")
        name = name.strip()
        if kind not in SECTION_KINDS:
            candidates = [f"{k} {name}".strip() for k in SECTION_KINDS]
            hint = did_you_mean(section.name.strip(), candidates) or did_you_mean(kind, SECTION_KINDS)
            b.error(section.line, f"unknown section [{section.name}]{hint}; expected one of [org], "
                    "[account NAME], [role NAME], [team NAME], [user NAME]")
            continue
        if kind == "org" and name:
            b.error(section.line, f"[org] takes no name: [{section.name}]")
            continue
        if kind != "org" and not name:
            b.error(section.line, f"[{kind}] needs a name: [{kind} NAME]")
            continue
        if (kind, name) in seen:  # e.g. [role  admin] and [role admin]
            shown = f"{kind} {name}".strip()
            b.error(section.line, f"duplicate section [{shown}] (first at line {seen[kind, name]})")
            continue
        seen[kind, name] = section.line
        by_kind[kind].append((name, section))
    return by_kind


@dataclass
class _OrgSettings:
    line: int
    name: str = ""
    region: str = "us-east-1"
    ops_account: str = ""
    billing_account: str = ""
    mfa_required: bool = True
    mfa_max_age: int = 12 * 3600
    mfa_enrollment: str = MFA_ENROLLMENT_ADMIN
    session_duration: int = 3600
    bootstrap_role: str = "OrganizationAccountAccessRole"
    path: str = "/awsroles/"
    policy_dir: Path = Path("policies")
    keys: dict[str, IniKey] = field(default_factory=dict)


def _org_settings(b: _Builder, found: list[tuple[str, IniSection]]) -> _OrgSettings:
    if not found:
        b.error(1, "missing [org] section (it names the org and its ops account)")
        return _OrgSettings(line=1, policy_dir=b.base_dir / "policies")
    section = found[0][1]
    b.unknown_keys(section, ORG_KEYS)
    keys = section.keys
    s = _OrgSettings(line=section.line, keys=keys)
    if "name" in keys and _NAME.fullmatch(keys["name"].value.strip()):
        s.name = keys["name"].value.strip()
    elif "name" in keys:
        b.error(keys["name"].line, f"name '{keys['name'].value.strip()}' is not valid: {_LOWER_NAME_RULE}")
    else:
        b.error(section.line, "[org] needs a name")
    if "region" in keys:
        s.region = keys["region"].value.strip()
        if not limits.REGION.fullmatch(s.region):
            b.error(keys["region"].line, f"region '{s.region}' is not an AWS region name (e.g. us-east-1)")
    if "ops_account" in keys:
        s.ops_account = keys["ops_account"].value.strip()
        if not s.ops_account:
            b.error(keys["ops_account"].line, "ops_account is empty: name the [account NAME] where people log in")
    else:
        b.error(section.line, "[org] needs ops_account (the account where people log in)")
    s.billing_account = keys["billing_account"].value.strip() if "billing_account" in keys else s.ops_account
    if "billing_account" in keys and not s.billing_account:
        b.error(keys["billing_account"].line, "billing_account is empty: name an [account NAME], or leave the key "
                "out to use ops_account")
    if "mfa" in keys:
        value = keys["mfa"].value.strip().lower()
        if value not in ("required", "optional"):
            b.error(keys["mfa"].line, f"mfa: expected required or optional, got {keys['mfa'].value.strip()!r}")
        s.mfa_required = value != "optional"
    if "mfa_enrollment" in keys:
        value = keys["mfa_enrollment"].value.strip().lower()
        if value in (MFA_ENROLLMENT_ADMIN, MFA_ENROLLMENT_SELF):
            s.mfa_enrollment = value
        else:
            b.error(keys["mfa_enrollment"].line, f"mfa_enrollment: expected {MFA_ENROLLMENT_ADMIN} or "
                    f"{MFA_ENROLLMENT_SELF}, got {keys['mfa_enrollment'].value.strip()!r}")
    s.mfa_max_age = b.duration(
        keys.get("mfa_max_age"), s.mfa_max_age, limits.SESSION_TOKEN_MIN, limits.SESSION_TOKEN_MAX
    )
    s.session_duration = b.duration(
        keys.get("session_duration"), s.session_duration, limits.ASSUME_ROLE_MIN, limits.ROLE_SESSION_MAX
    )
    if "bootstrap_role" in keys:
        s.bootstrap_role = keys["bootstrap_role"].value.strip()
        if not limits.IAM_NAME.fullmatch(s.bootstrap_role) or len(s.bootstrap_role) > limits.ROLE_NAME_MAX:
            b.error(keys["bootstrap_role"].line, f"bootstrap_role '{s.bootstrap_role}' is not a valid role name")
    if "path" in keys:
        s.path = keys["path"].value.strip()
        if len(s.path) > limits.PATH_MAX:
            b.error(keys["path"].line, f"path is {len(s.path)} characters; IAM allows {limits.PATH_MAX}")
        elif s.path == "/" or not limits.IAM_PATH.fullmatch(s.path):
            b.error(keys["path"].line, f"path '{s.path}' is not valid: use /name/ (not '/': awsroles must "
                    "tell what it manages from what it does not)")
        elif any(c in s.path for c in "*?$"):
            b.error(keys["path"].line, f"path '{s.path}' has '*', '?' or '$': the trust policy matches people by "
                    "this path (ArnLike aws:PrincipalArn), where those are wildcards and policy variables")
    s.policy_dir = b.base_dir / (keys["policy_dir"].value.strip() if "policy_dir" in keys else "policies")
    return s


def _accounts(b: _Builder, found: list[tuple[str, IniSection]]) -> list[Account]:
    accounts: list[Account] = []
    ids: dict[str, tuple[str, int]] = {}
    envs: dict[str, tuple[str, int]] = {}
    for name, section in found:
        b.unknown_keys(section, ACCOUNT_KEYS)
        ok = b.name(section, "account", name, _NAME, 64, _LOWER_NAME_RULE)
        keys = section.keys
        account_id = ""
        if "id" not in keys:
            b.error(section.line, f"[account {name}] needs an id (12 digits)")
        else:
            account_id = keys["id"].value.strip()
            if not limits.ACCOUNT_ID.fullmatch(account_id):
                b.error(keys["id"].line, f"account id '{account_id}' is not 12 digits")
            elif account_id in ids:
                other, line = ids[account_id]
                b.error(keys["id"].line, f"duplicate account id {account_id} (also account '{other}' at line {line})")
            else:
                ids[account_id] = (name, keys["id"].line)
        environment = None
        if "environment" in keys:
            environment = keys["environment"].value.strip()
            line = keys["environment"].line
            if not _NAME.fullmatch(environment):
                b.error(line, f"environment name '{environment}' is not valid: {_LOWER_NAME_RULE}")
                environment = None
            elif environment in TEAM_KEYS:
                b.error(line, f"'{environment}' cannot be an environment name: it is a [team] key")
                environment = None
            elif environment in envs:
                other, first = envs[environment]
                b.error(line, f"environment '{environment}' is already held by account '{other}' (line {first}); "
                        "one account per environment")
                environment = None
            else:
                envs[environment] = (name, line)
        description = b.description(keys.get("description"), 1000)
        if ok:
            accounts.append(Account(name, account_id, environment, description))
    return accounts


def _display_path(path: Path) -> str:
    """Relative to the working directory when the file is under it, else as given; normalised."""
    if path.is_absolute():
        relative = os.path.relpath(path)
        return relative if not relative.startswith("..") else os.path.normpath(path)
    return os.path.normpath(path)


class _ConstantInJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _ConstantInJson(name)


def _read_policy_file(b: _Builder, policy_dir: Path, ref: str, line: int) -> PolicyFile | None:
    path = policy_dir / ref
    shown = _display_path(path)
    stem = Path(ref).name.removesuffix(".json")
    try:
        found = path.is_file()
    except OSError:  # e.g. a name too long for the file system
        found = False
    if not found:
        b.error(line, f"policy file {shown} not found")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        b.error(line, f"policy file {shown} cannot be read: {exc}")
        return None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        b.problems.append(Problem(shown, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno}); "
                                  f"referenced from {b.file}:{line}"))
        return None
    except _ConstantInJson as exc:
        match = re.search(re.escape(str(exc)), text)
        where = text[: match.start()].count("\n") + 1 if match else 1
        b.problems.append(Problem(shown, where, f"not valid JSON: {exc} is not a JSON value; "
                                  f"referenced from {b.file}:{line}"))
        return None
    except RecursionError:
        b.problems.append(Problem(shown, 1, f"not valid JSON: nested too deeply; referenced from {b.file}:{line}"))
        return None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements or not all(isinstance(s, dict) for s in statements):
        b.problems.append(Problem(shown, 1, "not an IAM policy: expected an object with a Statement list; "
                                  f"referenced from {b.file}:{line}"))
        return None
    if not limits.IAM_NAME.fullmatch(stem) or len(stem) > limits.POLICY_NAME_MAX:
        b.error(line, f"policy file name '{stem}' cannot be an IAM policy name: {_IAM_NAME_RULE}")
        return None
    return PolicyFile(stem, ref, policies.canonical_json(document))


def _roles(b: _Builder, found: list[tuple[str, IniSection]], s: _OrgSettings) -> list[Role]:
    roles: list[Role] = []
    seen: dict[str, tuple[str, int]] = {}
    for name, section in found:
        b.unknown_keys(section, ROLE_KEYS)
        ok = b.name(section, "role", name, limits.IAM_NAME, limits.ROLE_NAME_MAX, _IAM_NAME_RULE)
        ok = ok and b.unique_ignoring_case(seen, "role", name, section.line)
        if ok and name.lower() == s.bootstrap_role.lower():
            b.error(section.line, f"role name '{name}' is taken by the bootstrap_role in every environment "
                    "account (IAM role names are unique in an account, whatever their path or case)")
            ok = False
        keys = section.keys
        managed: list[str] = []
        if "managed" in keys:
            for arn, line in b.items(keys["managed"]):
                if not limits.MANAGED_POLICY_ARN.fullmatch(arn):
                    b.error(line, f"'{arn}' is not a managed policy ARN (arn:aws:iam::aws:policy/NAME)")
                elif arn.split(":")[1] != _partition(s.region):
                    b.error(line, f"'{arn}' is in partition {arn.split(':')[1]}, the org is in {_partition(s.region)}")
                elif arn in managed:
                    b.error(line, f"duplicate managed policy {arn} in role '{name}'")
                else:
                    managed.append(arn)
            if len(managed) > limits.MANAGED_POLICIES_PER_ROLE:
                b.error(keys["managed"].line, f"role '{name}' attaches {len(managed)} managed policies; "
                        f"IAM allows {limits.MANAGED_POLICIES_PER_ROLE} per role")
        documents: list[PolicyFile] = []
        if "policies" in keys:
            for ref, line in b.items(keys["policies"]):
                document = _read_policy_file(b, s.policy_dir, ref, line)
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
            total = sum(policies.policy_size(d.document) for d in documents)
            if total > limits.ROLE_INLINE_POLICIES_MAX:
                b.error(keys["policies"].line, f"role '{name}' has {total} characters of inline policy; "
                        f"IAM allows {limits.ROLE_INLINE_POLICIES_MAX} per role")
        if not managed and not documents and "managed" not in keys and "policies" not in keys:
            b.warn(section.line, f"role '{name}' has no managed ARNs and no policies: it grants nothing")
        max_session = b.duration(keys.get("max_session"), 3600, limits.ROLE_SESSION_MIN, limits.ROLE_SESSION_MAX)
        description = b.description(keys.get("description"), limits.ROLE_DESCRIPTION_MAX)
        if ok:
            roles.append(Role(name, tuple(managed), tuple(documents), max_session, description))
    return roles


def _users(b: _Builder, found: list[tuple[str, IniSection]]) -> list[User]:
    users: list[User] = []
    seen: dict[str, tuple[str, int]] = {}
    for name, section in found:
        b.unknown_keys(section, USER_KEYS)
        ok = b.name(section, "user", name, limits.IAM_NAME, limits.USER_NAME_MAX, _IAM_NAME_RULE)
        if ok and len(name) < _SESSION_NAME_MIN:
            b.error(section.line, f"user name '{name}' is {len(name)} character; AWS needs at least "
                    f"{_SESSION_NAME_MIN} for the session name and source identity of every role session, so "
                    f"'{name}' could never assume a role")
            ok = False
        ok = ok and b.unique_ignoring_case(seen, "user", name, section.line)
        keys = section.keys
        email = ""
        if "email" in keys:
            email = keys["email"].value.strip()
            if not _EMAIL.fullmatch(email) or len(email) > limits.TAG_VALUE_MAX:
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
        if ok:
            users.append(User(name, email, tuple(sorted(tags.items())), console))
    return users


def _teams(
    b: _Builder,
    found: list[tuple[str, IniSection]],
    user_names: list[str],
    role_names: list[str],
    environments: list[str],
) -> list[Team]:
    """Teams; references are checked against every declared name (even one with an invalid name,
    which is reported once, at its own section, instead of at every reference)."""
    teams: list[Team] = []
    seen: dict[str, tuple[str, int]] = {}  # team-NAME groups: unique whatever the case (names are lower-case today)
    for name, section in found:
        ok = b.name(section, "team", name, _NAME, limits.GROUP_NAME_MAX - len(team_group("")), _LOWER_NAME_RULE)
        ok = ok and b.unique_ignoring_case(seen, "team", name, section.line)
        keys = section.keys
        members: list[str] = []
        if "members" in keys:
            for member, line in b.items(keys["members"]):
                if member in members:
                    b.error(line, f"duplicate member '{member}' in team '{name}'")
                elif member not in user_names:
                    b.error(line, f"undefined user '{member}' in team '{name}'{did_you_mean(member, user_names)}; "
                            f"add a [user {member}] section")
                else:
                    members.append(member)
        grants: list[Grant] = []
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
                if grant in grants:
                    b.error(line, f"duplicate role '{role}' for {key.name} in team '{name}'")
                elif role not in role_names:
                    b.error(line, f"undefined role '{role}' in team '{name}'{did_you_mean(role, role_names)}")
                else:
                    grants.append(grant)
        if not members:
            b.warn(section.line, f"team '{name}' has no members")
        if not grants and not any(k not in TEAM_KEYS for k in keys):
            b.warn(section.line, f"team '{name}' is granted no roles")
        description = b.description(keys.get("description"), 1000)
        if ok:
            teams.append(Team(name, tuple(members), tuple(grants), description))
    return teams


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _check_whole(b: _Builder, org: Org, lines: Callable[[str, str], int]) -> None:
    """Checks that need the whole model: document sizes, group counts, unused definitions."""
    trust = policies.policy_size(policies.trust_policy(org))
    if trust > limits.TRUST_POLICY_MAX:
        b.error(lines("org", ""), f"the trust policy is {trust} characters; IAM allows {limits.TRUST_POLICY_MAX}")
    self_service = policies.policy_size(policies.self_service_policy(org))
    if self_service > limits.MANAGED_POLICY_MAX:
        b.error(lines("org", ""), f"the self-service policy is {self_service} characters; "
                f"IAM allows {limits.MANAGED_POLICY_MAX}")
    for team in org.teams:
        size = policies.policy_size(policies.team_policy(org, team))
        if size > limits.GROUP_INLINE_POLICIES_MAX:
            b.error(lines("team", team.name), f"team '{team.name}' policy is {size} characters; IAM allows "
                    f"{limits.GROUP_INLINE_POLICIES_MAX} of inline policy per group (split the team)")
    for user in org.users:
        teams = org.teams_of(user.name)
        if not teams:
            b.warn(lines("user", user.name), f"user '{user.name}' is in no team")
        elif len(teams) + 1 > limits.GROUPS_PER_USER:
            b.error(lines("user", user.name), f"user '{user.name}' is in {len(teams)} teams; IAM allows "
                    f"{limits.GROUPS_PER_USER} groups per user and awsroles uses one ({EVERYONE_GROUP})")
    granted = {g.role for t in org.teams for g in t.grants}
    for role in org.roles:
        if role.name not in granted:
            b.warn(lines("role", role.name), f"role '{role.name}' is granted to no team, so it is created nowhere")
        elif org.session_duration > role.max_session:
            b.warn(lines("role", role.name), f"role '{role.name}' max_session {format_duration(role.max_session)} "
                   f"is shorter than the org session_duration {format_duration(org.session_duration)}; "
                   "sessions will be shortened")


def _one_line(problem: Problem) -> Problem:
    """The problem with line breaks (from multi-line values, odd names) escaped: one problem, one line."""
    def escape(text: str) -> str:
        return "".join(repr(c)[1:-1] if c.splitlines() != [c] else c for c in text)

    message, file = escape(problem.message), escape(problem.file)
    if (message, file) == (problem.message, problem.file):
        return problem
    return Problem(file, problem.line, message, problem.severity)


def parse_org(text: str, file: str, base_dir: Path | None = None) -> tuple[Org | None, list[Problem]]:
    """Parse and validate org-file text. Returns the model (None if there are errors) and every problem."""
    b = _Builder(file, base_dir if base_dir is not None else Path(file).parent)
    document = read_ini(text, file)
    b.problems.extend(document.problems)
    if document.problems and not document.sections:  # no [section] header: nothing else can be read
        return None, sorted({_one_line(p) for p in b.problems}, key=lambda p: (p.line, p.message))
    by_kind = _split_sections(b, document.sections)
    for _, extra in by_kind["org"][1:]:
        b.error(extra.line, "duplicate section [org]")
    s = _org_settings(b, by_kind["org"])
    accounts = _accounts(b, by_kind["account"])
    account_names = [a.name for a in accounts]
    for key in ("ops_account", "billing_account"):
        value = getattr(s, key)
        if value and value not in account_names:
            line = s.keys[key].line if key in s.keys else s.line
            b.error(line, f"{key}: undefined account '{value}'{did_you_mean(value, account_names)}")
    roles = _roles(b, by_kind["role"], s)
    users = _users(b, by_kind["user"])
    environments = [a.environment for a in accounts if a.environment]
    teams = _teams(b, by_kind["team"], [n for n, _ in by_kind["user"]], [n for n, _ in by_kind["role"]],
                   environments)
    if not any(p.is_error for p in b.problems):
        org = Org(
            name=s.name,
            region=s.region,
            ops_account=s.ops_account,
            billing_account=s.billing_account,
            mfa_required=s.mfa_required,
            mfa_max_age=s.mfa_max_age,
            mfa_enrollment=s.mfa_enrollment,
            session_duration=s.session_duration,
            bootstrap_role=s.bootstrap_role,
            path=s.path,
            accounts=tuple(accounts),
            roles=tuple(roles),
            teams=tuple(teams),
            users=tuple(users),
            source=Path(file),
        )
        section_lines = {(k, n): sec.line for k, found in by_kind.items() for n, sec in found}

        def lines(kind: str, name: str) -> int:
            return section_lines.get((kind, name), 1)

        _check_whole(b, org, lines)
    problems = sorted({_one_line(p) for p in b.problems}, key=lambda p: (p.file != file, p.file, p.line, p.message))
    if any(p.is_error for p in problems):
        return None, problems
    return org, problems


def check_org(path: Path) -> tuple[Org | None, list[Problem]]:
    """Read and validate the org file at ``path``; never raises on bad content."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem(shown, 0, "no such file (use --file or $AWSROLES_FILE)")]
    except IsADirectoryError:
        return None, [Problem(shown, 0, "is a directory, not an org file")]
    except OSError as exc:
        return None, [Problem(shown, 0, f"cannot read: {exc.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as open() reads text
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [Problem(shown, line, "contains a NUL byte: not a text file")]
    return parse_org(text, shown, path.parent)


def load_org(path: Path) -> Org:
    """The validated org; raises OrgFileError with every problem when it has errors."""
    org, problems = check_org(path)
    if org is None:
        raise OrgFileError(problems)
    return org
