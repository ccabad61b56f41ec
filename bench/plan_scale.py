"""Benchmark: plan and apply a large org against a moto server, and Terraform on the same org.

    python bench/plan_scale.py [--users 1000] [--environments 30] [--teams 40] [--roles 8] [--write-docs]
                               [--skip-terraform] [--section plan_scale]

Reports, for a generated org:
- API calls per account for `plan` (pages of a constant number of list calls), and the ratio to one
  call per managed resource (what a per-resource refresh costs);
- wall time of `plan` on the applied org (best of 3; target: under 10 s), and of a first `apply`,
  serial (1 account at a time) and parallel (8);
- wall time of `terraform plan` of the equivalent Terraform export, already applied (so it refreshes
  every resource), against a fresh moto server, and `awsroles plan` against that same server.

Every server is a seeded sandbox (awsroles.sandbox.process.Sandbox, a moto server in a child process).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from awsroles.export.terraform import terraform_files  # noqa: E402
from awsroles.export.tree import write_tree  # noqa: E402
from awsroles.iam.desired import desired_state  # noqa: E402
from awsroles.org.parse import load_org  # noqa: E402
from awsroles.sandbox.process import Sandbox  # noqa: E402
from awsroles.sync.engine import Engine  # noqa: E402
from bench.docs import write_section  # noqa: E402
from bench.org_scale import generate  # noqa: E402

PLAN_TARGET = 10.0  # seconds: `plan` of an applied org (issue 20: 300 environments, 40 teams, 1,000 users)


class CallCounter:
    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register("before-send.iam", self._count, unique_id=f"count-{id(self)}")

    def _count(self, **_: Any) -> None:
        with self.lock:
            self.calls += 1


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def find_plugin_dir() -> Path | None:
    candidates = [Path(os.environ["AWSROLES_TF_PLUGIN_DIR"])] if os.environ.get("AWSROLES_TF_PLUGIN_DIR") else []
    candidates += [Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins"]
    return next((c for c in candidates if any(c.glob("registry.terraform.io/hashicorp/aws/*/*/*"))), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--environments", type=int, default=30)
    parser.add_argument("--roles", type=int, default=8)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--skip-terraform", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--section", default="plan_scale", help="its section in docs/benchmarks.md")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        org_path = Path(tmp) / "bench.ini"
        org_path.write_text(generate(args.users, args.environments, args.roles, args.teams))
        org = load_org(org_path)
        specs = desired_state(org)
        resources = {s.account.name: len(s.roles) + sum(len(r.managed) + len(r.inline) for r in s.roles)
                     + len(s.users) * 2 + len(s.groups) + sum(len(g.inline) + len(g.managed) for g in s.groups)
                     + len(s.policies) for s in specs}
        shape = (f"{args.users} users, {args.teams} teams, {args.roles} roles, {args.environments} environments: "
                 f"{sum(resources.values())} managed resources (users and memberships, groups and policies, "
                 f"roles, attachments and inline policies)")
        print(shape, flush=True)

        for label, workers in (("serial", 1), ("parallel (8 accounts, 4 changes each, at a time)", 8)):
            with Sandbox(org_path) as box:
                counter = CallCounter()
                engine = Engine(org, box.aws(hooks=[counter.install]), max_workers=workers,
                                per_account=1 if workers == 1 else 4)
                plan = engine.plan()
                seconds, result = timed(lambda engine=engine, plan=plan: engine.apply(plan))
                assert result.ok, result.as_dict()["steps"][:3]
                rows.append((f"first `apply`, {label}", f"{seconds:.1f} s, {counter.calls} IAM calls"))
                print(rows[-1], flush=True)
                if workers == 8:
                    runs = [timed(lambda: Engine(org, box.aws(), max_workers=8).plan()) for _ in range(3)]
                    seconds, again = min(runs, key=lambda run: run[0])
                    assert again.empty
                    calls = again.api_calls
                    ops, env = calls[org.ops_account], [v for k, v in calls.items() if k != org.ops_account]
                    met = "met" if seconds < PLAN_TARGET else "NOT met"
                    rows.append(("`plan` of the applied org (no changes), best of 3",
                                 f"{seconds:.2f} s (target: under {PLAN_TARGET:.0f} s: {met}; the 3 runs: "
                                 f"{', '.join(f'{run[0]:.2f}' for run in runs)} s)"))
                    rows.append(("`plan` API calls per account",
                                 f"ops {ops}, each environment {min(env)}-{max(env)} "
                                 f"(total {sum(calls.values())} for {len(calls)} accounts)"))
                    per_resource = sum(resources.values())
                    rows.append(("a per-resource refresh would make at least",
                                 f"{per_resource} calls: {per_resource / sum(calls.values()):.0f}x as many "
                                 f"(ops alone: {resources[org.ops_account]} vs {ops})"))
                    print(rows[-3:], flush=True)

        terraform = shutil.which("terraform")
        plugin_dir = find_plugin_dir()
        if args.skip_terraform or not terraform or not plugin_dir:
            why = "--skip-terraform" if args.skip_terraform else "no terraform or provider plugins"
            rows.append(("`terraform plan` of the export", f"not measured ({why})"))
        else:
            with Sandbox(org_path) as box:
                tf_dir = Path(tmp) / "tf"
                write_tree(tf_dir, terraform_files(org))
                env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
                cli_config = Path(tmp) / "empty.tfrc"
                cli_config.touch()
                env.update(box.env(), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0",
                           TF_CLI_CONFIG_FILE=str(cli_config), AWS_EC2_METADATA_DISABLED="true")

                def tf(*argv: str) -> None:
                    subprocess.run([terraform, *argv], cwd=tf_dir, env=env, check=True, capture_output=True)

                tf("init", "-backend=false", f"-plugin-dir={plugin_dir}", "-input=false")
                seconds, _ = timed(lambda: tf("apply", "-auto-approve", "-input=false", "-parallelism=10"))
                rows.append(("first `terraform apply` of the export (parallelism 10)", f"{seconds:.1f} s"))
                print(rows[-1], flush=True)
                tf_seconds, _ = timed(lambda: tf("plan", "-input=false", "-detailed-exitcode", "-parallelism=10"))
                rows.append(("`terraform plan` of the applied export (refreshes every resource)",
                             f"{tf_seconds:.1f} s"))
                seconds, plan = timed(lambda: Engine(org, box.aws(), max_workers=8).plan())
                assert plan.empty, "awsroles plan after terraform apply must be empty"
                rows.append(("`awsroles plan` against the same server", f"{seconds:.2f} s: "
                             f"{tf_seconds / seconds:.0f}x faster than terraform plan"))
                print(rows[-2:], flush=True)

    report = "\n".join([f"Org: {shape}.", "", "| measurement | result |", "|---|---|",
                        *[f"| {k} | {v} |" for k, v in rows]])
    print(report)
    if args.write_docs:
        write_section(args.section, report, "moto server")


if __name__ == "__main__":
    main()
