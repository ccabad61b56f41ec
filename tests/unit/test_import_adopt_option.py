"""``import --adopt``: which kinds are adopted in place, and what is refused (exit code 2)."""

from __future__ import annotations

from typing import Any

import pytest

from awsroles.errors import UsageError
from awsroles.importer.build import ImportOptions, collect, parse_adopt


def test_kinds_and_all() -> None:
    assert parse_adopt("users=in-place, roles=in-place") == ({"users", "roles"}, set())
    assert parse_adopt("all=in-place") == ({"users", "teams", "roles"}, set())


@pytest.mark.parametrize(("text", "message"), [
    ("roles=elsewhere", "expected KIND=ROUTE, KIND one of users, teams, roles or all, ROUTE in-place"),
    ("groups=in-place", "expected KIND=ROUTE, KIND one of users, teams, roles or all"),
    ("users", "expected KIND=ROUTE"),
])
def test_what_is_refused(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_adopt(text)


def test_identity_center_has_nothing_to_adopt_and_nothing_is_asked_of_aws() -> None:
    class NoAws:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"AWS was asked ({name})")

    with pytest.raises(UsageError, match="an Identity Center import has none"):
        collect(NoAws(), ImportOptions(identity_center=True, adopt=frozenset({"users"})))  # type: ignore[arg-type]
