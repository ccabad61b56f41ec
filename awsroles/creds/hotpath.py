"""The cached path of ``awsroles credential-process``: runs on every AWS CLI call.

No click, no rich, no boto3: parse the few arguments by hand, read the user config and the fast
cache, print the JSON. Anything else (a miss, an option this path does not know) returns None and
the full CLI takes over.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

ADVISORY_REFRESH = 15 * 60  # the same threshold as awsroles.creds.vend


def _parse(argv: Sequence[str]) -> tuple[str, str | None] | None:
    """``credential-process ENV [--role ROLE | --role=ROLE | -r ROLE]``; None for anything else."""
    if not argv or argv[0] != "credential-process":
        return None
    environment, role = None, None
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("--role", "-r") and rest:
            role = rest.pop(0)
        elif arg.startswith("--role="):
            role = arg.split("=", 1)[1]
        elif not arg.startswith("-") and environment is None:
            environment = arg
        else:
            return None
    return (environment, role) if environment else None


def run(argv: Sequence[str]) -> int | None:
    parsed = _parse(argv)
    if parsed is None:
        return None
    environment, role = parsed
    try:
        from awsroles.creds import userconfig
        from awsroles.creds.fastcache import FastCache
        from awsroles.creds.paths import cache_dir, runtime_dir

        config = userconfig.load()
        roles = config.roles_in(environment)
        if role is None and len(roles) == 1:
            role = roles[0]
        grant = config.grant(environment, role) if role else None
        if grant is None:
            return None
        fast = FastCache(cache_dir() / "sessions", runtime_dir())
        credentials = fast.get(f"role/{grant.account_id}/{grant.role}/{config.user_name}")
        if credentials is None or credentials.remaining() <= ADVISORY_REFRESH:
            return None
    except Exception:  # anything unusual: let the full CLI handle it and explain
        return None
    sys.stdout.write(credentials.credential_process() + "\n")
    sys.stdout.flush()
    return 0
