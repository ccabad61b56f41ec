"""What a plan holds: the ordered changes that bring AWS in line with the org file, each with its calls
(IAM calls; Budgets calls for a ``budget``, see :mod:`awsroles.sync.budgets`).

A :class:`Plan` is pure data, made by :func:`awsroles.sync.planner.make_plan` and executed by
:mod:`awsroles.sync.apply`, which runs only the calls it holds (and only those in
:data:`ALLOWED_CALLS`, or :data:`awsroles.sync.budgets.BUDGET_CALLS` for a budget). It round-trips
through JSON (:meth:`Plan.as_dict`, :meth:`Plan.from_dict`) for saved plans; the schema is
documented in docs/plan-apply.md.

Kinds of change: ``create``, ``update``, ``adopt`` and ``delete``; an update is marked ``drift``
when the live resource was changed outside awsroles. Deletes that need ``prune`` are ``kept``
(leftovers); names taken by resources awsroles does not own are ``conflicts``; resources at the
path without awsroles' mark are ``unowned``; managed users' memberships in groups awsroles does
not own are ``foreign``. A plan is *in sync* only when it has no change, leftover, conflict or
foreign membership (unowned and retained resources are listed but do not count): that is the
contract of ``plan --detailed-exitcode`` (docs/plan-apply.md, "The plan's contract").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Op = tuple[str, dict[str, Any]]
REQUIRE_NO_CREDENTIALS = "awsroles:require-no-credentials"  # a guard apply runs before deleting a user
PLAN_FORMAT_VERSION = 1  # of Plan.as_dict(), documented in docs/plan-apply.md

# Every call a plan may hold: apply runs nothing else, whatever a (saved, edited) plan says.
ALLOWED_CALLS = frozenset({
    REQUIRE_NO_CREDENTIALS, "create_policy", "create_policy_version", "delete_policy", "delete_policy_version",
    "tag_policy", "create_group", "delete_group", "add_user_to_group", "remove_user_from_group", "create_role",
    "delete_role", "update_role", "update_assume_role_policy", "remove_role_from_instance_profile",
    "put_role_permissions_boundary", "delete_role_permissions_boundary", "create_user", "delete_user",
    "put_user_permissions_boundary", "delete_user_permissions_boundary", "update_user", "update_group",
    "tag_role", "untag_role", "tag_user", "untag_user",
    *(f"{verb}_{kind}_policy" for verb in ("attach", "detach", "put", "delete") for kind in ("user", "group", "role")),
})

# The parameters a move may carry (``move_from``): a new path, never a new name.
MOVE_PARAMS = {"update_user": frozenset({"UserName", "NewPath"}), "update_group": frozenset({"GroupName", "NewPath"})}


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False  # delete owned resources the org file no longer declares
    adopt: bool = False  # mark unowned resources at the path that the org file declares, then manage them
    remove_foreign_memberships: bool = False  # take managed users out of groups awsroles does not own


@dataclass(frozen=True)
class Change:
    account: str
    account_id: str
    action: str  # create | update | adopt | delete
    kind: str  # policy | group | role | user (IAM) | budget (AWS Budgets, in the billing account)
    #            | ou | account (AWS Organizations, in the management account)
    name: str
    details: tuple[str, ...] = ()
    diffs: tuple[tuple[str, str], ...] = ()  # (what, unified diff of canonical JSON: live -> org file)
    drift: bool = False
    ops: tuple[Op, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account, "account_id": self.account_id, "action": self.action, "kind": self.kind,
            "name": self.name, "drift": self.drift, "details": list(self.details),
            "diffs": [{"what": w, "diff": d} for w, d in self.diffs],
            "operations": [{"call": method, "params": params} for method, params in self.ops],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            str(data["account"]), str(data["account_id"]), str(data["action"]), str(data["kind"]), str(data["name"]),
            tuple(str(d) for d in data.get("details", ())),
            tuple((str(d["what"]), str(d["diff"])) for d in data.get("diffs", ())), bool(data.get("drift")),
            tuple((str(o["call"]), dict(o["params"])) for o in data.get("operations", ())),
        )


@dataclass(frozen=True)
class Conflict:
    account: str
    account_id: str
    kind: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.account} ({self.account_id}): {self.kind} {self.name}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"account": self.account, "account_id": self.account_id, "kind": self.kind, "name": self.name,
                "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Conflict:
        return cls(*(str(data[k]) for k in ("account", "account_id", "kind", "name", "reason")))


# A finding has the same shape as a conflict: something the plan reports but does not change.
Finding = Conflict


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()
    kept: tuple[Change, ...] = ()  # leftovers: deletes that need --prune
    conflicts: tuple[Conflict, ...] = ()
    api_calls: Mapping[str, int] = field(default_factory=dict)
    unowned: tuple[Finding, ...] = ()  # at the path without awsroles' mark: never touched
    foreign: tuple[Finding, ...] = ()  # managed users in groups awsroles does not own
    options: PlanOptions = PlanOptions()
    notes: tuple[str, ...] = ()  # what the plan could not look at, and why (never a difference)
    retained: tuple[Finding, ...] = ()  # accounts and OUs awsroles made, no longer declared: never removed

    def merged(self, other: Plan) -> Plan:
        """This plan's changes and findings, then ``other``'s (its options are this plan's)."""
        calls = dict(self.api_calls)
        for name, n in other.api_calls.items():
            calls[name] = calls.get(name, 0) + n
        return Plan(self.changes + other.changes, self.kept + other.kept, self.conflicts + other.conflicts, calls,
                    self.unowned + other.unowned, self.foreign + other.foreign, self.options,
                    self.notes + other.notes, self.retained + other.retained)

    @property
    def empty(self) -> bool:
        """Nothing for apply to do, and nothing in its way."""
        return not self.changes and not self.conflicts

    @property
    def in_sync(self) -> bool:
        """AWS matches the org file: no change, no leftover, no conflict, no foreign membership."""
        return self.empty and not self.kept and not self.foreign

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def drifted(self) -> int:
        return sum(1 for c in self.changes if c.drift)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "empty": self.empty,
            "in_sync": self.in_sync,
            "options": {"prune": self.options.prune, "adopt": self.options.adopt,
                        "remove_foreign_memberships": self.options.remove_foreign_memberships},
            "summary": {"create": self.count("create"), "update": self.count("update"),
                        "adopt": self.count("adopt"), "delete": self.count("delete"), "drift": self.drifted,
                        "kept": len(self.kept), "conflicts": len(self.conflicts), "unowned": len(self.unowned),
                        "foreign": len(self.foreign), "retained": len(self.retained)},
            "changes": [c.as_dict() for c in self.changes],
            "kept": [c.as_dict() for c in self.kept],
            "conflicts": [c.as_dict() for c in self.conflicts],
            "unowned": [f.as_dict() for f in self.unowned],
            "foreign": [f.as_dict() for f in self.foreign],
            "retained": [f.as_dict() for f in self.retained],
            "api_calls": dict(self.api_calls),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """The inverse of :meth:`as_dict` (for saved plans)."""
        if data.get("format_version") != PLAN_FORMAT_VERSION:
            raise ValueError(f"plan format {data.get('format_version')!r} is not {PLAN_FORMAT_VERSION}")
        options = data.get("options") or {}
        return cls(
            tuple(Change.from_dict(c) for c in data.get("changes", ())),
            tuple(Change.from_dict(c) for c in data.get("kept", ())),
            tuple(Conflict.from_dict(c) for c in data.get("conflicts", ())),
            {str(k): int(v) for k, v in (data.get("api_calls") or {}).items()},
            tuple(Conflict.from_dict(c) for c in data.get("unowned", ())),
            tuple(Conflict.from_dict(c) for c in data.get("foreign", ())),
            PlanOptions(bool(options.get("prune")), bool(options.get("adopt")),
                        bool(options.get("remove_foreign_memberships"))),
            tuple(str(n) for n in data.get("notes", ())),
            tuple(Conflict.from_dict(c) for c in data.get("retained", ())),
        )



def plan_json(plan: Plan) -> str:
    """The plan as JSON text (:meth:`Plan.as_dict`)."""
    return json.dumps(plan.as_dict(), indent=2, ensure_ascii=False) + "\n"
