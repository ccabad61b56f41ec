"""What desired state gives IAM to the letter where a plan test would not notice a change: the
break-glass role's description and inline policies, the self-service policy's description, the
email tag, a boundary reference that names no policy, and the digests stored on the resources
awsroles made (a digest that changes between versions would make every role and user drift).
Written against the mutation run of awsroles/iam/desired.py (bench/mutation.py, docs/benchmarks.md)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from awsroles.iam.desired import (
    DIGEST_TAG,
    AccountSpec,
    boundary_arn,
    desired_state,
    role_digest,
    user_digest,
)
from awsroles.org.model import Org
from awsroles.org.parse import parse_org

TEXT = """
[org]
name = t
ops_account = ops
path = /awsroles/
[account ops]
id = 111111111111
[account prod]
id = 333333333333
environment = prod
[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
[team a]
members = bob, alice
prod = admin
[user alice]
email = alice@example.com
[user bob]
[break-glass prod]
people = bob, alice
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
policies = zeta.json, alpha.json
"""

ZETA = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
ALPHA = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}


def _org(tmp_path: Path) -> Org:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "zeta.json").write_text(json.dumps(ZETA))
    (tmp_path / "policies" / "alpha.json").write_text(json.dumps(ALPHA))
    org, problems = parse_org(TEXT, "t.ini", tmp_path)
    assert org is not None, problems
    return org


def _spec(org: Org, account: str) -> AccountSpec:
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    return next(s for s in desired_state(org, now=now) if s.account.name == account)


def test_the_break_glass_role_says_who_may_use_it_and_carries_its_policies_by_name(tmp_path: Path) -> None:
    org = _org(tmp_path)
    glass = next(r for r in _spec(org, "prod").roles if r.name == org.break_glass_in("prod").role)
    # IAM stores the description; the console and `aws iam get-role` show it to whoever looks.
    assert glass.description == "Break-glass: bob, alice only, with MFA and a reason; every use alarms"
    assert glass.managed == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    # the inline policies by their file names, sorted, each with its own document
    assert [(p.name, json.loads(p.document)) for p in glass.inline] == [("alpha", ALPHA), ("zeta", ZETA)]
    assert glass.path == "/awsroles/"


def test_the_self_service_policy_and_the_email_tag_are_what_iam_stores(tmp_path: Path) -> None:
    ops = _spec(_org(tmp_path), "ops")
    (policy,) = ops.policies
    assert policy.description == "Lets each user manage their own password, MFA device and access keys"
    tags = {u.name: dict(u.tags) for u in ops.users}
    assert tags["alice"]["email"] == "alice@example.com"
    assert "email" not in tags["bob"]


def test_a_boundary_reference_that_names_no_policy_gives_no_arn(tmp_path: Path) -> None:
    org = _org(tmp_path)
    prod = org.account("prod")
    assert boundary_arn(org, prod, "") == ""
    power = "arn:aws:iam::aws:policy/PowerUserAccess"
    assert boundary_arn(org, prod, power) == power
    assert boundary_arn(org, prod, "/limits/dev-boundary") == "arn:aws:iam::333333333333:policy/limits/dev-boundary"
    # the org file's reader refuses such a reference; called directly, it is no boundary, not an error
    assert boundary_arn(org, prod, "/team/no spaces") == ""


# Pinned: the digests awsroles stores as the `awsroles-digest` tag on the roles and users it makes.
# The same settings must hash the same in every later version, or every role and user made before
# an upgrade would be reported as changed by hand. Non-ASCII text (IAM descriptions take Latin-1,
# tags any Unicode letter) is hashed as UTF-8, not as \u escapes; a role or user without a boundary
# hashes as it did before boundaries existed (no "boundary" key: checked against 43394c3^'s code).
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
                                                  "Action": "sts:AssumeRole"}]}


@pytest.mark.parametrize(("boundary", "expected"), [
    ("", "072f409ae48ff589"),
    ("arn:aws:iam::aws:policy/PowerUserAccess", "06ef4d9595267dfb"),
])
def test_a_roles_digest_is_stable_across_versions(boundary: str, expected: str) -> None:
    digest = role_digest("/awsroles/", TRUST, 3600, "Accès en lecture, équipe données",
                         ("arn:aws:iam::aws:policy/ReadOnlyAccess",), {"extra": ZETA}, boundary)
    assert digest == expected


@pytest.mark.parametrize(("boundary", "expected"), [
    ("", "ce6db9b262500f6f"),
    ("arn:aws:iam::111111111111:policy/limits/people", "c17fe5a1d513d104"),
])
def test_a_users_digest_is_stable_across_versions(boundary: str, expected: str) -> None:
    tags = {"managed-by": "awsroles", "name": "Zoë Müller", DIGEST_TAG: "ignored", "awsroles-disabled-keys": "x"}
    assert user_digest("/awsroles/", ("awsroles-everyone", "team-a"), tags, boundary) == expected
