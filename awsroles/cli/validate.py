"""``awsroles validate``."""

from __future__ import annotations

import click

from awsroles.cli.app import App, common_options, pass_app, shown
from awsroles.errors import ExitCode
from awsroles.iam.checks import ORG_CHECKS
from awsroles.org.parse import check_org
from awsroles.render import Result


@click.command()
@common_options
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@pass_app
def validate(app: App, strict: bool) -> int:
    """Check the org file; report every problem as FILE:LINE: message.

    Exits 0 when the file is valid, 2 when it has errors (or warnings, with --strict).

    \b
    Examples:
      awsroles validate
      awsroles -f examples/large.ini validate --strict
      awsroles validate -o json | jq '.problems[]'
    """
    from awsroles.accounts.checks import check_scps

    path = app.org_path
    org, problems = check_org(path, checks=(*ORG_CHECKS, check_scps))
    errors = [p for p in problems if p.is_error or strict]
    valid = org is not None and not errors
    summary = {}
    if org is not None:
        summary = {
            "accounts": len(org.accounts),
            "environments": len(org.environments),
            "roles": len(org.roles),
            "teams": len(org.teams),
            "users": len(org.users),
            "budgets": len(org.budgets),
            "accounts_to_create": len(org.pending_accounts),
        }
    notes: list[str] = []
    if valid:
        budgets = f", {summary['budgets']} budget{'s' if summary['budgets'] != 1 else ''}" if summary["budgets"] else ""
        pending = summary["accounts_to_create"]
        created = f" ({pending} for apply to create)" if pending else ""
        notes.append(f"{shown(path)}: valid: {summary['accounts']} accounts{created}, {summary['environments']} "
                     f"environments, {summary['roles']} roles, {summary['teams']} teams, {summary['users']} "
                     f"users{budgets}")
    if app.output == "table":  # problems go to stderr, as compilers print them; JSON carries them
        for problem in problems:
            app.warn(str(problem))
        if not valid:
            count = len([p for p in problems if p.is_error]) if not strict else len(problems)
            app.warn(f"{shown(path)}: {count} {'problem' if count == 1 else 'problems'}")
    data = {"file": str(path), "valid": valid, "summary": summary, "problems": [p.as_dict() for p in problems]}
    app.render(Result(data=data, notes=notes))
    return ExitCode.OK if valid else ExitCode.USAGE
