"""The budget keys of the org file: what they mean, and each mistake as one FILE:LINE problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from awsroles.org.entries import Budget, BudgetAlert
from awsroles.org.marks import budget_name
from awsroles.org.write import render_org_file
from tests.unit.test_orgfile import errors, parse, valid

ORG = """\
[org]
name = acme
ops_account = ops
{org}

[account ops]
id = 111111111111
{ops}

[account dev]
id = 222222222222
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


def org_text(org: str = "", ops: str = "", dev: str = "", prod: str = "") -> str:
    return ORG.format(org=org, ops=ops, dev=dev, prod=prod)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_budget_with_its_alerts_and_addresses() -> None:
    org = valid(org_text(prod="budget = 5000 USD\nbudget_alerts = 80%, actual 100 %, forecast 100%\n"
                              "budget_notify = finance@acme.example, ops@acme.example"))
    assert org.budgets == (Budget("prod", Decimal("5000"), "USD", (
        BudgetAlert(False, Decimal("80")), BudgetAlert(False, Decimal("100")), BudgetAlert(True, Decimal("100"))),
        ("finance@acme.example", "ops@acme.example")),)
    assert org.budget("prod") is org.budgets[0] and org.budget("dev") is None
    assert org.uses_budgets
    assert [str(a) for a in org.budgets[0].alerts] == ["80%", "100%", "forecast 100%"]
    assert budget_name(org.name, "prod") == "awsroles-acme-prod"


def test_org_defaults_apply_to_every_budget_and_an_account_key_replaces_them() -> None:
    org = valid(org_text(org="budget_alerts = 90%, forecasted 100%\nbudget_notify = finance@acme.example",
                         dev="budget = 250.50", prod="budget = 5000 usd\nbudget_alerts = none\n"
                         "budget_notify =\n    cfo@acme.example\n    ops@acme.example"))
    dev, prod = org.budgets
    assert (dev.environment, dev.amount, dev.currency) == ("dev", Decimal("250.50"), "USD")
    assert dev.alerts == (BudgetAlert(False, Decimal("90")), BudgetAlert(True, Decimal("100")))
    assert dev.notify == ("finance@acme.example",)
    assert (prod.amount, prod.currency, prod.alerts, prod.notify) == (
        Decimal("5000"), "USD", (), ("cfo@acme.example", "ops@acme.example"))


def test_an_org_without_budget_keys_leaves_budgets_alone_and_org_defaults_alone_opt_in() -> None:
    assert not valid(org_text()).uses_budgets
    org = valid(org_text(org="budget_notify = finance@acme.example"))
    assert org.budgets == () and org.uses_budgets  # keeps managing (and pruning) budgets with none declared


def test_a_written_org_with_budgets_reads_back_the_same() -> None:
    org = valid(org_text(org="budget_alerts = 80%, forecast 100%\nbudget_notify = finance@acme.example",
                         dev="budget = 100 USD\nbudget_alerts = none", prod="budget = 5000.25 USD\n"
                         "budget_alerts = 50%\nbudget_notify = cfo@acme.example"))
    text = render_org_file(org, "policies")
    assert "budget = 5000.25 USD\nbudget_alerts = 50%\nbudget_notify = cfo@acme.example\n" in text
    back, problems = parse(text)
    assert back == org, [str(p) for p in problems]


@pytest.mark.parametrize(("value", "message"), [
    ("5000 EUR", "budget: '5000 EUR': AWS Budgets keeps cost budgets in USD only (write budget = 5000 USD)"),
    ("5000 €", "budget: '5000 €': AWS Budgets keeps cost budgets in USD only (write budget = 5000 USD)"),
    ("0 USD", "budget: 0 USD: a budget must be more than 0"),
    ("0.00", "budget: 0.00: a budget must be more than 0"),
    ("12.345 USD", "budget: 12.345 USD: at most two decimals (cents)"),
    ("five thousand", "budget: 'five thousand' is not an amount: write budget = 5000 USD (a monthly amount)"),
    ("-5 USD", "budget: '-5 USD' is not an amount: write budget = 5000 USD (a monthly amount)"),
    ("", "budget: '' is not an amount: write budget = 5000 USD (a monthly amount)"),
])
def test_a_bad_amount_is_one_line_at_its_own_line(value: str, message: str) -> None:
    text = org_text(prod=f"budget = {value}")
    assert errors(text) == [f"org.ini:{line_of(text, 'budget =')}: {message}"]


@pytest.mark.parametrize(("value", "message"), [
    ("80", "budget_alerts: '80' is not an alert (a percentage of the budget): write e.g. budget_alerts = "
           "80%, 100%, forecast 100%"),
    ("soon 80%", "budget_alerts: 'soon 80%' is not an alert: write e.g. budget_alerts = 80%, 100%, forecast 100%"),
    ("4000 USD", "budget_alerts: '4000 USD' is not an alert (a percentage of the budget): write e.g. "
                 "budget_alerts = 80%, 100%, forecast 100%"),
    ("0%", "budget_alerts: '0%': the percentage must be more than 0"),
    ("1000001%", "budget_alerts: '1000001%': AWS Budgets allows at most 1,000,000%"),
    ("80.125%", "budget_alerts: '80.125%': at most two decimals"),
])
def test_a_bad_alert_is_one_line(value: str, message: str) -> None:
    text = org_text(prod=f"budget = 5000 USD\nbudget_alerts = 50%, {value}\nbudget_notify = a@acme.example")
    assert errors(text) == [f"org.ini:{line_of(text, 'budget_alerts')}: {message}"]


def test_each_bad_item_of_a_list_is_reported_at_its_own_line() -> None:
    text = org_text(prod="budget = 5000 USD\nbudget_alerts =\n    80%\n    forecast 100%\n    80.0%\n"
                         "budget_notify =\n    finance@acme.example\n    not-an-address\n    FINANCE@acme.example")
    assert errors(text) == [
        f"org.ini:{line_of(text, '80.0%')}: budget_alerts: duplicate alert '80%'",
        f"org.ini:{line_of(text, 'not-an-address')}: budget_notify: 'not-an-address' is not an e-mail address",
        f"org.ini:{line_of(text, 'FINANCE@')}: budget_notify: duplicate address 'FINANCE@acme.example'",
    ]


def test_aws_budgets_quotas() -> None:
    alerts = ", ".join(f"{n}%" for n in range(10, 120, 10))  # 11 alerts
    addresses = ", ".join(f"p{n}@acme.example" for n in range(11))
    text = org_text(prod=f"budget = 5000 USD\nbudget_alerts = {alerts}\nbudget_notify = {addresses}")
    assert errors(text) == [
        f"org.ini:{line_of(text, 'budget_alerts')}: budget_alerts: 11 alerts; AWS Budgets allows 10 per budget",
        f"org.ini:{line_of(text, 'budget_notify')}: budget_notify: 11 addresses; AWS Budgets sends an alert to at "
        "most 10 e-mail addresses",
    ]


def test_where_budget_keys_may_be() -> None:
    text = org_text(ops="budget = 100 USD", dev="budget_alerts = 80%")
    assert errors(text) == [
        f"org.ini:{line_of(text, 'budget = 100')}: budget: account 'ops' holds no environment, and budgets are per "
        "environment: put it in the environment's account",
        f"org.ini:{line_of(text, 'budget_alerts')}: budget_alerts without a budget in [account dev]: add "
        "budget = AMOUNT USD",
    ]
    typo = org_text(prod="budgets = 100 USD")
    assert errors(typo) == [f"org.ini:{line_of(typo, 'budgets')}: unknown key 'budgets' in [account prod] "
                            "(did you mean 'budget'?)"]


def test_alerts_need_someone_to_tell_and_addresses_without_alerts_warn() -> None:
    text = org_text(prod="budget = 5000 USD\nbudget_alerts = 80%")
    assert errors(text) == [f"org.ini:{line_of(text, 'budget_alerts')}: budget of 'prod' has alerts but nobody to "
                            "send them to: add budget_notify = ADDRESS (here, or in [org] for every budget)"]
    quiet = org_text(prod="budget = 5000 USD\nbudget_notify = a@acme.example")
    org, problems = parse(quiet)
    assert org is not None and [str(p) for p in problems if not p.is_error] == [
        f"org.ini:{line_of(quiet, 'budget_notify')}: warning: budget_notify of 'prod': the budget has no alerts, so "
        "nobody is ever notified (add budget_alerts = 80%, 100%, forecast 100%)"]
    empty = org_text(org="budget_notify =", prod="budget = 1")
    assert errors(empty) == [f"org.ini:{line_of(empty, 'budget_notify')}: budget_notify is empty: give e-mail "
                             "addresses, or leave the key out"]


def test_the_aws_name_fits_in_100_characters() -> None:
    env = "e" * 90
    text = org_text().replace("environment = prod", f"environment = {env}").replace("prod = admin", f"{env} = admin")
    text = text.replace(f"environment = {env}\n", f"environment = {env}\nbudget = 1 USD\n")
    assert errors(text) == [f"org.ini:{line_of(text, 'budget = 1')}: budget: its AWS name awsroles-acme-{env} is "
                            "104 characters; AWS Budgets allows 100 (shorten the org or environment name)"]
