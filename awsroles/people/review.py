"""Access review (``awsroles access review``): per person, what they may assume and whether they use it.

For every IAM user the org file declares: their standing grants (from their teams, as
``awsroles access`` lists them), their temporary grants when the org file has any (with the moment
each ends), when their console password and each access key were last used, and, for each role
they may assume, when that role was last used. Read-only.

What IAM records, and what it does not:

- ``PasswordLastUsed`` (GetUser) and ``LastUsedDate`` (GetAccessKeyLastUsed) belong to the person.
- ``RoleLastUsed`` (GetRole, in the environment's account, read through the org's bootstrap role
  as ``plan`` reads it) belongs to the *role*: anyone allowed to assume it may have used it. A role
  unused since the cut-off is unused by everyone; a role used since is not proof that this person
  used it. IAM reports the trailing 400 days only (IAM API Reference, "RoleLastUsed":
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleLastUsed.html).
- Who used a role is in CloudTrail (the session's ``sourceIdentity``, which awsroles sets to the
  person's user name). With ``cloudtrail_for`` (``access review --cloudtrail``) the review reads
  each environment account's ``AssumeRole`` events since the cut-off
  (:mod:`awsroles.people.assumptions`) and adds, per person and role, when that person last
  assumed it; an account whose CloudTrail cannot be read gets a note and keeps IAM's data.

Flags, each against the cut-off (``now - since``):

- ``inactive``: the person's password and keys were last used before the cut-off;
  ``never used``: IAM has no use of either at all; ``not in IAM``: the user does not exist yet.
- ``unused grant``: a role granted to them exists and was not used since the cut-off (or never);
  where CloudTrail was read, not assumed by *this person* since the cut-off.
- ``old unused key``: an access key created before the cut-off and not used since (or never).
- ``break-glass used``: a break-glass role the person is named for (``[break-glass ENV]``) was
  used since the cut-off (by anyone, from IAM; by this person, where CloudTrail was read). An
  unused break-glass role is as it should be: it is never an ``unused grant``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from awsroles.errors import UsageError, aws_error_code
from awsroles.org.entries import Account
from awsroles.org.model import Org
from awsroles.people.activity import IamUse, KeyUse, read_uses
from awsroles.people.assumptions import GLOBAL_ENDPOINT_REGION, HISTORY, TrailRead, read_trails

DEFAULT_SINCE = "90d"
NEVER = "never"
_SINCE = re.compile(r"(?:([0-9]{1,6})d)?(?:([0-9]{1,7})h)?")
ROLE_NOTE = ("role last used: IAM's RoleLastUsed, per role, not per person (anyone granted the role may "
             "have used it); IAM keeps it for the trailing 400 days")
CLOUDTRAIL_NOTE = "CloudTrail (who used a role, by source identity) is not read by this review (--cloudtrail reads it)"
TRAIL_NOTE = ("last assumed by this person: CloudTrail's AssumeRole events in the environment's account, by "
              "source identity (awsroles' trust policies require it to be the caller's own user name)")


def parse_since(text: str) -> timedelta:
    """``90d``, ``36h``, ``1d12h`` -> a timedelta; a UsageError (exit 2) for anything else or zero."""
    value = text.strip().lower()
    match = _SINCE.fullmatch(value)
    if not value or match is None:
        raise UsageError(f"--since {text!r}: use days or hours, e.g. 90d, 36h or 1d12h")
    days, hours = (int(n) if n else 0 for n in match.groups())
    since = timedelta(days=days, hours=hours)
    if since <= timedelta(0):
        raise UsageError(f"--since {text!r}: the period must be longer than zero")
    return since


def iso(value: datetime | None) -> str:
    """``2026-11-29T14:02:00Z``, or ``never``."""
    if value is None:
        return NEVER
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# -- the data ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoleUse:
    """When a role in an environment was last used (IAM's RoleLastUsed: per role, not per person)."""

    environment: str
    role: str
    exists: bool = True
    last_used: datetime | None = None
    region: str = ""


@dataclass(frozen=True)
class Access:
    """One role a person may assume: standing (through a team), temporary (until a moment), or
    break-glass (a ``[break-glass ENV]`` section names them)."""

    environment: str
    role: str
    kind: str  # "standing" | "temporary" | "break-glass"
    via: str  # "team backend"; "user" for a temporary grant to the person alone; "[break-glass ENV]"
    until: datetime | None = None  # temporary grants: when it ends
    starts: datetime | None = None  # temporary grants with a ``from``: when it begins
    grant_id: str = ""  # temporary grants: the section's ID
    reason: str = ""  # temporary grants


@dataclass(frozen=True)
class GrantReview:
    access: Access
    use: RoleUse
    flags: tuple[str, ...] = ()
    assumed: datetime | None = None  # when this person last assumed the role (CloudTrail)
    trail: bool | None = None  # None: CloudTrail not asked; False: the account's could not be read

    @property
    def assumed_text(self) -> str:
        """``2026-11-29T14:02:00Z``, ``never``, ``not read`` (the account's CloudTrail), or empty."""
        if self.trail is None:
            return ""
        return iso(self.assumed) if self.trail else "not read"

    def as_dict(self) -> dict[str, Any]:
        a = self.access
        return {"environment": a.environment, "role": a.role, "kind": a.kind, "via": a.via,
                "until": iso(a.until) if a.until else None, "from": iso(a.starts) if a.starts else None,
                "grant_id": a.grant_id or None,
                "reason": a.reason or None, "role_exists": self.use.exists,
                "role_last_used": iso(self.use.last_used) if self.use.exists else None,
                "role_last_used_region": self.use.region or None, "flags": list(self.flags),
                **({} if self.trail is None else
                   {"last_assumed_by_person": iso(self.assumed) if self.trail else None,
                    "cloudtrail_read": self.trail})}


@dataclass(frozen=True)
class KeyReview:
    key: KeyUse
    flags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.key.id, "status": self.key.status,
                "created": iso(self.key.created) if self.key.created else None,
                "last_used": iso(self.key.last_used), "flags": list(self.flags)}


@dataclass(frozen=True)
class PersonReview:
    name: str
    teams: tuple[str, ...]
    use: IamUse | None  # None: not in IAM
    keys: tuple[KeyReview, ...]
    grants: tuple[GrantReview, ...]
    flags: tuple[str, ...]
    in_identity_center: bool | None = None  # an org on Identity Center alone (people.review_ic): no IAM use

    @property
    def last_active(self) -> datetime | None:
        return self.use.last_used if self.use is not None else None

    def as_dict(self) -> dict[str, Any]:
        use = self.use
        if self.in_identity_center is not None:
            return {"name": self.name, "teams": list(self.teams), "in_identity_center": self.in_identity_center,
                    "flags": list(self.flags), "grants": [g.as_dict() for g in self.grants]}
        return {"name": self.name, "teams": list(self.teams), "in_iam": use is not None,
                "password": bool(use and use.password),
                "password_last_used": iso(use.password_last_used) if use is not None else None,
                "keys": [k.as_dict() for k in self.keys],
                "last_active": iso(self.last_active) if use is not None else None,
                "flags": list(self.flags), "grants": [g.as_dict() for g in self.grants]}


@dataclass(frozen=True)
class Review:
    """The whole review: when it was made, the cut-off, and one entry per person in file order."""

    now: datetime
    since: timedelta
    people: tuple[PersonReview, ...]
    notes: tuple[str, ...] = ()
    cloudtrail: bool = False  # CloudTrail was asked (--cloudtrail)
    identity_center: bool = False  # people in Identity Center alone (:mod:`awsroles.people.review_ic`)

    @property
    def cutoff(self) -> datetime:
        return self.now - self.since

    def as_dict(self) -> dict[str, Any]:
        return {"reviewed_at": iso(self.now), "cutoff": iso(self.cutoff),
                "since_days": round(self.since / timedelta(days=1), 4),
                "identity": "identity-center" if self.identity_center else "iam-users",
                "people": [p.as_dict() for p in self.people], "notes": list(self.notes)}


# -- who may assume what (pure) ---------------------------------------------------------------------

def accesses(org: Org, user: str) -> list[Access]:
    """``user``'s standing grants (through each team, file order), their temporary grants
    (``[temporary ID]`` sections: a team's reach every member), then the break-glass roles they
    are named for."""
    found = [Access(g.environment, g.role, "standing", f"team {t.name}")
             for t in org.teams_of(user) for g in t.grants]
    teams = {t.name for t in org.teams_of(user)}
    for grant in org.temporary_grants:
        if grant.user == user:
            via = "user"
        elif grant.team and grant.team in teams:
            via = f"team {grant.team}"
        else:
            continue
        found.append(Access(grant.environment, grant.role, "temporary", via, _utc(grant.until), _utc(grant.start),
                            grant.id, grant.reason))
    found += [Access(glass.environment, glass.role, "break-glass", f"[break-glass {glass.environment}]")
              for glass in org.break_glass if user in glass.people]
    return found


# -- classification (pure, the clock passed in) -----------------------------------------------------

def _stale(when: datetime | None, cutoff: datetime) -> bool:
    return when is None or when < cutoff


def key_flags(key: KeyUse, cutoff: datetime) -> tuple[str, ...]:
    """``old unused key`` for a key created before the cut-off and not used since."""
    if key.created is not None and key.created < cutoff and _stale(key.last_used, cutoff):
        return ("old unused key",)
    return ()


def grant_flags(access: Access, use: RoleUse, now: datetime, cutoff: datetime, *,
                assumed: datetime | None = None, trail: bool | None = None) -> tuple[str, ...]:
    """``trail``: the person's own assumptions were read (CloudTrail); then ``unused grant`` means
    this person did not assume the role since the cut-off, whatever IAM says of the role."""
    flags = []
    if access.kind == "temporary" and access.until is not None and access.until <= now:
        flags.append("expired")
    if access.kind == "temporary" and access.starts is not None and access.starts > now:
        flags.append("not started")
    if not use.exists:
        flags.append("role not in AWS")
    elif access.kind == "break-glass":
        if not _stale(assumed if trail else use.last_used, cutoff):
            flags.append("break-glass used")  # worth a look; unused is as it should be
    elif _stale(assumed if trail else use.last_used, cutoff):
        flags.append("unused grant")
    return tuple(flags)


def person_flags(use: IamUse | None, cutoff: datetime) -> tuple[str, ...]:
    if use is None:
        return ("not in IAM",)
    if use.last_used is None:
        return ("never used",)
    if use.last_used < cutoff:
        return ("inactive",)
    return ()


def classify(org: Org, uses: dict[str, IamUse], roles: dict[tuple[str, str], RoleUse], *, now: datetime,
             since: timedelta, trail: TrailRead | None = None) -> Review:
    """The review of every person the org file declares, from what was read (pure); ``trail``:
    CloudTrail's assumptions, when read."""
    cutoff = now - since
    people = []
    for user in org.users:
        use = uses.get(user.name)
        grants = []
        for access in accesses(org, user.name):
            role = roles.get((access.environment, access.role), RoleUse(access.environment, access.role, False))
            assumed, read = None, None
            if trail is not None:
                account = org.environment_account(access.environment)
                read = account.name in trail.read
                if read:
                    assumed = trail.last.get((user.name, org.role_arn(access.environment, access.role)))
            grants.append(GrantReview(access, role, grant_flags(access, role, now, cutoff, assumed=assumed, trail=read),
                                      assumed, read))
        keys = tuple(KeyReview(k, key_flags(k, cutoff)) for k in (use.keys if use else ()))
        flags = list(person_flags(use, cutoff))
        flags += [f"{f} {k.key.id}" for k in keys for f in k.flags]
        flags += [f"{flag} {g.access.environment}/{g.access.role}" for g in grants
                  for flag in ("unused grant", "break-glass used") if flag in g.flags]
        people.append(PersonReview(user.name, tuple(t.name for t in org.teams_of(user.name)), use, keys,
                                   tuple(grants), tuple(dict.fromkeys(flags))))
    return Review(now, since, tuple(people), (ROLE_NOTE, *trail_notes(org, trail, since)), trail is not None)


def trail_notes(org: Org, trail: TrailRead | None, since: timedelta) -> list[str]:
    """What the review says of CloudTrail: not read; or read, with one line per account it could
    not read, and a cut-off older than the event history."""
    if trail is None:
        return [CLOUDTRAIL_NOTE]
    notes = [TRAIL_NOTE]
    if since > HISTORY:
        notes.append(f"CloudTrail's event history covers the last {HISTORY.days} days, less than --since: "
                     "an assumption before then is not seen")
    for name, why in trail.unreadable.items():
        account = org.account(name)
        notes.append(f"CloudTrail in {name} ({account.id}): {why}; its grants use IAM's role last used")
    for name, why in trail.partly.items():
        account = org.account(name)
        notes.append(f"CloudTrail in {name} ({account.id}) in {why}: assumptions through the global STS "
                     "endpoint are not seen")
    return notes


# -- reading AWS ------------------------------------------------------------------------------------

def read_role_use(iam: Any, environment: str, role: str) -> RoleUse:
    """GetRole's RoleLastUsed (``iam``: a client in the environment's account)."""
    try:
        found = iam.get_role(RoleName=role)["Role"]
    except Exception as exc:
        if aws_error_code(exc) == "NoSuchEntity":
            return RoleUse(environment, role, exists=False)
        raise
    last = found.get("RoleLastUsed") or {}
    return RoleUse(environment, role, True, _utc(last.get("LastUsedDate")), str(last.get("Region") or ""))


def read_role_uses(org: Org, iam_for: Callable[[Account], Any], wanted: Iterable[tuple[str, str]], *,
                   max_workers: int = 8) -> dict[tuple[str, str], RoleUse]:
    """RoleLastUsed of each (environment, role) in ``wanted``, a few at a time; roles in an account
    that has no id yet are reported as not in AWS."""
    pairs = list(dict.fromkeys(wanted))

    def read(pair: tuple[str, str]) -> RoleUse:
        environment, role = pair
        account = org.environment_account(environment)
        if account.pending:
            return RoleUse(environment, role, exists=False)
        return read_role_use(iam_for(account), environment, role)

    if not pairs:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(pairs)))) as pool:
        return {(u.environment, u.role): u for u in pool.map(read, pairs)}


def review(org: Org, iam_for: Callable[[Account], Any], *, now: datetime, since: timedelta,
           max_workers: int = 8, cloudtrail_for: Callable[[Account, str | None], Any] | None = None) -> Review:
    """Read the ops account (each person's credentials and their last use) and each environment
    account (each granted role's last use), then :func:`classify`. ``iam_for(account)``: an IAM
    client in that account (:meth:`awsroles.sync.engine.Engine.iam`); ``cloudtrail_for(account,
    region)``, when given, a CloudTrail client there, ``region`` None for the org's (each environment
    account's events are read there, and in the global STS endpoint's region when that is another)."""
    names = [u.name for u in org.users]
    uses = {u.name: u for u in read_uses(iam_for(org.ops), names, max_workers=min(4, max_workers))}
    wanted = [(a.environment, a.role) for name in names for a in accesses(org, name)]
    roles = read_role_uses(org, iam_for, wanted, max_workers=max_workers)
    trail = None
    if cloudtrail_for is not None:
        live = [(env, role) for env, role in wanted if not org.environment_account(env).pending]
        trail = read_trails([org.environment_account(env).name for env, _ in live],
                            lambda name, region: cloudtrail_for(org.account(name), region), now - since,
                            {org.role_arn(env, role) for env, role in live}, set(names),
                            also=[r for r in [GLOBAL_ENDPOINT_REGION.get(org.partition)] if r and r != org.region])
    return classify(org, uses, roles, now=now, since=since, trail=trail)
