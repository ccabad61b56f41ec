"""``awsroles demo --identity-center``: the same story, with people in IAM Identity Center.

alice signs in once (a code approved in the browser, here by the sandbox as she would click
"Allow") and works in prod; bob is refused prod; an admin grants bob's team stage and takes it
back, and AWS itself refuses bob's next session; finance's report is the same. Every step runs
the real ``awsroles`` command against the sandbox, as in :mod:`awsroles.cli.demo`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.iam.checks import check_org

CODE = re.compile(r"the code ([A-Z0-9]{4,}-[A-Z0-9]{4,})")


def identity_center_demo(app: App, story: Any, path: Path, out: Path) -> int:
    from awsroles.cli.demo import _commands, argv_of, environments, plan_apply_story
    from awsroles.sandbox.client import sso_start_url
    from awsroles.sandbox.process import Sandbox

    story.step("Check the org file", f"awsroles -f {path} validate")
    org, problems = check_org(path)
    for problem in problems:
        app.warn(str(problem))
    if org is None:
        return ExitCode.USAGE
    envs = ", ".join(f"{env} ({account.id})" for env, account in org.environments.items())
    home = org.identity_center_home
    story.say(f"{org.name}: people sign in to IAM Identity Center in {home.name} ({home.id}) and switch into "
              f"roles in {envs}.")
    story.say(f"{len(org.roles)} roles (permission sets), {len(org.teams)} teams (groups), {len(org.users)} users; "
              "no IAM user, no access key.")

    story.step("Start a sandbox AWS on this machine", "awsroles sandbox start")
    with Sandbox(path) as box:
        story.say(f"moto server at {box.endpoint}: the organization, its accounts and an Identity Center instance")
        if not plan_apply_story(app, story, org, box):
            return ExitCode.FAILURE

        url = sso_start_url(box.endpoint, home.id, org.identity_center_region_name)
        scratch = Path(tempfile.mkdtemp(prefix="awsroles-demo-"))
        try:
            run = _commands(story, box, scratch)
            env_of = environments(box, scratch)

            def sign_in(person: str, *argv: str, allow: bool = True) -> subprocess.CompletedProcess[str]:
                """``argv`` as ``person``; when it shows a sign-in code, ``person`` approves it as in
                the browser (the sandbox's verification page)."""
                from awsroles.sandbox.client import approve_device

                process = subprocess.Popen(argv_of(argv), env=env_of(person), stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE, text=True, start_new_session=True)
                assert process.stderr is not None
                seen = []
                for line in process.stderr:
                    seen.append(line)
                    story.say(f"  {line.rstrip()}")
                    found = CODE.search(line)
                    if found:
                        approve_device(box.endpoint, found.group(1), person, allow=allow)
                        story.say(f"  ({person} checks the code {found.group(1)} in the browser and clicks "
                                  f"{'Allow' if allow else 'Deny'})")
                        break
                stdout, stderr = process.communicate(timeout=120)
                for line in (stdout + stderr).splitlines():
                    story.say(f"  {line}")
                return subprocess.CompletedProcess(process.args, process.returncode, stdout, "".join(seen) + stderr)

            story.step("alice sets up her laptop: one sign-in in the browser, no key",
                       "awsroles setup --identity-center")
            story.say(f"(the access portal URL, {url}, comes from the org file's identity_center_start_url; "
                      "the sandbox's is passed with --start-url)")
            sign_in("alice", "awsroles", "setup", "--identity-center", "--start-url", url, "--store", "plaintext")
            story.step("alice works in prod as admin: no new sign-in", "awsroles login prod --role admin")
            run("alice", "awsroles", "login", "prod", "--role", "admin")
            aws_cli = shutil.which("aws")
            probe = ["aws", "sts", "get-caller-identity", "--output", "text"] if aws_cli else [
                sys.executable, "-c", "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"]
            story.step("and runs a command there", f"awsroles exec prod --role admin -- {' '.join(probe[:3])}")
            run("alice", "awsroles", "exec", "prod", "--role", "admin", "--", *probe)

            story.step("bob signs in too, and is refused prod (he deleted a prod load balancer)",
                       "awsroles login prod --role admin")
            sign_in("bob", "awsroles", "setup", "--identity-center", "--start-url", url, "--store", "plaintext")
            run("bob", "awsroles", "login", "prod", "--role", "admin")
            _grant_story(story, run, org, scratch, url)

            story.step("profiles for the AWS CLI and every SDK", "awsroles profiles sync")
            run("alice", "awsroles", "profiles", "sync")
            profile = f"{org.name}-prod-admin"
            story.step("the AWS CLI, through credential_process", f"aws sts get-caller-identity --profile {profile}")
            if aws_cli:
                run("alice", aws_cli, "sts", "get-caller-identity", "--profile", profile, "--output", "text")
            else:
                run("alice", sys.executable, "-c", "import boto3; print(boto3.Session(profile_name="
                    f"'{profile}').client('sts').get_caller_identity()['Arn'])")
            out.mkdir(parents=True, exist_ok=True)
            story.step("finance pulls last month's bill per environment: nothing changes for them", "awsroles costs")
            run("admin", "awsroles", "costs")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        story.step("Stop the sandbox", "awsroles sandbox stop")
    story.say("stopped; nothing was left running.")
    return ExitCode.OK


def _grant_story(story: Any, run: Any, org: Any, scratch: Path, url: str) -> None:
    """An admin grants bob's team stage, bob uses it (no new sign-in), the admin takes it back and
    IAM Identity Center refuses bob's next session."""
    from awsroles.cli.demo import org_copy

    copy = org_copy(org, scratch)
    team = next((t.name for t in org.teams if "bob" in t.members), None)
    if team is None or "stage" not in org.environments:
        return
    role = "readonly" if any(r.name == "readonly" for r in org.roles) else org.roles[0].name
    story.step("an admin grants bob's team stage", f"awsroles grant {team} stage {role} --apply")
    run("admin", "awsroles", "-f", str(copy), "grant", team, "stage", role, "--apply")
    story.step("bob picks up his new grant (no new sign-in) and uses it",
               f"awsroles setup --identity-center; awsroles login stage --role {role}")
    run("bob", "awsroles", "-f", str(copy), "setup", "--identity-center", "--start-url", url, "--store",
        "plaintext", show=False)
    run("bob", "awsroles", "login", "stage", "--role", role)
    story.step("and the admin takes it back", f"awsroles revoke {team} stage {role} --apply")
    run("admin", "awsroles", "-f", str(copy), "revoke", team, "stage", role, "--apply")
    story.step("a new session is refused by AWS itself", f"awsroles logout stage; awsroles login stage --role {role}")
    run("bob", "awsroles", "logout", "stage", show=False)
    run("bob", "awsroles", "login", "stage", "--role", role)
