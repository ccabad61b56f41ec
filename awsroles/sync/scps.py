"""Pure: the SCPs the org file declares (guardrails and SCP files) against the organization's -> changes.

What is wanted: for every root, OU or account with ``guardrails``, one SCP of them
(``awsroles-ORG-guardrails-TARGET``, :mod:`awsroles.accounts.guardrails`); for every SCP file, one
SCP (``awsroles-ORG-scp-NAME``) attached to every target that lists it.

Ownership as for OUs and accounts: an SCP is awsroles' when its name starts with ``awsroles-ORG-``
and it carries ``managed-by = awsroles`` and ``awsroles-org = ORG``. A wanted name taken by an SCP
without the mark is a conflict (``--adopt`` takes it over); SCPs at the prefix without the mark are
unowned findings; owned SCPs the file no longer wants are deleted (detached first) with ``prune``
only. Nothing else is ever attached, detached or deleted: not ``FullAWSAccess``, not any SCP
awsroles does not own. An update is drift when the live document no longer hashes to the digest
tag awsroles wrote with it (someone edited it outside awsroles).

SCPs need an organization with all features (a conflict otherwise) and the SERVICE_CONTROL_POLICY
policy type enabled on the root (a change of kind ``root`` the plan shows, run before the SCPs).
Organizations attaches at most 5 SCPs to a target: a target that would have more is a conflict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from awsroles.accounts import guardrails
from awsroles.accounts.scps import ALL_FEATURES, SCP_TYPE, LiveScp, LiveScps
from awsroles.accounts.state import LiveOrganization, is_ours
from awsroles.accounts.wanted import DIGEST_TAG, WantedScp, compact, digest, wanted_scps
from awsroles.org.entries import SCP_ACCOUNT, SCP_OU, SCP_ROOT, ScpTarget
from awsroles.org.jsondoc import canonical_json
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG, scp_prefix
from awsroles.org.model import Org
from awsroles.sync.kinds import ROOT, SCP
from awsroles.sync.ops import document_diff
from awsroles.sync.plan import Change, Conflict, Finding, Op, PlanOptions

SCPS_PER_TARGET = 5  # Organizations quota, FullAWSAccess included
SCP_MAX_CHARS = guardrails.SCP_MAX_CHARS
ENABLE_SCPS = "awsroles:enable-scps"  # {"PolicyType"}: on the root
CREATE_SCP = "awsroles:create-scp"  # {"Name", "Description", "Content", "Tags"}
UPDATE_SCP = "awsroles:update-scp"  # {"Name", "Content"}
TAG_SCP = "awsroles:tag-scp"  # {"Name", "Tags"}
ATTACH_SCP = "awsroles:attach-scp"  # {"Name", "Target": {"Kind": root|ou|account, "Path", "AccountId"}}
DETACH_SCP = "awsroles:detach-scp"  # {"Name", "TargetId"}
DELETE_SCP = "awsroles:delete-scp"  # {"Name"}
SCP_CALLS = frozenset({ENABLE_SCPS, CREATE_SCP, UPDATE_SCP, TAG_SCP, ATTACH_SCP, DETACH_SCP, DELETE_SCP})


@dataclass
class ScpPlan:
    changes: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unowned: list[Finding] = field(default_factory=list)


def _document(content: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content


class _Planner:
    def __init__(self, org: Org, live: LiveOrganization, scps: LiveScps, options: PlanOptions):
        self.org, self.live, self.scps, self.options = org, live, scps, options
        self.management = org.management
        self.out = ScpPlan()

    def change(self, action: str, kind: str, name: str, ops: list[Op], details: list[str],
               diffs: list[tuple[str, str]] | None = None, drift: bool = False) -> None:
        change = Change(self.management.name, self.management.id, action, kind, name, tuple(details),
                        tuple(diffs or ()), drift, tuple(ops))
        (self.out.deletes if action == "delete" else self.out.changes).append(change)

    def conflict(self, kind: str, name: str, reason: str, into: list[Conflict] | None = None) -> None:
        (self.out.conflicts if into is None else into).append(
            Conflict(self.management.name, self.management.id, kind, name, reason))

    def tags(self, document: str) -> list[dict[str, str]]:
        return [{"Key": MANAGED_BY_TAG[0], "Value": MANAGED_BY_TAG[1]}, {"Key": ORG_TAG, "Value": self.org.name},
                {"Key": DIGEST_TAG, "Value": digest(document)}]

    def target_id(self, target: ScpTarget) -> str | None:
        """The live id of a target; None when it does not exist yet (an OU or account apply creates)."""
        if target.kind == SCP_ROOT:
            return self.live.root_id
        if target.kind == SCP_OU:
            ou = self.live.ous.get(target.name)
            return ou.id if ou is not None else None
        account = self.org.account(target.name)
        return account.id or None

    def target_spec(self, target: ScpTarget) -> dict[str, str] | None:
        """How apply finds the target (an OU by path: this plan may create it); None: not yet."""
        if target.kind == SCP_ROOT:
            return {"Kind": SCP_ROOT}
        if target.kind == SCP_OU:
            return {"Kind": SCP_OU, "Path": target.name}
        account = self.org.account(target.name)
        return {"Kind": SCP_ACCOUNT, "AccountId": account.id} if account.id else None

    def attachments(self, wanted: WantedScp, live: LiveScp | None) -> tuple[list[Op], list[str], dict[str, int]]:
        """Attach to the targets missing, detach from those no longer listed: ops, details, and the
        change in SCP count per live target id."""
        ops: list[Op] = []
        details: list[str] = []
        delta: dict[str, int] = {}
        attached = set(live.targets) if live is not None else set()
        wanted_ids: set[str] = set()
        for target in wanted.targets:
            target_id = self.target_id(target)
            if target_id is not None:
                wanted_ids.add(target_id)
                if target_id in attached:
                    continue
            if target.kind == SCP_ACCOUNT and target_id is not None and target_id not in self.live.accounts:
                self.conflict(SCP, wanted.name, f"{target.label} ({target_id}) is not in the organization of the "
                              f"management account {self.management.name}: its SCPs cannot be attached")
                continue
            spec = self.target_spec(target)
            if spec is None:
                details.append(f"attached to {target.label} once apply has created it")
                continue
            ops.append((ATTACH_SCP, {"Name": wanted.name, "Target": spec}))
            details.append(f"attach to {target.label}")
            if target_id is not None:
                delta[target_id] = delta.get(target_id, 0) + 1
        for target_id in sorted(attached - wanted_ids):
            ops.append((DETACH_SCP, {"Name": wanted.name, "TargetId": target_id}))
            details.append(f"detach from {self.describe(target_id)}")
            delta[target_id] = delta.get(target_id, 0) - 1
        return ops, details, delta

    def describe(self, target_id: str) -> str:
        if target_id == self.live.root_id:
            return "the root"
        path = next((p for p, ou in self.live.ous.items() if ou.id == target_id), None)
        if path is not None:
            return f"OU {path}"
        account = self.live.accounts.get(target_id)
        return f"account {account.name} ({target_id})" if account is not None else target_id

    def plan(self) -> None:
        wanted = wanted_scps(self.org)
        if wanted and self.scps.feature_set != ALL_FEATURES:
            self.conflict(ROOT, "organization", f"the organization has the feature set {self.scps.feature_set}: "
                          "service control policies need all features (Organizations User Guide, \"Enabling all "
                          "features\"; awsroles never changes the feature set), so no guardrail or SCP file is "
                          "applied")
            return
        if wanted and not self.scps.enabled:
            self.change("update", ROOT, SCP_TYPE, [(ENABLE_SCPS, {"PolicyType": SCP_TYPE})],
                        ["enable service control policies on the root (AWS then attaches FullAWSAccess to the root, "
                         "every OU and every account, which allows everything the other SCPs do not deny)"])
        counts: dict[str, int] = {}
        for name, want in wanted.items():
            if len(compact(want.document)) > SCP_MAX_CHARS:
                self.conflict(SCP, name, f"its document is {len(compact(want.document))} characters; Organizations "
                              f"allows {SCP_MAX_CHARS} per SCP ({want.what}): `awsroles validate` says where")
                continue
            counts_delta = self.one(want, self.scps.policies.get(name))
            for target_id, n in counts_delta.items():
                counts[target_id] = counts.get(target_id, 0) + n
        self.limits(counts)
        prefix = scp_prefix(self.org.name)
        for name, live in sorted(self.scps.policies.items()):
            if name in wanted or not name.startswith(prefix):
                continue
            if not is_ours(live.tags, self.org.name):
                self.conflict(SCP, name, f"at awsroles' prefix {prefix} ({live.id}) without its mark (the tags "
                              "managed-by = awsroles and awsroles-org): never changed, detached or deleted",
                              self.out.unowned)
                continue
            ops: list[Op] = [(DETACH_SCP, {"Name": name, "TargetId": t}) for t in live.targets]
            ops.append((DELETE_SCP, {"Name": name}))
            details = [f"detach from {self.describe(t)}" for t in live.targets] + ["delete (no longer in the org file)"]
            self.change("delete", SCP, name, ops, details)

    def one(self, want: WantedScp, live: LiveScp | None) -> dict[str, int]:
        if live is None:
            attach, where, delta = self.attachments(want, None)
            ops: list[Op] = [(CREATE_SCP, {"Name": want.name, "Description": want.description,
                                           "Content": compact(want.document), "Tags": self.tags(want.document)})]
            self.change("create", SCP, want.name, ops + attach, [want.what, *where])
            return delta
        ours = is_ours(live.tags, self.org.name)
        if not ours and not self.options.adopt:
            self.conflict(SCP, want.name, f"exists ({live.id}) without awsroles' mark (the tags managed-by = awsroles "
                          "and awsroles-org), so awsroles does not own it and never changes it: adopt it with "
                          "`awsroles apply --adopt`, or rename or delete it")
            return {}
        ops = []
        details: list[str] = []
        diffs: list[tuple[str, str]] = []
        live_document = _document(live.content)
        same = isinstance(live_document, dict) and canonical_json(live_document) == want.document
        drift = False
        if not same:
            ops.append((UPDATE_SCP, {"Name": want.name, "Content": compact(want.document)}))
            details.append(f"update the document ({want.what})")
            written = live.tags.get(DIGEST_TAG)
            drift = ours and written is not None and written != (
                digest(live.content) if isinstance(live_document, dict) else "")
            if drift:
                details.append("changed outside awsroles")
            diffs.append(("SCP document", _diff(live_document, want.document)))
        if not ours:
            ops.insert(0, (TAG_SCP, {"Name": want.name, "Tags": self.tags(want.document)}))
            details.insert(0, f"{live.id}: tag managed-by = awsroles")
        elif not same:
            ops.append((TAG_SCP, {"Name": want.name, "Tags": [t for t in self.tags(want.document)
                                                               if t["Key"] == DIGEST_TAG]}))
        attach, where, delta = self.attachments(want, live)
        ops.extend(attach)
        details.extend(where)
        if ops:
            self.change("update" if ours else "adopt", SCP, want.name, ops, details, diffs, drift)
        return delta

    def limits(self, delta: dict[str, int]) -> None:
        for target_id, n in delta.items():
            if n <= 0 or target_id not in self.scps.attached:
                continue
            now = self.scps.attached[target_id]
            after = len(now) + n
            if after > SCPS_PER_TARGET:
                self.conflict(SCP, self.describe(target_id), f"would have {after} SCPs ({', '.join(now)} and "
                              f"{n} more of awsroles'); Organizations attaches at most {SCPS_PER_TARGET} to a root, "
                              "OU or account: detach one it does not need")


def _diff(live: Any, desired: str) -> str:
    return document_diff("SCP document", live, desired)[1]


def plan_scps(org: Org, live: LiveOrganization, options: PlanOptions | None = None) -> ScpPlan:
    """The SCP changes, after the accounts' and OUs' (an SCP attaches to an OU the plan creates by path)."""
    if live.scps is None:
        return ScpPlan()
    planner = _Planner(org, live, live.scps, options or PlanOptions())
    planner.plan()
    return planner.out
