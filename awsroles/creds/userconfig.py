"""The person's own, non-secret settings: who they are, their MFA device, and what they may assume.

``~/.config/awsroles/config.ini`` (or ``$AWSROLES_CONFIG_DIR/config.ini``), written by
``awsroles setup``. It keeps a copy of the environment/role map for this person, so the hot path
(a cached ``credential-process``) and tab completion never parse the org file.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from awsroles import paths
from awsroles.creds.confignames import grant_of, grant_section
from awsroles.errors import UsageError

CONFIG_FILE = paths.CONFIG_FILE
IAM_USERS = "iam-users"
IDENTITY_CENTER = "identity-center"
BREAK_GLASS_PREFIX = "break-glass "  # a user config section: the break-glass role of an environment


class NotSetUp(UsageError):
    """No ``awsroles setup`` yet."""


@dataclass(frozen=True)
class RoleGrant:
    environment: str
    role: str
    account_id: str
    role_arn: str  # "" through Identity Center (its roles are AWS's, named by the permission set)
    max_session: int
    permission_set: str = ""  # through Identity Center: the permission set's name (the portal's role name)
    until: str = ""  # a temporary grant's end (UTC, 2026-11-29T18:02:00Z): sessions end by then (900 s at least)


@dataclass(frozen=True)
class UserConfig:
    user_name: str
    user_arn: str
    ops_account_id: str
    org_name: str = ""
    region: str = "us-east-1"
    partition: str = "aws"
    mfa_serial: str = ""
    mfa_required: bool = True
    mfa_max_age: int = 43200
    session_duration: int = 3600
    mfa_command: str = ""
    store: str = "keyring"
    totp_in_store: bool = False
    org_file: str = ""
    browser: str = "default"  # where `awsroles console` opens (awsroles.creds.browser.KINDS)
    grants: tuple[RoleGrant, ...] = field(default=())
    identity: str = IAM_USERS  # how the person gets credentials: their IAM user's key, or Identity Center
    start_url: str = ""  # Identity Center: the access portal's start URL
    sso_region: str = ""  # Identity Center: the instance's region
    sso_session: str = ""  # Identity Center: the sign-in's name (the AWS CLI's sso-session, its cache key)
    share_sso_login: bool = False  # Identity Center: keep the sign-in in ~/.aws/sso/cache too (plaintext)
    break_glass: tuple[RoleGrant, ...] = field(default=())  # [break-glass ENV] roles naming the person: never grants

    @property
    def identity_center(self) -> bool:
        return self.identity == IDENTITY_CENTER

    @property
    def key_name(self) -> str:
        """The name of this person's long-term key in the store."""
        return f"{self.ops_account_id}/{self.user_name}"

    def roles_in(self, environment: str) -> list[str]:
        return [g.role for g in self.grants if g.environment == environment]

    @property
    def environments(self) -> list[str]:
        return list(dict.fromkeys(g.environment for g in self.grants))

    def grant(self, environment: str, role: str) -> RoleGrant | None:
        return next((g for g in self.grants if g.environment == environment and g.role == role), None)


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    return Path(paths.user_config_file(environ))


def load(path: Path | None = None) -> UserConfig:
    """Read the user config (by default, of the org ``--org``/``$AWSROLES_ORG`` picks: see
    :mod:`awsroles.creds.orgs`); :class:`NotSetUp` when there is none."""
    if path is None:
        from awsroles.creds.orgs import select

        select()
        path = config_path()
    parser = configparser.RawConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise NotSetUp("awsroles is not set up for you yet: run `awsroles setup`") from None
    except (OSError, configparser.Error) as exc:
        raise UsageError(f"{path}: cannot read the awsroles user config: {exc}") from None
    try:
        user = parser["user"]
        grants = tuple(
            RoleGrant(*grant, parser[section]["account_id"], parser[section].get("role_arn", ""),
                      int(parser[section].get("max_session", "3600")), parser[section].get("permission_set", ""),
                      parser[section].get("until", ""))
            for section in parser.sections() if (grant := grant_of(section)) is not None
        )
        break_glass = tuple(
            RoleGrant(section[len(BREAK_GLASS_PREFIX):], parser[section]["role"], parser[section]["account_id"],
                      parser[section]["role_arn"], int(parser[section].get("max_session", "3600")),
                      parser[section].get("permission_set", ""))
            for section in parser.sections() if section.startswith(BREAK_GLASS_PREFIX)
        )
        identity = user.get("identity", IAM_USERS)
        if identity not in (IAM_USERS, IDENTITY_CENTER):
            raise ValueError(f"identity = {identity}")
        ops = user["ops_account_id"] if identity == IAM_USERS else user.get("ops_account_id", "")
        if identity == IDENTITY_CENTER:  # what a sign-in needs: without it, AWS would be asked for nothing
            missing = [key for key in ("start_url", "sso_region", "sso_session") if not user.get(key, "").strip()]
            if missing:
                raise ValueError(f"identity = {identity} without {', '.join(missing)}")
        return UserConfig(
            user_name=user["name"], user_arn=user.get("arn", ""), ops_account_id=ops,
            org_name=user.get("org", ""), region=user.get("region", "us-east-1"),
            partition=user.get("partition", "aws"), mfa_serial=user.get("mfa_serial", ""),
            mfa_required=user.getboolean("mfa_required", True), mfa_max_age=int(user.get("mfa_max_age", "43200")),
            session_duration=int(user.get("session_duration", "3600")), mfa_command=user.get("mfa_command", ""),
            store=user.get("store", "keyring"), totp_in_store=user.getboolean("totp_in_store", False),
            org_file=user.get("org_file", ""), browser=user.get("browser", "default"), grants=grants,
            identity=identity, start_url=user.get("start_url", ""), sso_region=user.get("sso_region", ""),
            sso_session=user.get("sso_session", ""), share_sso_login=user.getboolean("share_sso_login", False),
            break_glass=break_glass,
        )
    except (KeyError, ValueError, IndexError) as exc:
        raise UsageError(f"{path}: the awsroles user config is damaged ({exc}); run `awsroles setup` again") from None


def dumps(config: UserConfig) -> str:
    lines = ["# awsroles user config: written by `awsroles setup`; no secrets in here.", "[user]"]
    values = {
        "name": config.user_name, "arn": config.user_arn, "ops_account_id": config.ops_account_id,
        "org": config.org_name, "region": config.region, "partition": config.partition,
        "mfa_serial": config.mfa_serial, "mfa_required": "yes" if config.mfa_required else "no",
        "mfa_max_age": str(config.mfa_max_age), "session_duration": str(config.session_duration),
        "mfa_command": config.mfa_command, "store": config.store,
        "totp_in_store": "yes" if config.totp_in_store else "no", "org_file": config.org_file,
        "browser": config.browser,
    }
    if config.identity_center:
        values.update({"identity": config.identity, "start_url": config.start_url, "sso_region": config.sso_region,
                       "sso_session": config.sso_session,
                       "share_sso_login": "yes" if config.share_sso_login else "no"})
    lines += [f"{k} = {v}" for k, v in values.items()]
    for g in config.grants:
        lines += ["", f"[{grant_section(g.environment, g.role)}]", f"account_id = {g.account_id}",
                  f"role_arn = {g.role_arn}", f"max_session = {g.max_session}"]
        if g.permission_set:
            lines.append(f"permission_set = {g.permission_set}")
        if g.until:
            lines.append(f"until = {g.until}")
    for g in config.break_glass:  # not "grant ..." sections: no lookup of granted roles ever finds them
        lines += ["", f"[{BREAK_GLASS_PREFIX}{g.environment}]", f"role = {g.role}", f"account_id = {g.account_id}",
                  f"role_arn = {g.role_arn}", f"max_session = {g.max_session}"]
        if g.permission_set:  # an org on Identity Center alone: the way to the role
            lines.append(f"permission_set = {g.permission_set}")
    return "\n".join(lines) + "\n"


def save(config: UserConfig, path: Path | None = None) -> Path:
    from awsroles.fsutil import atomic_write, private_dir  # here: tab completion reads the config, never writes

    path = path or config_path()
    private_dir(path.parent)
    atomic_write(path, dumps(config), mode=0o600)
    return path
