"""Pure: what the org file wants in IAM Identity Center against what is live there -> changes.

The contract is IAM's (:mod:`awsroles.sync.planner`):

- **Ownership** by awsroles' marks (:mod:`awsroles.identity_center.names`): a user, group or
  permission set without the org's mark is never changed or deleted. One the org file names is a
  conflict (``--adopt`` marks it and manages it from then on; one marked by another org is never
  taken).
- **Drift**: a permission set whose settings no longer hash to its ``awsroles-digest`` tag was
  changed outside awsroles; members of awsroles' groups the file does not list, and account
  assignments of awsroles' permission sets the file does not grant, give access the file does not:
  they are removed by the next apply (marked drift), as IAM's extra trust statements are.
- **Re-provisioning**: a permission set that changes while it is provisioned to accounts is
  provisioned again (``provision_permission_set``: apply waits on its status).
- **Leftovers**: awsroles' users, groups and permission sets the file no longer declares are
  deleted with ``prune`` only (else kept), their assignments with them; except that a group the
  file still declares loses its assignment of a permission set no team holds any more at the next
  apply, without ``prune`` (a grant taken away ends now, as in IAM).
- **Ended sessions** (:mod:`awsroles.identity_center.revocations`): the revocation statements
  ``revoke --end-sessions`` wrote into a permission set's inline policy are kept while a session
  issued before their moment could still be valid (never drift), then left out.
- **Temporary grants** (:mod:`awsroles.identity_center.temporary`): a permission set tagged as a
  temporary grant's that is not desired any more (the grant has expired, or its section is gone)
  is deleted by the next apply without ``prune``, after its assignments (Identity Center refuses to
  delete a permission set still provisioned), as IAM's expired statements are removed.
- **Foreign**: awsroles' users in groups it does not own, and awsroles' groups assigned permission
  sets it does not own, are reported, never touched.

Every change is in the Identity Center account (``[org] identity_center_account``) and holds calls
that name users, groups and permission sets by name (``User``, ``Group``, ``PermissionSet``):
:class:`awsroles.identity_center.runner.IdentityCenterRunner` resolves them when it runs them, so a
saved plan stays valid for what it creates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from awsroles.identity_center import names, temporary
from awsroles.identity_center.desired import (
    GroupSpec,
    IdentityCenterSpec,
    UserSpec,
)
from awsroles.identity_center.state import LiveGroup, LiveIdentityCenter, LiveUser
from awsroles.org.model import Org
from awsroles.sync.identity_center_base import (
    ASSIGNMENT,
    GROUP,
    KINDS,
    PERMISSION_SET,
    USER,
    IdentityCenterPlan,
)
from awsroles.sync.identity_center_sets import PermissionSetPlanner
from awsroles.sync.plan import Op, PlanOptions


class _Planner(PermissionSetPlanner):
    """Users, groups and assignments; permission sets in :class:`PermissionSetPlanner`."""

    # users ------------------------------------------------------------------------------

    def users(self) -> None:
        wanted = {u.user_name.lower() for u in self.spec.users}
        for spec in self.spec.users:
            live = self.live.user(spec.user_name)
            if live is None:
                self.out.changes.append(self.change("create", USER, spec.user_name, [("create_user", spec.as_create())],
                                                    [f"display name {spec.display_name}", f"email {spec.email}"]))
                continue
            owner = names.user_owner(live.user_type)
            if self.owner_problem(USER, spec.user_name, owner, f"Identity Store user {live.user_name}"):
                continue
            operations, details = self.user_operations(spec, live)
            if owner is None:
                self.out.changes.append(self.change("adopt", USER, spec.user_name, [
                    ("update_user", {"User": spec.user_name, "Operations": operations})],
                    ["mark as awsroles'", *details]))
            elif operations:
                self.out.changes.append(self.change("update", USER, spec.user_name, [
                    ("update_user", {"User": spec.user_name, "Operations": operations})], details))
        for live in self.live.users:
            if names.user_owner(live.user_type) == self.org.name and live.user_name.lower() not in wanted:
                self.out.deletes.append(self.change("delete", USER, live.user_name,
                                                    [("delete_user", {"User": live.user_name})],
                                                    ["no longer in the org file"]))

    @staticmethod
    def user_operations(spec: UserSpec, live: LiveUser) -> tuple[list[dict[str, object]], list[str]]:
        operations: list[dict[str, object]] = []
        details: list[str] = []
        for path, want, have, what in (("displayName", spec.display_name, live.display_name, "display name"),
                                       ("name.givenName", spec.given_name, live.given_name, "given name"),
                                       ("name.familyName", spec.family_name, live.family_name, "family name"),
                                       ("userType", spec.user_type, live.user_type, "")):
            if want != have:
                operations.append({"AttributePath": path, "AttributeValue": want})
                if what:
                    details.append(f"{what}: {have or '(none)'} -> {want}")
        if spec.email and spec.email != live.email:
            operations.append({"AttributePath": "emails",
                               "AttributeValue": [{"Value": spec.email, "Type": "work", "Primary": True}]})
            details.append(f"email: {live.email or '(none)'} -> {spec.email}")
        return operations, details

    # groups -----------------------------------------------------------------------------

    def groups(self) -> None:
        wanted = {g.display_name.lower() for g in self.spec.groups}
        ours_users = {u.id for u in self.live.users if names.user_owner(u.user_type) == self.org.name}
        for spec in self.spec.groups:
            live = self.live.group(spec.display_name)
            if live is None:
                ops: list[Op] = [("create_group", {"DisplayName": spec.display_name, "Description": spec.description})]
                ops += [("create_group_membership", {"Group": spec.display_name, "User": m}) for m in spec.members]
                self.out.changes.append(self.change("create", GROUP, spec.display_name, ops,
                                                    [f"member {m}" for m in spec.members]))
                continue
            owner = names.group_owner(live.description)
            if self.owner_problem(GROUP, spec.display_name, owner, f"Identity Store group {live.display_name}"):
                continue
            self.group_update(spec, live, adopt=owner is None)
        for live in self.live.groups:
            owner = names.group_owner(live.description)
            if owner == self.org.name and live.display_name.lower() not in wanted:
                self.out.deletes.append(self.change("delete", GROUP, live.display_name,
                                                    [("delete_group", {"Group": live.display_name})],
                                                    ["no longer in the org file"]))
        for group_id, user_id in self.live.memberships:
            group = next((g for g in self.live.groups if g.id == group_id), None)
            if group is None or names.group_owner(group.description) == self.org.name or user_id not in ours_users:
                continue
            user = self.user_names.get(user_id, user_id)
            reason = f"awsroles' user {user} is a member of group {group.display_name}, which awsroles does not own"
            self.out.foreign.append(self.finding(GROUP, group.display_name, reason))
            if self.options.remove_foreign_memberships:
                self.out.changes.append(self.change("update", GROUP, group.display_name, [
                    ("delete_group_membership", {"Group": group.display_name, "User": user})],
                    [f"remove member {user} (--remove-foreign-memberships)"]))

    def group_update(self, spec: GroupSpec, live: LiveGroup, *, adopt: bool) -> None:
        ops: list[Op] = []
        details: list[str] = []
        drift = False
        if live.description != spec.description:
            ops.append(("update_group", {"Group": spec.display_name, "Operations": [
                {"AttributePath": "description", "AttributeValue": spec.description}]}))
            details.append("mark as awsroles'" if adopt else "description")
        members = {self.user_names.get(m, m).lower(): self.user_names.get(m, m) for m in live.members}
        for member in spec.members:
            if member.lower() not in members:
                ops.append(("create_group_membership", {"Group": spec.display_name, "User": member}))
                details.append(f"add member {member}")
        for key, member in sorted(members.items()):
            if key not in {m.lower() for m in spec.members}:
                ops.append(("delete_group_membership", {"Group": spec.display_name, "User": member}))
                details.append(f"remove member {member} (not in the org file)")
                drift = True
        if ops:
            self.out.changes.append(self.change("adopt" if adopt else "update", GROUP, spec.display_name, ops,
                                                details, drift=drift and not adopt))

    # assignments ------------------------------------------------------------------------

    def assignments(self) -> None:
        sets_ours = {p.arn for p in self.live.permission_sets if names.permission_set_owner(p.tags) == self.org.name}
        groups_ours = {g.id for g in self.live.groups if names.group_owner(g.description) == self.org.name}
        sets_temporary = {p.arn: p.tags[temporary.TAG] for p in self.live.permission_sets
                          if p.arn in sets_ours and temporary.TAG in p.tags}
        wanted = {(a.principal_type, a.group.lower(), a.permission_set, a.account_id) for a in self.spec.assignments}
        declared_sets = {p.name for p in self.spec.permission_sets}
        declared_groups = {g.display_name.lower() for g in self.spec.groups}
        seen: set[tuple[str, str, str, str]] = set()
        for live in self.live.assignments:
            set_name = self.set_names.get(live.permission_set_arn, live.permission_set_arn)
            principal = (self.group_names if live.principal_type == "GROUP" else self.user_names).get(
                live.principal_id, live.principal_id)
            key = (live.principal_type, principal.lower(), set_name, live.account_id)
            if key in wanted:
                seen.add(key)
                continue
            kind = "group" if live.principal_type == "GROUP" else "user"
            label = f"{principal} -> {set_name} in {self.accounts.get(live.account_id, live.account_id)}"
            if live.permission_set_arn not in sets_ours:
                if live.principal_id in groups_ours:
                    self.out.foreign.append(self.finding(
                        ASSIGNMENT, label, f"awsroles' group {principal} is assigned permission set {set_name}, "
                        f"which awsroles does not own, in {self.account_label(live.account_id)}"))
                continue
            params = {"PermissionSet": set_name, "TargetId": live.account_id,
                      "PrincipalType": live.principal_type, "PrincipalId": live.principal_id}
            change = self.change("delete", ASSIGNMENT, label, [("delete_account_assignment", params)],
                                 [f"{kind} {principal} in {self.account_label(live.account_id)}"])
            if set_name not in declared_sets and live.permission_set_arn in sets_temporary:
                ended = self.temporary_ended(sets_temporary[live.permission_set_arn])
                self.out.changes.append(replace(change, details=(*change.details, ended)))  # before its set
            elif set_name not in declared_sets and not (live.principal_type == "GROUP"
                                                        and principal.lower() in declared_groups):
                self.out.deletes.append(change)  # a leftover group's: goes with its set or group (prune)
            elif set_name not in declared_sets:
                # A team the file still declares, of a role no team holds now: the grant is taken
                # away now, as IAM's group statement is; the permission set waits for prune.
                self.out.changes.append(change)
            elif live.principal_id in groups_ours:
                self.out.changes.append(change)  # a grant the org file no longer makes
            else:
                self.out.changes.append(replace(change, drift=True, details=(
                    f"{kind} {principal} in {self.account_label(live.account_id)}: not granted by the org file",)))
        for spec in self.spec.assignments:
            key = (spec.principal_type, spec.group.lower(), spec.permission_set, spec.account_id)
            kind, principal = (GROUP, "Group") if spec.principal_type == "GROUP" else (USER, "User")
            blocked = (kind, spec.group) in self.blocked or (PERMISSION_SET, spec.permission_set) in self.blocked
            if key in seen or blocked:
                continue
            self.out.changes.append(self.change("create", ASSIGNMENT, spec.label, [
                ("create_account_assignment", {"PermissionSet": spec.permission_set, principal: spec.group,
                                               "TargetId": spec.account_id})],
                [f"{principal.lower()} {spec.group} may use {spec.permission_set} in "
                 f"{self.account_label(spec.account_id)}"]))

    def plan(self) -> IdentityCenterPlan:
        self.users()
        self.groups()
        self.permission_sets()
        self.assignments()
        order = {kind: n for n, kind in enumerate(KINDS)}
        self.out.changes.sort(key=lambda c: (c.action == "delete", order[c.kind] * (-1 if c.action == "delete" else 1)))
        self.out.deletes.sort(key=lambda c: -order[c.kind])
        return self.out


def plan_identity_center(org: Org, spec: IdentityCenterSpec, live: LiveIdentityCenter,
                         options: PlanOptions, now: datetime | None = None) -> IdentityCenterPlan:
    """The changes that bring the Identity Center instance in line with ``spec`` (see the module);
    ``now`` (default: the current time) decides which revocations of sessions have expired."""
    return _Planner(org, spec, live, options, now or datetime.now(timezone.utc)).plan()
