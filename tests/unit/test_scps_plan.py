"""The SCP planner, pure: the org file's guardrails against a live organization made by hand."""

from __future__ import annotations

import json

from awsroles.accounts.scps import LiveScp, LiveScps
from awsroles.accounts.state import LiveOrgAccount, LiveOrganization, LiveOU
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG
from awsroles.sync.plan import PlanOptions
from awsroles.sync.scps import ATTACH_SCP, CREATE_SCP, DIGEST_TAG, ENABLE_SCPS, compact, digest, plan_scps, wanted_scps
from tests.unit.test_org_accounts import org_text
from tests.unit.test_orgfile import valid

OURS = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1], ORG_TAG: "acme"}
ROOT = "r-1"
TEXT = org_text(org="account_email = aws+{name}@acme.example\nguardrails = deny-leave-organization",
                dev="ou = Workloads\nguardrails = deny-root-user")
ROOT_SCP, DEV_SCP = "awsroles-acme-guardrails-root", "awsroles-acme-guardrails-account-dev"


def live(scps: LiveScps) -> LiveOrganization:
    accounts = [LiveOrgAccount("111111111111", "master", "root@acme.example", "ACTIVE", ""),
                LiveOrgAccount("444444444444", "prod", "prod@acme.example", "ACTIVE", "")]
    return LiveOrganization(ROOT, {a.id: a for a in accounts}, {"Workloads": LiveOU("ou-1", "Workloads", OURS)},
                            scps=scps)


def test_scps_wait_for_the_root_policy_type_and_for_accounts_apply_creates() -> None:
    out = plan_scps(valid(TEXT), live(LiveScps(enabled=False, attached={ROOT: ("FullAWSAccess",)})))
    assert [(c.kind, c.name, c.ops[0][0]) for c in out.changes] == [
        ("root", "SERVICE_CONTROL_POLICY", ENABLE_SCPS), ("scp", ROOT_SCP, CREATE_SCP), ("scp", DEV_SCP, CREATE_SCP)]
    root, dev = out.changes[1], out.changes[2]
    assert root.ops[1] == (ATTACH_SCP, {"Name": ROOT_SCP, "Target": {"Kind": "root"}})
    assert [op for op, _ in dev.ops] == [CREATE_SCP]  # dev has no id yet
    assert dev.details == ("guardrails deny-root-user", "attached to account dev once apply has created it")
    assert not out.conflicts


def test_an_owned_scp_as_awsroles_wrote_it_and_attached_is_no_change() -> None:
    org = valid(TEXT.replace("guardrails = deny-root-user\n", ""))
    document = wanted_scps(org)[ROOT_SCP].document
    scp = LiveScp("p-1", ROOT_SCP, compact(document), {**OURS, DIGEST_TAG: digest(document)}, (ROOT,))
    out = plan_scps(org, live(LiveScps(enabled=True, policies={ROOT_SCP: scp}, attached={ROOT: ("FullAWSAccess",
                                                                                                ROOT_SCP)})))
    assert not out.changes and not out.conflicts and not out.deletes


def test_an_scp_too_large_is_a_conflict_not_a_call() -> None:
    regions = " ".join(f"{p}-{d}-{i}" for p in ("aa", "bb", "cc", "dd", "ee") for d in ("west", "east")
                       for i in range(1, 40))
    org = valid(TEXT.replace("guardrails = deny-root-user", f"guardrails = allowed-regions {regions}"))
    out = plan_scps(org, live(LiveScps(enabled=True)))
    assert [c.name for c in out.conflicts] == [DEV_SCP]
    assert "Organizations allows 5120 per SCP" in out.conflicts[0].reason
    assert DEV_SCP not in {c.name for c in out.changes}


def test_the_live_document_is_compared_by_meaning() -> None:
    org = valid(TEXT.replace("guardrails = deny-root-user\n", ""))
    document = json.loads(wanted_scps(org)[ROOT_SCP].document)
    shuffled = json.dumps({"Statement": document["Statement"], "Version": document["Version"]}, indent=4)
    scp = LiveScp("p-1", ROOT_SCP, shuffled, OURS, (ROOT,))
    out = plan_scps(org, live(LiveScps(enabled=True, policies={ROOT_SCP: scp})), PlanOptions())
    assert not out.changes
