"""Durations as people write them in the org file."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsroles.org.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("12h", 43200),
        ("90m", 5400),
        ("1h30m", 5400),
        ("3600", 3600),
        ("45s", 45),
        ("1d", 86400),
        ("1d12h", 129600),
        ("2h0m", 7200),
        ("0", 0),
        ("0s", 0),
        ("  2h  ", 7200),
        ("2H", 7200),
        ("1H30M", 5400),
        ("1m1h", 3660),  # order is not enforced; parts add up
        ("007m", 420),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "   ", "h", "1 hour", "1h 30m", "-1h", "+1h", "1.5h", "2h30", "1w", "1x", "one", "1h-", "h1", "1e3", "0x10",
     "²", "٣", "1٣h", "１h", "1_000"],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_parse_duration_message_names_the_text_and_the_syntax() -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(" 1 hour ")
    assert str(info.value) == "invalid duration '1 hour' (use e.g. 12h, 90m, 1h30m or seconds)"


@pytest.mark.parametrize("text", ["9" * 13, "9" * 13 + "h", "1h" + "9" * 5000 + "s", "9" * 4301 + "d"])
def test_parse_duration_rejects_absurd_numbers_without_crashing(text: str) -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(text)


def test_parse_duration_accepts_twelve_digits() -> None:
    assert parse_duration("999999999999") == 999_999_999_999
    assert format_duration(parse_duration("999999999999d")) == f"{999_999_999_999 * 24}h"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (1, "1s"), (45, "45s"), (60, "1m"), (900, "15m"), (3600, "1h"), (3601, "1h1s"), (5400, "1h30m"),
     (3661, "1h1m1s"), (43200, "12h"), (86400, "24h"), (129600, "36h")],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_format_then_parse_round_trips(seconds: int) -> None:
    text = format_duration(seconds)
    assert parse_duration(text) == seconds
    assert format_duration(parse_duration(text)) == text
    assert parse_duration(str(seconds)) == seconds


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=30))
def test_parse_duration_raises_only_value_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        assert "\n" not in str(exc) or "\n" in text
    else:
        assert seconds >= 0
        assert text.strip().isascii()
