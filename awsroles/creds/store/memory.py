"""The in-memory store: tests (and anything that must not touch the disk)."""

from __future__ import annotations

from awsroles.creds.store.base import check_name


class MemoryStore:
    """A dict, for tests (and for the sandbox when nothing may touch the disk)."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self._data: dict[str, dict[str, str]] = {}

    def __repr__(self) -> str:
        return f"MemoryStore({sum(len(v) for v in self._data.values())} secrets)"

    def get(self, namespace: str, key: str) -> str | None:
        check_name(namespace, key)
        return self._data.get(namespace, {}).get(key)

    def set(self, namespace: str, key: str, value: str) -> None:
        check_name(namespace, key)
        self._data.setdefault(namespace, {})[key] = value

    def delete(self, namespace: str, key: str) -> None:
        check_name(namespace, key)
        self._data.get(namespace, {}).pop(key, None)

    def keys(self, namespace: str) -> list[str]:
        check_name(namespace, "-")
        return sorted(self._data.get(namespace, {}))
