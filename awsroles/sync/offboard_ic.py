"""Offboarding a person from IAM Identity Center at once (``users offboard`` in an org whose people
are in Identity Center): their group memberships, then their Identity Center user.

Removing the person from the org file alone would leave them their groups, so their access portal
would keep handing out new credentials, until the next apply. ``users offboard`` therefore
deletes the user's memberships and the user themselves as it deletes an IAM user, after
ending the sessions they hold (:mod:`awsroles.sync.end_sessions_ic`). Only a user awsroles made
(its mark) is changed. A user that does not exist is skipped.
:func:`prepare` reads; :func:`write` deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awsroles.errors import aws_error_code
from awsroles.identity_center import names
from awsroles.identity_center.runner import IdentityCenterRunner
from awsroles.org.model import Org


@dataclass(frozen=True)
class IdentityCenterOffboard:
    """What deleting ``name`` from Identity Center takes: the memberships (group name, membership
    id), then the user; or why nothing is done (``skipped``)."""

    name: str
    user_id: str = ""
    memberships: tuple[tuple[str, str], ...] = ()
    skipped: str = ""

    @property
    def descriptions(self) -> list[str]:
        if self.skipped:
            return [f"Identity Center user {self.name}: nothing to do ({self.skipped})"]
        return [*(f"remove {self.name} from Identity Center group {group}" for group, _ in self.memberships),
                f"delete Identity Center user {self.name}"]


def prepare(org: Org, runner: IdentityCenterRunner, name: str) -> IdentityCenterOffboard:
    """Read ``name``'s Identity Center user and memberships. Reads only."""
    store, store_id = runner.store, runner.store_id
    try:
        user_id = runner.user_id(name)
    except Exception as exc:
        if aws_error_code(exc) != "ResourceNotFoundException":
            raise
        return IdentityCenterOffboard(name, skipped="no such Identity Center user")
    user = store.describe_user(IdentityStoreId=store_id, UserId=user_id)
    if names.user_owner(user.get("UserType", "")) != org.name:
        return IdentityCenterOffboard(name, skipped="not awsroles' user: never changed")
    memberships = []
    pages = store.get_paginator("list_group_memberships_for_member").paginate(
        IdentityStoreId=store_id, MemberId={"UserId": user_id})
    for page in pages:
        for membership in page.get("GroupMemberships", []):
            group = store.describe_group(IdentityStoreId=store_id, GroupId=membership["GroupId"])
            memberships.append((str(group.get("DisplayName", membership["GroupId"])), membership["MembershipId"]))
    return IdentityCenterOffboard(name, user_id, tuple(memberships))


def write(runner: IdentityCenterRunner, offboard: IdentityCenterOffboard) -> None:
    """Delete the memberships, then the user (one already gone counts as done: a re-run)."""
    if offboard.skipped:
        return
    calls: list[tuple[str, dict[str, Any]]] = [("delete_group_membership", {"MembershipId": m})
                                               for _, m in offboard.memberships]
    calls.append(("delete_user", {"UserId": offboard.user_id}))
    for method, params in calls:
        try:
            getattr(runner.store, method)(IdentityStoreId=runner.store_id, **params)
        except Exception as exc:
            if aws_error_code(exc) != "ResourceNotFoundException":
                raise
