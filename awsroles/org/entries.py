"""The entries of the org file as immutable values: accounts, roles, teams, people, grants,
requests, break-glass roles and budgets. :class:`awsroles.org.model.Org` holds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from awsroles.org.guardrails import Guardrail


@dataclass(frozen=True)
class Contact:
    """An alternate contact of an account (AWS Account Management ``PutAlternateContact``)."""

    type: str  # BILLING, OPERATIONS or SECURITY
    name: str
    title: str
    email: str
    phone: str


@dataclass(frozen=True)
class Account:
    """An AWS account. ``environment`` is set for accounts that hold assumable roles."""

    name: str
    id: str  # "" until apply has created (or found) the account: see ``pending``
    environment: str | None = None
    description: str = ""
    email: str = ""  # the root user's address: for creating the account, and finding it
    ou: str = ""  # organizational unit path (``Workloads/Prod``); "" leaves the account where it is
    tags: tuple[tuple[str, str], ...] = ()  # its own ``tags`` (Key, Value), over [org] tags: see account_tags
    contacts: tuple[Contact, ...] = ()  # its own alternate contacts, over [org]'s: see account_contacts
    approvers: tuple[str, ...] = ()  # who may approve requests for its environment (over [org] approvers)

    @property
    def pending(self) -> bool:
        """Declared without an id: ``apply`` creates it in the organization (or finds it there)."""
        return not self.id


@dataclass(frozen=True)
class PolicyFile:
    """An inline policy document read from the policy directory (canonical JSON text)."""

    name: str  # the inline policy name in IAM: the file name without ``.json``
    source: str  # path as written in the org file, for messages
    document: str  # canonical JSON, see awsroles.org.jsondoc.canonical_json


@dataclass(frozen=True)
class ScpTarget:
    """Where service control policies attach: the root (``[org]``), an OU (``[ou PATH]``) or an
    account (``[account NAME]``), with the guardrails and SCP files the org file gives it."""

    kind: str  # SCP_ROOT | SCP_OU | SCP_ACCOUNT
    name: str  # "" for the root, the OU path, the account name
    guardrails: tuple[Guardrail, ...] = ()
    scp_files: tuple[PolicyFile, ...] = ()

    @property
    def label(self) -> str:
        """``the root``, ``OU Workloads/Prod``, ``account dev``."""
        return "the root" if self.kind == SCP_ROOT else f"{'OU' if self.kind == SCP_OU else 'account'} {self.name}"

    @property
    def key(self) -> str:
        """``root``, ``ou-Workloads/Prod``, ``account-dev``: the part of its guardrails SCP's name."""
        return "root" if self.kind == SCP_ROOT else f"{self.kind}-{self.name}"


SCP_ROOT, SCP_OU, SCP_ACCOUNT = "root", "ou", "account"


@dataclass(frozen=True)
class Role:
    """A role definition; created in every environment where some team is granted it."""

    name: str
    managed: tuple[str, ...] = ()
    policies: tuple[PolicyFile, ...] = ()
    max_session: int = 3600
    description: str = ""
    customer_managed: tuple[str, ...] = ()  # customer managed policies by path and name: ``/team/deny-iam``
    boundary: str = ""  # permissions boundary: a managed policy ARN, or a customer managed ``/path/name``
    path: str = ""  # adopted in place at this IAM path ("": the org's path); see Org.role_path
    replaces: str = ""  # a hand-made role, ``/Developer`` (path and name), this role takes over from
    retire: bool = False  # ``retires`` instead of ``replaces``: the replaced role is deleted, no longer granted


@dataclass(frozen=True, order=True)
class Grant:
    """A team may assume ``role`` in ``environment``."""

    environment: str
    role: str


@dataclass(frozen=True)
class TemporaryGrant:
    """A ``[temporary ID]`` section: a team (or one person) may assume ``role`` in ``environment``
    from ``start`` (None: at once) until ``until``, both timezone-aware UTC."""

    id: str
    environment: str
    role: str
    until: datetime
    reason: str
    team: str = ""  # exactly one of team and user
    user: str = ""
    start: datetime | None = None  # the ``from`` key
    granted_by: str = ""

    def active(self, now: datetime) -> bool:
        """Not expired at ``now`` (a grant yet to start is active: IAM holds it, bounded in time)."""
        return now < self.until

    @property
    def holder(self) -> str:
        """``team backend`` or ``user alice``."""
        return f"team {self.team}" if self.team else f"user {self.user}"


REQUEST_PENDING = "pending"
REQUEST_APPROVED = "approved"
REQUEST_DENIED = "denied"
REQUEST_EXPIRED = "expired"  # pending for longer than [org] request_expiry: no longer approvable
REQUEST_DECISIONS = (REQUEST_APPROVED, REQUEST_DENIED)  # what a ``status`` key may say


@dataclass(frozen=True)
class AccessRequest:
    """A ``[request ID]`` section: ``user`` asks for ``role`` in ``environment`` for ``duration``
    seconds (the window starts at approval). ``status`` is "" while pending, else a decision."""

    id: str
    user: str
    environment: str
    role: str
    duration: int
    reason: str
    requested_at: datetime
    status: str = ""  # "", REQUEST_APPROVED or REQUEST_DENIED
    decided_by: str = ""
    decided_at: datetime | None = None
    grant: str = ""  # approved: the [temporary ID] made from it
    decision_reason: str = ""  # denied: why (``deny --reason``)

    def state(self, now: datetime, expiry: int) -> str:
        """pending, approved, denied, or expired (pending and older than ``expiry`` seconds at ``now``)."""
        if self.status:
            return self.status
        return REQUEST_EXPIRED if (now - self.requested_at).total_seconds() >= expiry else REQUEST_PENDING


@dataclass(frozen=True)
class BreakGlass:
    """A ``[break-glass ENV]`` section: a role in ``environment`` that only ``people`` may assume, with
    MFA and a reason, and an alarm on every assumption (docs/temporary-access.md#break-glass)."""

    environment: str
    people: tuple[str, ...]
    role: str = "breakglass"
    managed: tuple[str, ...] = ()
    policies: tuple[PolicyFile, ...] = ()
    alarm_email: str = ""
    max_session: int = 3600


@dataclass(frozen=True)
class Team:
    """A team: an IAM group in the ops account, with the roles it may assume."""

    name: str
    members: tuple[str, ...] = ()
    grants: tuple[Grant, ...] = ()
    description: str = ""
    group: str = ""  # adopted in place: the IAM group's path and name, ``/Developers`` ("": team-NAME at the path)
    move_from: str = ""  # the IAM path the team's group is at now; apply moves it to its path (UpdateGroup)


@dataclass(frozen=True)
class User:
    """A person: an IAM user in the ops account."""

    name: str
    email: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    console: bool = False
    display_name: str = ""  # in IAM Identity Center: see person_names
    given_name: str = ""
    family_name: str = ""
    path: str = ""  # adopted in place at this IAM path ("": the org's path); see Org.user_path
    move_from: str = ""  # the IAM path the user is at now; apply moves the user to its path (UpdateUser)
    boundary: str = ""  # permissions boundary: a managed policy ARN, or the ops account's ``[/path/]name``
    #                     ("": [org] user_boundary, if any); see Org.user_boundary_of

    def person_names(self) -> tuple[str, str, str]:
        """``(display name, given name, family name)`` as IAM Identity Center keeps them: the display
        name defaults to the user name; the given name to its first word; the family name to the rest
        (or, for a one-word name, the given name)."""
        display = self.display_name or self.name
        words = display.split()
        given = self.given_name or (words[0] if words else self.name)
        family = self.family_name or (" ".join(words[1:]) if len(words) > 1 else given)
        return display, given, family


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

