"""The Terraform export's IAM resources of one account (roles, policies, groups, users, with the
``import`` blocks and exclusive resources of what is adopted) and the billing account's budgets,
attribute for attribute as ``apply`` makes them (:mod:`awsroles.export.terraform`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from awsroles.budgets.desired import COST_TYPES, LINKED_ACCOUNT, BudgetSpec
from awsroles.export import hcl
from awsroles.export.policies import (
    group_inline_path,
    managed_policy_path,
    role_inline_path,
    role_trust_path,
    user_inline_path,
)
from awsroles.export.tf_names import Names
from awsroles.iam.desired import AccountSpec
from awsroles.org.entries import Account
from awsroles.org.model import Org

POLICY_DIR = "policies"  # where the export puts every policy document, read with file()


def _ref(resource_type: str, local_name: str, attribute: str) -> hcl.Expr:
    return hcl.Expr(f"{resource_type}.{local_name}.{attribute}")


def _document(path: str) -> hcl.Expr:
    """``file("${path.module}/policies/<path>")``: ``path`` is a key of :func:`policy_files`."""
    return hcl.Expr(f'file("${{path.module}}/{hcl.escape(f"{POLICY_DIR}/{path}")}")')


def _tags(tags: tuple[tuple[str, str], ...]) -> dict[str, hcl.Value]:
    return {key: value for key, value in sorted(tags)}


def _resource(resource_type: str, local_name: str, alias: str, *attributes: hcl.BodyItem | None) -> hcl.Block:
    body: list[hcl.BodyItem] = [hcl.Attribute("provider", hcl.Expr(f"aws.{alias}")), hcl.Blank()]
    body.extend(a for a in attributes if a is not None)
    return hcl.Block("resource", (resource_type, local_name), tuple(body))


def _policy_arn(org: Org, account: Account, path: str, name: str) -> str:
    return f"arn:{org.partition}:iam::{account.id}:policy{path}{name}"


def _import(alias: str, resource_type: str, local_name: str, import_id: str, comment: str) -> hcl.Block:
    """``import { to = TYPE.LOCAL, id = ID }`` through the account's provider."""
    return hcl.Block("import", (), (
        hcl.Attribute("provider", hcl.Expr(f"aws.{alias}")),
        hcl.Attribute("to", hcl.Expr(f"{resource_type}.{local_name}")),
        hcl.Attribute("id", import_id),
    ), (comment,))


# It existed before awsroles: never deleted nor replaced as a side effect (terraform destroy, a changed path).
_KEEP = hcl.Block("lifecycle", body=(hcl.Attribute("prevent_destroy", True),))


def _exclusive(alias: str, kind: str, local_name: str, inline: Sequence[str],
               attachments: Sequence[str]) -> list[hcl.Block]:
    """What an adopted ``kind`` (role, group, user) holds, exclusively: its own inline policies and
    attachments (``inline``, ``attachments``: references to their resources), nothing else. Each
    lists them by reference, so it runs after they exist."""
    principal = hcl.Attribute(f"{kind}_name", _ref(f"aws_iam_{kind}", local_name, "name"))
    return [
        _resource(f"aws_iam_{kind}_policies_exclusive", local_name, alias, principal,
                  hcl.Attribute("policy_names", [hcl.Expr(f"{r}.name") for r in inline])),
        _resource(f"aws_iam_{kind}_policy_attachments_exclusive", local_name, alias, principal,
                  hcl.Attribute("policy_arns", [hcl.Expr(f"{r}.policy_arn") for r in attachments])),
    ]


def account_blocks(org: Org, spec: AccountSpec, names: Names) -> list[hcl.Block]:
    """Every resource of one account, in the order of the policy export: roles, policies, groups, users;
    an ``import`` block before each one the org file adopts in place."""
    a = spec.account.name
    alias = names.aliases[a]
    in_place = org.adopted_in_place()
    moving = org.moving()

    def adopted(kind: str, name: str, path: str) -> bool:  # adopted in place there, or moved there: it exists
        return in_place[kind].get(name) == path or name in moving.get(kind, {})

    def _exists(kind: str, name: str, path: str) -> str:
        moved_from = moving.get(kind, {}).get(name)
        if moved_from is not None:
            return (f"{kind} {name} exists at {moved_from} (move_from): terraform takes it over and moves it to "
                    f"{path}, never creates another")
        return f"{kind} {name} exists at {path} (adopted in place): terraform takes it over, never creates another"

    def address(resource_type: str, *key: str) -> str:
        return f"{resource_type}.{names(resource_type, a, *key)}"

    own_policies = {_policy_arn(org, spec.account, p.path, p.name): names("aws_iam_policy", a, p.name)
                    for p in spec.policies}
    own_groups = {g.name: names("aws_iam_group", a, g.name) for g in spec.groups}

    def policy_arn(arn: str) -> hcl.Value:
        return _ref("aws_iam_policy", own_policies[arn], "arn") if arn in own_policies else arn

    blocks: list[hcl.Block] = []
    for role in spec.roles:
        role_name = names("aws_iam_role", a, role.name)
        role_ref = _ref("aws_iam_role", role_name, "name")
        if adopted("role", role.name, role.path):
            blocks.append(_import(alias, "aws_iam_role", role_name, role.name, _exists("role", role.name, role.path)))
        blocks.append(_resource(
            "aws_iam_role", role_name, alias,
            hcl.Attribute("name", role.name),
            hcl.Attribute("path", role.path),
            hcl.Attribute("description", role.description) if role.description else None,
            hcl.Attribute("max_session_duration", role.max_session),
            hcl.Attribute("assume_role_policy", _document(role_trust_path(a, role.name))),
            hcl.Attribute("permissions_boundary", policy_arn(role.boundary)) if role.boundary else None,
            hcl.Attribute("tags", _tags(role.tags)),
            _KEEP if adopted("role", role.name, role.path) else None,
        ))
        for arn in role.managed:
            blocks.append(_resource(
                "aws_iam_role_policy_attachment", names("aws_iam_role_policy_attachment", a, role.name, arn), alias,
                hcl.Attribute("role", role_ref),
                hcl.Attribute("policy_arn", policy_arn(arn)),
            ))
        for inline in role.inline:
            blocks.append(_resource(
                "aws_iam_role_policy", names("aws_iam_role_policy", a, role.name, inline.name), alias,
                hcl.Attribute("name", inline.name),
                hcl.Attribute("role", role_ref),
                hcl.Attribute("policy", _document(role_inline_path(a, role.name, inline.name))),
            ))
        if adopted("role", role.name, role.path):
            blocks += _exclusive(alias, "role", role_name,
                                 [address("aws_iam_role_policy", role.name, p.name) for p in role.inline],
                                 [address("aws_iam_role_policy_attachment", role.name, m) for m in role.managed])
    for policy in spec.policies:
        blocks.append(_resource(
            "aws_iam_policy", names("aws_iam_policy", a, policy.name), alias,
            hcl.Attribute("name", policy.name),
            hcl.Attribute("path", policy.path),
            hcl.Attribute("description", policy.description) if policy.description else None,
            hcl.Attribute("policy", _document(managed_policy_path(a, policy.name))),
            hcl.Attribute("tags", _tags(policy.tags)),
        ))
    for group in spec.groups:
        group_name = own_groups[group.name]
        group_ref = _ref("aws_iam_group", group_name, "name")
        if adopted("group", group.name, group.path):
            blocks.append(_import(alias, "aws_iam_group", group_name, group.name,
                                  _exists("group", group.name, group.path)))
        blocks.append(_resource(
            "aws_iam_group", group_name, alias,
            hcl.Attribute("name", group.name),
            hcl.Attribute("path", group.path),
            _KEEP if adopted("group", group.name, group.path) else None,
        ))
        for inline in group.inline:
            blocks.append(_resource(
                "aws_iam_group_policy", names("aws_iam_group_policy", a, group.name, inline.name), alias,
                hcl.Attribute("name", inline.name),
                hcl.Attribute("group", group_ref),
                hcl.Attribute("policy", _document(group_inline_path(a, group.name, inline.name))),
            ))
        for arn in group.managed:
            blocks.append(_resource(
                "aws_iam_group_policy_attachment", names("aws_iam_group_policy_attachment", a, group.name, arn), alias,
                hcl.Attribute("group", group_ref),
                hcl.Attribute("policy_arn", policy_arn(arn)),
            ))
        if adopted("group", group.name, group.path):
            blocks += _exclusive(alias, "group", group_name,
                                 [address("aws_iam_group_policy", group.name, p.name) for p in group.inline],
                                 [address("aws_iam_group_policy_attachment", group.name, m) for m in group.managed])
    for user in spec.users:
        user_name = names("aws_iam_user", a, user.name)
        user_adopted = adopted("user", user.name, user.path)
        if user_adopted:
            blocks.append(_import(alias, "aws_iam_user", user_name, user.name, _exists("user", user.name, user.path)))
        blocks.append(_resource(
            "aws_iam_user", user_name, alias,
            hcl.Attribute("name", user.name),
            hcl.Attribute("path", user.path),
            hcl.Attribute("permissions_boundary", policy_arn(user.boundary)) if user.boundary else None,
            hcl.Attribute("tags", _tags(user.tags)),
            _KEEP if user_adopted else None,
        ))
        groups: list[hcl.Value] = [
            _ref("aws_iam_group", own_groups[g], "name") if g in own_groups else g for g in user.groups
        ]
        membership = names("aws_iam_user_group_membership", a, user.name)
        if user_adopted:  # the id names every group; terraform reads back those the user is in, then adds the rest
            blocks.append(_import(alias, "aws_iam_user_group_membership", membership,
                                  "/".join((user.name, *user.groups)),
                                  f"{user.name}'s memberships of these groups: terraform adds those missing"))
        blocks.append(_resource(
            "aws_iam_user_group_membership", membership, alias,
            hcl.Attribute("user", _ref("aws_iam_user", user_name, "name")),
            hcl.Attribute("groups", groups),
        ))
        for inline in user.inline:  # a person's temporary grants (awsroles-temporary)
            blocks.append(_resource(
                "aws_iam_user_policy", names("aws_iam_user_policy", a, user.name, inline.name), alias,
                hcl.Attribute("name", inline.name),
                hcl.Attribute("user", _ref("aws_iam_user", user_name, "name")),
                hcl.Attribute("policy", _document(user_inline_path(a, user.name, inline.name))),
            ))
        if user_adopted:  # awsroles attaches no managed policy to a user
            blocks += _exclusive(alias, "user", user_name,
                                 [address("aws_iam_user_policy", user.name, p.name) for p in user.inline], [])
    return blocks


def _threshold(text: str) -> hcl.Value:
    value = Decimal(text)
    return int(value) if value == value.to_integral() else hcl.Expr(text)


def budget_blocks(org: Org, budgets: Sequence[BudgetSpec], names: Names) -> list[hcl.Block]:
    """The billing account's budgets: what ``apply`` makes, attribute for attribute."""
    billing = org.billing
    blocks: list[hcl.Block] = []
    cost_types = hcl.Block("cost_types", body=tuple(
        hcl.Attribute(name, value) for name, value in sorted((_snake(k), v) for k, v in COST_TYPES.items())))
    for budget in budgets:
        body: list[hcl.BodyItem] = [
            hcl.Attribute("provider", hcl.Expr(f"aws.{names.aliases[billing.name]}")),
            hcl.Blank(),
            hcl.Attribute("name", budget.name),
            hcl.Attribute("account_id", billing.id),
            hcl.Attribute("budget_type", "COST"),
            hcl.Attribute("limit_amount", budget.amount),
            hcl.Attribute("limit_unit", budget.unit),
            hcl.Attribute("time_unit", "MONTHLY"),
            hcl.Block("cost_filter", body=(hcl.Attribute("name", LINKED_ACCOUNT),
                                           hcl.Attribute("values", list(budget.account_ids)))),
            cost_types,
        ]
        for notification in budget.notifications:
            body.append(hcl.Block("notification", body=(
                hcl.Attribute("comparison_operator", notification.comparison),
                hcl.Attribute("notification_type", notification.type),
                hcl.Attribute("threshold", _threshold(notification.threshold)),
                hcl.Attribute("threshold_type", notification.threshold_type),
                hcl.Attribute("subscriber_email_addresses", [a for kind, a in budget.subscribers if kind == "EMAIL"]),
            )))
        body.append(hcl.Attribute("tags", _tags(budget.tags)))
        local = names("aws_budgets_budget", billing.name, budget.name)
        blocks.append(hcl.Block("resource", ("aws_budgets_budget", local), tuple(body)))
    return blocks


def _snake(name: str) -> str:
    """``IncludeOtherSubscription`` -> ``include_other_subscription``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
