"""Which accounts an import reads: ``--account NAME=ID[:ENV]`` options, AWS Organizations (account
tags), or the ``[account]`` sections of an org file (``--from``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from awsroles.accounts.state import LiveOrganization, NoOrganization, read_organization
from awsroles.errors import UsageError
from awsroles.errors import aws_error_code as _error_code
from awsroles.importer.settings import DEFAULT_ENVIRONMENT_TAG
from awsroles.org import limits
from awsroles.org.builder import NAME
from awsroles.org.entries import Account
from awsroles.org.keys import TEAM_KEYS
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG
from awsroles.org.model import Org

if TYPE_CHECKING:
    from awsroles.aws import Aws


@dataclass(frozen=True)
class Accounts:
    """The accounts of the org to write, ops first (or in the order of the ``--from`` file)."""

    accounts: tuple[Account, ...]
    ops: str  # account name
    billing: str  # account name
    source: str  # for the header comment: "--account options", "AWS Organizations", a file name
    notes: tuple[str, ...] = ()
    # From AWS Organizations only: the organization as read (accounts, OUs, their marks) ...
    organization: LiveOrganization | None = None
    # ... and the accounts whose environment is their name, for want of an environment tag: accounts
    # awsroles marked; each keeps it only if IAM in it holds roles at the path (see ``without_environment``).
    guessed: frozenset[str] = frozenset()

    def without_environment(self, names: set[str]) -> Accounts:
        """These accounts hold no environment after all (a guess IAM did not bear out)."""
        return replace(self, accounts=tuple(replace(a, environment=None) if a.name in names else a
                                            for a in self.accounts), guessed=self.guessed - names)

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
    if not NAME.fullmatch(environment) or len(environment) > 64:
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
    if not NAME.fullmatch(name) or len(name) > 64:
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


def marked_org(tags: dict[str, str] | Any) -> str | None:
    """The org an Organizations resource was made (or adopted) for by awsroles: its ``awsroles-org``
    tag when it also carries ``managed-by = awsroles``; else None."""
    if tags.get(MANAGED_BY_TAG[0]) != MANAGED_BY_TAG[1]:
        return None
    value = tags.get(ORG_TAG)
    return str(value) if value else None


def accounts_from_organizations(aws: Aws, caller: str, *,
                                environment_tag: str = DEFAULT_ENVIRONMENT_TAG,
                                org_name: str | None = None) -> Accounts:
    """Accounts from AWS Organizations: every active account tagged ``environment_tag`` holds that
    environment, and so does (named after itself) every account awsroles marked for ``org_name``
    (any org when None) that has no such tag; the caller's account is ops; the management account
    is the billing account. The organization as read (OUs, parents, marks) goes along.

    Names are the slugged Organizations account names (else the environment, else
    ``account-<id>``). Needs ``organizations:ListAccounts``, ``ListRoots``, ``ListAccountsForParent``,
    ``ListOrganizationalUnitsForParent`` and ``ListTagsForResource``, which usually only the
    management account (or a delegated administrator) has.
    """
    from botocore.exceptions import ClientError

    organizations = aws.client("organizations")
    hint = ("pass the accounts with --account NAME=ID[:ENVIRONMENT] (repeatable), or write [org] and "
            "[account] sections by hand and use --from FILE")
    try:
        management = str(organizations.describe_organization()["Organization"]["MasterAccountId"])
        organization = read_organization(organizations, f"account {caller}")
    except NoOrganization as exc:
        raise UsageError(f"account {caller} is not in an AWS Organization, so accounts cannot be listed "
                         f"from it; {hint}") from exc
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
    marked: list[str] = []  # ids of accounts awsroles marked, without an environment tag
    listed = [{"Id": a.id, "Name": a.name, "Status": a.status} for a in organization.accounts.values()]
    tags = {a.id: dict(a.tags) for a in organization.accounts.values()}
    for account in sorted(listed, key=lambda a: (str(a.get("Name", "")), a["Id"])):
        account_id = account["Id"]
        status = str(account.get("Status", "ACTIVE"))
        value = next((v for k, v in tags[account_id].items() if k.lower() == environment_tag.lower()), None)
        mark = marked_org(tags[account_id])
        if value is None and mark is not None and (org_name is None or mark == org_name):
            marked.append(account_id)
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
        if environment or account_id in (caller, management) or account_id in marked:
            chosen.append((account, environment))
        else:
            left_out.append(f"{account.get('Name', '')} ({account_id})")
    if left_out:
        notes.append(f"{len(left_out)} account(s) without an {environment_tag} tag were left out: "
                     + ", ".join(left_out))
    taken: set[str] = set()
    accounts: list[Account] = []
    guessed: set[str] = set()
    for account, environment in chosen:
        wanted = slug(str(account.get("Name", ""))) or environment or f"account-{account['Id']}"
        name = _unique_name(wanted, account["Id"], taken)
        if environment is None and account["Id"] in marked and account["Id"] not in (caller, management) and \
                name not in environments and name not in TEAM_KEYS:
            environment = name
            environments[name] = account["Id"]
            guessed.add(name)
        accounts.append(Account(name, account["Id"], environment))
    ops = next((a for a in accounts if a.id == caller), None)
    if ops is None:
        ops = Account(_unique_name("ops", caller, taken), caller)
        notes.append(f"your account {caller} is not in the Organization's account list; added as '{ops.name}'")
        accounts.append(ops)
    billing = next((a for a in accounts if a.id == management), ops)
    rest = sorted((a for a in accounts if a is not ops), key=lambda a: a.name)
    return Accounts((ops, *rest), ops.name, billing.name, "AWS Organizations", tuple(notes), organization,
                    frozenset(guessed))
