"""awsroles.org.write, as exact text: every key render_org_file writes, where it goes, and when it is
left out (a default, an address the ``account_email`` pattern gives, an account's budget settings
that are the org's). The round-trip tests (tests/unit/test_org_write.py) compare models, which a
key written needlessly, or in another order, gets past; these compare the file."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from awsroles.iam.checks import load_org, parse_org
from awsroles.org.model import Org
from awsroles.org.write import LIST_WIDTH, render_org_file
from tests.conftest import EXAMPLES, REPO

HEADER = ["written by a test", "", "with an empty line above"]
ACCOUNT_EMAIL = "aws+{name}@acme.example"

# Every key render_org_file writes, in the order it writes them: it reads back and writes out the same.
FULL = """\
; written by a test
;
; with an empty line above

[org]
name = acme
region = eu-west-1
ops_account = ops
billing_account = mgmt
management_account = mgmt
mfa = required
mfa_max_age = 6h
mfa_enrollment = self
session_duration = 2h
bootstrap_role = Bootstrap
path = /people/
policy_dir = policies
account_email = aws+{name}@acme.example
user_boundary = arn:aws:iam::aws:policy/PowerUserAccess
identity = iam-users, identity-center
identity_center_account = mgmt
identity_center_region = eu-central-1
guardrails = deny-leave-organization
scp_files = deny-s3.json
tags = CostCenter=42
security_contact = Sam Roe | CISO | sam@acme.example | 555
budget_alerts = 80%, forecast 100%
budget_notify = finance@acme.example

[account mgmt]
id = 111111111111

[account ops]
id = 555555555555
email = ops-root@acme.example
description = IAM users, nothing else

[account dev]
id = 222222222222
ou = Workloads/Dev
environment = dev
budget = 100 USD
budget_alerts = none
budget_notify = dev-lead@acme.example
guardrails = allowed-regions eu-west-1
scp_files = deny-s3.json

[account prod]
ou = Workloads
environment = prod
budget = 5000 USD
budget_alerts = 50%

[ou Workloads]
guardrails = protect-awsroles
scp_files = deny-s3.json

[ou Workloads/Dev]
scp_files = deny-s3.json

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
max_session = 2h

[role builder]
path = /
replaces = /Developer
managed = arn:aws:iam::aws:policy/PowerUserAccess
policies = deny-iam-writes.json
customer_managed = deny-iam, /team/deny-billing
boundary = arn:aws:iam::aws:policy/PowerUserAccess
max_session = 4h
description = Build and run services

[role viewer]
retires = /ReadOnly
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
max_session = 8h

[team platform]
group = /Platform
move_from = /old/
description = Runs the platform
members = alice, bob
dev = admin, builder
prod = viewer

[user alice]
path = /
move_from = /legacy/
email = alice@acme.example
tags = Department=Platform
console = yes
boundary = people-boundary
display_name = Alice Liddell
given_name = Alice
family_name = Liddell

[user bob]
email = bob@acme.example
"""

DENY_S3 = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:PutBucketPublicAccessBlock", '\
    '"Resource": "*"}]}'


def full_org(tmp_path: Path) -> Org:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "deny-iam-writes.json").write_text((REPO / "policies" / "deny-iam-writes.json").read_text())
    (policies / "deny-s3.json").write_text(DENY_S3)
    org, problems = parse_org(FULL, str(tmp_path / "awsroles.ini"), tmp_path)
    assert org is not None, problems
    return org


def test_every_key_is_written_in_its_place(tmp_path: Path) -> None:
    assert render_org_file(full_org(tmp_path), "policies", HEADER, ACCOUNT_EMAIL) == FULL


def test_the_org_alone_without_alerts_or_mfa(tmp_path: Path) -> None:
    org = replace(full_org(tmp_path), mfa_required=False, budget_alerts=(), budget_notify=())
    text = render_org_file(org, "policies", (), ACCOUNT_EMAIL)
    assert text.startswith("[org]\n")
    assert "\nmfa = optional\n" in text
    assert "security_contact = Sam Roe | CISO | sam@acme.example | 555\nbudget_alerts = none\n\n[account mgmt]" in text


def test_the_defaults_are_left_out() -> None:
    """The classic example: no identity, tags, contacts, budgets, SCPs, paths or boundaries to write;
    the keys it leaves to their defaults (mfa_enrollment, path) are written with them."""
    example = (EXAMPLES / "classic.ini").read_text()
    org_part = ("[org]\nname = acme\nregion = us-east-1\nops_account = ops\nbilling_account = ops\nmfa = required\n"
                "mfa_max_age = 12h\nmfa_enrollment = admin\nsession_duration = 1h\n"
                "bootstrap_role = OrganizationAccountAccessRole\npath = /awsroles/\npolicy_dir = ../policies\n")
    rest = example[example.index("\n[account ops]"):]
    assert render_org_file(load_org(EXAMPLES / "classic.ini"), "../policies") == org_part + rest


def test_an_account_without_an_address_gets_no_email_line() -> None:
    text = render_org_file(load_org(EXAMPLES / "classic.ini"), "../policies", (), ACCOUNT_EMAIL)
    assert "account_email = aws+{name}@acme.example\n" in text
    assert not re.search(r"^email = (?!\w+@acme\.example$)", text, re.MULTILINE)  # only the people's


def test_a_list_goes_on_continuation_lines_only_past_the_width() -> None:
    org = load_org(EXAMPLES / "classic.ini")
    team = org.teams[0]
    fits = ("a" * 44, "b" * 44)  # "members = " + 44 + ", " + 44: exactly LIST_WIDTH
    over = ("c" * 45, "d" * 45)  # two items, one character over
    text = render_org_file(replace(org, teams=(replace(team, name="fits", members=fits),
                                               replace(team, name="over", members=over))), "../policies")
    assert len(f"members = {', '.join(fits)}") == LIST_WIDTH
    assert f"[team fits]\ndescription = Runs the platform\nmembers = {', '.join(fits)}\n" in text
    assert (f"[team over]\ndescription = Runs the platform\nmembers =\n    {over[0]}\n    {over[1]}\n"
            "dev = admin\n") in text
