"""``awsroles init``: a starter org file in this folder."""

from __future__ import annotations

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.errors import ExitCode
from awsroles.render import Result


@click.command()
@common_options
@pass_app
def init(app: App) -> int:
    """Write a starter org file, awsroles.ini, here (or at --file), with its policy files.

    The starter is the classic example (three environments, three roles, two teams, two people)
    with comments saying what to change; it validates as written. Nothing is ever overwritten.

    \b
    Examples:
      awsroles init && awsroles validate
      awsroles -f org/awsroles.ini init
    """
    from awsroles.org.starter import write_starter

    written = write_starter(app.org_path)
    org_file = written[0]
    app.render(Result({"files": [str(path) for path in written]}, notes=[
        f"Wrote {', '.join(str(path) for path in written)}.",
        f"Next: put your account ids and people in {org_file}, then `awsroles validate`"
        + ("" if str(org_file) == "awsroles.ini" else f" (with -f {org_file})")
        + "; try it on the local sandbox: `awsroles sandbox start`.",
    ]))
    return ExitCode.OK
