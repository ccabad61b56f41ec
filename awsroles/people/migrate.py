"""Moving an org from IAM users to IAM Identity Center (``awsroles migrate identity-center``).

Two steps, each of which only reads AWS and edits ``[org] identity`` in the org file; ``apply``
makes the changes, as for every other edit:

- **start**: the org must be able to move (valid with Identity Center's rules: every person has
  an email, the Identity Center account has an id; its instance exists), then
  ``identity = iam-users, identity-center``: both backends side by side, people keep working.
  What apply will create in Identity Center is its part of the plan.
- **finish**: once Identity Center is in sync (its part of the plan is empty), who still uses
  IAM (password, access keys and their last use, MFA devices: :mod:`awsroles.people.activity`),
  then ``identity = identity-center``: everything awsroles made in IAM becomes a leftover that
  ``apply --prune`` deletes (those still holding credentials only once offboarded from IAM).

Each step is prepared (read, checked, the edit previewed) and then, if the caller goes on,
written: :func:`write` refuses a file that changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from awsroles.aws import Aws
from awsroles.errors import OrgFileError, UsageError
from awsroles.iam.checks import ORG_CHECKS, load_org
from awsroles.org.checks import OrgCheck
from awsroles.org.edit import Edited, edit_org, identity_change, preview_org
from awsroles.org.model import IDENTITY_CENTER, IDENTITY_IAM_USERS, Org
from awsroles.org.parse import check_org
from awsroles.people.activity import RECENT_DAYS, IamUse, read_uses
from awsroles.sync.engine import Engine
from awsroles.sync.plan import Change, Plan, PlanOptions
from awsroles.sync.state import LiveAccount

BOTH = (IDENTITY_IAM_USERS, IDENTITY_CENTER)
ALONE = (IDENTITY_CENTER,)
IAM_KINDS = ("user", "role", "group", "policy")  # what awsroles makes in IAM, in the order apply deletes it


def _unchanged(path: Path) -> Edited:
    return preview_org(path, lambda _updater: None, checks=ORG_CHECKS)


@dataclass(frozen=True)
class Start:
    """The first step, prepared: the edit, and what apply will then create in Identity Center."""

    edit: Edited
    was: tuple[str, ...]  # [org] identity before
    plan: Plan  # the Identity Center part of the plan (empty when it has moved already)
    instance_arn: str = ""

    @property
    def already(self) -> bool:
        """Both backends already: nothing to edit."""
        return self.was == BOTH

    @property
    def moved(self) -> bool:
        """Identity Center alone already: the move is over."""
        return self.was == ALONE

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.edit.path), "identity_before": list(self.was),
                "identity": list(self.edit.org.identity), "changed": self.edit.changed, "diff": self.edit.diff(),
                "instance_arn": self.instance_arn, "plan": self.plan.as_dict()}


def can_move(path: Path) -> Org:
    """The org at ``path``, valid as it is and with Identity Center's rules too (every person has an
    email, the Identity Center account an id): OrgFileError otherwise, each problem at its line of
    the file as it is."""
    def moved(check: OrgCheck) -> OrgCheck:  # each whole-model check, on the org as it will be
        return lambda org, sections: check(org if org.uses_identity_center else replace(org, identity=BOTH), sections)

    org, problems = check_org(path, checks=tuple(moved(check) for check in ORG_CHECKS))
    if org is None:
        raise OrgFileError(problems)
    return org


def prepare_start(path: Path, aws: Aws, *, max_workers: int = 8) -> Start:
    """Check that the org at ``path`` can run both backends (:func:`can_move`) and read its Identity
    Center instance (:class:`awsroles.identity_center.state.NoInstance` when there is none)."""
    org = can_move(path)
    if org.identity == ALONE:
        return Start(_unchanged(path), org.identity, Plan())
    edited = _unchanged(path) if org.identity == BOTH else preview_org(path, identity_change(BOTH), checks=ORG_CHECKS)
    engine = Engine(edited.org, aws, max_workers=max_workers)
    found = engine.read_identity_center()
    home = edited.org.identity_center_home
    plan = engine.plan_identity_center({home.name: LiveAccount(home, identity_center=found)}, PlanOptions())
    return Start(edited, org.identity, replace(plan, api_calls={home.name: found.api_calls}), found.instance_arn)


@dataclass(frozen=True)
class Finish:
    """The last step, prepared: the edit, who still uses IAM, and what ``apply --prune`` will then delete there."""

    edit: Edited
    was: tuple[str, ...]
    removals: tuple[Change, ...]  # the IAM deletes of `plan --prune` once the file says identity-center alone
    uses: tuple[IamUse, ...]  # of each IAM user awsroles manages
    now: datetime
    recent_days: int = RECENT_DAYS
    caller: str | None = None  # the IAM user running this, when it is one

    @property
    def moved(self) -> bool:
        """Identity Center alone already: nothing to edit."""
        return self.was == ALONE

    @property
    def recent(self) -> tuple[IamUse, ...]:
        """Those who used IAM (password or access key) in the last ``recent_days``."""
        return tuple(u for u in self.uses if u.recent(self.now, self.recent_days))

    @property
    def to_offboard(self) -> tuple[str, ...]:
        """Users apply will not delete before they are offboarded from IAM: they still hold credentials."""
        return tuple(u.name for u in self.uses if u.holds_credentials)

    def next_steps(self) -> tuple[str, ...]:
        """The commands that finish the move, in order."""
        steps = [f"awsroles users offboard {name} --keep-in-file" for name in self.to_offboard]
        if self.removals:
            steps.append("awsroles apply --prune")
        return tuple(steps)

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.edit.path), "identity_before": list(self.was),
                "identity": list(self.edit.org.identity), "changed": self.edit.changed, "diff": self.edit.diff(),
                "iam_users": [u.as_dict() for u in self.uses],
                "recent_days": self.recent_days, "recent": [u.name for u in self.recent],
                "to_offboard": list(self.to_offboard),
                "removals": [{"account": c.account, "account_id": c.account_id, "kind": c.kind, "name": c.name}
                             for c in self.removals],
                "next": list(self.next_steps())}


def prepare_finish(path: Path, aws: Aws, *, now: datetime, recent_days: int = RECENT_DAYS,
                   max_workers: int = 8) -> Finish:
    """Refuse (UsageError) unless the org runs both backends (or Identity Center alone already)
    and Identity Center is in sync with the file; then read who still uses IAM and what
    ``apply --prune`` would delete there once the file says ``identity = identity-center``."""
    org = load_org(path)
    if not org.uses_identity_center:
        raise UsageError("the org runs on IAM users alone: start with `awsroles migrate identity-center`, then "
                         "`awsroles apply`; nothing was changed")
    edited = _unchanged(path) if org.identity == ALONE else preview_org(path, identity_change(ALONE),
                                                                         checks=ORG_CHECKS)
    engine = Engine(edited.org, aws, max_workers=max_workers)
    live = engine.read()
    if org.identity != ALONE:
        pending = engine.plan_identity_center(live, PlanOptions())
        if not pending.empty:
            raise UsageError(
                f"Identity Center does not match the org file yet ({len(pending.changes)} change(s), "
                f"{len(pending.conflicts)} conflict(s)): run `awsroles apply` (`awsroles plan` shows them), and let "
                "people switch, before finishing; nothing was changed")
    plan = engine.plan(options=PlanOptions(prune=True), live=live)
    order = {kind: n for n, kind in enumerate(IAM_KINDS)}
    accounts = {a.name: n for n, a in enumerate(edited.org.accounts)}  # the file's order
    removals = tuple(sorted((c for c in plan.changes if c.action == "delete" and c.kind in order),
                            key=lambda c: (order[c.kind], accounts.get(c.account, len(accounts)), c.name)))
    users = [c.name for c in removals if c.kind == "user"]
    uses = read_uses(engine.iam(edited.org.ops), users, max_workers=max_workers) if users else []
    return Finish(edited, org.identity, removals, tuple(uses), now, recent_days, engine.aws.whoami().user_name)


def write(edited: Edited) -> Org:
    """Write a prepared edit, unless the file changed since it was read (UsageError, nothing written)."""
    if not edited.changed:
        return edited.org
    return edit_org(edited.path, identity_change(edited.org.identity, expected=edited.before), checks=ORG_CHECKS)
