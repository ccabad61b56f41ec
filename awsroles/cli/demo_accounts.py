"""The demo's second act: accounts as code, from an organization holding its management account
alone (``awsroles sandbox start --bare``) to new accounts, OUs and guardrails, and a person logging
in to one of the new accounts (docs/accounts.md tells the same story, command by command)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from awsroles.cli.app import App

# The org file of the act: the ops account (the management account too) exists; dev and prod do
# not, so they have no id: apply creates them, in their OUs, under the guardrails.
BARE_ORG = """\
; Acme, from an organization with only its management account.
[org]
name = acme
ops_account = ops                          ; the management account too
account_email = aws+{name}@acme.example    ; the root address of each account apply creates
guardrails = deny-leave-organization

[account ops]
id = 111111111111

[account dev]                              ; no id: apply creates it
environment = dev
ou = Workloads/Dev

[account prod]
environment = prod
ou = Workloads/Prod

[ou Workloads]
guardrails = protect-awsroles, deny-root-user

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[team platform]
members = alice
dev = admin
prod = admin

[user alice]
email = alice@acme.example
"""


class Story(Protocol):
    def step(self, title: str, command: str = "") -> None: ...
    def say(self, text: str = "") -> None: ...


Commands = Callable[..., Any]  # run(person, *argv, stdin=None, show=True): a real command, shown in the story


def accounts_act(app: App, story: Story, box: Any, scratch: Path,
                 commands_for: Callable[[Path], Commands]) -> bool:
    """The act, on the running sandbox ``box`` (reset bare); files in ``scratch``. ``commands_for(home)``
    gives the runner of real commands once the sandbox is reset (its admin has new keys). False
    when apply failed."""
    from awsroles.cli.planview import show_plan, show_result
    from awsroles.iam.checks import load_org
    from awsroles.sandbox.seed import enroll_person
    from awsroles.sync.engine import Engine

    org_path = scratch / "awsroles.ini"
    org_path.write_text(BARE_ORG, encoding="utf-8")
    story.step("From an empty organization: the management account alone, and an org file whose other "
               "accounts do not exist yet", "awsroles sandbox start --bare")
    box.reset(org_path, bare=True)
    org = load_org(org_path)
    story.say(f"{org_path.name}: ops ({org.ops.id}) exists; dev and prod have no id, an OU each (Workloads/...) "
              "and guardrails (SCPs).")

    engine = Engine(org, box.aws())
    story.step("What would change? OUs, accounts and guardrails first", "awsroles plan")
    plan = engine.plan()
    show_plan(app, engine, plan)

    story.step("Organizations creates the accounts; their ids go into the org file", "awsroles apply --yes")
    result = engine.apply(plan, progress=lambda message: story.say(f"  {message}"))
    show_result(app, result)
    if not result.ok:
        return False
    ids = ", ".join(f"{name} ({account_id})" for name, account_id in engine.recorded.items())
    story.say(f"wrote the ids of {ids} into {org_path.name}, keeping its comments")

    story.step("then IAM in the new accounts, planned now that they exist", "(the same awsroles apply)")
    then = Engine(load_org(org_path), box.aws())
    plan = then.plan()
    show_plan(app, then, plan)
    result = then.apply(plan)
    show_result(app, result)
    if not result.ok:
        return False

    run = commands_for(scratch)
    alice = enroll_person(box.aws(), then.org, "alice")
    run("alice", "awsroles", "setup", "--access-key-id", alice.access_key_id, "--secret-stdin", "--store",
        "plaintext", stdin=alice.secret_access_key + "\n", show=False)
    code = alice.mfa_code()
    story.step("alice works in the prod account apply just made",
               f"awsroles exec prod --role admin --mfa-code {code} -- aws sts get-caller-identity")
    run("alice", "awsroles", "exec", "prod", "--role", "admin", "--mfa-code", code, "--", *_caller_identity())
    return True


def _caller_identity() -> list[str]:
    import shutil
    import sys

    if shutil.which("aws"):
        return ["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]
    return [sys.executable, "-c", "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"]
