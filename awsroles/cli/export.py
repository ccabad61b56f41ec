"""``awsroles export policies|terraform DIR``."""

from __future__ import annotations

from pathlib import Path

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.errors import ExitCode
from awsroles.export.identity_center import identity_center_index, permission_set_files
from awsroles.export.policies import policy_files
from awsroles.export.tree import TreeResult, write_tree
from awsroles.iam.desired import desired_state
from awsroles.render import FORMATS, Result


@click.group()
@common_options(forms=FORMATS)  # the global options, also between the group and its command
def export() -> None:
    """Write what awsroles manages as files: policy JSON, or Terraform.

    Output is byte-stable: re-running it on an unchanged org file changes nothing, so the
    result can be committed and reviewed in git.

    \b
    Examples:
      awsroles export policies build/policies
      awsroles export terraform build/terraform
    """


def _written(app: App, kind: str, directory: Path, files: dict[str, str], result: TreeResult) -> None:
    for path, why in result.kept:
        app.warn(f"awsroles: warning: {directory / path}: {why}")
    data = {"directory": str(directory), "files": sorted(files), "changed": result.changed,
            "kept": [{"path": path, "reason": why} for path, why in result.kept]}
    notes = [f"{kind}: {len(files)} files in {directory}, {len(result.changed)} changed"]
    app.render(Result(data=data, notes=notes))


_force = click.option(
    "--force", is_flag=True,
    help="Write into a non-empty directory that holds no earlier export, and overwrite files that awsroles "
         "did not write (or that were changed since). Symbolic links are refused even so.")


@export.command("policies")
@common_options
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_force
@pass_app
def export_policies(app: App, directory: Path, force: bool) -> int:
    """Write every policy document as JSON, one file per document.

    Layout: DIRECTORY/<account>/roles/<role>.trust.json, <role>.<policy>.json,
    <account>/groups/<group>.<policy>.json, <account>/policies/<policy>.json and index.json;
    with IAM Identity Center, <account>/permission-sets/<role>.json (a permission set's inline
    policy, in the Identity Center account).
    Files from an earlier export that are no longer produced are removed; other files are kept.
    Nothing is written outside DIRECTORY, through a symbolic link, or into a non-empty directory
    that holds no earlier export (unless --force).

    \b
    Example:
      awsroles -f examples/classic.ini export policies build/policies
    """
    org = app.load_org()
    org.require_ids()  # every document names accounts by id
    files = policy_files(desired_state(org), identity_center_index(org)) | permission_set_files(org)
    _written(app, "policies", directory, files, write_tree(directory, files, force=force))
    return ExitCode.OK


@export.command("terraform")
@common_options
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_force
@pass_app
def export_terraform(app: App, directory: Path, force: bool) -> int:
    """Write Terraform that creates exactly what `awsroles apply` creates.

    One provider alias per account (environment accounts through the org's bootstrap role),
    roles, groups, users and their policies, with documents under DIRECTORY/policies; with IAM
    Identity Center, its users, groups, permission sets and account assignments in the Identity
    Center account's file.
    Same safety as `export policies`: nothing outside DIRECTORY, no symbolic link followed, and a
    non-empty directory that holds no earlier export is refused unless --force.

    \b
    Example:
      awsroles export terraform build/terraform
      cd build/terraform && terraform init && terraform plan
    """
    from awsroles.export.terraform import terraform_files

    org = app.load_org()
    org.require_ids()  # every document names accounts by id
    files = terraform_files(org)
    _written(app, "terraform", directory, files, write_tree(directory, files, force=force))
    return ExitCode.OK
