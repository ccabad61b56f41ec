"""Who still uses IAM: for each IAM user, the console password and when it was last used, the access
keys and when each was last used, and the MFA devices. Read-only.

Calls per user: GetUser (``PasswordLastUsed``), GetLoginProfile, ListAccessKeys,
GetAccessKeyLastUsed per key, ListMFADevices. AWS leaves ``PasswordLastUsed`` out for a password
never used, and ``LastUsedDate`` out for a key never used (IAM API Reference, "GetUser",
"GetAccessKeyLastUsed").
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from awsroles.people.listing import has_login_profile, is_gone

RECENT_DAYS = 7  # `migrate identity-center --finish` warns about anyone who used IAM this recently


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class KeyUse:
    id: str
    status: str  # Active | Inactive
    last_used: datetime | None  # None: never used
    created: datetime | None = None  # ListAccessKeys' CreateDate

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "status": self.status, "last_used": _iso(self.last_used)}


@dataclass(frozen=True)
class IamUse:
    """How one IAM user can still sign in, and when they last did."""

    name: str
    password: bool = False  # has a console password
    password_last_used: datetime | None = None
    keys: tuple[KeyUse, ...] = ()
    mfa_devices: tuple[str, ...] = ()  # serial numbers

    @property
    def holds_credentials(self) -> bool:
        """A password, an access key or an MFA device: apply will not delete the user until offboarded."""
        return self.password or bool(self.keys) or bool(self.mfa_devices)

    @property
    def last_used(self) -> datetime | None:
        """The last time the password or any key was used (None: never, as far as IAM says)."""
        used = [t for t in (self.password_last_used, *(k.last_used for k in self.keys)) if t is not None]
        return max(used) if used else None

    def recent(self, now: datetime, days: int) -> bool:
        """Used IAM in the ``days`` before ``now``."""
        return self.last_used is not None and self.last_used >= now - timedelta(days=days)

    def summary(self) -> str:
        """``console password (last used 2026-11-20), 1 access key (last used 2026-11-28), 1 MFA device``."""
        def when(t: datetime | None) -> str:
            return f"last used {t:%Y-%m-%d}" if t is not None else "never used"

        parts = []
        if self.password:
            parts.append(f"console password ({when(self.password_last_used)})")
        elif self.password_last_used is not None:
            parts.append(f"no console password (last used {self.password_last_used:%Y-%m-%d})")
        for key in self.keys:
            inactive = "" if key.status == "Active" else " (inactive)"
            parts.append(f"access key {key.id}{inactive} ({when(key.last_used)})")
        if self.mfa_devices:
            parts.append(f"{len(self.mfa_devices)} MFA device{'s' if len(self.mfa_devices) > 1 else ''}")
        return ", ".join(parts) or "no credentials"

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "password": self.password, "password_last_used": _iso(self.password_last_used),
                "keys": [k.as_dict() for k in self.keys], "mfa_devices": list(self.mfa_devices),
                "last_used": _iso(self.last_used), "holds_credentials": self.holds_credentials}


def _pages(iam: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in iam.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def read_use(iam: Any, name: str) -> IamUse | None:
    """``name``'s credentials and their last use (``iam``: a client in the ops account); None when
    the user no longer exists."""
    try:
        user = iam.get_user(UserName=name)["User"]
        password = has_login_profile(iam, name)
        keys = []
        for key in _pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
            keys.append(KeyUse(key["AccessKeyId"], key.get("Status", ""), _utc(used.get("LastUsedDate")),
                              _utc(key.get("CreateDate"))))
        devices = tuple(d["SerialNumber"] for d in _pages(iam, "list_mfa_devices", "MFADevices", UserName=name))
    except Exception as exc:
        if is_gone(exc):
            return None
        raise
    return IamUse(name, password, _utc(user.get("PasswordLastUsed")), tuple(keys), devices)


def read_uses(iam: Any, names: Sequence[str], *, max_workers: int = 4) -> list[IamUse]:
    """:func:`read_use` for each of ``names`` (a few at a time), in their order; those gone left out."""
    if not names:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(names)))) as pool:
        found = list(pool.map(lambda name: read_use(iam, name), names))
    return [use for use in found if use is not None]
