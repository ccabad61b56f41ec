"""Who can assume which role, judged from what IAM holds, read with boto3 (a helper of the tests of
hand-made orgs adopted by awsroles, tests/aws/test_adopt_shapes.py).

moto in-process evaluates no policy at AssumeRole, and the sandbox server neither trust policies nor
permissions boundaries (tests/e2e/test_import_console.py makes the real calls, with IAM authorization
on, for the identity side). So the cross-account AssumeRole a person makes as awsroles does it (an
MFA session of their own IAM user, ``SourceIdentity`` = their user name, so ``sts:AssumeRole`` and
``sts:SetSourceIdentity``) is judged here as IAM documents it (IAM User Guide, "Policy evaluation
logic" and "Cross-account policy evaluation logic"): an explicit Deny in any of the person's
policies wins; their identity policies (their own and their groups', inline and attached) must
allow each action on the role, and so must their permissions boundary when they have one; and the
role's trust policy must allow each action to them. Conditions are resolved by the sandbox's
evaluator (:func:`awsroles.sandbox.server.conditions.resolve_policy`); ``ArnLike``/``ArnEquals``
on ``aws:PrincipalArn`` here; any other condition left over fails the test rather than be guessed.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from awsroles.sandbox.server.conditions import resolve_policy

ACTIONS = ("sts:AssumeRole", "sts:SetSourceIdentity")


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []


def _doc(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else dict(json.loads(value))


def managed_document(iam: Any, arn: str) -> dict[str, Any]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return _doc(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def identity_documents(iam: Any, user: str) -> list[dict[str, Any]]:
    """Every identity policy of ``user``: their own and their groups', inline and attached."""
    docs = [_doc(iam.get_user_policy(UserName=user, PolicyName=p)["PolicyDocument"])
            for p in iam.list_user_policies(UserName=user)["PolicyNames"]]
    docs += [managed_document(iam, a["PolicyArn"]) for a in iam.list_attached_user_policies(UserName=user)[
        "AttachedPolicies"]]
    for group in iam.list_groups_for_user(UserName=user)["Groups"]:
        name = group["GroupName"]
        docs += [_doc(iam.get_group_policy(GroupName=name, PolicyName=p)["PolicyDocument"])
                 for p in iam.list_group_policies(GroupName=name)["PolicyNames"]]
        docs += [managed_document(iam, a["PolicyArn"]) for a in iam.list_attached_group_policies(GroupName=name)[
            "AttachedPolicies"]]
    return docs


def context(user_arn: str, name: str, *, mfa: bool, source_identity: bool = True) -> dict[str, str]:
    """The request context of AssumeRole with SourceIdentity = ``name`` (or none): from an MFA
    session, or signed with a long-term access key (no MFA key at all)."""
    found = {"aws:username": name, "aws:principalarn": user_arn, "aws:principalaccount": user_arn.split(":")[4],
             "aws:principaltype": "User"}
    if source_identity:
        found["sts:sourceidentity"] = name
    if mfa:
        found |= {"aws:multifactorauthpresent": "true", "aws:multifactorauthage": "60"}
    return found


def _left_over_holds(condition: Mapping[str, Any], ctx: Mapping[str, str]) -> bool:
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            actual = ctx.get(key.lower())
            if operator in ("ArnLike", "ArnEquals", "StringLike") and key.lower() == "aws:principalarn":
                if actual is None or not any(fnmatch.fnmatchcase(actual, p) for p in _listed(expected)):
                    return False
                continue
            raise AssertionError(f"a condition the evaluator cannot judge: {operator} {key}")
    return True


def _matches(statement: Mapping[str, Any], action: str, resource: str | None) -> bool:
    if "Action" in statement:
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement["Action"])):
            return False
    elif any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement.get("NotAction"))):
        return False
    if resource is None:  # a trust policy: no Resource
        return True
    if "Resource" in statement:
        return any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"]))
    return not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement.get("NotResource")))


def _effects(documents: Iterable[Mapping[str, Any]], action: str, resource: str | None, ctx: Mapping[str, str],
             principal: Iterable[str] = ()) -> set[str]:
    """The effects of the statements that apply to the request (trust policies: to ``principal``)."""
    found = set()
    names = set(principal)
    for document in documents:
        for statement in resolve_policy(document, ctx)["Statement"]:
            if names:
                allowed = statement.get("Principal", {})
                listed = _listed(allowed.get("AWS")) if isinstance(allowed, Mapping) else _listed(allowed)
                if not names & set(listed):
                    continue
            if _matches(statement, action, resource) and _left_over_holds(statement.get("Condition", {}), ctx):
                found.add(statement["Effect"])
    return found


@dataclass(frozen=True)
class Person:
    """What decides what an ops user may do, read once: their ARN, identity policies and boundary."""

    name: str
    arn: str
    identity: list[dict[str, Any]]
    bounds: list[dict[str, Any]] | None

    @classmethod
    def read(cls, ops: Any, name: str) -> Person:
        user = ops.get_user(UserName=name)["User"]
        boundary = user.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        return cls(name, user["Arn"], identity_documents(ops, name),
                   [managed_document(ops, boundary)] if boundary else None)


def _role(env: Any, role_arn: str) -> dict[str, Any] | None:
    role: dict[str, Any] = env.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    return role if role["Arn"] == role_arn else None


def _judge(person: Person, role: Mapping[str, Any] | None, role_arn: str, *, mfa: bool, source_identity: bool) -> bool:
    """Whether ``person`` may assume ``role`` as awsroles does it: every one of :data:`ACTIONS`
    allowed on both sides, bounded, never denied (``source_identity=False``: a plain ``aws sts
    assume-role``, sts:AssumeRole alone)."""
    if role is None:
        return False
    ctx = context(person.arn, person.name, mfa=mfa, source_identity=source_identity)
    trust = [_doc(role["AssumeRolePolicyDocument"])]
    ops_id = person.arn.split(":")[4]
    principals = ("*", ops_id, f"arn:aws:iam::{ops_id}:root", person.arn)
    for action in ACTIONS if source_identity else ACTIONS[:1]:
        mine = _effects(person.identity, action, role_arn, ctx)
        if "Deny" in mine or "Allow" not in mine:
            return False
        if person.bounds is not None and _effects(person.bounds, action, role_arn, ctx) != {"Allow"}:
            return False
        if _effects(trust, action, None, ctx, principals) != {"Allow"}:
            return False
    return True


def who_can(ops: Any, envs: Mapping[str, Any], people: Iterable[str], roles: Mapping[str, Iterable[str]],
            *, mfa: bool = True, source_identity: bool = True) -> set[tuple[str, str, str]]:
    """(person, account, role) for every role ARN of ``roles`` (account name -> role ARNs) each person
    may assume. Each person and each role is read once (what a pair is judged on is the same)."""
    persons = [Person.read(ops, person) for person in people]
    read = [(account, arn, _role(envs[account], arn)) for account, arns in roles.items() for arn in arns]
    return {(person.name, account, arn.rsplit("/", 1)[-1]) for person in persons for account, arn, role in read
            if _judge(person, role, arn, mfa=mfa, source_identity=source_identity)}


def user_snapshot(iam: Any, name: str) -> dict[str, Any]:
    """Everything that decides what a user may do, and their marks."""
    user = iam.get_user(UserName=name)["User"]
    return {"path": user["Path"], "boundary": user.get("PermissionsBoundary"),
            "tags": sorted((t["Key"], t["Value"]) for t in iam.list_user_tags(UserName=name)["Tags"]),
            "inline": {p: _doc(iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"])
                       for p in iam.list_user_policies(UserName=name)["PolicyNames"]},
            "attached": sorted(a["PolicyArn"] for a in iam.list_attached_user_policies(UserName=name)[
                "AttachedPolicies"]),
            "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"])}


def group_snapshot(iam: Any, name: str) -> dict[str, Any]:
    group = iam.get_group(GroupName=name)
    return {"path": group["Group"]["Path"], "members": sorted(u["UserName"] for u in group["Users"]),
            "inline": {p: _doc(iam.get_group_policy(GroupName=name, PolicyName=p)["PolicyDocument"])
                       for p in iam.list_group_policies(GroupName=name)["PolicyNames"]},
            "attached": sorted(a["PolicyArn"] for a in iam.list_attached_group_policies(GroupName=name)[
                "AttachedPolicies"])}


def role_snapshot(iam: Any, name: str) -> dict[str, Any]:
    role = iam.get_role(RoleName=name)["Role"]
    return {"path": role["Path"], "trust": _doc(role["AssumeRolePolicyDocument"]),
            "boundary": role.get("PermissionsBoundary"), "max_session": role.get("MaxSessionDuration"),
            "tags": sorted((t["Key"], t["Value"]) for t in iam.list_role_tags(RoleName=name)["Tags"]),
            "inline": {p: _doc(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
                       for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
            "attached": sorted(a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=name)[
                "AttachedPolicies"])}
