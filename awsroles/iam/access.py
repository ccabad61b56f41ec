"""Pure: who can assume which role in which environment, from the org model."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from awsroles.org.model import Org


@dataclass(frozen=True, order=True)
class Access:
    """``user`` may assume ``role`` in ``environment`` because ``team`` is granted it."""

    user: str
    environment: str
    role: str
    team: str
    account_id: str
    role_arn: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def access_list(
    org: Org,
    *,
    user: str | None = None,
    team: str | None = None,
    environment: str | None = None,
    role: str | None = None,
) -> list[Access]:
    """Every (user, environment, role, team) path, filtered, in a stable order.

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
    return sorted(
        rows,
        key=lambda a: (user_order[a.user], env_order[a.environment], role_order[a.role], team_order[a.team]),
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
        if a.role not in bucket:
            bucket.append(a.role)
    present = {a.user if by == "user" else a.team for a in rows}
    grid = [[name, *(", ".join(cells.get((name, env), [])) or "-" for env in environments)]
            for name in names if name in present]
    return [by, *environments], grid
