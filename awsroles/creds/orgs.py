"""Several orgs on one machine: which of a person's orgs a command is about.

A consultant, or someone whose company runs two orgs, sets awsroles up once per org. The first org
set up lives at the top of awsroles' config, data and cache folders, exactly as when there was
only one (so existing set-ups keep working); each further org ``NAME`` lives in ``orgs/NAME``
under each of them (:mod:`awsroles.paths`). ``$AWSROLES_ORG``, which ``--org`` sets, picks one by
name; without it, the first org is meant (or the only one, if the first was removed). Profiles name
their org (``--org``), so an AWS CLI call never takes another org's session, whatever the shell's
``$AWSROLES_ORG`` says.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from awsroles import paths
from awsroles.errors import UsageError


@dataclass(frozen=True)
class OrgSetUp:
    name: str
    config_file: Path
    first: bool  # at the top of the folders, not under orgs/


def _org_of(config_file: Path) -> str | None:
    parser = configparser.RawConfigParser(interpolation=None)
    try:
        with open(config_file, encoding="utf-8") as handle:
            parser.read_file(handle)
        return parser.get("user", "org", fallback="")
    except (OSError, configparser.Error):
        return None


def set_up_orgs(environ: MutableMapping[str, str] | None = None) -> list[OrgSetUp]:
    """Every org set up here, the first one first."""
    env = os.environ if environ is None else environ
    base = Path(paths.base_config_dir(env))
    found: list[OrgSetUp] = []
    first = base / paths.CONFIG_FILE
    name = _org_of(first)
    if name is not None:
        found.append(OrgSetUp(name, first, True))
    folder = base / paths.ORGS
    if folder.is_dir():
        for entry in sorted(folder.iterdir()):
            config = entry / paths.CONFIG_FILE
            if paths.safe_org_name(entry.name) and config.is_file():
                found.append(OrgSetUp(entry.name, config, False))
    return found


def _listed(orgs: list[OrgSetUp]) -> str:
    return ", ".join(f"{o.name or '(unnamed)'}{' (the first)' if o.first else ''}" for o in orgs) or "none"


def select(environ: MutableMapping[str, str] | None = None) -> None:
    """Check that ``$AWSROLES_ORG`` names an org set up here; without it and without a first org,
    pick the only further one (setting ``$AWSROLES_ORG``). UsageError (exit 2) otherwise."""
    env = os.environ if environ is None else environ
    wanted = env.get(paths.ORG_VAR, "")
    if not wanted:
        orgs = set_up_orgs(env)
        if orgs and not orgs[0].first:
            if len(orgs) > 1:
                raise UsageError(f"several orgs are set up here ({_listed(orgs)}): choose one with --org NAME "
                                 f"or ${paths.ORG_VAR}")
            env[paths.ORG_VAR] = orgs[0].name
        return
    if not paths.safe_org_name(wanted):
        raise UsageError(f"bad org name {wanted!r} (${paths.ORG_VAR} or --org): letters, digits, - and _ only")
    orgs = set_up_orgs(env)
    if not any(o.name == wanted for o in orgs):
        raise UsageError(f"no org '{wanted}' is set up here (set up: {_listed(orgs)}): run `awsroles setup` "
                         "with that org's file")


def place_for_setup(org_name: str, environ: MutableMapping[str, str] | None = None) -> str | None:
    """Where ``awsroles setup`` for ``org_name`` writes: the first org's place when there is no
    first org yet or it is that org, else ``orgs/NAME`` (made, and ``$AWSROLES_ORG`` set, so that
    everything after follows). Returns the first org's name when this one goes beside it."""
    from awsroles.fsutil import private_dir

    env = os.environ if environ is None else environ
    wanted = env.get(paths.ORG_VAR, "")
    if wanted and wanted != org_name:
        raise UsageError(f"--org {wanted} (or ${paths.ORG_VAR}) but the org file is {org_name}'s: "
                         "give that org's file, or leave --org out")
    first = _org_of(Path(paths.base_config_dir(env)) / paths.CONFIG_FILE)
    if first is None or first == org_name:
        env.pop(paths.ORG_VAR, None)
        return None
    if not paths.safe_org_name(org_name):
        raise UsageError(f"the org name {org_name!r} cannot name a folder: letters, digits, - and _ only")
    private_dir(Path(paths.base_config_dir(env)) / paths.ORGS / org_name)
    env[paths.ORG_VAR] = org_name
    return first
