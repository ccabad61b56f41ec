"""People: IAM users in the ops account. Create, disable and offboard them (listing: :mod:`.listing`).

The org file is the single source of truth for who exists and which team they are in (edited
through :mod:`awsroles.org.edit`); passwords, keys and MFA devices are managed live and never
written to it. This module never prints and never logs a secret.
"""

from __future__ import annotations

import secrets
import shlex
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from awsroles.aws import Aws
from awsroles.errors import AwsrolesError, PartlyDone, UsageError
from awsroles.errors import aws_error_code as _code
from awsroles.org.marks import EVERYONE_GROUP
from awsroles.org.model import Org
from awsroles.people.listing import has_login_profile, is_gone

ADMIN_POLICY_NAME = "AdministratorAccess"
PASSWORD_LENGTH = 24
# Symbols IAM accepts in passwords (the default policy's "non-alphanumeric" class).
PASSWORD_SYMBOLS = "!@#$%^&*()_+-=[]{}|"


# -- creating ----------------------------------------------------------------------------


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password with upper and lower case letters, digits and symbols (``secrets``)."""
    if length < 20:
        raise ValueError("passwords are at least 20 characters")
    classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS)
    alphabet = "".join(classes)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in cls for c in password) for cls in classes):
            return password


@dataclass(frozen=True)
class CreatedUser:
    name: str
    arn: str
    teams: tuple[str, ...]
    groups: tuple[str, ...]
    console: bool
    password: str | None = field(default=None, repr=False)  # shown once; never logged nor audited
    resumed: bool = False  # this run finished a create that had stopped part-way


def _iam_user_exists(iam: Any, name: str) -> bool:
    try:
        iam.get_user(UserName=name)
    except Exception as exc:
        if is_gone(exc):
            return False
        raise
    return True


def create_command(name: str, teams: Sequence[str], email: str | None, console: bool) -> str:
    """The ``awsroles users create`` command line that makes (or finishes making) this user."""
    words = ["awsroles", "users", "create", name, *(w for t in teams for w in ("--team", t))]
    if email:
        words += ["--email", email]
    if console:
        words.append("--console")
    return shlex.join(words)


def _where_user_is(iam: Any, name: str, account: str) -> list[str]:
    """What exists of ``name`` in ops, for a message about a create that stopped part-way; never
    raises (the reads may fail for the same reason the create did)."""
    try:
        if not _iam_user_exists(iam, name):
            return []
        groups = sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name).get("Groups", []))
        console = has_login_profile(iam, name)
    except Exception:
        return [f"IAM user {name} may exist in ops ({account}): reading it failed too"]
    found = [f"IAM user {name} exists in ops ({account})"
             + (f" in groups {', '.join(groups)}" if groups else ", in no group")]
    if console:
        found.append(f"{name} has a console password")
    return found


def create_user(
    org_path: Path,
    org: Org,
    aws: Aws,
    name: str,
    *,
    teams: Sequence[str],
    email: str | None = None,
    console: bool = False,
    password_factory: Callable[[], str] = generate_password,
) -> CreatedUser:
    """Add ``name`` to the org file, create exactly that IAM user (and memberships) in ops, and
    with ``console`` a temporary password that must be changed at first sign-in.

    Refuses (UsageError, nothing changed) a name IAM or STS cannot use, an unknown team, a user
    already in AWS but not in the file, a user already complete, or groups not created yet in ops
    (run ``awsroles apply`` first).

    Converges: when ``name`` is already in the org file with the same teams (and console choice)
    but not complete in AWS (an earlier run stopped part-way), this run finishes the job. When a
    step fails, :class:`PartlyDone` says what was done, what failed and the command that finishes.
    """
    from awsroles.errors import describe_aws_error
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit
    from awsroles.org.names import check_user_name
    from awsroles.sync.engine import Engine

    problem = check_user_name(name)
    if problem is not None:
        raise UsageError(f"{problem}; nothing changed")
    for team in teams:
        if team not in {t.name for t in org.teams}:
            raise UsageError(f"unknown team '{team}'; nothing changed")
    entry = next((u for u in org.users if u.name == name), None)
    if entry is not None:
        in_file = sorted(t.name for t in org.teams_of(name))
        if (set(in_file) != set(teams) or entry.console != console
                or (email is not None and email != entry.email)):
            raise UsageError(f"user '{name}' already exists in the org file (teams: {', '.join(in_file) or '-'}"
                             f"{', console' if entry.console else ''}); nothing changed")
    iam = Engine(org, aws).iam(org.ops)
    in_aws = _iam_user_exists(iam, name)
    if entry is None and in_aws:
        raise UsageError(f"IAM user '{name}' already exists in the ops account ({org.ops.id}); nothing changed")
    for group in (EVERYONE_GROUP, *(org.team_group(t)[1] for t in teams)):
        try:
            iam.get_group(GroupName=group, MaxItems=1)
        except Exception as exc:
            if is_gone(exc):
                raise UsageError(f"group '{group}' does not exist in the ops account yet: run `awsroles apply` "
                                 "first; nothing changed") from None
            raise

    what = f"users create {name}"
    finish = (f"fix the cause, then re-run `{create_command(name, teams, email, console)}`: it finishes what "
              f"is missing (or undo it all: `awsroles users offboard {name}`)")
    done: list[str] = []

    def stopped(failed: str, exc: Exception, not_done: Sequence[str]) -> PartlyDone:
        return PartlyDone(what, f"{failed}: {describe_aws_error(exc)}", not_done=not_done, finish=finish, cause=exc,
                          done=[*done, *_where_user_is(iam, name, org.ops.id)])

    new_org = org
    if entry is None:
        new_org = orgedit.add_user(org_path, name, teams=teams, email=email, console=console, checks=ORG_CHECKS)
        done.append(f"{name} added to the org file {org_path}")
    rest = [f"IAM user {name} in groups {', '.join((EVERYONE_GROUP, *(org.team_group(t)[1] for t in teams)))}"]
    if console:
        rest.append("the console password")
    try:
        engine = Engine(new_org, aws)
        plan = engine.plan()
        mine = tuple(c for c in plan.changes
                     if c.kind == "user" and c.name == name and c.account == new_org.ops_account)
        needs_password = console and not has_login_profile(iam, name)
    except Exception as exc:
        raise stopped("reading AWS failed", exc, rest) from exc
    blocked = [c.reason for c in plan.conflicts if (c.account, c.kind, c.name) == (new_org.ops_account, "user", name)]
    if blocked:  # e.g. a permissions boundary ([org] user_boundary) that is not in the ops account
        raise PartlyDone(what, f"the IAM user cannot be made: {'; '.join(blocked)}",
                         done=[*done, *_where_user_is(iam, name, org.ops.id)], not_done=rest, finish=finish)
    if entry is not None and in_aws and not mine and not needs_password:
        raise UsageError(f"user '{name}' already exists, in the org file and in the ops account ({org.ops.id}); "
                         "nothing changed")
    if mine:
        result = engine.apply(replace(plan, changes=mine, kept=(), conflicts=()))
        if not result.ok:
            failed = "; ".join(s.error for s in result.steps if s.error)
            raise PartlyDone(what, f"creating the IAM user failed: {failed}",
                             done=[*done, *_where_user_is(iam, name, org.ops.id)], not_done=rest, finish=finish)
    try:
        arn = str(iam.get_user(UserName=name)["User"]["Arn"])
        groups = tuple(sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name).get("Groups", [])))
    except Exception as exc:
        raise stopped("reading the new user failed", exc, rest[1:]) from exc
    password = None
    if needs_password:
        password = password_factory()
        try:
            iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=True)
        except Exception as exc:
            if _code(exc) != "EntityAlreadyExists":  # set meanwhile: never show a password that is not theirs
                raise stopped("CreateLoginProfile failed", exc,
                              [f"the console password ({name} cannot sign in to the console yet)"]) from exc
            password = None
    return CreatedUser(name, arn, tuple(teams), groups, console, password, resumed=entry is not None)


# -- disabling and offboarding -------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One IAM call of an offboarding or a disabling: ``call(**params)`` on the ops IAM client."""

    description: str
    call: str
    params: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"step": self.description, "call": self.call, "params": dict(self.params)}


def require_in_aws(iam: Any, name: str) -> None:
    if not _iam_user_exists(iam, name):
        raise UsageError(f"unknown user '{name}': no such IAM user in the ops account")


def _service_credentials(iam: Any, name: str) -> list[Mapping[str, Any]]:
    """The one place that tolerates an IAM without service-specific credentials (moto: not
    implemented): there, nobody can have any, so none is the right answer."""
    try:
        return list(iam.list_service_specific_credentials(UserName=name).get("ServiceSpecificCredentials", []))
    except NotImplementedError:
        return []
    except Exception as exc:
        if _code(exc) in ("InvalidAction", "NotImplemented", "UnknownOperationException", "NotImplementedError"):
            return []
        raise


def _paginate(iam: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in iam.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def offboard_steps(org: Org, iam: Any, name: str) -> list[Step]:
    """Every IAM call that removes ``name`` from ops, in an order IAM accepts; [] when the user
    is only in the org file. UsageError for a user neither knows, or one awsroles does not manage."""
    try:
        user = iam.get_user(UserName=name)["User"]
    except Exception as exc:
        if not is_gone(exc):
            raise
        if any(u.name == name for u in org.users):
            return []
        raise UsageError(f"unknown user '{name}': not in the org file nor in the ops account") from None
    if user["Path"] != org.user_path(name) and not any(u.name == name for u in org.users):
        raise UsageError(f"user '{name}' ({user['Path']}) is not managed by awsroles; nothing changed")
    u = {"UserName": name}
    steps: list[Step] = []
    if has_login_profile(iam, name):
        steps.append(Step("delete console password", "delete_login_profile", u))
    for key in _paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
        steps.append(Step(f"delete access key {key['AccessKeyId']}", "delete_access_key",
                          {**u, "AccessKeyId": key["AccessKeyId"]}))
    for device in _paginate(iam, "list_mfa_devices", "MFADevices", UserName=name):
        serial = device["SerialNumber"]
        steps.append(Step(f"deactivate MFA device {serial}", "deactivate_mfa_device", {**u, "SerialNumber": serial}))
        if ":mfa/" in serial:  # virtual devices are IAM resources of their own; hardware ones are not
            steps.append(Step(f"delete virtual MFA device {serial}", "delete_virtual_mfa_device",
                              {"SerialNumber": serial}))
    for cert in iam.list_signing_certificates(UserName=name).get("Certificates", []):
        steps.append(Step(f"delete signing certificate {cert['CertificateId']}", "delete_signing_certificate",
                          {**u, "CertificateId": cert["CertificateId"]}))
    for ssh in iam.list_ssh_public_keys(UserName=name).get("SSHPublicKeys", []):
        steps.append(Step(f"delete SSH key {ssh['SSHPublicKeyId']}", "delete_ssh_public_key",
                          {**u, "SSHPublicKeyId": ssh["SSHPublicKeyId"]}))
    for cred in _service_credentials(iam, name):
        steps.append(Step(f"delete service credential {cred['ServiceSpecificCredentialId']}",
                          "delete_service_specific_credential",
                          {**u, "ServiceSpecificCredentialId": cred["ServiceSpecificCredentialId"]}))
    for group in _paginate(iam, "list_groups_for_user", "Groups", UserName=name):
        steps.append(Step(f"remove from group {group['GroupName']}", "remove_user_from_group",
                          {**u, "GroupName": group["GroupName"]}))
    for policy in _paginate(iam, "list_user_policies", "PolicyNames", UserName=name):
        steps.append(Step(f"delete inline policy {policy}", "delete_user_policy", {**u, "PolicyName": policy}))
    for policy in _paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name):
        steps.append(Step(f"detach policy {policy['PolicyArn']}", "detach_user_policy",
                          {**u, "PolicyArn": policy["PolicyArn"]}))
    steps.append(Step(f"delete IAM user {name}", "delete_user", u))
    return steps


def admin_roles(org: Org) -> tuple[str, ...]:
    """Roles that are "admin": one of their managed policies is AdministratorAccess."""
    return tuple(r.name for r in org.roles
                 if any(arn.rsplit("/", 1)[-1] == ADMIN_POLICY_NAME for arn in r.managed))


def check_offboard(org: Org, caller_user: str | None, name: str, *, keep_in_file: bool = False) -> None:
    """UsageError when offboarding ``name`` would lock the org out: the caller themselves, or the
    last member of a team granted an admin role (unless the person stays in the org file of an org
    that no longer uses IAM users: they keep their team through Identity Center)."""
    if caller_user is not None and caller_user.casefold() == name.casefold():  # IAM and Identity Center: any case
        raise UsageError(f"refusing to offboard yourself ('{name}'); ask another admin; nothing changed")
    if keep_in_file and not org.uses_iam_users:
        return
    admin = set(admin_roles(org))
    for team in org.teams:
        if name in team.members and set(team.members) == {name} and any(g.role in admin for g in team.grants):
            raise UsageError(f"refusing to offboard '{name}': the last member of team '{team.name}', which is "
                             "granted an admin role (add another member first); nothing changed")


def check_file_removal(org_path: Path, org: Org, name: str, *, keep_in_file: bool = False) -> None:
    """UsageError (nothing changed) when removing ``name`` from the org file would leave it invalid
    (a ``[temporary]`` section, say, still names them): checked before any change, so an
    offboarding never stops part-way on it."""
    from awsroles.errors import OrgFileError
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit

    if keep_in_file or not any(u.name == name for u in org.users):
        return
    try:
        orgedit.preview_remove_user(org_path, name, checks=ORG_CHECKS)
    except OrgFileError as exc:
        raise UsageError(f"refusing to offboard '{name}': without them the org file would not be valid ({exc}); "
                         "remove or edit what names them first; nothing changed") from None


@dataclass(frozen=True)
class Offboarded:
    name: str
    steps: tuple[Step, ...]
    removed_from_file: bool
    identity_center: tuple[str, ...] = ()  # what was done in Identity Center (:mod:`awsroles.sync.offboard_ic`)


def run_steps(iam: Any, steps: Sequence[Step], *, what: str, finish: str, then: Sequence[str] = ()) -> None:
    """Run ``steps`` in order; a step whose target is already gone counts as done (a re-run). On a
    failure, :class:`PartlyDone` names the steps done, the one that failed, the ones not done (and
    ``then``: what the caller would have done next) and how to ``finish``."""
    from awsroles.errors import describe_aws_error

    for i, step in enumerate(steps):
        try:
            getattr(iam, step.call)(**step.params)
        except Exception as exc:
            if is_gone(exc):  # already done (a retried offboarding)
                continue
            raise PartlyDone(what, f"{step.description} failed: {describe_aws_error(exc)}",
                             done=[s.description for s in steps[:i]],
                             not_done=[*(s.description for s in steps[i:]), *then], finish=finish,
                             cause=exc) from exc


def offboard(org_path: Path, org: Org, aws: Aws, name: str, *, keep_in_file: bool = False) -> Offboarded:
    """Remove ``name`` from ops (everything that keeps access or blocks deletion, then the user)
    and from the org file (``keep_in_file``: not from the file, for an org that moved to Identity
    Center, where the person stays). Refuses (UsageError, nothing changed) per :func:`check_offboard`."""
    from awsroles.errors import describe_aws_error
    from awsroles.iam.checks import ORG_CHECKS
    from awsroles.org import edit as orgedit
    from awsroles.sync.engine import Engine

    check_offboard(org, aws.whoami().person, name, keep_in_file=keep_in_file)
    check_file_removal(org_path, org, name, keep_in_file=keep_in_file)
    engine = Engine(org, aws)
    iam = engine.iam(org.ops)
    steps = offboard_steps(org, iam, name)
    in_file = any(u.name == name for u in org.users) and not keep_in_file
    ic = None
    if org.uses_identity_center and not keep_in_file:  # --keep-in-file: they keep their Identity Center user
        from awsroles.sync import offboard_ic

        runner = engine.identity_center_runner()
        ic = offboard_ic.prepare(org, runner, name)
    ic_done = tuple(ic.descriptions) if ic is not None else ()
    what = f"users offboard {name}"
    finish = f"fix the cause, then re-run `awsroles users offboard {name}`: it does what is left"
    from_file = f"remove {name} from the org file {org_path}"
    run_steps(iam, steps, what=what, finish=finish, then=[*ic_done, *([from_file] if in_file else [])])
    done = [s.description for s in steps]
    if ic is not None:
        try:
            offboard_ic.write(runner, ic)
        except Exception as exc:
            raise PartlyDone(what, f"Identity Center user {name}: {describe_aws_error(exc)}", done=done,
                             not_done=[*ic_done, *([from_file] if in_file else [])], finish=finish,
                             cause=exc) from exc
    if in_file:
        try:
            orgedit.remove_user(org_path, name, checks=ORG_CHECKS)
        except (AwsrolesError, OSError) as exc:
            raise PartlyDone(what, f"{from_file} failed: {exc}", done=[*done, *ic_done],
                             not_done=[from_file], finish=finish, cause=exc) from exc
    return Offboarded(name, tuple(steps), in_file, ic_done)

