"""The accounts-as-code keys of the org file (email, ou, [org] account_email and management_account):
what they mean, AWS Organizations' rules, and each mistake as one FILE:LINE problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awsroles.org.entries import Grant
from awsroles.org.model import AccountPendingError
from awsroles.org.organizations import email_problem, ou_prefixes, parse_ou_path
from awsroles.org.write import render_org_file
from tests.unit.test_orgfile import errors, valid, warnings

ORG = """\
[org]
name = acme
ops_account = ops
{org}

[account ops]
id = 111111111111

[account dev]
environment = dev
{dev}

[account prod]
id = 444444444444
environment = prod
{prod}

[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess

[team platform]
members = alice
dev = admin
prod = admin

[user alice]
"""


def org_text(org: str = "account_email = aws+{name}@acme.example", dev: str = "", prod: str = "") -> str:
    return ORG.replace("{org}", org).replace("{dev}", dev).replace("{prod}", prod)


def test_an_account_without_id_takes_the_org_email_pattern_and_is_pending() -> None:
    org = valid(org_text(dev="ou = Workloads / Dev"))
    dev = org.account("dev")
    assert (dev.id, dev.email, dev.ou, dev.pending) == ("", "aws+dev@acme.example", "Workloads/Dev", True)
    assert org.account("ops").email == "aws+ops@acme.example" and not org.account("ops").pending
    assert org.uses_accounts and org.management.name == "ops"
    assert org.pending_accounts == (dev,)


def test_an_own_email_wins_over_the_pattern() -> None:
    assert valid(org_text(dev="email = dev-root@acme.example")).account("dev").email == "dev-root@acme.example"


def test_a_file_with_ids_and_no_ou_does_not_use_accounts() -> None:
    org = valid(org_text(dev="").replace("environment = dev\n", "id = 222222222222\nenvironment = dev\n"))
    assert not org.uses_accounts


def test_the_org_as_it_exists_waits_with_the_grants_and_budgets_of_pending_accounts() -> None:
    org = valid(org_text(dev="budget = 100 USD"))
    existing = org.as_existing()
    assert existing.account("dev").environment is None
    assert existing.team("platform").grants == (Grant("prod", "admin"),)
    assert not existing.budgets and org.budgets


def test_an_account_without_id_or_email_says_how_to_fix_it() -> None:
    assert errors(org_text(org="")) == [
        "org.ini:9: [account dev] needs an id (12 digits), or an email (or [org] account_email) so that apply "
        "can create it"]


@pytest.mark.parametrize(("email", "why"), [
    ("a@b.c", "is 5 characters; AWS accepts 6 to 64"),
    ("x" * 60 + "@b.com", "is 66 characters; AWS accepts 6 to 64"),
    ("aws(dev)@acme.example", "has '(' ')' before the @, which AWS does not accept there"),
    (".dev@acme.example", "begins with a dot"),
    ("dev@acme_corp.example", "has a domain with characters other than letters, digits, '-' and '.'"),
    ("dev@-acme.example", "has a domain that begins or ends with '-' or '.'"),
    ("dev@localhost", "has a domain without a dot"),
    ("dév@acme.example", "has characters that are not 7-bit ASCII"),
    ("a@b@acme.example", "must have exactly one @"),
])
def test_emails_follow_create_accounts_rules(email: str, why: str) -> None:
    assert email_problem(email) == why
    assert errors(org_text(dev=f"email = {email}")) == [
        f"org.ini:11: email '{email}' {why} (AWS Organizations, CreateAccount)"]


def test_a_pattern_that_makes_a_bad_address_names_the_account_and_the_pattern() -> None:
    assert errors(org_text(org="account_email = aws+{name}@localhost")) == [
        "org.ini:6: email 'aws+ops@localhost' (from [org] account_email) has a domain without a dot (AWS "
        "Organizations, CreateAccount)",
        "org.ini:9: email 'aws+dev@localhost' (from [org] account_email) has a domain without a dot (AWS "
        "Organizations, CreateAccount)",
        "org.ini:13: email 'aws+prod@localhost' (from [org] account_email) has a domain without a dot (AWS "
        "Organizations, CreateAccount)"]


@pytest.mark.parametrize("pattern", ["aws@acme.example", "aws+{name}{name}@acme.example", "aws+{id}+{name}@a.example"])
def test_the_email_pattern_needs_name_once(pattern: str) -> None:
    assert errors(org_text(org=f"account_email = {pattern}"))[0].startswith(
        f"org.ini:4: account_email '{pattern}' needs {{name}} once (and no other braces)")


def test_two_accounts_with_one_address_are_refused_whatever_the_case() -> None:
    assert errors(org_text(dev="email = Root@acme.example", prod="email = root@ACME.example")) == [
        "org.ini:16: email 'root@ACME.example' is also account 'dev''s (line 11); every AWS account needs its "
        "own address"]


def test_an_account_name_apply_would_create_is_at_most_50_characters() -> None:
    name = "d" * 51
    text = org_text(dev="email = d@acme.example").replace("[account dev]", f"[account {name}]")
    text = text.replace("dev = admin\n", f"{name} = admin\n")
    text = text.replace("environment = dev", f"environment = {name}")
    assert errors(text) == [f"org.ini:9: account name '{name}' is 51 characters; AWS Organizations allows 50 for an "
                            "account name: apply could not create it"]


@pytest.mark.parametrize(("ou", "why"), [
    ("Workloads//Prod", "has an empty part: separate OU names with single '/', e.g. Workloads/Prod"),
    ("/Workloads", "has an empty part: separate OU names with single '/', e.g. Workloads/Prod"),
    ("a/b/c/d/e/f", "is 6 levels deep; AWS Organizations nests OUs at most 5 deep"),
    ("W" * 129, "has an OU name of 129 characters; AWS Organizations allows 128"),
])
def test_ou_paths_follow_organizations_rules(ou: str, why: str) -> None:
    assert errors(org_text(dev=f"ou = {ou}")) == [f"org.ini:11: ou '{ou}' {why}"]


def test_ou_paths_and_their_prefixes() -> None:
    assert parse_ou_path(" Workloads / Prod ") == (("Workloads", "Prod"), None)
    assert ou_prefixes("a/b/c") == ["a", "a/b", "a/b/c"]


def test_the_management_account_must_exist_to_create_accounts() -> None:
    text = org_text(org="account_email = aws+{name}@acme.example\nmanagement_account = dev")
    assert errors(text) == ["org.ini:5: the management account 'dev' (management_account) needs an id: apply creates "
                            "accounts and OUs from it, so it must exist already"]
    assert errors(org_text(org="account_email = aws+{name}@acme.example\nmanagement_account = payer")) == [
        "org.ini:5: management_account: undefined account 'payer'"]


def test_a_management_account_other_than_billing_is_a_warning() -> None:
    text = org_text(org="account_email = aws+{name}@acme.example\nmanagement_account = prod")
    assert valid(text).management.name == "prod"
    assert warnings(text) == ["org.ini:5: warning: management_account 'prod' is not billing_account 'ops': in AWS "
                              "Organizations the management account is the payer of the organization"]


def test_the_writer_keeps_the_new_keys() -> None:
    org = valid(org_text(dev="ou = Workloads/Dev"))
    again = valid(render_org_file(org, "policies").replace("policy_dir = policies\n", ""))
    assert again.accounts == org.accounts


@pytest.mark.parametrize("command", [["export", "terraform"], ["export", "policies"]])
def test_exports_refuse_accounts_without_ids_rather_than_write_broken_arns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    from awsroles.cli import run

    path = tmp_path / "awsroles.ini"
    path.write_text(org_text())
    assert run(["--file", str(path), *command, str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == ("awsroles: error: account dev has no id yet: `awsroles apply` creates it and "
                                       "writes its id into the org file\n")
    assert not (tmp_path / "out").exists()


def test_an_arn_in_an_account_without_id_is_refused() -> None:
    org = valid(org_text())
    with pytest.raises(AccountPendingError, match="account dev has no id yet"):
        org.role_arn("dev", "admin")
    assert org.role_arn("prod", "admin") == "arn:aws:iam::444444444444:role/awsroles/admin"


def test_validate_counts_the_accounts_apply_will_create(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from awsroles.cli import run

    path = tmp_path / "awsroles.ini"
    path.write_text(org_text())
    assert run(["--file", str(path), "validate"]) == 0
    assert "valid: 3 accounts (1 for apply to create), 2 environments, 1 roles" in capsys.readouterr().out
    assert run(["--file", str(path), "validate", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["accounts_to_create"] == 1


def test_before_apply_access_lists_the_grant_without_an_arn_and_setup_leaves_it_out() -> None:
    from awsroles.creds.setup import grants_for
    from awsroles.iam.access import access_list

    org = valid(org_text())
    rows = {(a.environment, a.account_id, a.role_arn) for a in access_list(org, user="alice")}
    assert rows == {("dev", "", ""), ("prod", "444444444444", "arn:aws:iam::444444444444:role/awsroles/admin")}
    assert [g.environment for g in grants_for(org, "alice")] == ["prod"]
