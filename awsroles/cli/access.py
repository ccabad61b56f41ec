"""``awsroles access``: who can assume what (its ``review`` lives in access_review.py)."""

from __future__ import annotations

import click

from awsroles.cli.app import App, LazyGroup, common_options, lazy_commands
from awsroles.cli.complete import complete_org_environments, complete_org_roles, complete_teams, complete_users
from awsroles.errors import ExitCode, UsageError
from awsroles.iam.access import access_list, matrix
from awsroles.org.builder import did_you_mean
from awsroles.render import TABLE_FORMS, Result, Table


@click.group(cls=LazyGroup, lazy_subcommands=lazy_commands("access"), invoke_without_command=True)
@common_options(forms=TABLE_FORMS)
@click.option("--by", type=click.Choice(["user", "team"]), default="user", show_default=True,
              help="One line per user or per team.")
@click.option("--user", "-u", shell_complete=complete_users, help="Only this user.")
@click.option("--team", "-t", shell_complete=complete_teams, help="Only this team.")
@click.option("--env", "-e", "environment", shell_complete=complete_org_environments, help="Only this environment.")
@click.option("--role", "-r", shell_complete=complete_org_roles, help="Only this role.")
@click.pass_context
def access(ctx: click.Context, by: str, user: str | None, team: str | None, environment: str | None,
           role: str | None) -> int:
    """Who can assume which role in which environment, from the org file.

    The table is a matrix (users or teams by environment); JSON and CSV list one line per
    user, environment, role and the team that grants it; temporary grants (not yet expired)
    add their id and `until`, and show in the table as "ROLE until TIME"; break-glass roles
    show for the people their sections name as "ROLE (break-glass)" (JSON: "break_glass": true;
    CSV: team "(break-glass)"), never under a team.

    \b
    Examples:
      awsroles access                       the whole matrix, by user
      awsroles access --env prod            who can touch prod?
      awsroles access --by team -o csv > access.csv
      awsroles access review --since 90d    who used what lately (see: access review --help)
    """
    if ctx.invoked_subcommand is not None:
        given = [f"--{name}" for name, value in (("by", by != "user"), ("user", user), ("team", team),
                                                 ("env", environment), ("role", role)) if value]
        if given:
            raise UsageError(f"{', '.join(given)}: options of `awsroles access`, not of "
                             f"`awsroles access {ctx.invoked_subcommand}`")
        return ExitCode.OK
    app = ctx.ensure_object(App)
    org = app.load_org()
    for value, choices, what in (
        (user, [u.name for u in org.users], "user"),
        (team, [t.name for t in org.teams], "team"),
        (environment, list(org.environments), "environment"),
        (role, [r.name for r in org.roles] + [g.role for g in org.break_glass], "role"),
    ):
        if value is not None and value not in choices:
            raise UsageError(f"unknown {what} '{value}'{did_you_mean(value, choices)}")
    rows = access_list(org, user=user, team=team, environment=environment, role=role, break_glass=True)
    columns, grid = matrix(org, rows, by, [environment] if environment else None)
    flat = Table(["user", "team", "environment", "role", "account_id", "role_arn"],
                 [[a.user, "(break-glass)" if a.break_glass else a.team, a.environment, a.role, a.account_id,
                   a.role_arn] for a in rows])
    notes = [] if rows else ["nobody matches"]
    app.render(Result(data=[a.as_dict() for a in rows], tables=[Table(columns, grid)] if rows else [],
                      csv=flat, notes=notes))
    return ExitCode.OK
