"""Pure: the groups and users of one account, desired against live (the ops account's people).

Part of :class:`awsroles.sync.planner._AccountPlanner`, which adds managed policies and roles;
see :mod:`awsroles.sync.planner` for the kinds of change and what counts as drift.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from awsroles.iam.desired import DIGEST_TAG, GROUP_MARKER_POLICY, UserSpec, user_digest
from awsroles.org.marks import TEAM_POLICY_NAME, USER_POLICY_NAMES
from awsroles.sync.ops import attachment_ops, boundary_change, grants_summary, inline_policy_ops, tag_list, tagging_ops
from awsroles.sync.ownership import AccountOwnership
from awsroles.sync.plan import REQUIRE_NO_CREDENTIALS, Conflict, Finding, Op
from awsroles.sync.policyrefs import missing_user_policies
from awsroles.sync.state import LiveGroup, LiveUser

NAME_PARAM = {"user": "UserName", "group": "GroupName", "role": "RoleName"}


class PeoplePlanner(AccountOwnership):
    """The changes to an account's groups and users."""

    def groups_(self) -> None:
        for spec in self.spec.groups:
            live = self.lookup("group", spec.name, self.groups, self.live.groups)
            if live is False:
                continue
            self.usable_groups.add(spec.name)
            inline = {p.name: p.document for p in spec.inline}
            if self.refused_policies & set(spec.managed):  # its name is someone else's: never attach that
                attached = set(live.managed) if live is not None else set()  # nor detached: the conflict says
                spec = replace(spec, managed=tuple(a for a in spec.managed
                                                   if a not in self.refused_policies or a in attached))
            if live is None:
                ops: list[Op] = [("create_group", {"GroupName": spec.name, "Path": spec.path})]
                # The marker first, so that a group stopped part-way is empty or marked.
                marker = {k: v for k, v in inline.items() if k == GROUP_MARKER_POLICY}
                rest = {k: v for k, v in inline.items() if k != GROUP_MARKER_POLICY}
                ops += inline_policy_ops("group", "GroupName", spec.name, {}, marker)[0]
                ops += inline_policy_ops("group", "GroupName", spec.name, {}, rest)[0]
                ops += attachment_ops("group", "GroupName", spec.name, (), spec.managed)[0]
                self.change("create", "group", spec.name, ops)
                continue
            move_ops, move_details = self.move("group", spec.name, live.path, spec.path)
            inline_ops, details, diffs = inline_policy_ops("group", "GroupName", spec.name, live.inline, inline)
            attach_ops, attach_details = attachment_ops("group", "GroupName", spec.name, live.managed, spec.managed,
                                                     self.describe)
            ours = {GROUP_MARKER_POLICY, TEAM_POLICY_NAME}
            drift = bool(set(live.inline) - ours) or bool(set(live.managed) - set(spec.managed))
            if move_ops or inline_ops or attach_ops:
                # What grants comes before what it replaces goes (a team moving between its inline and
                # managed forms keeps its roles throughout): attach, put, then delete, detach.
                adding = [op for op in attach_ops if op[0].startswith("attach_")]
                putting = [op for op in inline_ops if op[0].startswith("put_")]
                ordered = adding + putting + [op for op in inline_ops if op not in putting] + \
                    [op for op in attach_ops if op not in adding]
                self.change("update", "group", spec.name, ordered + move_ops,
                            details + attach_details + move_details, diffs, drift)


    def move(self, kind: str, name: str, live_path: str, path: str) -> tuple[list[Op], list[str]]:
        """The UpdateUser/UpdateGroup that moves a user or group the org file moves (``move_from``)
        from ``live_path`` to ``path``: keeps its name, members or memberships, keys, password and MFA;
        its ARN changes."""
        if live_path == path:
            return [], []
        arn = f"arn:{self.org.partition}:iam::{self.account.id}:{kind}{path}{name}"
        return ([(f"update_{kind}", {NAME_PARAM[kind]: name, "NewPath": path})],
                [f"move from {live_path} to {path} (same {kind}, now {arn})"])


    def delete_group(self, live: LiveGroup) -> None:
        strangers = [u for u in live.members if u not in self.users]
        if strangers:
            self.delete_conflicts.append(Conflict(
                self.account.name, self.account.id, "group", live.name,
                f"left the org file but has members awsroles does not manage ({', '.join(strangers)}); awsroles "
                "never changes them: remove them from the group first"))
            return
        ops: list[Op] = [("remove_user_from_group", {"GroupName": live.name, "UserName": u}) for u in live.members]
        # The marker goes last, so an interrupted delete leaves a group awsroles still owns.
        inline = sorted(live.inline, key=lambda p: (p == GROUP_MARKER_POLICY, p))
        ops += [("detach_group_policy", {"GroupName": live.name, "PolicyArn": a}) for a in live.managed]
        ops += [("delete_group_policy", {"GroupName": live.name, "PolicyName": p}) for p in inline]
        ops.append(("delete_group", {"GroupName": live.name}))
        self.change("delete", "group", live.name, ops)


    def users_(self) -> None:
        for spec in self.spec.users:
            live = self.lookup("user", spec.name, self.users, self.live.users)
            if live is False:
                continue
            missing = missing_user_policies(self.org.partition, self.account, spec, self.live, self.spec)
            if missing:
                self.conflict("user", spec.name, "; ".join(missing))
                continue
            if live is None:
                params: dict[str, Any] = {"UserName": spec.name, "Path": spec.path, "Tags": tag_list(spec.tags)}
                if spec.boundary:  # with the user, so that it never exists without its boundary
                    params["PermissionsBoundary"] = spec.boundary
                ops: list[Op] = [("create_user", params)]
                ops += [("add_user_to_group", {"GroupName": g, "UserName": spec.name}) for g in spec.groups
                        if g in self.usable_groups or g in self.groups]
                inline = {p.name: p.document for p in spec.inline}
                ops += inline_policy_ops("user", "UserName", spec.name, {}, inline)[0]
                self.change("create", "user", spec.name, ops)
                continue
            self.update_user(spec, live)


    def group_grants(self, name: str) -> str:
        group = self.live.groups.get(name) or self.live.other_groups.get(name)
        if group is None:
            return "unknown"
        parts = [f"attached {arn} ({self.describe(arn)})" for arn in group.managed]
        parts += [f"inline {p} ({grants_summary(d)})" for p, d in sorted(group.inline.items())]
        return "; ".join(parts) or "nothing"


    def update_user(self, spec: UserSpec, live: LiveUser) -> None:
        declared = {g.name for g in self.spec.groups}
        managed_groups = set(self.groups) | (declared & self.usable_groups)
        current = tuple(g for g in live.groups if g in managed_groups)
        # A declared group in conflict is reported already; it is neither joined nor called foreign.
        foreign = [g for g in live.groups if g not in managed_groups and g not in declared]
        # A boundary to set goes first, before the user joins any group; one to remove goes last.
        boundary_ops, details = boundary_change(spec.name, live.boundary, spec.boundary, "user")
        ops: list[Op] = [op for op in boundary_ops if op[0].startswith("put_")]
        last: list[Op] = [op for op in boundary_ops if op[0].startswith("delete_")]
        drift = False
        for group in sorted(set(spec.groups) - set(current) - (declared - managed_groups)):
            ops.append(("add_user_to_group", {"GroupName": group, "UserName": spec.name}))
            details.append(f"join {group}")
        for group in sorted(set(current) - set(spec.groups)):
            ops.append(("remove_user_from_group", {"GroupName": group, "UserName": spec.name}))
            details.append(f"leave {group}")
        for group in sorted(foreign):
            grants = self.group_grants(group)
            if self.options.remove_foreign_memberships:
                ops.append(("remove_user_from_group", {"GroupName": group, "UserName": spec.name}))
                details.append(f"leave {group}, a group awsroles does not manage (grants: {grants})")
                drift = True
            else:
                self.foreign.append(Finding(
                    self.account.name, self.account.id, "user", spec.name,
                    f"member of {group}, a group awsroles does not manage, which grants: {grants} "
                    "(`apply --remove-foreign-memberships` takes the user out)"))
        # awsroles never gives a user a policy of their own, but for its temporary grants'
        # (awsroles-temporary) and break-glass: any other is drift. A boundary other than the org
        # file's is drift when the user's digest says it was changed by hand, or, on a user without
        # a digest (adopted), when the org file gives none or another.
        attach_ops, attach_details = attachment_ops("user", "UserName", spec.name, live.managed, (), self.describe)
        inline_ops, inline_details, inline_diffs = inline_policy_ops(
            "user", "UserName", spec.name, live.inline, {p.name: p.document for p in spec.inline})
        drift = drift or bool(attach_ops or set(live.inline) - set(USER_POLICY_NAMES))
        tag_ops, tag_details = tagging_ops("user", "UserName", spec.name, live.tags, spec.tags)
        move_ops, move_details = self.move("user", spec.name, live.path, spec.path)
        ops += attach_ops + inline_ops + tag_ops + move_ops + last
        tag_details += move_details
        if not ops:
            return
        digest = live.tags.get(DIGEST_TAG)
        if digest is None:
            drift = drift or bool(live.boundary and live.boundary != spec.boundary)
        else:
            drift = drift or digest != user_digest(live.path, current, live.tags, live.boundary)
        self.change("update", "user", spec.name, ops, details + attach_details + inline_details + tag_details,
                    inline_diffs, drift)


    def delete_user(self, live: LiveUser) -> None:
        ops: list[Op] = [(REQUIRE_NO_CREDENTIALS, {"UserName": live.name})]
        ops += [("remove_user_from_group", {"GroupName": g, "UserName": live.name}) for g in live.groups]
        if live.boundary:
            ops.append(("delete_user_permissions_boundary", {"UserName": live.name}))
        ops += [("delete_user_policy", {"UserName": live.name, "PolicyName": p}) for p in sorted(live.inline)]
        ops += [("detach_user_policy", {"UserName": live.name, "PolicyArn": a}) for a in live.managed]
        ops.append(("delete_user", {"UserName": live.name}))
        self.change("delete", "user", live.name, ops)
