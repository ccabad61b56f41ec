"""People as IAM has them: one row per user for ``users list`` and ``users show``.

A row joins what the ops account says (path, teams, console password, MFA, access keys and their
age) with the org file (declared, managed), and warns about what does not match. Read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from awsroles.errors import UsageError
from awsroles.errors import aws_error_code as _code
from awsroles.org.marks import TEAM_GROUP_PREFIX
from awsroles.org.model import Org

KEY_MAX_AGE_DAYS = 90
_GONE = frozenset({"NoSuchEntity", "NoSuchEntityException"})


def is_gone(exc: Exception) -> bool:
    """The error says the IAM entity does not exist (NoSuchEntity)."""
    return _code(exc) in _GONE


def has_login_profile(iam: Any, name: str) -> bool:
    """The user has a console password."""
    try:
        iam.get_login_profile(UserName=name)
    except Exception as exc:
        if is_gone(exc):
            return False
        raise
    return True


@dataclass(frozen=True)
class KeyRow:
    id: str
    status: str
    age_days: int
    last_used: str | None  # ISO 8601, or None when never used

    @property
    def old(self) -> bool:
        return self.age_days > KEY_MAX_AGE_DAYS

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "status": self.status, "age_days": self.age_days, "last_used": self.last_used,
                "old": self.old}


@dataclass(frozen=True)
class UserRow:
    name: str
    path: str
    teams: tuple[str, ...] = ()
    console: bool = False
    mfa: bool = False
    keys: tuple[KeyRow, ...] = ()
    in_org: bool = False
    in_aws: bool = False
    managed: bool = False  # at the org's IAM path

    @property
    def warnings(self) -> tuple[str, ...]:
        out = []
        if self.in_org and not self.in_aws:
            out.append(f"user {self.name} is in the org file but not in AWS (run `awsroles apply`)")
        if self.in_aws and self.managed and not self.in_org:
            out.append(f"user {self.name} is in AWS under {self.path} but not in the org file")
        out.extend(f"user {self.name}: access key {k.id} is {k.age_days} days old (over {KEY_MAX_AGE_DAYS})"
                   for k in self.keys if k.old)
        return tuple(out)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "path": self.path, "teams": list(self.teams), "console": self.console,
                "mfa": self.mfa, "keys": [k.as_dict() for k in self.keys], "in_org": self.in_org,
                "in_aws": self.in_aws, "managed": self.managed, "warnings": list(self.warnings)}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return str(value)


def _age_days(created: Any, now: datetime) -> int:
    if not isinstance(created, datetime):
        return 0
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return max(0, int((now - created).days))


def _keys(iam: Any, name: str, now: datetime) -> tuple[KeyRow, ...]:
    rows = []
    for key in iam.list_access_keys(UserName=name).get("AccessKeyMetadata", []):
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
        rows.append(KeyRow(key["AccessKeyId"], key["Status"], _age_days(key.get("CreateDate"), now),
                           _iso(used.get("LastUsedDate"))))
    return tuple(rows)


def _row(iam: Any, org: Org, user: Mapping[str, Any], now: datetime) -> UserRow:
    name = user["UserName"]
    adopted = {org.team_group(t.name)[1]: t.name for t in org.teams if t.group}  # teams adopted in place
    teams = tuple(sorted({*(g[len(TEAM_GROUP_PREFIX):] for g in user.get("GroupList", [])
                            if g.startswith(TEAM_GROUP_PREFIX)),
                          *(adopted[g] for g in user.get("GroupList", []) if g in adopted)}))
    return UserRow(
        name, user["Path"], teams, has_login_profile(iam, name),
        bool(iam.list_mfa_devices(UserName=name).get("MFADevices")), _keys(iam, name, now),
        in_org=any(u.name == name for u in org.users), in_aws=True, managed=user["Path"] == org.user_path(name),
    )


def list_users(org: Org, iam: Any, *, now: datetime | None = None) -> list[UserRow]:
    """Every IAM user in ops (``iam``: a client there), plus org users missing from AWS.

    One paginated GetAccountAuthorizationDetails, then per user ListAccessKeys, GetAccessKeyLastUsed
    per key, ListMFADevices and GetLoginProfile.
    """
    now = now or datetime.now(timezone.utc)
    live: list[Mapping[str, Any]] = []
    for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=["User"]):
        live.extend(page.get("UserDetailList", []))
    rows = {u["UserName"]: _row(iam, org, u, now) for u in live}
    for user in org.users:
        if user.name not in rows:
            rows[user.name] = UserRow(user.name, org.user_path(user.name),
                                      tuple(t.name for t in org.teams_of(user.name)),
                                      in_org=True, in_aws=False, managed=True)
    return sorted(rows.values(), key=lambda r: r.name)


def get_user_row(org: Org, iam: Any, name: str, *, now: datetime | None = None) -> UserRow:
    """One user's row; UsageError when neither AWS nor the org file knows them."""
    now = now or datetime.now(timezone.utc)
    try:
        user = iam.get_user(UserName=name)["User"]
    except Exception as exc:
        if not is_gone(exc):
            raise
        if any(u.name == name for u in org.users):
            return UserRow(name, org.user_path(name), tuple(t.name for t in org.teams_of(name)), in_org=True,
                           in_aws=False, managed=True)
        raise UsageError(f"unknown user '{name}': not in the org file nor in the ops account") from None
    groups = [g["GroupName"] for g in iam.list_groups_for_user(UserName=name).get("Groups", [])]
    return _row(iam, org, {**user, "GroupList": groups}, now)
