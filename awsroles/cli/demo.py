"""``awsroles demo``: the main job on a local sandbox, as a short story a newcomer can read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.errors import ExitCode
from awsroles.export.tree import write_tree
from awsroles.iam.access import access_list, matrix
from awsroles.iam.checks import check_org
from awsroles.org.examples import example
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


@click.command()
@common_options(forms=("table",), file=False)  # a story for people; its own --file has its own default
@click.option("--file", "-f", "org_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Org file to tell the story with (default: examples/classic.ini).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("awsroles-demo"),
              show_default=True, help="Where to write the exported policies and Terraform.")
@click.option("--identity-center", "identity_center", is_flag=True,
              help="Tell it with people in IAM Identity Center (examples/identity-center.ini): one sign-in in the "
                   "browser, no keys.")
@pass_app
def demo(app: App, org_file: Path | None, out: Path, identity_center: bool) -> int:
    """Run the whole job on a local sandbox AWS (a moto server); no AWS account needed.

    Starts a sandbox seeded with the classic org's accounts (ops, dev, stage, prod), validates
    the org file, plans and applies it, shows that a second plan is empty and who can assume
    what, exports the same org as policy JSON and Terraform. Then it starts again from an
    organization holding its management account alone: apply creates the accounts, their OUs and
    guardrails, and alice works in the new prod account. Then it stops the sandbox.

    \b
    With --identity-center, people are IAM Identity Center users: alice signs in once (a code
    approved in the browser, here by the sandbox as she would) and works in prod, bob is refused,
    an admin grants and revokes, and finance's report is the same.

    \b
    Example:
      awsroles demo
      awsroles demo -f examples/large.ini --out /tmp/awsroles-demo
      awsroles demo --identity-center
    """
    from awsroles.cli.demo_accounts import accounts_act
    from awsroles.export.policies import policy_files
    from awsroles.export.terraform import terraform_files
    from awsroles.iam.desired import desired_state
    from awsroles.sandbox.process import Sandbox
    from awsroles.sandbox.seed import enroll_person

    if org_file is None and app.file:
        org_file = Path(app.file)
    path = org_file or example("identity-center" if identity_center else "classic")
    if path.is_absolute() and not os.path.relpath(path).startswith(".."):
        path = Path(os.path.relpath(path))  # shorter to read, still copy-pasteable
    story = _Story(app)
    if identity_center:
        from awsroles.cli.demo_identity_center import identity_center_demo

        return identity_center_demo(app, story, path, out)

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
        if not plan_apply_story(app, story, org, box):
            return ExitCode.FAILURE
        prod = [env for env in org.environments if "prod" in env]
        if prod:
            who = sorted({a.user for a in access_list(org, environment=prod[0])})
            story.say(f"who can touch {prod[0]}? {', '.join(who) or 'nobody'}")

        story.step("alice and bob get an access key and an MFA device", "(the sandbox does it for the demo)")
        people = {name: enroll_person(box.aws(), org, name) for name in ("alice", "bob")
                  if any(u.name == name for u in org.users)}
        for name, person in people.items():
            story.say(f"{name}: access key {person.access_key_id}, MFA device {person.mfa_serial}")
        if "alice" in people:
            _people_story(app, story, box, org, people, scratch=Path(tempfile.mkdtemp(prefix="awsroles-demo-")),
                          out=out)

        story.step("The same org as files to review", f"awsroles export policies|terraform {out}/...")
        specs = desired_state(org)
        write_tree(out / "policies", policy_files(specs))
        tf = terraform_files(org)
        write_tree(out / "terraform", tf)
        story.say(f"{out / 'policies'}: every policy document as JSON (e.g. prod/roles/admin.trust.json)")
        story.say(f"{out / 'terraform'}: {len([n for n in tf if n.endswith('.tf')])} .tf files creating exactly "
                  "the same resources")

        scratch = Path(tempfile.mkdtemp(prefix="awsroles-demo-"))
        try:
            if not accounts_act(app, story, box, scratch, lambda home: _commands(story, box, home)):
                return ExitCode.FAILURE
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

        story.step("Stop the sandbox", "awsroles sandbox stop")
    story.say("stopped; nothing was left running.")
    app.say()
    app.say("Next: `awsroles init` writes a starter awsroles.ini here; make it yours, `awsroles validate`, then "
            "`awsroles plan` with ops admin credentials.")
    return ExitCode.OK


def plan_apply_story(app: App, story: _Story, org: Any, box: Any) -> bool:
    """Plan, apply, plan again (empty) and who can assume what, on the sandbox as its admin (what
    ``awsroles plan`` and ``apply --yes`` run); False when apply failed."""
    from awsroles.cli.planview import show_plan, show_result
    from awsroles.sync.engine import Engine

    engine = Engine(org, box.aws())
    story.step("What would change?", "awsroles plan")
    plan = engine.plan()
    show_plan(app, engine, plan)
    story.step("Make it so", "awsroles apply --yes")
    result = engine.apply(plan)
    show_result(app, result)
    if not result.ok:
        return False
    story.step("Nothing left to do", "awsroles plan")
    show_plan(app, engine, Engine(org, box.aws()).plan())
    story.step("Who can assume what", "awsroles access")
    columns, grid = matrix(org, access_list(org))
    app.render(Result(data=None, tables=[Table(columns, grid)]))
    return True


def environments(box: Any, scratch: Path) -> Callable[[str], dict[str, str]]:
    """``env(person)``: the environment ``person`` (or ``admin``, the sandbox's) runs commands in.
    Each person's settings, secrets (in a plaintext file: sandbox keys only) and AWS config file are
    in ``scratch``, never yours; no browser is opened."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSROLES_"))}
    env.update({k: v for k, v in box.env().items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
    env["AWSROLES_NO_BROWSER"] = "1"
    (scratch / "run").mkdir(mode=0o700, exist_ok=True)
    admin_env = {**env, **box.env(), "AWSROLES_AUDIT_LOG": str(scratch / "audit.jsonl"),
                 "XDG_CACHE_HOME": str(scratch / "cache")}

    def for_person(person: str) -> dict[str, str]:
        if person == "admin":
            return admin_env
        home = scratch / person
        return {**env, "AWSROLES_CONFIG_DIR": str(home / "config"), "XDG_RUNTIME_DIR": str(scratch / "run"),
                "AWS_CONFIG_FILE": str(home / "aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials")}

    return for_person


def argv_of(argv: tuple[str, ...]) -> list[str]:
    """``awsroles ...`` as this interpreter runs it; any other command as given."""
    return [sys.executable, "-m", "awsroles", *argv[1:]] if argv[0] == "awsroles" else list(argv)


def _commands(story: _Story, box: Any, scratch: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run(person, *argv, stdin=None, show=True)``: the real command (``awsroles ...`` or another), as
    ``person`` (or ``admin``, the sandbox's), its output shown in the story (see :func:`environments`)."""
    env_of = environments(box, scratch)

    def run(person: str, *argv: str, stdin: str | None = None, show: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(argv_of(argv), env=env_of(person), input=stdin, capture_output=True, text=True,
                                timeout=120, start_new_session=True)
        if show:
            for line in (result.stdout + result.stderr).splitlines():
                story.say(f"  {line}")
        return result

    return run


def _people_story(app: App, story: _Story, box: Any, org: Any, people: dict[str, Any], scratch: Path,
                  out: Path) -> None:
    """alice logs into prod and runs a command; bob is refused; every SDK gets profiles. Each step
    runs the real `awsroles` command (:func:`_commands`)."""
    run = _commands(story, box, scratch)
    aws_cli = shutil.which("aws")
    try:
        alice = people["alice"]
        story.step("alice sets up her laptop", "awsroles setup")
        run("alice", "awsroles", "setup", "--access-key-id", alice.access_key_id, "--secret-stdin",
            "--store", "plaintext", stdin=alice.secret_access_key + "\n")
        story.say("(plaintext only because these are sandbox keys: on a laptop the key goes to the OS keyring)")

        code = alice.mfa_code()
        story.step("alice logs into prod as admin: one MFA code for the whole day",
                   f"awsroles login prod --role admin --mfa-code {code}")
        run("alice", "awsroles", "login", "prod", "--role", "admin", "--mfa-code", code)
        probe = ["aws", "sts", "get-caller-identity", "--output", "text"] if aws_cli else [
            sys.executable, "-c", "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"]
        story.step("and runs a command there, no new code", f"awsroles exec prod --role admin -- {' '.join(probe[:3])}")
        run("alice", "awsroles", "exec", "prod", "--role", "admin", "--", *probe)

        if "bob" in people:
            bob = people["bob"]
            run("bob", "awsroles", "setup", "--access-key-id", bob.access_key_id, "--secret-stdin", "--store",
                "plaintext", stdin=bob.secret_access_key + "\n", show=False)
            story.step("bob is refused prod (he deleted a prod load balancer)", "awsroles login prod --role admin")
            run("bob", "awsroles", "login", "prod", "--role", "admin", "--mfa-code", bob.mfa_code())
            _grant_story(story, run, org, scratch, bob)

        story.step("profiles for the AWS CLI and every SDK", "awsroles profiles sync")
        run("alice", "awsroles", "profiles", "sync")
        profile = f"{org.name}-prod-admin"
        if aws_cli:
            story.step("the real AWS CLI, through credential_process",
                       f"aws sts get-caller-identity --profile {profile}")
            run("alice", aws_cli, "sts", "get-caller-identity", "--profile", profile, "--output", "text")
        else:
            story.step("boto3, through credential_process", f"boto3.Session(profile_name='{profile}')")
            run("alice", sys.executable, "-c", "import boto3; print(boto3.Session(profile_name="
                f"'{profile}').client('sts').get_caller_identity()['Arn'])")
        out.mkdir(parents=True, exist_ok=True)
        chart = out / "costs.svg"
        story.step("finance pulls last month's bill per environment, with a chart",
                   f"awsroles costs --chart {chart}")
        run("admin", "awsroles", "costs", "--chart", str(chart.resolve()))
        story.say("(the sandbox holds 13 months of a synthetic consolidated bill; rows add up to the invoice)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _grant_story(story: _Story, run: Any, org: Any, scratch: Path, bob: Any) -> None:
    """An admin grants bob stage, bob uses it, the admin revokes it and AWS refuses bob again."""
    copy = org_copy(org, scratch)
    team = next((t.name for t in org.teams if "bob" in t.members), None)
    if team is None or "stage" not in org.environments:
        return
    role = "readonly" if any(r.name == "readonly" for r in org.roles) else org.roles[0].name
    story.step("an admin grants bob's team stage", f"awsroles grant {team} stage {role} --apply")
    run("admin", "awsroles", "-f", str(copy), "grant", team, "stage", role, "--apply")
    story.say("(the org file keeps its comments: only the team's `stage =` line was added)")
    story.step("bob picks up his new grant and uses it", f"awsroles setup; awsroles login stage --role {role}")
    run("bob", "awsroles", "-f", str(copy), "setup", "--access-key-id", bob.access_key_id, "--secret-stdin",
        "--store", "plaintext", stdin=bob.secret_access_key + "\n", show=False)
    run("bob", "awsroles", "login", "stage", "--role", role, "--mfa-code", bob.mfa_code())
    story.step("and the admin takes it back", f"awsroles revoke {team} stage {role} --apply")
    run("admin", "awsroles", "-f", str(copy), "revoke", team, "stage", role, "--apply")
    story.step("a new session is refused by AWS itself", f"awsroles logout; awsroles login stage --role {role}")
    run("bob", "awsroles", "logout", show=False)
    run("bob", "awsroles", "login", "stage", "--role", role, "--mfa-code", bob.mfa_code())


def org_copy(org: Any, scratch: Path) -> Path:
    """A copy of the org file in ``scratch`` (its policy_dir made absolute), for the admin's grant
    and revoke to edit: the example stays as it is."""
    import re

    copy = scratch / "awsroles.ini"
    text = Path(org.source).read_text(encoding="utf-8")
    match = re.search(r"(?m)^policy_dir\s*=\s*(.+?)\s*$", text)
    policy_dir = (Path(org.source).parent / (match.group(1) if match else "policies")).resolve()
    line = f"policy_dir = {policy_dir}"
    text = re.sub(r"(?m)^policy_dir\s*=.*$", line, text) if match else text.replace("[org]\n", f"[org]\n{line}\n", 1)
    copy.write_text(text, encoding="utf-8")
    return copy
