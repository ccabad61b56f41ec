"""Pure: who can assume which role in which environment, from the org model."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from awsroles.org.model import Org
from awsroles.org.temporary import format_time


@dataclass(frozen=True, order=True)
class Access:
    """``user`` may assume ``role`` in ``environment`` because ``team`` is granted it, or (``temporary``:
    the id of a ``[temporary ID]`` section; ``team`` "" for a person's own) until ``until``, or
    (``break_glass``; ``team`` "") because a ``[break-glass ENV]`` section names them."""

    user: str
    environment: str
    role: str
    team: str
    account_id: str
    role_arn: str
    temporary: str = ""
    until: str = ""  # UTC, as in the org file: when a temporary grant ends
    break_glass: bool = False

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        if not self.temporary:  # standing grants: the fields they always had
            del data["temporary"], data["until"]
        if not self.break_glass:
            del data["break_glass"]
        return data

    @property
    def shown(self) -> str:
        """The role as a table cell: ``admin``, ``readonly until TIME``, ``breakglass (break-glass)``."""
        if self.break_glass:
            return f"{self.role} (break-glass)"
        return f"{self.role} until {self.until}" if self.temporary else self.role


def access_list(
    org: Org,
    *,
    user: str | None = None,
    team: str | None = None,
    environment: str | None = None,
    role: str | None = None,
    now: datetime | None = None,
    break_glass: bool = False,
) -> list[Access]:
    """Every (user, environment, role, team) path, filtered, in a stable order: the standing grants,
    then the temporary grants not expired at ``now`` (default: the current time), then (with
    ``break_glass``) the break-glass roles, for the people their sections name (never with ``team``).

    Order: users in file order, then environments in file order, then roles in file order.
    A user who reaches a role through two teams appears once per team.
    """
    env_order = {name: i for i, name in enumerate(org.environments)}
    role_order = {r.name: i for i, r in enumerate(org.roles)}
    user_order = {u.name: i for i, u in enumerate(org.users)}
    team_order = {t.name: i for i, t in enumerate(org.teams)}
    rows = []
    for t in org.teams:
        if team is not None and t.name != team:
            continue
        for member in t.members:
            if user is not None and member != user:
                continue
            for grant in t.grants:
                if environment is not None and grant.environment != environment:
                    continue
                if role is not None and grant.role != role:
                    continue
                account = org.environment_account(grant.environment)
                arn = "" if account.pending else org.role_arn(grant.environment, grant.role)  # "": not created yet
                rows.append(Access(member, grant.environment, grant.role, t.name, account.id, arn))
    moment = now if now is not None else datetime.now(timezone.utc)
    members = {t.name: t.members for t in org.teams}
    for g in org.active_temporary(moment):
        if (team is not None and g.team != team) or (environment is not None and g.environment != environment):
            continue
        if role is not None and g.role != role:
            continue
        account = org.environment_account(g.environment)
        arn = "" if account.pending else org.role_arn(g.environment, g.role)
        for member in members.get(g.team, ()) if g.team else (g.user,):
            if user is None or member == user:
                rows.append(Access(member, g.environment, g.role, g.team, account.id, arn, g.id, format_time(g.until)))
    for glass in org.break_glass if break_glass and team is None else ():
        if (environment is not None and glass.environment != environment) or (role is not None and glass.role != role):
            continue
        account = org.environment_account(glass.environment)
        arn = "" if account.pending else org.role_arn(glass.environment, glass.role)
        for person in glass.people:
            if user is None or person == user:
                rows.append(Access(person, glass.environment, glass.role, "", account.id, arn, break_glass=True))
    return sorted(
        rows,
        key=lambda a: (user_order[a.user], env_order[a.environment], a.break_glass,
                       role_order.get(a.role, len(role_order)), team_order.get(a.team, -1), a.temporary),
    )


def matrix(
    org: Org, rows: list[Access], by: str = "user", environments: list[str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """A grid: one line per user (or team), one column per environment, cells list role names."""
    environments = list(org.environments) if environments is None else environments
    names = [u.name for u in org.users] if by == "user" else [t.name for t in org.teams]
    cells: dict[tuple[str, str], list[str]] = {}
    for a in rows:
        who = a.user if by == "user" else a.team
        bucket = cells.setdefault((who, a.environment), [])
        if by != "user" and not a.team:
            continue  # a person's own temporary grant, or a break-glass role, is no team's
        if a.shown not in bucket:
            bucket.append(a.shown)
    present = {a.user if by == "user" else a.team for a in rows}
    grid = [[name, *(", ".join(cells.get((name, env), [])) or "-" for env in environments)]
            for name in names if name in present]
    return [by, *environments], grid
