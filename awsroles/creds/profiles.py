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

import contextlib
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from awsroles.creds.profile_specs import DEFAULT_COMMAND, DEFAULT_TEMPLATE, Profile, desired_profiles
from awsroles.creds.profile_text import ConfigFileError, SyncResult, apply_profiles
from awsroles.fsutil import atomic_write, file_lock, lock_path
from awsroles.org.entries import Grant

LOCK_TIMEOUT = 30.0


def default_config_file(environ: Mapping[str, str] | None = None) -> Path:
    """``$AWS_CONFIG_FILE``, else ``~/.aws/config`` (``~`` is ``$HOME`` of ``environ``)."""
    env = os.environ if environ is None else environ
    raw = env.get("AWS_CONFIG_FILE") or "~/.aws/config"
    home = env.get("HOME")
    if home and (raw == "~" or raw.startswith("~/")):
        raw = home + raw[1:]
    return Path(os.path.expanduser(raw))



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
    pin_org: str = "",
    profiles: Sequence[Profile] | None = None,
) -> SyncResult:
    """Make the AWS config file hold exactly one managed profile per grant (for ``org``); with
    ``pin_org``, each profile's ``credential-process`` names that org (``--org``).

    ``config_file`` defaults to :func:`default_config_file` (``$AWS_CONFIG_FILE`` or
    ``~/.aws/config``). With ``dry_run`` nothing is locked, created or written. ``profiles``: the
    profiles wanted, made by the caller (:func:`~awsroles.creds.profile_specs.sso_session_profiles`);
    ``grants``, ``template`` and ``command`` are then not used.
    """
    if profiles is None:
        profiles = desired_profiles(grants, org=org, region=region, template=template, command=command,
                                    pin_org=pin_org)
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

