"""``awsroles users``: the command group for people; its commands live in users_*.py modules."""

from __future__ import annotations

import click

from awsroles.cli.app import LazyGroup, common_options, lazy_commands
from awsroles.render import FORMATS


@click.group(cls=LazyGroup, lazy_subcommands=lazy_commands("users"))
@common_options(forms=FORMATS)  # the global options, also between the group and its command
def users() -> None:
    """People: IAM users in the ops account, their MFA devices and access keys.

    The org file stays the single source of truth for who exists and which team they are in;
    passwords, MFA devices and keys are managed live and never written to it.

    \b
    Examples:
      awsroles users list
      awsroles users create carol --team backend --yes
      awsroles users offboard bob --dry-run
    """


@click.group(cls=LazyGroup, lazy_subcommands=lazy_commands("users mfa"))
@common_options(forms=FORMATS)  # the global options, also between the group and its command
def mfa() -> None:
    """Virtual MFA devices: enrol, reset.

    \b
    Examples:
      awsroles users mfa enroll bob --qr bob-mfa.png
      awsroles users mfa reset bob --yes
    """


@click.group(cls=LazyGroup, lazy_subcommands=lazy_commands("users keys"))
@common_options(forms=FORMATS)  # the global options, also between the group and its command
def keys() -> None:
    """Access keys: create, rotate, delete (at most two per user).

    \b
    Examples:
      awsroles users keys create bob
      awsroles users keys rotate alice --delete-old
    """
