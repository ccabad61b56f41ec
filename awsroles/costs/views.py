"""Which part of the bill a report shows: ``--env`` and ``--account``.

Names are checked against the accounts the report maps (the org file, then Organizations) before
any paid request: an unknown name is a UsageError (exit 2) with a did-you-mean. Environments are
the report's rows: the org file's and the tagged ones, plus ``shared`` and ``unmapped`` (with or
without their parentheses). Accounts are named as the org file (or Organizations) names them, or
by their 12-digit id (an id the org does not know is allowed: its costs are in ``(unmapped)``).
Both options take several names, repeated or comma-separated; together they keep the accounts
named that are in the environments named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from awsroles.costs.model import SHARED, UNMAPPED, AccountInfo
from awsroles.errors import UsageError
from awsroles.org.builder import did_you_mean

_SPECIAL = {"shared": SHARED, SHARED: SHARED, "unmapped": UNMAPPED, UNMAPPED: UNMAPPED}


def names(values: Iterable[str]) -> tuple[str, ...]:
    """``("prod,stage", "dev")`` -> ``("prod", "stage", "dev")``: repeated options and comma lists, once each."""
    out: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if name and name not in out:
                out.append(name)
    return tuple(out)


@dataclass(frozen=True)
class Selection:
    """The rows and accounts a report keeps (empty: all), and how a title names them."""

    rows: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.rows and not self.accounts

    def keeps(self, account_id: str, row: str) -> bool:
        return (not self.rows or row in self.rows) and (not self.accounts or account_id in self.accounts)

    def only(self, known: Mapping[str, AccountInfo]) -> tuple[str, ...] | None:
        """The report rows to show: those named, or those of the accounts named; None for all."""
        if self.everything:
            return None
        if self.rows:
            return self.rows
        return tuple(dict.fromkeys(_row(known, account) for account in self.accounts))


def _row(known: Mapping[str, AccountInfo], account_id: str) -> str:
    info = known.get(account_id)
    return info.row if info is not None else UNMAPPED


def select(environments: Sequence[str], accounts: Sequence[str], known: Mapping[str, AccountInfo]) -> Selection:
    """The Selection of ``--env`` and ``--account`` values (already split: :func:`names`) against ``known``."""
    rows = list(dict.fromkeys(info.row for info in known.values() if info.environment))
    choices = [*rows, SHARED, UNMAPPED]
    kept_rows: list[str] = []
    for name in environments:
        row = _SPECIAL.get(name.lower()) or next((r for r in rows if r.lower() == name.lower()), None)
        if row is None:
            raise UsageError(f"--env: unknown environment '{name}'{did_you_mean(name, choices)}; "
                             f"one of {', '.join(choices)}")
        kept_rows.append(row)
    by_name: dict[str, list[str]] = {}
    for info in known.values():
        by_name.setdefault(info.name.lower(), []).append(info.id)
    kept_accounts: list[str] = []
    labels: list[str] = list(dict.fromkeys(kept_rows))
    for name in accounts:
        if name.isdigit() and len(name) == 12:
            ids = [name]
        else:
            ids = by_name.get(name.lower(), [])
            if not ids:
                known_names = sorted({info.name for info in known.values() if info.name != info.id})
                raise UsageError(f"--account: unknown account '{name}'{did_you_mean(name, known_names)}; "
                                 f"name one of {', '.join(known_names) or 'none'}, or give its 12-digit id")
            if len(ids) > 1:
                raise UsageError(f"--account: '{name}' names {len(ids)} accounts ({', '.join(ids)}): give the id")
        account = ids[0]
        row = _row(known, account)
        if kept_rows and row not in kept_rows:
            raise UsageError(f"--account {name}: it is in {row}, not in --env {', '.join(kept_rows)}")
        kept_accounts.append(account)
        found = known.get(account)
        labels.append(f"account {found.name if found is not None else account}")
    return Selection(tuple(dict.fromkeys(kept_rows)), tuple(dict.fromkeys(kept_accounts)), tuple(labels))
