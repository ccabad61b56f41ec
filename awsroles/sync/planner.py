"""Pure: desired state vs live state -> a :class:`~awsroles.sync.plan.Plan`: ordered changes with their IAM calls.

The plan decides everything; :mod:`awsroles.sync.apply` only executes the operations in order. Every
operation is idempotent or tolerated when repeated (see ``apply.BENIGN``), so a re-run after a
partial apply converges.

Kinds of change: ``create``, ``update``, ``adopt`` (``--adopt``: put awsroles' mark on a resource
at the org's path that the org file declares, then reconcile it) and ``delete``. An update is
marked ``drift`` when the live resource was changed outside awsroles: its settings no longer hash
to the digest tag awsroles wrote, or it holds power awsroles never gives (a policy attached to a
user, an inline policy, a permissions boundary, an extra policy on a group). Deletes of owned
resources that left the org file happen only with ``prune``; otherwise they are ``kept``
(leftovers). A desired name already taken by a resource awsroles does not own (another path, no
mark, or the same name in another case: IAM names are case-insensitive) is a ``Conflict``: the
plan never touches it. Resources at the path without the mark are listed as ``unowned``; managed
users' memberships in groups awsroles does not own are listed as ``foreign`` (with what those
groups grant) and removed only with ``remove_foreign_memberships``.

A plan is *in sync* only when it has no change, leftover, conflict or foreign membership (unowned
resources are listed but do not count): that is the contract of ``plan --detailed-exitcode``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from awsroles.budgets.desired import desired_budgets
from awsroles.iam import compare, revocations
from awsroles.iam.desired import (
    DIGEST_TAG,
    AccountSpec,
    RoleSpec,
    role_digest,
)
from awsroles.org.durations import format_duration
from awsroles.org.entries import Account
from awsroles.org.model import Org
from awsroles.sync.alarms import plan_alarms
from awsroles.sync.budgets import plan_budgets
from awsroles.sync.ops import (
    attachment_ops,
    boundary_change,
    document_diff,
    inline_policy_ops,
    tag_list,
    tagging_ops,
)
from awsroles.sync.ownership import MARK
from awsroles.sync.plan import Change, Conflict, Finding, Op, Plan, PlanOptions
from awsroles.sync.planner_people import NAME_PARAM, PeoplePlanner
from awsroles.sync.policyrefs import missing_policies
from awsroles.sync.state import LiveAccount, LivePolicy, LiveRole

MAX_POLICY_VERSIONS = 5  # IAM keeps at most 5 versions of a managed policy


# -- per account -------------------------------------------------------------------------------


class _AccountPlanner(PeoplePlanner):
    """The changes one account needs: each kind of resource, desired against live."""

    now: datetime = datetime.min.replace(tzinfo=timezone.utc)  # set by make_plan: when revocations expire

    # managed policies ---------------------------------------------------------------------

    def policies(self) -> None:
        for spec in self.spec.policies:
            live = self.lookup("policy", spec.name, self.policies_, self.live.policies)
            if live is False:  # a conflict: and no group of ours is ever attached what holds the name
                self.refused_policies.add(f"arn:{self.org.partition}:iam::{self.account.id}:policy{spec.path}{spec.name}")
                continue
            if live is None:
                self.change("create", "policy", spec.name, [("create_policy", {
                    "PolicyName": spec.name, "Path": spec.path, "PolicyDocument": spec.document,
                    "Description": spec.description, "Tags": tag_list(spec.tags)})])
                continue
            ops: list[Op] = []
            details: list[str] = []
            diffs: list[tuple[str, str]] = []
            if not compare.same_document(live.document, spec.document):
                if len(live.versions) + 1 >= MAX_POLICY_VERSIONS:
                    ops.append(("delete_policy_version", {"PolicyArn": live.arn, "VersionId": live.versions[0]}))
                ops.append(("create_policy_version", {"PolicyArn": live.arn, "PolicyDocument": spec.document,
                                                      "SetAsDefault": True}))
                details.append("new default version")
                diffs.append(document_diff("policy document", live.document, spec.document))
            missing = {k: v for k, v in spec.tags if live.tags.get(k) != v}
            if missing:
                ops.append(("tag_policy", {"PolicyArn": live.arn, "Tags": tag_list(tuple(sorted(missing.items())))}))
                details.extend(f"tag {k}" for k in sorted(missing))
            if ops:
                self.change("update", "policy", spec.name, ops, details, diffs)

    def delete_policy(self, live: LivePolicy) -> None:
        foreign = [f"{kind} {name}" for kind, name in live.attached_to if not self._owned(kind, name)]
        if foreign:
            self.delete_conflicts.append(Conflict(self.account.name, self.account.id, "policy", live.name,
                                                  f"left the org file but is attached to {', '.join(foreign)}, "
                                                  "which awsroles does not manage; detach it there first"))
            return
        ops: list[Op] = [(f"detach_{kind}_policy", {NAME_PARAM[kind]: name, "PolicyArn": live.arn})
                         for kind, name in live.attached_to]
        ops += [("delete_policy_version", {"PolicyArn": live.arn, "VersionId": v}) for v in live.versions]
        ops.append(("delete_policy", {"PolicyArn": live.arn}))
        self.change("delete", "policy", live.name, ops)

    # roles ---------------------------------------------------------------------------------

    def roles_(self) -> None:
        for spec in self.spec.roles:
            live = self.lookup("role", spec.name, self.roles, self.live.roles)
            if live is False:
                continue
            missing = missing_policies(self.org.partition, self.account, spec, self.live, self.spec)
            if missing:
                self.conflict("role", spec.name, "; ".join(missing))
                continue
            inline = {p.name: p.document for p in spec.inline}
            if live is None:
                params: dict[str, Any] = {
                    "RoleName": spec.name, "Path": spec.path, "AssumeRolePolicyDocument": spec.trust_policy,
                    "MaxSessionDuration": spec.max_session, "Tags": tag_list(spec.tags)}
                if spec.description:
                    params["Description"] = spec.description
                if spec.boundary:  # with the role, so that it never exists without its boundary
                    params["PermissionsBoundary"] = spec.boundary
                ops: list[Op] = [("create_role", params)]
                ops += attachment_ops("role", "RoleName", spec.name, (), spec.managed)[0]
                ops += inline_policy_ops("role", "RoleName", spec.name, {}, inline)[0]
                self.change("create", "role", spec.name, ops)
                continue
            self.update_role(spec, live, inline)

    def update_role(self, spec: RoleSpec, live: LiveRole, inline: dict[str, str]) -> None:
        ops: list[Op] = []
        details: list[str] = []
        diffs: list[tuple[str, str]] = []
        if not compare.same_document(live.trust_policy, spec.trust_policy):
            ops.append(("update_assume_role_policy", {"RoleName": spec.name, "PolicyDocument": spec.trust_policy}))
            details.append("trust policy")
            diffs.append(document_diff("trust policy", live.trust_policy, spec.trust_policy))
        if live.max_session != spec.max_session or live.description != spec.description:
            ops.append(("update_role", {"RoleName": spec.name, "MaxSessionDuration": spec.max_session,
                                        "Description": spec.description}))
            if live.max_session != spec.max_session:
                details.append(f"max_session {format_duration(live.max_session)} -> "
                               f"{format_duration(spec.max_session)}")
            if live.description != spec.description:
                details.append(f"description {live.description!r} -> {spec.description!r}")
        boundary_ops, boundary_details = boundary_change(spec.name, live.boundary, spec.boundary)
        ops += boundary_ops
        details += boundary_details
        attach_ops, attach_details = attachment_ops("role", "RoleName", spec.name, live.managed, spec.managed,
                                                 self.describe)
        # awsroles' revoked-sessions policy lives in IAM only: reconciled on its own, never drift.
        own = {k: v for k, v in live.inline.items() if k != revocations.POLICY_NAME}
        inline_ops, inline_details, inline_diffs = inline_policy_ops("role", "RoleName", spec.name, own, inline)
        revoked_ops, revoked_details, revoked_diffs = self.revoked_sessions(spec.name, live)
        tag_ops, tag_details = tagging_ops("role", "RoleName", spec.name, live.tags, spec.tags)
        ops += attach_ops + inline_ops + revoked_ops + tag_ops
        if not ops:
            return
        inline_details += revoked_details
        inline_diffs += revoked_diffs
        live_digest = role_digest(live.path, live.trust_policy, live.max_session, live.description, live.managed,
                                  own, live.boundary)
        # Without awsroles' digest (a role adopted, or made before digests), a boundary the org file
        # does not give is drift all the same.
        digest = live.tags.get(DIGEST_TAG)
        drift = digest != live_digest if digest is not None else bool(live.boundary and not spec.boundary)
        self.change("update", "role", spec.name, ops, details + attach_details + inline_details + tag_details,
                    diffs + inline_diffs, drift)

    def revoked_sessions(self, role: str, live: LiveRole) -> tuple[list[Op], list[str], list[tuple[str, str]]]:
        """Keep the revocations whose sessions may still be live (``T`` + the role's max_session in
        the future), remove the expired ones, delete the policy once empty, and put back one
        changed by hand (see :mod:`awsroles.iam.revocations`)."""
        current = live.inline.get(revocations.POLICY_NAME)
        if current is None:
            return [], [], []
        found = revocations.reconcile(current, now=self.now, max_session=live.max_session)
        if not found.expired and not found.put_back:
            return [], [], []
        name = revocations.POLICY_NAME
        words = []
        if found.expired:
            words.append("expired revocation" + ("s" if len(found.expired) > 1 else "") + " " + ", ".join(
                f"{r.issued_before} ({', '.join(r.people)})" for r in found.expired))
        if found.put_back:
            words.append("statements not awsroles' removed")
        diffs = [document_diff(f"inline policy {name}", current, found.document)]
        if found.document is None:
            return ([("delete_role_policy", {"RoleName": role, "PolicyName": name})],
                    [f"remove inline policy {name}: {'; '.join(words)}"], diffs)
        return ([("put_role_policy", {"RoleName": role, "PolicyName": name, "PolicyDocument": found.document})],
                [f"change inline policy {name}: {'; '.join(words)}"], diffs)

    def delete_role(self, live: LiveRole, why: str = "") -> None:
        ops: list[Op] = [("remove_role_from_instance_profile", {"InstanceProfileName": p, "RoleName": live.name})
                         for p in live.instance_profiles]
        if live.boundary:
            ops.append(("delete_role_permissions_boundary", {"RoleName": live.name}))
        ops += [("delete_role_policy", {"RoleName": live.name, "PolicyName": p}) for p in sorted(live.inline)]
        ops += [("detach_role_policy", {"RoleName": live.name, "PolicyArn": a}) for a in live.managed]
        ops.append(("delete_role", {"RoleName": live.name}))
        self.change("delete", "role", live.name, ops, [why] if why else None)

    def replaced_roles_(self) -> None:
        """Hand-made roles the org file's roles replace (``replaces``: left as they are, still granted)
        or retire (``retires``: deleted once awsroles' or with ``--adopt``; never one in an instance
        profile, which an application uses)."""
        for old, (path, role, retire) in sorted(self.org.replaced_roles().items()):
            live = self.live.roles.get(old)
            if live is None or live.path != path or not retire:
                continue
            if live.instance_profiles:
                self.conflict("role", old, f"retired by role {role}, but it is in instance profile(s) "
                                           f"{', '.join(live.instance_profiles)}: an application's role too, which "
                                           "awsroles never deletes; take it out of them first, or remove the retires "
                                           "line")
                continue
            if not live.owned:
                if not self.options.adopt:
                    self.conflict("role", old, f"retired by role {role}, but at {path} without {MARK['role']}: "
                                               "awsroles does not own it and never deletes it unasked; `awsroles apply "
                                               "--adopt` deletes it")
                    continue
                self.adopted.add(("role", old))
            self.delete_role(live, f"retired: role {role} replaces it")
            self.retired.append(self.deletes.pop())  # asked for by the org file: not a prune

    # all -------------------------------------------------------------------------------------

    def run(self) -> None:
        self.policies()
        self.groups_()
        self.roles_()
        self.replaced_roles_()
        self.users_()
        replaced = {old.lower() for old in self.org.replaced_roles()}
        wanted = {kind: {s.name.lower() for s in specs} for kind, specs in (
            ("user", self.spec.users), ("role", self.spec.roles), ("group", self.spec.groups),
            ("policy", self.spec.policies))}
        # A name the org file wants in another case is a conflict (reported above), never a delete.
        for name in sorted(n for n in self.users if n.lower() not in wanted["user"]):
            self.delete_user(self.users[name])
        for name in sorted(n for n in self.roles if n.lower() not in wanted["role"] | replaced):
            self.delete_role(self.roles[name])
        for name in sorted(n for n in self.groups if n.lower() not in wanted["group"]):
            self.delete_group(self.groups[name])
        for name in sorted(n for n in self.policies_ if n.lower() not in wanted["policy"]):
            self.delete_policy(self.policies_[name])
        at_path: list[tuple[str, Mapping[str, Any]]] = [("role", self.live.roles), ("group", self.live.groups),
                                                         ("user", self.live.users), ("policy", self.live.policies)]
        for kind, items in at_path:
            for name, item in sorted(items.items()):
                if not item.owned and (kind, name) not in self.adopted and not (kind == "role"
                                                                               and name.lower() in replaced):
                    self.unowned.append(Finding(
                        self.account.name, self.account.id, kind, name,
                        f"at the awsroles path {item.path} without {MARK[kind]}: not awsroles', never changed or "
                        "deleted"))


def accounts_to_read(org: Org) -> list[Account]:
    """The accounts awsroles may manage something in: ops and every environment account. None
    while the ops account is still to be created (every role trusts it); never an account that is."""
    if org.ops.pending:
        return []
    return [a for a in org.accounts if (a.name == org.ops_account or a.environment) and not a.pending]


def make_plan(org: Org, specs: tuple[AccountSpec, ...], live: Mapping[str, LiveAccount], *,
              prune: bool = False, options: PlanOptions | None = None, now: datetime | None = None) -> Plan:
    """The ordered plan: per account (file order), creates and updates (policies, groups, roles,
    users), then deletes in reverse dependency order (users, roles, groups, policies); in the
    billing account, when its budgets were read (``LiveAccount.budgets``), then its budgets. ``now``
    (default: the clock) decides which revocations of live sessions have expired."""
    options = options or PlanOptions(prune=prune)
    now = now or datetime.now(timezone.utc)
    by_name = {s.account.name: s for s in specs}
    changes: list[Change] = []
    kept: list[Change] = []
    conflicts: list[Conflict] = []
    unowned: list[Finding] = []
    foreign: list[Finding] = []
    notes: list[str] = []
    iam_accounts = {a.name for a in accounts_to_read(org)}
    budgets = desired_budgets(org)
    for account in org.accounts:
        if account.name not in live:
            continue
        if account.name in iam_accounts:
            planner = _AccountPlanner(org, account, by_name.get(account.name, AccountSpec(account)),
                                      live[account.name], options)
            planner.now = now
            planner.run()
            changes.extend(planner.changes)
            changes.extend(planner.retired)
            alarms = live[account.name].alarms
            if alarms is not None:  # after IAM's writes; its deletes before IAM's (the role last, see Engine.read)
                planned_alarms = plan_alarms(org, account, alarms)
                changes.extend(planned_alarms.changes)
                (changes if options.prune else kept).extend(planned_alarms.deletes)
                conflicts.extend(planned_alarms.conflicts)
                unowned.extend(planned_alarms.unowned)
            (changes if options.prune else kept).extend(planner.deletes)
            conflicts.extend(planner.conflicts)
            if options.prune:
                conflicts.extend(planner.delete_conflicts)
            unowned.extend(planner.unowned)
            foreign.extend(planner.foreign)
        live_budgets = live[account.name].budgets
        if live_budgets is not None and live_budgets.unread and account.name == org.billing_account:
            notes.append(f"budgets not read in {account.name} ({live_budgets.unread}): the org file declares none, "
                         "so none are planned; budgets awsroles made earlier are not listed as leftovers")
        elif live_budgets is not None and account.name == org.billing_account:
            planned = plan_budgets(org, account, budgets, live_budgets, options)
            changes.extend(planned.changes)
            (changes if options.prune else kept).extend(planned.deletes)
            conflicts.extend(planned.conflicts)
            unowned.extend(planned.unowned)
    calls = {name: state.api_calls for name, state in live.items()}
    return Plan(tuple(changes), tuple(kept), tuple(conflicts), calls, tuple(unowned), tuple(foreign), options,
                tuple(notes))

