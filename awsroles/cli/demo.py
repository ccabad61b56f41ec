"""``awsroles demo``: the main job on a local sandbox, as a short story a newcomer can read."""

from __future__ import annotations

import os
from pathlib import Path

import click

from awsroles.access import access_list, matrix
from awsroles.cli.app import App, cli, pass_app
from awsroles.errors import ExitCode
from awsroles.examples import example
from awsroles.fsutil import write_tree
from awsroles.orgfile import check_org
from awsroles.render import Result, Table


class _Story:
    def __init__(self, app: App):
        self.app = app
        self.n = 0

    def step(self, title: str, command: str = "") -> None:
        self.n += 1
        if self.n > 1:
            self.app.say()
        shown = click.style(f"   $ {command}", dim=True) if command else ""
        self.app.say(click.style(f"{self.n}. {title}", bold=True) + shown)

    def say(self, text: str = "") -> None:
        self.app.say(f"   {text}" if text else "")


@cli.command()
@click.option("--file", "-f", "org_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Org file to tell the story with (default: examples/classic.ini).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("awsroles-demo"),
              show_default=True, help="Where to write the exported policies and Terraform.")
@pass_app
def demo(app: App, org_file: Path | None, out: Path) -> int:
    """Run the whole job on a local sandbox AWS (a moto server); no AWS account needed.

    Starts a sandbox seeded with the classic org's accounts (ops, dev, stage, prod), validates
    the org file, plans and applies it, shows that a second plan is empty and who can assume
    what, exports the same org as policy JSON and Terraform, and stops the sandbox.

    \b
    Example:
      awsroles demo
      awsroles demo -f examples/large.ini --out /tmp/awsroles-demo
    """
    from awsroles.cli.plan import show_plan, show_result
    from awsroles.desired import desired_state
    from awsroles.engine import Engine
    from awsroles.export import policy_files
    from awsroles.sandbox import Sandbox
    from awsroles.terraform import terraform_files

    if org_file is None and app.file:
        org_file = Path(app.file)
    path = org_file or example("classic")
    if path.is_absolute() and not os.path.relpath(path).startswith(".."):
        path = Path(os.path.relpath(path))  # shorter to read, still copy-pasteable
    story = _Story(app)

    story.step("Check the org file", f"awsroles -f {path} validate")
    org, problems = check_org(path)
    for problem in problems:
        app.warn(str(problem))
    if org is None:
        return ExitCode.USAGE
    envs = ", ".join(f"{env} ({account.id})" for env, account in org.environments.items())
    story.say(f"{org.name}: people log in to {org.ops_account} ({org.ops.id}) and switch into roles in {envs}.")
    mfa = f"required, good for {org.mfa_max_age // 3600}h" if org.mfa_required else "optional"
    story.say(f"MFA {mfa}; {len(org.roles)} roles, {len(org.teams)} teams, {len(org.users)} users.")

    story.step("Start a sandbox AWS on this machine", "awsroles sandbox start")
    with Sandbox(path) as box:
        story.say(f"moto server at {box.endpoint}: the org's {len(org.accounts)} accounts with their own ids, "
                  f"the {org.bootstrap_role} in each,")
        story.say("and an admin in ops whose keys awsroles uses. IAM permissions are enforced.")
        engine = Engine(org, box.aws())

        story.step("What would change?", "awsroles plan")
        plan = engine.plan()
        show_plan(app, engine, plan)

        story.step("Make it so", "awsroles apply --yes")
        result = engine.apply(plan)
        show_result(app, result)
        if not result.ok:
            return ExitCode.FAILURE

        story.step("Nothing left to do", "awsroles plan")
        again = Engine(org, box.aws()).plan()
        show_plan(app, engine, again)

        story.step("Who can assume what", "awsroles access")
        columns, grid = matrix(org, access_list(org))
        app.render(Result(data=None, tables=[Table(columns, grid)]))
        prod = [env for env in org.environments if "prod" in env]
        if prod:
            who = sorted({a.user for a in access_list(org, environment=prod[0])})
            story.say(f"who can touch {prod[0]}? {', '.join(who) or 'nobody'}")

        story.step("The same org as files to review", f"awsroles export policies|terraform {out}/...")
        specs = desired_state(org)
        write_tree(out / "policies", policy_files(specs))
        tf = terraform_files(org)
        write_tree(out / "terraform", tf)
        story.say(f"{out / 'policies'}: every policy document as JSON (e.g. prod/roles/admin.trust.json)")
        story.say(f"{out / 'terraform'}: {len([n for n in tf if n.endswith('.tf')])} .tf files creating exactly "
                  "the same resources")

        story.step("Stop the sandbox", "awsroles sandbox stop")
    story.say("stopped; nothing was left running.")
    app.say()
    app.say("Next: copy examples/classic.ini to awsroles.ini, make it yours, `awsroles validate`, then "
            "`awsroles plan` with ops admin credentials.")
    return ExitCode.OK
