"""``awsroles validate``."""

from __future__ import annotations

from typing import Any

import click

from awsroles.cli.app import App, common_options, pass_app, shown
from awsroles.errors import ExitCode
from awsroles.iam.checks import ORG_CHECKS
from awsroles.org.model import Org
from awsroles.org.parse import check_org
from awsroles.render import Result


@click.command()
@common_options
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@pass_app
def validate(app: App, strict: bool) -> int:
    """Check the org file; report every problem as FILE:LINE: message.

    Exits 0 when the file is valid, 2 when it has errors (or warnings, with --strict). With -v,
    each team's policy: its form (per-environment, per-role for a team granted roles in many
    environments, or managed when even that outgrows the group's inline room), its size and the
    room IAM leaves it.

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
    teams = _team_policies(org) if valid and org is not None else {}
    if app.verbose:
        notes += [_team_line(name, t) for name, t in teams.items()]
    if app.output == "table":  # problems go to stderr, as compilers print them; JSON carries them
        for problem in problems:
            app.warn(str(problem))
        if not valid:
            count = len([p for p in problems if p.is_error]) if not strict else len(problems)
            app.warn(f"{shown(path)}: {count} {'problem' if count == 1 else 'problems'}")
    data = {"file": str(path), "valid": valid, "summary": summary, "problems": [p.as_dict() for p in problems],
            "team_policies": teams}
    app.render(Result(data=data, notes=notes))
    return ExitCode.OK if valid else ExitCode.USAGE


def _team_policies(org: Org) -> dict[str, dict[str, Any]]:
    """Each team's policy as apply writes it (temporary grants included; accounts still to create
    measured as the size checks measure them): its form, its size in characters and the room IAM
    leaves it in its group (none in an org on Identity Center alone)."""
    from datetime import datetime, timezone

    from awsroles.iam import policies
    from awsroles.iam.checks import measured
    from awsroles.org import limits

    if not org.uses_iam_users:
        return {}
    org = measured(org)
    temporary = org.active_temporary(datetime.now(timezone.utc))
    out: dict[str, dict[str, Any]] = {}
    for team in org.teams:
        document = policies.team_policy(org, team, temporary)  # no statement: not written at all
        out[team.name] = {"form": policies.team_policy_form(org, team, temporary),
                          "size": policies.policy_size(document) if document["Statement"] else 0,
                          "room": policies.TEAM_POLICY_ROOM}
        parts = policies.team_managed_policies(org, team, temporary)
        if parts:  # the managed form: the grants in customer managed policies, the rest inline
            out[team.name].update(managed_sizes=[policies.policy_size(p) for p in parts],
                                  managed_room=limits.MANAGED_POLICY_MAX,
                                  managed_max=policies.TEAM_MANAGED_POLICIES_MAX)
    return out


def _team_line(name: str, t: dict[str, Any]) -> str:
    """``validate -v``'s line for a team's policy: its form, size and room."""
    inline = f"{t['size']} of {t['room']} characters ({t['room'] - t['size']} left)"
    if "managed_sizes" not in t:
        return f"team {name}: {t['form']} form, {inline}"
    sizes = t["managed_sizes"]
    return (f"team {name}: managed form, {len(sizes)} of at most {t['managed_max']} managed policies of "
            f"{', '.join(str(n) for n in sizes)} of {t['managed_room']} characters; inline {inline}")
