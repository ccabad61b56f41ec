"""Durations as people write them in the org file: ``12h``, ``90m``, ``1h30m``, ``3600``."""

from __future__ import annotations

import re

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"([0-9]+)([dhms])")
_WHOLE = re.compile(r"(?:[0-9]+[dhms])+")
_MAX_DIGITS = 12  # far beyond any sensible duration; keeps int() and str() away from huge numbers


def parse_duration(text: str) -> int:
    """Return the duration in seconds; raise ValueError with a readable message."""
    value = text.strip().lower()
    if not value or not ((value.isascii() and value.isdigit()) or _WHOLE.fullmatch(value)):
        raise ValueError(f"invalid duration {text.strip()!r} (use e.g. 12h, 90m, 1h30m or seconds)")
    if any(len(n) > _MAX_DIGITS for n in re.findall("[0-9]+", value)):
        raise ValueError(f"duration {text.strip()!r} is too long")
    if value.isdigit():
        return int(value)
    return sum(int(n) * _UNITS[u] for n, u in _PART.findall(value))


def format_duration(seconds: int) -> str:
    """The shortest canonical spelling: 3600 -> '1h', 5400 -> '1h30m', 45 -> '45s'."""
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)
