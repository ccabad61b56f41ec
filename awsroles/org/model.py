"""The org as an immutable model. Built by :mod:`awsroles.org.parse`; read by everything else."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path


@dataclass(frozen=True)
class Account:
    """An AWS account. ``environment`` is set for accounts that hold assumable roles."""

    name: str
    id: str
    environment: str | None = None
    description: str = ""


@dataclass(frozen=True)
class PolicyFile:
    """An inline policy document read from the policy directory (canonical JSON text)."""

    name: str  # the inline policy name in IAM: the file name without ``.json``
    source: str  # path as written in the org file, for messages
    document: str  # canonical JSON, see awsroles.org.jsondoc.canonical_json


@dataclass(frozen=True)
class Role:
    """A role definition; created in every environment where some team is granted it."""

    name: str
    managed: tuple[str, ...] = ()
    policies: tuple[PolicyFile, ...] = ()
    max_session: int = 3600
    description: str = ""


@dataclass(frozen=True, order=True)
class Grant:
    """A team may assume ``role`` in ``environment``."""

    environment: str
    role: str


@dataclass(frozen=True)
class Team:
    """A team: an IAM group in the ops account, with the roles it may assume."""

    name: str
    members: tuple[str, ...] = ()
    grants: tuple[Grant, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class User:
    """A person: an IAM user in the ops account."""

    name: str
    email: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    console: bool = False


@dataclass(frozen=True, order=True)
class BudgetAlert:
    """Alert when the month's actual spend (or, with ``forecast``, its forecast) passes ``percent``
    of the budget."""

    forecast: bool
    percent: Decimal

    def __str__(self) -> str:
        percent = format(self.percent.normalize(), "f") if self.percent else "0"
        return f"forecast {percent}%" if self.forecast else f"{percent}%"


@dataclass(frozen=True)
class Budget:
    """An environment's monthly cost budget: an AWS Budget in the billing account (see budget_name)."""

    environment: str
    amount: Decimal  # per month, in ``currency``
    currency: str = "USD"
    alerts: tuple[BudgetAlert, ...] = ()
    notify: tuple[str, ...] = ()  # e-mail addresses alerted


@dataclass(frozen=True)
class Org:
    """The whole org file, validated."""

    name: str
    region: str
    ops_account: str
    billing_account: str
    mfa_required: bool
    mfa_max_age: int
    session_duration: int
    bootstrap_role: str
    path: str
    mfa_enrollment: str = "admin"  # MFA_ENROLLMENT_ADMIN or MFA_ENROLLMENT_SELF
    accounts: tuple[Account, ...] = ()
    roles: tuple[Role, ...] = ()
    teams: tuple[Team, ...] = ()
    users: tuple[User, ...] = ()
    budgets: tuple[Budget, ...] = ()  # in file order of the accounts
    budget_alerts: tuple[BudgetAlert, ...] | None = None  # [org] default (None: not given)
    budget_notify: tuple[str, ...] = ()  # [org] default
    source: Path = field(default=Path("awsroles.ini"), compare=False)

    # -- lookups -------------------------------------------------------------------------

    def account(self, name: str) -> Account:
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    def team(self, name: str) -> Team:
        for team in self.teams:
            if team.name == name:
                return team
        raise KeyError(name)

    def user(self, name: str) -> User:
        for user in self.users:
            if user.name == name:
                return user
        raise KeyError(name)

    def budget(self, environment: str) -> Budget | None:
        return next((b for b in self.budgets if b.environment == environment), None)

    @property
    def uses_budgets(self) -> bool:
        """Whether the org file declares budgets: a budget, or budget defaults in [org]. Budgets are read
        either way (those awsroles made are leftovers once none is declared); without any, reading them
        may be denied."""
        return bool(self.budgets or self.budget_notify or self.budget_alerts is not None)

    @property
    def ops(self) -> Account:
        return self.account(self.ops_account)

    @property
    def billing(self) -> Account:
        return self.account(self.billing_account)

    @property
    def environments(self) -> dict[str, Account]:
        """Environment name -> the account that holds it, in file order."""
        return {a.environment: a for a in self.accounts if a.environment}

    def environment_account(self, environment: str) -> Account:
        return self.environments[environment]

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    @property
    def self_mfa_enrollment(self) -> bool:
        """Whether people enrol their own MFA device (else only admins do)."""
        return self.mfa_enrollment == MFA_ENROLLMENT_SELF

    # -- derived names -------------------------------------------------------------------

    def role_arn(self, environment: str, role: str) -> str:
        account = self.environment_account(environment)
        return f"arn:{self.partition}:iam::{account.id}:role{self.path}{role}"

    def bootstrap_role_arn(self, account: Account) -> str:
        return f"arn:{self.partition}:iam::{account.id}:role/{self.bootstrap_role}"

    def teams_of(self, user: str) -> tuple[Team, ...]:
        return tuple(t for t in self.teams if user in t.members)

    def grants_in(self, environment: str) -> tuple[str, ...]:
        """Role names some team is granted in ``environment``, in role definition order."""
        granted = {g.role for t in self.teams for g in t.grants if g.environment == environment}
        return tuple(r.name for r in self.roles if r.name in granted)


MFA_ENROLLMENT_ADMIN = "admin"  # only admins enrol MFA devices (the default)
MFA_ENROLLMENT_SELF = "self"  # people may enrol their own device with their access key alone
TEAM_GROUP_PREFIX = "team-"
EVERYONE_GROUP = "awsroles-users"
SELF_SERVICE_POLICY = "awsroles-self-service"
TEAM_POLICY_NAME = "awsroles-assume-roles"
MANAGED_BY_TAG = ("managed-by", "awsroles")


BUDGET_PREFIX = "awsroles-"


def team_group(team: str) -> str:
    """The IAM group name of a team."""
    return f"{TEAM_GROUP_PREFIX}{team}"


def budget_prefix(org: str) -> str:
    """Every budget awsroles makes for org ``org`` has a name that starts with this."""
    return f"{BUDGET_PREFIX}{org}-"


def budget_name(org: str, environment: str) -> str:
    """The AWS Budgets name of an environment's budget: ``awsroles-ORG-ENV``."""
    return f"{budget_prefix(org)}{environment}"
