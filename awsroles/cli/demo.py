"""``awsroles demo``: the main job, as a short story a newcomer can read."""

from __future__ import annotations

import os
from pathlib import Path

import click

from awsroles.access import access_list, matrix
from awsroles.cli.app import App, cli, pass_app
from awsroles.desired import desired_state
from awsroles.errors import ExitCode
from awsroles.examples import example
from awsroles.export import policy_files
from awsroles.fsutil import write_tree
from awsroles.orgfile import check_org
from awsroles.render import Result, Table


@cli.command()
@click.option("--file", "-f", "org_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Org file to tell the story with (default: examples/classic.ini).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("awsroles-demo"),
              show_default=True, help="Where to write the exported policies and Terraform.")
@pass_app
def demo(app: App, org_file: Path | None, out: Path) -> int:
    """Show what awsroles does, on the example org, without touching AWS.

    Validates the classic org (accounts ops, dev, stage, prod; alice may use all three
    environments, bob only dev), shows who can assume what, and exports every policy
    document and the equivalent Terraform.

    \b
    Example:
      awsroles demo --out /tmp/awsroles-demo
    """
    from awsroles.terraform import terraform_files

    if org_file is None and app.file:
        org_file = Path(app.file)
    path = org_file or example("classic")
    if path.is_absolute() and not os.path.relpath(path).startswith(".."):
        path = Path(os.path.relpath(path))  # shorter to read, still copy-pasteable
    step = _Steps(app)

    step("Validate the org file", f"awsroles -f {path} validate")
    org, problems = check_org(path)
    for problem in problems:
        app.warn(str(problem))
    if org is None:
        return ExitCode.USAGE
    envs = ", ".join(f"{env} ({account.id})" for env, account in org.environments.items())
    app.say(f"  {org.name}: people log in to {org.ops_account} ({org.ops.id}) and switch into roles in {envs}")
    app.say(f"  MFA {'required, valid for ' + str(org.mfa_max_age // 3600) + 'h' if org.mfa_required else 'optional'}; "
            f"{len(org.roles)} roles, {len(org.teams)} teams, {len(org.users)} users")

    step("Who can assume what", f"awsroles -f {path} access")
    columns, grid = matrix(org, access_list(org))
    app.render(Result(data=None, tables=[Table(columns, grid)]))
    prod = [env for env in org.environments if "prod" in env]
    if prod:
        who = sorted({a.user for a in access_list(org, environment=prod[0])})
        app.say(f"  who can touch {prod[0]}? {', '.join(who) or 'nobody'}")

    specs = desired_state(org)
    step("Export every policy document", f"awsroles -f {path} export policies {out / 'policies'}")
    files = policy_files(specs)
    write_tree(out / "policies", files)
    for name in sorted(files)[:6]:
        app.say(f"  {out / 'policies' / name}")
    app.say(f"  ... {len(files)} files")

    step("Export the same thing as Terraform", f"awsroles -f {path} export terraform {out / 'terraform'}")
    tf = terraform_files(org)
    write_tree(out / "terraform", tf)
    app.say(f"  {len([n for n in tf if n.endswith('.tf')])} .tf files in {out / 'terraform'}; "
            f"try: terraform -chdir={out / 'terraform'} init")
    app.say()
    app.say("Next: copy examples/classic.ini to awsroles.ini, make it yours, and run `awsroles validate`.")
    return ExitCode.OK


class _Steps:
    def __init__(self, app: App):
        self.app = app
        self.n = 0

    def __call__(self, title: str, command: str) -> None:
        self.n += 1
        if self.n > 1:
            self.app.say()
        self.app.say(click.style(f"{self.n}. {title}", bold=True) + click.style(f"   $ {command}", dim=True))
