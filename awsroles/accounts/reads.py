"""What the readers of the organization (state.py) and of its SCPs (scps.py) share: every page of a
read, a resource's tags, and :func:`bounded_map`, which runs reads of many accounts, OUs or
policies a few at a time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Calls in flight at once by default: `awsroles plan/apply --parallel N` sets it. Throttling
# (TooManyRequestsException) is retried by botocore's retry mode (awsroles.aws), not here.
CONCURRENCY = 8


def bounded_map(fn: Callable[[T], R], items: Sequence[T], limit: int = CONCURRENCY) -> list[R]:
    """``[fn(item) for item in items]``, at most ``limit`` calls at once, results in ``items``' order.

    When calls fail, the error of the earliest item (in ``items``' order) that failed is raised,
    as it was raised, after the calls already running have ended; the calls not yet started are
    not made. ``limit`` 1 (or a single item) runs in the caller's thread, one after another.
    """
    if limit <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(limit, len(items)))
    try:
        futures: list[Future[R]] = [pool.submit(fn, item) for item in items]
        wait(futures, return_when=FIRST_EXCEPTION)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after a failure: the calls not started never start
    return [future.result() for future in futures]  # the earliest failure in items' order raises


def pages(client: Any, operation: str, key: str, **params: Any) -> tuple[list[Any], int]:
    """Every item of a paginated Organizations read, and the calls it took."""
    items, calls = [], 0
    for page in client.get_paginator(operation).paginate(**params):
        calls += 1
        items.extend(page.get(key, []))
    return items, calls


def tags_of(client: Any, resource: str) -> tuple[dict[str, str], int]:
    """A resource's tags (an account, an OU, a policy), and the calls it took."""
    items, calls = pages(client, "list_tags_for_resource", "Tags", ResourceId=resource)
    return {t["Key"]: t["Value"] for t in items}, calls
