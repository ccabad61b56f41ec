"""An org made by hand in the AWS console, as admins bring it to awsroles (``sandbox start --console-org``).

Everything at IAM path ``/``, with console-style names, nothing marked as awsroles':

- in the ops account, the people (``alice``, ``bob``, ``carol``) and a machine user ``ci-deploy``
  with an inline policy of its own and no group;
- ops groups ``Admins`` (alice) and ``Developers`` (bob, carol), each with an inline policy
  allowing ``sts:AssumeRole`` on roles in the environment accounts when the caller signed in with
  MFA (``Bool aws:MultiFactorAuthPresent``), and a group ``Auditors`` (carol) holding the AWS managed
  ``ReadOnlyAccess`` in ops and no role at all;
- in every environment account, a role ``Admin`` (AdministratorAccess) and, outside prod, a role
  ``Developer`` (PowerUserAccess), trusting the ops account with the same MFA condition.

:func:`build_console_org` makes it through any IAM client per account: the sandbox seed passes
clients of the sandbox server, tests/aws passes clients of ``mock_aws``, so both meet the same org.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from awsroles.org.entries import Account
from awsroles.org.model import Org

CONSOLE_PATH = "/"
MFA_CONDITION = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
ADMIN_ROLE, DEVELOPER_ROLE = "Admin", "Developer"
GROUPS = {"Admins": ("alice",), "Developers": ("bob", "carol"), "Auditors": ("carol",)}
MACHINE_USER = "ci-deploy"


@dataclass(frozen=True)
class ConsoleOrg:
    """What :func:`build_console_org` made: ops users and groups, roles per environment account name."""

    users: tuple[str, ...]
    groups: tuple[str, ...]
    roles: dict[str, tuple[str, ...]]  # account name -> role names


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _without_prod(accounts: list[Account]) -> list[Account]:
    return [a for a in accounts if a.environment and not a.environment.startswith("prod")]


def build_console_org(org: Org, iam_for: Callable[[Account], Any]) -> ConsoleOrg:
    """Make the hand-made org (see the module docstring) in ``org``'s ops and environment accounts;
    ``iam_for(account)`` is an IAM client acting as an administrator in that account."""
    partition, ops = org.partition, org.ops
    environments = [a for a in org.accounts if a.environment and not a.pending]
    roles: dict[str, tuple[str, ...]] = {}
    trust = _document({"Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{ops.id}:root"},
                       "Action": "sts:AssumeRole", "Condition": MFA_CONDITION})
    for account in environments:
        iam = iam_for(account)
        made = [(ADMIN_ROLE, "AdministratorAccess")]
        if account in _without_prod(environments):
            made.append((DEVELOPER_ROLE, "PowerUserAccess"))
        for name, policy in made:
            iam.create_role(RoleName=name, Path=CONSOLE_PATH, AssumeRolePolicyDocument=trust,
                            Description=f"{name} access, made in the console")
            iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:{partition}:iam::aws:policy/{policy}")
        roles[account.name] = tuple(name for name, _ in made)

    def assume(role: str, accounts: list[Account]) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": "sts:AssumeRole", "Condition": MFA_CONDITION,
                "Resource": [f"arn:{partition}:iam::{a.id}:role/{role}" for a in accounts]}

    iam = iam_for(ops)
    users = sorted({u for members in GROUPS.values() for u in members} | {MACHINE_USER})
    for user in users:
        iam.create_user(UserName=user, Path=CONSOLE_PATH)
    artifacts = f"arn:{partition}:s3:::artifacts/*"
    iam.put_user_policy(UserName=MACHINE_USER, PolicyName="deploy-artifacts", PolicyDocument=_document(
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": artifacts}))
    policies = {"Admins": ("AssumeAdmin", _document(assume(ADMIN_ROLE, environments))),
                "Developers": ("AssumeDeveloper", _document(assume(DEVELOPER_ROLE, _without_prod(environments))))}
    for group, members in GROUPS.items():
        iam.create_group(GroupName=group, Path=CONSOLE_PATH)
        if group in policies:
            name, document = policies[group]
            iam.put_group_policy(GroupName=group, PolicyName=name, PolicyDocument=document)
        else:
            iam.attach_group_policy(GroupName=group, PolicyArn=f"arn:{partition}:iam::aws:policy/ReadOnlyAccess")
        for member in members:
            iam.add_user_to_group(GroupName=group, UserName=member)
    return ConsoleOrg(tuple(users), tuple(GROUPS), roles)
