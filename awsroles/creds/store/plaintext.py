"""Secrets in a plaintext JSON file: only when explicitly asked for (the sandbox, throwaway machines)."""

from __future__ import annotations

import json
from pathlib import Path

from awsroles.creds.store.base import StoreError
from awsroles.creds.store.files import FileStore, Secrets, secrets_from
from awsroles.errors import UsageError


class PlaintextFileStore(FileStore):
    """Secrets in a JSON file (0600 in a 0700 directory), readable by anyone who can read the file.
    Only for when the user explicitly asks (the sandbox, throwaway machines)."""

    def __init__(self, path: Path, *, i_understand_this_is_plaintext: bool = False) -> None:
        if not i_understand_this_is_plaintext:
            raise UsageError("the plaintext store keeps secrets unencrypted on disk; it is used only when "
                             "asked for explicitly (`--store plaintext`)")
        super().__init__(path)
        self.name = f"plaintext file {path} (not encrypted)"

    def _load(self, raw: bytes) -> Secrets:
        try:
            data = json.loads(raw)
            if data.get("format") != "awsroles-plaintext-secrets" or data.get("version") != 1:
                raise ValueError("not an awsroles secrets file")
            return secrets_from(data["secrets"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StoreError(f"{self.path} is not a readable awsroles secrets file", "corrupt") from None

    def _dump(self, secrets: Secrets) -> bytes:
        document = {"format": "awsroles-plaintext-secrets", "version": 1, "secrets": secrets}
        return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")
