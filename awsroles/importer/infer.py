"""Inference (pure): the live state of the accounts read -> the org, its policy files and its text.

:func:`build_import` runs one :class:`_Build`: the roles at the org's path in every environment
account (one definition per name, or :class:`~awsroles.importer.conflicts.RoleConflictError`),
the users and ``team-NAME`` groups of the ops account, the teams' grants from their
``awsroles-assume-roles`` policies (and any other policy of the group that allows
``sts:AssumeRole``: :mod:`awsroles.importer.teams`), awsroles' budgets
(:mod:`awsroles.importer.budgets`), and the org's MFA settings; every finding is a warning
(:mod:`awsroles.importer.findings`: what the org file cannot say, and what apply will do). Then
the plan the imported file would still have against that same live state (empty for a setup
awsroles made).
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from awsroles.accounts.state import LiveOrganization
from awsroles.errors import AwsrolesError
from awsroles.iam import policies
from awsroles.iam.desired import DIGEST_TAG, STATE_TAGS, desired_state
from awsroles.iam.revocations import POLICY_NAME as REVOKED_SESSIONS
from awsroles.identity_center.desired import desired_identity_center
from awsroles.importer.accounts import Accounts
from awsroles.importer.budgets import import_budgets
from awsroles.importer.conflicts import RoleConflictError, RoleSeen, role_conflict
from awsroles.importer.documents import canonical_key, infer_mfa, statements_of
from awsroles.importer.findings import (
    describe_document,
    role_tag_findings,
    user_findings,
)
from awsroles.importer.identity_center import InstanceRead, import_identity_center
from awsroles.importer.imported import Imported
from awsroles.importer.moves import still_moving, to_org_path
from awsroles.importer.organization import ImportedOrganization, import_organization
from awsroles.importer.outside import AWS_PATHS, assumable, not_imported
from awsroles.importer.outside import warnings as outside_warnings
from awsroles.importer.rolepolicies import role_policies
from awsroles.importer.settings import DEFAULT_MFA_MAX_AGE, OrgSettings, ini_text, ini_unsafe, partition_of
from awsroles.importer.teams import TeamReading
from awsroles.org import limits
from awsroles.org.entries import Account, Grant, PolicyFile, Role, Team, User
from awsroles.org.marks import (
    BREAK_GLASS_TAG,
    MANAGED_BY_TAG,
    MFA_ENROLLMENT_ADMIN,
    MFA_ENROLLMENT_SELF,
    SELF_SERVICE_POLICY,
    TEAM_GROUP_PREFIX,
    split_iam_path,
)
from awsroles.org.model import IDENTITY_CENTER, Org
from awsroles.org.write import LIST_WIDTH, render_org_file
from awsroles.sync.accounts import plan_organization
from awsroles.sync.identity_center import plan_identity_center
from awsroles.sync.plan import Plan, PlanOptions
from awsroles.sync.planner import make_plan
from awsroles.sync.state import Document, LiveAccount, LiveRole, LiveUser

# Tags awsroles writes itself: never imported as a user's `tags`.
_OWN_TAGS = frozenset({MANAGED_BY_TAG[0], DIGEST_TAG, "email", *STATE_TAGS})

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(/(?:.*/)?)([^/]+)")


def _policy_dir_name(role: str) -> str:
    return role.replace(".", "%2E") if role in (".", "..") else role


class _Build(TeamReading):
    """One import: roles, users, the org and its plan (the teams: :class:`TeamReading`)."""

    # roles ---------------------------------------------------------------------------------

    def read_roles(self) -> None:
        """Every role at the path in every environment account; one definition per name, or an error."""
        for account in self.accounts.accounts:
            state = self.live.get(account.name)
            if state is None:
                continue
            if not account.environment:
                self.warnings.extend(
                    f"role {name} in {account.name} ({account.id}) is at {self.settings.path} but the account holds "
                    "no environment: not imported" + (" (`plan --prune` would delete it)" if state.roles[name].owned
                                                      else "") for name in sorted(state.roles)
                    if state.roles[name].path == self.settings.path)
                continue
            for name in sorted(state.roles):
                if not self.role_wanted(account, state.roles[name]):
                    continue
                if "," in name:
                    self.warnings.append(f"role {name} in {account.name}: a name with ',' cannot be written in an org "
                                         "file; skipped")
                    continue
                role = state.roles[name]
                if role.owned and BREAK_GLASS_TAG in role.tags:  # awsroles' break-glass role: never a [role]
                    self.warnings.append(f"role {name} in {account.environment} is awsroles' break-glass role: not "
                                         f"imported as a role; write its [break-glass {account.environment}] section "
                                         "by hand (docs/temporary-access.md#break-glass), else `plan --prune` would "
                                         "delete it")
                    continue
                inline: dict[str, Document] = {}
                for policy_name, document in sorted(role.inline.items()):
                    if policy_name == REVOKED_SESSIONS:  # awsroles' own, in IAM only: never imported
                        continue
                    if "," in policy_name or not statements_of(document):
                        self.warnings.append(f"role {name} in {account.name}: inline policy {policy_name} cannot be "
                                             "written as a policy file; skipped (apply would remove it)")
                    else:
                        inline[policy_name] = document
                self.observe_mfa(role.trust_policy, f"role {name} in {account.environment}")
                self.warnings.extend(role_tag_findings(role, account.environment))
                self.seen.setdefault(name, []).append(RoleSeen(account.environment, role, inline, account.id))
        conflicts = [c for name in sorted(self.seen) if (c := role_conflict(name, self.seen[name])) is not None]
        if conflicts:
            raise RoleConflictError(conflicts)

    def roles(self) -> list[Role]:
        """Role definitions; inline policies become ``<name>.json``, or ``<role>/<name>.json`` when
        roles hold different documents under one name (the file stem stays the IAM policy name)."""
        variants: dict[str, set[str]] = {}
        for instances in self.seen.values():
            for policy_name, document in instances[0].inline.items():
                variants.setdefault(policy_name, set()).add(canonical_key(document))
        roles: list[Role] = []
        for name in sorted(self.seen):
            first = self.seen[name][0]
            files = []
            for policy_name, document in sorted(first.inline.items()):
                ref = (f"{policy_name}.json" if len(variants[policy_name]) == 1
                       else f"{_policy_dir_name(name)}/{policy_name}.json")
                text = policies.canonical_json(document)
                self.policy_files[ref] = text
                files.append(PolicyFile(policy_name, ref, text))
            attached = first.policies
            self.warnings.extend(f"role {name}: {skipped}" for skipped in attached.skipped)
            description = ini_text(first.live.description)
            if description != first.live.description:
                self.warnings.append(f"role {name}: description {first.live.description!r} cannot be written as is "
                                     f"in an org file; imported as {description!r} (apply will update it)")
            path = first.live.path if first.live.path != self.settings.path else ""
            others = sorted({s.live.path for s in self.seen[name]} - {first.live.path})
            if others:
                self.warnings.append(f"role {name} is at {first.live.path} in {first.environment} but at "
                                     f"{', '.join(others)} elsewhere: imported at {first.live.path}; `plan` reports "
                                     "the others as conflicts and never touches them")
            roles.append(Role(name, attached.managed, tuple(files), first.live.max_session, description,
                              attached.customer_managed, attached.boundary, path))
        folded: dict[str, list[str]] = {}
        for ref in self.policy_files:
            folded.setdefault(ref.lower(), []).append(ref)
        clash = next((refs for refs in folded.values() if len(refs) > 1), None)
        if clash:
            raise AwsrolesError(f"policy files {' and '.join(sorted(clash))} differ only in case; they cannot be "
                                "written side by side on every file system")
        return roles

    def mfa_enrollment(self) -> str:
        """``self`` when the live self-service policy lets users create their own MFA device; else
        the --from file's setting; else ``admin`` (the default)."""
        self_service = self.ops.policies.get(SELF_SERVICE_POLICY) if self.ops else None
        if self_service is not None:
            for statement in statements_of(self_service.document):
                actions = statement.get("Action", [])
                actions = actions if isinstance(actions, list) else [actions]
                if statement.get("Effect") == "Allow" and "iam:CreateVirtualMFADevice" in actions:
                    return MFA_ENROLLMENT_SELF
            return MFA_ENROLLMENT_ADMIN
        return self.previous.mfa_enrollment if self.previous else MFA_ENROLLMENT_ADMIN

    # users and teams -----------------------------------------------------------------------

    def users(self) -> list[User]:
        """Ops users at the path; ``console`` from the --from file (IAM does not say it cheaply)."""
        previous = {u.name: u for u in self.previous.users} if self.previous else {}
        users: list[User] = []
        at_path = [g for n, g in (self.ops.groups if self.ops else {}).items()
                   if g.path == self.settings.path and n.startswith(TEAM_GROUP_PREFIX)]
        in_teams = {m for g in [*at_path, *self.team_groups().values()] for m in g.members}
        for name, live_user in sorted((self.ops.users if self.ops else {}).items()):
            if live_user.path != self.settings.path and (not self.settings.adopts("users") or name not in in_teams):
                continue  # listed as not imported (awsroles.importer.outside), with why
            if "," in name:
                self.warnings.append(f"user {name}: a name with ',' cannot be written in an org file; skipped")
                continue
            email = live_user.tags.get("email", "")
            if email and (not _EMAIL.fullmatch(email) or len(email) > limits.TAG_VALUE_MAX or ini_unsafe(email)):
                self.warnings.append(f"user {name}: email tag {email!r} is not an e-mail address the org file "
                                     "accepts; skipped (apply would remove it)")
                email = ""
            tags = []
            for key, value in sorted(live_user.tags.items()):
                if key in _OWN_TAGS or key.lower().startswith("aws:"):
                    continue
                if _tag_writable(key, value):
                    tags.append((key, value))
                else:
                    self.warnings.append(f"user {name}: tag {key}={value!r} cannot be written in an org file; "
                                         "skipped (apply would remove it)")
            self.warnings.extend(user_findings(live_user, self.describe_policy))
            before = previous.get(name)
            path = live_user.path if live_user.path != self.settings.path else ""
            users.append(User(name, email, tuple(tags), before.console if before else False, path=path,
                              boundary=self.user_boundary(live_user)))
        return users

    @property
    def default_user_boundary(self) -> str:
        """``[org] user_boundary`` of the --from file (import never makes one up: it writes each user's)."""
        return self.previous.user_boundary if self.previous is not None else ""

    def user_boundary(self, user: LiveUser) -> str:
        """A person's permissions boundary as ``[user] boundary`` ("" when none, or when it is the
        --from file's ``[org] user_boundary``); one the org file cannot say is a warning."""
        ops_id = self.ops.account.id if self.ops else ""
        found = role_policies((), user.boundary, ops_id)
        self.warnings.extend(f"user {user.name}: {skipped}" for skipped in found.skipped)
        default = self.default_user_boundary
        if default and not user.boundary:
            self.warnings.append(f"user {user.name} has no permissions boundary; [org] user_boundary (from the --from "
                                 f"file) gives it {default} at the next apply")
        return "" if found.boundary == default else found.boundary

    def describe_policy(self, arn: str) -> str:
        """What an attached policy allows, in one line (``AWS managed`` when its document was not read)."""
        document = self.ops.documents.get(arn) if self.ops else None
        return "AWS managed" if document is None else describe_document(document)

    def role_wanted(self, account: Account, role: LiveRole) -> bool:
        """Roles at the path; outside it (``--adopt roles=in-place``) only those some ops group at the path
        or adopted as a team allows to assume by their exact ARN: a people's role, not an application's;
        never the bootstrap role or AWS's own."""
        if role.path == self.settings.path:
            return True
        if not self.settings.adopts("roles") or role.name == self.settings.bootstrap_role \
                or role.path.startswith(AWS_PATHS) or self.ops is None:
            return False
        arn = f"arn:{partition_of(self.settings.region)}:iam::{account.id}:role{role.path}{role.name}"
        groups = [g for g in self.ops.groups.values() if g.path == self.settings.path] + \
            list(self.team_groups().values())
        return any(arn in assumable(g) for g in groups)

    # all -----------------------------------------------------------------------------------

    def people(self) -> tuple[list[Role], list[User], list[Team], tuple[bool, int]]:
        """Roles, users, teams and the MFA settings: from IAM, or from the Identity Center instance."""
        if self.identity_center is not None:
            found = import_identity_center(self.identity_center.live, self.accounts.accounts, self.settings.name,
                                           previous=self.previous)
            self.warnings.extend(found.warnings)
            self.policy_files.update(found.policy_files)
            return list(found.roles), list(found.users), list(found.teams), \
                self.settings.mfa or (True, DEFAULT_MFA_MAX_AGE)
        self.read_roles()
        roles = self.roles()
        if self.previous is not None:  # a replacement under way (``replaces``/``retires``) is the file's, not IAM's
            replacing = {r.name: r for r in self.previous.roles if r.replaces}
            roles = [replace(r, replaces=replacing[r.name].replaces, retire=replacing[r.name].retire)
                     if r.name in replacing else r for r in roles]
        users = self.users()
        teams = self.teams(users)
        return roles, users, teams, infer_mfa(self.mfa_seen, self.ops, self.settings, self.warnings)

    def identity(self, management: str) -> dict[str, Any]:
        """The [org] identity keys: Identity Center's account when it is not the management account,
        its region when it is not the org's."""
        ic = self.identity_center
        if ic is None:
            return {}
        return {"identity": (IDENTITY_CENTER,),
                "identity_center_account": "" if ic.account == management else ic.account,
                "identity_center_region": "" if ic.region == self.settings.region else ic.region}

    def build(self) -> Imported:
        roles, users, teams, (mfa_required, mfa_max_age) = self.people()
        s = self.settings
        adopted = {(self.accounts.ops, "user", u.name) for u in users if u.path} | \
            {(self.accounts.ops, "group", t.group.rsplit("/", 1)[-1]) for t in teams if t.group} | \
            {(a.name, "role", r.name) for r in roles if r.path for a in self.accounts.accounts
             if any(seen.account_id == a.id for seen in self.seen.get(r.name, ()))}
        outside = not_imported(self.accounts, self.live, path=s.path, bootstrap_role=s.bootstrap_role,
                               partition=partition_of(s.region), adopted=adopted,
                               replaced={old: (path, new) for r in roles if r.replaces
                                         for path, old, new in [(*split_iam_path(r.replaces), r.name)]})
        self.warnings.extend(outside_warnings(outside, self.settings.path))
        granted = {g for t in teams for g in t.grants}
        for name, instances in sorted(self.seen.items()):
            self.warnings.extend(
                f"role {name} in {instance.environment}: no team is granted it there, so the org file does not "
                "create it there (`plan --prune` would delete it)"
                for instance in instances if Grant(instance.environment, name) not in granted)
        if self.previous is not None:
            declared = [("role", {r.name for r in self.previous.roles}, {r.name for r in roles}),
                        ("team", {t.name for t in self.previous.teams}, {t.name for t in teams}),
                        ("user", {u.name for u in self.previous.users}, {u.name for u in users})]
            dropped = [f"{kind} {name}" for kind, old, new in declared for name in sorted(old - new)]
            if dropped:
                held = ("the Identity Center instance does not hold" if self.identity_center is not None
                        else f"IAM does not hold at {self.settings.path}")
                self.warnings.append(f"the --from file declares {', '.join(dropped)}, which {held}: left out")
        if self.previous is not None:  # what the --from file is moving, and apply has not moved yet
            users, teams = still_moving(self.previous, users, teams)
        if s.moves:
            taken = {name for state in self.live.values() for name in [*state.roles, *state.unmanaged.get("role", {})]}
            roles, users, teams = to_org_path(roles, users, teams, path=s.path, org_name=s.name, kinds=s.moves,
                                              taken_roles=taken)
        s, accounts = self.settings, self.accounts
        organization = accounts.organization
        part = ImportedOrganization(accounts.accounts)
        if organization is not None:
            part = import_organization(accounts, organization, s, others=self.other_scps,
                                       role_files=self.policy_files)
            self.warnings.extend(part.warnings)
            self.policy_files.update(part.policy_files)
        budgets, budget_warnings = import_budgets(accounts, self.live, s.name)
        self.warnings.extend(budget_warnings)
        org = Org(
            name=s.name, region=s.region, ops_account=accounts.ops, billing_account=accounts.billing,
            mfa_required=mfa_required, mfa_max_age=mfa_max_age, session_duration=s.session_duration,
            bootstrap_role=s.bootstrap_role, path=s.path, mfa_enrollment=self.mfa_enrollment(),
            user_boundary=self.default_user_boundary if self.identity_center is None else "",
            accounts=tuple(replace(a, description=ini_text(a.description)) for a in part.accounts),
            roles=tuple(roles), teams=tuple(teams), users=tuple(users), budgets=tuple(budgets),
            management_account=part.management_account, ous=part.ous, scp_targets=part.scp_targets,
            tags=part.tags, contacts=part.contacts,
            **self.identity(part.management_account or accounts.billing),
        )
        names = {a.name for a in accounts.to_read} | {accounts.billing}
        read = {a.name: self.live[a.name] for a in accounts.accounts if a.name in names and a.name in self.live}
        # What an import declares becomes awsroles' with `apply --adopt`: plan as that will.
        options = PlanOptions(adopt=True)
        plan = make_plan(org, desired_state(org), read, options=options)
        if self.identity_center is not None:
            plan = plan.merged(_identity_center_plan(org, self.identity_center, options))
        if organization is not None and org.uses_accounts:
            plan = _organization_plan(org, organization, options).merged(plan)
        header = _header(accounts, [org.account(n) for n in read], s, self.previous is not None,
                         self.identity_center)
        text = render_org_file(org, s.policy_dir, header, part.account_email)
        return Imported(org, text, s.policy_dir, dict(self.policy_files), tuple(read), tuple(self.warnings), plan,
                        read, tuple(outside))


def _tag_writable(key: str, value: str) -> bool:
    """A user tag the org file's ``tags = Key=Value, ...`` can hold exactly."""
    pair = f"{key}={value}"
    return (bool(key) and "=" not in key and bool(limits.TAG_TEXT.fullmatch(key))
            and bool(limits.TAG_TEXT.fullmatch(value)) and key == key.strip() and value == value.strip()
            and "\n" not in pair and unicodedata.normalize("NFC", pair) == pair)


def _identity_center_plan(org: Org, read: InstanceRead, options: PlanOptions) -> Plan:
    """What ``plan`` would do in the Identity Center instance, as :meth:`awsroles.sync.engine.Engine.plan`
    shows it (leftovers kept, not deleted)."""
    existing = org.as_existing()
    planned = plan_identity_center(existing, desired_identity_center(existing), read.live, options)
    return Plan(tuple(planned.changes), tuple(planned.deletes), tuple(planned.conflicts), {}, tuple(planned.unowned),
                tuple(planned.foreign), options)


def _organization_plan(org: Org, organization: LiveOrganization, options: PlanOptions) -> Plan:
    """What ``plan`` would do in the management account, as :meth:`awsroles.sync.engine.Engine.plan` shows it."""
    planned = plan_organization(org, organization, options)
    return Plan(tuple(planned.changes), tuple(planned.deletes), tuple(planned.conflicts), {}, tuple(planned.unowned),
                (), options, retained=tuple(planned.retained))


def build_import(accounts: Accounts, live: Mapping[str, LiveAccount], settings: OrgSettings, *,
                 previous: Org | None = None, other_scps: Sequence[str] = (),
                 identity_center: InstanceRead | None = None) -> Imported:
    """Pure: the live state of ``accounts.to_read`` -> the org file. Raises RoleConflictError.

    ``previous`` (the ``--from`` org) supplies what IAM does not hold: team descriptions and
    who signs in to the console. With accounts from AWS Organizations (``accounts.organization``),
    the accounts' e-mail addresses and OUs, and awsroles' SCPs, are imported too
    (:mod:`awsroles.importer.organization`); ``other_scps`` names the SCPs that are not awsroles'.
    With ``identity_center`` (an instance as read), roles, teams and users come from it instead of IAM
    (:mod:`awsroles.importer.identity_center`) and the org says ``identity = identity-center``.
    """
    settings.check()
    return _Build(accounts, live, settings, previous, other_scps, identity_center).build()


def _header(accounts: Accounts, read: Sequence[Account], settings: OrgSettings, from_file: bool,
            identity_center: InstanceRead | None = None) -> list[str]:
    if identity_center is not None:
        text = (f"Written by `awsroles import` from the IAM Identity Center instance of account "
                f"{identity_center.account} ({identity_center.account_id}) in {identity_center.region} (accounts "
                f"from {accounts.source}): permission sets as roles, groups as teams, account assignments as grants."
                " Check with `awsroles validate` and `awsroles plan`.")
        return textwrap.wrap(text, width=LIST_WIDTH - 2, break_long_words=False, break_on_hyphens=False)
    where = ", ".join(f"{a.name} ({a.id})" for a in read)
    text = (f"Written by `awsroles import` from the live IAM at path {settings.path} of the accounts "
            f"{where} (accounts from {accounts.source}).")
    if from_file:
        text += " Team descriptions and console settings come from that file, since IAM does not hold them."
    else:
        text += (" IAM holds no team descriptions and does not say who signs in to the console "
                 "(console = yes): add them here.")
    text += " Check with `awsroles validate` and `awsroles plan`."
    return textwrap.wrap(text, width=LIST_WIDTH - 2, break_long_words=False, break_on_hyphens=False)
