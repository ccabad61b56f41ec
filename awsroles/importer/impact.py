"""What the first apply after an import changes for people (pure: the import's findings in, plain-language
findings out).

An import plans the written org file against the IAM it has just read (:attr:`Imported.plan`). Those
changes are listed by resource; this module says what they mean for the people who use them (the
findings about assuming roles are :mod:`awsroles.importer.impact_trust`'s):

- ``source-identity``: roles whose trust policy is replaced by awsroles' (:func:`awsroles.iam.policies.trust_policy`),
  which did not require ``sts:SourceIdentity`` to be the caller's IAM user name: plain ``aws sts assume-role``,
  ``role_arn`` profiles and the console's Switch Role are refused after apply;
- ``role-mfa``: roles that did not require MFA (or as recent an MFA sign-in) and will;
- ``assume-mfa``: each person who could assume roles the org file grants them without MFA (their
  groups' policy and the role's trust policy asked for none, or only ``IfExists``, which long-term
  access keys pass) and after apply needs an MFA session for every role, naming their access keys
  (:mod:`awsroles.importer.assume_mfa`);
- ``trust-narrowed``: roles that trusted any principal of the ops account and will trust only IAM users
  under the org's path;
- ``mfa``: each user who joins ``awsroles-users`` when the org requires MFA: its self-service policy denies
  everything without MFA, access-key scripts included (naming the person's MFA devices, active keys and
  console password when they were read: :class:`UserCredentials`);
- ``moved``: a user or a team's group the first apply moves to the org's path (``move_from``): the same
  user, keys and groups, under a new ARN that policies naming the old one do not follow;
- ``replaced``: a hand-made role a new role replaces (``replaces``): kept, and still granted, until
  ``retires``; people switch to the new role's name;
- ``grant-removed`` / ``grant-moved``: a team whose roles to assume change because its policies are
  replaced by ``awsroles-assume-roles`` (a grant kept in a policy of another name is lost unless the
  org file declares it);
- ``policy-removed`` / ``boundary-removed``: a user's or role's own policies and permissions boundaries
  that apply deletes or detaches;
- ``boundary-set``: a user or role given a permissions boundary it does not have, or another one;
- ``kept``: what stays as it is: boundaries the org file declares (a role's ``boundary``, a user's
  ``boundary`` or ``[org] user_boundary``), leftovers ``plan --prune`` would delete, memberships in
  groups awsroles does not manage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awsroles.importer.assume_mfa import assume_without_mfa
from awsroles.importer.documents import allows_assume_role, per_role, statements_of
from awsroles.importer.impact_model import (
    KINDS,
    Impact,
    UserCredentials,
    calls,
    document_of,
    environment_of,
    granted_people,
)
from awsroles.importer.impact_trust import assume_mfa_impacts, trust_impacts
from awsroles.org.marks import EVERYONE_GROUP, TEAM_GROUP_PREFIX, TEAM_POLICY_NAME
from awsroles.org.model import Org
from awsroles.sync.plan import Plan
from awsroles.sync.state import Document, LiveAccount

# The report's items live with what its parts share (impact_model); the report is built here.
__all__ = ["KINDS", "LABELS", "Impact", "UserCredentials", "impact", "impact_lines", "joining_everyone",
           "people_to_read"]


def joining_everyone(plan: Plan) -> tuple[str, ...]:
    """The existing users the plan puts in ``awsroles-users`` (whose credentials the report needs)."""
    return tuple(sorted({params["UserName"] for change in plan.changes if change.kind == "user"
                         and change.action != "create" for call, params in change.ops
                         if call == "add_user_to_group" and params.get("GroupName") == EVERYONE_GROUP}))


def impact(org: Org, plan: Plan, live: Mapping[str, LiveAccount],
           credentials: Mapping[str, UserCredentials] | None = None) -> tuple[Impact, ...]:
    """Every behaviour the first apply of ``plan`` changes for people, in the order of :data:`KINDS`.

    ``live`` is the state the plan was made against (account name -> state); ``credentials`` the
    credentials of the users in :func:`joining_everyone` (None: not read, and the report says so).
    """
    found = [*trust_impacts(org, plan, live), *assume_mfa_impacts(org, live, credentials),
             *_everyone(org, plan, credentials), *_moved(org, plan), *_replaced(org, live), *_teams(org, plan, live),
             *_own_policies(org, plan, live), *_kept(org, plan)]
    return tuple(sorted(found, key=lambda i: KINDS.index(i.kind)))


def people_to_read(org: Org, plan: Plan, live: Mapping[str, LiveAccount]) -> tuple[str, ...]:
    """The users whose credentials the report names: those who join ``awsroles-users``, and those
    who could assume roles without MFA."""
    return tuple(sorted({*joining_everyone(plan), *(p.user for p in assume_without_mfa(org, live))}))


# -- awsroles-users: MFA for everything ----------------------------------------------------------


def _everyone(org: Org, plan: Plan, credentials: Mapping[str, UserCredentials] | None) -> list[Impact]:
    if not org.mfa_required or org.uses_identity_center:
        return []
    out = []
    for name in joining_everyone(plan):
        enrol = ("they enrol a device themselves (`awsroles setup`)" if org.self_mfa_enrollment
                 else f"an admin enrols one (`awsroles users mfa enroll {name}`)")
        found = credentials.get(name) if credentials is not None else None
        base = (f"Joins {EVERYONE_GROUP}, whose policy denies every request made without MFA (all but setting a "
                "password, reading their MFA devices and getting an MFA session)")
        if found is None:
            change = f"{base}; their MFA devices and access keys were not read."
            todo = "Check that they have an MFA device and use MFA sessions in scripts."
        else:
            parts = [base]
            if not found.mfa_devices:
                parts.append(f"has no MFA device, so can do nothing else until {enrol}")
            else:
                parts.append(f"has an MFA device ({', '.join(found.mfa_devices)})")
            if found.access_keys:
                parts.append(f"scripts using access key {', '.join(found.access_keys)} alone are denied")
            if found.console and not found.mfa_devices:
                parts.append("can sign in to the console but do nothing there")
            change = "; ".join(parts) + "."
            todo = ("Scripts get an MFA session first (`awsroles exec ENV --role ROLE -- CMD`, or "
                    "`aws sts get-session-token --serial-number ... --token-code ...`)."
                    if found.access_keys else "")
            if not found.mfa_devices:
                todo = f"Before apply, {enrol}. " + todo
        out.append(Impact("mfa", f"user {name}", (name,), change, todo.strip()))
    return out


# -- teams: grants that move or go -----------------------------------------------------------------


def _assumable(document: Document) -> set[str]:
    """Role ARNs a policy lets assume (as written: wildcards stay)."""
    out: set[str] = set()
    for statement in statements_of(document):
        if allows_assume_role(statement):
            out.update(per_role(statement)[1])  # awsroles' per-role form: the role in each account it lists
    return out


def _grant_of(org: Org, arn: str) -> tuple[str, str] | None:
    """(environment, role) of a role ARN at the org's path in one of its environment accounts."""
    for account in org.accounts:
        prefix = f"arn:{org.partition}:iam::{account.id}:role{org.path}"
        role = arn[len(prefix):]
        if account.environment and arn.startswith(prefix) and role and "/" not in role and "*" not in role:
            return account.environment, role
    return None


def _teams(org: Org, plan: Plan, live: Mapping[str, LiveAccount]) -> list[Impact]:
    ops = live.get(org.ops_account)
    out: list[Impact] = []
    for change in plan.changes:
        if change.account != org.ops_account or change.kind != "group" or change.action not in ("update", "adopt"):
            continue
        group = ops.groups.get(change.name) if ops is not None else None
        team = next((t for t in org.teams if org.team_group(t.name)[1] == change.name), None)
        if group is None or (team is None and not change.name.startswith(TEAM_GROUP_PREFIX)):
            continue
        members = tuple(sorted(team.members if team is not None else group.members))
        deleted = {p["PolicyName"] for p in calls(change, "delete_group_policy")}
        detached = {p["PolicyArn"] for p in calls(change, "detach_group_policy")}
        put = {p["PolicyName"]: document_of(p.get("PolicyDocument")) for p in calls(change, "put_group_policy")}
        before: dict[str, set[str]] = {}  # role ARN -> the policies that allow it now
        for name, document in group.inline.items():
            for arn in _assumable(document):
                before.setdefault(arn, set()).add(name)
        for arn in group.managed:
            for role in _assumable(ops.documents.get(arn, {}) if ops is not None else {}):
                before.setdefault(role, set()).add(arn.rsplit("/", 1)[-1])
        replaced = deleted | set(put) | {a.rsplit("/", 1)[-1] for a in detached}  # what allows it now goes
        after = set().union(*(_assumable(d) for d in put.values())) if put else set()
        after |= {a for a, names in before.items() if names - replaced}
        lost = sorted(set(before) - after)
        moved = sorted(a for a in set(before) & after
                       if before[a] - {TEAM_POLICY_NAME} and before[a] & (deleted | {d.rsplit("/", 1)[-1]
                                                                                     for d in detached}))
        team_name = team.name if team is not None else change.name.removeprefix(TEAM_GROUP_PREFIX)
        subject = f"team {team_name} ({change.name})"
        if lost:
            where = ", ".join(sorted({n for a in lost for n in before[a]}))
            grants = sorted({g for a in lost if (g := _grant_of(org, a))})
            keep = (f"add `{'`, `'.join(f'{e} = {r}' for e, r in grants)}`" if grants
                    else "add `ENVIRONMENT = ROLE`")
            out.append(Impact(
                "grant-removed", subject, members,
                f"Its members can no longer assume {', '.join(lost)}: what allowed it ({where}) is replaced by "
                f"{TEAM_POLICY_NAME}, which holds only the grants of the org file.",
                f"To keep it, {keep} to [team {team_name}] before apply (and the "
                "role, if the org file lacks it)."))
        replaced = {f":role{path}{old}" for old, (path, _new, retire) in org.replaced_roles().items() if not retire}
        kept_as_used = [a for a in moved if any(a.endswith(r) for r in replaced)]
        moved = [a for a in moved if a not in kept_as_used]
        for arns, how in ((moved, "with awsroles' MFA and source identity conditions"),
                          (kept_as_used, "as they were used (no source identity; MFA as the org requires), until "
                                         "the roles replacing them retire them")):
            if not arns:
                continue
            where = ", ".join(sorted({n for a in arns for n in before[a] - {TEAM_POLICY_NAME}}))
            out.append(Impact(
                "grant-moved", subject, members,
                f"Its grants on {', '.join(arns)} move from {where} to {TEAM_POLICY_NAME}, {how}; members keep "
                "them.", ""))
        gone = sorted((deleted - {TEAM_POLICY_NAME}) | {a.rsplit("/", 1)[-1] for a in detached})
        other = [n for n in gone if not any(n in names for names in before.values())]
        if other:
            out.append(Impact(
                "policy-removed", subject, members,
                f"Its policies {', '.join(other)} are removed: members lose what they allowed.",
                "Declare what they need as a role, and grant it to the team."))
    return out


# -- brought to the org's path ------------------------------------------------------------------------


def _moved(org: Org, plan: Plan) -> list[Impact]:
    out: list[Impact] = []
    for change in plan.changes:
        for call, params in change.ops:
            if call not in ("update_user", "update_group") or "NewPath" not in params:
                continue
            name = params.get("UserName") or params.get("GroupName", "")
            kind = "user" if call == "update_user" else "group"
            before = next((d.split(" ")[2] for d in change.details if d.startswith("move from ")), "")
            old = f"arn:{org.partition}:iam::{change.account_id}:{kind}{before}{name}"
            new = f"arn:{org.partition}:iam::{change.account_id}:{kind}{params['NewPath']}{name}"
            if kind == "user":
                people: tuple[str, ...] = (name,)
                kept = "the same user, with its password, access keys, MFA device and groups"
            else:
                team = next((t for t in org.teams if org.team_group(t.name)[1] == name), None)
                people = tuple(sorted(team.members)) if team is not None else ()
                kept = "the same group, with its members"
            out.append(Impact(
                "moved", f"{kind} {name}", people,
                f"Moves from {before or '?'} to {params['NewPath']}: {kept}; its ARN becomes {new}.",
                f"Update what names {old} (resource policies, trust policies in other accounts, scripts): IAM "
                "does not rewrite them."))
    return out


def _replaced(org: Org, live: Mapping[str, LiveAccount]) -> list[Impact]:
    granted = granted_people(org)
    out: list[Impact] = []
    for old, (path, role, retire) in sorted(org.replaced_roles().items()):
        environments = {a.name: a.environment for a in org.accounts if a.environment}
        where = sorted(environments[name] for name, state in live.items()
                       if name in environments and (found := state.roles.get(old)) is not None and found.path == path)
        if not where:
            continue
        people = tuple(sorted(set().union(*(granted.get((e, role), set()) for e in where))))
        first = where[0]
        if retire:
            out.append(Impact(
                "replaced", f"role {old} in {', '.join(where)}", people,
                f"Retired: apply deletes it (role {role} replaces it); sessions of it end.",
                f"Use {role}: `awsroles login {first} --role {role}`."))
            continue
        out.append(Impact(
            "replaced", f"role {old} in {', '.join(where)}", people,
            f"Replaced by role {role} (made at {org.path} by apply, with the same policies and awsroles' trust "
            f"policy). {old} stays as it is, and the teams keep it, until the org file says `retires = "
            f"{path}{old}`.",
            f"Switch to the new role: `awsroles login {first} --role {role}` (or profiles from `awsroles profiles "
            f"sync`); once nobody uses {old}, change `replaces` to `retires` in [role {role}] and apply."))
    return out


# -- users' and roles' own policies and boundaries -------------------------------------------------


def _own_policies(org: Org, plan: Plan, live: Mapping[str, LiveAccount]) -> list[Impact]:
    granted = granted_people(org)
    out: list[Impact] = []
    for change in plan.changes:
        if change.kind not in ("user", "role") or change.action not in ("update", "adopt"):
            continue
        people: tuple[str, ...]
        if change.kind == "user":
            subject, people = f"user {change.name}", (change.name,)
        else:
            environment = environment_of(org, change.account)
            subject = f"role {change.name} in {environment}"
            people = tuple(sorted(granted.get((environment, change.name), set())))
        removed = [p["PolicyName"] for p in calls(change, f"delete_{change.kind}_policy")]
        removed += [p["PolicyArn"] for p in calls(change, f"detach_{change.kind}_policy")]
        if removed:
            who = "they lose" if change.kind == "user" else "sessions of the role lose"
            out.append(Impact("policy-removed", subject, people,
                              f"Its own policies {', '.join(removed)} are removed: {who} what they allowed.",
                              "Declare them in the org file (roles: managed, customer_managed, policies) to keep "
                              "them." if change.kind == "role" else
                              "Grant what they need through a team."))
        state = live.get(change.account)
        item: Any = None
        if state is not None:
            item = (state.users if change.kind == "user" else state.roles).get(change.name)
        before = item.boundary if item is not None and item.boundary else ""
        if calls(change, f"delete_{change.kind}_permissions_boundary"):
            out.append(Impact("boundary-removed", subject, people,
                              f"Its permissions boundary {before or '(as read)'} is removed: its policies are no "
                              "longer limited by it.",
                              f"Declare it (`boundary = ...` in its [{change.kind}] section) in the org file to "
                              "keep it."))
        for params in calls(change, f"put_{change.kind}_permissions_boundary"):
            after = params.get("PermissionsBoundary", "")
            whose = "they" if change.kind == "user" else "sessions of the role"
            out.append(Impact("boundary-set", subject, people,
                              f"Its permissions boundary becomes {after}" + (f" (was {before})" if before else "")
                              + f": {whose} can do only what both its policies and {after} allow.",
                              "Check that the boundary allows what they use (a user's: sts:AssumeRole and "
                              "sts:SetSourceIdentity on their roles, and managing their own password, MFA "
                              "device and keys)." if change.kind == "user" else
                              "Check that the boundary allows what the role's sessions use."))
    return out


# -- what stays ---------------------------------------------------------------------------------------


def _kept(org: Org, plan: Plan) -> list[Impact]:
    granted = granted_people(org)
    out = [Impact("kept", f"role {role.name}",
                  tuple(sorted(set().union(*(p for (_, r), p in granted.items() if r == role.name)))),
                  f"Its permissions boundary {role.boundary} stays (declared in the org file).")
           for role in org.roles if role.boundary]
    out += [Impact("kept", f"user {user.name}", (user.name,),
                   f"Its permissions boundary {org.user_boundary_of(user.name)} stays (declared in the org file"
                   + ("" if user.boundary else ", [org] user_boundary") + ").")
            for user in org.users if org.user_boundary_of(user.name) and not _sets_boundary(plan, user.name)]
    out += [Impact("kept", f"{change.kind} {change.name} in {change.account}", (),
                   "Not in the org file: it stays as it is (`awsroles plan --prune` would delete it).")
            for change in plan.kept]
    out += [Impact("kept", f"user {finding.name}", (finding.name,),
                   f"Stays {finding.reason}.".replace("Stays member", "Stays a member"))
            for finding in plan.foreign]
    return out


def _sets_boundary(plan: Plan, user: str) -> bool:
    """Whether the plan creates ``user`` or changes their boundary (then it is no boundary kept)."""
    return any(change.kind == "user" and change.name == user and (
        change.action == "create" or calls(change, "put_user_permissions_boundary")) for change in plan.changes)


# -- the text form -----------------------------------------------------------------------------------

LABELS = {"source-identity": "source identity required", "role-mfa": "MFA required to assume",
          "assume-mfa": "MFA required to assume roles",
          "trust-narrowed": "trust narrowed", "mfa": "MFA required for everything", "moved": "moved to the path",
          "replaced": "role replaced", "grant-removed": "grant removed",
          "grant-moved": "grant moved", "policy-removed": "policy removed", "boundary-removed": "boundary removed",
          "boundary-set": "boundary set", "kept": "kept"}


def impact_lines(report: tuple[Impact, ...]) -> list[str]:
    """The report for people to read: a heading, then per finding its label, subject and people, what
    changes, and what to do."""
    changing = [i for i in report if i.kind != "kept"]
    if not report:
        return ["Nothing changes for people at the first apply."]
    people = sorted({p for i in changing for p in i.people})
    lines = [f"What the first apply changes for people ({len(changing)} change(s)"
             + (f"; affects {', '.join(people)}" if people else "") + "):"]
    if not changing:
        lines = ["Nothing changes for people at the first apply; kept as it is:"]
    for item in report:
        who = f" ({', '.join(item.people)})" if item.people else ""
        lines.append(f"  {LABELS[item.kind]}: {item.subject}{who}")
        lines.append(f"    {item.change}")
        if item.todo:
            lines.append(f"    To do: {item.todo}")
    return lines
