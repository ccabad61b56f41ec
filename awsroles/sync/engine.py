"""Plan and apply an org against AWS: the glue between the org, the AWS boundary and the planner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from awsroles.aws import Aws
from awsroles.iam.desired import desired_state
from awsroles.org.model import Account, Org
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
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def iam(self, account: Account | str) -> Any:
        account = self.org.account(account) if isinstance(account, str) else account
        with self._lock:
            if account.name not in self._clients:
                user = self.aws.whoami().user_name or "awsroles"
                session = self.aws.for_account(account.id, self.org.bootstrap_role, partition=self.org.partition,
                                               session_name=f"awsroles-{user}"[:64])
                self._clients[account.name] = self.aws.client("iam", session, account=account.name)
            return self._clients[account.name]

    def read(self) -> dict[str, LiveAccount]:
        return read_accounts(accounts_to_read(self.org), self.iam, self.org.path, max_workers=self.max_workers)

    def plan(self, *, prune: bool = False, options: PlanOptions | None = None,
             live: dict[str, LiveAccount] | None = None) -> Plan:
        """Plan against ``live`` (read now when not given)."""
        live = self.read() if live is None else live
        return make_plan(self.org, desired_state(self.org), live, options=options or PlanOptions(prune=prune))

    def apply(self, plan: Plan, on_step: Callable[[Step], None] | None = None) -> ApplyResult:
        return apply_plan(plan, self.iam, max_workers=self.max_workers, per_account=self.per_account,
                          on_step=on_step)
