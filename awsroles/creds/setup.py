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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsroles.creds.model import Credentials
from awsroles.creds.userconfig import RoleGrant, UserConfig
from awsroles.errors import AwsrolesError, UsageError, from_aws

if TYPE_CHECKING:
    from awsroles.creds.fastcache import FastCache
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
class SetupResult:
    """What setup found and wrote (nothing secret)."""

    config: UserConfig
    config_path: Path
    store_name: str
    mfa_required: bool

    @property
    def environments(self) -> dict[str, list[str]]:
        """Environment -> the roles the person may assume there, in the org file's order."""
        out: dict[str, list[str]] = {}
        for grant in self.config.grants:
            out.setdefault(grant.environment, []).append(grant.role)
        return out

    def as_dict(self) -> dict[str, object]:
        c = self.config
        return {"user": c.user_name, "arn": c.user_arn, "account": c.ops_account_id, "org": c.org_name,
                "store": self.store_name, "mfa_serial": c.mfa_serial or None, "mfa_required": self.mfa_required,
                "environments": self.environments, "settings": str(self.config_path)}


def grants_for(org: Org, user: str) -> tuple[RoleGrant, ...]:
    """The roles the org file lets ``user`` assume, once each (not yet in accounts ``apply`` has
    still to create: they have no ARN until then)."""
    from awsroles.iam.access import access_list

    grants = (RoleGrant(a.environment, a.role, a.account_id, a.role_arn, org.role(a.role).max_session)
              for a in access_list(org, user=user) if a.role_arn)
    return tuple(dict.fromkeys(grants))


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
    )
    store.set(KEYS, config.key_name, key.to_json())
    if request.totp_seed:
        store.set(KEYS, f"totp/{config.key_name}", request.totp_seed)
    path = save(config)
    if fast is not None:
        fast.clear()  # grants may have changed
    return SetupResult(config, path, store.name, org.mfa_required)
