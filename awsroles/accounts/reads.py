"""What the readers of the organization (state.py) and of its SCPs (scps.py) share: every page of a
read, and a resource's tags."""

from __future__ import annotations

from typing import Any


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
