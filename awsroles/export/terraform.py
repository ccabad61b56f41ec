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
identifier, the one that sorts first keeps it and the others get ``_2``, ``_3``...
(:mod:`awsroles.export.tf_names`). The output is byte-stable: no timestamps, no absolute paths, a
fixed order. The IAM and budget resources are :mod:`awsroles.export.tf_iam`'s; this module lays out
the files, the versions and the providers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from awsroles.budgets.desired import desired_budgets
from awsroles.export import hcl
from awsroles.export.alarms import alarm_blocks, region_alias
from awsroles.export.identity_center import identity_center_blocks, identity_center_index, permission_set_files
from awsroles.export.organizations import organization_blocks, scp_files
from awsroles.export.policies import policy_files
from awsroles.export.tf_iam import POLICY_DIR, account_blocks, budget_blocks
from awsroles.export.tf_names import PROVIDERS_FILE, VERSIONS_FILE, Names, resource_names
from awsroles.iam.breakglass import alarm_regions
from awsroles.iam.desired import desired_state
from awsroles.org.entries import Account
from awsroles.org.model import Org

REQUIRED_TERRAFORM = ">= 1.3"
REQUIRED_TERRAFORM_IMPORTS = ">= 1.5"  # import blocks: accounts, and IAM adopted in place, exist: never created again
AWS_PROVIDER_SOURCE = "hashicorp/aws"
AWS_PROVIDER_VERSION = ">= 5.0, < 7.0"
# aws_iam_*_policies_exclusive and aws_iam_*_policy_attachments_exclusive (what is adopted in place)
AWS_PROVIDER_VERSION_EXCLUSIVE = ">= 5.72.1, < 7.0"
SESSION_NAME = "awsroles-terraform"


def _header(org: Org) -> tuple[str, ...]:
    source = "".join(c if c.isprintable() else "?" for c in org.source.name)
    return (
        f"Generated by awsroles from the org file {source} (org {org.name}).",
        "Do not edit by hand: change the org file and run `awsroles export terraform` again.",
    )


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


def _identity_center_provider(org: Org, names: Names) -> _Provider | None:
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
    names = resource_names(specs, budgets, org.billing_account, [a.name for a in extra])
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
        blocks = account_blocks(org, by_account[account.name], names) if account.name in by_account else []
        if account.name == org.billing_account:
            blocks += budget_blocks(org, budgets, names)
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
