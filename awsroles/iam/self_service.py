"""Pure: the org model -> the self-service policy every person's group carries.

``awsroles-self-service`` lets each IAM user manage their own password, MFA device and access
keys, and nothing else without MFA (which actions stay open without MFA depends on who enrols MFA
devices: ``[org] mfa_enrollment``). Attached to the group everyone is in (:mod:`awsroles.iam.desired`).
"""

from __future__ import annotations

from typing import Any

from awsroles.iam.policies import VERSION, canonical
from awsroles.org.jsondoc import Document
from awsroles.org.model import Org

# What a user may do without MFA when admins enrol MFA devices (mfa_enrollment = admin, the
# default): change their own password (the console's first sign-in), read their own user and
# MFA devices (`awsroles setup` finds the device with ListMFADevices), and get an MFA session.
# A leaked access key alone can then do nothing else: not even enrol a device of its own.
_WITHOUT_MFA_ADMIN_ENROLS = [
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
    "iam:GetUser",
    "iam:ListMFADevices",
    "sts:GetSessionToken",
]
# ... and when people enrol their own device (mfa_enrollment = self): also create and enable it.
_WITHOUT_MFA_SELF_ENROLS = [
    *_WITHOUT_MFA_ADMIN_ENROLS,
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetMFADevice",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
]


def without_mfa_actions(org: Org) -> list[str]:
    """What the self-service policy still allows a request made without MFA (sorted)."""
    return sorted(_WITHOUT_MFA_SELF_ENROLS if org.self_mfa_enrollment else _WITHOUT_MFA_ADMIN_ENROLS)


def self_service_policy(org: Org) -> Document:
    """Every user's own-credentials policy: the standard AWS pattern, scoped to the ops account.

    Users manage their own password and access keys and read their own MFA devices; with
    ``mfa_enrollment = self`` they also create, enable, resync and remove their own virtual MFA
    device (else only admins do). When the org requires MFA, everything else is denied until
    they sign in with MFA (:func:`without_mfa_actions`).
    """
    account = f"arn:{org.partition}:iam::{org.ops.id}"
    paths = sorted({org.path, *org.adopted_in_place()["user"].values()})
    mine = [f"{account}:user{path}${{aws:username}}" for path in paths]
    me: str | list[str] = mine[0] if len(mine) == 1 else mine  # users adopted in place at other paths too
    my_mfa = f"{account}:mfa/${{aws:username}}"
    self_enrols = org.self_mfa_enrollment
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ViewAccountInfo",
            "Effect": "Allow",
            "Action": ["iam:GetAccountPasswordPolicy", *(["iam:ListVirtualMFADevices"] if self_enrols else [])],
            "Resource": "*",
        },
        {
            "Sid": "ManageOwnPassword",
            "Effect": "Allow",
            "Action": ["iam:ChangePassword", "iam:GetLoginProfile", "iam:GetUser"],
            "Resource": me,
        },
        {
            "Sid": "ManageOwnAccessKeys",
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:DeleteAccessKey",
                "iam:GetAccessKeyLastUsed",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
            ],
            "Resource": me,
        },
    ]
    if self_enrols:
        statements += [
            {
                "Sid": "ManageOwnVirtualMFADevice",
                "Effect": "Allow",
                "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
                "Resource": my_mfa,
            },
            {
                "Sid": "ManageOwnUserMFA",
                "Effect": "Allow",
                "Action": [
                    "iam:DeactivateMFADevice",
                    "iam:EnableMFADevice",
                    "iam:GetMFADevice",
                    "iam:ListMFADevices",
                    "iam:ResyncMFADevice",
                ],
                "Resource": me,
            },
        ]
    else:
        statements.append(
            {
                "Sid": "ViewOwnUserMFA",
                "Effect": "Allow",
                "Action": ["iam:GetMFADevice", "iam:ListMFADevices"],
                "Resource": me,
            }
        )
    if org.mfa_required:
        statements.append(
            {
                "Sid": "DenyAllExceptListedIfNoMFA",
                "Effect": "Deny",
                "NotAction": without_mfa_actions(org),
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        )
    return canonical({"Version": VERSION, "Statement": statements})

