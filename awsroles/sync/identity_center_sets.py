"""Pure: the permission sets of the Identity Center instance, desired against live: creates,
updates (re-provisioned when provisioned), adoption, expired temporary grants' sets deleted, the
revocation statements of ended sessions kept while needed. Part of
:mod:`awsroles.sync.identity_center`, whose docstring holds the contract.
"""

from __future__ import annotations

from dataclasses import replace

from awsroles.iam import compare
from awsroles.identity_center import names, revocations, temporary
from awsroles.identity_center.desired import PermissionSetSpec, settings_digest, spec_digest
from awsroles.identity_center.state import LivePermissionSet
from awsroles.org.temporary import format_time
from awsroles.sync.identity_center_base import PERMISSION_SET, PlannerBase
from awsroles.sync.ops import document_diff, grants_summary
from awsroles.sync.plan import Op


def _boundary(live: dict[str, object] | None) -> dict[str, object] | None:
    """A live boundary as the org's spelling of it: the managed ARN, or the reference with its path."""
    if not live:
        return None
    if live.get("ManagedPolicyArn"):
        return {"ManagedPolicyArn": live["ManagedPolicyArn"]}
    reference = live.get("CustomerManagedPolicyReference")
    if isinstance(reference, dict):
        return {"CustomerManagedPolicyReference": {"Name": reference.get("Name", ""),
                                                   "Path": reference.get("Path", "/") or "/"}}
    return None


class PermissionSetPlanner(PlannerBase):
    """The changes to the instance's permission sets."""

    def permission_sets(self) -> None:
        wanted = {p.name for p in self.spec.permission_sets}
        for spec in self.spec.permission_sets:
            live = self.live.permission_set(spec.name)
            if live is None:
                self.out.changes.append(self.change("create", PERMISSION_SET, spec.name, self.create_ops(spec),
                                                    self.create_details(spec)))
                continue
            owner = names.permission_set_owner(live.tags)
            if self.owner_problem(PERMISSION_SET, spec.name, owner, f"permission set {live.name}"):
                continue
            self.permission_set_update(spec, live, adopt=owner is None)
        for live in self.live.permission_sets:
            if names.permission_set_owner(live.tags) == self.org.name and live.name not in wanted \
                    and temporary.TAG in live.tags:
                self.out.changes.append(self.change(
                    "delete", PERMISSION_SET, live.name, [("delete_permission_set", {"PermissionSet": live.name})],
                    [self.temporary_ended(live.tags[temporary.TAG])]))
            elif names.permission_set_owner(live.tags) == self.org.name and live.name not in wanted:
                self.out.deletes.append(self.change(
                    "delete", PERMISSION_SET, live.name, [("delete_permission_set", {"PermissionSet": live.name})],
                    ["no longer in the org file"] + [f"provisioned to {self.account_label(a)}" for a in live.accounts]))

    def temporary_ended(self, grant_id: str) -> str:
        """Why a temporary grant's permission set goes: its grant expired, or its section is gone."""
        grant = temporary.grant_of(self.org, grant_id)
        if grant is not None:
            return f"temporary grant {grant_id} expired at {format_time(grant.until)}"
        return f"temporary grant {grant_id} ended (its [temporary] section is gone)"

    @staticmethod
    def create_ops(spec: PermissionSetSpec) -> list[Op]:
        create: dict[str, object] = {"Name": spec.name, "SessionDuration": spec.session_duration,
                                     "Tags": [{"Key": k, "Value": v} for k, v in spec.tags]}
        if spec.description:
            create["Description"] = spec.description
        ops: list[Op] = [("create_permission_set", create)]
        if spec.inline:
            ops.append(("put_inline_policy_to_permission_set",
                        {"PermissionSet": spec.name, "InlinePolicy": spec.inline}))
        ops += [("attach_managed_policy_to_permission_set", {"PermissionSet": spec.name, "ManagedPolicyArn": arn})
                for arn in spec.managed]
        ops += [("attach_customer_managed_policy_reference_to_permission_set",
                 {"PermissionSet": spec.name, "CustomerManagedPolicyReference": c.as_reference()})
                for c in spec.customer_managed]
        if spec.boundary is not None:
            ops.append(("put_permissions_boundary_to_permission_set",
                        {"PermissionSet": spec.name, "PermissionsBoundary": spec.boundary.as_param()}))
        return ops

    def create_details(self, spec: PermissionSetSpec) -> list[str]:
        grant = temporary.grant_of(self.org, spec.temporary) if spec.temporary else None
        details = [f"temporary grant {grant.id} until {format_time(grant.until)}"] if grant else []
        details += [f"session {spec.session_duration}", *(f"attach {arn}" for arn in spec.managed),
                   *(f"attach customer managed {c.path}{c.name}" for c in spec.customer_managed)]
        if spec.inline:
            details.append("inline policy")
        if spec.boundary is not None:
            details.append(f"boundary {spec.boundary}")
        return details

    def with_revocations(self, spec: PermissionSetSpec, live: LivePermissionSet) -> tuple[PermissionSetSpec, list[str]]:
        """``spec`` with the live revocation statements still needed (its digest with them), and the
        Sids of those no longer needed."""
        seconds = max(names.duration_seconds(live.session_duration), names.duration_seconds(spec.session_duration))
        keep = revocations.kept(live.inline, self.now, seconds)
        gone = revocations.expired(live.inline, self.now, seconds)
        if not keep:
            return spec, gone
        spec = replace(spec, inline=revocations.with_statements(spec.inline, keep))
        tags = tuple(sorted((*((k, v) for k, v in spec.tags if k != names.DIGEST_TAG),
                              (names.DIGEST_TAG, spec_digest(spec)))))
        return replace(spec, tags=tags), gone

    def permission_set_update(self, spec: PermissionSetSpec, live: LivePermissionSet, *, adopt: bool) -> None:
        spec, gone = self.with_revocations(spec, live)
        name = spec.name
        ops: list[Op] = []
        details: list[str] = []
        diffs: list[tuple[str, str]] = []
        if live.description != spec.description or live.session_duration != spec.session_duration:
            update: dict[str, object] = {"PermissionSet": name, "SessionDuration": spec.session_duration}
            if spec.description:
                update["Description"] = spec.description
            ops.append(("update_permission_set", update))
            if live.session_duration != spec.session_duration:
                details.append(f"session {live.session_duration or '(none)'} -> {spec.session_duration}")
            if live.description != spec.description:
                details.append("description")
        if spec.inline is None and live.inline is not None:
            ops.append(("delete_inline_policy_from_permission_set", {"PermissionSet": name}))
            details.append(f"remove inline policy (grants: {grants_summary(live.inline)})")
            details += [f"expired revocation {sid} (no session it ends can still be valid)" for sid in gone]
            diffs.append(document_diff("inline policy", live.inline, None))
        elif spec.inline is not None and (live.inline is None or not compare.same_document(live.inline, spec.inline)):
            ops.append(("put_inline_policy_to_permission_set", {"PermissionSet": name, "InlinePolicy": spec.inline}))
            details.append("change inline policy" if live.inline else "add inline policy")
            details += [f"expired revocation {sid} (no session it ends can still be valid)" for sid in gone]
            diffs.append(document_diff("inline policy", live.inline, spec.inline))
        for arn in sorted(set(spec.managed) - set(live.managed)):
            ops.append(("attach_managed_policy_to_permission_set", {"PermissionSet": name, "ManagedPolicyArn": arn}))
            details.append(f"attach {arn}")
        for arn in sorted(set(live.managed) - set(spec.managed)):
            ops.append(("detach_managed_policy_from_permission_set", {"PermissionSet": name, "ManagedPolicyArn": arn}))
            details.append(f"detach {arn}")
        want_customer = {(c.name, c.path) for c in spec.customer_managed}
        for policy, path in sorted(want_customer - set(live.customer_managed)):
            ops.append(("attach_customer_managed_policy_reference_to_permission_set",
                        {"PermissionSet": name, "CustomerManagedPolicyReference": {"Name": policy, "Path": path}}))
            details.append(f"attach customer managed {path}{policy}")
        for policy, path in sorted(set(live.customer_managed) - want_customer):
            ops.append(("detach_customer_managed_policy_reference_from_permission_set",
                        {"PermissionSet": name, "CustomerManagedPolicyReference": {"Name": policy, "Path": path}}))
            details.append(f"detach customer managed {path}{policy}")
        want_boundary = spec.boundary.as_param() if spec.boundary else None
        if want_boundary != _boundary(live.boundary):
            if want_boundary is None:
                ops.append(("delete_permissions_boundary_from_permission_set", {"PermissionSet": name}))
                details.append("remove boundary")
            else:
                ops.append(("put_permissions_boundary_to_permission_set",
                            {"PermissionSet": name, "PermissionsBoundary": want_boundary}))
                details.append(f"boundary {spec.boundary}")
        settings_changed = bool(ops)
        want_tags = dict(spec.tags)
        if any(live.tags.get(k) != v for k, v in want_tags.items()):
            ops.append(("tag_resource", {"PermissionSet": name, "Tags": [{"Key": k, "Value": v}
                                                                         for k, v in sorted(want_tags.items())]}))
            if adopt:
                details.insert(0, "mark as awsroles'")
        if settings_changed and live.accounts:
            ops.append(("provision_permission_set", {"PermissionSet": name}))
            details.append(f"provision again to {len(live.accounts)} account{'s' if len(live.accounts) != 1 else ''}")
        if not ops:
            return
        live_digest = settings_digest(live.description, live.session_duration, live.managed, live.customer_managed,
                                      live.inline, _boundary(live.boundary))
        drift = not adopt and settings_changed and live.tags.get(names.DIGEST_TAG) != live_digest
        self.out.changes.append(self.change("adopt" if adopt else "update", PERMISSION_SET, name, ops, details,
                                            drift=drift, diffs=diffs))
