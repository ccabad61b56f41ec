"""``awsroles setup``: check a person's ops access key, then keep it and what they may assume.

:func:`setup` finds the IAM user and MFA device behind the key (GetCallerIdentity,
ListMFADevices), copies the environments and roles the org file grants that user into their
user config, stores the key (and, if they opt in, their TOTP seed) in their secret store and
clears the fast cache (grants may have changed). Everything with a side effect is passed in:
how AWS is reached as that key, which store to open, where the config goes, the fast cache.
Asking the person for the key is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsroles.creds.model import Credentials
from awsroles.creds.portal import Portal, PortalRole, TokenRefused
from awsroles.creds.store import SESSIONS
from awsroles.creds.userconfig import IDENTITY_CENTER, RoleGrant, UserConfig
from awsroles.errors import AwsrolesError, UsageError, from_aws
from awsroles.org.limits import ROLE_CHAIN_SESSION_MAX
from awsroles.org.marks import BREAK_GLASS_PERMISSION_SET

if TYPE_CHECKING:
    from awsroles.creds.fastcache import FastCache
    from awsroles.creds.signin import SignIn
    from awsroles.creds.store import SecretStore
    from awsroles.org.model import Org


@dataclass(frozen=True)
class SetupRequest:
    """What the person gave: their key, where to keep it, and their preferences."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    store: str = "keyring"  # keyring, file or plaintext
    mfa_command: str = ""
    totp_seed: str = field(default="", repr=False)  # base32; empty unless they opted in to keep it in the store
    region: str | None = None  # None: the org's
    browser: str = "default"  # where `awsroles console` opens (awsroles.creds.browser.KINDS)


@dataclass(frozen=True)
class SignInRequest:
    """What a person of an Identity Center org gives ``awsroles setup``: no key, only preferences."""

    store: str = "keyring"
    region: str | None = None  # None: the org's
    browser: str = "default"
    start_url: str = ""  # "": the org file's identity_center_start_url
    share_sso_login: bool = False  # keep the sign-in in ~/.aws/sso/cache too, for the AWS CLI and SDKs


@dataclass(frozen=True)
class SetupResult:
    """What setup found and wrote (nothing secret)."""

    config: UserConfig
    config_path: Path
    store_name: str
    mfa_required: bool
    not_in_org_file: tuple[str, ...] = ()  # Identity Center: roles the portal gives that the org file does not name
    unshared: bool = False  # Identity Center: awsroles' copy of the sign-in in ~/.aws/sso/cache was removed

    @property
    def environments(self) -> dict[str, list[str]]:
        """Environment -> the roles the person may assume there, in the org file's order."""
        out: dict[str, list[str]] = {}
        for grant in self.config.grants:
            out.setdefault(grant.environment, []).append(grant.role)
        return out

    @property
    def break_glass(self) -> list[str]:
        """The environments whose break-glass role the person may assume (``login ENV --break-glass``)."""
        return [g.environment for g in self.config.break_glass]

    def as_dict(self) -> dict[str, object]:
        c = self.config
        return {"user": c.user_name, "arn": c.user_arn, "account": c.ops_account_id, "org": c.org_name,
                "store": self.store_name, "mfa_serial": c.mfa_serial or None, "mfa_required": self.mfa_required,
                "environments": self.environments, "break_glass": self.break_glass, "settings": str(self.config_path),
                **({"identity": c.identity, "start_url": c.start_url, "sso_session": c.sso_session,
                    "share_sso_login": c.share_sso_login, "not_in_org_file": list(self.not_in_org_file)}
                   if c.identity_center else {})}


def grants_for(org: Org, user: str) -> tuple[RoleGrant, ...]:
    """The roles the org file lets ``user`` assume, once each (not yet in accounts ``apply`` has
    still to create: they have no ARN until then)."""
    from awsroles.iam.access import access_list

    rows = [a for a in access_list(org, user=user) if a.role_arn]
    standing = {(a.environment, a.role) for a in rows if not a.temporary}
    latest: dict[tuple[str, str], str] = {}  # a role held only for a while: until the latest of its grants
    for a in rows:
        if a.temporary and (a.environment, a.role) not in standing:
            latest[a.environment, a.role] = max(a.until, latest.get((a.environment, a.role), ""))
    grants = (RoleGrant(a.environment, a.role, a.account_id, a.role_arn, org.role(a.role).max_session,
                        until=latest.get((a.environment, a.role), "")) for a in rows)
    return tuple(dict.fromkeys(grants))


def break_glass_for(org: Org, user: str) -> tuple[RoleGrant, ...]:
    """The break-glass roles that name ``user`` (in accounts that exist): kept apart from grants."""
    return tuple(RoleGrant(g.environment, g.role, org.environment_account(g.environment).id,
                           org.role_arn(g.environment, g.role), g.max_session)
                 for g in org.break_glass if user in g.people and not org.environment_account(g.environment).pending)


def setup(org: Org, org_path: Path, request: SetupRequest, *, aws_for: Callable[[Credentials, str], Any],
          open_store: Callable[[str], SecretStore], save: Callable[[UserConfig], Path],
          fast: FastCache | None = None) -> SetupResult:
    """Check ``request``'s key against AWS and the org, then store it and save the user config.

    ``aws_for(key, region)`` reaches AWS as the key (:func:`awsroles.aws.for_credentials`);
    ``open_store(kind)`` opens the person's secret store; ``save(config)`` writes the user config
    and returns its path; ``fast`` is cleared. Raises UsageError for a key that is not an IAM
    user's in the org's ops account, and errors.from_aws's error when AWS refuses or cannot be
    reached (nothing is stored then).
    """
    from awsroles.creds.store import KEYS

    store = open_store(request.store)
    if request.store == "keyring":  # no keyring (or a locked one) fails here, before anything is sent to AWS
        store.get(KEYS, "setup-check")
    region = request.region or org.region
    key = Credentials(request.access_key_id, request.secret_access_key)
    aws = aws_for(key, region)
    try:
        identity = aws.whoami()
        user = identity.user_name
        if user is None:
            raise UsageError(f"that key belongs to {identity.arn}, not an IAM user: use your own user's key")
        if identity.account != org.ops.id:
            raise UsageError(f"that key is for account {identity.account}, not the ops account {org.ops.id} of "
                             f"{org.name}")
        devices = aws.client("iam").list_mfa_devices(UserName=user).get("MFADevices", [])
    except AwsrolesError:
        raise
    except Exception as exc:
        raise from_aws(exc, "cannot check that key") from exc
    config = UserConfig(
        user_name=user, user_arn=identity.arn, ops_account_id=identity.account, org_name=org.name,
        region=region, partition=org.partition, mfa_serial=devices[0]["SerialNumber"] if devices else "",
        mfa_required=org.mfa_required, mfa_max_age=org.mfa_max_age, session_duration=org.session_duration,
        mfa_command=request.mfa_command, store=request.store, totp_in_store=bool(request.totp_seed),
        org_file=str(org_path.resolve()), browser=request.browser, grants=grants_for(org, user),
        break_glass=break_glass_for(org, user),
    )
    store.set(KEYS, config.key_name, key.to_json())
    if request.totp_seed:
        store.set(KEYS, f"totp/{config.key_name}", request.totp_seed)
    path = save(config)
    if fast is not None:
        fast.clear()  # grants may have changed
    return SetupResult(config, path, store.name, org.mfa_required)


def session_name(org: Org) -> str:
    """The sign-in's name: the AWS CLI's ``[sso-session NAME]`` that ``profiles sync`` writes, and the
    key of its token in ``~/.aws/sso/cache``."""
    return f"awsroles-{org.name}"


def start_url_of(org: Org, given: str = "") -> str:
    from awsroles.org.sections import START_URL

    url = given or org.identity_center_start_url
    if not url:
        raise UsageError(f"{org.name} signs in through IAM Identity Center but its org file names no "
                         "identity_center_start_url (the AWS access portal URL, IAM Identity Center console, "
                         "Settings): add it to [org], or pass --start-url")
    if not START_URL.fullmatch(url):
        raise UsageError(f"--start-url {url!r} is not an access portal URL (https://d-1234567890.awsapps.com/start)")
    return url


def portal_grants(org: Org, roles: list[PortalRole], now: datetime | None = None,
                  ) -> tuple[tuple[RoleGrant, ...], tuple[str, ...]]:
    """The portal's (account, permission set) pairs as the org file names them: environment and
    role; and those it does not name (``ACCOUNT/PERMISSION_SET``: hand-made ones, other orgs').
    A temporary grant's own permission set (``awsroles-tmp-...``) is its role, with its ``until``,
    while the grant lasts at ``now``; a standing grant of the same role comes first."""
    from awsroles.org.temporary import format_time, permission_set_name

    by_account: dict[str, list[str]] = {}
    for environment, account in org.environments.items():
        if account.id:
            by_account.setdefault(account.id, []).append(environment)
    role_names = {role.name for role in org.roles}
    moment = now or datetime.now(timezone.utc)
    temporary = {(g.environment, permission_set_name(g.id)): g for g in org.active_temporary(moment)}
    grants: list[RoleGrant] = []
    others: list[str] = []
    for found in roles:
        environments = by_account.get(found.account_id, [])
        if found.role == BREAK_GLASS_PERMISSION_SET and environments:
            continue  # the way to a break-glass role: portal_break_glass
        lasting = [temporary[e, found.role] for e in environments if (e, found.role) in temporary]
        if lasting:
            grants += [RoleGrant(g.environment, g.role, found.account_id, "", 3600, found.role,  # its PT1H
                                 format_time(g.until)) for g in lasting]
            continue
        if not environments or found.role not in role_names:
            others.append(f"{found.account_name or found.account_id}/{found.role}")
            continue
        grants += [RoleGrant(environment, found.role, found.account_id, "", org.role(found.role).max_session,
                             found.role) for environment in environments]
    order = {name: i for i, name in enumerate(org.environments)}
    roles_order = {role.name: i for i, role in enumerate(org.roles)}
    grants.sort(key=lambda g: g.until, reverse=True)  # of overlapping temporary grants, the longest first
    grants.sort(key=lambda g: (order.get(g.environment, 0), roles_order.get(g.role, 0), g.until != ""))
    return tuple(dict.fromkeys(grants)), tuple(others)


def portal_break_glass(org: Org, roles: list[PortalRole]) -> tuple[RoleGrant, ...]:
    """The break-glass roles the portal gives the way to (the permission set ``awsroles-break-glass``
    in an environment's account whose ``[break-glass]`` the org file has): at most an hour each, a
    session assumed from that permission set's (a role chain)."""
    out = []
    for found in roles:
        if found.role != BREAK_GLASS_PERMISSION_SET:
            continue
        for environment, account in org.environments.items():
            glass = org.break_glass_in(environment)
            if glass is not None and account.id == found.account_id:
                out.append(RoleGrant(environment, glass.role, account.id, org.role_arn(environment, glass.role),
                                     min(glass.max_session, ROLE_CHAIN_SESSION_MAX), BREAK_GLASS_PERMISSION_SET))
    return tuple(out)


def setup_identity_center(org: Org, org_path: Path, request: SignInRequest, *,
                          signin_for: Callable[[UserConfig, SecretStore], SignIn], portal: Portal,
                          whoami: Callable[[Credentials, str], str | None],
                          open_store: Callable[[str], SecretStore], save: Callable[[UserConfig], Path],
                          fast: FastCache | None = None) -> SetupResult:
    """Sign in to the org's IAM Identity Center (a browser approval, unless a sign-in is cached or
    shared by the AWS CLI), ask the portal which roles the person is given, and save them.

    ``signin_for(config, store)`` builds the sign-in; ``whoami(credentials, region)`` names the
    person from a role session (the session name IAM Identity Center gives is their user name).
    Nothing is saved when the sign-in is refused or AWS cannot be reached.
    """
    from dataclasses import replace

    if not org.uses_identity_center:
        raise UsageError(f"{org.name} does not use IAM Identity Center (its [org] identity is "
                         f"{', '.join(org.identity)})")
    store = open_store(request.store)
    if request.store == "keyring":
        store.get(SESSIONS, "setup-check")
    region = request.region or org.region
    config = UserConfig(
        user_name="", user_arn="", ops_account_id="", org_name=org.name, region=region, partition=org.partition,
        mfa_required=False, session_duration=org.session_duration, store=request.store,
        org_file=str(org_path.resolve()), browser=request.browser, identity=IDENTITY_CENTER,
        start_url=start_url_of(org, request.start_url), sso_region=org.identity_center_region_name,
        sso_session=session_name(org), share_sso_login=request.share_sso_login,
    )
    signin = signin_for(config, store)
    unshared = False
    if not request.share_sso_login and signin.shared is not None:
        # asked not to share (any more): awsroles' own plaintext copy goes (the store keeps the sign-in)
        current = signin.cached()
        unshared = signin.shared.delete(config.sso_session)
        if current is not None and unshared:
            store.set(SESSIONS, signin.store_name, current.to_json())
    token = signin.token()
    try:
        found = portal.roles(token.access_token)
    except TokenRefused:  # revoked since it was cached: once more, from a new sign-in
        token = signin.token(refused=token)
        found = portal.roles(token.access_token)
    grants, others = portal_grants(org, found)
    glass = portal_break_glass(org, found)
    user = ""
    if grants or glass:
        first = (grants or glass)[0]
        user = whoami(portal.role_credentials(token.access_token, first.account_id, first.permission_set),
                      region) or ""
    config = replace(config, user_name=user, grants=grants, break_glass=glass)
    path = save(config)
    if fast is not None:
        fast.clear()  # grants may have changed
    return SetupResult(config, path, store.name, False, others, unshared)
