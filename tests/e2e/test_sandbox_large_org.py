"""The sandbox at the size of an organization of hundreds of accounts (issue 20): the bill the seeder
posts for 301 accounts is taken whole and Cost Explorer answers for every one of them. (It used to
be refused: the sandbox's routes took at most 4,096 bytes, and `sandbox start` of a 301-account org
failed after creating every account.)"""

from __future__ import annotations

from pathlib import Path

from awsroles.org.parse import parse_org
from awsroles.sandbox.client import SandboxError, sandbox_route
from awsroles.sandbox.seed import seed_costs
from tests.e2e.conftest import SandboxHandle

ENVIRONMENTS = 300


def _large_org_text(payer: str) -> str:
    """300 environment accounts; the ops (and billing) account is ``payer``, the sandbox's own, where
    its admin asks Cost Explorer."""
    lines = ["[org]", "name = big", "region = us-east-1", "ops_account = ops", "",
             "[account ops]", f"id = {payer}", ""]
    for n in range(ENVIRONMENTS):
        lines += [f"[account a{n:03}]", f"id = {200000000000 + n}", f"environment = e{n:03}", ""]
    lines += ["[role admin]", "managed = arn:aws:iam::aws:policy/ReadOnlyAccess", "",
              "[team platform]", "members = alice", "e000 = admin", "", "[user alice]", ""]
    return "\n".join(lines)


def test_a_bill_for_301_accounts_is_seeded_and_cost_explorer_answers_for_each(module_sandbox: SandboxHandle) -> None:
    org, problems = parse_org(_large_org_text(module_sandbox.org.billing.id), "big.ini", Path("."))
    assert org is not None and len(org.accounts) == ENVIRONMENTS + 1, problems
    seed_costs(module_sandbox.endpoint, org, months=2, today="2026-11-15")

    ce = module_sandbox.client("ce")
    seen: set[str] = set()
    token = None
    while True:
        page = ce.get_cost_and_usage(TimePeriod={"Start": "2026-10-01", "End": "2026-11-01"}, Granularity="MONTHLY",
                                     Metrics=["UnblendedCost"],
                                     GroupBy=[{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
                                     **({"NextPageToken": token} if token else {}))
        seen |= {g["Keys"][0] for r in page["ResultsByTime"] for g in r["Groups"]}
        token = page.get("NextPageToken")
        if not token:
            break
    assert seen == {a.id for a in org.accounts}


def test_a_route_body_over_its_limit_is_refused_with_the_limit(module_sandbox: SandboxHandle) -> None:
    accounts = {f"{n:012}": 1.0 for n in range(60_000)}  # about 1.2 MB: past the 1 MiB a route takes
    try:
        sandbox_route(module_sandbox.endpoint, "costs", {"payer": module_sandbox.org.billing.id,
                                                           "accounts": accounts})
    except SandboxError as exc:
        assert "a JSON body of at most 1048576 bytes is needed" in str(exc)
    else:
        raise AssertionError("a body over the limit was taken")
