"""Plan and apply an org against AWS: the glue between the org, the AWS boundary and the planner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from awsroles.aws import Aws
from awsroles.budgets.state import ACCESS_DENIED, LiveBudgets, read_budgets
from awsroles.errors import aws_error_code
from awsroles.iam.desired import desired_state
from awsroles.org.model import Account, Org, budget_prefix
from awsroles.sync.apply import ApplyResult, Step, apply_plan
from awsroles.sync.plan import Plan, PlanOptions
from awsroles.sync.planner import accounts_to_read, make_plan
from awsroles.sync.state import LiveAccount, read_accounts


class Engine:
    """One org, one set of credentials: read, plan, apply. Clients are built once per account."""

    def __init__(self, org: Org, aws: Aws, *, max_workers: int = 8, per_account: int = 4):
        self.org = org
        self.aws = aws
        self.max_workers = max_workers
        self.per_account = per_account
        self._clients: dict[tuple[str, str], Any] = {}  # (service, account name) -> client
        self._lock = threading.Lock()

    def _client(self, service: str, account: Account | str) -> Any:
        account = self.org.account(account) if isinstance(account, str) else account
        with self._lock:
            if (service, account.name) not in self._clients:
                user = self.aws.whoami().user_name or "awsroles"
                session = self.aws.for_account(account.id, self.org.bootstrap_role, partition=self.org.partition,
                                               session_name=f"awsroles-{user}"[:64])
                self._clients[service, account.name] = self.aws.client(service, session, account=account.name)
            return self._clients[service, account.name]

    def iam(self, account: Account | str) -> Any:
        """An IAM client in ``account`` (the caller's own, or through the org's bootstrap role)."""
        return self._client("iam", account)

    def budgets(self, account: Account | str | None = None) -> Any:
        """A Budgets client in the billing account (the only account whose budgets awsroles manages)."""
        if account is not None and (account if isinstance(account, str) else account.name) != self.org.billing_account:
            raise ValueError(f"budgets are managed in the billing account {self.org.billing_account}, not {account}")
        return self._client("budgets", self.org.billing)

    def read(self) -> dict[str, LiveAccount]:
        """IAM in the ops and environment accounts, and the billing account's budgets named like the
        org's (``LiveAccount.budgets``): always, so that budgets awsroles made are leftovers once the
        file no longer declares any. An org file without budgets needs no Budgets permission: access
        denied there is noted (``LiveBudgets.unread``), not an error."""
        live = read_accounts(accounts_to_read(self.org), self.iam, self.org.path, max_workers=self.max_workers)
        billing = self.org.billing
        prefix = budget_prefix(self.org.name)
        try:
            budgets = read_budgets(self.budgets(), billing.id, prefix, self.org.partition)
        except Exception as exc:
            if self.org.uses_budgets or aws_error_code(exc) not in ACCESS_DENIED:
                raise
            budgets = LiveBudgets(billing.id, prefix, api_calls=1, unread=aws_error_code(exc))
        state = live.get(billing.name, LiveAccount(billing))
        live[billing.name] = replace(state, budgets=budgets, api_calls=state.api_calls + budgets.api_calls)
        return live

    def plan(self, *, prune: bool = False, options: PlanOptions | None = None,
             live: dict[str, LiveAccount] | None = None) -> Plan:
        """Plan against ``live`` (read now when not given)."""
        live = self.read() if live is None else live
        return make_plan(self.org, desired_state(self.org), live, options=options or PlanOptions(prune=prune))

    def apply(self, plan: Plan, on_step: Callable[[Step], None] | None = None) -> ApplyResult:
        return apply_plan(plan, self.iam, max_workers=self.max_workers, per_account=self.per_account,
                          on_step=on_step, budgets_for=self.budgets)
