"""Seeding a fresh sandbox server from an org file, and giving its people what a person has.

:func:`seed` turns a fresh server into the org: the organization and its accounts with the org
file's own ids, the bootstrap role in each environment account, an admin IAM user in the ops
account whose access key the sandbox hands out, and a synthetic bill for Cost Explorer. Then it
turns on moto's IAM authorization, so identity policies are enforced from then on.
:func:`enroll_person` then gives a user that ``awsroles apply`` made an access key and a virtual
MFA device, as a person would have.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from awsroles.org.entries import Account
from awsroles.org.model import Org
from awsroles.sandbox.client import (
    SandboxCredentials,
    SandboxError,
    advance_clock,
    enable_iam_authorization,
    mfa_windows,
    sandbox_aws,
    sandbox_route,
)
from awsroles.sandbox.console_org import build_console_org
from awsroles.sandbox.server.main import SERVER_MODULE
from awsroles.sandbox.server.mfa import TOTP_STEP
from awsroles.sandbox.server.patches import account_email

if TYPE_CHECKING:  # boto3 is imported only where it is used
    from awsroles.aws import Aws, Hook

ADMIN_USER = "sandbox-admin"
ADMIN_PATH = "/sandbox/"  # not the org's path: awsroles must never manage (or delete) this user
ENVIRONMENT_TAG = "Environment"
_SEED_KEYS = ("sandbox-seed", "sandbox-seed")  # any key works until authorization is on


def _admin_policy(org: Org) -> str:
    return f"arn:{org.partition}:iam::aws:policy/AdministratorAccess"


def _paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def _create_organization(seeder: Aws, org: Org, *, bare: bool = False) -> list[Account]:
    """The organization, managed from the management account; returns the accounts it created:
    every account with an id (those without are for ``apply`` to create), none when ``bare``."""
    management = org.management
    orgs = seeder.client("organizations", seeder.for_account(management.id, org.bootstrap_role))
    with contextlib.suppress(orgs.exceptions.AlreadyInOrganizationException):
        orgs.create_organization(FeatureSet="ALL")
    existing = {a["Id"] for a in _paginate(orgs, "list_accounts", "Accounts")}
    created = []
    for account in org.accounts:
        if account.pending or (bare and account.name != management.name):
            continue
        tags = [{"Key": ENVIRONMENT_TAG, "Value": account.environment}] if account.environment else []
        if account.id in existing:
            if tags:
                orgs.tag_resource(ResourceId=account.id, Tags=tags)
            continue
        status = orgs.create_account(Email=account_email(org.name, account.name, account.id),
                                     AccountName=account.name, RoleName=org.bootstrap_role, Tags=tags)
        request = status["CreateAccountStatus"]
        while request["State"] == "IN_PROGRESS":  # the sandbox answers SUCCEEDED on the first poll
            request = orgs.describe_create_account_status(CreateAccountRequestId=request["Id"])["CreateAccountStatus"]
        made = request.get("AccountId")
        if made != account.id:
            raise SandboxError(f"the server made account {made} for '{account.name}' instead of {account.id}: "
                               f"it is not an awsroles sandbox server (see {SERVER_MODULE})")
        existing.add(made)
        created.append(account)
    return created


def _bootstrap_roles(seeder: Aws, org: Org, created: Sequence[Account]) -> None:
    """The bootstrap role, with AdministratorAccess, in every environment account (trusting ops
    and billing), and in every account Organizations created (as AWS does; trusting billing)."""
    created_ids = {a.id for a in created}
    for account in org.accounts:
        if account.pending or (not account.environment and account.id not in created_ids):
            continue
        trusted = dict.fromkeys([org.billing.id, *([org.ops.id] if account.environment else [])])
        trust = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:{org.partition}:iam::{i}:root" for i in trusted]},
                "Action": "sts:AssumeRole",
            }],
        }
        iam = seeder.client("iam", seeder.for_account(account.id, org.bootstrap_role))
        try:
            iam.create_role(RoleName=org.bootstrap_role, AssumeRolePolicyDocument=json.dumps(trust),
                            Description="awsroles sandbox: how awsroles reaches this account")
        except iam.exceptions.EntityAlreadyExistsException:
            iam.update_assume_role_policy(RoleName=org.bootstrap_role, PolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName=org.bootstrap_role, PolicyArn=_admin_policy(org))


def _admin_user(seeder: Aws, org: Org, name: str, account: Account) -> SandboxCredentials:
    iam = seeder.client("iam", seeder.for_account(account.id, org.bootstrap_role))
    user = iam.create_user(UserName=name, Path=ADMIN_PATH,
                           Tags=[{"Key": "purpose", "Value": "awsroles sandbox admin"}])["User"]
    iam.attach_user_policy(UserName=name, PolicyArn=_admin_policy(org))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return SandboxCredentials(key["AccessKeyId"], key["SecretAccessKey"], account.id, user["Arn"])


def _check_authorization(endpoint: str, org: Org, admin: SandboxCredentials) -> None:
    """Authorization is on: the admin gets in, the seeding keys (no IAM user) do not."""
    from botocore.exceptions import ClientError

    identity = sandbox_aws(endpoint, admin, org.region).client("sts").get_caller_identity()
    if identity["Account"] != admin.account_id:
        raise SandboxError(f"the sandbox admin landed in account {identity['Account']}, not {admin.account_id}")
    try:
        sandbox_aws(endpoint, _SEED_KEYS, org.region).client("iam").list_users()
    except ClientError:
        return
    raise SandboxError("moto still accepts unknown keys: IAM authorization is not on")


COST_WEIGHTS = {"prod": 5.0, "production": 5.0, "stage": 2.0, "staging": 2.0, "dev": 1.5}
COST_CENTERS = {"prod": "product", "production": "product"}  # the other environments: "engineering"
COST_MONTHS = 13
TODAY_VARIABLE = "AWSROLES_TODAY"  # as awsroles.costs.months reads it: the bill's today, pinned


def seed_costs(endpoint: str, org: Org, months: int = COST_MONTHS, today: str | None = None) -> None:
    """A synthetic consolidated bill for the org's billing account: ``months`` months up to the
    current one (which Cost Explorer reports as estimated), every account of the org, bigger for
    prod than for dev, with every kind of charge (discounts, Savings Plans, a reservation, tax,
    credits, a refund, support), a ``team`` tag and a ``CostCenter`` cost category (product for prod,
    engineering for the other environments, none for the accounts outside them), so every column and
    view of ``awsroles costs`` has something in it (:mod:`awsroles.sandbox.server.costs`).
    Deterministic: the same org gives the same bill. ``today`` (default ``$AWSROLES_TODAY``): the day
    the bill takes as today, so that it stays the same on any date."""
    existing = [a for a in org.accounts if not a.pending]  # apply creates the others: they have no bill yet
    accounts = {a.id: COST_WEIGHTS.get(a.environment or "", 1.0 if a.environment else 0.4) for a in existing}
    categories = {a.id: COST_CENTERS.get(a.environment, "engineering") for a in existing if a.environment}
    pinned = today if today is not None else os.environ.get(TODAY_VARIABLE, "").strip()
    sandbox_route(endpoint, "costs", {"payer": org.billing.id, "accounts": accounts, "months": months,
                                      "categories": categories, **({"today": pinned} if pinned else {})})


def check_bare(org: Org) -> None:
    """A bare sandbox holds the management account alone: every other account must be one that
    ``apply`` creates (no id), else the org file names accounts that would not exist."""
    management = org.management
    if management.pending:
        raise SandboxError(f"--bare starts from the management account '{management.name}', which needs an id in "
                           "the org file")
    others = [a for a in org.accounts if a.name != management.name and not a.pending]
    if others:
        named = ", ".join(f"'{a.name}' ({a.id})" for a in others)
        raise SandboxError(f"--bare starts from the management account alone, but the org file gives {named} an id: "
                           "leave the id out for apply to create the account (with an email, or [org] account_email)")


def seed(endpoint: str, org: Org, *, admin_user: str = ADMIN_USER, hooks: Sequence[Hook] = (),
         bare: bool = False, console: bool = False) -> SandboxCredentials:
    """Turn the fresh moto server at ``endpoint`` into ``org``; return the admin's credentials.

    In order: the organization (from the management account) and every other account that has
    an id in the org file, with that id, environment accounts tagged ``Environment=<env>``; the
    bootstrap role; the admin user ``/sandbox/<admin_user>`` in ops with AdministratorAccess and an
    access key; 13 months of cost data for the billing account (:func:`seed_costs`); then moto's IAM
    authorization, checked. Everything goes over HTTP through :class:`Aws`.

    ``bare``: the organization with its management account alone (no other account, no role, no
    bill), the admin in the management account: where ``awsroles apply`` creates the rest
    (accounts as code). Every other account of the org file must be without an id (:func:`check_bare`).

    ``console``: also an org made by hand in the console, at IAM path ``/`` (users, groups that may
    assume roles, roles in the environment accounts: :mod:`awsroles.sandbox.console_org`), for
    ``awsroles import`` to adopt.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    if bare and console:
        raise SandboxError("a bare sandbox has no environment accounts to hold a console-made org")
    if bare:
        check_bare(org)
    seeder = sandbox_aws(endpoint, _SEED_KEYS, org.region, hooks=hooks)
    try:
        created = _create_organization(seeder, org, bare=bare)
        if not bare:
            _bootstrap_roles(seeder, org, created)
        admin = _admin_user(seeder, org, admin_user, org.management if bare else org.ops)
        if not bare:
            seed_costs(endpoint, org)
        if console:
            build_console_org(org, lambda a: seeder.client("iam", seeder.for_account(a.id, org.bootstrap_role)))
        # Later seed data goes here, before authorization is on.
        enable_iam_authorization(endpoint)
        _check_authorization(endpoint, org, admin)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SandboxError(f"seeding the sandbox at {endpoint} failed: {exc.operation_name}: "
                           f"{error.get('Code', '?')}: {error.get('Message', '')} "
                           "(seed needs a fresh awsroles sandbox server)") from exc
    except BotoCoreError as exc:
        raise SandboxError(f"seeding the sandbox at {endpoint} failed: {exc}") from exc
    return admin


# -- people ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonCredentials:
    """What a person gets in the sandbox: a long-term access key and a virtual MFA device.

    Fake and in plaintext, like everything the sandbox hands out (see the module docstring).
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    mfa_serial: str
    totp_seed: str = field(repr=False)  # base32, as an authenticator app stores it
    user_arn: str
    endpoint: str = field(default="", compare=False)  # the sandbox that checks the codes

    def mfa_code(self, at: float | None = None) -> str:
        """A code the sandbox accepts now, or the code the authenticator shows at Unix time ``at``.

        The sandbox, like AWS, takes each code once and also accepts the previous and the next
        30-second code. Without ``at``, this is one of those three that the sandbox has not
        seen used, by the sandbox's clock (asked at :attr:`endpoint`): the current code, else the
        next, else the previous one while it has a few seconds left. When all three are taken,
        it moves the sandbox's clock on to the next 30 seconds, which is what waiting for a new
        code would do to the sandbox, without the wait. So a test may log in several times a
        minute. A code computed otherwise (``pyotp.TOTP(seed).now()``) may be one this handed
        out and the sandbox took already. Without an endpoint: the current code by this
        machine's clock."""
        import pyotp

        totp = pyotp.TOTP(self.totp_seed, interval=TOTP_STEP)
        if at is not None:
            return totp.at(at)
        if not self.endpoint:
            return totp.now()
        return totp.at(fresh_mfa_window(self.endpoint, self.mfa_serial) * TOTP_STEP)


PREVIOUS_CODE_MARGIN = 10.0  # seconds the previous code must still be valid for to be handed out


def fresh_mfa_window(endpoint: str, serial: str) -> int:
    """The TOTP window of a code for ``serial`` that the sandbox at ``endpoint`` accepts and has not
    seen used, by its clock, which this moves on to the next window when the three it accepts
    are all taken (see :meth:`PersonCredentials.mfa_code`); the current window by this machine's
    clock when the sandbox does not answer."""
    try:
        now, used = mfa_windows(endpoint, serial)
    except SandboxError:
        return int(time.time() // TOTP_STEP)
    for _ in range(3):
        window, left = int(now // TOTP_STEP), TOTP_STEP - now % TOTP_STEP
        candidates = [window, window + 1] + ([window - 1] if left > PREVIOUS_CODE_MARGIN else [])
        for candidate in candidates:
            if candidate not in used:
                return candidate
        advance_clock(endpoint, math.ceil(left * 1000) / 1000 + 0.001)  # the next window, at once
        now, used = mfa_windows(endpoint, serial)
    raise SandboxError(f"the sandbox at {endpoint} has no unused MFA code for {serial}")


def enroll_person(aws_admin: Aws, org: Org, user: str) -> PersonCredentials:
    """Give the IAM user ``user`` (made by ``awsroles apply``) an access key and a virtual MFA
    device named after them, enabled with two consecutive codes from its seed, as a person
    enrolling an authenticator app would. ``aws_admin`` acts as the sandbox admin."""
    import pyotp

    iam = aws_admin.client("iam", aws_admin.for_account(org.ops.id, org.bootstrap_role))
    try:
        arn = iam.get_user(UserName=user)["User"]["Arn"]
    except iam.exceptions.NoSuchEntityException as exc:
        raise SandboxError(f"no IAM user '{user}' in the ops account ({org.ops.id}): "
                           "run `awsroles apply` first") from exc
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    raw = device["Base32StringSeed"]
    seed = raw.decode("ascii") if isinstance(raw, bytes) else str(raw)
    totp = pyotp.TOTP(seed)
    now = time.time()
    iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - totp.interval), AuthenticationCode2=totp.at(now))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return PersonCredentials(key["AccessKeyId"], key["SecretAccessKey"], device["SerialNumber"], seed, arn,
                             endpoint=aws_admin.settings.endpoint_url or "")
