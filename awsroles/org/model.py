"""The org as an immutable model. Built by :mod:`awsroles.org.parse`; read by everything else.

The entries it holds are in :mod:`awsroles.org.entries`; the names awsroles gives things in AWS in
:mod:`awsroles.org.names`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from awsroles.errors import AwsrolesError
from awsroles.org.entries import (
    AccessRequest,
    Account,
    BreakGlass,
    Budget,
    BudgetAlert,
    Contact,
    Role,
    ScpTarget,
    Team,
    TemporaryGrant,
    User,
)
from awsroles.org.marks import ENVIRONMENT_TAG, MFA_ENROLLMENT_SELF, TAGS_TAG, split_iam_path, team_group

IDENTITY_IAM_USERS = "iam-users"  # [org] identity: IAM users in the ops account (the default)
IDENTITY_CENTER = "identity-center"  # [org] identity: IAM Identity Center users, groups and permission sets
IDENTITIES = (IDENTITY_IAM_USERS, IDENTITY_CENTER)


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
    temporary_grants: tuple[TemporaryGrant, ...] = ()  # [temporary ID] sections, in file order
    break_glass: tuple[BreakGlass, ...] = ()  # [break-glass ENV] sections, in file order
    requests: tuple[AccessRequest, ...] = ()  # [request ID] sections, in file order
    approvers: tuple[str, ...] = ()  # [org] approvers: who may approve requests (an environment's own win)
    request_expiry: int = 86400  # [org] request_expiry: a request unanswered this long can no longer be approved
    budget_alerts: tuple[BudgetAlert, ...] | None = None  # [org] default (None: not given)
    budget_notify: tuple[str, ...] = ()  # [org] default
    management_account: str = ""  # the Organizations management account ("": the billing account)
    ous: tuple[str, ...] = ()  # OU paths declared by [ou PATH] sections, in file order
    scp_targets: tuple[ScpTarget, ...] = ()  # those with guardrails or scp_files: root, OUs, accounts
    tags: tuple[tuple[str, str], ...] = ()  # [org] tags: of every account awsroles manages in Organizations
    contacts: tuple[Contact, ...] = ()  # [org] alternate contacts: of every account awsroles manages
    identity: tuple[str, ...] = (IDENTITY_IAM_USERS,)  # the backends people come through (both while moving)
    identity_center_account: str = ""  # the account of the Identity Center instance ("": the management account)
    identity_center_region: str = ""  # its region ("": the org's region)
    identity_center_start_url: str = ""  # where people sign in (the access portal's start URL)
    user_boundary: str = ""  # [org] user_boundary: every user's permissions boundary unless their own says another
    source: Path = field(default=Path("awsroles.ini"), compare=False)

    # -- identity backends ----------------------------------------------------------------

    @property
    def uses_iam_users(self) -> bool:
        """People are IAM users in the ops account, in IAM groups, assuming IAM roles."""
        return IDENTITY_IAM_USERS in self.identity

    @property
    def uses_identity_center(self) -> bool:
        """People are IAM Identity Center users in groups, assigned permission sets per account."""
        return IDENTITY_CENTER in self.identity

    @property
    def identity_center_home(self) -> Account:
        """The account that holds the Identity Center instance (the management account by default)."""
        return self.account(self.identity_center_account) if self.identity_center_account else self.management

    @property
    def identity_center_region_name(self) -> str:
        return self.identity_center_region or self.region

    # -- lookups -------------------------------------------------------------------------

    def account(self, name: str) -> Account:
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def role(self, name: str) -> Role:
        return self._roles_by_name[name]  # KeyError for a role the org does not have

    def team(self, name: str) -> Team:
        return self._teams_by_name[name]  # KeyError for a team the org does not have

    def user(self, name: str) -> User:
        return self._users_by_name[name]  # KeyError for a user the org does not have

    def break_glass_in(self, environment: str) -> BreakGlass | None:
        """The ``[break-glass ENV]`` of ``environment`` (None: it has none)."""
        return next((g for g in self.break_glass if g.environment == environment), None)

    def budget(self, environment: str) -> Budget | None:
        return next((b for b in self.budgets if b.environment == environment), None)

    @property
    def uses_budgets(self) -> bool:
        """Whether the org file declares budgets: a budget, or budget defaults in [org]. Budgets are read
        either way (those awsroles made are leftovers once none is declared); without any, reading them
        may be denied."""
        return bool(self.budgets or self.budget_notify or self.budget_alerts is not None)

    @property
    def uses_accounts(self) -> bool:
        """Whether awsroles manages accounts in AWS Organizations for this org: some account is to be
        created (no id) or placed in an OU, an OU is declared, something has guardrails or SCP files, or
        account tags or alternate contacts are given. A file with none of these leaves Organizations
        alone (not even read)."""
        return (any(a.pending or a.ou or a.tags or a.contacts for a in self.accounts)
                or bool(self.ous or self.scp_targets or self.tags or self.contacts))

    def account_tags(self, account: Account) -> dict[str, str]:
        """The tags awsroles sets on ``account`` in Organizations: [org] tags, then its own, then
        ``Environment`` = its environment (when it holds one)."""
        tags = dict(self.tags) | dict(account.tags)
        if account.environment:
            tags[ENVIRONMENT_TAG] = account.environment
        return tags

    def recorded_account_tags(self, account: Account) -> dict[str, str]:
        """:meth:`account_tags` and, when there are any, ``awsroles-tags`` listing their keys: what
        apply leaves on an account it owns, besides its marks."""
        tags = self.account_tags(account)
        return tags | {TAGS_TAG: " ".join(sorted(tags))} if tags else {}

    def account_contacts(self, account: Account) -> dict[str, Contact]:
        """Contact type -> the alternate contact awsroles sets on ``account``: its own over [org]'s."""
        return {c.type: c for c in self.contacts} | {c.type: c for c in account.contacts}

    @property
    def management(self) -> Account:
        """The Organizations management account: where accounts are created and OUs made."""
        return self.account(self.management_account or self.billing_account)

    @property
    def pending_accounts(self) -> tuple[Account, ...]:
        return tuple(a for a in self.accounts if a.pending)

    def as_existing(self) -> Org:
        """The org as AWS can hold it before its pending accounts exist: their environments, the
        grants to those and their budgets wait until apply has created them (IAM in an account,
        and every ARN that names it, needs its id)."""
        from dataclasses import replace

        waiting = {a.environment for a in self.accounts if a.pending and a.environment}
        if not waiting:
            return self
        accounts = tuple(replace(a, environment=None) if a.pending else a for a in self.accounts)
        teams = tuple(replace(t, grants=tuple(g for g in t.grants if g.environment not in waiting))
                      for t in self.teams)
        budgets = tuple(b for b in self.budgets if b.environment not in waiting)
        temporary = tuple(g for g in self.temporary_grants if g.environment not in waiting)
        glass = tuple(g for g in self.break_glass if g.environment not in waiting)
        return replace(self, accounts=accounts, teams=teams, budgets=budgets, temporary_grants=temporary,
                       break_glass=glass)

    @property
    def ops(self) -> Account:
        return self.account(self.ops_account)

    @property
    def billing(self) -> Account:
        return self.account(self.billing_account)

    @cached_property
    def environments(self) -> dict[str, Account]:
        """Environment name -> the account that holds it, in file order (worked out once: the org is
        frozen; callers read it, never change it)."""
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

    def require_ids(self, accounts: tuple[Account, ...] | None = None) -> None:
        """Refuse (AccountPendingError) when an account (of ``accounts``, default all) has no id yet."""
        pending = [a for a in (self.accounts if accounts is None else accounts) if a.pending]
        if pending:
            raise AccountPendingError(pending)

    def role_arn(self, environment: str, role: str) -> str:
        account = self.environment_account(environment)
        self.require_ids((account,))
        return f"arn:{self.partition}:iam::{account.id}:role{self.role_path(role)}{role}"

    # -- adopted in place: resources awsroles owns at another path than the org's ----------------

    def role_path(self, role: str) -> str:
        """The IAM path of role ``role``: the org's, or the one it was adopted at (``[role] path``)."""
        found = self._roles_by_name.get(role)
        return found.path if found is not None and found.path else self.path

    def user_path(self, user: str) -> str:
        """The IAM path of user ``user``: the org's, or the one it was adopted at (``[user] path``)."""
        found = self._users_by_name.get(user)
        return found.path if found is not None and found.path else self.path

    def user_boundary_of(self, user: str) -> str:
        """The permissions boundary of user ``user`` as the org file says it (a managed policy ARN or
        the ops account's ``[/path/]name``): its own ``boundary``, else ``[org] user_boundary``; ""
        for none."""
        found = self._users_by_name.get(user)
        return (found.boundary if found is not None and found.boundary else "") or self.user_boundary

    def team_group(self, team: str) -> tuple[str, str]:
        """(path, name) of the IAM group of team ``team``: ``team-NAME`` at the org's path, or the
        group it was adopted as (``[team] group``)."""
        found = self._teams_by_name.get(team)
        if found is not None and found.group:
            return split_iam_path(found.group)
        return self.path, team_group(team)

    def adopted_in_place(self) -> dict[str, dict[str, str]]:
        """kind (role, group, user) -> name -> path of everything adopted at another path than the org's."""
        roles = {r.name: r.path for r in self.roles if r.path and r.path != self.path}
        users = {u.name: u.path for u in self.users if u.path and u.path != self.path}
        groups = {}
        for team in self.teams:
            path, name = self.team_group(team.name)
            if team.group and path != self.path:
                groups[name] = path
        return {"role": roles, "group": groups, "user": users}

    # -- moved or replaced: hand-made resources brought to the org's path -------------------------

    def moving(self) -> dict[str, dict[str, str]]:
        """kind (group, user) -> name -> the path it is moved from (``move_from``): where apply finds
        it until it has moved it (UpdateUser/UpdateGroup ``NewPath``)."""
        users = {u.name: u.move_from for u in self.users if u.move_from}
        groups = {self.team_group(t.name)[1]: t.move_from for t in self.teams if t.move_from}
        return {"group": groups, "user": users}

    def replaced_roles(self) -> dict[str, tuple[str, str, bool]]:
        """old role name -> (its path, the role replacing it, whether it is retired) of every hand-made
        role a ``[role]`` replaces (``replaces``) or retires (``retires``)."""
        found: dict[str, tuple[str, str, bool]] = {}
        for role in self.roles:
            if role.replaces:
                path, name = split_iam_path(role.replaces)
                found[name] = (path, role.name, role.retire)
        return found

    def read_where(self) -> dict[str, dict[str, str]]:
        """kind -> name -> the other path each resource is read at: adopted in place, being moved, or
        a replaced role (see :func:`awsroles.sync.state.read_account`)."""
        where = self.adopted_in_place()
        for kind, found in self.moving().items():
            where[kind] = {**where[kind], **found}
        where["role"] = {**where["role"], **{old: path for old, (path, _new, _r) in self.replaced_roles().items()}}
        return where

    def bootstrap_role_arn(self, account: Account) -> str:
        self.require_ids((account,))
        return f"arn:{self.partition}:iam::{account.id}:role/{self.bootstrap_role}"

    def teams_of(self, user: str) -> tuple[Team, ...]:
        """The teams ``user`` is a member of, in file order."""
        return self._teams_of.get(user, ())

    @cached_property
    def _teams_of(self) -> dict[str, tuple[Team, ...]]:
        """user -> :meth:`teams_of`, for every member at once."""
        found: dict[str, list[Team]] = {}
        for team in self.teams:
            for member in dict.fromkeys(team.members):
                found.setdefault(member, []).append(team)
        return {user: tuple(teams) for user, teams in found.items()}

    # Worked out once each (the org is frozen): asked of each of thousands of users, a search through
    # the file's sections each time would make building the desired state quadratic.

    @cached_property
    def _roles_by_name(self) -> dict[str, Role]:
        return _by_name(self.roles)

    @cached_property
    def _teams_by_name(self) -> dict[str, Team]:
        return _by_name(self.teams)

    @cached_property
    def _users_by_name(self) -> dict[str, User]:
        return _by_name(self.users)

    def grants_in(self, environment: str) -> tuple[str, ...]:
        """Role names some team is granted in ``environment``, or some ``[temporary ID]`` section names
        there (expired or not: the role stays while the section does), in role definition order."""
        return self._granted.get(environment, ())

    @cached_property
    def _granted(self) -> dict[str, tuple[str, ...]]:
        """environment -> :meth:`grants_in`, for every environment at once (an org of hundreds of
        environments asks it of each)."""
        granted: dict[str, set[str]] = {}
        for environment, role in [(g.environment, g.role) for t in self.teams for g in t.grants] + [
                (g.environment, g.role) for g in self.temporary_grants]:
            granted.setdefault(environment, set()).add(role)
        return {env: tuple(r.name for r in self.roles if r.name in roles) for env, roles in granted.items()}

    def active_temporary(self, now: datetime) -> tuple[TemporaryGrant, ...]:
        """The temporary grants not expired at ``now`` (file order)."""
        return tuple(g for g in self.temporary_grants if g.active(now))

    def expired_temporary(self, now: datetime) -> tuple[TemporaryGrant, ...]:
        return tuple(g for g in self.temporary_grants if not g.active(now))

    def approvers_of(self, environment: str) -> tuple[str, ...]:
        """Who may approve requests for ``environment``: its account's ``approvers``, else [org]'s."""
        own = next((a.approvers for a in self.accounts if a.environment == environment), ())
        return own or self.approvers


_Named = TypeVar("_Named", Role, Team, User)


def _by_name(items: tuple[_Named, ...]) -> dict[str, _Named]:
    """Each item by its name: the first of a name, as a search in file order finds it."""
    found: dict[str, _Named] = {}
    for item in items:
        found.setdefault(item.name, item)
    return found


class AccountPendingError(AwsrolesError):
    """Something needs the id of an account that ``apply`` has not created yet."""

    def __init__(self, accounts: list[Account]) -> None:
        names = ", ".join(a.name for a in accounts)
        if len(accounts) == 1:
            text = f"account {names} has no id yet: `awsroles apply` creates it and writes its id into the org file"
        else:
            text = (f"accounts {names} have no id yet: `awsroles apply` creates them and writes their ids into the "
                    "org file")
        super().__init__(text)
        self.accounts = accounts

