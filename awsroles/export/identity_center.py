"""Pure: the org model -> the Terraform resources of what ``apply`` makes in IAM Identity Center.

Everything comes from :func:`awsroles.identity_center.desired.desired_identity_center`, so the export
and the plan cannot disagree. In the Identity Center account's file (the org's
``identity_center_home``, through a provider in ``identity_center_region_name``), for an org file
that uses the backend (:attr:`~awsroles.org.model.Org.uses_identity_center`):

- ``data "aws_ssoadmin_instances"``: the instance (it exists before awsroles or terraform manage it),
  read into two locals, its ARN and its identity store's id;
- ``aws_identitystore_user`` for every user: user name, display name, given and family names, the
  e-mail (primary, type ``work``) and ``user_type`` = awsroles' mark (``awsroles:ORG``);
- ``aws_identitystore_group`` for every team (``team-NAME``, its description starting with the mark
  ``[awsroles:ORG]``) and an ``aws_identitystore_group_membership`` per member;
- ``aws_ssoadmin_permission_set`` for every role granted somewhere (name, description, session
  duration, the tags ``managed-by`` and ``awsroles-org``), with ``aws_ssoadmin_managed_policy_attachment``
  per AWS managed policy, ``aws_ssoadmin_customer_managed_policy_attachment`` per customer managed
  policy reference, ``aws_ssoadmin_permission_set_inline_policy`` (the role's policy files merged into
  one document, read with ``file()`` from ``policies/<account>/permission-sets/<name>.json``) and
  ``aws_ssoadmin_permissions_boundary_attachment`` when the role has a boundary;
- ``aws_ssoadmin_account_assignment`` for every grant: the team's group (``principal_type = "GROUP"``)
  given the role's permission set in the environment's account (``target_type = "AWS_ACCOUNT"``),
  and for every temporary grant not expired at the moment of the export its own permission set
  (:mod:`awsroles.identity_center.temporary`: the role's policies and the Deny outside its window,
  tagged ``awsroles-temporary``) assigned to the team's group or to the user (``"USER"``),
  with ``depends_on`` its permission set's policy attachments: terraform then provisions a
  permission set to an account once it holds its policies, and on destroy removes the assignments
  before the policies, so that no re-provisioning races an assignment being deleted (the
  provisioning failure "Assignment not found" of aws-samples/terraform-aws-identity-center#19).

Local names are those of the org file made into identifiers: users by name, groups by display
name, memberships ``<group>_<user>``, permission sets by name (their inline policy and boundary
too), attachments ``<set>_<policy>``, assignments ``<group>_<set>_<account>``; a clash gets
``_2``, ``_3``... in this fixed order.
"""

from __future__ import annotations

from typing import Any

from awsroles.export import hcl
from awsroles.identity_center.desired import Boundary, CustomerPolicy, PermissionSetSpec, desired_identity_center
from awsroles.org.model import Org

INSTANCES_DATA = "aws_ssoadmin_instances"
INSTANCES = "identity_center"
INSTANCE_ARN_LOCAL = "identity_center_instance_arn"
IDENTITY_STORE_LOCAL = "identity_store_id"
INSTANCE_ARN = hcl.Expr(f"local.{INSTANCE_ARN_LOCAL}")
IDENTITY_STORE_ID = hcl.Expr(f"local.{IDENTITY_STORE_LOCAL}")

USER = "aws_identitystore_user"
GROUP = "aws_identitystore_group"
MEMBERSHIP = "aws_identitystore_group_membership"
PERMISSION_SET = "aws_ssoadmin_permission_set"
MANAGED_ATTACHMENT = "aws_ssoadmin_managed_policy_attachment"
CUSTOMER_ATTACHMENT = "aws_ssoadmin_customer_managed_policy_attachment"
INLINE_POLICY = "aws_ssoadmin_permission_set_inline_policy"
BOUNDARY_ATTACHMENT = "aws_ssoadmin_permissions_boundary_attachment"
ASSIGNMENT = "aws_ssoadmin_account_assignment"
EMAIL_TYPE = "work"


def permission_set_path(org: Org, name: str) -> str:
    """Where a permission set's inline policy goes, relative to the export's ``policies/``."""
    return f"{org.identity_center_home.name}/permission-sets/{name}.json"


def permission_set_files(org: Org) -> dict[str, str]:
    """Every permission set's inline policy (as apply sends it), keyed as :func:`permission_set_path`."""
    return {permission_set_path(org, s.name): s.inline
            for s in desired_identity_center(org).permission_sets if s.inline is not None}


def identity_center_index(org: Org) -> dict[str, Any] | None:
    """The ``identity_center`` entry of ``index.json``: every resource apply makes in Identity Center,
    with its settings (None when the org does not use it)."""
    if not org.uses_identity_center:
        return None
    spec = desired_identity_center(org)
    home = org.identity_center_home
    return {
        "account": home.name, "id": home.id, "region": org.identity_center_region_name,
        "users": [{"user_name": u.user_name, "display_name": u.display_name, "given_name": u.given_name,
                   "family_name": u.family_name, "email": u.email, "user_type": u.user_type} for u in spec.users],
        "groups": [{"display_name": g.display_name, "description": g.description, "members": list(g.members)}
                   for g in spec.groups],
        "permission_sets": [{
            "name": s.name, "description": s.description, "session_duration": s.session_duration,
            "managed_policies": list(s.managed),
            "customer_managed_policies": [c.as_reference() for c in s.customer_managed],
            "inline_policy": permission_set_path(org, s.name) if s.inline is not None else None,
            "permissions_boundary": s.boundary.as_param() if s.boundary is not None else None,
            "tags": dict(s.tags)} for s in spec.permission_sets],
        "assignments": [{("group" if a.principal_type == "GROUP" else "user"): a.group,
                         "permission_set": a.permission_set, "account": a.account, "account_id": a.account_id}
                        for a in spec.assignments],
    }


def _resource(resource_type: str, local: str, provider: str, *items: hcl.BodyItem | None) -> hcl.Block:
    body: list[hcl.BodyItem] = [hcl.Attribute("provider", hcl.Expr(f"aws.{provider}")), hcl.Blank()]
    body.extend(i for i in items if i is not None)
    return hcl.Block("resource", (resource_type, local), tuple(body))


def _ref(resource_type: str, local: str, attribute: str) -> hcl.Expr:
    return hcl.Expr(f"{resource_type}.{local}.{attribute}")


def _customer_reference(policy: CustomerPolicy) -> hcl.Block:
    return hcl.Block("customer_managed_policy_reference", body=(
        hcl.Attribute("name", policy.name), hcl.Attribute("path", policy.path)))


def _customer_local(permission_set: str, policy: CustomerPolicy) -> str:
    return "_".join([permission_set, *(p for p in policy.path.split("/") if p), policy.name])


def _boundary(boundary: Boundary) -> hcl.Block:
    if boundary.customer is not None:
        return hcl.Block("permissions_boundary", body=(_customer_reference(boundary.customer),))
    return hcl.Block("permissions_boundary", body=(hcl.Attribute("managed_policy_arn", boundary.managed_arn),))


def _permission_set_blocks(org: Org, spec: PermissionSetSpec, local: hcl.Locals, provider: str,
                           policy_dir: str) -> tuple[str, list[hcl.Block]]:
    """The permission set's blocks, and its local name."""
    name = local(PERMISSION_SET, spec.name)
    arn = _ref(PERMISSION_SET, name, "arn")
    blocks = [_resource(
        PERMISSION_SET, name, provider,
        hcl.Attribute("instance_arn", INSTANCE_ARN),
        hcl.Attribute("name", spec.name),
        hcl.Attribute("description", spec.description) if spec.description else None,
        hcl.Attribute("session_duration", spec.session_duration),
        hcl.Attribute("tags", dict(sorted(spec.tags))),
    )]
    for managed in spec.managed:
        blocks.append(_resource(
            MANAGED_ATTACHMENT, local(MANAGED_ATTACHMENT, f"{spec.name}_{managed.rsplit('/', 1)[-1]}"), provider,
            hcl.Attribute("instance_arn", INSTANCE_ARN),
            hcl.Attribute("permission_set_arn", arn),
            hcl.Attribute("managed_policy_arn", managed),
        ))
    for customer in spec.customer_managed:
        blocks.append(_resource(
            CUSTOMER_ATTACHMENT, local(CUSTOMER_ATTACHMENT, _customer_local(spec.name, customer)), provider,
            hcl.Attribute("instance_arn", INSTANCE_ARN),
            hcl.Attribute("permission_set_arn", arn),
            _customer_reference(customer),
        ))
    if spec.inline is not None:
        path = f"{policy_dir}/{permission_set_path(org, spec.name)}"
        blocks.append(_resource(
            INLINE_POLICY, local(INLINE_POLICY, spec.name), provider,
            hcl.Attribute("instance_arn", INSTANCE_ARN),
            hcl.Attribute("permission_set_arn", arn),
            hcl.Attribute("inline_policy", hcl.Expr(f'file("${{path.module}}/{hcl.escape(path)}")')),
        ))
    if spec.boundary is not None:
        blocks.append(_resource(
            BOUNDARY_ATTACHMENT, local(BOUNDARY_ATTACHMENT, spec.name), provider,
            hcl.Attribute("instance_arn", INSTANCE_ARN),
            hcl.Attribute("permission_set_arn", arn),
            _boundary(spec.boundary),
        ))
    return name, blocks


def identity_center_blocks(org: Org, provider: str, policy_dir: str = "policies") -> list[hcl.Block]:
    """The Identity Center account's resources (``provider``: the alias of its provider, in the
    instance's region); [] when the org file does not use Identity Center. Inline policies are read
    with ``file()`` from ``policy_dir``."""
    if not org.uses_identity_center:
        return []
    spec = desired_identity_center(org)
    local = hcl.Locals()
    instances = f"data.{INSTANCES_DATA}.{INSTANCES}"
    blocks: list[hcl.Block] = [
        hcl.Block("data", (INSTANCES_DATA, INSTANCES), (hcl.Attribute("provider", hcl.Expr(f"aws.{provider}")),),
                  (f"IAM Identity Center's instance in {org.identity_center_home.name} "
                   f"({org.identity_center_region_name}): it exists before anything here manages it",)),
        hcl.Block("locals", body=(
            hcl.Attribute(INSTANCE_ARN_LOCAL, hcl.Expr(f"tolist({instances}.arns)[0]")),
            hcl.Attribute(IDENTITY_STORE_LOCAL, hcl.Expr(f"tolist({instances}.identity_store_ids)[0]")),
        )),
    ]
    users: dict[str, str] = {}
    for user in spec.users:
        users[user.user_name] = local(USER, user.user_name)
        blocks.append(_resource(
            USER, users[user.user_name], provider,
            hcl.Attribute("identity_store_id", IDENTITY_STORE_ID),
            hcl.Attribute("user_name", user.user_name),
            hcl.Attribute("display_name", user.display_name),
            hcl.Attribute("user_type", user.user_type),
            hcl.Block("name", body=(hcl.Attribute("given_name", user.given_name),
                                    hcl.Attribute("family_name", user.family_name))),
            hcl.Block("emails", body=(hcl.Attribute("value", user.email), hcl.Attribute("primary", True),
                                      hcl.Attribute("type", EMAIL_TYPE))) if user.email else None,
        ))
    groups: dict[str, str] = {}
    for group in spec.groups:
        groups[group.display_name] = local(GROUP, group.display_name)
        blocks.append(_resource(
            GROUP, groups[group.display_name], provider,
            hcl.Attribute("identity_store_id", IDENTITY_STORE_ID),
            hcl.Attribute("display_name", group.display_name),
            hcl.Attribute("description", group.description),
        ))
        for member in group.members:
            blocks.append(_resource(
                MEMBERSHIP, local(MEMBERSHIP, f"{group.display_name}_{member}"), provider,
                hcl.Attribute("identity_store_id", IDENTITY_STORE_ID),
                hcl.Attribute("group_id", _ref(GROUP, groups[group.display_name], "group_id")),
                hcl.Attribute("member_id", _ref(USER, users[member], "user_id")),
            ))
    sets: dict[str, str] = {}
    policies: dict[str, list[hcl.Expr]] = {}  # permission set -> its attachments, which assignments wait for
    for permission_set in spec.permission_sets:
        sets[permission_set.name], found = _permission_set_blocks(org, permission_set, local, provider, policy_dir)
        policies[permission_set.name] = [hcl.Expr(".".join(b.labels)) for b in found[1:]]
        blocks.extend(found)
    for assignment in spec.assignments:
        blocks.append(_resource(
            ASSIGNMENT, local(ASSIGNMENT, f"{assignment.group}_{assignment.permission_set}_{assignment.account}"),
            provider,
            hcl.Attribute("instance_arn", INSTANCE_ARN),
            hcl.Attribute("permission_set_arn", _ref(PERMISSION_SET, sets[assignment.permission_set], "arn")),
            hcl.Attribute("principal_id", _ref(GROUP, groups[assignment.group], "group_id")
                          if assignment.principal_type == "GROUP" else _ref(USER, users[assignment.group], "user_id")),
            hcl.Attribute("principal_type", assignment.principal_type),
            hcl.Attribute("target_id", assignment.account_id),
            hcl.Attribute("target_type", "AWS_ACCOUNT"),
            hcl.Attribute("depends_on", policies[assignment.permission_set]) if policies[assignment.permission_set]
            else None,
        ))
    return blocks
