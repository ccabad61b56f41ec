"""The cached path of ``awsroles credential-process``: runs on every AWS CLI call.

Only ``os``, ``sys`` and ``time``, the AES-GCM binding, :mod:`awsroles.paths` and
:mod:`awsroles.creds.fastformat` (both import nothing more): no click, rich, boto3, json,
dataclasses, typing or pathlib (each costs milliseconds to import, and this path is a few
milliseconds of work). Arguments are parsed by hand; the answer is the sealed
``credential_process`` JSON from the fast cache (see :mod:`awsroles.creds.fastcache`), written as
is. Anything else (a miss, a session inside its refresh window, an option this path does not
know) returns None and the full CLI takes over.
"""

from __future__ import annotations

import os
import sys
import time

from awsroles import paths
from awsroles.creds.fastformat import ADVISORY_REFRESH, MAGIC


def _parse(argv: list[str]) -> tuple[str, str | None, str | None] | None:
    """``credential-process ENV [--role ROLE | --role=ROLE | -r ROLE] [--org ORG | --org=ORG]``;
    None for anything else."""
    if not argv or argv[0] != "credential-process":
        return None
    environment, role, org = None, None, None
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("--role", "-r") and rest:
            role = rest.pop(0)
        elif arg.startswith("--role="):
            role = arg.split("=", 1)[1]
        elif arg == "--org" and rest:
            org = rest.pop(0)
        elif arg.startswith("--org="):
            org = arg.split("=", 1)[1]
        elif not arg.startswith("-") and environment is None:
            environment = arg
        else:
            return None
    if not environment or "/" in environment or (role is not None and "/" in role):
        return None
    if org is not None and not paths.safe_org_name(org):
        return None
    return environment, role, org


def _answer(environment: str, role: str | None, org: str | None) -> bytes | None:
    environ = os.environ if org is None else {**os.environ, paths.ORG_VAR: org}
    org = org or environ.get(paths.ORG_VAR) or None  # asked for (--org, $AWSROLES_ORG): checked below
    location = paths.fast_key_location(environ)
    if location is None or not paths.private_folder(location[1]):
        return None
    keys = location[1]
    sessions = paths.sessions_dir(environ)
    if role is None:  # the only role cached for this environment, if exactly one
        prefix = environment + "."  # see paths.session_file_name
        found = [n for n in os.listdir(sessions) if n.startswith(prefix) and n.endswith(paths.SESSION_SUFFIX)]
        if len(found) != 1:
            return None
        name = found[0]
    else:
        name = paths.session_file_name(environment, role)
    with open(os.path.join(sessions, name), "rb") as handle:
        data = handle.read()
    header, _, sealed = data.partition(b"\n")
    magic, expiry, _session, nonce, file_org = header.split(b" ")
    if magic != MAGIC or int(expiry) - time.time() <= ADVISORY_REFRESH:
        return None
    if org is not None and file_org != org.encode():
        return None  # another org's session (e.g. $AWSROLES_ORG names another org): never served
    with open(os.path.join(keys, paths.CACHE_KEY_FILE), "rb") as handle:
        key = handle.read()
    try:
        from cryptography.hazmat.bindings._rust import openssl

        cipher = openssl.aead.AESGCM(key)
    except (ImportError, AttributeError):  # pragma: no cover - see fastcache.aesgcm
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        cipher = AESGCM(key)
    plain: bytes = cipher.decrypt(bytes.fromhex(nonce.decode()), sealed, header)
    return plain


def run(argv: list[str]) -> int | None:
    parsed = _parse(argv)
    if parsed is None:
        return None
    try:
        answer = _answer(*parsed)
    except Exception:  # a miss of any kind: the full CLI will explain if something is wrong
        return None
    if answer is None:
        return None
    sys.stdout.buffer.write(answer + b"\n")
    sys.stdout.flush()
    return 0
