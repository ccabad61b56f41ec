"""Pure: the org model -> the Terraform resources of what ``apply`` makes in AWS Organizations.

In the management account (its provider), for an org file that uses accounts
(:attr:`~awsroles.org.model.Org.uses_accounts`):

- ``aws_organizations_organizational_unit`` for every OU an account's ``ou`` or an ``[ou PATH]``
  names, parents first, each under its parent (``parent_id`` a reference; the root's id from
  ``data "aws_organizations_organization"``), tagged with awsroles' marks as apply tags them;
- ``aws_organizations_account`` for every account the org file asks apply to place, tag or give
  contacts (:func:`exported_accounts`: its own ``ou``, ``tags`` or ``*_contact``, as
  :mod:`awsroles.sync.accounts` asks of an account with an id), with an ``import`` block: every
  account has an id by then (the export refuses pending accounts), so terraform adopts the account
  instead of creating a second one. ``close_on_deletion = false`` and ``lifecycle { prevent_destroy
  = true }``: no ``terraform destroy`` closes or removes an account, as no ``awsroles apply`` does.
  Its tags are those apply writes: the marks (``managed-by``, ``awsroles-org``, and ``awsroles-ou``
  when it has an ``ou``), then :meth:`Org.recorded_account_tags` ([org] and its own ``tags``,
  ``Environment``, and ``awsroles-tags`` listing their keys, as
  :func:`awsroles.sync.billing.new_account_tags`). No ``parent_id`` without an ``ou``: it stays
  where it is, as apply leaves it. ``email``, ``name``, ``role_name`` and
  ``iam_user_access_to_billing`` are ignored after import (AWS cannot read the last two back, and
  a change to any of them would replace the account);
- ``aws_account_alternate_contact`` for each alternate contact :meth:`Org.account_contacts` gives
  an exported account: with ``account_id`` for a member account, without it for the management
  account (AWS refuses its own id there; apply follows the same rule);
- ``aws_organizations_policy`` for every SCP :func:`awsroles.accounts.wanted.wanted_scps` wants, with
  the document apply sends (a file under ``policies/<management>/scps/``) and the tags apply writes
  (the marks and ``awsroles-digest``), and an ``aws_organizations_policy_attachment`` per target.

Service control policies must be enabled on the root first: the provider has no resource for that
short of ``aws_organizations_organization`` (which would take over the whole organization), so
the generated file says how in a comment, and ``awsroles plan`` shows it as a change until then.
Likewise trusted access for AWS Account Management (``account.amazonaws.com``), which a member
account's alternate contacts need: the comment above the first contact gives the command (the
provider's ``aws_organizations_organization`` would be the only resource for it).

An account awsroles made or adopted earlier whose section has none of ``ou``, ``tags`` or
``*_contact`` is not exported (the file alone cannot tell that awsroles owns it): apply keeps its
[org] tags, ``Environment`` and [org] contacts.
"""

from __future__ import annotations

from awsroles.accounts.contacts import ENABLE_TRUSTED_ACCESS
from awsroles.accounts.wanted import DIGEST_TAG, compact, digest, wanted_scps
from awsroles.export import hcl
from awsroles.org.entries import SCP_OU, SCP_ROOT, Account, ScpTarget
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG, OU_TAG
from awsroles.org.model import Org
from awsroles.org.organizations import ou_prefixes

OU_RESOURCE = "aws_organizations_organizational_unit"
ACCOUNT_RESOURCE = "aws_organizations_account"
POLICY_RESOURCE = "aws_organizations_policy"
ATTACHMENT_RESOURCE = "aws_organizations_policy_attachment"
CONTACT_RESOURCE = "aws_account_alternate_contact"
ORGANIZATION_DATA = "organization"
ROOT_ID = hcl.Expr(f"data.aws_organizations_organization.{ORGANIZATION_DATA}.roots[0].id")
ENABLE_SCPS = ("Service control policies must be enabled on the root before terraform applies the SCPs:",
               "aws organizations enable-policy-type --root-id ROOT --policy-type SERVICE_CONTROL_POLICY")
ENABLE_TRUSTED_ACCESS_NOTE = ("A member account's alternate contacts need trusted access for AWS Account Management, "
                              "enabled once from the management account:", ENABLE_TRUSTED_ACCESS)
IGNORED_AFTER_IMPORT = ("email", "iam_user_access_to_billing", "name", "role_name")


def scp_path(org: Org, name: str) -> str:
    """Where an SCP's document goes, relative to the export's ``policies/``."""
    return f"{org.management.name}/scps/{name}.json"


def scp_files(org: Org) -> dict[str, str]:
    """Every SCP document the Terraform resources read, keyed as :func:`scp_path` (compact JSON, as sent)."""
    if not org.uses_accounts:
        return {}
    return {scp_path(org, name): compact(want.document) + "\n" for name, want in wanted_scps(org).items()}


def exported_accounts(org: Org) -> list[Account]:
    """The accounts the export holds: those whose own section gives an ``ou``, ``tags`` or a
    ``*_contact`` (what :mod:`awsroles.sync.accounts` places, tags and gives contacts, adopting it)."""
    return [a for a in org.accounts if a.ou or a.tags or a.contacts]


def account_tags(org: Org, account: Account) -> dict[str, str]:
    """Every tag apply leaves on an exported account: its marks, the file's tags and ``awsroles-tags``."""
    tags = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: org.name}
    if account.ou:
        tags[OU_TAG] = account.ou
    tags.update(org.recorded_account_tags(account))
    return dict(sorted(tags.items()))


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
    local = hcl.Locals()
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
    for account in exported_accounts(org):
        accounts[account.name] = local(ACCOUNT_RESOURCE, f"account_{account.name}")
        blocks.extend(_account(org, account, accounts[account.name], ous.get(account.ou, ""), provider))
    for account in exported_accounts(org):
        for kind, contact in sorted(org.account_contacts(account).items()):
            member = account.id != org.management.id
            comments = ENABLE_TRUSTED_ACCESS_NOTE if member and not any(
                b.labels[:1] == (CONTACT_RESOURCE,) and b.comments for b in blocks) else ()
            blocks.append(hcl.Block("resource", (CONTACT_RESOURCE, local(CONTACT_RESOURCE, f"{account.name}_{kind}")), (
                hcl.Attribute("provider", hcl.Expr(f"aws.{provider}")),
                hcl.Blank(),
                # the management account's own contacts: without account_id (AWS refuses its own id)
                *([hcl.Attribute("account_id", hcl.Expr(f"{ACCOUNT_RESOURCE}.{accounts[account.name]}.id"))]
                  if member else []),
                hcl.Attribute("alternate_contact_type", kind),
                hcl.Attribute("name", contact.name),
                hcl.Attribute("title", contact.title),
                hcl.Attribute("email_address", contact.email),
                hcl.Attribute("phone_number", contact.phone),
            ), comments))
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
            hcl.Attribute("parent_id", hcl.Expr(f"{OU_RESOURCE}.{ou}.id")) if ou else None,
            hcl.Attribute("role_name", org.bootstrap_role),
            # Closing an account is never a side effect: not of apply, not of terraform destroy.
            hcl.Attribute("close_on_deletion", False),
            hcl.Attribute("tags", dict(account_tags(org, account))),
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
