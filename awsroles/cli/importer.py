"""``awsroles import``: write an org file from the live IAM of the ops and environment accounts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.errors import ExitCode, FileWriteError, UsageError
from awsroles.fsutil import check_writable
from awsroles.org.durations import format_duration
from awsroles.render import Result

if TYPE_CHECKING:
    from awsroles.importer.build import ImportResult
    from awsroles.importer.imported import Imported


@click.command("import")
@common_options
@click.option("--output-file", "-O", "output_file", metavar="PATH",
              help="Where to write the org file; '-' prints it. Default: the org file (--file, "
                   "$AWSROLES_FILE, ./awsroles.ini).")
@click.option("--from", "from_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Take [org] and [account] sections from this org file; import only roles, teams and users.")
@click.option("--account", "accounts", metavar="NAME=ID[:ENV]", multiple=True,
              help="An environment account (repeatable; ENV defaults to NAME). Default: AWS Organizations.")
@click.option("--environment-tag", metavar="KEY", default="Environment", show_default=True,
              help="Organizations account tag that names an account's environment.")
@click.option("--name", help="Org name (default: from --from, else the ops account alias, else 'imported').")
@click.option("--path", "iam_path", metavar="PATH", help="IAM path to import (default: /awsroles/, or --from's).")
@click.option("--bootstrap-role", metavar="ROLE",
              help="Role to read environment accounts through (default: OrganizationAccountAccessRole).")
@click.option("--policy-dir", metavar="DIR", help="Policy folder, relative to the org file (default: policies).")
@click.option("--region", help="Org region (default: --from's, else your AWS configuration's).")
@click.option("--profile", metavar="NAME", help="AWS profile with admin credentials in the ops account.")
@click.option("--parallel", "workers", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Accounts read at once.")
@click.option("--identity-center", "identity_center", is_flag=True,
              help="Import the IAM Identity Center instance of your account (permission sets, groups, users, "
                   "assignments) instead of IAM; the default when --from says identity = identity-center.")
@click.option("--identity-center-region", metavar="REGION",
              help="Region of the Identity Center instance (default: --from's, else the org region).")
@click.option("--adopt", "adopt", metavar="KIND=ROUTE,...",
              help="Also import users, teams (groups) and roles outside the IAM path (e.g. made in the console "
                   "at /). KIND: users, teams, roles or all; ROUTE: in-place (owned where they are) or move (to "
                   "the org's path: users and groups moved, keeping keys, MFA and members; roles recreated under "
                   "new names, replacing the old ones, which stay until retired). E.g. all=in-place, "
                   "users=move,teams=move,roles=recreate.")
@click.option("--force", is_flag=True, help="Overwrite an existing org file and differing policy files.")
@click.option("--check", is_flag=True,
              help="Write nothing: print only what the first apply after this import changes for people.")
@pass_app
def import_(app: App, output_file: str | None, from_file: Path | None, accounts: tuple[str, ...],
            environment_tag: str, name: str | None, iam_path: str | None, bootstrap_role: str | None,
            policy_dir: str | None, region: str | None, profile: str | None, workers: int,
            identity_center: bool, identity_center_region: str | None, adopt: str | None, force: bool,
            check: bool) -> int:
    """Write an org file from what exists in IAM: adopt an existing setup.

    Your credentials' account is the ops account: its users and team-NAME groups at the IAM
    path become [user] and [team] sections. Every environment account is read through the
    bootstrap role; its roles at the path become [role] sections, their inline policies JSON
    files in the policy folder. Accounts come from --account, else from AWS Organizations
    (accounts tagged Environment=NAME, and those awsroles made), or from the [account]
    sections of --from FILE.

    From AWS Organizations, the organization comes too: each account's e-mail address and
    OU, the tags and alternate contacts awsroles set on the accounts it owns, the OUs
    awsroles made, and the SCPs it made (guardrails, SCP files). SCPs awsroles did not make
    are listed, never imported.

    With --identity-center (or a --from file that says identity = identity-center), the
    IAM Identity Center instance is read instead of IAM: permission sets become [role]
    sections, groups [team] sections, users [user] sections, and the account assignments
    of groups in environment accounts the teams' grants; assignments to users are listed,
    not imported.

    Users, groups and roles outside the path (a console-made org at /) are listed, each
    with why it was not imported. With --adopt KIND=in-place they are imported where they
    are: users in a team (path = in [user]), groups allowed to assume roles as teams
    (group = in [team]), roles such a group may assume (path = in [role]); `awsroles apply
    --adopt` then marks them, and awsroles manages them there, never anything else there.
    With KIND=move they are brought to the org's path instead: users and teams' groups are
    moved there by the first apply (move_from = in [user] and [team]: same user, keys,
    password, MFA and members; its ARN changes); roles are recreated there under new names
    (replaces = in [role]): teams keep the old role as it was until its `replaces` line
    becomes `retires`, when apply deletes it.

    The file is validated after writing, and `awsroles plan` against it should report no
    changes; import warns about anything the org file cannot express. Exits 2 when one role
    name has different settings in different environments.

    Then it says what the first apply changes for people: roles that will require a source
    identity (plain `aws sts assume-role` and the console's Switch Role refused: use `awsroles
    login`, `profiles sync`), people who could assume roles without MFA and will need it (their
    access keys named), users joining awsroles-users (nothing without MFA, access-key scripts
    included), team grants removed or moved, policies and boundaries removed, set or kept.
    --check prints only that report and writes nothing.

    \b
    Examples:
      awsroles import --account dev=222222222222 --account prod=444444444444
      awsroles import --from accounts.ini -O awsroles.ini --force
      awsroles import -O - > imported.ini
      awsroles import --identity-center --account dev=222222222222
      awsroles import --check --account dev=222222222222
      awsroles import --account dev=222222222222 --adopt all=in-place
      awsroles import --account dev=222222222222 --adopt all=move
    """
    from awsroles.aws import for_org
    from awsroles.iam.checks import load_org
    from awsroles.importer.build import ImportOptions, collect, parse_adopt, previous_policy_dir, write_import
    from awsroles.importer.credentials import assess
    from awsroles.importer.impact import impact_lines

    if check and (output_file is not None or force):
        raise UsageError("--check writes nothing; it cannot be combined with --output-file or --force")
    adopted, moves = parse_adopt(adopt) if adopt is not None else (frozenset(), frozenset())
    to_stdout = output_file == "-"
    if to_stdout and app.output != "table":
        raise UsageError("--output-file - prints the org file; it cannot be combined with --output json")
    output = None if to_stdout or check else Path(output_file) if output_file else app.org_path
    if output is not None and output.exists() and not force:  # before any AWS call
        raise UsageError(f"{output} exists; nothing was written (use --force to overwrite it, or "
                         "--output-file for another file)")
    if output is not None:
        check_writable(output, parents=True)
    previous = load_org(from_file) if from_file is not None else None
    options = ImportOptions(
        name=name, region=region, path=iam_path, bootstrap_role=bootstrap_role, policy_dir=policy_dir,
        environment_tag=environment_tag, accounts=accounts, max_workers=workers,
        identity_center=identity_center, identity_center_region=identity_center_region, adopt=adopted,
        moves=moves,
    )
    aws = for_org(previous, profile, region=region)  # with no region configured, botocore's global one
    imported = collect(aws, options, previous=previous,
                       previous_dir=previous_policy_dir(from_file) if from_file is not None else None)
    report = assess(aws, imported, max_workers=workers)
    if check:
        app.render(Result({"impact": [i.as_dict() for i in report]}, text="\n".join(impact_lines(report)) + "\n"))
        return ExitCode.OK
    try:
        result = write_import(imported, output, force=force)
    except OSError as exc:  # a folder it had to create, or the disk filled up meanwhile
        raise FileWriteError.from_os_error(exc.filename or output or ".", exc) from exc
    app.render(Result({**result.as_dict(), "impact": [i.as_dict() for i in report]},
                      text=imported.text if to_stdout else None))
    if app.output == "table":
        _report(app, result, impact_lines(report))
    return ExitCode.OK


def _report(app: App, result: ImportResult, impact: list[str]) -> None:
    """Warnings, what the plan would still do, and a summary: on stderr when the file went to stdout."""
    imported = result.imported
    say = app.warn if result.output is None else app.say
    for warning in imported.warnings:
        app.warn(f"warning: {warning}")
    for problem in result.problems:
        app.warn(str(problem))
    _pending(app, imported)
    org = imported.org
    where = "stdout" if result.output is None else str(result.output)
    policies = f", {_n(len(imported.policy_files), 'policy file')} in {imported.policy_dir}" \
        if imported.policy_files else ""
    organization = f", {_n(len(org.ous), 'declared OU')}" if org.ous else ""
    scps = sum(len(t.scp_files) + bool(t.guardrails) for t in org.scp_targets)
    organization += f", {_n(scps, 'SCP attachment')}" if scps else ""
    say(f"Imported {_n(len(org.accounts), 'account')} ({_n(len(org.environments), 'environment')}{organization}), "
        f"{_n(len(org.roles), 'role')}, {_n(len(org.teams), 'team')} and {_n(len(org.users), 'user')} to "
        f"{where}{policies}; "
        + (f"from IAM Identity Center ({org.identity_center_region_name})." if org.uses_identity_center else
           f"mfa {'required, max age ' + format_duration(org.mfa_max_age) if org.mfa_required else 'optional'}."))
    changed = [str(p) for p in result.written]
    if changed:
        say(f"Wrote {', '.join(changed)}.")
    for line in impact:  # before the first apply: what it changes for people
        say(line)
    if result.output is not None:
        adopt = imported.plan.count("adopt")
        others = len(imported.plan.changes) - adopt
        check = "should report no changes" if not others else "shows the changes listed above"
        if adopt:
            say(f"Next: review it, then `awsroles -f {result.output} apply --adopt` to mark the "
                f"{_n(adopt, 'resource')} it declares as awsroles' (until then plan reports them as conflicts); "
                "after that "
                f"`awsroles -f {result.output} plan` {check}.")
        else:
            say(f"Next: review it, then `awsroles -f {result.output} plan` ({check}).")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _pending(app: App, imported: Imported) -> None:
    plan = imported.plan
    adopted = [c for c in plan.changes if c.action == "adopt"]
    if adopted:
        where = "without its mark" if imported.org.uses_identity_center else "at the path without its mark"
        app.warn(f"not yet awsroles' ({where}): `awsroles apply --adopt` marks "
                 f"{_n(len(adopted), 'resource')}:")
        for change in adopted:
            app.warn(f"  {change.account}: {change.kind} {change.name}")
    changes = [c for c in plan.changes if c.action != "adopt"]
    if changes:
        source = "IAM Identity Center" if imported.org.uses_identity_center else "IAM"
        app.warn(f"warning: the org file cannot express everything in {source}: `awsroles plan` will show "
                 f"{len(changes)} change(s):")
        for change in changes:
            details = f": {', '.join(change.details)}" if change.details else ""
            app.warn(f"  {change.account}: {change.action} {change.kind} {change.name}{details}")
    if plan.kept:
        app.warn("warning: managed by awsroles (at the path) but not in the org file: "
                 "`awsroles plan --prune` would delete:")
        for change in plan.kept:
            app.warn(f"  {change.account}: {change.kind} {change.name}")
    for conflict in plan.conflicts:
        app.warn(f"warning: conflict: {conflict}")
