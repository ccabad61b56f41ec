"""Access review in an org on IAM Identity Center alone: what each person may use, and whether it is used.

The same review as :mod:`awsroles.people.review` (the same grants from the org file, the same
flags against the same cut-off), with what Identity Center lets a tool read:

- **The person**: whether the Identity Store has them (``not in Identity Center`` otherwise). The
  Identity Store API has no last sign-in, no password and no access key of a person: the review
  shows none, and flags no one ``inactive`` or ``never used``.
- **A grant's use**: IAM's ``RoleLastUsed`` of the role Identity Center made for the grant's
  permission set in the environment's account (``AWSReservedSSO_<permission set>_<16 hex>`` at
  ``/aws-reserved/sso.amazonaws.com/``, its region's folder included: IAM Identity Center User
  Guide, "IAM roles created by IAM Identity Center"), read through the bootstrap role as ``plan``
  reads IAM: a standing grant's permission set is its role's name, a temporary grant's its own
  (``awsroles-tmp-...``); a break-glass role is an IAM role of its own name. Per role, not per
  person, as in IAM. Identity Center makes the role when the permission set is first assigned in
  the account (``role not in AWS`` until then) and deletes it with the last assignment.
- **CloudTrail** is not read here (``--cloudtrail`` is refused): an Identity Center session is not
  an ``AssumeRole`` with the person's source identity in the environment's account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from awsroles.org.entries import Account
from awsroles.org.model import Org
from awsroles.org.temporary import permission_set_name
from awsroles.people.review import (
    Access,
    GrantReview,
    PersonReview,
    Review,
    RoleUse,
    _utc,
    accesses,
    grant_flags,
    read_role_use,
)

RESERVED_PATH = "/aws-reserved/sso.amazonaws.com/"
_RESERVED_ROLE = re.compile(r"AWSReservedSSO_(.+)_[0-9a-f]{16}")
NOT_IN_STORE = "not in Identity Center"
ROLE_NOTE = ("role last used: IAM's RoleLastUsed of the role Identity Center made for the permission set in that "
             "account, per role, not per person (anyone given the permission set there may have used it); IAM "
             "keeps it for the trailing 400 days")
PERSON_NOTE = ("Identity Center's API has no last sign-in of a person: no one is flagged inactive; its console shows "
               "sign-ins, and CloudTrail in its account records them")


def permission_set_of(access: Access) -> str | None:
    """The permission set a grant goes through; None for a break-glass role (an IAM role)."""
    if access.kind == "break-glass":
        return None
    if access.kind == "temporary":
        return permission_set_name(access.grant_id)
    return access.role


def read_permission_set_uses(iam: Any, environment: str, sets: Iterable[str]) -> dict[str, RoleUse]:
    """Each wanted permission set's role in the account (``iam``: a client there): its RoleLastUsed;
    a set Identity Center has made no role for here is absent."""
    wanted = set(sets)
    found: dict[str, RoleUse] = {}
    for page in iam.get_paginator("list_roles").paginate(PathPrefix=RESERVED_PATH):
        for role in page.get("Roles", []):
            match = _RESERVED_ROLE.fullmatch(str(role.get("RoleName", "")))
            if match is None or match.group(1) not in wanted:
                continue
            last = iam.get_role(RoleName=role["RoleName"])["Role"].get("RoleLastUsed") or {}  # ListRoles omits it
            found[match.group(1)] = RoleUse(environment, match.group(1), True, _utc(last.get("LastUsedDate")),
                                            str(last.get("Region") or ""))
    return found


def classify(org: Org, in_store: set[str], uses: dict[tuple[str, str], RoleUse], *, now: datetime,
             since: timedelta) -> Review:
    """The review of every person the org file declares (pure). ``uses``: (environment, permission set
    or break-glass role) -> its role's use, as read."""
    cutoff = now - since
    people = []
    for user in org.users:
        grants = []
        for access in accesses(org, user.name):
            key = permission_set_of(access) or access.role
            found = uses.get((access.environment, key))
            use = RoleUse(access.environment, access.role, found is not None,
                          found.last_used if found else None, found.region if found else "")
            grants.append(GrantReview(access, use, grant_flags(access, use, now, cutoff)))
        flags = [] if user.name in in_store else [NOT_IN_STORE]
        flags += [f"{flag} {g.access.environment}/{g.access.role}" for g in grants
                  for flag in ("unused grant", "break-glass used") if flag in g.flags]
        people.append(PersonReview(user.name, tuple(t.name for t in org.teams_of(user.name)), None, (),
                                   tuple(grants), tuple(dict.fromkeys(flags)),
                                   in_identity_center=user.name in in_store))
    return Review(now, since, tuple(people), (ROLE_NOTE, PERSON_NOTE), identity_center=True)


def review(org: Org, iam_for: Callable[[Account], Any], store_users: Callable[[], Iterable[str]], *,
           now: datetime, since: timedelta, max_workers: int = 8) -> Review:
    """Read who the Identity Store has (``store_users()``: their user names) and, in each environment
    account that exists, the roles of the permission sets the file grants there (and its break-glass
    role), then :func:`classify`."""
    in_store = set(store_users())
    by_account: dict[str, tuple[str, set[str], set[str]]] = {}  # account -> (environment, sets, IAM roles)
    for user in org.users:
        for access in accesses(org, user.name):
            account = org.environment_account(access.environment)
            if account.pending:
                continue
            _, sets, roles = by_account.setdefault(account.name, (access.environment, set(), set()))
            permission_set = permission_set_of(access)
            if permission_set is not None:
                sets.add(permission_set)
            else:
                roles.add(access.role)  # a break-glass role: an IAM role of its own name

    def read(name: str) -> dict[tuple[str, str], RoleUse]:
        environment, sets, roles = by_account[name]
        iam = iam_for(org.account(name))
        found = {(environment, s): u for s, u in read_permission_set_uses(iam, environment, sets).items()}
        for role in roles:
            use = read_role_use(iam, environment, role)
            if use.exists:
                found[environment, role] = use
        return found

    uses: dict[tuple[str, str], RoleUse] = {}
    if by_account:
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(by_account)))) as pool:
            for part in pool.map(read, list(by_account)):
                uses.update(part)
    return classify(org, in_store, uses, now=now, since=since)
