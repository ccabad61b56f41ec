"""Pure: the org model -> a Terraform configuration that creates exactly what ``apply`` creates.

Everything is derived from :func:`awsroles.iam.desired.desired_state`, resource for resource, so the
Terraform export, the policy export and the plan cannot disagree. Layout of the output
directory (relative path -> text, see :func:`terraform_files`)::

    versions.tf          required Terraform and AWS provider versions
    providers.tf         one aliased ``aws`` provider per account that holds resources; the ops
                         account uses the caller's credentials, every other account is reached
                         through the org's bootstrap role
    <account>.tf         that account's roles, policies, groups, users (``<account>-account.tf``
                         for an account named ``versions`` or ``providers``); an environment
                         account's break-glass alarm (:mod:`awsroles.export.alarms`, with a
                         provider ``<account>_us-east-1`` when the org's region is another); the billing
                         account's also holds its budgets (``aws_budgets_budget``, from
                         :func:`awsroles.budgets.desired.desired_budgets`), in a file of its
                         own when it holds nothing else
    policies/...         every policy document, laid out as :func:`awsroles.export.policies.policy_files`
                         lays it out, read with ``file()`` so IAM variables need no escaping; the
                         SCPs under ``policies/<management>/scps/``

Roles, groups and users the org file adopts in place (:meth:`~awsroles.org.model.Org.adopted_in_place`:
a role's or user's ``path``, a team's ``group``, made by hand outside the org's path), and users and
groups it moves to its path (:meth:`~awsroles.org.model.Org.moving`: ``move_from``; terraform moves
them, as apply does, by updating their ``path``) exist already:
each gets an ``import`` block, and so does each adopted user's ``aws_iam_user_group_membership``
(terraform reads back only the groups it names), so that terraform takes them over where they are,
marks them as apply marks them (the ``managed-by`` tag, a group's marker policy) and never creates
them again; ``lifecycle { prevent_destroy = true }`` keeps ``terraform destroy`` (or a change that
would replace one) from deleting what existed before awsroles. Their policies and attachments are
not imported: putting an inline policy or attaching a managed policy that is there already changes
nothing in IAM, and an import of one that is not there would stop the plan. What else such a
resource holds (the console's own inline policies of a group, a policy attached to a user by hand)
apply removes; so does terraform, through an ``aws_iam_<kind>_policies_exclusive`` and an
``aws_iam_<kind>_policy_attachments_exclusive`` per adopted role, group and user, listing exactly
its declared policies (``versions.tf`` then asks for the AWS provider version that has them,
:data:`AWS_PROVIDER_VERSION_EXCLUSIVE`).

The management account's file also holds what apply makes in AWS Organizations, when the org file
uses accounts (:mod:`awsroles.export.organizations`): OUs, the accounts apply places (adopted with
``import`` blocks, never closed by ``terraform destroy``), SCPs and their attachments.

When the org file uses IAM Identity Center (``[org] identity``), the Identity Center account's file
holds its users, groups, memberships, permission sets and account assignments
(:mod:`awsroles.export.identity_center`), through a provider in the instance's region: the
account's own provider, or one more alias (``<account>_<region>``) when that region is not the
org's; inline policies under ``policies/<account>/permission-sets/``. With ``identity =
identity-center`` alone, :func:`~awsroles.iam.desired.desired_state` is empty: no IAM user, group
or role is exported.

Resource names are ``<account>_<name>`` made into identifiers; should two names become the same
identifier, the one that sorts first keeps it and the others get ``_2``, ``_3``... The output is
byte-stable: no timestamps, no absolute paths, a fixed order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from awsroles.budgets.desired import COST_TYPES, LINKED_ACCOUNT, BudgetSpec, desired_budgets
from awsroles.export import hcl
from awsroles.export.alarms import alarm_blocks, region_alias
from awsroles.export.identity_center import identity_center_blocks, identity_center_index, permission_set_files
from awsroles.export.organizations import organization_blocks, scp_files
from awsroles.export.policies import (
    group_inline_path,
    managed_policy_path,
    policy_files,
    role_inline_path,
    role_trust_path,
    user_inline_path,
)
from awsroles.iam.breakglass import alarm_regions
from awsroles.iam.desired import AccountSpec, desired_state
from awsroles.org.model import Account, Org

POLICY_DIR = "policies"
VERSIONS_FILE = "versions.tf"
PROVIDERS_FILE = "providers.tf"
REQUIRED_TERRAFORM = ">= 1.3"
REQUIRED_TERRAFORM_IMPORTS = ">= 1.5"  # import blocks: accounts, and IAM adopted in place, exist: never created again
AWS_PROVIDER_SOURCE = "hashicorp/aws"
AWS_PROVIDER_VERSION = ">= 5.0, < 7.0"
# aws_iam_*_policies_exclusive and aws_iam_*_policy_attachments_exclusive (what is adopted in place)
AWS_PROVIDER_VERSION_EXCLUSIVE = ">= 5.72.1, < 7.0"
SESSION_NAME = "awsroles-terraform"

_RESERVED_FILES = frozenset({VERSIONS_FILE.removesuffix(".tf"), PROVIDERS_FILE.removesuffix(".tf")})

Key = tuple[str, ...]


def _unique(candidates: Mapping[Key, str], natural: Mapping[Key, str]) -> dict[Key, str]:
    """Names made unique, deterministically.

    Each distinct candidate goes to one of the keys proposing it: first to a key whose candidate
    is its ``natural`` name unchanged, then to the key that sorts first. The other keys get
    ``<candidate>_2``, ``_3``... skipping anything proposed or given already.
    """
    taken = set(candidates.values())
    given: set[str] = set()
    out: dict[Key, str] = {}
    for key in sorted(candidates, key=lambda k: (candidates[k] != natural[k], k)):
        name = candidates[key]
        if name in given:
            number = 2
            while f"{name}_{number}" in taken:
                number += 1
            name = f"{name}_{number}"
            taken.add(name)
        given.add(name)
        out[key] = name
    return out


@dataclass
class _Names:
    """Provider aliases, file names and resource local names for the whole configuration."""

    aliases: dict[str, str]  # account name -> provider alias
    files: dict[str, str]  # account name -> file name
    local: dict[str, dict[Key, str]] = field(default_factory=dict)  # resource type -> key -> name

    def __call__(self, resource_type: str, *key: str) -> str:
        return self.local[resource_type][key]


def _arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _names(specs: Iterable[AccountSpec], budgets: Sequence[BudgetSpec] = (), billing: str = "",
           extra: Sequence[str] = ()) -> _Names:
    """``extra``: accounts that hold no IAM resource but need a provider and a file (the billing account's
    budgets, the management account's Organizations resources)."""
    specs = tuple(specs)
    accounts = [s.account.name for s in specs]
    if budgets and billing not in accounts:
        accounts.append(billing)
    accounts.extend(a for a in extra if a not in accounts)
    by_account: dict[Key, str] = {(a,): a for a in accounts}
    aliases = _unique({(a,): hcl.identifier(a) for a in accounts}, by_account)
    files = _unique({(a,): f"{a}-account" if a in _RESERVED_FILES else a for a in accounts}, by_account)
    proposed: dict[str, dict[Key, str]] = {}
    natural: dict[str, dict[Key, str]] = {}

    def propose(resource_type: str, key: Key, *parts: str) -> None:
        text = "_".join(parts)
        natural.setdefault(resource_type, {})[key] = text
        proposed.setdefault(resource_type, {})[key] = hcl.identifier(text)

    for spec in specs:
        a = spec.account.name
        for role in spec.roles:
            propose("aws_iam_role", (a, role.name), a, role.name)
            for arn in role.managed:
                propose("aws_iam_role_policy_attachment", (a, role.name, arn), a, role.name, _arn_name(arn))
            for inline in role.inline:
                propose("aws_iam_role_policy", (a, role.name, inline.name), a, role.name, inline.name)
        for policy in spec.policies:
            propose("aws_iam_policy", (a, policy.name), a, policy.name)
        for group in spec.groups:
            propose("aws_iam_group", (a, group.name), a, group.name)
            for inline in group.inline:
                propose("aws_iam_group_policy", (a, group.name, inline.name), a, group.name, inline.name)
            for arn in group.managed:
                propose("aws_iam_group_policy_attachment", (a, group.name, arn), a, group.name, _arn_name(arn))
        for user in spec.users:
            propose("aws_iam_user", (a, user.name), a, user.name)
            propose("aws_iam_user_group_membership", (a, user.name), a, user.name)
            for inline in user.inline:
                propose("aws_iam_user_policy", (a, user.name, inline.name), a, user.name, inline.name)
    for budget in budgets:
        propose("aws_budgets_budget", (billing, budget.name), billing, budget.name)
    names = _Names({k[0]: v for k, v in aliases.items()}, {k[0]: f"{v}.tf" for k, v in files.items()})
    names.local = {t: _unique(p, natural[t]) for t, p in sorted(proposed.items())}
    return names


def _header(org: Org) -> tuple[str, ...]:
    source = "".join(c if c.isprintable() else "?" for c in org.source.name)
    return (
        f"Generated by awsroles from the org file {source} (org {org.name}).",
        "Do not edit by hand: change the org file and run `awsroles export terraform` again.",
    )


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


def _account_blocks(org: Org, spec: AccountSpec, names: _Names) -> list[hcl.Block]:
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


def _budget_blocks(org: Org, budgets: Sequence[BudgetSpec], names: _Names) -> list[hcl.Block]:
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


def _versions(org: Org, required: str = REQUIRED_TERRAFORM, provider: str = AWS_PROVIDER_VERSION) -> str:
    block = hcl.Block("terraform", body=(
        hcl.Attribute("required_version", required),
        hcl.Block("required_providers", body=(
            hcl.Attribute("aws", {"source": AWS_PROVIDER_SOURCE, "version": provider}),
        )),
    ))
    return hcl.render([block], _header(org))


@dataclass(frozen=True)
class _Provider:
    account: Account
    alias: str
    region: str
    why: str = ""  # said in its comment when it is not the account's own provider


def _identity_center_provider(org: Org, names: _Names) -> _Provider | None:
    """The provider of the Identity Center account in its instance's region, when that is not the org's
    region (else the account's own provider serves); its alias ``<account>_<region>``, made unique."""
    if not org.uses_identity_center or org.identity_center_region_name == org.region:
        return None
    home = org.identity_center_home
    base = hcl.identifier(f"{names.aliases[home.name]}_{org.identity_center_region_name}")
    alias, number = base, 2
    while alias in names.aliases.values():
        alias, number = f"{base}_{number}", number + 1
    return _Provider(home, alias, org.identity_center_region_name, "IAM Identity Center's region")


def _providers(org: Org, providers: Sequence[_Provider]) -> str:
    blocks = []
    for provider in providers:
        account = provider.account
        body: list[hcl.BodyItem] = [
            hcl.Attribute("alias", provider.alias),
            hcl.Attribute("region", provider.region),
            # Refuse to run with credentials for (or a bootstrap role into) any other account.
            hcl.Attribute("allowed_account_ids", [account.id]),
        ]
        where = f" in {provider.region}, {provider.why}" if provider.why else ""
        if account.name == org.ops_account:
            comment = f"{account.name} ({account.id}){where}: the ops account, with the caller's own credentials"
        else:
            comment = f"{account.name} ({account.id}){where}: through the bootstrap role {org.bootstrap_role}"
            body.append(hcl.Block("assume_role", body=(
                hcl.Attribute("role_arn", org.bootstrap_role_arn(account)),
                hcl.Attribute("session_name", SESSION_NAME),
            )))
        blocks.append(hcl.Block("provider", ("aws",), tuple(body), (comment,)))
    return hcl.render(blocks, _header(org))


def terraform_files(org: Org) -> dict[str, str]:
    """The Terraform configuration for ``org``: relative path -> file text, sorted by path.

    It declares exactly the resources of :func:`awsroles.iam.desired.desired_state` (see
    :func:`awsroles.iam.desired.flatten` for the equivalence), the budgets of
    :func:`awsroles.budgets.desired.desired_budgets` (:func:`awsroles.budgets.desired.flatten`), what
    apply makes in Organizations and in IAM Identity Center
    (:func:`awsroles.identity_center.desired.desired_identity_center`), one ``<account>.tf`` per
    account that holds any, plus ``versions.tf``, ``providers.tf`` and the policy documents under
    ``policies/``.
    """
    specs = tuple(s for s in desired_state(org) if not s.empty)
    budgets = desired_budgets(org)
    extra = [a for a in (*([org.billing] if budgets else []), *([org.management] if org.uses_accounts else []),
                         *([org.identity_center_home] if org.uses_identity_center else []))
             if a.name not in {s.account.name for s in specs}]
    names = _names(specs, budgets, org.billing_account, [a.name for a in extra])
    accounts = [s.account for s in specs] + list(dict.fromkeys(extra))
    identity_center = _identity_center_provider(org, names)
    files = {f"{POLICY_DIR}/{path}": text for path, text in policy_files(specs, identity_center_index(org)).items()}
    files.update({f"{POLICY_DIR}/{path}": text for path, text in scp_files(org).items()})
    files.update({f"{POLICY_DIR}/{path}": text for path, text in permission_set_files(org).items()})
    by_account = {s.account.name: s for s in specs}
    imports = exclusive = False
    served: list[Account] = []  # accounts with resources through their provider in the org's region
    alarm_providers: list[_Provider] = []  # environment accounts' providers in us-east-1 (break-glass alarms)
    for account in accounts:
        blocks = _account_blocks(org, by_account[account.name], names) if account.name in by_account else []
        if account.name == org.billing_account:
            blocks += _budget_blocks(org, budgets, names)
        if org.uses_accounts and account.name == org.management.name:
            blocks += organization_blocks(org, names.aliases[account.name], POLICY_DIR)
        glass = org.break_glass_in(account.environment) if account.environment else None
        if glass is not None:
            blocks += alarm_blocks(org, glass, names.aliases[account.name])
            alarm_providers += [_Provider(account, region_alias(names.aliases[account.name], org, region), region,
                                          "for the break-glass alarm (global STS events)")
                                for region in alarm_regions(org) if region != org.region]
        home = org.uses_identity_center and account.name == org.identity_center_home.name
        if blocks or (home and identity_center is None):
            served.append(account)
        if home:
            alias = identity_center.alias if identity_center else names.aliases[account.name]
            blocks += identity_center_blocks(org, alias, POLICY_DIR)
        imports = imports or any(b.type == "import" for b in blocks)
        exclusive = exclusive or any(b.labels[0].endswith("_exclusive") for b in blocks if b.type == "resource")
        files[names.files[account.name]] = hcl.render(blocks, _header(org))
    files[VERSIONS_FILE] = _versions(org, REQUIRED_TERRAFORM_IMPORTS if imports else REQUIRED_TERRAFORM,
                                     AWS_PROVIDER_VERSION_EXCLUSIVE if exclusive else AWS_PROVIDER_VERSION)
    providers = [_Provider(a, names.aliases[a.name], org.region) for a in served]
    files[PROVIDERS_FILE] = _providers(org, [*providers, *alarm_providers,
                                             *([identity_center] if identity_center else [])])
    return dict(sorted(files.items()))
