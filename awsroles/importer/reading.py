"""The state one import builds up while it reads (accounts, live state, settings, the --from org,
the roles seen, the MFA settings observed, the policy files, the findings), shared by its parts:
:mod:`awsroles.importer.teams` and :mod:`awsroles.importer.infer`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from awsroles.importer.accounts import Accounts
from awsroles.importer.conflicts import RoleSeen
from awsroles.importer.documents import mfa_of
from awsroles.importer.identity_center import InstanceRead
from awsroles.importer.settings import OrgSettings
from awsroles.org.model import Org
from awsroles.sync.state import Document, LiveAccount


class Reading:
    """One import's state: findings accumulate in ``warnings``."""

    def __init__(self, accounts: Accounts, live: Mapping[str, LiveAccount], settings: OrgSettings,
                 previous: Org | None, other_scps: Sequence[str] = (), identity_center: InstanceRead | None = None):
        self.accounts, self.live, self.settings, self.previous = accounts, live, settings, previous
        self.other_scps = other_scps
        self.identity_center = identity_center
        self.warnings: list[str] = list(accounts.notes)
        self.ops = live.get(accounts.ops)
        self.mfa_seen: dict[tuple[bool, int | None], list[str]] = {}
        self.seen: dict[str, list[RoleSeen]] = {}  # role name -> every environment that holds it
        self.policy_files: dict[str, str] = {}

    def observe_mfa(self, document: Document, where: str) -> None:
        observed = mfa_of(document)
        if observed is not None:
            self.mfa_seen.setdefault(observed, []).append(where)
