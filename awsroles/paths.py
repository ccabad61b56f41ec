"""Every per-user path awsroles uses, decided here and only here.

- config (``config.ini``): ``$AWSROLES_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/awsroles``, else
  ``~/.config/awsroles``;
- several orgs: the first org a person sets up lives at the top of the config, data and cache
  folders (as with one org); each further org ``NAME`` in ``orgs/NAME`` under each of them. Which
  org: ``$AWSROLES_ORG`` (``--org`` sets it), else the first; see :mod:`awsroles.creds.orgs`;
- data (the secret store's files): ``$AWSROLES_CONFIG_DIR/data``, else ``$XDG_DATA_HOME/awsroles``,
  else ``~/.local/share/awsroles``;
- cache (the fast cache's ``sessions/``, ``costs/``): ``$AWSROLES_CONFIG_DIR/cache``, else
  ``$XDG_CACHE_HOME/awsroles``, else ``~/.cache/awsroles``;
- state (``sandbox/``): ``$XDG_STATE_HOME/awsroles``, else ``~/.local/state/awsroles``;
- the audit log: ``$AWSROLES_AUDIT_LOG``, else ``STATE/audit.jsonl``;
- runtime (the fast cache's key, locks): ``$XDG_RUNTIME_DIR/awsroles`` if that directory exists;
- the fast cache's key (:func:`fast_key_location`): the runtime dir; without one, a private folder
  ``awsroles-UID`` in ``/dev/shm`` (memory-backed, ``$AWSROLES_SHM_DIR`` to move it); without that,
  ``STATE/fastkey`` on disk only when ``$AWSROLES_FAST_CACHE=disk``; ``=off`` turns it off;
- the vendor's locks: ``RUNTIME/locks``, else ``CACHE/locks``.

Relative ``XDG_*`` values are ignored, as the XDG base directory spec says. Every function takes
``environ`` (default: ``os.environ``): the seam tests use instead of patching. Nothing here creates
a directory (:func:`awsroles.fsutil.private_dir` does, 0700).

Imports ``os`` only and returns ``str``: the cached ``credential-process`` (:mod:`awsroles.creds.hotpath`)
runs on every AWS CLI call and shares these paths instead of copying them; ``pathlib``,
``typing`` and the rest would cost it milliseconds.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # without importing typing: see the module docstring
    from collections.abc import Mapping

APP = "awsroles"
CONFIG_DIR_VAR = "AWSROLES_CONFIG_DIR"  # one directory for config, data and cache (tests, several identities)
ORG_VAR = "AWSROLES_ORG"  # which of the person's orgs (--org sets it)
ORGS = "orgs"  # each further org's folder under the config, data and cache folders
AUDIT_LOG_VAR = "AWSROLES_AUDIT_LOG"
CONFIG_FILE = "config.ini"
AUDIT_FILE = "audit.jsonl"
SESSIONS = "sessions"  # the fast cache's directory under the cache dir
SESSION_SUFFIX = ".session"
CACHE_KEY_FILE = "cache.key"  # the fast cache's key, in the runtime dir only
LOCKS = "locks"
FAST_CACHE_VAR = "AWSROLES_FAST_CACHE"  # memory (the default), disk (allow a key on disk), off
SHM_VAR = "AWSROLES_SHM_DIR"  # the memory-backed folder used without a runtime dir
DEFAULT_SHM = "/dev/shm"
FAST_KEY_DIR = "fastkey"  # under the state dir, with AWSROLES_FAST_CACHE=disk only
COSTS = "costs"
SANDBOX = "sandbox"


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _home(env: Mapping[str, str]) -> str:
    return env.get("HOME") or os.path.expanduser("~")


def _xdg(env: Mapping[str, str], variable: str, *default: str) -> str:
    """``$variable/awsroles`` if it is an absolute path, else ``~/<default>/awsroles``."""
    base = env.get(variable, "")
    if not os.path.isabs(base):
        base = os.path.join(_home(env), *default)
    return os.path.join(base, APP)


def safe_org_name(name: str) -> bool:
    """An org name that is safe as one folder name: letters, digits, ``-`` and ``_``."""
    return bool(name) and name[0] != "-" and all(c.isalnum() or c in "-_" for c in name) and name.isascii()


def base_config_dir(environ: Mapping[str, str] | None = None) -> str:
    """The first org's config folder, which holds ``orgs/`` for the others."""
    env = _env(environ)
    if env.get(CONFIG_DIR_VAR):
        return env[CONFIG_DIR_VAR]
    return _xdg(env, "XDG_CONFIG_HOME", ".config")


def named_org(environ: Mapping[str, str] | None = None) -> str:
    """The org ``$AWSROLES_ORG`` names when it is one of the further orgs (``orgs/NAME`` exists in
    the config folder); "" for the first org (its name, no name, or a name not set up here)."""
    env = _env(environ)
    org = env.get(ORG_VAR, "")
    if org and safe_org_name(org) and os.path.isdir(os.path.join(base_config_dir(env), ORGS, org)):
        return org
    return ""


def _in_org(env: Mapping[str, str], base: str) -> str:
    org = named_org(env)
    return os.path.join(base, ORGS, org) if org else base


def config_dir(environ: Mapping[str, str] | None = None) -> str:
    env = _env(environ)
    return _in_org(env, base_config_dir(env))


def data_dir(environ: Mapping[str, str] | None = None) -> str:
    env = _env(environ)
    if env.get(CONFIG_DIR_VAR):
        return _in_org(env, os.path.join(env[CONFIG_DIR_VAR], "data"))
    return _in_org(env, _xdg(env, "XDG_DATA_HOME", ".local", "share"))


def cache_dir(environ: Mapping[str, str] | None = None) -> str:
    env = _env(environ)
    if env.get(CONFIG_DIR_VAR):
        return _in_org(env, os.path.join(env[CONFIG_DIR_VAR], "cache"))
    return _in_org(env, _xdg(env, "XDG_CACHE_HOME", ".cache"))


def state_dir(environ: Mapping[str, str] | None = None) -> str:
    return _xdg(_env(environ), "XDG_STATE_HOME", ".local", "state")


def runtime_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """A memory-backed per-user directory (XDG_RUNTIME_DIR, cleared at logout), if there is one."""
    base = _env(environ).get("XDG_RUNTIME_DIR", "")
    if not os.path.isabs(base) or not os.path.isdir(base):
        return None
    return os.path.join(base, APP)


def fast_cache_mode(environ: Mapping[str, str] | None = None) -> str:
    """``memory`` (the default: a key only in memory-backed folders), ``disk`` or ``off``."""
    mode = _env(environ).get(FAST_CACHE_VAR, "").strip().lower()
    return mode if mode in ("disk", "off") else "memory"


def fast_key_location(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """``(kind, folder)`` of the fast cache's key, None when the fast cache is off:

    - ``runtime``: ``$XDG_RUNTIME_DIR/awsroles`` (tmpfs, the user's own, gone at logout);
    - ``memory``: ``/dev/shm/awsroles-UID`` where there is no runtime dir (containers, ssh without a
      login manager, ``sudo -u``, CI): tmpfs, gone at reboot; ``/dev/shm`` is shared by all users, so
      the folder is used only when it is a directory of ours that nobody else may enter
      (:func:`private_folder`);
    - ``disk``: ``STATE/fastkey``, only with ``AWSROLES_FAST_CACHE=disk`` and no memory-backed
      folder (macOS): the key is then on the same disk as the sealed sessions.
    """
    env = _env(environ)
    mode = fast_cache_mode(env)
    if mode == "off":
        return None
    runtime = runtime_dir(env)
    if runtime is not None:
        return "runtime", runtime
    shm = env.get(SHM_VAR, DEFAULT_SHM)
    if os.path.isabs(shm) and os.path.isdir(shm):
        return "memory", os.path.join(shm, f"{APP}-{os.getuid()}")
    if mode == "disk":
        return "disk", os.path.join(state_dir(env), FAST_KEY_DIR)
    return None


def private_folder(path: str) -> bool:
    """A real directory (not a link), owned by this user, that no one else may enter or list."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (info.st_mode & 0o170000) == 0o040000 and info.st_uid == os.getuid() and not info.st_mode & 0o077


# -- files and folders of each part ---------------------------------------------------------------


def user_config_file(environ: Mapping[str, str] | None = None) -> str:
    """The person's settings, written by ``awsroles setup``."""
    return os.path.join(config_dir(environ), CONFIG_FILE)


def secrets_dir(environ: Mapping[str, str] | None = None) -> str:
    """Where the secret store keeps its files (the keyring's index, the encrypted or plaintext file)."""
    return data_dir(environ)


def sessions_dir(environ: Mapping[str, str] | None = None) -> str:
    """The fast cache of role sessions (sealed; its key is in :func:`runtime_dir`)."""
    return os.path.join(cache_dir(environ), SESSIONS)


def session_file_name(environment: str, role: str) -> str:
    """``ENV.ROLE.session``: environment names have no dot, so the first dot separates them."""
    return f"{environment}.{role}{SESSION_SUFFIX}"


def aws_sso_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """The AWS CLI v2's and the SDKs' IAM Identity Center token cache, ``~/.aws/sso/cache`` (they
    take no variable to move it)."""
    return os.path.join(_home(_env(environ)), ".aws", "sso", "cache")


def lock_dir(environ: Mapping[str, str] | None = None) -> str:
    """The vendor's per-session lock files: in memory where there is a runtime dir."""
    return os.path.join(runtime_dir(environ) or cache_dir(environ), LOCKS)


def costs_cache_dir(environ: Mapping[str, str] | None = None) -> str:
    """Closed months from Cost Explorer, so a re-run costs nothing."""
    return os.path.join(cache_dir(environ), COSTS)


def audit_log(environ: Mapping[str, str] | None = None) -> str:
    env = _env(environ)
    return env.get(AUDIT_LOG_VAR) or os.path.join(state_dir(env), AUDIT_FILE)


def sandbox_dir(environ: Mapping[str, str] | None = None) -> str:
    """The detached sandbox's state file, log and lock."""
    return os.path.join(state_dir(environ), SANDBOX)
