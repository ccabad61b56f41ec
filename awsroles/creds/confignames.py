"""What tab completion needs from the person's user config, read with configparser alone.

``awsroles login <TAB>`` offers the environments the person holds a grant in, ``--role <TAB>`` the
roles there, and the admin commands fall back to the org file recorded at setup. The shell runs
the program on every <TAB>, so this reads those names without :mod:`awsroles.creds.userconfig`
(its dataclasses import ``inspect``, tens of milliseconds); the grant sections' names are written
and read by both through :func:`grant_section` and :func:`grant_of`. Never raises: a missing or
damaged config gives None.
"""

from __future__ import annotations

import configparser

from awsroles import paths

GRANT_PREFIX = "grant "


def grant_section(environment: str, role: str) -> str:
    """The section that holds one grant: ``[grant ENV/ROLE]``."""
    return f"{GRANT_PREFIX}{environment}/{role}"


def grant_of(section: str) -> tuple[str, str] | None:
    """``(environment, role)`` of a grant section, or None for any other section."""
    if not section.startswith(GRANT_PREFIX):
        return None
    environment, slash, role = section[len(GRANT_PREFIX):].partition("/")
    if not slash:
        raise ValueError(f"a grant section without a role: [{section}]")
    return environment, role


class ConfigNames:
    """The person's grants as (environment, role), in the config's order, and the org file recorded at setup."""

    __slots__ = ("grants", "org_file")

    def __init__(self, grants: list[tuple[str, str]], org_file: str) -> None:
        self.grants = grants
        self.org_file = org_file

    @property
    def environments(self) -> list[str]:
        return list(dict.fromkeys(environment for environment, _ in self.grants))

    def roles_in(self, environment: str) -> list[str]:
        return [role for env, role in self.grants if env == environment]


def read_names(path: str | None = None) -> ConfigNames | None:
    """The names in the user config (default: its usual place), or None when it cannot be read."""
    parser = configparser.RawConfigParser(interpolation=None)
    try:
        with open(path or paths.user_config_file(), encoding="utf-8") as handle:
            parser.read_file(handle)
        grants = [grant for grant in map(grant_of, parser.sections()) if grant is not None]
        org_file = parser.get("user", "org_file", fallback="") or ""
    except (OSError, ValueError, configparser.Error):
        return None
    return ConfigNames(grants, org_file)


def orgs_set_up(environ: dict[str, str] | None = None) -> list[str]:
    """The names of the orgs set up here, the first one first (see :mod:`awsroles.creds.orgs`,
    which this mirrors without dataclasses or pathlib)."""
    import os

    env = dict(os.environ) if environ is None else environ
    env.pop(paths.ORG_VAR, None)
    base = paths.base_config_dir(env)
    names: list[str] = []
    parser = configparser.RawConfigParser(interpolation=None)
    try:
        with open(os.path.join(base, paths.CONFIG_FILE), encoding="utf-8") as handle:
            parser.read_file(handle)
        first = parser.get("user", "org", fallback="")
        if first:
            names.append(first)
    except (OSError, configparser.Error):
        pass
    try:
        further = sorted(os.listdir(os.path.join(base, paths.ORGS)))
    except OSError:
        further = []
    names += [n for n in further if paths.safe_org_name(n) and n not in names
              and os.path.isfile(os.path.join(base, paths.ORGS, n, paths.CONFIG_FILE))]
    return names
