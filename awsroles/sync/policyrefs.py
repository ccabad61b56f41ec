"""Pure: the managed policies a role (or a user) needs that its account does not have.

A role's ``customer_managed`` policies and a customer managed ``boundary`` are ARNs in the role's
own account (:func:`awsroles.iam.desired.customer_managed_arns`); a user's ``boundary`` (or
``[org] user_boundary``) is one in the ops account. awsroles attaches them but does not make
them. IAM refuses to attach a policy that does not exist (``NoSuchEntity``, IAM API Reference,
"AttachRolePolicy", "PutRolePermissionsBoundary" and "PutUserPermissionsBoundary"), and a policy
of another account cannot be attached at all. The read of an account already holds every customer managed policy
there (:attr:`awsroles.sync.state.LiveAccount.documents`), so the plan says which are missing, by
the name the org file gives them, instead of apply stopping on IAM's error half-way. AWS managed
policies (``arn:aws:iam::aws:policy/...``) are not read and not checked.
"""

from __future__ import annotations

import re

from awsroles.iam.desired import AccountSpec, RoleSpec, UserSpec
from awsroles.org.entries import Account
from awsroles.org.identity import policy_reference
from awsroles.sync.state import LiveAccount

_POLICY_ARN = re.compile(r"arn:[\w-]+:iam::(aws|\d{12}):policy(/(?:.*/)?)([^/]+)")


def missing_policies(partition: str, account: Account, role: RoleSpec, live: LiveAccount,
                     spec: AccountSpec) -> list[str]:
    """Why each policy ``role`` needs in ``account`` cannot be attached there (none: an empty list).
    ``spec`` is what awsroles manages in the account: its own policies exist by the time roles are made."""
    wanted = [(arn, "customer managed policy") for arn in role.managed]
    if role.boundary:
        wanted.append((role.boundary, "permissions boundary policy"))
    return _unavailable(partition, account, wanted, live, spec, "role")


def missing_user_policies(partition: str, account: Account, user: UserSpec, live: LiveAccount,
                          spec: AccountSpec) -> list[str]:
    """Why ``user``'s permissions boundary cannot be set in ``account`` (the ops account): none, an empty list."""
    if not user.boundary:
        return []
    return _unavailable(partition, account, [(user.boundary, "permissions boundary policy")], live, spec, "user")


def _unavailable(partition: str, account: Account, wanted: list[tuple[str, str]], live: LiveAccount,
                 spec: AccountSpec, kind: str) -> list[str]:
    local = [(match, what) for arn, what in wanted
             if (match := _POLICY_ARN.fullmatch(arn)) is not None and match.group(1) != "aws"]
    if not local:  # AWS managed policies only: nothing to look up
        return []
    existing = {_reference(arn): arn for arn in live.documents if arn.split(":")[4:5] == [account.id]}
    existing |= {policy_reference(p.path, p.name): f"arn:{partition}:iam::{account.id}:policy{p.path}{p.name}"
                 for p in spec.policies}
    folded = {reference.lower(): reference for reference in existing}
    where = f"account {account.name} ({account.id})"
    problems = []
    for match, what in local:
        owner, path, name = match.groups()
        if owner != account.id:
            problems.append(f"{what} {match.group(0)} is in account {owner}, and IAM attaches only a policy of the "
                            f"{kind}'s own account ({where}) or an AWS managed one")
            continue
        reference = policy_reference(path, name)
        if reference in existing:
            continue
        problem = f"{what} {reference} does not exist in {where}"
        other = folded.get(reference.lower())
        if other is not None:
            problem += f"; {other} does, in another case: write its name as IAM has it"
        else:
            problem += (": create it there first (awsroles attaches it, it does not make it), or take it out of the "
                        f"{kind}" + (" (or of [org] user_boundary)" if kind == "user" else ""))
        problems.append(problem)
    return problems


def _reference(arn: str) -> str:
    """``[/path/]name`` of a policy ARN (the whole ARN when it is none)."""
    match = _POLICY_ARN.fullmatch(arn)
    return policy_reference(match.group(2), match.group(3)) if match else arn
