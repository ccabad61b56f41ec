"""One encrypted file for headless machines: AES-256-GCM with a key derived by scrypt from a
passphrase (``AWSROLES_PASSPHRASE`` or a terminal prompt)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from awsroles.creds.store.base import StoreError, check_name
from awsroles.creds.store.files import FileStore, Secrets, read_bytes, secrets_from

PASSPHRASE_ENV = "AWSROLES_PASSPHRASE"
MAGIC = b"awsroles-encrypted-secrets 1\n"
SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P = 16, 8, 1  # ~0.12 s and 64 MiB here; bounded on read (tampering)
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024


class EncryptedFileStore(FileStore):
    """One file: a magic line, a JSON header line, then AES-256-GCM ciphertext of the secrets.

    The header holds the scrypt parameters and salt, the nonce, and the key *names* per namespace
    (so :meth:`keys` and ``status`` need no passphrase); all of it is authenticated as associated
    data when the file is decrypted. The key is derived once per process (``passphrase_source`` is
    called at the first read or write of an existing file, or the first write of a new one); each
    write uses a new random nonce with the file's salt.
    """

    def __init__(self, path: Path, passphrase_source: Callable[[], str]) -> None:
        super().__init__(path)
        self.name = f"encrypted file {path}"
        self._passphrase_source = passphrase_source
        self._passphrase: str | None = None
        self._keys: dict[tuple[bytes, int, int, int], bytes] = {}
        self._params: tuple[bytes, int, int, int] | None = None  # (salt, log_n, r, p) of the file read last

    def _derive(self, salt: bytes, log_n: int, r: int, p: int) -> bytes:
        params = (salt, log_n, r, p)
        if params not in self._keys:
            from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

            if self._passphrase is None:
                passphrase = self._passphrase_source()
                if not passphrase:
                    raise StoreError("an empty passphrase cannot protect the secret store", "passphrase")
                self._passphrase = passphrase
            self._keys[params] = Scrypt(salt=salt, length=32, n=2 ** log_n, r=r, p=p).derive(
                self._passphrase.encode("utf-8"))
        return self._keys[params]

    def _corrupt(self) -> StoreError:
        return StoreError(f"{self.path} is not a readable awsroles encrypted secrets file", "corrupt")

    def _header(self, raw: bytes) -> tuple[dict[str, Any], bytes, bytes]:
        """(header, associated data, ciphertext) from the raw file."""
        if not raw.startswith(MAGIC):
            raise self._corrupt()
        end = raw.find(b"\n", len(MAGIC))
        if end < 0:
            raise self._corrupt()
        try:
            header = json.loads(raw[len(MAGIC):end])
            log_n, r, p = int(header["log_n"]), int(header["r"]), int(header["p"])
            salt, nonce = base64.b64decode(header["salt"]), base64.b64decode(header["nonce"])
            names = header["names"]
            if not (10 <= log_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16 and 128 * r * 2 ** log_n <= MAX_SCRYPT_MEMORY
                    and len(salt) >= 16 and len(nonce) == 12 and isinstance(names, dict)):
                raise ValueError("bad header")
        except (ValueError, KeyError, TypeError):
            raise self._corrupt() from None
        return header, raw[:end + 1], raw[end + 1:]

    def _load(self, raw: bytes) -> Secrets:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        header, associated, ciphertext = self._header(raw)
        salt, nonce = base64.b64decode(header["salt"]), base64.b64decode(header["nonce"])
        params = (salt, int(header["log_n"]), int(header["r"]), int(header["p"]))
        key = self._derive(*params)
        try:
            plaintext = AESGCM(key).decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            self._passphrase = None  # a second attempt asks again
            self._keys.pop(params, None)
            raise StoreError(f"cannot decrypt {self.path}: wrong passphrase? (or the file was damaged); "
                             f"set {PASSPHRASE_ENV} or enter the one used when it was created",
                             "passphrase") from None
        try:
            secrets = secrets_from(json.loads(plaintext))
        except ValueError:
            raise self._corrupt() from None
        self._params = params
        return secrets

    def _new(self) -> Secrets:
        self._params = None  # a new file gets a new salt
        return {}

    def _dump(self, secrets: Secrets) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._params is None:
            self._params = (os.urandom(16), SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
        salt, log_n, r, p = self._params
        key = self._derive(salt, log_n, r, p)
        nonce = os.urandom(12)
        header = {"cipher": "AES-256-GCM", "kdf": "scrypt", "log_n": log_n, "r": r, "p": p,
                  "salt": base64.b64encode(salt).decode(), "nonce": base64.b64encode(nonce).decode(),
                  "names": {ns: sorted(entries) for ns, entries in sorted(secrets.items())}}
        associated = MAGIC + json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n"
        plaintext = json.dumps(secrets, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return associated + AESGCM(key).encrypt(nonce, plaintext, associated)

    def keys(self, namespace: str) -> list[str]:
        """Names from the header, without the passphrase (authenticated only when decrypting)."""
        check_name(namespace, "-")
        raw = read_bytes(self.path)
        if raw is None:
            return []
        header, _, _ = self._header(raw)
        names = header["names"].get(namespace, [])
        return sorted(str(name) for name in names) if isinstance(names, list) else []


def passphrase_from_env_or_prompt(prompter: Callable[[str], str] | None, *,
                                  environ: Mapping[str, str] | None = None,
                                  isatty: Callable[[], bool] | None = None) -> str:
    """``$AWSROLES_PASSPHRASE``, else ask ``prompter`` (e.g. ``getpass.getpass``), but only on a
    terminal: without one (a credential_process, CI) this raises instead of waiting for input."""
    env = os.environ if environ is None else environ
    if env.get(PASSPHRASE_ENV):
        return env[PASSPHRASE_ENV]
    from awsroles.creds import terminal

    interactive = isatty() if isatty is not None else terminal.available()
    if prompter is None or not interactive:
        raise StoreError(f"the encrypted secret store needs its passphrase: set {PASSPHRASE_ENV} "
                         "(there is no terminal to ask on)", "passphrase")
    passphrase = prompter("Passphrase for the awsroles secret store: ")
    if not passphrase:
        raise StoreError("no passphrase given for the encrypted secret store", "passphrase")
    return passphrase
