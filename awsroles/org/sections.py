"""The readers of the [org] settings and the [account] sections (the [role], [user] and [team]
sections: :mod:`awsroles.org.iam_sections`).

Each reads its sections into model objects and reports every mistake through the
:class:`~awsroles.org.builder.Builder`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from awsroles.org import limits, organizations
from awsroles.org.builder import (
    LOWER_NAME_RULE,
    NAME,
    Builder,
)
from awsroles.org.entries import Account
from awsroles.org.identity import (
    read_identity,
)
from awsroles.org.ini import IniKey, IniSection
from awsroles.org.keys import ACCOUNT_KEYS, ORG_KEYS, TEAM_KEYS
from awsroles.org.marks import MFA_ENROLLMENT_ADMIN, MFA_ENROLLMENT_SELF
from awsroles.org.model import IDENTITY_IAM_USERS

START_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s#?]*)?[#/]*")  # an access portal's start URL


@dataclass
class OrgSettings:
    line: int
    name: str = ""
    region: str = "us-east-1"
    ops_account: str = ""
    billing_account: str = ""
    management_account: str = ""
    account_email: str = ""  # pattern with {name}
    mfa_required: bool = True
    mfa_max_age: int = 12 * 3600
    mfa_enrollment: str = MFA_ENROLLMENT_ADMIN
    session_duration: int = 3600
    bootstrap_role: str = "OrganizationAccountAccessRole"
    path: str = "/awsroles/"
    policy_dir: Path = Path("policies")
    identity: tuple[str, ...] = (IDENTITY_IAM_USERS,)
    identity_center_account: str = ""
    identity_center_region: str = ""
    identity_center_start_url: str = ""
    keys: dict[str, IniKey] = field(default_factory=dict)


def read_settings(b: Builder, found: list[tuple[str, IniSection]]) -> OrgSettings:
    if not found:
        b.error(1, "missing [org] section (it names the org and its ops account)")
        return OrgSettings(line=1, policy_dir=b.base_dir / "policies")
    section = found[0][1]
    b.unknown_keys(section, ORG_KEYS)
    keys = section.keys
    s = OrgSettings(line=section.line, keys=keys)
    if "name" in keys and NAME.fullmatch(keys["name"].value.strip()):
        s.name = keys["name"].value.strip()
    elif "name" in keys:
        b.error(keys["name"].line, f"name '{keys['name'].value.strip()}' is not valid: {LOWER_NAME_RULE}")
    else:
        b.error(section.line, "[org] needs a name")
    if "region" in keys:
        s.region = keys["region"].value.strip()
        if not limits.REGION.fullmatch(s.region):
            b.error(keys["region"].line, f"region '{s.region}' is not an AWS region name (e.g. us-east-1)")
    before = len(b.problems)
    s.identity = read_identity(b, keys.get("identity"))
    identity_ok = len(b.problems) == before
    if "ops_account" in keys:
        s.ops_account = keys["ops_account"].value.strip()
        if not s.ops_account:
            b.error(keys["ops_account"].line, "ops_account is empty: name the [account NAME] where people log in")
    elif IDENTITY_IAM_USERS not in s.identity:  # nobody logs in to an ops account: the management account is it
        s.ops_account = next((keys[k].value.strip() for k in ("management_account", "billing_account")
                              if k in keys), "")
        if not s.ops_account:
            b.error(section.line, "[org] needs management_account (or billing_account): the account that holds "
                    "IAM Identity Center and the organization")
    elif identity_ok:
        b.error(section.line, "[org] needs ops_account (the account where people log in)")
    for key in ("identity_center_account", "identity_center_region", "identity_center_start_url"):
        if key in keys:
            setattr(s, key, keys[key].value.strip())
            if not getattr(s, key):
                b.error(keys[key].line, f"{key} is empty: leave the key out for the default")
    if s.identity_center_region and not limits.REGION.fullmatch(s.identity_center_region):
        b.error(keys["identity_center_region"].line, f"identity_center_region '{s.identity_center_region}' is not an "
                "AWS region name (e.g. eu-west-1)")
    if s.identity_center_start_url and not START_URL.fullmatch(s.identity_center_start_url):
        b.error(keys["identity_center_start_url"].line, f"identity_center_start_url '{s.identity_center_start_url}' "
                "is not an access portal URL (https://d-1234567890.awsapps.com/start, or your own alias's)")
    s.billing_account = keys["billing_account"].value.strip() if "billing_account" in keys else s.ops_account
    if "billing_account" in keys and not s.billing_account:
        b.error(keys["billing_account"].line, "billing_account is empty: name an [account NAME], or leave the key "
                "out to use ops_account")
    if "management_account" in keys:
        s.management_account = keys["management_account"].value.strip()
        if not s.management_account:
            b.error(keys["management_account"].line, "management_account is empty: name an [account NAME], or "
                    "leave the key out to use billing_account")
    if "account_email" in keys:
        s.account_email = keys["account_email"].value.strip()
        if s.account_email.count("{name}") != 1 or "{" in s.account_email.replace("{name}", ""):
            b.error(keys["account_email"].line, f"account_email '{s.account_email}' needs {{name}} once (and no "
                    "other braces): aws+{name}@acme.example")
            s.account_email = ""
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


def _account_email(b: Builder, section: IniSection, name: str, pattern: str) -> tuple[str, bool]:
    """The account's e-mail address (its own ``email``, else the [org] pattern), checked by
    CreateAccount's rules ("" when it breaks one, reported), and whether there is one at all."""
    keys = section.keys
    if "email" in keys:
        email, line, source = keys["email"].value.strip(), keys["email"].line, ""
    elif pattern:
        email, line, source = pattern.replace("{name}", name), section.line, " (from [org] account_email)"
    else:
        return "", False
    why = organizations.email_problem(email)
    if why is not None:
        b.error(line, f"email '{email}'{source} {why} (AWS Organizations, CreateAccount)")
        return "", True
    return email, True


def read_accounts(b: Builder, found: list[tuple[str, IniSection]], s: OrgSettings | None = None) -> list[Account]:
    accounts: list[Account] = []
    ids: dict[str, tuple[str, int]] = {}
    envs: dict[str, tuple[str, int]] = {}
    emails: dict[str, tuple[str, int]] = {}
    pattern = s.account_email if s is not None else ""
    for name, section in found:
        b.unknown_keys(section, ACCOUNT_KEYS)
        ok = b.name(section, "account", name, NAME, 64, LOWER_NAME_RULE)
        keys = section.keys
        account_id = ""
        email, has_email = _account_email(b, section, name, pattern)
        if email:
            line = keys["email"].line if "email" in keys else section.line
            owner = emails.setdefault(email.lower(), (name, line))
            if owner[0] != name:
                b.error(line, f"email '{email}' is also account '{owner[0]}''s (line {owner[1]}); every AWS account "
                        "needs its own address")
        if "id" not in keys:
            if not has_email:
                b.error(section.line, f"[account {name}] needs an id (12 digits), or an email (or [org] "
                        "account_email) so that apply can create it")
            elif (why := organizations.account_name_problem(name)) is not None:
                b.error(section.line, f"account name '{name}' {why}: apply could not create it")
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
            if not NAME.fullmatch(environment):
                b.error(line, f"environment name '{environment}' is not valid: {LOWER_NAME_RULE}")
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
        ou = ""
        if "ou" in keys:
            parts, why = organizations.parse_ou_path(keys["ou"].value)
            if why is not None:
                b.error(keys["ou"].line, f"ou '{keys['ou'].value.strip()}' {why}")
            ou = "/".join(parts)
        if ok:
            accounts.append(Account(name, account_id, environment, description, email, ou))
    return accounts


def partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"

