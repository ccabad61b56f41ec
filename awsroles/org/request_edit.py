"""The org-file edits of requests: ask (``[request ID]``), approve (the request marked approved and
its ``[temporary ID]`` added, in one edit) and deny. Each is an :func:`awsroles.org.edit.edit_org`
edit: locked, validated, comment-preserving, atomic. The decision is judged again under the lock,
on the file as it is then, so two people deciding at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from configupdater import ConfigUpdater, Option

from awsroles.errors import OrgFileError, UsageError
from awsroles.org.checks import OrgCheck
from awsroles.org.durations import format_duration
from awsroles.org.edit import append_section, edit_org, sections_of, temporary_change
from awsroles.org.entries import REQUEST_APPROVED, REQUEST_DENIED, AccessRequest, TemporaryGrant
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from awsroles.org.requests import decide
from awsroles.org.temporary import format_time


def add_request(path: Path, request: AccessRequest, *, checks: Sequence[OrgCheck] = ()) -> Org:
    """A new ``[request ID]`` section at the end of the file (an ID already there is refused)."""

    def change(updater: ConfigUpdater) -> None:
        if request.id in sections_of(updater, "request"):
            raise UsageError(f"request '{request.id}' already exists in the org file")
        append_section(updater, f"request {request.id}", [
            ("user", request.user), ("environment", request.environment), ("role", request.role),
            ("duration", format_duration(request.duration)), ("reason", request.reason),
            ("requested_at", format_time(request.requested_at))])

    return edit_org(path, change, checks=checks)


def _mark(updater: ConfigUpdater, request_id: str, values: Sequence[tuple[str, str]]) -> None:
    section = sections_of(updater, "request")[request_id]
    last = [b for b in section.iter_blocks() if isinstance(b, Option)][-1]
    for key, value in values:
        last.add_after.option(key, value)
        last = section[key]


def _decided(path: Path, request_id: str, person: str, now: datetime,
             then: Callable[[ConfigUpdater, AccessRequest], None], checks: Sequence[OrgCheck], *,
             expired_ok: bool = False) -> Org:
    """The edit that judges the decision on the file as it is under the lock, then makes it."""

    def change(updater: ConfigUpdater) -> None:
        org, problems = parse_org(str(updater), str(path), path.parent)
        if org is None:
            raise OrgFileError(problems)
        then(updater, decide(org, request_id, person, now, expired_ok=expired_ok))

    return edit_org(path, change, checks=checks)


def approve(path: Path, request_id: str, grant: TemporaryGrant, now: datetime, *,
            checks: Sequence[OrgCheck] = ()) -> Org:
    """Approve, as ``grant.granted_by``: mark the request ``approved`` and add ``grant`` (made by
    :func:`awsroles.org.requests.approved_grant`) in one edit. RequestRefused when the approver
    may not decide it now (nothing written)."""

    def then(updater: ConfigUpdater, request: AccessRequest) -> None:
        if (grant.user, grant.environment, grant.role) != (request.user, request.environment, request.role):
            raise UsageError(f"request '{request.id}' changed since it was read: run the command again")
        _mark(updater, request.id, [("status", REQUEST_APPROVED), ("decided_by", grant.granted_by),
                                    ("decided_at", format_time(now)), ("grant", grant.id)])
        temporary_change(grant)(updater)

    return _decided(path, request_id, grant.granted_by, now, then, checks)


def deny(path: Path, request_id: str, person: str, now: datetime, reason: str, *,
         checks: Sequence[OrgCheck] = ()) -> Org:
    """Deny: mark the request ``denied``, with who, when and why (an expired request too: that closes
    it). RequestRefused when ``person`` may not (nothing written)."""

    def then(updater: ConfigUpdater, request: AccessRequest) -> None:
        _mark(updater, request.id, [("status", REQUEST_DENIED), ("decided_by", person),
                                    ("decided_at", format_time(now)), ("decision_reason", reason)])

    return _decided(path, request_id, person, now, then, checks, expired_ok=True)
