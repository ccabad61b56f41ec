"""IAM users' access keys: create (at most two), rotate with verification, delete, list ages.

Secret access keys never appear in reprs, logs or errors. Nothing here prints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from awsroles.errors import AwsrolesError, PartlyDone, UsageError
from awsroles.errors import aws_error_code as _code

log = logging.getLogger(__name__)

MAX_KEYS = 2


class KeyVerificationError(AwsrolesError):
    """The new key did not work: it was deleted, and the old one stays active."""


class RotationStopped(PartlyDone):
    """A rotation stopped after the new key worked: ``new`` holds that key, so the caller can show
    its secret once (it is never part of the message)."""

    def __init__(self, new: NewKey, what: str, failed: str, **kwargs: Any) -> None:
        super().__init__(what, failed, **kwargs)
        self.new = new


@dataclass(frozen=True)
class NewKey:
    """A just-created access key; the secret is shown once and never in a repr."""

    access_key_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class KeyAge:
    access_key_id: str
    status: str
    created: datetime
    age_days: int
    last_used: datetime | None
    last_service: str


@dataclass(frozen=True)
class RotateResult:
    new: NewKey
    old_key_id: str
    old_deleted: bool  # else left Inactive


def _list(iam: Any, user: str) -> list[dict[str, Any]]:
    try:
        return list(iam.list_access_keys(UserName=user).get("AccessKeyMetadata", []))
    except Exception as exc:
        if _code(exc) == "NoSuchEntity":
            raise UsageError(f"no IAM user '{user}' in the ops account") from None
        raise


def create_key(iam: Any, user: str) -> NewKey:
    """A new access key for ``user``; refused when they already have two."""
    existing = _list(iam, user)
    if len(existing) >= MAX_KEYS:
        ids = ", ".join(str(k["AccessKeyId"]) for k in existing)
        raise UsageError(f"{user} already has {len(existing)} access keys ({ids}): rotate "
                         f"(`awsroles users keys rotate {user}`) or delete one first")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return NewKey(str(key["AccessKeyId"]), str(key["SecretAccessKey"]))


def delete_key(iam: Any, user: str, key_id: str) -> None:
    """Delete ``key_id`` of ``user``; a clear error when it is not theirs."""
    if key_id not in {str(k["AccessKeyId"]) for k in _list(iam, user)}:
        raise UsageError(f"{user} has no access key {key_id}")
    iam.delete_access_key(UserName=user, AccessKeyId=key_id)


def sts_verifier(region: str | None, *, attempts: int = 6, delay: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> Callable[[NewKey], bool]:
    """A ``verify`` for :func:`rotate`: GetCallerIdentity with the new key, retried a few times
    (a new IAM key takes a few seconds to work everywhere)."""

    def verify(key: NewKey) -> bool:
        from awsroles.aws import Aws, AwsSettings

        aws = Aws.with_keys(AwsSettings(region=region, max_attempts=2), key.access_key_id, key.secret)
        for attempt in range(attempts):
            try:
                aws.client("sts").get_caller_identity()
                return True
            except Exception as exc:
                log.debug("new key %s not working yet (%s)", key.access_key_id, _code(exc) or type(exc).__name__)
                if attempt + 1 < attempts:
                    sleep(delay)
        return False

    return verify


def rotate(iam: Any, user: str, *, verify: Callable[[NewKey], bool], grace_delete: bool,
           on_verified: Callable[[NewKey], None] | None = None) -> RotateResult:
    """Create a new key, check it works, (``on_verified``: e.g. store it), deactivate the old one and
    delete it when ``grace_delete`` (else it stays Inactive). If the new key does not work, or
    ``on_verified`` fails, the new key is deleted and the old one stays active."""
    existing = _list(iam, user)
    if not existing:
        raise UsageError(f"{user} has no access key to rotate: `awsroles users keys create {user}`")
    if len(existing) >= MAX_KEYS:
        ids = ", ".join(str(k["AccessKeyId"]) for k in existing)
        raise UsageError(f"{user} already has two access keys ({ids}): delete one before rotating")
    from awsroles.errors import describe_aws_error

    old = str(existing[0]["AccessKeyId"])
    what = f"users keys rotate {user}"
    new = create_key(iam, user)
    try:
        if not verify(new):
            raise KeyVerificationError(f"the new key {new.access_key_id} did not work: deleted it; "
                                       f"{user}'s key {old} stays active")
        if on_verified is not None:
            on_verified(new)
    except BaseException as exc:
        try:
            iam.delete_access_key(UserName=user, AccessKeyId=new.access_key_id)
        except Exception as cleanup:
            log.warning("could not delete the new key %s: %s", new.access_key_id, _code(cleanup) or "error")
            if isinstance(exc, Exception):  # the new key stays: say so, and how to remove it
                cause = str(exc) if isinstance(exc, AwsrolesError) else describe_aws_error(exc)
                raise PartlyDone(
                    what, f"{cause.replace(': deleted it;', ';')}; deleting the new key again failed: "
                          f"{describe_aws_error(cleanup)}",
                    done=[f"created the new key {new.access_key_id} for {user} (its secret is not shown)"],
                    not_done=[f"deactivate {user}'s old key {old} (it stays active)"],
                    finish=f"remove the new key: `awsroles users keys delete {user} {new.access_key_id}`, "
                           f"then rotate again", cause=exc) from exc
        raise
    done = [f"created the new key {new.access_key_id} for {user} and checked it works"
            + (" (and stored it)" if on_verified is not None else "")]
    steps: list[tuple[str, Callable[[], Any]]] = [
        (f"deactivate the old key {old}",
         lambda: iam.update_access_key(UserName=user, AccessKeyId=old, Status="Inactive"))]
    if grace_delete:
        steps.append((f"delete the old key {old}", lambda: iam.delete_access_key(UserName=user, AccessKeyId=old)))
    for i, (description, call) in enumerate(steps):
        try:
            call()
        except Exception as exc:
            raise RotationStopped(new, what, f"{description} failed: {describe_aws_error(exc)}",
                                  done=[*done, *(d for d, _ in steps[:i])], not_done=[d for d, _ in steps[i:]],
                                  finish=f"fix the cause, then `awsroles users keys delete {user} {old}` (the new "
                                         f"key {new.access_key_id} works)", cause=exc) from exc
    return RotateResult(new, old, grace_delete)


def key_ages(iam: Any, user: str, *, now: datetime | None = None) -> list[KeyAge]:
    """Every key of ``user`` with its age in days and when and where it was last used."""
    now = now or datetime.now(timezone.utc)
    ages = []
    for key in _list(iam, user):
        key_id = str(key["AccessKeyId"])
        created = key["CreateDate"]
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        used = iam.get_access_key_last_used(AccessKeyId=key_id).get("AccessKeyLastUsed", {})
        last = used.get("LastUsedDate")
        ages.append(KeyAge(key_id, str(key.get("Status", "")), created, (now - created).days, last,
                           str(used.get("ServiceName", "") or "")))
    return ages
