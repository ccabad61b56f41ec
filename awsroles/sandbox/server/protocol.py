"""What the patches need of moto's request handling: a request's parameters, and an error raised
while a request is authenticated, formatted as moto formats its own there."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any


def param(data: Mapping[str, Any], name: str) -> str | None:
    """A request parameter (moto keeps query parameters as lists)."""
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


@functools.cache
def auth_error() -> type[Exception]:
    """An error at authentication time (HTTP 403), formatted as moto formats its own there."""
    from moto.core.exceptions import InvalidClientTokenIdError

    class AuthError(InvalidClientTokenIdError):
        def __init__(self, code: str, message: str) -> None:
            super(InvalidClientTokenIdError, self).__init__(code, message)

    return AuthError
