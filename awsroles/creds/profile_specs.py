"""Which profiles ``awsroles profiles sync`` wants, and the keys each one holds.

One :class:`Profile` per granted role, named by a template, whose ``credential_process`` runs
``awsroles credential-process ENV --role ROLE`` quoted the way botocore splits it, and marked with
``awsroles_managed = ORG`` (see :mod:`awsroles.creds.profiles`).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from awsroles.errors import UsageError
from awsroles.org.entries import Grant

MANAGED_KEY = "awsroles_managed"
DEFAULT_TEMPLATE = "{org}-{environment}-{role}"
DEFAULT_COMMAND = "awsroles"

# What IAM allows in a role name, which every SDK accepts in a profile name.
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]+$")
# Some SDKs (Java v2, JavaScript v3, Rust) end a property value at whitespace followed by # or ;.
_INLINE_COMMENT = re.compile(r"\s[#;]")


@dataclass(frozen=True)
class Profile:
    """One profile the sync wants: its name and the keys it owns, in the order they are written."""

    name: str
    environment: str
    role: str
    options: tuple[tuple[str, str], ...]
    kind: str = "profile"  # or "sso-session": the [sso-session NAME] the profiles of an Identity Center org name

    @property
    def key(self) -> str:
        """How results name it: the profile's name, or ``sso-session NAME``."""
        return self.name if self.kind == "profile" else f"{self.kind} {self.name}"


# Every key a sync may write; a managed profile loses those it no longer wants (a style changed).
OWNED_KEYS = ("credential_process", "sso_session", "sso_account_id", "sso_role_name", "sso_start_url",
              "sso_region", "sso_registration_scopes")
SSO_SCOPES = "sso:account:access"




def credential_process_command(
    command: str | Sequence[str], environment: str, role: str, *, platform: str | None = None, org: str = ""
) -> str:
    """The ``credential_process`` value, quoted the way botocore splits it on ``platform``; with
    ``org``, pinned to that org (``--org``), so that ``$AWSROLES_ORG`` naming another org in the
    caller's shell never changes which org's session a profile gets.

    ``command`` is one program path (a string, which may contain spaces) or a program with its
    leading arguments (a sequence, e.g. ``[sys.executable, "-m", "awsroles"]``). botocore splits
    the value with :func:`shlex.split` on POSIX and with the MS C runtime rules on Windows, so it is
    joined with :func:`shlex.join` or :func:`subprocess.list2cmdline` (each the inverse of the split).
    """
    program = [command] if isinstance(command, str) else list(command)
    if not program or not program[0]:
        raise UsageError("the credential_process command is empty")
    argv = [*program, "credential-process", environment, "--role", role]
    if org:
        argv += ["--org", org]
    for arg in argv:
        if "\n" in arg or "\r" in arg or "\x00" in arg:
            raise UsageError(f"cannot put a line break or NUL in a credential_process argument: {arg!r}")
    on = sys.platform if platform is None else platform
    line = subprocess.list2cmdline(argv) if on == "win32" else shlex.join(argv)
    if _INLINE_COMMENT.search(line):
        raise UsageError(
            f"the credential_process command {line!r} has a # or ; after whitespace, which some AWS SDKs "
            "read as the start of a comment; install awsroles at a path without it"
        )
    return line


def profile_name(template: str, *, org: str, environment: str, role: str) -> str:
    """Expand a name template (fields ``{org}``, ``{environment}``, ``{role}``) and check the result."""
    try:
        name = template.format(org=org, environment=environment, role=role)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        raise UsageError(
            f"bad profile name template {template!r}: {e!s} (fields: {{org}}, {{environment}}, {{role}})"
        ) from e
    if not _PROFILE_NAME.match(name):
        raise UsageError(
            f"profile name {name!r} from template {template!r} may only contain letters, digits and _+=,.@-"
        )
    if name == "default":
        raise UsageError(f"template {template!r} names a profile 'default'; awsroles never writes the default profile")
    return name


def desired_profiles(
    grants: Iterable[Grant],
    *,
    org: str,
    region: str | None,
    template: str = DEFAULT_TEMPLATE,
    command: str | Sequence[str] = DEFAULT_COMMAND,
    platform: str | None = None,
    pin_org: str = "",
) -> tuple[Profile, ...]:
    """One :class:`Profile` per distinct grant, in the order given.

    ``region`` None writes no ``region`` key (and leaves one a person wrote alone).
    """
    if not org or "\n" in org or "\r" in org:
        raise UsageError("profiles sync needs an org name (it marks the profiles it manages)")
    if region is not None and (not region.strip() or any(c.isspace() for c in region)):
        raise UsageError(f"bad region {region!r}")
    profiles: list[Profile] = []
    seen: dict[str, Grant] = {}
    for grant in grants:
        name = profile_name(template, org=org, environment=grant.environment, role=grant.role)
        if name in seen:
            if seen[name] == grant:
                continue
            raise UsageError(
                f"template {template!r} gives {grant.environment}/{grant.role} and "
                f"{seen[name].environment}/{seen[name].role} the same profile name {name!r}"
            )
        seen[name] = grant
        options = [
            (MANAGED_KEY, org),
            ("credential_process", credential_process_command(command, grant.environment, grant.role,
                                                              platform=platform, org=pin_org)),
        ]
        if region is not None:
            options.append(("region", region))
        profiles.append(Profile(name, grant.environment, grant.role, tuple(options)))
    return tuple(profiles)


@dataclass(frozen=True)
class SsoGrant:
    """A role through IAM Identity Center: the account and the permission set the portal knows."""

    environment: str
    role: str
    account_id: str
    permission_set: str


def sso_session_profiles(
    grants: Iterable[SsoGrant],
    *,
    org: str,
    region: str | None,
    session: str,
    start_url: str,
    sso_region: str,
    template: str = DEFAULT_TEMPLATE,
) -> tuple[Profile, ...]:
    """The ``[sso-session SESSION]`` and one profile per grant naming it: what the AWS CLI v2 and
    the SDKs that know ``sso_session`` read themselves (the token in ~/.aws/sso/cache, refreshed by
    them), with no awsroles process per call."""
    if not org or "\n" in org or "\r" in org:
        raise UsageError("profiles sync needs an org name (it marks the profiles it manages)")
    for what, value in (("sso-session name", session), ("start URL", start_url), ("region", sso_region)):
        if not value or any(c.isspace() for c in value):
            raise UsageError(f"bad {what} {value!r}")
    head = Profile(session, "", "", ((MANAGED_KEY, org), ("sso_start_url", start_url), ("sso_region", sso_region),
                                     ("sso_registration_scopes", SSO_SCOPES)), kind="sso-session")
    profiles: list[Profile] = [head]
    seen: dict[str, SsoGrant] = {}
    for grant in grants:
        name = profile_name(template, org=org, environment=grant.environment, role=grant.role)
        if name in seen:
            if seen[name] == grant:
                continue
            raise UsageError(f"template {template!r} gives {grant.environment}/{grant.role} and "
                             f"{seen[name].environment}/{seen[name].role} the same profile name {name!r}")
        seen[name] = grant
        options = [(MANAGED_KEY, org), ("sso_session", session), ("sso_account_id", grant.account_id),
                   ("sso_role_name", grant.permission_set)]
        if region is not None:
            options.append(("region", region))
        profiles.append(Profile(name, grant.environment, grant.role, tuple(options)))
    return tuple(profiles)
