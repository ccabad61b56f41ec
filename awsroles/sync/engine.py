"""Plan and apply an org against AWS: the glue between the org, the AWS boundary and the planner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from awsroles.aws import Aws
from awsroles.budgets.state import ACCESS_DENIED, LiveBudgets, read_budgets
from awsroles.errors import aws_error_code
from awsroles.iam.breakglass import alarm_regions, topic_arn
from awsroles.iam.desired import desired_state
from awsroles.org.entries import SCP_ACCOUNT, SCP_OU, Account
from awsroles.org.marks import BREAK_GLASS_TAG, budget_prefix, scp_prefix
from awsroles.org.model import Org
from awsroles.org.temporary import format_time
from awsroles.sync.alarm_state import LiveAlarms, read_alarms
from awsroles.sync.alarms import AlarmRunner
from awsroles.sync.apply import ApplyResult, Step, apply_plan
from awsroles.sync.plan import Plan, PlanOptions
from awsroles.sync.planner import accounts_to_read, make_plan
from awsroles.sync.state import LiveAccount, read_accounts

if TYPE_CHECKING:  # the organization's and Identity Center's modules load only for an org that uses them
    from awsroles.accounts.state import LiveOrganization
    from awsroles.identity_center.runner import IdentityCenterRunner
    from awsroles.identity_center.state import LiveIdentityCenter
    from awsroles.sync.organizations import OrganizationsRunner


class Engine:
    """One org, one set of credentials: read, plan, apply. Clients are built once per account.

    IAM and budgets are planned for the org as AWS can hold it now (:meth:`Org.as_existing`):
    accounts still to be created are planned in the management account's Organizations changes, and
    IAM in them once apply has created them and written their ids into the org file
    (:attr:`recorded`); a new engine for the file then plans the rest. ``on_read(done, total)``
    hears each account whose IAM :meth:`read` has read (a person's progress).
    """

    def __init__(self, org: Org, aws: Aws, *, max_workers: int = 8, per_account: int = 4,
                 record: Callable[[str, str], None] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 on_read: Callable[[int, int], None] | None = None):
        self.org = org
        self.clock = clock  # what "now" is for temporary grants
        self.iam_org = org.as_existing()
        self.aws = aws
        self.max_workers = max_workers
        self.per_account = per_account
        self._clients: dict[tuple[str, str, str], Any] = {}  # (service, account name, region or "") -> client
        self._client_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self.on_read = on_read
        self._record = record
        self.recorded: dict[str, str] = {}  # account name -> the id apply wrote into the org file (file order)

    def _client(self, service: str, account: Account | str, region: str | None = None) -> Any:
        account = self.org.account(account) if isinstance(account, str) else account
        if account.pending:
            raise ValueError(f"account {account.name} has no id yet: apply creates it first")
        key = (service, account.name, region or "")
        with self._lock:
            if key in self._clients:
                return self._clients[key]
            key_lock = self._client_locks.setdefault(key, threading.Lock())
        # Each account's client is made once, and accounts are reached in parallel: the AssumeRole
        # into one never waits for another's.
        with key_lock:
            with self._lock:
                if key in self._clients:
                    return self._clients[key]
            user = self.aws.whoami().user_name or "awsroles"
            session = self.aws.for_account(account.id, self.org.bootstrap_role, partition=self.org.partition,
                                           session_name=f"awsroles-{user}"[:64])
            client = self.aws.client(service, session, account=account.name, region=region)
            with self._lock:
                self._clients[key] = client
            return client

    def identity_center(self) -> tuple[Any, Any]:
        """sso-admin and identitystore clients for the org's Identity Center instance (its account, its region)."""
        home, region = self.org.identity_center_home, self.org.identity_center_region_name
        return self._client("sso-admin", home, region), self._client("identitystore", home, region)

    def identity_center_runner(self, progress: Callable[[str], None] | None = None) -> IdentityCenterRunner:
        """A runner of Identity Center calls in the org's instance (what apply and ``--end-sessions`` use)."""
        from awsroles.identity_center.runner import IdentityCenterRunner
        from awsroles.identity_center.state import find_instance
        from awsroles.sync.identity_center_base import IDENTITY_CENTER_CALLS

        sso, store = self.identity_center()
        home = self.org.identity_center_home
        found = find_instance(sso, f"account {home.name} ({home.id}) in {self.org.identity_center_region_name}")
        return IdentityCenterRunner(sso, store, found[0], found[1], IDENTITY_CENTER_CALLS, progress=progress)

    def read_identity_center(self) -> LiveIdentityCenter:
        from awsroles.identity_center.desired import desired_identity_center
        from awsroles.identity_center.state import read_identity_center

        home = self.org.identity_center_home
        sso, store = self.identity_center()
        spec = desired_identity_center(self.iam_org, self.clock())
        wanted = [p.name for p in spec.permission_sets]
        return read_identity_center(sso, store, self.org.name, wanted_sets=wanted, max_workers=self.max_workers,
                                    wanted_groups=[g.display_name for g in spec.groups],
                                    where=f"account {home.name} ({home.id}) in "
                                          f"{self.org.identity_center_region_name}")

    def iam(self, account: Account | str) -> Any:
        """An IAM client in ``account`` (the caller's own, or through the org's bootstrap role)."""
        return self._client("iam", account)

    def cloudtrail(self, account: Account | str, region: str | None = None) -> Any:
        """A CloudTrail client in ``account`` (in ``region``, else the session's), through the org's
        bootstrap role."""
        return self._client("cloudtrail", account, region)

    def budgets(self, account: Account | str | None = None) -> Any:
        """A Budgets client in the billing account (the only account whose budgets awsroles manages)."""
        if account is not None and (account if isinstance(account, str) else account.name) != self.org.billing_account:
            raise ValueError(f"budgets are managed in the billing account {self.org.billing_account}, not {account}")
        return self._client("budgets", self.org.billing)

    def organizations(self, account: Account | str | None = None) -> Any:
        """An Organizations client in the management account (where accounts and OUs are managed)."""
        if account is not None and (account if isinstance(account, str) else account.name) != self.org.management.name:
            raise ValueError(f"accounts are managed in the management account {self.org.management.name}, "
                             f"not {account}")
        return self._client("organizations", self.org.management)

    def read(self) -> dict[str, LiveAccount]:
        """IAM in the ops and environment accounts that exist; the billing account's budgets named
        like the org's (``LiveAccount.budgets``): always, so that budgets awsroles made are leftovers
        once the file no longer declares any (an org file without budgets needs no Budgets
        permission: access denied there is noted, ``LiveBudgets.unread``, not an error); and, when
        the file declares accounts to create or OUs, the organization, from the management account
        (``LiveAccount.organization``)."""
        org = self.iam_org
        live = read_accounts(accounts_to_read(org), self.iam, org.path, max_workers=self.max_workers,
                             adopted=org.read_where(), on_read=self.on_read)
        live = self.read_alarms(live)
        billing = org.billing
        if not billing.pending:  # a billing account apply has yet to create has no budgets
            prefix = budget_prefix(org.name)
            try:
                budgets = read_budgets(self.budgets(), billing.id, prefix, org.partition)
            except Exception as exc:
                if org.uses_budgets or aws_error_code(exc) not in ACCESS_DENIED:
                    raise
                budgets = LiveBudgets(billing.id, prefix, api_calls=1, unread=aws_error_code(exc))
            state = live.get(billing.name, LiveAccount(billing))
            live[billing.name] = replace(state, budgets=budgets, api_calls=state.api_calls + budgets.api_calls)
        if self.org.uses_accounts:
            management = self.org.management
            from awsroles.accounts.state import read_organization

            organization = read_organization(self.organizations(),
                                             f"the management account {management.name} ({management.id})",
                                             self.max_workers)
            organization = self.read_scps(organization)
            organization = self.read_contacts(organization)
            state = live.get(management.name, LiveAccount(management))
            live[management.name] = replace(state, organization=organization,
                                            api_calls=state.api_calls + organization.api_calls)
        if self.org.uses_identity_center:
            home = self.org.identity_center_home
            found = self.read_identity_center()
            state = live.get(home.name, LiveAccount(home))
            live[home.name] = replace(state, identity_center=found, api_calls=state.api_calls + found.api_calls)
        return live

    def read_alarms(self, live: dict[str, LiveAccount]) -> dict[str, LiveAccount]:
        """``live`` with the break-glass alarm of each environment account that has a ``[break-glass]``
        or still holds an owned break-glass role (its ``awsroles-break-glass`` tag): so an alarm is
        planned for deletion for as long as its role is there (apply deletes the alarm first)."""
        org = self.iam_org
        out = dict(live)
        for name, state in live.items():
            account = state.account
            if not account.environment or account.pending:
                continue
            has_role = any(r.owned and BREAK_GLASS_TAG in r.tags for r in state.roles.values())
            if org.break_glass_in(account.environment) is None and not has_role:
                continue
            found = self.read_alarm(account)
            out[name] = replace(state, alarms=found, api_calls=state.api_calls + found.api_calls)
        return out

    def read_alarm(self, account: Account) -> LiveAlarms:
        """The break-glass alarm of ``account`` in every region it belongs in."""
        org = self.iam_org

        def clients(service: str, region: str) -> Any:
            return self._client(service, account, region)

        def topic(region: str) -> str:
            return topic_arn(org, account.id, region)

        return read_alarms(clients, alarm_regions(org), topic)

    def read_scps(self, organization: LiveOrganization) -> LiveOrganization:
        """The organization with its SCPs at the org's prefix, and what is attached to each root, OU
        and account the org file gives SCPs (those that exist)."""
        from awsroles.accounts.scps import read_scps

        targets = [organization.root_id] if any(t.kind not in (SCP_OU, SCP_ACCOUNT)
                                                for t in self.org.scp_targets) else []
        for target in self.org.scp_targets:
            if target.kind == SCP_OU and target.name in organization.ous:
                targets.append(organization.ous[target.name].id)
            elif target.kind == SCP_ACCOUNT and self.org.account(target.name).id in organization.accounts:
                targets.append(self.org.account(target.name).id)
        scps = read_scps(self.organizations(), scp_prefix(self.org.name), targets, self.max_workers)
        return replace(organization, scps=scps, api_calls=organization.api_calls + scps.api_calls)

    def read_contacts(self, organization: LiveOrganization) -> LiveOrganization:
        """The organization with the alternate contacts of the accounts awsroles owns whose file gives
        contacts (and whether trusted access lets AWS Account Management reach member accounts)."""
        from awsroles.accounts.contacts import LiveContacts, read_contacts, trusted_access
        from awsroles.accounts.state import is_ours

        management = self.org.management
        wanted = [a.id for a in self.org.accounts if a.id and self.org.account_contacts(a)
                  and a.id in organization.accounts and is_ours(organization.accounts[a.id].tags, self.org.name)]
        if not any(self.org.account_contacts(a) for a in self.org.accounts):
            return organization
        enabled, calls = trusted_access(self.organizations())
        ids = wanted if enabled else [i for i in wanted if i == management.id]
        by_account = read_contacts(self.account_management(), ids, management.id, self.max_workers) if ids else {}
        calls += 3 * len(ids)
        return replace(organization, contacts=LiveContacts(enabled, by_account, calls),
                       api_calls=organization.api_calls + calls)

    def account_management(self) -> Any:
        """An AWS Account Management client in the management account (alternate contacts)."""
        return self._client("account", self.org.management)

    def plan(self, *, prune: bool = False, options: PlanOptions | None = None,
             live: dict[str, LiveAccount] | None = None, now: datetime | None = None) -> Plan:
        """Plan against ``live`` (read now when not given): the organization's accounts and OUs
        first, then IAM and budgets. ``now`` (default: the clock) decides which revocations of live
        sessions have expired."""
        live = self.read() if live is None else live
        options = options or PlanOptions(prune=prune)
        now = now or self.clock()
        iam = make_plan(self.iam_org, desired_state(self.iam_org, now), live, options=options, now=now)
        expired = tuple(f"temporary grant '{g.id}' ({g.holder}, {g.role} in {g.environment}) expired at "
                        f"{format_time(g.until)}: not desired any more; `awsroles revoke --temporary {g.id}` "
                        "removes its section" for g in self.iam_org.expired_temporary(now))
        iam = replace(iam, notes=iam.notes + expired).merged(self.plan_identity_center(live, options, now))
        organization = live.get(self.org.management.name, LiveAccount(self.org.management)).organization
        if organization is None:
            return iam
        from awsroles.sync.accounts import plan_organization

        planned = plan_organization(self.org, organization, options)
        deletes = tuple(planned.deletes)
        first = Plan(tuple(planned.changes) + (deletes if options.prune else ()), () if options.prune else deletes,
                     tuple(planned.conflicts), {}, tuple(planned.unowned), (), options,
                     retained=tuple(planned.retained))
        return first.merged(iam)

    def plan_identity_center(self, live: dict[str, LiveAccount], options: PlanOptions,
                             now: datetime | None = None) -> Plan:
        """The Identity Center part of the plan (empty unless the org uses it); ``now`` (default: the
        clock) decides which temporary grants have expired."""
        home = self.org.identity_center_home if self.org.uses_identity_center else None
        found = live.get(home.name, LiveAccount(home)).identity_center if home is not None else None
        if found is None:
            return Plan(options=options)
        from awsroles.identity_center.desired import desired_identity_center
        from awsroles.sync.identity_center import plan_identity_center

        moment = now or self.clock()
        planned = plan_identity_center(self.iam_org, desired_identity_center(self.iam_org, moment), found, options,
                                       moment)
        deletes = tuple(planned.deletes)
        return Plan(tuple(planned.changes) + (deletes if options.prune else ()), () if options.prune else deletes,
                    tuple(planned.conflicts), {}, tuple(planned.unowned), tuple(planned.foreign), options)

    def record(self, account: str, account_id: str) -> None:
        """Write an account's id into the org file (apply calls this as soon as it knows the id)."""
        if self._record is not None:
            self._record(account, account_id)
        else:
            from awsroles.iam.checks import ORG_CHECKS
            from awsroles.org.edit import record_account_id

            record_account_id(self.org.source, account, account_id, checks=ORG_CHECKS)
        with self._lock:  # in the org file's order, whichever account apply created first
            self.recorded[account] = account_id
            order = {a.name: n for n, a in enumerate(self.org.accounts)}
            self.recorded = {name: self.recorded[name]
                             for name in sorted(self.recorded, key=lambda name: order.get(name, len(order)))}

    def open_to_caller(self, name: str, account_id: str) -> None:
        """A new account's role (``bootstrap_role``, made by Organizations) trusts the management
        account only. When apply runs from another account (ops, with a separate management
        account), reach the new account through the management account once (role chaining) and
        add the caller's account to that role's trust, so that apply, and every later run from
        there, reaches it as it reaches every other account."""
        import json

        caller, management = self.aws.whoami().account, self.org.management
        if caller == management.id:
            return
        from awsroles.aws import for_org

        role, partition = self.org.bootstrap_role, self.org.partition
        via = for_org(self.org, session=self.aws.for_account(management.id, role, partition=partition))
        iam = via.client("iam", via.for_account(account_id, role, partition=partition), account=name)
        document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(document) if isinstance(document, str) else dict(document)
        principal = f"arn:{partition}:iam::{caller}:root"
        statements = trust.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else list(statements)
        if any(principal in str(s.get("Principal", "")) for s in statements if isinstance(s, dict)):
            return
        statements.append({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})
        trust["Statement"] = statements
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))

    def apply(self, plan: Plan, on_step: Callable[[Step], None] | None = None,
              progress: Callable[[str], None] | None = None) -> ApplyResult:
        """Run ``plan``; ``progress`` hears how account creations go."""
        runner: list[OrganizationsRunner] = []
        identity: list[IdentityCenterRunner] = []
        once = threading.Lock()

        def identity_center_for(account: str) -> IdentityCenterRunner:
            from awsroles.identity_center.runner import IdentityCenterRunner
            from awsroles.identity_center.state import find_instance
            from awsroles.sync.identity_center_base import IDENTITY_CENTER_CALLS

            with once:
                if not identity:
                    sso, store = self.identity_center()
                    found = find_instance(sso, f"account {account}")
                    identity.append(IdentityCenterRunner(sso, store, found[0], found[1], IDENTITY_CENTER_CALLS,
                                                         progress=progress))
                return identity[0]

        def organizations_for(account: str) -> OrganizationsRunner:
            from awsroles.sync.organizations import OrganizationsRunner

            if not runner:
                runner.append(OrganizationsRunner(self.organizations(account), self.record, progress=progress,
                                                  created=self.open_to_caller, account=self.account_management))
            return runner[0]

        def alarms_for(account: str) -> AlarmRunner:
            return AlarmRunner(lambda service, region: self._client(service, account, region))

        return apply_plan(plan, self.iam, max_workers=self.max_workers, per_account=self.per_account,
                          on_step=on_step, budgets_for=self.budgets, organizations_for=organizations_for,
                          identity_center_for=identity_center_for, alarms_for=alarms_for)
