"""Pure: guardrails, a small vocabulary of service control policies (SCPs), -> one SCP document.

An org file names guardrails in a list (``guardrails = deny-leave-organization, deny-root-user,
protect-awsroles, allowed-regions eu-west-1 eu-central-1``), read by :mod:`awsroles.org.guardrails`
(the names and their parsing, which validate needs); this module turns such a list into the one
SCP awsroles attaches, checks it against Organizations' limits, and says what each statement
does. Every guardrail only denies: an SCP never grants anything, and AWS's ``FullAWSAccess`` stays
attached beside it (Organizations User Guide, "Service control policies"). SCPs never apply to the
management account itself, only to member accounts.

The guardrails, statement by statement (``{path}`` is the org's IAM path, ``{bootstrap}`` its
bootstrap role, through which awsroles itself applies, so every deny but the root user's exempts
it with ``ArnNotLike aws:PrincipalArn arn:PARTITION:iam::*:role/{bootstrap}``):

- ``deny-leave-organization``: ``DenyLeaveOrganization`` denies ``organizations:LeaveOrganization``
  (an account that leaves takes itself out of every guardrail and of consolidated billing).
- ``deny-root-user``: ``DenyRootUser`` denies every action to the account's root user
  (``aws:PrincipalArn`` like ``arn:PARTITION:iam::*:root``), no exemption: root is for the few tasks
  that need it, done from the management account's side (Organizations User Guide, "Example SCPs").
- ``protect-awsroles``: what awsroles manages is changed only through the bootstrap role, never by
  an administrator inside an environment account: ``ProtectAwsrolesRoles`` denies creating,
  deleting, re-trusting, re-tagging and changing the policies of roles at ``{path}``;
  ``ProtectAwsrolesPolicies`` the same for customer managed policies at ``{path}``;
  ``ProtectBootstrapRole`` the same for the bootstrap role itself (whoever changes its trust policy
  could lock awsroles out, or let someone else in).
- ``protect-security-services``: ``ProtectCloudTrail``, ``ProtectGuardDuty`` and ``ProtectConfig``
  deny stopping, deleting or reconfiguring the trail, the detector and the recorder, the calls of
  AWS's own examples ("Prevent users from disabling ...").
- ``allowed-regions REGION...``: ``DenyOtherRegions`` denies every action whose
  ``aws:RequestedRegion`` is not one of the regions, except the actions of global services, whose
  single endpoint is in us-east-1 (:data:`GLOBAL_ACTIONS`, the list of AWS's example "Deny access
  to AWS based on the requested AWS Region"; ``allowed-regions`` takes only region names).

Limits checked (:func:`check`): an SCP holds at most 5,120 characters (Organizations User Guide,
"Quotas and service limits"; counted here on compact JSON, never less than AWS counts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from awsroles.org.guardrails import NAMES, REGION, Guardrail, parse
from awsroles.org.jsondoc import Document, canonical, compact_size

VERSION = "2012-10-17"
SCP_MAX_CHARS = 5120
Condition = dict[str, dict[str, Any]]  # operator -> condition key -> value(s)

# Global services (and global operations of regional ones): their requests go to us-east-1 (or carry no
# region) whatever region is used, so a region guardrail must not deny them. The list of AWS's example SCP
# "Deny access to AWS based on the requested AWS Region" (Organizations User Guide, "General examples").
GLOBAL_ACTIONS = (
    "a4b:*", "acm:*", "aws-marketplace-management:*", "aws-marketplace:*", "aws-portal:*", "budgets:*", "ce:*",
    "chime:*", "cloudfront:*", "config:*", "cur:*", "directconnect:*", "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways", "fms:*", "globalaccelerator:*", "health:*", "iam:*",
    "importexport:*", "kms:*", "mobileanalytics:*", "networkmanager:*", "organizations:*", "pricing:*",
    "route53:*", "route53domains:*", "route53-recovery-cluster:*", "route53-recovery-control-config:*",
    "route53-recovery-readiness:*", "s3:GetAccountPublic*", "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints", "s3:PutAccountPublic*", "shield:*", "sts:*", "support:*",
    "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "wellarchitected:*",
)
ROLE_WRITES = (
    "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
    "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
)
POLICY_WRITES = (
    "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
)
CLOUDTRAIL_WRITES = ("cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors", "cloudtrail:StopLogging",
                     "cloudtrail:UpdateTrail")
GUARDDUTY_WRITES = (
    "guardduty:DeleteDetector", "guardduty:DeleteMembers", "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateMembers", "guardduty:StopMonitoringMembers",
    "guardduty:UpdateDetector",
)
CONFIG_WRITES = ("config:DeleteConfigRule", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
                 "config:StopConfigurationRecorder")


@dataclass(frozen=True)
class Context:
    """What the statements name: the org's IAM path, its bootstrap role, the partition."""

    path: str = "/awsroles/"
    bootstrap_role: str = "OrganizationAccountAccessRole"
    partition: str = "aws"
    adopted_roles: tuple[str, ...] = ()  # path and name (``/Admin``) of each role adopted in place

    def exempt(self) -> Condition:
        """The condition that lets the bootstrap role (awsroles' own apply) through a deny."""
        return {"ArnNotLike": {"aws:PrincipalArn": f"arn:{self.partition}:iam::*:role/{self.bootstrap_role}"}}


def _deny(sid: str, actions: Sequence[str], resources: Sequence[str] | str = "*",
          condition: Condition | None = None, *, not_action: bool = False) -> Document:
    statement: Document = {"Sid": sid, "Effect": "Deny", "NotAction" if not_action else "Action": list(actions),
                           "Resource": resources if isinstance(resources, str) else list(resources)}
    if condition:
        statement["Condition"] = condition
    return statement


def _leave(guardrail: Guardrail, ctx: Context) -> list[Document]:
    return [_deny("DenyLeaveOrganization", ["organizations:LeaveOrganization"], "*", ctx.exempt())]


def _root(guardrail: Guardrail, ctx: Context) -> list[Document]:
    return [_deny("DenyRootUser", ["*"], "*",
                  {"StringLike": {"aws:PrincipalArn": f"arn:{ctx.partition}:iam::*:root"}})]


def _protect(guardrail: Guardrail, ctx: Context) -> list[Document]:
    iam = f"arn:{ctx.partition}:iam::*"
    return [
        _deny("ProtectAwsrolesRoles", ROLE_WRITES, f"{iam}:role{ctx.path}*", ctx.exempt()),
        _deny("ProtectAwsrolesPolicies", POLICY_WRITES, f"{iam}:policy{ctx.path}*", ctx.exempt()),
        _deny("ProtectBootstrapRole", ROLE_WRITES, f"{iam}:role/{ctx.bootstrap_role}", ctx.exempt()),
        *([_deny("ProtectAdoptedRoles", ROLE_WRITES, [f"{iam}:role{r}" for r in ctx.adopted_roles], ctx.exempt())]
          if ctx.adopted_roles else []),
    ]


def context(org: Any) -> Context:
    """The statements' context of ``org`` (an :class:`~awsroles.org.model.Org`): its path, bootstrap
    role, partition, and the roles it adopts in place (``[role] path``), which protect-awsroles
    protects by exact path and name as it protects the org's path."""
    adopted = tuple(sorted(f"{path}{name}" for name, path in org.adopted_in_place()["role"].items()))
    return Context(org.path, org.bootstrap_role, org.partition, adopted)


def _security(guardrail: Guardrail, ctx: Context) -> list[Document]:
    return [
        _deny("ProtectCloudTrail", CLOUDTRAIL_WRITES, "*", ctx.exempt()),
        _deny("ProtectConfig", CONFIG_WRITES, "*", ctx.exempt()),
        _deny("ProtectGuardDuty", GUARDDUTY_WRITES, "*", ctx.exempt()),
    ]


def _regions(guardrail: Guardrail, ctx: Context) -> list[Document]:
    condition: Condition = {
        "StringNotEquals": {"aws:RequestedRegion": sorted(set(guardrail.arguments))}, **ctx.exempt()}
    return [_deny("DenyOtherRegions", GLOBAL_ACTIONS, "*", condition, not_action=True)]


STATEMENTS: dict[str, Callable[[Guardrail, Context], list[Document]]] = {
    "deny-leave-organization": _leave,
    "deny-root-user": _root,
    "protect-awsroles": _protect,
    "protect-security-services": _security,
    "allowed-regions": _regions,
}
# name -> (what it does, in one line; whether it takes arguments; its statements): the org file's
# vocabulary (awsroles.org.guardrails.NAMES, which validate reads) with each name's statements.
GUARDRAILS: dict[str, tuple[str, bool, Callable[[Guardrail, Context], list[Document]]]] = {
    name: (summary, takes, STATEMENTS[name]) for name, (summary, takes) in NAMES.items()}
__all__ = ["GUARDRAILS", "REGION", "SCP_MAX_CHARS", "Context", "Guardrail", "check", "document", "parse"]


def document(guardrails: Sequence[Guardrail], ctx: Context) -> Document:
    """The one SCP for ``guardrails`` (canonical: sorted statements, byte-stable)."""
    statements = [s for g in guardrails for s in GUARDRAILS[g.name][2](g, ctx)]
    return canonical({"Version": VERSION, "Statement": statements})


def check(guardrails: Sequence[Guardrail], ctx: Context) -> list[str]:
    """What Organizations would refuse: an SCP over :data:`SCP_MAX_CHARS` characters."""
    size = compact_size(document(guardrails, ctx))
    if size > SCP_MAX_CHARS:
        return [f"the guardrails make an SCP of {size} characters; Organizations allows {SCP_MAX_CHARS}: "
                "list fewer, or split them between OUs"]
    return []
