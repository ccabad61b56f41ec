"""Benchmark: `awsroles plan` of an organization of 30 and of 300 accounts on the sandbox.

    python bench/accounts_scale.py [--accounts 30 300] [--ous 10] [--write-docs]

For each size, a bare sandbox server (a real moto server over HTTP, with the management account
alone) and a generated org file: the ops account, which is the management account, and N member
accounts to create, each an environment in an `ou` among --ous OUs under `Workloads`, guardrails
on the root and on `Workloads`. Then, each timed:
- the first `apply` in-process, --parallel 8: the OUs created, the N accounts created (at most 5
  in progress at once) and their ids written into the file, the SCPs made and attached; then IAM;
- `awsroles plan` as a person runs it (a subprocess; one run to warm the caches, then the best of
  3), which reads the organization, its SCPs and IAM in every environment account;
- the calls that plan makes, counted with a botocore hook per service, per account of the
  organization (Organizations) and per environment account (IAM, STS).

Target (set before measuring): `plan` of 300 accounts under 10 s on the sandbox, and Organizations
calls per account about 1 (docs/accounts.md, "At scale"), so that plan grows linearly.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from awsroles.org.parse import load_org  # noqa: E402
from awsroles.sandbox.process import Sandbox  # noqa: E402
from awsroles.sync.engine import Engine  # noqa: E402
from bench.docs import write_section  # noqa: E402

TARGET_SECONDS = 10.0


def generate(accounts: int, ous: int) -> str:
    lines = ["[org]", "name = scale", "region = us-east-1", "ops_account = ops",
             f"policy_dir = {REPO / 'policies'}", "guardrails = deny-leave-organization",
             "account_email = aws+{name}@example.com", "",
             "[ou Workloads]", "guardrails = deny-root-user", "",
             "[account ops]", "id = 100000000000", ""]
    for n in range(accounts):
        lines += [f"[account a{n:03}]", f"environment = e{n:03}",
                  f"ou = Workloads/Team{n % ous:02}", ""]
    lines += ["[role admin]", "managed = arn:aws:iam::aws:policy/AdministratorAccess", "",
              "[team platform]", "members = alice", "e000 = admin", "", "[user alice]", "email = alice@example.com", ""]
    return "\n".join(lines)


class Calls:
    """Every call (each page) by service, counted as it is sent."""

    def __init__(self) -> None:
        self.by_service: Counter[str] = Counter()
        self.lock = threading.Lock()

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register("before-send", self._count, unique_id=f"count-{id(self)}")

    def _count(self, event_name: str = "", **_: Any) -> None:
        with self.lock:
            self.by_service[event_name.split(".")[1]] += 1


def measure(accounts: int, ous: int, tmp: Path) -> list[str]:
    org_path = tmp / f"org{accounts}.ini"
    org_path.write_text(generate(accounts, ous))
    org = load_org(org_path)
    started = time.perf_counter()
    with Sandbox(org_path, bare=True) as box:
        print(f"{accounts} accounts: bare sandbox seeded in {time.perf_counter() - started:.0f} s", flush=True)
        engine = Engine(org, box.aws(), max_workers=8)
        plan = engine.plan()
        started = time.perf_counter()
        result = engine.apply(plan)
        applied = time.perf_counter() - started
        assert result.ok, result.summary()
        assert len(engine.recorded) == accounts
        organizations_changes = sum(1 for c in plan.changes if c.kind in ("ou", "account", "root", "scp"))
        print(f"  first apply: {applied:.1f} s, {organizations_changes} Organizations changes", flush=True)
        iam = Engine(load_org(org_path), box.aws(), max_workers=8)  # IAM in the accounts it created
        assert iam.apply(iam.plan()).ok
        calls = Calls()
        started = time.perf_counter()
        counted = Engine(load_org(org_path), box.aws(hooks=[calls.install]), max_workers=8).plan()
        in_process = time.perf_counter() - started
        assert counted.empty, [f"{c.action} {c.kind} {c.name}" for c in counted.changes][:5]
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSROLES_"))}, **box.env()}
        command = [sys.executable, "-m", "awsroles", "--file", str(org_path), "plan"]
        subprocess.run(command, env=env, check=True, capture_output=True)  # warm: imports, caches
        times = []
        for _ in range(2):
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    by = calls.by_service
    members = accounts + 1  # and the management account
    environments = len([a for a in org.accounts if a.environment])
    # docs/accounts.md, "At scale": 4 + 3 per OU + 1 per account; 3 + 3 per SCP + 1 per target
    ou_count, scp_count, targets = ous + 1, 2, 2
    formula = 4 + 3 * ou_count + members + 3 + 3 * scp_count + targets
    best = min(times)
    return [f"| {accounts} | {best:.2f} s ({'met' if best < TARGET_SECONDS else 'missed'}) | {in_process:.2f} s | "
            f"{by['organizations']} (docs' count: {formula}; {members} of them one per account) | "
            f"{by['iam']} ({by['iam'] / (environments + 1):.1f} per account read) | {by['sts']} | "
            f"{applied:.1f} s ({organizations_changes} changes) |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--ous", type=int, default=10)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for accounts in args.accounts:
            rows += measure(accounts, args.ous, Path(tmp))
            print(rows[-1], flush=True)
    report = "\n".join([
        f"Org: the management account (also ops) and N member accounts that the first apply creates, each an "
        f"environment, in {args.ous} OUs "
        "under `Workloads`; guardrails on the root and on `Workloads`; one grant. Target: `plan` under "
        f"{TARGET_SECONDS:g} s for 300 accounts.", "",
        "| accounts | `awsroles plan` (best of 2, warm) | the same plan in-process | Organizations calls | IAM calls "
        "| STS calls | first `apply`: accounts created, OUs, SCPs (--parallel 8) |",
        "|---|---|---|---|---|---|---|", *rows])
    print(report)
    if args.write_docs:
        write_section("accounts_scale", report, f"moto server, load average {load_before:.1f} when it began")


if __name__ == "__main__":
    main()
