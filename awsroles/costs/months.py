"""Which months a cost report covers: ``--month`` or ``--from``/``--to``; for Cost Explorer, checked
against its history (a CUR export or an Athena table has no such limit)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from awsroles.errors import UsageError

TODAY_VARIABLE = "AWSROLES_TODAY"  # pins the day awsroles takes as today (docs, tests, the sandbox's bill)

# Cost Explorer keeps the current month plus 13 months back by default (38 with multi-year data).
HISTORY_MONTHS = 14  # the current month and the 13 before it
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, option: str = "--month") -> str:
    """``"2026-10"`` -> ``"2026-10"``; anything else is a UsageError naming the option."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise UsageError(f"{option}: '{text}' is not a month; write it as YYYY-MM, e.g. 2026-10")
    return f"{match.group(1)}-{match.group(2)}"


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def today(environ: Mapping[str, str], clock: Callable[[], date] = date.today) -> date:
    """The day a cost report takes as today: ``$AWSROLES_TODAY`` (YYYY-MM-DD) when set, else ``clock()``.
    Pinning it gives the same months, the same open month and the same forecast day on any date (the
    docs' outputs, a report as it stood on a given day); a sandbox started with it keeps its bill there."""
    text = environ.get(TODAY_VARIABLE, "").strip()
    if not text:
        return clock()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"${TODAY_VARIABLE}: '{text}' is not a day; write it as YYYY-MM-DD, e.g. 2026-11-29, "
                         "or unset it") from None


def days(month: str, today: date) -> tuple[str, ...]:
    """The days of ``month`` a daily report covers: all of them, or, for the current month, those
    before today (today's costs are still coming in)."""
    year, number = int(month[:4]), int(month[5:7])
    last = calendar.monthrange(year, number)[1]
    if month == month_of(today):
        last = today.day - 1
    return tuple(f"{month}-{d:02d}" for d in range(1, last + 1))


def periods(months: Sequence[str], granularity: str, today: date) -> tuple[str, ...]:
    """The report's periods: the months, or with ``daily`` their days (:func:`days`)."""
    if granularity == "daily":
        return tuple(day for month in months for day in days(month, today))
    return tuple(months)


def last_complete_month(today: date) -> str:
    return _month(_index(month_of(today)) - 1)


def start_date(month: str) -> str:
    """The first day of ``month`` (Cost Explorer's inclusive Start)."""
    return f"{month}-01"


def end_date(month: str) -> str:
    """The first day of the next month (Cost Explorer's exclusive End)."""
    return f"{_month(_index(month) + 1)}-01"


def is_closed(month: str, today: date) -> bool:
    """True when the month is entirely in the past (it may still be estimated for a few days)."""
    return _index(month) < _index(month_of(today))


def month_range(first: str, last: str) -> tuple[str, ...]:
    return tuple(_month(i) for i in range(_index(first), _index(last) + 1))


def resolve(month: str | None, from_: str | None, to: str | None, today: date,
            history: int | None = HISTORY_MONTHS) -> tuple[str, ...]:
    """The months a report covers, oldest first. ``today`` is the clock (a parameter, for tests).

    ``history``: how many months back the source keeps, counting the current one (Cost Explorer:
    HISTORY_MONTHS; None for a source without a limit, such as a CUR export).
    """
    if month is not None and (from_ is not None or to is not None):
        raise UsageError("--month cannot be combined with --from/--to")
    current = month_of(today)
    months: tuple[str, ...]
    if month is not None:
        months = (parse_month(month),)
    elif from_ is not None or to is not None:
        first = parse_month(from_, "--from") if from_ is not None else None
        last = parse_month(to, "--to") if to is not None else last_complete_month(today)
        if first is None:
            raise UsageError("--to needs --from (or use --month for a single month)")
        if _index(first) > _index(last):
            raise UsageError(f"--from {first} is after --to {last}: the range is reversed")
        months = month_range(first, last)
    else:
        months = (last_complete_month(today),)
    if _index(months[-1]) > _index(current):
        raise UsageError(f"{months[-1]} is in the future (this month is {current})")
    if history is None:
        return months
    oldest = _month(_index(current) - (history - 1))
    if _index(months[0]) < _index(oldest):
        raise UsageError(f"{months[0]} is beyond Cost Explorer's history: it keeps the current month and the "
                         f"{history - 1} before it ({oldest} to {current}); older months need a CUR export "
                         "(--source cur)")
    return months
