"""Adopt an existing setup: read live IAM in the ops and environment accounts, write an org file.

For a setup made by ``awsroles apply``, by the Terraform export, or by hand along the same
conventions (everything at the org's IAM path, teams as ``team-NAME`` groups with the
``awsroles-assume-roles`` policy). The steps, each usable on its own:

1. Which accounts: :func:`accounts_from_options` (``--account NAME=ID[:ENV]``),
   :func:`accounts_from_organizations` (account tags), or :func:`accounts_from_org` (``--from``).
2. :func:`read_live`: every account through :func:`awsroles.sync.state.read_account` (one
   ``GetAccountAuthorizationDetails`` and one ``ListRoles`` per account).
3. :func:`build_import` (pure): live state -> the :class:`~awsroles.org.model.Org`, its policy files,
   the org-file text, warnings, and the plan the imported file would still have against that
   same live state (empty for a setup awsroles made).
4. :func:`write_import`: write the policy files and the org file atomically, then validate the
   written file and check that it reads back as exactly the model that was built.

:func:`collect` runs steps 1-3 against AWS. Nothing here prints.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsroles.errors import AwsrolesError, ExitCode, NetworkError, Problem, UsageError
from awsroles.errors import aws_error_code as _error_code
from awsroles.fsutil import atomic_write
from awsroles.iam import policies
from awsroles.iam.desired import DIGEST_TAG, desired_state
from awsroles.org import limits
from awsroles.org.durations import format_duration
from awsroles.org.model import (
    EVERYONE_GROUP,
    MANAGED_BY_TAG,
    MFA_ENROLLMENT_ADMIN,
    MFA_ENROLLMENT_SELF,
    SELF_SERVICE_POLICY,
    TEAM_GROUP_PREFIX,
    TEAM_POLICY_NAME,
    Account,
    Grant,
    Org,
    PolicyFile,
    Role,
    Team,
    User,
)
from awsroles.org.parse import TEAM_KEYS
from awsroles.sync.plan import Plan, PlanOptions
from awsroles.sync.planner import make_plan
from awsroles.sync.state import Document, LiveAccount, LiveRole, read_account

if TYPE_CHECKING:
    from awsroles.aws import Aws

DEFAULT_PATH = "/awsroles/"
DEFAULT_BOOTSTRAP_ROLE = "OrganizationAccountAccessRole"
DEFAULT_POLICY_DIR = "policies"
DEFAULT_ENVIRONMENT_TAG = "Environment"
DEFAULT_NAME = "imported"
DEFAULT_MFA_MAX_AGE = 12 * 3600
DEFAULT_SESSION_DURATION = 3600
# Tags awsroles writes itself: never imported as a user's `tags`.
_OWN_TAGS = frozenset({MANAGED_BY_TAG[0], DIGEST_TAG, "email"})

# The org file's own name rules (see awsroles.org.parse), repeated here to skip what it cannot hold
# with a warning instead of writing a file that does not validate.
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(/(?:.*/)?)([^/]+)")
_LIST_WIDTH = 100  # a list longer than this goes on continuation lines, one item per line


class RoleConflictError(AwsrolesError):
    """One role name with different settings in different environments: one org file cannot say that."""

    exit_code = ExitCode.USAGE

    def __init__(self, conflicts: Sequence[str]):
        self.conflicts = tuple(conflicts)
        count = len(self.conflicts)
        super().__init__(
            f"{count} role{'s are' if count > 1 else ' is'} defined differently in different environments, "
            "which one org file cannot express (a role is defined once); make them equal in IAM, or rename "
            "one, then import again:\n" + "\n".join(self.conflicts)
        )


# -- accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accounts:
    """The accounts of the org to write, ops first (or in the order of the ``--from`` file)."""

    accounts: tuple[Account, ...]
    ops: str  # account name
    billing: str  # account name
    source: str  # for the header comment: "--account options", "AWS Organizations", a file name
    notes: tuple[str, ...] = ()

    def by_name(self, name: str) -> Account:
        return next(a for a in self.accounts if a.name == name)

    @property
    def to_read(self) -> tuple[Account, ...]:
        """Ops and every environment account (what ``plan`` reads, too)."""
        return tuple(a for a in self.accounts if a.name == self.ops or a.environment)


def slug(text: str) -> str:
    """A name for the org file (``[a-z0-9-]``): ``"Prod EU (Frankfurt)"`` -> ``"prod-eu-frankfurt"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:64].rstrip("-")


def _check_environment(environment: str, what: str) -> None:
    if not _NAME.fullmatch(environment) or len(environment) > 64:
        raise UsageError(f"{what}: environment '{environment}' is not valid: use lower-case letters, digits and '-'")
    if environment in TEAM_KEYS:
        raise UsageError(f"{what}: '{environment}' cannot be an environment name (it is a [team] key)")


def parse_account_option(text: str) -> Account:
    """``NAME=ID[:ENVIRONMENT]`` -> an environment account (the environment defaults to NAME)."""
    name, eq, rest = text.partition("=")
    account_id, colon, environment = rest.partition(":")
    name, account_id, environment = name.strip(), account_id.strip(), environment.strip()
    if not eq or not name or not account_id or (colon and not environment):
        raise UsageError(f"--account {text!r}: expected NAME=ID or NAME=ID:ENVIRONMENT (e.g. prod=444444444444)")
    if not _NAME.fullmatch(name) or len(name) > 64:
        raise UsageError(f"--account {text!r}: account name '{name}' is not valid: use lower-case letters, "
                         "digits and '-'")
    if not limits.ACCOUNT_ID.fullmatch(account_id):
        raise UsageError(f"--account {text!r}: account id '{account_id}' is not 12 digits")
    environment = environment or name
    _check_environment(environment, f"--account {text!r}")
    return Account(name, account_id, environment)


def accounts_from_options(options: Sequence[str], caller: str) -> Accounts:
    """Accounts from ``--account`` options; the caller's account is the ops (and billing) account.

    The caller's account may be one of the options (ops then also holds an environment); otherwise
    it is added as ``ops``.
    """
    given = [parse_account_option(o) for o in options]
    for kind, values in (("name", [a.name for a in given]), ("id", [a.id for a in given]),
                         ("environment", [a.environment or "" for a in given])):
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise UsageError(f"--account: duplicate account {kind} {', '.join(duplicates)}")
    ops = next((a for a in given if a.id == caller), None)
    if ops is None:
        if any(a.name == "ops" for a in given):
            raise UsageError(f"--account ops=... is not the account of your credentials ({caller}), which is the "
                             "ops account; give that account another name")
        ops = Account("ops", caller)
        given.insert(0, ops)
    rest = sorted((a for a in given if a is not ops), key=lambda a: a.name)
    return Accounts((ops, *rest), ops.name, ops.name, "--account options")


def accounts_from_org(org: Org) -> Accounts:
    """The accounts of an existing org file (``--from``), in its order."""
    return Accounts(org.accounts, org.ops_account, org.billing_account, str(org.source))


def _unique_name(wanted: str, account_id: str, taken: set[str]) -> str:
    name = wanted if wanted and wanted not in taken else f"{wanted or 'account'}-{account_id}"
    taken.add(name)
    return name


def accounts_from_organizations(aws: Aws, caller: str, *,
                                environment_tag: str = DEFAULT_ENVIRONMENT_TAG) -> Accounts:
    """Accounts from AWS Organizations: every active account tagged ``environment_tag`` holds that
    environment; the caller's account is ops; the management account is the billing account.

    Names are the slugged Organizations account names (else the environment, else
    ``account-<id>``). Needs ``organizations:ListAccounts`` and ``ListTagsForResource``, which
    usually only the management account (or a delegated administrator) has.
    """
    from botocore.exceptions import ClientError

    organizations = aws.client("organizations")
    hint = ("pass the accounts with --account NAME=ID[:ENVIRONMENT] (repeatable), or write [org] and "
            "[account] sections by hand and use --from FILE")
    try:
        management = str(organizations.describe_organization()["Organization"]["MasterAccountId"])
        listed = [a for page in organizations.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
        tags: dict[str, dict[str, str]] = {}
        for account in listed:
            found: dict[str, str] = {}
            for page in organizations.get_paginator("list_tags_for_resource").paginate(ResourceId=account["Id"]):
                found.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
            tags[account["Id"]] = found
    except ClientError as exc:
        code = _error_code(exc)
        if code == "AWSOrganizationsNotInUseException":
            raise UsageError(f"account {caller} is not in an AWS Organization, so accounts cannot be listed "
                             f"from it; {hint}") from exc
        if code in ("AccessDeniedException", "AccessDenied"):
            raise UsageError(f"cannot list the accounts of the AWS Organization from account {caller} ({code}: "
                             f"only the management account or a delegated administrator can); {hint}") from exc
        raise

    notes: list[str] = []
    environments: dict[str, str] = {}  # environment -> account id
    chosen: list[tuple[dict[str, Any], str | None]] = []
    left_out: list[str] = []
    for account in sorted(listed, key=lambda a: (str(a.get("Name", "")), a["Id"])):
        account_id = account["Id"]
        status = str(account.get("Status", "ACTIVE"))
        value = next((v for k, v in tags[account_id].items() if k.lower() == environment_tag.lower()), None)
        environment = slug(value) if value else None
        if value is not None and (not environment or environment in TEAM_KEYS):
            notes.append(f"account {account_id}: {environment_tag} tag {value!r} cannot be an environment name; "
                         "it holds no environment")
            environment = None
        if status != "ACTIVE":
            if environment or account_id in (caller, management):
                notes.append(f"account {account_id} ({account.get('Name', '')}) is {status}: left out")
            continue
        if environment and environment in environments:
            raise UsageError(f"accounts {environments[environment]} and {account_id} are both tagged "
                             f"{environment_tag}={value}: one account per environment; fix the tags, or {hint}")
        if environment:
            environments[environment] = account_id
        if environment or account_id in (caller, management):
            chosen.append((account, environment))
        else:
            left_out.append(f"{account.get('Name', '')} ({account_id})")
    if left_out:
        notes.append(f"{len(left_out)} account(s) without an {environment_tag} tag were left out: "
                     + ", ".join(left_out))
    taken: set[str] = set()
    accounts: list[Account] = []
    for account, environment in chosen:
        wanted = slug(str(account.get("Name", ""))) or environment or f"account-{account['Id']}"
        accounts.append(Account(_unique_name(wanted, account["Id"], taken), account["Id"], environment))
    ops = next((a for a in accounts if a.id == caller), None)
    if ops is None:
        ops = Account(_unique_name("ops", caller, taken), caller)
        notes.append(f"your account {caller} is not in the Organization's account list; added as '{ops.name}'")
        accounts.append(ops)
    billing = next((a for a in accounts if a.id == management), ops)
    rest = sorted((a for a in accounts if a is not ops), key=lambda a: a.name)
    return Accounts((ops, *rest), ops.name, billing.name, "AWS Organizations", tuple(notes))


# -- reading ------------------------------------------------------------------------------------


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def read_live(aws: Aws, accounts: Sequence[Account], *, bootstrap_role: str, path: str, partition: str = "aws",
              max_workers: int = 8) -> dict[str, LiveAccount]:
    """Read ``accounts`` in parallel (the caller's own account directly, the others through
    ``bootstrap_role``); account name -> live state. An unreadable account fails the whole import."""
    from botocore.exceptions import BotoCoreError, ClientError

    from awsroles.errors import from_aws

    def read(account: Account) -> LiveAccount:
        try:
            session = aws.for_account(account.id, bootstrap_role, partition=partition,
                                      session_name="awsroles-import")
            return read_account(aws.client("iam", session), account, path)
        except (ClientError, BotoCoreError) as exc:
            error = from_aws(exc)
            if error is exc:  # it says what it is (AwsGaveUp names the call and the account)
                raise
            via = ""
            if not isinstance(error, NetworkError):  # else asking who we are would wait for the network again
                via = "" if aws.whoami().account == account.id else f" through role {bootstrap_role}"
            raise from_aws(exc, f"cannot read IAM in account {account.name} ({account.id}){via}") from exc

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(accounts) or 1))) as pool:
        futures = {a.name: pool.submit(read, a) for a in accounts}
        return {name: future.result() for name, future in futures.items()}


def account_alias(aws: Aws, account: Account, *, bootstrap_role: str, partition: str = "aws") -> str | None:
    """The account's IAM alias (a hint for the org name), or None when it has none or we may not ask."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = aws.for_account(account.id, bootstrap_role, partition=partition, session_name="awsroles-import")
        aliases = aws.client("iam", session).list_account_aliases().get("AccountAliases", [])
    except (ClientError, BotoCoreError):
        return None
    return str(aliases[0]) if aliases else None


# -- building (pure) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSettings:
    """The ``[org]`` settings IAM does not hold (or that the caller chose)."""

    name: str = DEFAULT_NAME
    region: str = "us-east-1"
    path: str = DEFAULT_PATH
    bootstrap_role: str = DEFAULT_BOOTSTRAP_ROLE
    policy_dir: str = DEFAULT_POLICY_DIR
    session_duration: int = DEFAULT_SESSION_DURATION
    mfa: tuple[bool, int] | None = None  # (required, max age) from --from; live trust policies win

    def check(self) -> None:
        """Raise UsageError for settings the org file would reject."""
        if not _NAME.fullmatch(self.name):
            raise UsageError(f"org name '{self.name}' is not valid: use lower-case letters, digits and '-' (--name)")
        if not limits.REGION.fullmatch(self.region):
            raise UsageError(f"region '{self.region}' is not an AWS region name (--region)")
        if self.path == "/" or not limits.IAM_PATH.fullmatch(self.path) or len(self.path) > limits.PATH_MAX:
            raise UsageError(f"path '{self.path}' is not valid: use /name/ (--path)")
        if not limits.IAM_NAME.fullmatch(self.bootstrap_role) or len(self.bootstrap_role) > limits.ROLE_NAME_MAX:
            raise UsageError(f"bootstrap role '{self.bootstrap_role}' is not a valid role name (--bootstrap-role)")
        if not self.policy_dir.strip() or _ini_unsafe(self.policy_dir):
            raise UsageError(f"policy directory {self.policy_dir!r} cannot be written in an org file (--policy-dir)")


@dataclass(frozen=True)
class Imported:
    """An imported org: the model, the org-file text, the policy files it refers to, and findings."""

    org: Org
    text: str
    policy_dir: str  # as written in [org] policy_dir, relative to the org file
    policy_files: Mapping[str, str]  # path relative to policy_dir -> canonical JSON
    accounts_read: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    plan: Plan = field(default_factory=Plan)  # what `plan` would still do against the state that was read

    def as_dict(self) -> dict[str, Any]:
        return {
            "org": self.org.name,
            "accounts": len(self.org.accounts), "environments": len(self.org.environments),
            "roles": len(self.org.roles), "teams": len(self.org.teams), "users": len(self.org.users),
            "accounts_read": list(self.accounts_read),
            "policy_files": sorted(self.policy_files),
            "warnings": list(self.warnings),
            "plan": {
                "empty": self.plan.empty,
                "changes": [_change_dict(c) for c in self.plan.changes],
                "kept": [_change_dict(c) for c in self.plan.kept],
                "conflicts": [c.as_dict() for c in self.plan.conflicts],
            },
        }


def _change_dict(change: Any) -> dict[str, Any]:
    return {"account": change.account, "action": change.action, "kind": change.kind, "name": change.name,
            "details": list(change.details)}


def _ini_unsafe(value: str) -> bool:
    """True when configparser would not read ``value`` back as written on one line."""
    return (value != value.strip() or "\n" in value or "\r" in value
            or bool(re.search(r"(?:^|\s)[;#]", value)))


def _ini_text(value: str) -> str:
    """Free text (a description) made safe for one INI line: white space collapsed, and no
    ``;``/``#`` after white space (configparser would cut the value there)."""
    text = " ".join(value.split())
    text = re.sub(r"\s+([;#])", r"\1", text)
    return text.lstrip(";#").strip()


def _canonical_key(document: Document) -> str:
    """Documents with equal keys mean the same to IAM (see policies.normalized)."""
    return json.dumps(policies.normalized(document), sort_keys=True, ensure_ascii=False)


def _condition_value(condition: Any, operator: str, key: str) -> str | None:
    if not isinstance(condition, dict):
        return None
    pairs = next((v for k, v in condition.items() if k == operator), None)
    if not isinstance(pairs, dict):
        return None
    value = next((v for k, v in pairs.items() if str(k).lower() == key.lower()), None)
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return None if value is None else str(value)


def _statements(document: Document) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements if isinstance(s, dict)] if isinstance(statements, list) else []


def _allows_assume_role(statement: Mapping[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    return statement.get("Effect") == "Allow" and "sts:assumerole" in {str(a).lower() for a in actions}


def _mfa_of(document: Document) -> tuple[bool, int | None] | None:
    """(MFA required, max age) from the statements of a trust or team policy that allow
    sts:AssumeRole (the strictest, if they differ); None if there are none."""
    found: set[tuple[bool, int | None]] = set()
    for statement in _statements(document):
        if not _allows_assume_role(statement):
            continue
        condition = statement.get("Condition")
        present = _condition_value(condition, "Bool", "aws:MultiFactorAuthPresent")
        age = _condition_value(condition, "NumericLessThan", "aws:MultiFactorAuthAge")
        required = (present or "").lower() == "true"
        found.add((required, int(age) if required and age and age.isdigit() else None))
    return min(found, key=_strictness) if found else None


def _strictness(observed: tuple[bool, int | None]) -> tuple[int, int]:
    required, age = observed
    return (0 if required else 1, age if age is not None else limits.SESSION_TOKEN_MAX + 1)


def _spell_mfa(required: bool, age: int | None) -> str:
    if not required:
        return "mfa optional"
    return f"mfa required, max age {format_duration(age)}" if age else "mfa required, no max age"


def _infer_mfa(observations: Mapping[tuple[bool, int | None], list[str]], ops: LiveAccount | None,
               settings: OrgSettings, warnings: list[str]) -> tuple[bool, int]:
    """The org's mfa and mfa_max_age: from the live trust and team policies (the strictest, when
    they disagree); else the self-service policy; else the --from file; else required, 12h."""
    fallback_age = settings.mfa[1] if settings.mfa else DEFAULT_MFA_MAX_AGE
    if not observations:
        if settings.mfa is not None:
            return settings.mfa
        self_service = ops.policies.get(SELF_SERVICE_POLICY) if ops else None
        if self_service is not None:
            denies = any(s.get("Sid") == "DenyAllExceptListedIfNoMFA" for s in _statements(self_service.document))
            return denies, DEFAULT_MFA_MAX_AGE
        return True, DEFAULT_MFA_MAX_AGE
    ordered = sorted(observations.items(), key=lambda item: _strictness(item[0]))
    (required, age), _ = ordered[0]
    if len(ordered) > 1:
        seen = "; ".join(f"{_spell_mfa(*o)}: {', '.join(sorted(where))}" for o, where in ordered)
        warnings.append(f"the trust and team policies disagree on MFA ({seen}); imported the strictest "
                        f"({_spell_mfa(required, age)}): apply will make the others match")
    if not required:
        age = fallback_age  # not used by any policy; keep what the --from file says
    elif age is None:
        warnings.append(f"MFA is required without a maximum MFA age; imported mfa_max_age "
                        f"{format_duration(DEFAULT_MFA_MAX_AGE)} (apply will add it to the policies)")
        age = DEFAULT_MFA_MAX_AGE
    elif not limits.SESSION_TOKEN_MIN <= age <= limits.SESSION_TOKEN_MAX:
        clamped = min(max(age, limits.SESSION_TOKEN_MIN), limits.SESSION_TOKEN_MAX)
        warnings.append(f"the live maximum MFA age {format_duration(age)} is outside what the org file allows; "
                        f"imported {format_duration(clamped)} (apply will update the policies)")
        age = clamped
    if settings.mfa is not None and (settings.mfa[0] != required or (required and settings.mfa[1] != age)):
        warnings.append(f"the live policies say {_spell_mfa(required, age)}, the [org] section of the --from file "
                        f"says {_spell_mfa(*settings.mfa)}: imported what IAM holds")
    return required, age


@dataclass
class _RoleSeen:
    environment: str
    live: LiveRole
    inline: dict[str, Document]


def _role_settings_text(seen: _RoleSeen) -> dict[str, str]:
    out = {
        "managed": ", ".join(sorted(seen.live.managed)) or "(none)",
        "max_session": format_duration(seen.live.max_session),
        "description": repr(seen.live.description),
    }
    for name, document in seen.inline.items():
        out[f"inline policy {name}"] = _canonical_key(document)
    return out


def _role_conflict(name: str, seen: list[_RoleSeen]) -> str | None:
    per_env = {s.environment: _role_settings_text(s) for s in seen}
    keys = sorted({k for values in per_env.values() for k in values})
    lines = []
    for key in keys:
        groups: dict[str, list[str]] = {}
        for environment, values in per_env.items():
            groups.setdefault(values.get(key, "(missing)"), []).append(environment)
        if len(groups) < 2:
            continue
        if key.startswith("inline policy"):  # documents are too long to show: number them
            number = iter(range(1, len(groups) + 1))
            variants = [f"{'missing' if v == '(missing)' else f'document {next(number)}'} in {', '.join(envs)}"
                        for v, envs in groups.items()]
            lines.append(f"    {key}: " + "; ".join(variants))
        else:
            lines.append(f"    {key}: " + "; ".join(f"{v} in {', '.join(envs)}" for v, envs in groups.items()))
    if not lines:
        return None
    return f"  role '{name}':\n" + "\n".join(lines)


def _policy_dir_name(role: str) -> str:
    return role.replace(".", "%2E") if role in (".", "..") else role


class _Build:
    """The state of one import while it is built: findings accumulate in ``warnings``."""

    def __init__(self, accounts: Accounts, live: Mapping[str, LiveAccount], settings: OrgSettings,
                 previous: Org | None):
        self.accounts, self.live, self.settings, self.previous = accounts, live, settings, previous
        self.warnings: list[str] = list(accounts.notes)
        self.ops = live.get(accounts.ops)
        self.mfa_seen: dict[tuple[bool, int | None], list[str]] = {}
        self.seen: dict[str, list[_RoleSeen]] = {}  # role name -> every environment that holds it
        self.policy_files: dict[str, str] = {}

    def observe_mfa(self, document: Document, where: str) -> None:
        observed = _mfa_of(document)
        if observed is not None:
            self.mfa_seen.setdefault(observed, []).append(where)

    # roles ---------------------------------------------------------------------------------

    def read_roles(self) -> None:
        """Every role at the path in every environment account; one definition per name, or an error."""
        for account in self.accounts.accounts:
            state = self.live.get(account.name)
            if state is None:
                continue
            if not account.environment:
                self.warnings.extend(
                    f"role {name} in {account.name} ({account.id}) is at {self.settings.path} but the account holds "
                    "no environment: not imported" + (" (`plan --prune` would delete it)" if state.roles[name].owned
                                                      else "") for name in sorted(state.roles))
                continue
            for name in sorted(state.roles):
                if "," in name:
                    self.warnings.append(f"role {name} in {account.name}: a name with ',' cannot be written in an org "
                                         "file; skipped")
                    continue
                role = state.roles[name]
                inline: dict[str, Document] = {}
                for policy_name, document in sorted(role.inline.items()):
                    if "," in policy_name or not _statements(document):
                        self.warnings.append(f"role {name} in {account.name}: inline policy {policy_name} cannot be "
                                             "written as a policy file; skipped (apply would remove it)")
                    else:
                        inline[policy_name] = document
                self.observe_mfa(role.trust_policy, f"role {name} in {account.environment}")
                self.seen.setdefault(name, []).append(_RoleSeen(account.environment, role, inline))
        conflicts = [c for name in sorted(self.seen) if (c := _role_conflict(name, self.seen[name])) is not None]
        if conflicts:
            raise RoleConflictError(conflicts)

    def roles(self) -> list[Role]:
        """Role definitions; inline policies become ``<name>.json``, or ``<role>/<name>.json`` when
        roles hold different documents under one name (the file stem stays the IAM policy name)."""
        variants: dict[str, set[str]] = {}
        for instances in self.seen.values():
            for policy_name, document in instances[0].inline.items():
                variants.setdefault(policy_name, set()).add(_canonical_key(document))
        roles: list[Role] = []
        for name in sorted(self.seen):
            first = self.seen[name][0]
            files = []
            for policy_name, document in sorted(first.inline.items()):
                ref = (f"{policy_name}.json" if len(variants[policy_name]) == 1
                       else f"{_policy_dir_name(name)}/{policy_name}.json")
                text = policies.canonical_json(document)
                self.policy_files[ref] = text
                files.append(PolicyFile(policy_name, ref, text))
            managed = []
            for arn in sorted(first.live.managed):
                if "," in arn or not limits.MANAGED_POLICY_ARN.fullmatch(arn):
                    self.warnings.append(f"role {name}: managed policy {arn} cannot be written in an org file; "
                                         "skipped (apply would detach it)")
                else:
                    managed.append(arn)
            description = _ini_text(first.live.description)
            if description != first.live.description:
                self.warnings.append(f"role {name}: description {first.live.description!r} cannot be written as is "
                                     f"in an org file; imported as {description!r} (apply will update it)")
            roles.append(Role(name, tuple(managed), tuple(files), first.live.max_session, description))
        folded: dict[str, list[str]] = {}
        for ref in self.policy_files:
            folded.setdefault(ref.lower(), []).append(ref)
        clash = next((refs for refs in folded.values() if len(refs) > 1), None)
        if clash:
            raise AwsrolesError(f"policy files {' and '.join(sorted(clash))} differ only in case; they cannot be "
                                "written side by side on every file system")
        return roles

    def mfa_enrollment(self) -> str:
        """``self`` when the live self-service policy lets users create their own MFA device; else
        the --from file's setting; else ``admin`` (the default)."""
        self_service = self.ops.policies.get(SELF_SERVICE_POLICY) if self.ops else None
        if self_service is not None:
            for statement in _statements(self_service.document):
                actions = statement.get("Action", [])
                actions = actions if isinstance(actions, list) else [actions]
                if statement.get("Effect") == "Allow" and "iam:CreateVirtualMFADevice" in actions:
                    return MFA_ENROLLMENT_SELF
            return MFA_ENROLLMENT_ADMIN
        return self.previous.mfa_enrollment if self.previous else MFA_ENROLLMENT_ADMIN

    # users and teams -----------------------------------------------------------------------

    def users(self) -> list[User]:
        """Ops users at the path; ``console`` from the --from file (IAM does not say it cheaply)."""
        previous = {u.name: u for u in self.previous.users} if self.previous else {}
        users: list[User] = []
        for name, live_user in sorted((self.ops.users if self.ops else {}).items()):
            if "," in name:
                self.warnings.append(f"user {name}: a name with ',' cannot be written in an org file; skipped")
                continue
            email = live_user.tags.get("email", "")
            if email and (not _EMAIL.fullmatch(email) or len(email) > limits.TAG_VALUE_MAX or _ini_unsafe(email)):
                self.warnings.append(f"user {name}: email tag {email!r} is not an e-mail address the org file "
                                     "accepts; skipped (apply would remove it)")
                email = ""
            tags = []
            for key, value in sorted(live_user.tags.items()):
                if key in _OWN_TAGS or key.lower().startswith("aws:"):
                    continue
                if _tag_writable(key, value):
                    tags.append((key, value))
                else:
                    self.warnings.append(f"user {name}: tag {key}={value!r} cannot be written in an org file; "
                                         "skipped (apply would remove it)")
            before = previous.get(name)
            users.append(User(name, email, tuple(tags), before.console if before else False))
        return users

    def teams(self, users: list[User]) -> list[Team]:
        """Ops groups ``team-NAME`` at the path; grants from their ``awsroles-assume-roles`` policy."""
        previous = {t.name: t for t in self.previous.teams} if self.previous else {}
        user_names = {u.name for u in users}
        order = {a.environment: i for i, a in enumerate(self.accounts.accounts) if a.environment}
        path = self.settings.path
        teams: list[Team] = []
        for group_name, group in sorted((self.ops.groups if self.ops else {}).items()):
            if group_name == EVERYONE_GROUP:
                continue
            team = group_name.removeprefix(TEAM_GROUP_PREFIX)
            if not group_name.startswith(TEAM_GROUP_PREFIX) or not _NAME.fullmatch(team):
                self.warnings.append(f"group {group_name} in {self.accounts.ops} is at {path} but is not a team "
                                     f"group ({TEAM_GROUP_PREFIX}NAME, NAME in lower-case letters, digits and '-'): "
                                     "not imported")
                continue
            members = [m for m in group.members if m in user_names]
            self.warnings.extend(f"team '{team}': member {m} is not a user at {path}; skipped"
                                 for m in group.members if m not in user_names)
            grants: list[Grant] = []
            team_policy = group.inline.get(TEAM_POLICY_NAME)
            if team_policy is not None:
                self.observe_mfa(team_policy, f"team {team}")
                grants = self.grants(team_policy, team)
            grants.sort(key=lambda g: (order[g.environment], g.role))
            before = previous.get(team)
            teams.append(Team(team, tuple(members), tuple(grants), before.description if before else ""))
        return teams

    def grants(self, document: Document, team: str) -> list[Grant]:
        """Each allowed role ARN -> (environment, role); anything else is reported and skipped."""
        where = f"team '{team}' ({TEAM_GROUP_PREFIX}{team}, policy {TEAM_POLICY_NAME})"
        grants: list[Grant] = []
        for statement in _statements(document):
            if not _allows_assume_role(statement):
                self.warnings.append(f"{where}: statement {statement.get('Sid', '(no Sid)')} does not allow "
                                     "sts:AssumeRole; not imported")
                continue
            resources = statement.get("Resource", [])
            for arn in [resources] if isinstance(resources, str) else resources:
                grant = self.grant_of(str(arn))
                if isinstance(grant, str):
                    self.warnings.append(f"{where}: {arn} {grant}; skipped")
                elif grant not in grants:
                    grants.append(grant)
        return grants

    def grant_of(self, arn: str) -> Grant | str:
        """The grant a role ARN stands for, or why it stands for none."""
        match = _ROLE_ARN.fullmatch(arn)
        if match is None or "*" in arn or "?" in arn:
            return "is not the ARN of one role"
        partition, account_id, path, role = match.groups()
        account = next((a for a in self.accounts.accounts if a.id == account_id), None)
        if account is None:
            return f"is in account {account_id}, which is not one of the imported accounts"
        if account.environment is None:
            return f"is in account {account.name}, which holds no environment"
        if partition != _partition(self.settings.region) or path != self.settings.path:
            return f"is not at the path {self.settings.path}"
        if not any(s.environment == account.environment for s in self.seen.get(role, ())):
            return f"names no role at {self.settings.path} in {account.environment}"
        return Grant(account.environment, role)

    # all -----------------------------------------------------------------------------------

    def build(self) -> Imported:
        self.read_roles()
        roles = self.roles()
        users = self.users()
        teams = self.teams(users)
        mfa_required, mfa_max_age = _infer_mfa(self.mfa_seen, self.ops, self.settings, self.warnings)
        granted = {g for t in teams for g in t.grants}
        for name, instances in sorted(self.seen.items()):
            self.warnings.extend(
                f"role {name} in {instance.environment}: no team is granted it there, so the org file does not "
                "create it there (`plan --prune` would delete it)"
                for instance in instances if Grant(instance.environment, name) not in granted)
        if self.previous is not None:
            declared = [("role", {r.name for r in self.previous.roles}, {r.name for r in roles}),
                        ("team", {t.name for t in self.previous.teams}, {t.name for t in teams}),
                        ("user", {u.name for u in self.previous.users}, {u.name for u in users})]
            dropped = [f"{kind} {name}" for kind, old, new in declared for name in sorted(old - new)]
            if dropped:
                self.warnings.append(f"the --from file declares {', '.join(dropped)}, which IAM does not hold at "
                                     f"{self.settings.path}: left out")
        s, accounts = self.settings, self.accounts
        org = Org(
            name=s.name, region=s.region, ops_account=accounts.ops, billing_account=accounts.billing,
            mfa_required=mfa_required, mfa_max_age=mfa_max_age, session_duration=s.session_duration,
            bootstrap_role=s.bootstrap_role, path=s.path, mfa_enrollment=self.mfa_enrollment(),
            accounts=tuple(replace(a, description=_ini_text(a.description)) for a in accounts.accounts),
            roles=tuple(roles), teams=tuple(teams), users=tuple(users),
        )
        read = {a.name: self.live[a.name] for a in accounts.to_read if a.name in self.live}
        # What an import declares becomes awsroles' with `apply --adopt`: plan as that will.
        plan = make_plan(org, desired_state(org), read, options=PlanOptions(adopt=True))
        header = _header(accounts, [org.account(n) for n in read], s, self.previous is not None)
        text = render_org_file(org, s.policy_dir, header)
        return Imported(org, text, s.policy_dir, dict(self.policy_files), tuple(read), tuple(self.warnings), plan)


def _tag_writable(key: str, value: str) -> bool:
    """A user tag the org file's ``tags = Key=Value, ...`` can hold exactly."""
    pair = f"{key}={value}"
    return (bool(key) and "=" not in key and bool(limits.TAG_TEXT.fullmatch(key))
            and bool(limits.TAG_TEXT.fullmatch(value)) and key == key.strip() and value == value.strip()
            and "\n" not in pair and unicodedata.normalize("NFC", pair) == pair)


def build_import(accounts: Accounts, live: Mapping[str, LiveAccount], settings: OrgSettings, *,
                 previous: Org | None = None) -> Imported:
    """Pure: the live state of ``accounts.to_read`` -> the org file. Raises RoleConflictError.

    ``previous`` (the ``--from`` org) supplies what IAM does not hold: team descriptions and
    who signs in to the console.
    """
    settings.check()
    return _Build(accounts, live, settings, previous).build()


def _header(accounts: Accounts, read: Sequence[Account], settings: OrgSettings, from_file: bool) -> list[str]:
    where = ", ".join(f"{a.name} ({a.id})" for a in read)
    text = (f"Written by `awsroles import` from the live IAM at path {settings.path} of the accounts "
            f"{where} (accounts from {accounts.source}).")
    if from_file:
        text += " Team descriptions and console settings come from that file, since IAM does not hold them."
    else:
        text += (" IAM holds no team descriptions and does not say who signs in to the console "
                 "(console = yes): add them here.")
    text += " Check with `awsroles validate` and `awsroles plan`."
    return textwrap.wrap(text, width=_LIST_WIDTH - 2, break_long_words=False, break_on_hyphens=False)


def _list(key: str, items: Sequence[str]) -> str:
    line = f"{key} = {', '.join(items)}"
    if len(line) <= _LIST_WIDTH or len(items) < 2:
        return line
    return f"{key} =\n" + "\n".join(f"    {item}" for item in items)


def render_org_file(org: Org, policy_dir: str, header: Sequence[str] = ()) -> str:
    """Pure: the model -> org-file text (sections: org, accounts, roles, teams, users)."""
    out: list[str] = [f"; {line}".rstrip() for line in header]
    if out:
        out.append("")
    out += [
        "[org]",
        f"name = {org.name}",
        f"region = {org.region}",
        f"ops_account = {org.ops_account}",
        f"billing_account = {org.billing_account}",
        f"mfa = {'required' if org.mfa_required else 'optional'}",
        f"mfa_max_age = {format_duration(org.mfa_max_age)}",
        f"mfa_enrollment = {org.mfa_enrollment}",
        f"session_duration = {format_duration(org.session_duration)}",
        f"bootstrap_role = {org.bootstrap_role}",
        f"path = {org.path}",
        f"policy_dir = {policy_dir}",
    ]
    for account in org.accounts:
        out += ["", f"[account {account.name}]", f"id = {account.id}"]
        if account.environment:
            out.append(f"environment = {account.environment}")
        if account.description:
            out.append(f"description = {account.description}")
    for role in org.roles:
        out += ["", f"[role {role.name}]"]
        if role.managed:
            out.append(_list("managed", role.managed))
        if role.policies:
            out.append(_list("policies", [p.source for p in role.policies]))
        out.append(f"max_session = {format_duration(role.max_session)}")
        if role.description:
            out.append(f"description = {role.description}")
    for team in org.teams:
        out += ["", f"[team {team.name}]"]
        if team.description:
            out.append(f"description = {team.description}")
        if team.members:
            out.append(_list("members", team.members))
        by_env: dict[str, list[str]] = {}
        for grant in team.grants:
            by_env.setdefault(grant.environment, []).append(grant.role)
        out += [_list(environment, roles) for environment, roles in by_env.items()]
    for user in org.users:
        out += ["", f"[user {user.name}]"]
        if user.email:
            out.append(f"email = {user.email}")
        if user.tags:
            out.append(_list("tags", [f"{k}={v}" for k, v in user.tags]))
        if user.console:
            out.append("console = yes")
    return "\n".join(out) + "\n"


# -- all of it against AWS ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    """What the caller chose; None means: from ``--from``, else a default or what AWS says."""

    name: str | None = None
    region: str | None = None
    path: str | None = None
    bootstrap_role: str | None = None
    policy_dir: str | None = None
    environment_tag: str = DEFAULT_ENVIRONMENT_TAG
    accounts: tuple[str, ...] = ()  # NAME=ID[:ENVIRONMENT]
    max_workers: int = 8


def previous_policy_dir(path: Path) -> str | None:
    """The ``policy_dir`` written in an org file's [org] section, as written (the model has no field for it)."""
    from awsroles.org.ini import read_ini

    document = read_ini(path.read_text(encoding="utf-8-sig"), str(path))
    section = next((s for s in document.sections if s.name.strip() == "org"), None)
    key = section.keys.get("policy_dir") if section else None
    return key.value.strip() if key else None


def collect(aws: Aws, options: ImportOptions, *, previous: Org | None = None,
            previous_dir: str | None = None) -> Imported:
    """Find the accounts, read them, and build the org file (nothing is written)."""
    caller = aws.whoami().account
    if previous is not None and options.accounts:
        raise UsageError("--from and --account both name the accounts; use one of them")
    if previous is not None:
        found = accounts_from_org(previous)
    elif options.accounts:
        found = accounts_from_options(options.accounts, caller)
    else:
        found = accounts_from_organizations(aws, caller, environment_tag=options.environment_tag)
    region = (options.region or (previous.region if previous else None) or aws.base_session.region_name
              or "us-east-1")
    bootstrap_role = options.bootstrap_role or (previous.bootstrap_role if previous else DEFAULT_BOOTSTRAP_ROLE)
    settings = OrgSettings(
        name=options.name or (previous.name if previous else DEFAULT_NAME),
        region=region,
        path=options.path or (previous.path if previous else DEFAULT_PATH),
        bootstrap_role=bootstrap_role,
        policy_dir=options.policy_dir or previous_dir or DEFAULT_POLICY_DIR,
        session_duration=previous.session_duration if previous else DEFAULT_SESSION_DURATION,
        mfa=(previous.mfa_required, previous.mfa_max_age) if previous else None,
    )
    settings.check()
    partition = _partition(region)
    live = read_live(aws, found.to_read, bootstrap_role=bootstrap_role, path=settings.path, partition=partition,
                     max_workers=options.max_workers)
    if options.name is None and previous is None:
        alias = account_alias(aws, found.by_name(found.ops), bootstrap_role=bootstrap_role, partition=partition)
        if alias and slug(alias):
            settings = replace(settings, name=slug(alias))
    return build_import(found, live, settings, previous=previous)


# -- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What :func:`write_import` did."""

    imported: Imported
    output: Path | None  # None: the text went to the caller (stdout)
    written: tuple[Path, ...]  # files created or changed
    problems: tuple[Problem, ...] = ()  # validation warnings of the written file

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.output) if self.output else "-", "written": [str(p) for p in self.written],
                "validation": [p.as_dict() for p in self.problems], **self.imported.as_dict()}


def write_import(imported: Imported, output: Path | None, *, base_dir: Path | None = None,
                 force: bool = False) -> ImportResult:
    """Write the policy files, then the org file (``output``; None: the caller prints ``imported.text``
    and the policy files go under ``base_dir``, default the working directory). Refuses, before
    writing anything, to overwrite an existing org file or a different policy file unless ``force``.
    Then validates what was written: a file that does not read back as the imported model is a bug.
    """
    from awsroles.org.parse import check_org, parse_org

    root = output.parent if output is not None else (base_dir or Path.cwd())
    policy_root = root / imported.policy_dir
    if output is not None and output.is_dir():
        raise UsageError(f"{output} is a directory; give a file name with --output-file")
    if output is not None and output.exists() and not force:
        raise UsageError(f"{output} exists; nothing was written (use --force to overwrite it, or "
                         "--output-file for another file)")
    to_write: dict[Path, str] = {}
    refused: list[str] = []
    for ref, text in sorted(imported.policy_files.items()):
        target = policy_root / ref
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        if target.exists() and (not force or not target.is_file()):
            refused.append(str(target))
            continue
        to_write[target] = text
    if refused:
        more = f" and {len(refused) - 1} more" if len(refused) > 1 else ""
        raise UsageError(f"{refused[0]}{more} exist with other content; nothing was written (use --force to "
                         "overwrite them, or --policy-dir for another folder)")
    written: list[Path] = []
    for target, text in to_write.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
        written.append(target)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, imported.text)
        written.append(output)
        org, problems = check_org(output)
    else:
        org, problems = parse_org(imported.text, "<stdout>", root)
    errors = [p for p in problems if p.is_error]
    if org is None or errors:
        raise AwsrolesError("bug: the imported org file does not validate:\n" + "\n".join(f"  {p}" for p in errors))
    if org != imported.org:
        raise AwsrolesError("bug: the imported org file does not read back as what was imported; please report "
                            f"it with the file {output or '(stdout)'}")
    return ImportResult(imported, output, tuple(written), tuple(problems))

