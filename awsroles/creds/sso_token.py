"""An IAM Identity Center sign-in (an SSO OIDC access token), and the AWS CLI v2's cache of it.

After a sign-in, the AWS CLI v2 and the SDKs keep the token in ``~/.aws/sso/cache/KEY.json``,
KEY being the SHA-1 of the ``sso-session`` name (of the start URL for a profile without one), as
JSON with ``startUrl``, ``region``, ``accessToken``, ``expiresAt`` and, where a refresh is allowed,
``refreshToken``, ``clientId``, ``clientSecret`` and ``registrationExpiresAt`` (botocore's
``SSOTokenLoader`` and ``SSOTokenProvider``). awsroles reads and writes the same format, so that
``aws sso login --sso-session NAME`` and ``awsroles login`` share one sign-in. That file is
plaintext: awsroles writes it only when the person asked (``awsroles setup --share-sso-login``);
its own copy lives in the secret store (:mod:`awsroles.creds.signin`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from awsroles.creds.model import iso, parse_time, utcnow


def parse_expiry(value: str) -> datetime:
    """``expiresAt`` as the AWS CLI writes it (``...Z``) and as botocore rewrites it after a
    refresh (``...UTC``, strftime's ``%Z``)."""
    text = value.strip()
    if text.endswith("UTC"):
        text = text[:-3] + "Z"
    return parse_time(text)


@dataclass(frozen=True)
class SsoToken:
    """An access token for ``start_url``'s portal. Secrets never appear in its repr."""

    start_url: str
    region: str
    access_token: str = field(repr=False)
    expires_at: datetime
    refresh_token: str = field(default="", repr=False)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    registration_expires_at: datetime | None = None

    def __repr__(self) -> str:
        refresh = ", refreshable" if self.refresh_token else ""
        return f"SsoToken({self.start_url}, expires {iso(self.expires_at)}{refresh})"

    __str__ = __repr__

    def remaining(self, now: datetime | None = None) -> float:
        return (self.expires_at - (now or utcnow())).total_seconds()

    def can_refresh(self, now: datetime | None = None) -> bool:
        """A refresh token and a client registration still valid to use it with."""
        if not (self.refresh_token and self.client_id and self.client_secret):
            return False
        return self.registration_expires_at is None or self.registration_expires_at > (now or utcnow())

    def for_url(self, start_url: str, region: str) -> bool:
        return same_url(self.start_url, start_url) and self.region == region

    def as_cache(self) -> dict[str, Any]:
        """The AWS CLI v2's cache entry."""
        data: dict[str, Any] = {"startUrl": self.start_url, "region": self.region, "accessToken": self.access_token,
                                "expiresAt": iso(self.expires_at)}
        if self.client_id:
            data["clientId"] = self.client_id
            data["clientSecret"] = self.client_secret
        if self.registration_expires_at is not None:
            data["registrationExpiresAt"] = iso(self.registration_expires_at)
        if self.refresh_token:
            data["refreshToken"] = self.refresh_token
        return data

    def to_json(self) -> str:
        return json.dumps(self.as_cache(), separators=(",", ":"))

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> SsoToken:
        """From a cache entry; KeyError or ValueError when it is not one."""
        registered = data.get("registrationExpiresAt")
        return cls(
            start_url=str(data["startUrl"]), region=str(data["region"]), access_token=str(data["accessToken"]),
            expires_at=parse_expiry(str(data["expiresAt"])), refresh_token=str(data.get("refreshToken") or ""),
            client_id=str(data.get("clientId") or ""), client_secret=str(data.get("clientSecret") or ""),
            registration_expires_at=parse_expiry(str(registered)) if registered else None,
        )

    @classmethod
    def from_json(cls, text: str) -> SsoToken:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a token")
        return cls.from_cache(data)

    def without_refresh(self) -> SsoToken:
        return replace(self, refresh_token="")


def same_url(a: str, b: str) -> bool:
    """Start URLs as people write them: ``.../start``, ``.../start/`` and ``.../start#/`` are one."""
    return a.rstrip("/#").rstrip("/") == b.rstrip("/#").rstrip("/")


def cache_key(session_name: str) -> str:
    """The file name (without ``.json``) the AWS CLI v2 keeps ``session_name``'s token under."""
    return hashlib.sha1(session_name.encode("utf-8")).hexdigest()  # the AWS CLI's file name, not a secret


class SharedCache:
    """``~/.aws/sso/cache`` (or ``directory``): the AWS CLI v2's token files."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, session_name: str) -> Path:
        return self.directory / f"{cache_key(session_name)}.json"

    def read(self, session_name: str) -> SsoToken | None:
        """The token kept for ``session_name``, or None (missing, unreadable, not a token, or not a
        private file of this user's)."""
        if not _own_private_file(self.path(session_name)):
            return None
        try:
            return SsoToken.from_json(self.path(session_name).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def find(self, start_url: str, region: str) -> list[tuple[Path, SsoToken]]:
        """Every token kept here for ``start_url`` in ``region``, whatever the sso-session (or
        legacy profile) it was made for: a person's own ``aws sso login --sso-session NAME``
        signs awsroles in too. (The client registrations kept beside them have no access token.)"""
        found: list[tuple[Path, SsoToken]] = []
        try:
            paths = sorted(self.directory.glob("*.json"))
        except OSError:
            return found
        for path in paths:
            if not _own_private_file(path):
                continue  # another user's, or writable by others: never signs this person in
            try:
                token = SsoToken.from_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if token.for_url(start_url, region):
                found.append((path, token))
        return found

    def write(self, session_name: str, token: SsoToken) -> None:
        """Whole or not at all, 0600 in a 0700 folder (as the AWS CLI keeps it)."""
        self.write_path(self.path(session_name), token)

    def write_path(self, path: Path, token: SsoToken) -> None:
        from awsroles.fsutil import atomic_write, private_dir

        private_dir(path.parent)
        atomic_write(path, json.dumps(token.as_cache(), indent=2) + "\n", mode=0o600)

    def delete(self, session_name: str) -> bool:
        try:
            os.unlink(self.path(session_name))
            return True
        except FileNotFoundError:
            return False


def _own_private_file(path: Path) -> bool:
    """A regular file of this user's that nobody else may write (the AWS CLI makes them 0600)."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    import stat

    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022
