"""Values longer than a keyring entry holds, split into chunks and checked when read back.

Values longer than ``max_chunk`` UTF-16 code units (Windows' credential store holds about 1,280)
are split into ``key``, ``key#1``, ``key#2``..., the first one starting with
``awsroles-chunks:N:<sha256 prefix>:``; they are reassembled and checked on read
(:class:`awsroles.creds.store.keyring_store.KeyringStore`).
"""

from __future__ import annotations

import hashlib

DEFAULT_MAX_CHUNK = 1200  # UTF-16 code units; Windows' credential store holds 1,280 (2,560 bytes)
CHUNK_PREFIX = "awsroles-chunks:"


def _units(text: str) -> int:
    """Length in UTF-16 code units, what Windows' limit counts."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _split(value: str, first: int, rest: int) -> list[str]:
    """Split into parts of at most ``first`` then ``rest`` UTF-16 units, never inside a character."""
    if value.isascii():
        parts = [value[:first]]
        parts.extend(value[i:i + rest] for i in range(first, len(value), rest))
        return parts
    parts = []
    current: list[str] = []
    size, limit = 0, first
    for char in value:
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, rest
        current.append(char)
        size += width
    parts.append("".join(current))
    return parts


def value_digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _header(count: int, digest: str) -> str:
    return f"{CHUNK_PREFIX}{count}:{digest}:"


def chunk(value: str, max_chunk: int) -> list[str]:
    """``value`` as the entries to store under ``key``, ``key#1``...: one entry when it fits
    (and does not itself look like a header), else a header-prefixed first entry and the rest."""
    if _units(value) <= max_chunk and not value.startswith(CHUNK_PREFIX):
        return [value]
    digest, count = value_digest(value), 1
    for _ in range(5):  # the header grows with the count's digits: converges in two rounds
        parts = _split(value, max_chunk - len(_header(count, digest)), max_chunk)
        if len(parts) == count:
            break
        count = len(parts)
    parts[0] = _header(count, digest) + parts[0]
    return parts


def parse_header(first: str) -> tuple[int, str, str] | None:
    """(count, digest, first data) from a chunked first entry, or None if it is not one."""
    if not first.startswith(CHUNK_PREFIX):
        return None
    fields = first[len(CHUNK_PREFIX):].split(":", 2)
    if len(fields) != 3 or not fields[0].isdigit() or int(fields[0]) < 1 or len(fields[1]) != 16:
        raise ValueError("bad chunk header")
    return int(fields[0]), fields[1], fields[2]
