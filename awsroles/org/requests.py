"""``[request ID]`` sections and who may decide them (docs/temporary-access.md, "Requests and approvals").

A person asks for a role for a while (``awsroles request``); someone allowed to approve turns the
request into a ``[temporary ID]`` grant (``awsroles approve``) or refuses it (``awsroles deny``).
The org file is the whole state: :func:`read_requests` reads the sections, :func:`read_approvers`
the ``approvers`` keys, :func:`decide` is the one judgement of whether a person may decide a
request now, and :func:`approved_grant` the grant an approval makes. :func:`check_requests` is the
whole-model check that warns about requests left unanswered past ``[org] request_expiry``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone

from awsroles.errors import Problem, UsageError
from awsroles.org.builder import Builder, did_you_mean
from awsroles.org.checks import OrgCheck, Sections
from awsroles.org.durations import format_duration
from awsroles.org.entries import (
    REQUEST_APPROVED,
    REQUEST_DECISIONS,
    REQUEST_DENIED,
    REQUEST_EXPIRED,
    REQUEST_PENDING,
    AccessRequest,
    Account,
    Role,
    TemporaryGrant,
    User,
)
from awsroles.org.ini import IniKey, IniSection
from awsroles.org.keys import REQUEST_KEYS
from awsroles.org.model import Org
from awsroles.org.temporary import (
    ID,
    ID_RULE,
    REASON_MAX,
    format_time,
    grant_id,
    parse_time,
    window,
)

EXPIRY_DEFAULT = 86400  # [org] request_expiry: a day
EXPIRY_MIN = 3600
EXPIRY_MAX = 7 * 86400


STATES = (REQUEST_PENDING, REQUEST_APPROVED, REQUEST_DENIED, REQUEST_EXPIRED)


class RequestRefused(UsageError):
    """The request cannot be decided, or not by this person (exit code 2; nothing changed)."""


def request_id(now: datetime, user: str, environment: str, taken: set[str]) -> str:
    """A new id: ``r-20261130-0102-bob-prod`` (the moment of asking, to the minute, the person, the
    environment), with ``-2``, ``-3``... when taken: the ``[temporary ID]`` scheme with ``r-``."""
    return "r-" + grant_id(now, user, environment, {f"t-{x[2:]}" for x in taken if x.startswith("r-")})[2:]


def read_approvers(b: Builder, org_key: IniKey | None, account_keys: Mapping[str, IniKey],
                   accounts: list[Account], users: list[User]) -> tuple[tuple[str, ...], list[Account]]:
    """``[org] approvers`` and each ``[account NAME] approvers`` (only for an account with an
    environment): declared users, each once. Returns the org's list and the accounts with theirs."""
    from dataclasses import replace

    names = [u.name for u in users]

    def people(key: IniKey, where: str) -> tuple[str, ...]:
        found: list[str] = []
        for name, line in b.items(key):
            if name not in names:
                b.error(line, f"approvers: undefined user '{name}' in {where}{did_you_mean(name, names)}")
            elif name in found:
                b.error(line, f"approvers: '{name}' is listed twice in {where}")
            else:
                found.append(name)
        if not found and not any(p.is_error and p.line == key.line for p in b.problems):
            b.error(key.line, f"approvers is empty in {where}: name users, or leave the key out")
        return tuple(found)

    org_list = people(org_key, "[org]") if org_key is not None else ()
    out: list[Account] = []
    for account in accounts:
        key = account_keys.get(account.name)
        if key is None:
            out.append(account)
        elif not account.environment:
            b.error(key.line, f"approvers in [account {account.name}]: the account holds no environment, so no "
                    "request is ever for it")
            out.append(account)
        else:
            out.append(replace(account, approvers=people(key, f"[account {account.name}]")))
    return org_list, out


def _time(b: Builder, key: IniKey | None) -> datetime | None:
    if key is None:
        return None
    try:
        return parse_time(key.value)
    except ValueError as exc:
        b.error(key.line, f"{key.name}: {exc}")
        return None


def _one(keys: Mapping[str, IniKey], key: str) -> str:
    return keys[key].value.strip() if key in keys else ""


def read_requests(b: Builder, found: list[tuple[str, IniSection]], users: list[User], roles: list[Role],
                  environments: list[str]) -> list[AccessRequest]:
    """The ``[request ID]`` sections (every mistake at its ``FILE:LINE``)."""
    requests: list[AccessRequest] = []
    user_names = [u.name for u in users]
    role_names = [r.name for r in roles]
    for name, section in found:
        b.unknown_keys(section, REQUEST_KEYS)
        keys = section.keys
        where = f"[request {name}]"
        before = len([p for p in b.problems if p.is_error])
        if not ID.fullmatch(name):
            b.error(section.line, f"request id '{name}' is not valid: {ID_RULE}")
        for key in ("user", "environment", "role", "duration", "reason", "requested_at"):
            if not _one(keys, key):
                b.error(keys[key].line if key in keys else section.line, f"{where} needs {key}")
        user, environment, role = _one(keys, "user"), _one(keys, "environment"), _one(keys, "role")
        if user and user not in user_names:
            b.error(keys["user"].line, f"undefined user '{user}' in {where}{did_you_mean(user, user_names)}")
        if environment and environment not in environments:
            b.error(keys["environment"].line, f"undefined environment '{environment}' in {where}"
                    f"{did_you_mean(environment, environments)}")
        if role and role not in role_names:
            b.error(keys["role"].line, f"undefined role '{role}' in {where}{did_you_mean(role, role_names)}")
        duration = 0
        if _one(keys, "duration"):
            try:
                duration = window(keys["duration"].value)
            except ValueError as exc:
                b.error(keys["duration"].line, f"duration: {exc}")
        reason = _one(keys, "reason")
        if "\n" in reason or len(reason) > REASON_MAX:
            b.error(keys["reason"].line, f"reason: one line of at most {REASON_MAX} characters")
        requested_at = _time(b, keys.get("requested_at")) if _one(keys, "requested_at") else None
        status = _one(keys, "status").lower()
        if "status" in keys and status not in REQUEST_DECISIONS:
            b.error(keys["status"].line, f"status: expected {' or '.join(REQUEST_DECISIONS)} (absent: pending), "
                    f"got {keys['status'].value.strip()!r}")
        decided_at = _time(b, keys.get("decided_at")) if _one(keys, "decided_at") else None
        if status in REQUEST_DECISIONS:
            for key in ("decided_by", "decided_at") + (("grant",) if status == REQUEST_APPROVED else ()):
                if not _one(keys, key):
                    b.error(keys["status"].line, f"{where} is {status}: it needs {key}")
        else:
            for key in ("decided_by", "decided_at", "grant", "decision_reason"):
                if key in keys:
                    b.error(keys[key].line, f"{key} in {where}, which has no status (pending): add status, or drop "
                            f"{key}")
        if _one(keys, "grant") and not ID.fullmatch(_one(keys, "grant")):
            b.error(keys["grant"].line, f"grant: '{_one(keys, 'grant')}' is not a temporary grant id: {ID_RULE}")
        if len([p for p in b.problems if p.is_error]) > before or requested_at is None:
            continue
        requests.append(AccessRequest(name, user, environment, role, duration, reason, requested_at,
                                      status if status in REQUEST_DECISIONS else "", _one(keys, "decided_by"),
                                      decided_at, _one(keys, "grant"), _one(keys, "decision_reason")))
    return requests


def check_requests(now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> OrgCheck:
    """The check that warns about every request left pending past ``[org] request_expiry`` at ``now()``."""

    def check(org: Org, sections: Sections) -> list[Problem]:
        moment = now()
        return [sections.warning("request", r.id, f"request '{r.id}' ({r.user}: {r.role} in {r.environment}) expired "
                                 f"unanswered at {format_time(r.requested_at + timedelta(seconds=org.request_expiry))}"
                                 f"; it can no longer be approved: `awsroles deny {r.id}` closes it")
                for r in org.requests if r.state(moment, org.request_expiry) == REQUEST_EXPIRED]

    return check


IDENTITY_CENTER_ROLE = "AWSReservedSSO_"  # the roles Identity Center makes for its permission sets


def caller_person(arn: str, org: Org) -> str:
    """Who ``arn`` (from GetCallerIdentity) is, by the org file's name for them: RequestRefused
    unless it is one the org can trust to name a person.

    - An IAM user of the ops account, when the org's people are IAM users.
    - When the org's people are in IAM Identity Center: a session of a role Identity Center made
      (``assumed-role/AWSReservedSSO_<permission set>_<suffix>/<user name>``) in one of the org's
      own accounts: Identity Center names that session after the person who signed in.

    Any other role session names no one: whoever starts it chooses its name. A name is the org
    file's person in any case (IAM and Identity Center both compare names so)."""
    parts = arn.split(":", 5)
    resource = parts[5] if len(parts) == 6 else ""
    account = parts[4] if len(parts) == 6 else ""
    people = {u.name.casefold(): u.name for u in org.users}
    if len(parts) == 6 and parts[2] == "iam" and resource.startswith("user/"):
        name = resource.rsplit("/", 1)[-1]
        if org.uses_iam_users and account == org.ops.id:
            return people.get(name.casefold(), name)
        if not org.uses_iam_users:
            raise RequestRefused(f"{arn} is an IAM user: this org's people sign in through IAM Identity Center, "
                                 "so requests and approvals need your Identity Center sign-in (`awsroles setup`)")
        raise RequestRefused(f"{arn} is not an IAM user of the ops account ({org.ops.id}): requests and approvals "
                             "need your own IAM user there")
    session = resource.split("/")
    if len(parts) == 6 and parts[2] == "sts" and session[0] == "assumed-role" and len(session) == 3:
        accounts = {a.id for a in org.accounts if not a.pending}
        if org.uses_identity_center and session[1].startswith(IDENTITY_CENTER_ROLE) and account in accounts:
            return people.get(session[2].casefold(), session[2])
        if org.uses_identity_center:
            raise RequestRefused(f"{arn} is not an IAM Identity Center session in one of the org's accounts: "
                                 "requests and approvals need your own sign-in (`awsroles setup`), since any other "
                                 "session's name is chosen by whoever starts it")
        raise RequestRefused(f"you are signed in as a role session ({arn}): requests and approvals need your own "
                             "IAM user in the ops account (your `awsroles setup` key, or its credentials), since a "
                             "session's name is chosen by whoever starts it")
    raise RequestRefused(f"{arn} names no person of the org: requests and approvals need "
                         + ("your Identity Center sign-in" if not org.uses_iam_users else
                            f"your own IAM user in the ops account ({org.ops.id})"))


def find(org: Org, request: str) -> AccessRequest:
    found = next((r for r in org.requests if r.id == request), None)
    if found is None:
        raise RequestRefused(f"no request '{request}' in the org file"
                             f"{did_you_mean(request, [r.id for r in org.requests])}")
    return found


def decide(org: Org, request: str, person: str, now: datetime, *, expired_ok: bool = False) -> AccessRequest:
    """The request ``request``, if ``person`` may approve or deny it at ``now``; RequestRefused
    (one line, nothing changed) when it is unknown, already decided, expired (unless ``expired_ok``:
    denying closes an expired request), the person's own, or the person is not an approver of its
    environment."""
    found = find(org, request)
    state = found.state(now, org.request_expiry)
    if state in REQUEST_DECISIONS:
        by = f" by {found.decided_by}" if found.decided_by else ""
        when = f" at {format_time(found.decided_at)}" if found.decided_at else ""
        raise RequestRefused(f"request '{found.id}' was already {state}{by}{when}; ask for a new one")
    if state == REQUEST_EXPIRED and not expired_ok:
        raise RequestRefused(f"request '{found.id}' expired unanswered at "
                             f"{format_time(found.requested_at + timedelta(seconds=org.request_expiry))} "
                             f"([org] request_expiry {format_duration(org.request_expiry)}); ask for a new one")
    if person == found.user:
        raise RequestRefused(f"request '{found.id}' is your own: someone else among its approvers must decide it")
    approvers = org.approvers_of(found.environment)
    if person not in approvers:
        listed = ", ".join(a for a in approvers if a != found.user) or "nobody: the org file names no approvers"
        raise RequestRefused(f"{person} may not approve requests for {found.environment}; its approvers: {listed}")
    if found.role not in {r.name for r in org.roles}:  # the file was validated: only if the role went since
        raise RequestRefused(f"request '{found.id}' is for role '{found.role}', which the org no longer declares")
    return found


def approved_grant(org: Org, request: AccessRequest, approver: str, now: datetime) -> TemporaryGrant:
    """The ``[temporary ID]`` an approval at ``now`` makes: the requester, from now for the
    requested duration, the reason with the request's id, granted by the approver."""
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    taken = {g.id for g in org.temporary_grants}
    reason = f"{request.reason} (request {request.id})"
    return TemporaryGrant(grant_id(now, request.user, request.environment, taken), request.environment,
                          request.role, now + timedelta(seconds=request.duration), reason[:REASON_MAX],
                          user=request.user, start=now, granted_by=approver)



def new_request(org: Org, user: str, environment: str, role: str, duration: str, reason: str, now: datetime,
                ) -> AccessRequest:
    """What ``awsroles request`` writes: checked like the section it becomes (UsageError, one line)."""
    if user not in {u.name for u in org.users}:
        raise RequestRefused(f"you ({user}) are not a user of the org file: only its people can ask for roles")
    for value, choices, what in ((environment, list(org.environments), "environment"),
                                 (role, [r.name for r in org.roles], "role")):
        if value not in choices:
            raise UsageError(f"unknown {what} '{value}'{did_you_mean(value, choices)}")
    try:
        seconds = window(duration)
    except ValueError as exc:
        raise UsageError(f"--for: {exc}") from None
    if not reason.strip() or "\n" in reason or len(reason.strip()) > REASON_MAX:
        raise UsageError(f"--reason: one line of at most {REASON_MAX} characters: why (an incident or ticket)")
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    return AccessRequest(request_id(now, user, environment, {r.id for r in org.requests}), user, environment, role,
                         seconds, reason.strip(), now)


def listing(org: Org, now: datetime) -> list[dict[str, object]]:
    """Every request with its state at ``now`` (``awsroles requests``), in file order."""
    rows: list[dict[str, object]] = []
    for r in org.requests:
        state = r.state(now, org.request_expiry)
        expires = r.requested_at + timedelta(seconds=org.request_expiry)
        rows.append({"id": r.id, "state": state, "user": r.user, "environment": r.environment, "role": r.role,
                     "duration": format_duration(r.duration), "reason": r.reason,
                     "requested_at": format_time(r.requested_at),
                     "expires_at": format_time(expires) if state in (REQUEST_PENDING, REQUEST_EXPIRED) else None,
                     "decided_by": r.decided_by or None,
                     "decided_at": format_time(r.decided_at) if r.decided_at else None,
                     "grant": r.grant or None, "decision_reason": r.decision_reason or None,
                     "approvers": [a for a in org.approvers_of(r.environment) if a != r.user]})
    return rows
