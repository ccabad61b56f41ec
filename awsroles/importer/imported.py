"""What an import gives: the org, its file's text, its policy files, the findings, and the plan the
file would still have (:class:`Imported`, built by :func:`awsroles.importer.infer.build_import`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles.importer.outside import NotImported
from awsroles.org.model import Org
from awsroles.sync.plan import Plan
from awsroles.sync.state import LiveAccount


@dataclass(frozen=True)
class Imported:
    """An imported org: the model, the org-file text, the policy files it refers to, and findings."""

    org: Org
    text: str
    policy_dir: str  # as written in [org] policy_dir, relative to the org file
    policy_files: Mapping[str, str]  # path relative to policy_dir -> canonical JSON
    accounts_read: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    plan: Plan = field(default_factory=Plan)  # what `plan` would still do against the state that was read
    live: Mapping[str, LiveAccount] = field(default_factory=dict, repr=False, compare=False)  # what it was planned on
    not_imported: tuple[NotImported, ...] = ()  # users, groups and roles read outside the path, with why

    def as_dict(self) -> dict[str, Any]:
        return {
            "org": self.org.name,
            "accounts": len(self.org.accounts), "environments": len(self.org.environments),
            "roles": len(self.org.roles), "teams": len(self.org.teams), "users": len(self.org.users),
            "ous": list(self.org.ous),
            "scp_targets": {t.label: {"guardrails": [str(g) for g in t.guardrails],
                                      "scp_files": [f.source for f in t.scp_files]} for t in self.org.scp_targets},
            "accounts_read": list(self.accounts_read),
            "policy_files": sorted(self.policy_files),
            "warnings": list(self.warnings),
            "not_imported": [n.as_dict() for n in self.not_imported],
            "plan": {
                "empty": self.plan.empty,
                "changes": [change_dict(c) for c in self.plan.changes],
                "kept": [change_dict(c) for c in self.plan.kept],
                "conflicts": [c.as_dict() for c in self.plan.conflicts],
            },
        }


def change_dict(change: Any) -> dict[str, Any]:
    return {"account": change.account, "action": change.action, "kind": change.kind, "name": change.name,
            "details": list(change.details)}
