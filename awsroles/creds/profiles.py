"""``awsroles profiles sync``: one ``[profile ...]`` per granted role in the AWS config file.

Each profile runs ``awsroles credential-process ENV --role ROLE``, so the AWS CLI and every SDK
work with ``--profile``. The file is the person's own, so the edit is careful:

- **Ownership.** A profile this module writes carries ``awsroles_managed = ORG``. A key rather than
  a comment above the section, because a key is part of its section: it moves, is copied and is
  deleted with it, configupdater and botocore both see it, and ``aws configure get
  awsroles_managed --profile NAME`` shows it. (A comment above a section belongs, structurally, to
  the *previous* section, and is lost or orphaned as soon as someone reorders the file.) botocore
  and the other SDKs ignore keys they do not know. The value is the org name, so syncs for two orgs
  never touch each other's profiles. A sync updates and removes only sections marked with its own
  org, and refuses, before writing anything, to take over a profile name that exists unmarked.
- **Byte-for-byte.** The file is parsed with configupdater; unrelated sections, comments and blank
  lines are reproduced exactly. Updating a managed profile changes only the keys awsroles owns
  (``credential_process``, ``region``, the marker); keys a person added to it stay. Removing one
  keeps the comments that follow its last key (in the INI structure they belong to it, but a
  person wrote them above the *next* section).
- **Safely.** Symlinks are resolved first (the target is written, the link kept); the write holds
  a lock on a separate ``.lock`` file, goes to a temp file in the same directory, is fsynced and
  renamed over the original, and keeps its mode. A new file is 0600 in a 0700 directory.
- **Idempotent.** When nothing changes, nothing is written.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from configupdater import ConfigUpdater
from configupdater.block import Comment
from configupdater.option import Option
from configupdater.section import Section

from awsroles.errors import AwsrolesError, UsageError
from awsroles.fsutil import atomic_write, file_lock, lock_path
from awsroles.org.model import Grant

MANAGED_KEY = "awsroles_managed"
DEFAULT_TEMPLATE = "{org}-{environment}-{role}"
DEFAULT_COMMAND = "awsroles"
LOCK_TIMEOUT = 30.0

# What IAM allows in a role name, which every SDK accepts in a profile name.
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]+$")
# Some SDKs (Java v2, JavaScript v3, Rust) end a property value at whitespace followed by # or ;.
_INLINE_COMMENT = re.compile(r"\s[#;]")


class ProfileConflictError(UsageError):
    """A profile the sync would write exists already and is not managed by this sync."""

    def __init__(self, path: Path, names: Sequence[str]):
        self.path = path
        self.names = tuple(names)
        more = f" (and {len(names) - 1} more: {', '.join(names[1:])})" if len(names) > 1 else ""
        super().__init__(
            f"profile {names[0]!r}{more} already exists in {path} and is not managed by awsroles "
            "profiles sync; nothing was written (rename or remove it, or choose another name template)"
        )


class ConfigFileError(AwsrolesError):
    """The AWS config file cannot be read, parsed or locked. Nothing was written."""


@dataclass(frozen=True)
class Profile:
    """One profile the sync wants: its name and the keys it owns, in the order they are written."""

    name: str
    environment: str
    role: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SyncResult:
    """What a sync did (or, with ``dry_run``, would do). Profile names, each list sorted."""

    path: Path
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    dry_run: bool = False
    written: bool = field(default=False, compare=False)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "dry_run": self.dry_run,
            "written": self.written,
        }


# -- what to write ----------------------------------------------------------------------------


def default_config_file(environ: Mapping[str, str] | None = None) -> Path:
    """``$AWS_CONFIG_FILE``, else ``~/.aws/config`` (``~`` is ``$HOME`` of ``environ``)."""
    env = os.environ if environ is None else environ
    raw = env.get("AWS_CONFIG_FILE") or "~/.aws/config"
    home = env.get("HOME")
    if home and (raw == "~" or raw.startswith("~/")):
        raw = home + raw[1:]
    return Path(os.path.expanduser(raw))


def credential_process_command(
    command: str | Sequence[str], environment: str, role: str, *, platform: str | None = None
) -> str:
    """The ``credential_process`` value, quoted the way botocore splits it on ``platform``.

    ``command`` is one program path (a string, which may contain spaces) or a program with its
    leading arguments (a sequence, e.g. ``[sys.executable, "-m", "awsroles"]``). botocore splits
    the value with :func:`shlex.split` on POSIX and with the MS C runtime rules on Windows, so it is
    joined with :func:`shlex.join` or :func:`subprocess.list2cmdline` (each the inverse of the split).
    """
    program = [command] if isinstance(command, str) else list(command)
    if not program or not program[0]:
        raise UsageError("the credential_process command is empty")
    argv = [*program, "credential-process", environment, "--role", role]
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
                                                              platform=platform)),
        ]
        if region is not None:
            options.append(("region", region))
        profiles.append(Profile(name, grant.environment, grant.role, tuple(options)))
    return tuple(profiles)


# -- editing the text --------------------------------------------------------------------------


def botocore_profile_name(section: str) -> str | None:
    """The profile a section header defines, by botocore's own rule (``configloader``)."""
    if section == "default":
        return "default"
    if not section.startswith("profile"):
        return None
    try:
        parts = shlex.split(section)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


def _managed_by(section: Section) -> str | None:
    option = section.get(MANAGED_KEY)
    if isinstance(option, Option) and option.value is not None:
        return option.value.strip()
    return None


def _parse(text: str, path: Path) -> ConfigUpdater:
    updater = ConfigUpdater()
    try:
        updater.read_string(text, source=str(path))
    except configparser.DuplicateSectionError as e:
        raise ConfigFileError(
            f"{path}:{e.lineno}: section [{e.section}] appears twice (botocore cannot read this file "
            "either); nothing was written"
        ) from None
    except configparser.DuplicateOptionError as e:
        raise ConfigFileError(
            f"{path}:{e.lineno}: key {e.option!r} appears twice in [{e.section}]; nothing was written"
        ) from None
    except configparser.MissingSectionHeaderError as e:
        raise ConfigFileError(f"{path}:{e.lineno}: text before the first [section]; nothing was written") from None
    except configparser.ParsingError as e:
        # The offending lines are left out of the message: a pasted secret is a typical one.
        lines = ", ".join(str(lineno) for lineno, _ in e.errors) or "?"
        raise ConfigFileError(f"{path}: cannot parse line(s) {lines}; nothing was written") from None
    except configparser.Error as e:
        raise ConfigFileError(f"{path}: cannot parse ({type(e).__name__}); nothing was written") from None
    return updater


def _update(section: Section, options: Sequence[tuple[str, str]]) -> bool:
    """Give ``section`` our keys' values in place; True if anything changed."""
    changed = False
    for key, value in options:
        current = section.get(key)
        if isinstance(current, Option):
            if (current.value or "").strip() != value or "\n" in (current.value or ""):
                current.value = value
                changed = True
            continue
        existing = list(section.option_blocks())
        if existing:
            existing[-1].add_after.option(key, value)
        else:
            section.insert_at(0).option(key, value)
        changed = True
    return changed


def _kept_tail(section: Section) -> str:
    """What survives a removed section: the comments after its last key (and what follows them)."""
    blocks = list(section.iter_blocks())
    last_option = max((i for i, b in enumerate(blocks) if isinstance(b, Option)), default=-1)
    tail = blocks[last_option + 1:]
    for i, block in enumerate(tail):
        if isinstance(block, Comment):
            return "".join(str(b) for b in tail[i:])
    return ""


def _trailing_blank_lines(text: str) -> int:
    core = text.rstrip(" \t\n")
    return max(text[len(core):].count("\n") - 1, 0) if core else 0


def _section_text(profile: Profile) -> str:
    return f"[profile {profile.name}]\n" + "".join(f"{key} = {value}\n" for key, value in profile.options)


def apply_profiles(
    text: str, profiles: Sequence[Profile], *, org: str, path: Path = Path("config")
) -> tuple[str, SyncResult]:
    """Pure: the config file ``text`` with exactly ``profiles`` managed for ``org``.

    Raises :class:`ProfileConflictError` when a wanted name is taken by a profile that is not
    managed for ``org``, and :class:`ConfigFileError` when ``text`` is not a valid INI file.
    """
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    work = text.replace("\r\n", "\n") if crlf else text
    updater = _parse(work, path)
    wanted = {p.name: p for p in profiles}

    ours: dict[str, Section] = {}
    stale: list[Section] = []
    conflicts: list[str] = []
    for section in updater.iter_sections():
        name = botocore_profile_name(section.name)
        if _managed_by(section) == org:
            if name in wanted and name not in ours:
                ours[name] = section
            else:
                stale.append(section)
        elif name is not None and name in wanted and name not in conflicts:
            conflicts.append(name)
    if conflicts:
        raise ProfileConflictError(path, conflicts)

    updated: list[str] = []
    unchanged: list[str] = []
    for name, section in ours.items():
        (updated if _update(section, wanted[name].options) else unchanged).append(name)

    stale_ids = {id(s) for s in stale}
    body = "".join(
        _kept_tail(b) if isinstance(b, Section) and id(b) in stale_ids else str(b) for b in updater.iter_blocks()
    )
    if stale and _trailing_blank_lines(body) > _trailing_blank_lines(work):
        # Removing the last profile leaves the blank line a sync put before it.
        keep = _trailing_blank_lines(work)
        body = body.rstrip(" \t\n") + "\n" * (keep + 1) if body.strip() else ""

    new = [p for p in profiles if p.name not in ours]
    if new:
        if body and not body.endswith("\n"):
            body += "\n"
        if body and not body.endswith("\n\n"):
            body += "\n"
        body += "\n".join(_section_text(p) for p in new)
    if crlf:
        body = body.replace("\n", "\r\n")

    result = SyncResult(
        path=path,
        added=tuple(sorted(p.name for p in new)),
        updated=tuple(sorted(updated)),
        removed=tuple(sorted(botocore_profile_name(s.name) or s.name for s in stale)),
        unchanged=tuple(sorted(unchanged)),
    )
    return body, result


# -- the file ----------------------------------------------------------------------------------


def _read(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigFileError(f"cannot read {path}: {e.strerror or e}") from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path} is not UTF-8 text; nothing was written") from None


def sync_profiles(
    grants: Iterable[Grant],
    *,
    org: str,
    region: str | None,
    config_file: Path | None = None,
    template: str = DEFAULT_TEMPLATE,
    command: str | Sequence[str] = DEFAULT_COMMAND,
    dry_run: bool = False,
    lock_timeout: float = LOCK_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> SyncResult:
    """Make the AWS config file hold exactly one managed profile per grant (for ``org``).

    ``config_file`` defaults to :func:`default_config_file` (``$AWS_CONFIG_FILE`` or
    ``~/.aws/config``). With ``dry_run`` nothing is locked, created or written.
    """
    profiles = desired_profiles(grants, org=org, region=region, template=template, command=command)
    requested = config_file if config_file is not None else default_config_file(environ)
    real = Path(os.path.realpath(requested.expanduser()))

    if dry_run:
        text = _read(real)
        _, result = apply_profiles(text or "", profiles, org=org, path=real)
        return SyncResult(real, result.added, result.updated, result.removed, result.unchanged, dry_run=True)

    parent = real.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, mode=0o700)
            os.chmod(parent, 0o700)
        except OSError as e:
            raise ConfigFileError(f"cannot create {parent}: {e.strerror or e}") from e
    def busy(lock: Path, waited: float) -> ConfigFileError:
        return ConfigFileError(f"another process holds {lock} (waited {waited:g}s); nothing was written")

    with contextlib.ExitStack() as locked:
        try:
            locked.enter_context(file_lock(lock_path(real), timeout=lock_timeout, busy=busy))
        except OSError as e:
            raise ConfigFileError(f"cannot lock {real}: {e.strerror or e}") from e
        text = _read(real)
        new_text, result = apply_profiles(text or "", profiles, org=org, path=real)
        written = new_text != text if text is not None else bool(new_text)
        if written:
            try:
                mode = stat.S_IMODE(real.stat().st_mode) if text is not None else 0o600
                atomic_write(real, new_text, mode)
            except OSError as e:
                raise ConfigFileError(f"cannot write {real}: {e.strerror or e}") from e
    return SyncResult(real, result.added, result.updated, result.removed, result.unchanged, written=written)
