"""Bring what an import adopted outside the org's path to the path (``--adopt KIND=move``).

An import first reads users, teams' groups and roles where they are, as if adopting them in
place (:mod:`awsroles.importer.infer`); for the kinds brought to the org's path it then rewrites
them, pure, as the org file says it:

- a user: at the org's path, ``move_from`` where it is. The first apply moves it there with IAM's
  UpdateUser ``NewPath``: the same user, with its access keys, password, MFA device and groups; its
  ARN changes, and IAM does not rewrite policies that name the old ARN
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html#id_users_renaming);
- a team's group: likewise with UpdateGroup, keeping its name and members;
- a role: IAM cannot move a role, and role names are unique in an account whatever their path or
  case, so it is recreated at the org's path under a new name (the old one in lower case with
  ``-`` between words, ``Developer`` -> ``developer``, or, when that name is taken there, with the
  org's name in front, ``acme-developer``), with ``replaces`` naming the old one. The teams that
  were granted the old role are granted the new one, and keep the old one, as it was, until the
  admin turns ``replaces`` into ``retires``: then apply deletes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from awsroles.org import limits
from awsroles.org.entries import Grant, Role, Team, User
from awsroles.org.marks import team_group
from awsroles.org.model import Org


def new_role_name(old: str, org_name: str, taken: Iterable[str]) -> str:
    """The name a recreated role gets: ``old`` in lower case, words joined by ``-``; with the org's
    name in front when that is taken (IAM compares names without case); then a number."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", old)
    base = re.sub(r"-+", "-", re.sub(r"[^a-z0-9+=,.@-]", "-", words.lower())).strip("-") or "role"
    used = {t.lower() for t in taken}
    for candidate in (base, f"{org_name}-{base}", *(f"{org_name}-{base}-{n}" for n in range(2, 100))):
        candidate = candidate[:limits.ROLE_NAME_MAX]
        if candidate.lower() not in used:
            return candidate
    raise ValueError(f"no free name for a role replacing {old}")  # 100 taken names: not an org made by hand


def to_org_path(roles: Sequence[Role], users: Sequence[User], teams: Sequence[Team], *, path: str, org_name: str,
                kinds: frozenset[str], taken_roles: Iterable[str]) -> tuple[list[Role], list[User], list[Team]]:
    """``roles``, ``users`` and ``teams`` with those adopted outside ``path`` of ``kinds`` (users,
    teams, roles) brought to it: moved (``move_from``) or recreated (``replaces``)."""
    renamed: dict[str, str] = {}
    if "roles" in kinds:
        taken = {*taken_roles, *(r.name for r in roles)}
        out_roles = []
        for role in roles:
            if not role.path:
                out_roles.append(role)
                continue
            name = new_role_name(role.name, org_name, taken)
            taken.add(name)
            renamed[role.name] = name
            out_roles.append(replace(role, name=name, path="", replaces=f"{role.path}{role.name}"))
        roles = out_roles
    if "users" in kinds:
        users = [replace(u, path="", move_from=u.path) if u.path else u for u in users]
    out_teams = []
    for team in teams:
        if renamed:
            team = replace(team, grants=tuple(Grant(g.environment, renamed.get(g.role, g.role)) for g in team.grants))
        if "teams" in kinds and team.group:
            group_path, _, group_name = team.group.rpartition("/")
            group_path += "/"
            if group_path != path:
                group = "" if group_name == team_group(team.name) else f"{path}{group_name}"
                team = replace(team, group=group, move_from=group_path)
        out_teams.append(team)
    return list(roles), list(users), out_teams


def still_moving(previous: Org, users: Sequence[User], teams: Sequence[Team]) -> tuple[list[User], list[Team]]:
    """``users`` and ``teams`` read where they are (adopted in place, by an import ``--from`` a file
    that moves them) as that file says them, when they are still where it moves them from."""
    before_users = {u.name: u for u in previous.users if u.move_from}
    before_teams = {t.name: t for t in previous.teams if t.move_from}
    out_users = []
    for user in users:
        was = before_users.get(user.name)
        if was is not None and user.path == was.move_from:
            user = replace(user, path=was.path, move_from=was.move_from)
        out_users.append(user)
    out_teams = []
    for team in teams:
        moving = before_teams.get(team.name)
        if moving is not None and team.group and team.group.rpartition("/")[0] + "/" == moving.move_from:
            team = replace(team, group=moving.group, move_from=moving.move_from)
        out_teams.append(team)
    return out_users, out_teams
