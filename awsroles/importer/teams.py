"""Teams from the ops account's groups: the ``team-NAME`` groups at the path (and, with
``--adopt teams=in-place``, groups elsewhere whose policies allow ``sts:AssumeRole``), their members,
and their grants read back from the role ARNs their policies allow."""

from __future__ import annotations

import re

from awsroles.iam.policies import TEMPORARY_SID_PREFIX
from awsroles.importer.accounts import slug
from awsroles.importer.documents import allows_assume_role, per_role, statements_of
from awsroles.importer.findings import dropped_conditions, grants_document, group_policies, moved_grants
from awsroles.importer.outside import assumable
from awsroles.importer.reading import Reading
from awsroles.importer.settings import partition_of
from awsroles.org.builder import NAME
from awsroles.org.entries import Grant, Team, User
from awsroles.org.marks import EVERYONE_GROUP, TEAM_GROUP_PREFIX, TEAM_MANAGED_POLICY_PREFIX, TEAM_POLICY_NAME
from awsroles.sync.state import Document, LiveGroup

_ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(/(?:.*/)?)([^/]+)")


def own_team_policy(label: str, path: str, team: str) -> bool:
    """Whether ``label`` (:func:`group_policies`') is one of awsroles' own policies for ``team``: its
    inline ``awsroles-assume-roles``, or in the managed form a customer managed policy at the path
    named ``awsroles-assume-TEAM-N``."""
    if label == f"policy {TEAM_POLICY_NAME}":
        return True
    own = re.compile(r"managed policy arn:[\w-]+:iam::\d{12}:policy" + re.escape(f"{path}{TEAM_MANAGED_POLICY_PREFIX}"
                                                                          f"{team}-") + r"\d+")
    return own.fullmatch(label) is not None


class TeamReading(Reading):
    """The teams part of an import (:class:`awsroles.importer.infer._Build` adds roles, users and the rest)."""

    def teams(self, users: list[User]) -> list[Team]:
        """Ops groups ``team-NAME`` at the path; grants from their ``awsroles-assume-roles`` policy."""
        previous = {t.name: t for t in self.previous.teams} if self.previous else {}
        user_names = {u.name for u in users}
        order = {a.environment: i for i, a in enumerate(self.accounts.accounts) if a.environment}
        path = self.settings.path
        teams: list[Team] = []
        adopted = self.team_groups()
        named_groups = {self.previous.team_group(t.name)[1]: t.name for t in self.previous.teams
                        if t.group and self.previous.team_group(t.name)[0] == path} if self.previous else {}
        taken = {g.removeprefix(TEAM_GROUP_PREFIX) for g, live in (self.ops.groups if self.ops else {}).items()
                 if live.path == path}
        for group_name, group in sorted((self.ops.groups if self.ops else {}).items()):
            if group_name == EVERYONE_GROUP or (group.path != path and group_name not in adopted):
                continue
            if group.path != path:
                team = slug(group_name)
                if not NAME.fullmatch(team) or team in taken or len(team) > 64:
                    self.warnings.append(f"group {group_name} (at {group.path}) cannot be a team: the team name "
                                         f"{team!r} it would get is not valid or already taken; not imported")
                    continue
                taken.add(team)
                members = [m for m in group.members if m in user_names]
                self.warnings.extend(f"team '{team}': member {m} is not imported as a user; skipped"
                                     for m in group.members if m not in user_names)
                found: list[Grant] = []
                for policy_name, document in sorted(group.inline.items()):
                    self.observe_mfa(document, f"team {team}")
                    found += [g for g in self.grants(document, team, where=f"team '{team}' (group {group_name}, "
                                                     f"policy {policy_name})") if g not in found]
                if group.managed:
                    self.warnings.append(f"team '{team}': group {group_name} has managed policies attached "
                                         f"({', '.join(group.managed)}): not imported (`apply` would detach them)")
                found.sort(key=lambda g: (order[g.environment], g.role))
                before = previous.get(team)
                teams.append(Team(team, tuple(members), tuple(found), before.description if before else "",
                                  f"{group.path}{group_name}"))
                continue
            named = named_groups.get(group_name)  # a team of the --from file whose group has its own name
            team = named or group_name.removeprefix(TEAM_GROUP_PREFIX)
            if named is None and (not group_name.startswith(TEAM_GROUP_PREFIX) or not NAME.fullmatch(team)):
                self.warnings.append(f"group {group_name} in {self.accounts.ops} is at {path} but is not a team "
                                     f"group ({TEAM_GROUP_PREFIX}NAME, NAME in lower-case letters, digits and '-'): "
                                     "not imported")
                continue
            members = [m for m in group.members if m in user_names]
            self.warnings.extend(f"team '{team}': member {m} is not a user at {path}; skipped"
                                 for m in group.members if m not in user_names)
            grants: list[Grant] = []
            for label, policy in group_policies(group, self.ops.documents if self.ops else {}):
                own = own_team_policy(label, path, team)
                if policy is None or (not own and not grants_document(policy)):
                    continue  # not a grant: plan shows what apply does to it
                self.observe_mfa(policy, f"team {team}")
                found = self.grants(policy, team, label)
                if not own and found:
                    self.warnings.append(moved_grants(team, label, len(found)))
                grants += [g for g in found if g not in grants]
            grants.sort(key=lambda g: (order[g.environment], g.role))
            before = previous.get(team)
            teams.append(Team(team, tuple(members), tuple(grants), before.description if before else "",
                              f"{path}{group_name}" if named else ""))
        return teams

    def grants(self, document: Document, team: str, label: str = f"policy {TEAM_POLICY_NAME}",
               where: str = "") -> list[Grant]:
        """Each allowed role ARN -> (environment, role); anything else is reported and skipped."""
        where = where or f"team '{team}' ({TEAM_GROUP_PREFIX}{team}, {label})"
        grants: list[Grant] = []
        for statement in statements_of(document):
            if not allows_assume_role(statement):
                self.warnings.append(f"{where}: statement {statement.get('Sid', '(no Sid)')} does not allow "
                                     "sts:AssumeRole; not imported")
                continue
            statement, resources = per_role(statement)
            if not str(statement.get("Sid", "")).startswith(TEMPORARY_SID_PREFIX) and \
                    (dropped := dropped_conditions(where, statement)) is not None:
                self.warnings.append(dropped)
            for arn in resources:
                if self.replaced_arn(str(arn)):
                    continue  # a replaced role the team keeps while it is replaced: the --from file says so
                grant = self.grant_of(str(arn))
                if isinstance(grant, str):
                    self.warnings.append(f"{where}: {arn} {grant}; skipped")
                elif grant not in grants:
                    grants.append(grant)
        return grants

    def replaced_arn(self, arn: str) -> bool:
        """Whether ``arn`` is a role a role of the --from file replaces (``replaces``), in an environment."""
        if self.previous is None:
            return False
        match = _ROLE_ARN.fullmatch(arn)
        if match is None:
            return False
        _partition, account_id, path, role = match.groups()
        found = self.previous.replaced_roles().get(role)
        return found is not None and found[0] == path and any(
            a.id == account_id and a.environment for a in self.accounts.accounts)

    def grant_of(self, arn: str) -> Grant | str:
        """The grant a role ARN stands for, or why it stands for none."""
        match = _ROLE_ARN.fullmatch(arn)
        if match is None or "*" in arn or "?" in arn:
            return "is not the ARN of one role"
        partition, account_id, path, role = match.groups()
        account = next((a for a in self.accounts.accounts if a.id == account_id), None)
        if account is None:
            return f"is in account {account_id}, which is not one of the imported accounts"
        if account.environment is None:
            return f"is in account {account.name}, which holds no environment"
        if partition != partition_of(self.settings.region):
            return f"is not in partition {partition_of(self.settings.region)}"
        seen = [s for s in self.seen.get(role, ()) if s.environment == account.environment]
        if path != self.settings.path and not any(s.live.path == path for s in seen):
            return f"is not at the path {self.settings.path}" + (
                "" if self.settings.adopts("roles") else " (`--adopt roles=in-place` imports roles where they are)")
        if not seen:
            return f"names no role at {self.settings.path} in {account.environment}"
        return Grant(account.environment, role)

    def team_groups(self) -> dict[str, LiveGroup]:
        """The ops groups outside the path that become teams (``--adopt teams=in-place``): those whose
        inline policies allow ``sts:AssumeRole``; the others are listed as not imported."""
        if not self.settings.adopts("teams") or self.ops is None:
            return {}
        return {name: group for name, group in self.ops.groups.items()
                if group.path != self.settings.path and name != EVERYONE_GROUP and assumable(group)}
