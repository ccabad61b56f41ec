"""Execute a plan: accounts in parallel, the changes of one account in order, idempotently.

The plan holds every IAM operation; this module only runs them. Repeating an operation after an
interrupted run is tolerated (creating what exists, deleting what is gone), so a re-run after a
failure or a kill converges: it plans again from the live state and finishes the job.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from awsroles.errors import aws_error_code as _error_code
from awsroles.errors import describe_aws_error
from awsroles.sync.alarms import KIND as ALARM
from awsroles.sync.budgets import BUDGET_CALLS
from awsroles.sync.budgets import KIND as BUDGET
from awsroles.sync.identity_center_base import KINDS as IDENTITY_CENTER_KINDS
from awsroles.sync.kinds import ACCOUNT as ORG_ACCOUNT
from awsroles.sync.kinds import ORGANIZATIONS_KINDS
from awsroles.sync.plan import ALLOWED_CALLS, MOVE_PARAMS, REQUIRE_NO_CREDENTIALS, Change, Plan

log = logging.getLogger(__name__)

# Error codes that mean "already done" for an operation, so repeating it is harmless.
_GONE = frozenset({"NoSuchEntity", "NoSuchEntityException"})
BENIGN: dict[str, frozenset[str]] = {
    "create_policy": frozenset({"EntityAlreadyExists"}),
    "create_group": frozenset({"EntityAlreadyExists"}),
    "create_role": frozenset({"EntityAlreadyExists"}),
    "create_user": frozenset({"EntityAlreadyExists"}),
}
for _method in ("delete_policy", "delete_policy_version", "delete_group", "delete_role", "delete_user",
                "delete_group_policy", "delete_role_policy", "delete_user_policy", "detach_group_policy",
                "detach_role_policy", "detach_user_policy", "remove_user_from_group",
                "remove_role_from_instance_profile", "delete_role_permissions_boundary",
                "delete_user_permissions_boundary"):
    BENIGN[_method] = _GONE
# AWS Budgets: a record that exists already (DuplicateRecordException), or is gone (NotFoundException).
for _method in ("create_budget", "create_notification", "create_subscriber"):
    BENIGN[_method] = frozenset({"DuplicateRecordException"})
for _method in ("delete_budget", "delete_notification", "delete_subscriber"):
    BENIGN[_method] = frozenset({"NotFoundException"})

DONE, FAILED, SKIPPED, NOT_ATTEMPTED = "done", "failed", "skipped", "not attempted"
RERUN = "awsroles apply"  # what finishes a part-way apply (a re-run converges)


class SkipChange(Exception):
    """A guard decided this change must not run (e.g. a user to delete still has credentials)."""


def changes_made(n: int) -> str:
    """``1 change made``, ``2 changes made``."""
    return f"{n} change made" if n == 1 else f"{n} changes made"


@dataclass
class Step:
    change: Change
    status: str = NOT_ATTEMPTED
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.change.account, "action": self.change.action, "kind": self.change.kind,
                "name": self.change.name, "status": self.status, "error": self.error}


@dataclass
class ApplyResult:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status in (DONE, SKIPPED) for s in self.steps)

    def count(self, status: str) -> int:
        return sum(1 for s in self.steps if s.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "done": self.count(DONE), "failed": self.count(FAILED),
                "skipped": self.count(SKIPPED), "not_attempted": self.count(NOT_ATTEMPTED),
                "steps": [s.as_dict() for s in self.steps]}

    def summary(self) -> list[str]:
        """For humans: one line of counts, then, when something failed, what was done, what failed,
        what was skipped and what was not attempted, and how to finish."""
        done, failed, skipped, left = (self.count(s) for s in (DONE, FAILED, SKIPPED, NOT_ATTEMPTED))
        if self.ok:
            return [f"Apply complete: {changes_made(done)}" + (f", {skipped} skipped" if skipped else "") + "."]
        lines = [f"Apply incomplete: {done} done, {failed} failed, {skipped} skipped, {left} not attempted."]
        for status, title in ((DONE, "Done"), (FAILED, "Failed"), (SKIPPED, "Skipped"),
                              (NOT_ATTEMPTED, "Not attempted")):
            steps = [s for s in self.steps if s.status == status]
            if steps:
                lines.append(f"{title}:")
            for step in steps:
                change = step.change
                error = f": {step.error}" if step.error else ""
                lines.append(f"  {change.account}: {change.action} {change.kind} {change.name}{error}")
        lines.append(f"To finish: fix the cause, then re-run `{RERUN}` with the same options; it plans again "
                     "from the live state, so what was done is not redone.")
        return lines


def _require_no_credentials(iam: Any, user: str) -> None:
    """Refuse to delete a user who can still sign in or holds credentials: that is offboarding."""
    found = []
    if iam.list_access_keys(UserName=user).get("AccessKeyMetadata"):
        found.append("access keys")
    try:
        iam.get_login_profile(UserName=user)
        found.append("a console password")
    except Exception as exc:
        if _error_code(exc) not in _GONE:
            raise
    if iam.list_mfa_devices(UserName=user).get("MFADevices"):
        found.append("MFA devices")
    if iam.list_signing_certificates(UserName=user).get("Certificates"):
        found.append("signing certificates")
    if iam.list_ssh_public_keys(UserName=user).get("SSHPublicKeys"):
        found.append("SSH keys")
    if iam.list_service_specific_credentials(UserName=user).get("ServiceSpecificCredentials"):
        found.append("service credentials")
    if found:
        raise SkipChange(f"user {user} still has {', '.join(found)}; offboard them first")


def service_of(change: Change) -> str:
    """The AWS service whose client runs a change's calls."""
    if change.kind in ORGANIZATIONS_KINDS:
        return "organizations"
    if change.kind in IDENTITY_CENTER_KINDS:
        return "identity-center"
    if change.kind == ALARM:
        return "alarms"
    return "budgets" if change.kind == BUDGET else "iam"


def run_change(client: Any, change: Change) -> None:
    """Run the operations of one change with ``client`` (of :func:`service_of` the change),
    tolerating repeats (see BENIGN)."""
    if service_of(change) in ("organizations", "identity-center", "alarms"):
        client.run(change)  # an OrganizationsRunner, IdentityCenterRunner or AlarmRunner: each runs only its own calls
        return
    allowed, service = (BUDGET_CALLS, "Budgets") if service_of(change) == "budgets" else (ALLOWED_CALLS, "IAM")
    for method, params in change.ops:
        if method not in allowed:
            raise ValueError(f"refusing to run {method!r}: not a{'n' if service == 'IAM' else ''} {service} call "
                             f"awsroles plans for a {change.kind}")
        if method in MOVE_PARAMS and not set(params) <= MOVE_PARAMS[method]:
            raise ValueError(f"refusing to run {method!r} with {', '.join(sorted(set(params) - MOVE_PARAMS[method]))}:"
                             " awsroles only moves a user or group to another path")
        if method == REQUIRE_NO_CREDENTIALS:
            _require_no_credentials(client, params["UserName"])
            continue
        try:
            getattr(client, method)(**params)
        except Exception as exc:
            if _error_code(exc) in BENIGN.get(method, frozenset()):
                log.debug("%s %s: already done (%s)", method, change.name, _error_code(exc))
                continue
            raise


_WAVES = {"create": ("policy", "group", "role", "user"), "update": ("policy", "group", "role", "user"),
          "delete": ("user", "role", "group", "policy")}


def _waves(steps: list[Step]) -> list[list[Step]]:
    """Consecutive changes of one kind and one phase (creates and updates, then deletes) do not
    depend on each other: each such run is a wave that may run concurrently."""
    waves: list[list[Step]] = []
    key: tuple[str, str] | None = None
    for step in steps:
        phase = "delete" if step.change.action == "delete" else "write"
        if (phase, step.change.kind) != key:
            waves.append([])
            key = (phase, step.change.kind)
        waves[-1].append(step)
    return waves


def _at_once(wave: list[Step], max_workers: int, per_account: int) -> int:
    """How many changes of ``wave`` may run at once: IAM and budgets ``per_account``; in
    Organizations, the changes of distinct accounts (each an account, independent of the others)
    ``max_workers``, while OUs (parents before children) and SCPs run one at a time, in order."""
    if len(wave) <= 1:
        return 1
    if service_of(wave[0].change) != "organizations":
        return per_account
    return max_workers if wave[0].change.kind == ORG_ACCOUNT else 1


_USER_ARN = re.compile(r"arn:[\w-]+:iam::(\d{12}):user/([\w+=,.@/-]+)")


def _users_named(change: Change) -> set[tuple[str, str]]:
    """(account id, user name lowercased) of every IAM user an operation's parameters name by ARN
    (a trust policy's principals: a break-glass role trusts the named people's users)."""
    text = json.dumps([params for _, params in change.ops], default=str)  # any value: only ARNs matter here
    return {(account, path.rsplit("/", 1)[-1].lower()) for account, path in _USER_ARN.findall(text)}


def _user_dependencies(steps: list[Step]) -> dict[int, list[Step]]:
    """For each step (by id), the user creations of another account in the same plan that it names.

    IAM refuses a trust policy whose principal is a user that does not exist yet ("Invalid principal
    in policy"), so a role in an environment account that trusts people's IAM users (break-glass)
    waits for those users to be made in the ops account, which otherwise runs in parallel."""
    creating = {(s.change.account_id, s.change.name.lower()): s for s in steps
                if s.change.kind == "user" and s.change.action == "create"}
    if not creating:
        return {}
    needs: dict[int, list[Step]] = {}
    for step in steps:
        if step.change.kind == "user" or not step.change.ops:
            continue
        found = [creating[key] for key in sorted(_users_named(step.change) & creating.keys())
                 if key[0] != step.change.account_id]
        if found:
            needs[id(step)] = found
    return needs


def apply_plan(
    plan: Plan,
    iam_for: Callable[[str], Any],
    *,
    max_workers: int = 8,
    per_account: int = 4,
    on_step: Callable[[Step], None] | None = None,
    budgets_for: Callable[[str], Any] | None = None,
    organizations_for: Callable[[str], Any] | None = None,
    identity_center_for: Callable[[str], Any] | None = None,
    alarms_for: Callable[[str], Any] | None = None,
) -> ApplyResult:
    """Apply ``plan``; ``iam_for(account_name)`` gives an IAM client in that account,
    ``budgets_for(account_name)`` a Budgets client there (for the billing account's budgets), and
    ``organizations_for(account_name)`` a :class:`~awsroles.sync.organizations.OrganizationsRunner`
    in the management account (for accounts, OUs and SCPs: OUs, then accounts, then SCPs), and
    ``alarms_for(account_name)`` an :class:`~awsroles.sync.alarms.AlarmRunner` there (break-glass alarms).

    Accounts run in parallel (``max_workers`` at a time). Within an account, changes run in plan
    order, wave by wave (policies, groups, roles, users; deletes in reverse), up to
    ``per_account`` changes of a wave at once; in the management account's Organizations changes,
    up to ``max_workers`` account changes at once (see :func:`_at_once`). A failure stops that
    account after its wave (the later waves are reported as not attempted); other accounts carry
    on. A change that names an IAM user another account creates in this plan (a break-glass role's
    trust) waits until that user is made, and fails, saying so, if it was not; accounts that create
    users start first, so that waiting never holds a worker their creation needs.
    ``on_step`` is called from worker threads after each change.
    """
    steps = [Step(change) for change in plan.changes]
    by_account: dict[str, list[Step]] = {}
    for step in steps:
        by_account.setdefault(step.change.account, []).append(step)
    needs = _user_dependencies(steps)
    finished = {id(s): threading.Event() for deps in needs.values() for s in deps}
    if needs:  # accounts that make users first: a waiting account must never hold their worker
        makers = {s.change.account for deps in needs.values() for s in deps}
        by_account = dict(sorted(by_account.items(), key=lambda item: item[0] not in makers))
    lock = threading.Lock()

    def settle(step: Step) -> None:
        if id(step) in finished:
            finished[id(step)].set()

    def report(step: Step) -> None:
        if on_step is not None:
            with lock:
                on_step(step)

    def run_step(clients: dict[str, Any], step: Step) -> bool:
        for user in needs.get(id(step), ()):
            finished[id(user)].wait()
            if user.status != DONE:
                step.status = FAILED
                step.error = (f"needs IAM user {user.change.name} in {user.change.account}, which was not created "
                              f"({user.status}): run `{RERUN}` again")
                report(step)
                return False
        try:
            run_change(clients[service_of(step.change)], step.change)
            step.status = DONE
        except SkipChange as exc:
            step.status, step.error = SKIPPED, str(exc)
        except Exception as exc:
            step.status, step.error = FAILED, describe_aws_error(exc)
            log.debug("failed: %s %s %s", step.change.action, step.change.kind, step.change.name, exc_info=True)
        settle(step)
        report(step)
        return step.status != FAILED

    def client_for(service: str, account: str) -> Any:
        if service == "budgets":
            if budgets_for is None:
                raise ValueError("the plan changes budgets, but apply was given no Budgets client")
            return budgets_for(account)
        if service == "organizations":
            if organizations_for is None:
                raise ValueError("the plan changes accounts or OUs, but apply was given no Organizations runner")
            return organizations_for(account)
        if service == "identity-center":
            if identity_center_for is None:
                raise ValueError("the plan changes Identity Center, but apply was given no Identity Center runner")
            return identity_center_for(account)
        if service == "alarms":
            if alarms_for is None:
                raise ValueError("the plan changes break-glass alarms, but apply was given no alarm runner")
            return alarms_for(account)
        return iam_for(account)

    def run_account(account: str) -> None:
        try:
            run_waves(account)
        finally:  # a step never run (an earlier wave failed) releases whoever waits for it
            for step in by_account[account]:
                settle(step)

    def run_waves(account: str) -> None:
        try:
            clients = {service: client_for(service, account)
                       for service in sorted({service_of(s.change) for s in by_account[account]})}
        except Exception as exc:
            for step in by_account[account]:
                step.status, step.error = FAILED, f"cannot reach account: {describe_aws_error(exc)}"
                report(step)
            return
        for wave in _waves(by_account[account]):
            at_once = _at_once(wave, max_workers, per_account)
            if at_once > 1:
                with ThreadPoolExecutor(max_workers=min(at_once, len(wave))) as inner:
                    ok = all(list(inner.map(lambda s: run_step(clients, s), wave)))
            else:
                ok = True
                for step in wave:
                    if not run_step(clients, step):
                        ok = False
                        break
            if not ok:
                return

    if by_account:
        workers = max(1, min(max_workers, len(by_account)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(run_account, account) for account in by_account]:
                future.result()
    return ApplyResult(steps)
