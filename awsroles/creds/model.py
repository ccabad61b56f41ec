"""Credentials as data. Secrets never appear in reprs, logs or error messages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def parse_time(value: str | datetime) -> datetime:
    """A UTC datetime to the second (what STS returns and what we store)."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, as the AWS SDKs expect in credential_process output."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Credentials:
    """AWS credentials; ``expiration`` is None for long-term keys."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime | None = None

    def __repr__(self) -> str:
        expiry = f", expires {iso(self.expiration)}" if self.expiration else ""
        return f"Credentials({self.access_key_id}{expiry})"

    __str__ = __repr__

    def remaining(self, now: datetime | None = None) -> float:
        """Seconds left before expiry (infinite for long-term keys)."""
        if self.expiration is None:
            return float("inf")
        return (self.expiration - (now or utcnow())).total_seconds()

    def to_json(self) -> str:
        data: dict[str, Any] = {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key}
        if self.session_token:
            data["SessionToken"] = self.session_token
        if self.expiration:
            data["Expiration"] = iso(self.expiration)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Credentials:
        data = json.loads(text)
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Credentials:
        """From an STS ``Credentials`` structure (or our own JSON, which uses the same keys)."""
        expiration = data.get("Expiration")
        return cls(
            data["AccessKeyId"],
            data["SecretAccessKey"],
            data.get("SessionToken") or None,
            parse_time(expiration) if expiration else None,
        )

    def credential_process(self) -> str:
        """The JSON the AWS SDKs read from a ``credential_process`` (Version 1)."""
        data: dict[str, Any] = {"Version": 1, "AccessKeyId": self.access_key_id,
                                "SecretAccessKey": self.secret_access_key}
        if self.session_token:
            data["SessionToken"] = self.session_token
        if self.expiration:
            data["Expiration"] = iso(self.expiration)
        return json.dumps(data)

    def environment(self) -> dict[str, str]:
        """The variables every SDK reads (AWS_SECURITY_TOKEN too, for old boto)."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
            env["AWS_SECURITY_TOKEN"] = self.session_token
        if self.expiration:
            env["AWS_CREDENTIAL_EXPIRATION"] = iso(self.expiration)
        return env
