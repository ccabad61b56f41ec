"""End live sessions in IAM Identity Center now: the revocation statement
(:mod:`awsroles.identity_center.revocations`) in the inline policy of the permission set concerned,
provisioned again to every account it is provisioned to. Used by ``revoke --end-sessions`` in an
org whose people are in Identity Center, and by ``users disable`` and ``users offboard`` for every
permission set a person may use there (:func:`permission_sets_of`). :func:`prepare` reads (the
permission set, its tags and inline policy, the people's Identity Store user ids) and builds the
document; :func:`write` puts it,
tags the permission set with the digest of what awsroles now wants (so the statement is not drift)
and provisions it. Only awsroles' permission sets (its tags) are touched; one that does not exist
has no sessions to end and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from awsroles.errors import aws_error_code
from awsroles.identity_center import names, revocations
from awsroles.identity_center.desired import desired_identity_center, spec_digest
from awsroles.identity_center.runner import IdentityCenterRunner
from awsroles.org.model import Org
from awsroles.org.temporary import permission_set_name
from awsroles.sync.end_sessions import granted_to


@dataclass(frozen=True)
class PermissionSetEnd:
    """One permission set whose sessions issued before ``at`` to ``people`` in one account are refused."""

    environment: str
    account_id: str
    permission_set: str
    people: tuple[str, ...]
    at: str
    document: str | None = None  # the inline policy after the change
    tags: tuple[tuple[str, str], ...] = ()
    skipped: str = ""

    @property
    def description(self) -> str:
        where = f"permission set {self.permission_set} in {self.environment} ({self.account_id})"
        if self.skipped:
            return f"{where}: nothing to do ({self.skipped})"
        return (f"{where}: refuse sessions of {', '.join(self.people)} issued before {self.at} (its inline policy, "
                "provisioned again)")

    def as_dict(self) -> dict[str, Any]:
        return {"environment": self.environment, "account_id": self.account_id,
                "permission_set": self.permission_set, "people": list(self.people), "issued_before": self.at,
                "skipped": self.skipped}


def permission_sets_of(org: Org, person: str) -> list[tuple[str, str]]:
    """Every (environment, permission set) ``person`` may use in Identity Center: their teams'
    roles (a role's permission set has its name), then the temporary grants to them or their teams,
    expired ones too (a session from one may still be live; each grant has a permission set of its
    own), in file order; in an org on Identity Center alone, then the break-glass permission set in
    each environment whose ``[break-glass]`` names them."""
    seen, temporary_grants = granted_to(org, person)
    for temporary in temporary_grants:
        target = (temporary.environment, permission_set_name(temporary.id))
        if target not in seen:
            seen.append(target)
    if not org.uses_iam_users:  # their way to the break-glass roles
        seen += [(g.environment, names.BREAK_GLASS_SET) for g in org.break_glass if person in g.people]
    return seen


def _tags(sso: Any, instance: str, arn: str) -> dict[str, str]:
    """Every page of the permission set's tags."""
    pages = sso.get_paginator("list_tags_for_resource").paginate(InstanceArn=instance, ResourceArn=arn)
    return {t["Key"]: t["Value"] for page in pages for t in page.get("Tags", [])}


def prepare(org: Org, runner: IdentityCenterRunner, targets: Iterable[tuple[str, str]], people: Iterable[str],
            now: datetime) -> list[PermissionSetEnd]:
    """For each (environment, role): the revocation of ``people``'s sessions of the role's permission
    set in the environment's account issued before ``now``. Reads only."""
    sso, instance = runner.sso, runner.instance
    specs = {p.name: p for p in desired_identity_center(org, now).permission_sets}
    out = []
    for environment, role in targets:
        account = org.environment_account(environment)
        statement = revocations.statement(now, (), account.id)
        at = statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        base = PermissionSetEnd(environment, account.id, role, tuple(people), at)
        if account.pending:
            out.append(replace(base, skipped="the account does not exist yet"))
            continue
        try:
            arn = runner.permission_set_arn(role)
        except Exception:
            out.append(replace(base, skipped="the permission set does not exist, so no session of it does"))
            continue
        tags = _tags(sso, instance, arn)
        if names.permission_set_owner(tags) != org.name:
            out.append(replace(base, skipped="not awsroles' permission set: never changed"))
            continue
        ids, found = [], []
        for person in base.people:
            try:
                ids.append(runner.user_id(person))
                found.append(person)
            except Exception as exc:
                if aws_error_code(exc) != "ResourceNotFoundException":
                    raise
        if not ids:
            out.append(replace(base, skipped="none of them is an Identity Store user"))
            continue
        described = sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]
        seconds = names.duration_seconds(described.get("SessionDuration", "")) or 3600
        live = sso.get_inline_policy_for_permission_set(InstanceArn=instance, PermissionSetArn=arn).get(
            "InlinePolicy") or None
        spec = specs.get(role)
        wanted = spec.inline if spec is not None else revocations.with_statements(live, [])
        document = revocations.add(wanted, live, revocations.statement(now, ids, account.id), now=now,
                                   session_seconds=seconds, where=f"permission set {role}")
        new_tags: tuple[tuple[str, str], ...] = ()
        if spec is not None:
            written = replace(spec, inline=document)
            new_tags = tuple(sorted((*((k, v) for k, v in spec.tags if k != names.DIGEST_TAG),
                                     (names.DIGEST_TAG, spec_digest(written)))))
        out.append(replace(base, people=tuple(found), document=document, tags=new_tags))
    return out


def write(runner: IdentityCenterRunner, ends: Iterable[PermissionSetEnd]) -> list[PermissionSetEnd]:
    """Put each prepared inline policy, tag its digest, provision it again (and wait); returns those written."""
    done = []
    for end in ends:
        if end.skipped or end.document is None:
            continue
        runner.call("put_inline_policy_to_permission_set",
                    {"PermissionSet": end.permission_set, "InlinePolicy": end.document})
        if end.tags:
            runner.call("tag_resource", {"PermissionSet": end.permission_set,
                                         "Tags": [{"Key": k, "Value": v} for k, v in end.tags]})
        runner.call("provision_permission_set", {"PermissionSet": end.permission_set})
        done.append(end)
    return done
