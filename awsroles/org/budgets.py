"""The budget keys of the org file, read into :class:`~awsroles.org.entries.Budget` values.

In an environment's ``[account NAME]`` section::

    budget = 5000 USD                          ; per month
    budget_alerts = 80%, 100%, forecast 100%   ; default: [org] budget_alerts
    budget_notify = finance@acme.example       ; default: [org] budget_notify

``[org]`` may give ``budget_alerts`` and ``budget_notify`` as defaults for every budget (an
account's own key replaces the default; ``budget_alerts = none`` means no alerts). An alert is a
percentage of the budget, of the month's actual spend (``80%``, or ``actual 80%``) or of its
forecast (``forecast 100%``).

The rules are AWS Budgets' own (AWS Billing and Cost Management API Reference, "CreateBudget",
"Notification", "Spend", "Subscriber"): a cost budget's unit is USD (AWS answers any other with
"... is not in the supported unit set: [USD]"); at most 10 notifications per budget, each with at
most 10 e-mail subscribers and at least one; thresholds are percentages of at most 1,000,000%;
budget names at most 100 characters. Each mistake is one problem at its own line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from awsroles.org.builder import EMAIL, Builder
from awsroles.org.entries import Account, Budget, BudgetAlert
from awsroles.org.ini import IniKey, IniSection
from awsroles.org.marks import budget_name

CURRENCIES = ("USD",)  # what AWS Budgets accepts as a cost budget's unit
MAX_ALERTS = 10  # notifications per budget (CreateBudget: NotificationsWithSubscribers, at most 10)
MAX_RECIPIENTS = 10  # e-mail subscribers per notification
MAX_PERCENT = Decimal(1_000_000)  # "The maximum limit for your threshold is 1,000,000%"
NAME_MAX = 100  # BudgetName: 1 to 100 characters
EMAIL_MAX = 254  # the longest address SMTP carries (RFC 5321 path, less its brackets)
NONE = "none"

_AMOUNT = re.compile(r"(?P<amount>[0-9]+(?:\.[0-9]+)?)(?:\s*(?P<currency>[A-Za-z$€£¥]+))?")
_ALERT = re.compile(r"(?:(?P<kind>actual|forecasted|forecast)\s+)?(?P<percent>[0-9]+(?:\.[0-9]+)?)\s*%", re.I)
_EXAMPLE_ALERTS = "80%, 100%, forecast 100%"


@dataclass(frozen=True)
class BudgetDefaults:
    """``[org]``'s ``budget_alerts`` (None when not given) and ``budget_notify``."""

    alerts: tuple[BudgetAlert, ...] | None = None
    notify: tuple[str, ...] = ()


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def read_amount(b: Builder, key: IniKey) -> tuple[Decimal, str] | None:
    """``5000 USD`` (the currency may be left out: USD) -> (amount, currency), else a problem."""
    text = " ".join(key.value.split())
    match = _AMOUNT.fullmatch(text)
    if match is None:
        b.error(key.line, f"budget: '{text}' is not an amount: write budget = 5000 USD (a monthly amount)")
        return None
    amount = Decimal(match["amount"])
    currency = (match["currency"] or "USD").upper()
    if currency not in CURRENCIES:
        b.error(key.line, f"budget: '{text}': AWS Budgets keeps cost budgets in {', '.join(CURRENCIES)} only "
                          f"(write budget = {match['amount']} USD)")
        return None
    if amount <= 0:
        b.error(key.line, f"budget: {text}: a budget must be more than 0")
        return None
    if _decimals(amount) > 2:
        b.error(key.line, f"budget: {text}: at most two decimals (cents)")
        return None
    return amount, currency


def read_alerts(b: Builder, key: IniKey) -> tuple[BudgetAlert, ...]:
    """``80%, actual 90%, forecast 100%`` (or ``none``) -> alerts; each bad item is a problem at its line."""
    if " ".join(key.value.split()).lower() == NONE:
        return ()
    alerts: list[BudgetAlert] = []
    for item, line in b.items(key, r"[,\n]"):
        text = " ".join(item.split())
        match = _ALERT.fullmatch(text)
        if match is None:
            hint = " (a percentage of the budget)" if "%" not in text else ""
            b.error(line, f"{key.name}: '{text}' is not an alert{hint}: write e.g. {key.name} = {_EXAMPLE_ALERTS}")
            continue
        percent = Decimal(match["percent"])
        alert = BudgetAlert((match["kind"] or "actual").lower().startswith("forecast"), percent)
        if percent <= 0:
            b.error(line, f"{key.name}: '{text}': the percentage must be more than 0")
        elif percent > MAX_PERCENT:
            b.error(line, f"{key.name}: '{text}': AWS Budgets allows at most {MAX_PERCENT:,}%")
        elif _decimals(percent) > 2:
            b.error(line, f"{key.name}: '{text}': at most two decimals")
        elif alert in alerts:
            b.error(line, f"{key.name}: duplicate alert '{alert}'")
        else:
            alerts.append(alert)
    if len(alerts) > MAX_ALERTS:
        b.error(key.line, f"{key.name}: {len(alerts)} alerts; AWS Budgets allows {MAX_ALERTS} per budget")
    return tuple(sorted(alerts))


def read_notify(b: Builder, key: IniKey) -> tuple[str, ...]:
    """E-mail addresses, separated by commas or white space; each bad one is a problem at its line."""
    addresses: list[str] = []
    bad = False
    for address, line in b.items(key):
        if not EMAIL.fullmatch(address) or len(address) > EMAIL_MAX:
            b.error(line, f"{key.name}: '{address}' is not an e-mail address")
            bad = True
        elif address.lower() in (a.lower() for a in addresses):
            b.error(line, f"{key.name}: duplicate address '{address}'")
            bad = True
        else:
            addresses.append(address)
    if not addresses and not bad:
        b.error(key.line, f"{key.name} is empty: give e-mail addresses, or leave the key out")
    if len(addresses) > MAX_RECIPIENTS:
        b.error(key.line, f"{key.name}: {len(addresses)} addresses; AWS Budgets sends an alert to at most "
                          f"{MAX_RECIPIENTS} e-mail addresses")
    return tuple(addresses)


def read_defaults(b: Builder, section: IniSection | None) -> BudgetDefaults:
    """``[org]``'s budget defaults."""
    if section is None:
        return BudgetDefaults()
    keys = section.keys
    alerts = read_alerts(b, keys["budget_alerts"]) if "budget_alerts" in keys else None
    notify = read_notify(b, keys["budget_notify"]) if "budget_notify" in keys else ()
    return BudgetDefaults(alerts, notify)


def read_budgets(b: Builder, found: Sequence[tuple[str, IniSection]], accounts: Sequence[Account],
                 defaults: BudgetDefaults, org_name: str) -> list[Budget]:
    """The budget of every environment account that declares one, in file order."""
    environments = {a.name: a.environment for a in accounts}
    budgets: list[Budget] = []
    for name, section in found:
        keys = section.keys
        present = [keys[k] for k in ("budget", "budget_alerts", "budget_notify") if k in keys]
        if not present:
            continue
        environment = environments.get(name)
        if environment is None:
            if name in environments and "environment" not in keys:  # (an invalid one is reported already)
                b.error(present[0].line, f"{present[0].name}: account '{name}' holds no environment, and budgets "
                        "are per environment: put it in the environment's account")
            continue
        if "budget" not in keys:
            b.error(present[0].line, f"{present[0].name} without a budget in [{section.name}]: add "
                    "budget = AMOUNT USD")
            continue
        read = read_amount(b, keys["budget"])
        alerts = read_alerts(b, keys["budget_alerts"]) if "budget_alerts" in keys else (defaults.alerts or ())
        notify = read_notify(b, keys["budget_notify"]) if "budget_notify" in keys else defaults.notify
        line = keys["budget"].line
        if len(budget_name(org_name, environment)) > NAME_MAX:
            b.error(line, f"budget: its AWS name {budget_name(org_name, environment)} is "
                    f"{len(budget_name(org_name, environment))} characters; AWS Budgets allows {NAME_MAX} "
                    "(shorten the org or environment name)")
        if alerts and not notify:
            b.error(keys.get("budget_alerts", keys["budget"]).line,
                    f"budget of '{environment}' has alerts but nobody to send them to: add budget_notify = "
                    "ADDRESS (here, or in [org] for every budget)")
        elif notify and not alerts and "budget_notify" in keys:
            b.warn(keys["budget_notify"].line, f"budget_notify of '{environment}': the budget has no alerts, so "
                   f"nobody is ever notified (add budget_alerts = {_EXAMPLE_ALERTS})")
        if read is not None:
            budgets.append(Budget(environment, read[0], read[1], alerts, notify))
    return budgets
