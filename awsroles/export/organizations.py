"""Pure: the org model -> the Terraform resources of what ``apply`` makes in AWS Organizations.

In the management account (its provider), for an org file that uses accounts
(:attr:`~awsroles.org.model.Org.uses_accounts`):

- ``aws_organizations_organizational_unit`` for every OU an account's ``ou`` or an ``[ou PATH]``
  names, parents first, each under its parent (``parent_id`` a reference; the root's id from
  ``data "aws_organizations_organization"``), tagged with awsroles' marks as apply tags them;
- ``aws_organizations_account`` for every account with an ``ou`` (the accounts apply places), with
  an ``import`` block: every account has an id by then (the export refuses pending accounts), so
  terraform adopts the account instead of creating a second one. ``close_on_deletion = false`` and
  ``lifecycle { prevent_destroy = true }``: no ``terraform destroy`` closes or removes an account,
  as no ``awsroles apply`` does. Its tags are the marks apply writes (``managed-by``,
  ``awsroles-org``, ``awsroles-ou``); ``email``, ``name``, ``role_name`` and
  ``iam_user_access_to_billing`` are ignored after import (AWS cannot read the last two back, and
  a change to any of them would replace the account);
- ``aws_organizations_policy`` for every SCP :func:`awsroles.accounts.wanted.wanted_scps` wants, with
  the document apply sends (a file under ``policies/<management>/scps/``) and the tags apply writes
  (the marks and ``awsroles-digest``), and an ``aws_organizations_policy_attachment`` per target.

Service control policies must be enabled on the root first: the provider has no resource for that
short of ``aws_organizations_organization`` (which would take over the whole organization), so
the generated file says how in a comment, and ``awsroles plan`` shows it as a change until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from awsroles.accounts.wanted import DIGEST_TAG, compact, digest, wanted_scps
from awsroles.export import hcl
from awsroles.org.model import MANAGED_BY_TAG, ORG_TAG, OU_TAG, SCP_OU, SCP_ROOT, Account, Org, ScpTarget
from awsroles.org.organizations import ou_prefixes

OU_RESOURCE = "aws_organizations_organizational_unit"
ACCOUNT_RESOURCE = "aws_organizations_account"
POLICY_RESOURCE = "aws_organizations_policy"
ATTACHMENT_RESOURCE = "aws_organizations_policy_attachment"
ORGANIZATION_DATA = "organization"
ROOT_ID = hcl.Expr(f"data.aws_organizations_organization.{ORGANIZATION_DATA}.roots[0].id")
ENABLE_SCPS = ("Service control policies must be enabled on the root before terraform applies the SCPs:",
               "aws organizations enable-policy-type --root-id ROOT --policy-type SERVICE_CONTROL_POLICY")
IGNORED_AFTER_IMPORT = ("email", "iam_user_access_to_billing", "name", "role_name")


@dataclass
class _Local:
    """Unique local names per resource type."""

    taken: dict[str, set[str]] = field(default_factory=dict)

    def __call__(self, resource_type: str, text: str) -> str:
        taken = self.taken.setdefault(resource_type, set())
        base = hcl.identifier(text)
        name, number = base, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        taken.add(name)
        return name


def scp_path(org: Org, name: str) -> str:
    """Where an SCP's document goes, relative to the export's ``policies/``."""
    return f"{org.management.name}/scps/{name}.json"


def scp_files(org: Org) -> dict[str, str]:
    """Every SCP document the Terraform resources read, keyed as :func:`scp_path` (compact JSON, as sent)."""
    if not org.uses_accounts:
        return {}
    return {scp_path(org, name): compact(want.document) + "\n" for name, want in wanted_scps(org).items()}


def _tags(org: Org, *extra: tuple[str, str]) -> dict[str, hcl.Value]:
    return dict(sorted({MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: org.name, **dict(extra)}.items()))


def _resource(resource_type: str, local: str, provider: str, *items: hcl.BodyItem | None) -> hcl.Block:
    body: list[hcl.BodyItem] = [hcl.Attribute("provider", hcl.Expr(f"aws.{provider}")), hcl.Blank()]
    body.extend(i for i in items if i is not None)
    return hcl.Block("resource", (resource_type, local), tuple(body))


def organization_blocks(org: Org, provider: str, policy_dir: str = "policies") -> list[hcl.Block]:
    """The management account's Organizations resources (``provider``: its alias); [] when the org file
    leaves Organizations alone. SCP documents are read with ``file()`` from ``policy_dir``."""
    if not org.uses_accounts:
        return []
    org.require_ids()
    local = _Local()
    blocks: list[hcl.Block] = [hcl.Block("data", ("aws_organizations_organization", ORGANIZATION_DATA), (
        hcl.Attribute("provider", hcl.Expr(f"aws.{provider}")),))]
    declared = [*(a.ou for a in org.accounts if a.ou), *org.ous]
    ous: dict[str, str] = {}
    for path in dict.fromkeys(p for ou in declared for p in ou_prefixes(ou)):
        ous[path] = local(OU_RESOURCE, f"ou_{path.replace('/', '_')}")
        parent = path.rpartition("/")[0]
        blocks.append(_resource(
            OU_RESOURCE, ous[path], provider,
            hcl.Attribute("name", path.rpartition("/")[2]),
            hcl.Attribute("parent_id", hcl.Expr(f"{OU_RESOURCE}.{ous[parent]}.id") if parent else ROOT_ID),
            hcl.Attribute("tags", _tags(org)),
        ))
    accounts: dict[str, str] = {}
    for account in org.accounts:
        if account.ou:
            accounts[account.name] = local(ACCOUNT_RESOURCE, f"account_{account.name}")
            blocks.extend(_account(org, account, accounts[account.name], ous[account.ou], provider))
    for name, want in wanted_scps(org).items():
        policy = local(POLICY_RESOURCE, name.removeprefix("awsroles-"))
        comments = ENABLE_SCPS if not any(b.labels[:1] == (POLICY_RESOURCE,) for b in blocks) else ()
        blocks.append(hcl.Block("resource", (POLICY_RESOURCE, policy), (
            hcl.Attribute("provider", hcl.Expr(f"aws.{provider}")),
            hcl.Blank(),
            hcl.Attribute("name", name),
            hcl.Attribute("description", want.description),
            hcl.Attribute("type", "SERVICE_CONTROL_POLICY"),
            hcl.Attribute("content", hcl.Expr(
                f'file("${{path.module}}/{hcl.escape(f"{policy_dir}/{scp_path(org, name)}")}")')),
            hcl.Attribute("tags", _tags(org, (DIGEST_TAG, digest(want.document)))),
        ), comments))
        for target in want.targets:
            blocks.append(_resource(
                ATTACHMENT_RESOURCE, local(ATTACHMENT_RESOURCE, f"{policy}_{target.key.replace('/', '_')}"), provider,
                hcl.Attribute("policy_id", hcl.Expr(f"{POLICY_RESOURCE}.{policy}.id")),
                hcl.Attribute("target_id", _target_id(org, target, ous, accounts)),
            ))
    return blocks


def _account(org: Org, account: Account, local: str, ou: str, provider: str) -> list[hcl.Block]:
    address = f"{ACCOUNT_RESOURCE}.{local}"
    return [
        hcl.Block("import", (), (
            hcl.Attribute("provider", hcl.Expr(f"aws.{provider}")),
            hcl.Attribute("to", hcl.Expr(address)),
            hcl.Attribute("id", account.id),
        ), (f"{account.name} exists ({account.id}): terraform adopts it, never creates another",)),
        _resource(
            ACCOUNT_RESOURCE, local, provider,
            hcl.Attribute("name", account.name),
            hcl.Attribute("email", account.email or f"{account.name}@unknown.invalid"),
            hcl.Attribute("parent_id", hcl.Expr(f"{OU_RESOURCE}.{ou}.id")),
            hcl.Attribute("role_name", org.bootstrap_role),
            # Closing an account is never a side effect: not of apply, not of terraform destroy.
            hcl.Attribute("close_on_deletion", False),
            hcl.Attribute("tags", _tags(org, (OU_TAG, account.ou))),
            hcl.Block("lifecycle", body=(
                hcl.Attribute("prevent_destroy", True),
                hcl.Attribute("ignore_changes", [hcl.Expr(a) for a in IGNORED_AFTER_IMPORT]),
            )),
        ),
    ]


def _target_id(org: Org, target: ScpTarget, ous: dict[str, str], accounts: dict[str, str]) -> hcl.Value:
    if target.kind == SCP_ROOT:
        return ROOT_ID
    if target.kind == SCP_OU:
        return hcl.Expr(f"{OU_RESOURCE}.{ous[target.name]}.id")
    if target.name in accounts:
        return hcl.Expr(f"{ACCOUNT_RESOURCE}.{accounts[target.name]}.id")
    return org.account(target.name).id
