"""Tab-completion callbacks: names read from the person's user config and the org file.

Pure functions over local files: no boto3, no network, and they never raise (a missing or
broken file simply completes nothing). ``awsroles login <TAB>`` and ``--role <TAB>`` read only
the user config written by ``awsroles setup`` (the person's own grants); team, user and org-wide
environment and role names come from the org file (``--file``, ``$AWSROLES_FILE``,
``./awsroles.ini``, then the org file recorded at setup).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:
    from awsroles.creds.userconfig import UserConfig
    from awsroles.org.model import Org


def user_config() -> UserConfig | None:
    """The person's config, or None before ``awsroles setup`` (or when it cannot be read)."""
    from awsroles.creds import userconfig

    try:
        return userconfig.load()
    except Exception:  # completion must never fail loudly
        return None


def org_path(explicit: str | None, config: UserConfig | None = None) -> Path | None:
    """The org file to read names from, or None when there is none."""
    from awsroles.org.parse import ENV_VAR, resolve_path

    candidates = [resolve_path(explicit)]
    if not explicit and not os.environ.get(ENV_VAR):
        config = config or user_config()
        if config and config.org_file:
            candidates.append(Path(config.org_file).expanduser())
    return next((p for p in candidates if p.is_file()), None)


def load_org(path: Path | None) -> Org | None:
    from awsroles.org.parse import check_org

    if path is None:
        return None
    try:
        return check_org(path)[0]
    except Exception:
        return None


# -- the names -----------------------------------------------------------------------------------


def my_environments(config: UserConfig | None) -> list[str]:
    """The environments the person holds a grant in."""
    return config.environments if config else []


def my_roles(config: UserConfig | None, environment: str | None) -> list[str]:
    """Only the roles the person may assume in ``environment``."""
    return config.roles_in(environment) if config and environment else []


def org_environments(org: Org | None) -> list[str]:
    return sorted(org.environments) if org else []


def org_roles(org: Org | None) -> list[str]:
    return sorted(r.name for r in org.roles) if org else []


def team_roles(org: Org | None, team: str | None, environment: str | None) -> list[str]:
    """The roles ``team`` holds in ``environment`` (what ``revoke`` can take away)."""
    if org is None:
        return []
    found = next((t for t in org.teams if t.name == team), None)
    if found is None:
        return org_roles(org)
    return sorted({g.role for g in found.grants if environment is None or g.environment == environment})


def team_names(org: Org | None) -> list[str]:
    return sorted(t.name for t in org.teams) if org else []


def user_names(org: Org | None) -> list[str]:
    return sorted(u.name for u in org.users) if org else []


# -- click callbacks -----------------------------------------------------------------------------


def _items(names: Iterable[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def _explicit_file(ctx: click.Context) -> str | None:
    """``--file`` as given on the command line being completed (before or after the command)."""
    current: click.Context | None = ctx
    while current is not None:
        file = getattr(current.obj, "file", None)
        if file:
            return str(file)
        current = current.parent
    return None


def _value(ctx: click.Context, name: str) -> str | None:
    """A value already on the line. When the option being completed still lacks its value
    (``login prod --role <TAB>``), click stops parsing and leaves the earlier words in
    ``ctx.args``: parse those again."""
    value = ctx.params.get(name)
    if value is None and ctx.args:
        try:
            again = ctx.command.make_context(ctx.info_name, list(ctx.args), parent=ctx.parent,
                                             resilient_parsing=True)
            value = again.params.get(name)
        except Exception:
            return None
    return value if isinstance(value, str) else None


def _org(ctx: click.Context) -> Org | None:
    return load_org(org_path(_explicit_file(ctx)))


def complete_my_environments(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(my_environments(user_config()), incomplete)


def complete_my_roles(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(my_roles(user_config(), _value(ctx, "environment")), incomplete)


def complete_org_environments(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(org_environments(_org(ctx)), incomplete)


def complete_org_roles(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(org_roles(_org(ctx)), incomplete)


def complete_team_roles(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(team_roles(_org(ctx), _value(ctx, "team"), _value(ctx, "environment")), incomplete)


def complete_teams(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(team_names(_org(ctx)), incomplete)


def complete_users(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _items(user_names(_org(ctx)), incomplete)
