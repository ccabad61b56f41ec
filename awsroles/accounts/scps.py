"""Read the organization's service control policies (SCPs) that matter to one org file.

One ``DescribeOrganization`` (the feature set: SCPs need all features), the root's policy types
(from ``ListRoots``), one paginated ``ListPolicies`` of SCPs; for each SCP whose name starts with
the org's prefix (``awsroles-ORG-``): ``ListTagsForResource`` (awsroles' marks),
``DescribePolicy`` (its document) and a paginated ``ListTargetsForPolicy``; and for each root, OU
or account the org file gives SCPs, a paginated ``ListPoliciesForTarget`` (how many SCPs it has:
Organizations attaches at most 5). The reads of each SCP and of each target run a bounded number
at a time (``concurrency``: ``--parallel``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from awsroles.accounts.reads import CONCURRENCY, bounded_map, pages, tags_of

SCP_TYPE = "SERVICE_CONTROL_POLICY"
ALL_FEATURES = "ALL"


@dataclass(frozen=True)
class LiveScp:
    id: str
    name: str
    content: str
    tags: Mapping[str, str] = field(default_factory=dict)
    targets: tuple[str, ...] = ()  # ids of the root, OUs and accounts it is attached to


@dataclass(frozen=True)
class LiveScps:
    feature_set: str = ALL_FEATURES  # ALL or CONSOLIDATED_BILLING
    enabled: bool = False  # SERVICE_CONTROL_POLICY enabled on the root
    policies: Mapping[str, LiveScp] = field(default_factory=dict)  # at the org's prefix, by name
    attached: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # target id -> names of its SCPs
    api_calls: int = 0


def read_scps(orgs: Any, prefix: str, targets: Collection[str], concurrency: int = CONCURRENCY) -> LiveScps:
    """The SCPs at ``prefix`` and what is attached to each of ``targets`` (ids); the reads of each
    SCP and of each target run ``concurrency`` at a time."""
    feature_set = str(orgs.describe_organization()["Organization"].get("FeatureSet", ALL_FEATURES))
    calls = 1
    roots, n = pages(orgs, "list_roots", "Roots")
    calls += n
    enabled = any(t.get("Type") == SCP_TYPE and t.get("Status") == "ENABLED" for t in roots[0].get("PolicyTypes", []))
    if feature_set != ALL_FEATURES:
        return LiveScps(feature_set, False, {}, {}, calls)
    listed, n = pages(orgs, "list_policies", "Policies", Filter=SCP_TYPE)
    calls += n

    def policy(summary: Mapping[str, Any]) -> tuple[LiveScp, int]:
        policy_id = summary["Id"]
        tags, n = tags_of(orgs, policy_id)
        content = orgs.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
        attached, m = pages(orgs, "list_targets_for_policy", "Targets", PolicyId=policy_id)
        return LiveScp(policy_id, summary["Name"], str(content), tags,
                       tuple(t["TargetId"] for t in attached)), n + 1 + m

    ours = [summary for summary in listed if str(summary.get("Name", "")).startswith(prefix)]
    read = bounded_map(policy, ours, concurrency)
    calls += sum(n for _scp, n in read)
    policies = {scp.name: scp for scp, _n in read}

    def attached_to(target: str) -> tuple[tuple[str, ...], int]:
        found, n = pages(orgs, "list_policies_for_target", "Policies", TargetId=target, Filter=SCP_TYPE)
        return tuple(str(p["Name"]) for p in found), n

    targets = list(targets)
    by_target = bounded_map(attached_to, targets, concurrency)
    calls += sum(n for _names, n in by_target)
    attached = {target: names for target, (names, _n) in zip(targets, by_target, strict=True)}
    return LiveScps(feature_set, enabled, policies, attached, calls)
