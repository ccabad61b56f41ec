"""Inference (pure): an IAM Identity Center instance as read -> the roles, teams and users of an org
file that says ``identity = identity-center``, the policy files they refer to, and findings.

The instance is read with :func:`awsroles.identity_center.state.read_identity_center` and
``detail_all`` (every permission set in full, every group with its members and assignments).
The mapping is the inverse of :mod:`awsroles.identity_center.desired`:

- a permission set -> ``[role NAME]``: its AWS managed policies (``managed``), its one inline
  policy (a policy file ``NAME.json``), its customer managed policy references
  (``customer_managed``), its permissions boundary (``boundary``), its session duration
  (``max_session``) and its description;
- a group -> ``[team NAME]``: ``team-NAME`` gives NAME; any other display name is made into a team
  name (with a warning: awsroles manages the team as the group ``team-NAME``); its description
  (without awsroles' mark) and its members;
- a user -> ``[user NAME]``: e-mail, and display, given and family names where they differ from the
  defaults :meth:`awsroles.org.entries.User.person_names` derives;
- an account assignment of a group -> the team's grant ``ENV = ROLE`` when the account holds an
  environment of the org file; any other account, and any assignment to a user (awsroles grants to
  teams only), is reported and not imported.

What awsroles marked for another org (a permission set tagged ``awsroles-org`` = another, a group
or user with another org's mark) is never imported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from awsroles.errors import UsageError
from awsroles.identity_center import names, temporary
from awsroles.identity_center.desired import merged_inline
from awsroles.identity_center.state import LiveAssignment, LiveGroup, LiveIdentityCenter, LivePermissionSet, LiveUser
from awsroles.importer.accounts import slug
from awsroles.importer.settings import ini_text
from awsroles.org import limits
from awsroles.org.builder import EMAIL, NAME
from awsroles.org.durations import format_duration
from awsroles.org.entries import Account, Grant, PolicyFile, Role, Team, User
from awsroles.org.identity import PERSON_NAME_MAX, policy_reference, split_policy_path
from awsroles.org.jsondoc import canonical_json
from awsroles.org.marks import TEAM_GROUP_PREFIX
from awsroles.org.model import Org

TEAM_DESCRIPTION_MAX = 1000  # the org file's [team] description


@dataclass(frozen=True)
class InstanceRead:
    """An Identity Center instance as read for an import, and where it lives."""

    live: LiveIdentityCenter
    account: str  # the name of the account that holds it
    account_id: str
    region: str


@dataclass(frozen=True)
class ImportedIdentityCenter:
    """The org file's roles, teams and users, read from one Identity Center instance."""

    roles: tuple[Role, ...] = ()
    teams: tuple[Team, ...] = ()
    users: tuple[User, ...] = ()
    policy_files: dict[str, str] = field(default_factory=dict)  # path relative to policy_dir -> canonical JSON
    warnings: tuple[str, ...] = ()
    assigned_accounts: frozenset[str] = frozenset()  # ids of the accounts with assignments to groups


def _writable_name(name: str, maximum: int) -> bool:
    """A role or user name the org file can hold (IAM's characters, no ',' of its lists)."""
    return bool(limits.IAM_NAME.fullmatch(name)) and "," not in name and len(name) <= maximum


class _Import:
    def __init__(self, live: LiveIdentityCenter, accounts: Sequence[Account], org_name: str, previous: Org | None):
        self.live, self.org_name, self.previous = live, org_name, previous
        self.environments = {a.id: a for a in accounts if a.environment and a.id}
        self.order = {a.environment: i for i, a in enumerate(accounts) if a.environment}
        self.known = {a.id: a for a in accounts if a.id}
        self.warnings: list[str] = []
        self.policy_files: dict[str, str] = {}

    def foreign(self, owner: str | None) -> bool:
        """Marked by awsroles for another org."""
        return bool(owner) and owner != self.org_name

    # permission sets -> roles ------------------------------------------------------------------

    def role(self, ps: LivePermissionSet) -> Role | None:
        where = f"permission set {ps.name}"
        if not _writable_name(ps.name, limits.ROLE_NAME_MAX):
            self.warnings.append(f"{where}: a name the org file cannot hold as a role name; not imported")
            return None
        managed = []
        for arn in ps.managed:
            if "," in arn or not limits.MANAGED_POLICY_ARN.fullmatch(arn):
                self.warnings.append(f"{where}: managed policy {arn} cannot be written in an org file; skipped "
                                     "(apply would detach it)")
            else:
                managed.append(arn)
        customer = []
        for name, path in sorted(ps.customer_managed):
            if split_policy_path(policy_reference(path, name)) is None:
                self.warnings.append(f"{where}: customer managed policy {path}{name} cannot be written in an org "
                                     "file; skipped (apply would detach it)")
            else:
                customer.append(policy_reference(path, name))
        files = self.inline(ps)
        boundary = self.boundary(ps)
        seconds = names.duration_seconds(ps.session_duration) or limits.ROLE_SESSION_MIN
        max_session = min(max(seconds, limits.ROLE_SESSION_MIN), limits.ROLE_SESSION_MAX)
        if ps.session_duration and names.iso_duration(max_session) != ps.session_duration:
            self.warnings.append(f"{where}: session duration {ps.session_duration} imported as max_session "
                                 f"{format_duration(max_session)} (apply writes it as "
                                 f"{names.iso_duration(max_session)})")
        description = ini_text(ps.description)
        if description != ps.description:
            self.warnings.append(f"{where}: description {ps.description!r} cannot be written as is in an org file; "
                                 f"imported as {description!r} (apply will update it)")
        return Role(ps.name, tuple(sorted(managed)), files, max_session, description, tuple(customer), boundary)

    def inline(self, ps: LivePermissionSet) -> tuple[PolicyFile, ...]:
        """The one inline policy -> the policy file ``NAME.json`` (another name when one differing only
        in case is taken)."""
        if ps.inline is None:
            return ()
        try:
            document = json.loads(ps.inline)
        except ValueError:
            document = None
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not statements or not isinstance(statements, (list, dict)):
            self.warnings.append(f"permission set {ps.name}: its inline policy has no statements the org file can "
                                 "hold; not imported (apply would remove it)")
            return ()
        assert isinstance(document, dict)
        text = canonical_json(document)
        stem = ps.name.replace(".", "%2E") if ps.name in (".", "..") else ps.name
        ref, number = f"{stem}.json", 1
        while ref.lower() in (r.lower() for r in self.policy_files):
            number += 1
            ref = f"{stem}-{number}.json"
        self.policy_files[ref] = text
        policy = PolicyFile(ref.removesuffix(".json"), ref, text)
        if merged_inline(Role(ps.name, policies=(policy,))) != text:
            self.warnings.append(f"permission set {ps.name}: its inline policy has other top-level keys than "
                                 "Version 2012-10-17 and Statement; apply writes only those")
        return (policy,)

    def boundary(self, ps: LivePermissionSet) -> str:
        if not ps.boundary:
            return ""
        arn = str(ps.boundary.get("ManagedPolicyArn", ""))
        if arn and limits.MANAGED_POLICY_ARN.fullmatch(arn):
            return arn
        reference = ps.boundary.get("CustomerManagedPolicyReference")
        if isinstance(reference, dict) and reference.get("Name"):
            text = policy_reference(str(reference.get("Path") or "/"), str(reference["Name"]))
            if split_policy_path(text) is not None:
                return text
        self.warnings.append(f"permission set {ps.name}: permissions boundary {ps.boundary} cannot be written in an "
                             "org file; skipped (apply would remove it)")
        return ""

    # users ---------------------------------------------------------------------------------------

    def person_name(self, user: LiveUser, key: str, value: str) -> str:
        text = ini_text(value)[:PERSON_NAME_MAX]
        if text != value:
            self.warnings.append(f"user {user.user_name}: {key} {value!r} cannot be written as is in an org file; "
                                 f"imported as {text!r} (apply will update it)")
        return text

    def user(self, live: LiveUser) -> User | None:
        name = live.user_name
        if not _writable_name(name, limits.USER_NAME_MAX):
            self.warnings.append(f"user {name}: a name the org file cannot hold as a user name (letters, digits and "
                                 f"+ = . @ _ -, at most {limits.USER_NAME_MAX}); not imported")
            return None
        email = live.email
        if email and (not EMAIL.fullmatch(email) or len(email) > limits.TAG_VALUE_MAX or ini_text(email) != email):
            self.warnings.append(f"user {name}: e-mail {email!r} is not an address the org file accepts; skipped "
                                 "(apply would remove it)")
            email = ""
        display = self.person_name(live, "display name", live.display_name) if live.display_name else ""
        if not display:
            self.warnings.append(f"user {name}: no display name; apply gives it the user name")
        user = User(name, email, display_name="" if display == name else display)
        for key, value, index in (("given name", live.given_name, 1), ("family name", live.family_name, 2)):
            derived = user.person_names()[index]  # the family name's default may be the given name
            text = self.person_name(live, key, value) if value else ""
            if not text:
                self.warnings.append(f"user {name}: no {key}; apply sets {derived!r}")
            elif text != derived:
                user = replace(user, given_name=text) if index == 1 else replace(user, family_name=text)
        before = next((u for u in self.previous.users if u.name == name), None) if self.previous else None
        return replace(user, console=before.console) if before else user

    # groups -> teams -----------------------------------------------------------------------------

    def team_name(self, group: LiveGroup, taken: set[str]) -> str | None:
        display = group.display_name
        wanted = display.removeprefix(TEAM_GROUP_PREFIX)
        maximum = limits.GROUP_NAME_MAX - len(TEAM_GROUP_PREFIX)
        if display.startswith(TEAM_GROUP_PREFIX) and NAME.fullmatch(wanted) and len(wanted) <= maximum \
                and wanted not in taken:
            return wanted
        base = slug(display[len(TEAM_GROUP_PREFIX):] if display.lower().startswith(TEAM_GROUP_PREFIX) else display)
        if not base:
            self.warnings.append(f"group {display!r} ({group.id}): no team name can be made of its name; not imported")
            return None
        name, number = base[:maximum], 1
        while name in taken:
            number += 1
            name = f"{base[:maximum - len(str(number)) - 1]}-{number}"
        self.warnings.append(
            f"group {display!r} ({group.id}) is not named {TEAM_GROUP_PREFIX}NAME (NAME in lower-case letters, digits "
            f"and '-'): imported as [team {name}]; awsroles manages that team as the group "
            f"{names.group_name(name)}, so apply creates it, with the same members and grants; {display!r} itself "
            "is left alone, but once awsroles owns its permission sets (`apply --adopt`), `apply` removes its "
            "assignments of them")
        return name

    def team(self, group: LiveGroup, name: str, users: dict[str, str], grants: list[Grant]) -> Team:
        description = group.description
        if names.group_owner(description) == self.org_name:
            description = description[len(names.group_mark(self.org_name)):].strip()
        text = ini_text(description)[:TEAM_DESCRIPTION_MAX]
        if text != description:
            self.warnings.append(f"group {group.display_name}: description {description!r} cannot be written as is in "
                                 f"an org file; imported as {text!r} (apply will update it)")
        members = sorted(users[m] for m in group.members if m in users)
        skipped = len([m for m in group.members if m not in users])
        if skipped:
            self.warnings.append(f"team '{name}': {skipped} member(s) of group {group.display_name} are users that "
                                 "were not imported; skipped (apply would remove them from the group)")
        grants.sort(key=lambda g: (self.order[g.environment], g.role))
        return Team(name, tuple(members), tuple(dict.fromkeys(grants)), text)

    # assignments ---------------------------------------------------------------------------------

    def account_label(self, account_id: str) -> str:
        account = self.known.get(account_id)
        return f"{account.name} ({account_id})" if account else account_id

    def report_assignments(self, user_assignments: list[tuple[LiveAssignment, str, str]],
                           elsewhere: dict[str, set[str]]) -> None:
        for assignment, user, permission_set in sorted(user_assignments, key=lambda a: (a[1], a[2], a[0].account_id)):
            self.warnings.append(f"user {user} is assigned permission set {permission_set} in account "
                                 f"{self.account_label(assignment.account_id)} directly: not imported (awsroles grants "
                                 f"to teams); once awsroles owns {permission_set} (`apply --adopt`), `plan` shows the "
                                 "assignment as drift and `apply` removes it: put the user in a team granted it first")
        for account_id in sorted(elsewhere):
            self.warnings.append(f"account {self.account_label(account_id)} holds no environment of the org file: the "
                                 f"assignments of {', '.join(sorted(elsewhere[account_id]))} there are not imported, "
                                 "and once awsroles owns their permission sets (`apply --adopt`), `apply` removes "
                                 "them: declare it as an environment account (e.g. --account NAME=ID) to import them")

    # all -----------------------------------------------------------------------------------------

    def run(self) -> ImportedIdentityCenter:
        live = self.live
        sets: dict[str, Role] = {}  # permission set ARN -> role
        for ps in sorted(live.permission_sets, key=lambda p: p.name):
            if self.foreign(names.permission_set_owner(ps.tags)):
                self.warnings.append(f"permission set {ps.name} is awsroles' for org "
                                     f"{names.permission_set_owner(ps.tags)}: not imported")
                continue
            if names.permission_set_owner(ps.tags) == self.org_name and temporary.TAG in ps.tags:
                self.warnings.append(f"permission set {ps.name} is temporary grant {ps.tags[temporary.TAG]}'s: not "
                                     "imported (import writes no [temporary] section; `plan` deletes it, and "
                                     "`awsroles grant ... --for` grants it again if still needed)")
                continue
            if names.permission_set_owner(ps.tags) == self.org_name and ps.name == names.BREAK_GLASS_SET:
                given = sorted(f"{next((u.user_name for u in live.users if u.id == a.principal_id), a.principal_id)}"
                               f" in {self.account_label(a.account_id)}"
                               for a in live.assignments if a.permission_set_arn == ps.arn)
                self.warnings.append(f"permission set {ps.name} is the way to the org's break-glass roles ("
                                     f"{', '.join(given) or 'given to nobody'}): not imported as a role; write each "
                                     "[break-glass ENV] section by hand (docs/temporary-access.md#break-glass), else "
                                     "`plan --prune` would delete it")
                continue
            role = self.role(ps)
            if role is not None:
                sets[ps.arn] = role
        folded: dict[str, list[str]] = {}
        for role in sets.values():
            folded.setdefault(role.name.lower(), []).append(role.name)
        clashes = sorted(" and ".join(found) for found in folded.values() if len(found) > 1)
        if clashes:
            raise UsageError(f"permission sets {'; '.join(clashes)} differ only in case, and an org file's role "
                             "names ignore case (as IAM's do); rename one in IAM Identity Center, then import again")
        users: dict[str, str] = {}  # user id -> name
        imported_users: list[User] = []
        for live_user in sorted(live.users, key=lambda u: u.user_name):
            if self.foreign(names.user_owner(live_user.user_type)):
                self.warnings.append(f"user {live_user.user_name} is awsroles' for org "
                                     f"{names.user_owner(live_user.user_type)}: not imported")
                continue
            user = self.user(live_user)
            if user is not None:
                users[live_user.id] = user.name
                imported_users.append(user)
        by_principal: dict[str, list[LiveAssignment]] = {}
        for assignment in live.assignments:
            by_principal.setdefault(assignment.principal_id, []).append(assignment)
        user_names = {u.id: u.user_name for u in live.users}
        user_assignments = [(a, user_names[a.principal_id], sets[a.permission_set_arn].name)
                            for a in live.assignments
                            if a.principal_type == "USER" and a.principal_id in user_names
                            and a.permission_set_arn in sets]
        elsewhere: dict[str, set[str]] = {}
        assigned: set[str] = set()
        teams: list[Team] = []
        taken: set[str] = set()
        for group in sorted(live.groups, key=lambda g: (not g.display_name.startswith(TEAM_GROUP_PREFIX),
                                                       g.display_name)):
            owner = names.group_owner(group.description)
            if self.foreign(owner):
                self.warnings.append(f"group {group.display_name} is awsroles' for org {owner}: not imported")
                continue
            name = self.team_name(group, taken)
            if name is None:
                continue
            taken.add(name)
            grants: list[Grant] = []
            for assignment in by_principal.get(group.id, []):
                if assignment.principal_type != "GROUP" or assignment.permission_set_arn not in sets:
                    continue
                assigned.add(assignment.account_id)
                account = self.environments.get(assignment.account_id)
                if account is None or account.environment is None:
                    elsewhere.setdefault(assignment.account_id, set()).add(group.display_name)
                    continue
                grants.append(Grant(account.environment, sets[assignment.permission_set_arn].name))
            teams.append(self.team(group, name, users, grants))
        granted = {g.role for t in teams for g in t.grants}
        for ps in live.permission_sets:
            role = sets.get(ps.arn)
            if role is not None and role.name not in granted:
                prune = " (`plan --prune` would delete it)" if names.permission_set_owner(ps.tags) else ""
                self.warnings.append(f"permission set {ps.name} is assigned to no imported team in an environment "
                                     f"account: declared as [role {role.name}], which makes nothing until a team "
                                     f"is granted it{prune}")
        self.report_assignments(user_assignments, elsewhere)
        return ImportedIdentityCenter(tuple(sets[a] for a in sorted(sets, key=lambda a: sets[a].name)),
                                      tuple(sorted(teams, key=lambda t: t.name)), tuple(imported_users),
                                      dict(self.policy_files), tuple(self.warnings), frozenset(assigned))


def import_identity_center(live: LiveIdentityCenter, accounts: Sequence[Account], org_name: str, *,
                           previous: Org | None = None) -> ImportedIdentityCenter:
    """Pure: the instance (read with ``detail_all``) -> roles, teams, users and findings. ``accounts``:
    the org's accounts (assignments count only in those holding an environment); ``org_name``: whose
    marks are the org's own (others' are not imported); ``previous``: the ``--from`` org, for
    ``console``. Raises UsageError for permission sets whose names differ only in case."""
    return _Import(live, accounts, org_name, previous).run()


def marked_org(live: LiveIdentityCenter) -> str | None:
    """The one org awsroles' marks in the instance name (permission set tags, group descriptions, user
    types), or None when they name none or several."""
    found = {names.permission_set_owner(p.tags) for p in live.permission_sets}
    found |= {names.group_owner(g.description) for g in live.groups} | {names.user_owner(u.user_type)
                                                                         for u in live.users}
    found -= {None, ""}
    return str(found.pop()) if len(found) == 1 else None
