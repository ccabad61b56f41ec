"""Pure: guardrails, a small vocabulary of service control policies (SCPs), -> one SCP document.

An org file will name guardrails in a list (``guardrails = deny-leave-organization, deny-root-user,
protect-awsroles, allowed-regions eu-west-1 eu-central-1``); this module turns such a list into the
one SCP awsroles attaches, checks it against Organizations' limits, and says what each statement
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

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from awsroles.org.jsondoc import Document, canonical, compact_size

VERSION = "2012-10-17"
SCP_MAX_CHARS = 5120
Condition = dict[str, dict[str, Any]]  # operator -> condition key -> value(s)
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")  # eu-west-1, us-gov-west-1, ap-southeast-5

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

    def exempt(self) -> Condition:
        """The condition that lets the bootstrap role (awsroles' own apply) through a deny."""
        return {"ArnNotLike": {"aws:PrincipalArn": f"arn:{self.partition}:iam::*:role/{self.bootstrap_role}"}}


@dataclass(frozen=True)
class Guardrail:
    """One entry of an org file's ``guardrails`` list: a name from :data:`GUARDRAILS`, and its arguments."""

    name: str
    arguments: tuple[str, ...] = ()

    def __str__(self) -> str:
        return " ".join((self.name, *self.arguments))


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
    ]


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


# name -> (what it does, in one line; whether it takes arguments; its statements)
GUARDRAILS: dict[str, tuple[str, bool, Callable[[Guardrail, Context], list[Document]]]] = {
    "deny-leave-organization": ("no account can leave the organization", False, _leave),
    "deny-root-user": ("the root user of a member account can do nothing", False, _root),
    "protect-awsroles": ("awsroles' roles, policies and bootstrap role change only through the bootstrap role",
                         False, _protect),
    "protect-security-services": ("CloudTrail, AWS Config and GuardDuty cannot be stopped or reconfigured",
                                  False, _security),
    "allowed-regions": ("nothing outside the regions listed, but global services", True, _regions),
}


def parse(text: str) -> tuple[list[Guardrail], list[str]]:
    """An org file's ``guardrails`` value (entries separated by commas or lines; an entry is a name and,
    for ``allowed-regions``, regions separated by spaces) -> the guardrails, and a problem per bad entry."""
    found: list[Guardrail] = []
    problems: list[str] = []
    seen: set[str] = set()
    for entry in (e.strip() for e in re.split(r"[,\n]", text)):
        if not entry:
            continue
        name, *arguments = entry.split()
        if name not in GUARDRAILS:
            close = difflib.get_close_matches(name, GUARDRAILS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(GUARDRAILS)}"
            problems.append(f"unknown guardrail {name!r}: {hint}")
            continue
        if name in seen:
            problems.append(f"guardrail {name} is listed twice")
            continue
        seen.add(name)
        takes = GUARDRAILS[name][1]
        if takes and not arguments:
            problems.append(f"{name} needs at least one region: {name} eu-west-1 eu-central-1")
            continue
        if not takes and arguments:
            problems.append(f"{name} takes no arguments (got {' '.join(arguments)!r})")
            continue
        bad = [a for a in arguments if not REGION.match(a)]
        if bad:
            problems.append(f"{name}: not a region name: {', '.join(bad)} (expected names such as eu-west-1)")
            continue
        found.append(Guardrail(name, tuple(arguments)))
    return found, problems


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
