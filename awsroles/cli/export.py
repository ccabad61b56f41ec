"""``awsroles export policies|terraform DIR``."""

from __future__ import annotations

from pathlib import Path

import click

from awsroles.cli.app import App, cli, common_options, pass_app
from awsroles.desired import desired_state
from awsroles.errors import ExitCode
from awsroles.export import policy_files
from awsroles.fsutil import write_tree
from awsroles.render import Result


@cli.group()
def export() -> None:
    """Write what awsroles manages as files: policy JSON, or Terraform.

    Output is byte-stable: re-running it on an unchanged org file changes nothing, so the
    result can be committed and reviewed in git.
    """


def _written(app: App, kind: str, directory: Path, files: dict[str, str], changed: list[str]) -> None:
    data = {"directory": str(directory), "files": sorted(files), "changed": changed}
    notes = [f"{kind}: {len(files)} files in {directory}, {len(changed)} changed"]
    app.render(Result(data=data, notes=notes))


@export.command("policies")
@common_options
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that awsroles did not write.")
@pass_app
def export_policies(app: App, directory: Path, force: bool) -> int:
    """Write every policy document as JSON, one file per document.

    Layout: DIRECTORY/<account>/roles/<role>.trust.json, <role>.<policy>.json,
    <account>/groups/<group>.<policy>.json, <account>/policies/<policy>.json and index.json.
    Files from an earlier export that are no longer produced are removed; other files are kept.

    \b
    Example:
      awsroles -f examples/classic.ini export policies build/policies
    """
    org = app.load_org()
    files = policy_files(desired_state(org))
    _written(app, "policies", directory, files, write_tree(directory, files, force=force))
    return ExitCode.OK


@export.command("terraform")
@common_options
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that awsroles did not write.")
@pass_app
def export_terraform(app: App, directory: Path, force: bool) -> int:
    """Write Terraform that creates exactly what `awsroles apply` creates.

    One provider alias per account (environment accounts through the org's bootstrap role),
    roles, groups, users and their policies, with documents under DIRECTORY/policies.

    \b
    Example:
      awsroles export terraform build/terraform
      cd build/terraform && terraform init && terraform plan
    """
    from awsroles.terraform import terraform_files

    org = app.load_org()
    files = terraform_files(org)
    _written(app, "terraform", directory, files, write_tree(directory, files, force=force))
    return ExitCode.OK
