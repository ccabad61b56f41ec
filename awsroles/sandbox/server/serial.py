"""One request at a time: moto's data is not safe for concurrent requests; AWS's is.

AWS serves any number of concurrent requests, and ``awsroles apply`` sends them: up to four IAM
changes of an account at once, and the accounts in parallel. moto keeps each backend's data in
plain dicts and iterates them while serving (``IAMBackend.get_role`` walks ``roles.values()``), so
a ``CreateRole`` served beside an ``AttachRolePolicy`` in the same account can fail the attach with
``RuntimeError: dictionary changed size during iteration``: an error AWS never gives. (Seen about
once in 500 in-process applies of the classic org, under load.)

:func:`patch_one_request_at_a_time` serves each request whole before the next one starts, with one
re-entrant lock per process: around the handler ``mock_aws`` puts in botocore (the in-process
library tests) and around moto's server application (the sandbox server's threads), so a test
that uses both in one process is covered too. :func:`serialized` wraps the sandbox's own routes
in the same lock. Requests still arrive concurrently and each sees the effect of those before it,
which is what AWS promises for a single request; what the lock loses is only concurrency inside
the sandbox, which is idle most of the time.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

LOCK = threading.RLock()


def serialized(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, run while holding the process's one moto lock."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with LOCK:
            return function(*args, **kwargs)

    setattr(run, "_awsroles_serialized", True)  # noqa: B010
    return run


def patch_one_request_at_a_time() -> Callable[[], None]:
    """Serialize moto's in-process handler and its server application; returns the undo."""
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    patched: list[tuple[type, Callable[..., Any]]] = []
    for cls in (BotocoreStubber, DomainDispatcherApplication):
        original = cls.__call__
        if getattr(original, "_awsroles_serialized", False):
            continue  # installed already (a sandbox server inside a test that also uses mock_aws)
        setattr(cls, "__call__", serialized(original))  # noqa: B010
        patched.append((cls, original))

    def undo() -> None:
        for cls, original in reversed(patched):
            setattr(cls, "__call__", original)  # noqa: B010

    return undo
