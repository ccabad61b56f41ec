"""Adopt an existing setup: read live IAM in the ops and environment accounts, write an org file.

For a setup made by ``awsroles apply``, by the Terraform export, or by hand along the same
conventions (everything at the org's IAM path, teams as ``team-NAME`` groups with the
``awsroles-assume-roles`` policy). The steps, each usable on its own:

1. Which accounts (:mod:`awsroles.importer.accounts`): ``accounts_from_options``
   (``--account NAME=ID[:ENV]``), ``accounts_from_organizations`` (account tags), or
   ``accounts_from_org`` (``--from``).
2. :func:`awsroles.importer.reads.read_live`: every account through :func:`awsroles.sync.state.read_account` (one
   ``GetAccountAuthorizationDetails`` and one ``ListRoles`` per account).
3. :func:`awsroles.importer.infer.build_import` (pure): live state -> the
   :class:`~awsroles.org.model.Org`, its policy files, the org-file text (written by
   :func:`awsroles.org.write.render_org_file`), warnings, and the plan the imported file would
   still have against that same live state (empty for a setup awsroles made).
4. :func:`write_import`: write the policy files and the org file as one set (all or none), then validate the
   written file and check that it reads back as exactly the model that was built.

:func:`collect` runs steps 1-3 against AWS. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsroles.errors import AwsrolesError, Problem, UsageError
from awsroles.fsutil import write_files
from awsroles.importer.accounts import (
    Accounts,
    accounts_from_options,
    accounts_from_org,
    accounts_from_organizations,
    slug,
)
from awsroles.importer.identity_center import InstanceRead
from awsroles.importer.identity_center import marked_org as instance_org
from awsroles.importer.imported import Imported
from awsroles.importer.infer import build_import
from awsroles.importer.reads import (
    account_alias,
    organization_name,
    read_instance,
    read_live,
    read_live_budgets,
    read_organization_contacts,
    read_organization_scps,
)
from awsroles.importer.settings import (
    DEFAULT_BOOTSTRAP_ROLE,
    DEFAULT_ENVIRONMENT_TAG,
    DEFAULT_NAME,
    DEFAULT_PATH,
    DEFAULT_POLICY_DIR,
    DEFAULT_SESSION_DURATION,
    OrgSettings,
    partition_of,
)
from awsroles.org import limits
from awsroles.org.model import Org
from awsroles.sync.state import LiveAccount

if TYPE_CHECKING:
    from awsroles.aws import Aws


# -- all of it against AWS ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    """What the caller chose; None means: from ``--from``, else a default or what AWS says."""

    name: str | None = None
    region: str | None = None
    path: str | None = None
    bootstrap_role: str | None = None
    policy_dir: str | None = None
    environment_tag: str = DEFAULT_ENVIRONMENT_TAG
    accounts: tuple[str, ...] = ()  # NAME=ID[:ENVIRONMENT]
    max_workers: int = 8
    identity_center: bool = False  # read IAM Identity Center instead of IAM (also when --from says so)
    identity_center_region: str | None = None
    adopt: frozenset[str] = frozenset()  # users, teams, roles outside the path adopted in place (--adopt)
    moves: frozenset[str] = frozenset()  # those of them brought to the org's path (moved, or roles recreated)


ADOPT_KINDS = {"users": "user", "teams": "group", "roles": "role"}  # --adopt KIND -> the IAM kind read
ADOPT_ROUTES = ("in-place", "move", "recreate")  # move and recreate: to the org's path (see parse_adopt)


def parse_adopt(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """``users=in-place,teams=move,roles=recreate`` (or ``all=...``) -> (the kinds adopted, those of them
    brought to the org's path). To the org's path, ``move`` and ``recreate`` alike: users and teams'
    groups are moved there (IAM's UpdateUser/UpdateGroup keep keys, password, MFA and members), roles
    are recreated there under a new name (IAM cannot move a role) and replace the old ones."""
    kinds: set[str] = set()
    moved: set[str] = set()
    for item in (i.strip() for i in text.split(",") if i.strip()):
        kind, eq, route = (p.strip() for p in item.partition("="))
        if not eq or kind not in (*ADOPT_KINDS, "all") or route not in ADOPT_ROUTES:
            raise UsageError(f"--adopt {item!r}: expected KIND=ROUTE, KIND one of {', '.join(ADOPT_KINDS)} or all, "
                             "ROUTE in-place (owned where it is) or move (to the org's path; recreate for roles) "
                             "(e.g. --adopt users=move,teams=move,roles=in-place)")
        chosen = set(ADOPT_KINDS) if kind == "all" else {kind}
        kinds |= chosen
        (moved.update if route != "in-place" else moved.difference_update)(chosen)
    return frozenset(kinds), frozenset(moved)


def _adopted_by(previous: Org | None) -> frozenset[str]:
    """The kinds a ``--from`` file adopts in place somewhere, or is moving (``move_from``, until apply has
    moved them): imported again the same way without ``--adopt``."""
    if previous is None:
        return frozenset()
    adopted, moving = previous.adopted_in_place(), previous.moving()
    return frozenset(option for option, kind in ADOPT_KINDS.items() if adopted[kind] or moving.get(kind))


def wants_identity_center(options: ImportOptions, previous: Org | None) -> bool:
    """Whether to import IAM Identity Center: asked for, or the ``--from`` org's only backend. An org
    using both backends is refused: one import reads one of them."""
    if previous is not None and previous.uses_identity_center and previous.uses_iam_users:
        raise UsageError(f"{previous.source} uses both iam-users and identity-center; import reads one of them: "
                         "give --from a file with one identity (the other is what an import would replace)")
    if options.identity_center_region and not (options.identity_center or
                                               (previous is not None and previous.uses_identity_center)):
        raise UsageError("--identity-center-region needs --identity-center")
    return options.identity_center or (previous is not None and previous.uses_identity_center)


def previous_policy_dir(path: Path) -> str | None:
    """The ``policy_dir`` written in an org file's [org] section, as written (the model has no field for it)."""
    from awsroles.org.ini import read_ini

    document = read_ini(path.read_text(encoding="utf-8-sig"), str(path))
    section = next((s for s in document.sections if s.name.strip() == "org"), None)
    key = section.keys.get("policy_dir") if section else None
    return key.value.strip() if key else None


def collect(aws: Aws, options: ImportOptions, *, previous: Org | None = None,
            previous_dir: str | None = None) -> Imported:
    """Find the accounts, read them, and build the org file (nothing is written)."""
    use_identity_center = wants_identity_center(options, previous)  # before any call
    if use_identity_center and options.adopt:
        raise UsageError("--adopt adopts IAM users, groups and roles; an Identity Center import has none")
    caller = aws.whoami().account
    if previous is not None and options.accounts:
        raise UsageError("--from and --account both name the accounts; use one of them")
    if previous is not None:
        found = accounts_from_org(previous)
    elif options.accounts:
        found = accounts_from_options(options.accounts, caller)
    else:
        found = accounts_from_organizations(aws, caller, environment_tag=options.environment_tag, org_name=options.name)
    region = (options.region or (previous.region if previous else None) or aws.base_session.region_name
              or "us-east-1")
    bootstrap_role = options.bootstrap_role or (previous.bootstrap_role if previous else DEFAULT_BOOTSTRAP_ROLE)
    settings = OrgSettings(
        name=options.name or (previous.name if previous else DEFAULT_NAME),
        region=region,
        path=options.path or (previous.path if previous else DEFAULT_PATH),
        bootstrap_role=bootstrap_role,
        policy_dir=options.policy_dir or previous_dir or DEFAULT_POLICY_DIR,
        session_duration=previous.session_duration if previous else DEFAULT_SESSION_DURATION,
        mfa=(previous.mfa_required, previous.mfa_max_age) if previous else None,
        adopt=options.adopt | _adopted_by(previous),
        moves=options.moves,
    )
    marked = organization_name(found.organization) if options.name is None else None
    if marked is not None:
        settings = replace(settings, name=marked)
    settings.check()
    partition = partition_of(region)
    instance: InstanceRead | None = None
    if use_identity_center:
        instance = _read_instance(aws, options, previous, found, settings, partition)
        live: dict[str, LiveAccount] = {}  # IAM users, groups and roles are not this org's
        assigned = {a.account_id for a in instance.live.assignments}
        unborne = {name for name in found.guessed if found.by_name(name).id not in assigned}
        if options.name is None and previous is None and marked is None and instance_org(instance.live):
            marked = instance_org(instance.live)
            settings = replace(settings, name=str(marked))
    else:
        everywhere = frozenset(kind for option, kind in ADOPT_KINDS.items() if option in settings.adopt)
        live = read_live(aws, found.to_read, bootstrap_role=bootstrap_role, path=settings.path, partition=partition,
                         max_workers=options.max_workers, everywhere=everywhere)
        unborne = {name for name in found.guessed if not live[name].roles}
    if unborne:  # marked accounts whose name was a guess at their environment: nothing there is the org's
        found = found.without_environment(unborne)
        live = {name: state for name, state in live.items() if name not in unborne}
    if options.name is None and previous is None and marked is None:
        alias = account_alias(aws, found.by_name(found.ops), bootstrap_role=bootstrap_role, partition=partition)
        if alias and slug(alias):
            settings = replace(settings, name=slug(alias))
    other_scps: tuple[str, ...] = ()
    if found.organization is not None:
        from botocore.exceptions import ClientError

        from awsroles.errors import aws_error_code

        try:
            scps, other_scps = read_organization_scps(aws, settings.name)
            found = replace(found, organization=replace(found.organization, scps=scps))
        except ClientError as exc:
            if aws_error_code(exc) not in ("AccessDeniedException", "AccessDenied"):
                raise
            found = replace(found, notes=(*found.notes, f"the service control policies cannot be read from account "
                                          f"{caller} ({aws_error_code(exc)}): none imported"))
    if found.organization is not None:
        found = replace(found, organization=read_organization_contacts(aws, found, settings.name))
    billing = found.by_name(found.billing)
    budgets = read_live_budgets(aws, billing, bootstrap_role=bootstrap_role, org_name=settings.name,
                                partition=partition)
    state = live.get(billing.name, LiveAccount(billing))
    live[billing.name] = replace(state, budgets=budgets, api_calls=state.api_calls + budgets.api_calls)
    return build_import(found, live, settings, previous=previous, other_scps=other_scps, identity_center=instance)


def _read_instance(aws: Aws, options: ImportOptions, previous: Org | None, found: Accounts, settings: OrgSettings,
                   partition: str) -> InstanceRead:
    """The instance to import: the ``--from`` org's (its account and region), else your account's, in
    ``--identity-center-region`` or the org's region."""
    if previous is not None and previous.uses_identity_center:
        home = previous.identity_center_home
        region = options.identity_center_region or previous.identity_center_region_name
    else:
        home = found.by_name(found.ops)
        region = options.identity_center_region or settings.region
    if home.pending:
        raise UsageError(f"the Identity Center account {home.name} has no id in {previous.source if previous else ''}"
                         ": give it one to import its instance")
    if not limits.REGION.fullmatch(region):
        raise UsageError(f"region '{region}' is not an AWS region name (--identity-center-region)")
    return read_instance(aws, home, region, settings.name, bootstrap_role=settings.bootstrap_role,
                         partition=partition, max_workers=options.max_workers)


# -- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What :func:`write_import` did."""

    imported: Imported
    output: Path | None  # None: the text went to the caller (stdout)
    written: tuple[Path, ...]  # files created or changed
    problems: tuple[Problem, ...] = ()  # validation warnings of the written file

    def as_dict(self) -> dict[str, Any]:
        return {"file": str(self.output) if self.output else "-", "written": [str(p) for p in self.written],
                "validation": [p.as_dict() for p in self.problems], **self.imported.as_dict()}


def write_import(imported: Imported, output: Path | None, *, base_dir: Path | None = None,
                 force: bool = False) -> ImportResult:
    """Write the policy files and the org file (``output``; None: the caller prints ``imported.text``
    and the policy files go under ``base_dir``, default the working directory) as one set: all of
    them, or none (:func:`awsroles.fsutil.write_files`; FileWriteError names the file that could
    not be written). Refuses, before writing anything, to overwrite an existing org file or a
    different policy file unless ``force``. Then validates what was written: a file that does not
    read back as the imported model is a bug.
    """
    from awsroles.iam.checks import check_org, parse_org

    root = output.parent if output is not None else (base_dir or Path.cwd())
    policy_root = root / imported.policy_dir
    if output is not None and output.is_dir():
        raise UsageError(f"{output} is a directory; give a file name with --output-file")
    if output is not None and output.exists() and not force:
        raise UsageError(f"{output} exists; nothing was written (use --force to overwrite it, or "
                         "--output-file for another file)")
    to_write: dict[Path, str] = {}
    refused: list[str] = []
    for ref, text in sorted(imported.policy_files.items()):
        target = policy_root / ref
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        if target.exists() and (not force or not target.is_file()):
            refused.append(str(target))
            continue
        to_write[target] = text
    if refused:
        more = f" and {len(refused) - 1} more" if len(refused) > 1 else ""
        raise UsageError(f"{refused[0]}{more} exist with other content; nothing was written (use --force to "
                         "overwrite them, or --policy-dir for another folder)")
    if output is not None:
        to_write[output] = imported.text
    write_files(to_write)  # all of them or none: a file that cannot be written leaves every file as it was
    written = list(to_write)
    if output is not None:
        org, problems = check_org(output)
    else:
        org, problems = parse_org(imported.text, "<stdout>", root)
    errors = [p for p in problems if p.is_error]
    if org is None or errors:
        raise AwsrolesError("bug: the imported org file does not validate:\n" + "\n".join(f"  {p}" for p in errors))
    if org != imported.org:
        raise AwsrolesError("bug: the imported org file does not read back as what was imported; please report "
                            f"it with the file {output or '(stdout)'}")
    return ImportResult(imported, output, tuple(written), tuple(problems))
