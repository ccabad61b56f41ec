"""``awsroles users``: the command group for people; its commands live in users_*.py modules."""

from __future__ import annotations

from awsroles.cli.app import cli


@cli.group()
def users() -> None:
    """People: IAM users in the ops account, their MFA devices and access keys.

    The org file stays the single source of truth for who exists and which team they are in;
    passwords, MFA devices and keys are managed live and never written to it.
    """


@users.group()
def mfa() -> None:
    """Virtual MFA devices: enrol, reset."""


@users.group()
def keys() -> None:
    """Access keys: create, rotate, delete (at most two per user)."""
