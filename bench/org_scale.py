"""Benchmark: validate and export a large org (run on demand; results go to docs/benchmarks.md).

    python bench/org_scale.py [--users 2000] [--environments 30] [--write-docs]

Generates an org with many users, teams, roles and environments, then times, each best of 5:
parsing + validating the file, building the desired state, the policy export and the Terraform
export (all in-process), and the whole `awsroles validate` process from the shell.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from awsroles.export.policies import policy_files  # noqa: E402
from awsroles.iam.checks import check_org  # noqa: E402
from awsroles.iam.desired import desired_state  # noqa: E402
from bench.docs import write_section  # noqa: E402

MANAGED = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
]


def generate(users: int, environments: int, roles: int, teams: int) -> str:
    lines = ["[org]", "name = bench", "ops_account = ops", f"policy_dir = {REPO / 'policies'}", "",
             "[account ops]", "id = 100000000000", ""]
    for e in range(environments):
        lines += [f"[account env{e}]", f"id = {200000000000 + e}", f"environment = env{e}", ""]
    for r in range(roles):
        policies = "policies = deny-iam-writes.json\n" if r % 3 == 1 else ""
        lines += [f"[role role{r}]", f"managed = {MANAGED[r % 3]}", policies + "max_session = 4h", ""]
    for t in range(teams):
        members = ", ".join(f"user{u}" for u in range(t, users, teams))
        lines += [f"[team team{t}]", f"members = {members}"]
        for e in range(t % 5, environments, 5):
            lines.append(f"env{e} = role{t % roles}, role{(t + 1) % roles}")
        lines.append("")
    for u in range(users):
        lines += [f"[user user{u}]", f"email = user{u}@bench.example", ""]
    return "\n".join(lines)


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--environments", type=int, default=30)
    parser.add_argument("--roles", type=int, default=20)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    from awsroles.export.terraform import terraform_files

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ini"
        path.write_text(generate(args.users, args.environments, args.roles, args.teams))
        org, problems = check_org(path)
        assert org is not None, [str(p) for p in problems if p.is_error][:5]
        specs = desired_state(org)
        results = {
            "validate (parse + check, in-process)": best(lambda: check_org(path)),
            "desired state": best(lambda: desired_state(org)),
            "policy export (documents in memory)": best(lambda: policy_files(specs)),
            "terraform export (files in memory)": best(lambda: terraform_files(org)),
        }
        command = [sys.executable, "-m", "awsroles", "-f", str(path), "validate"]
        results["`awsroles validate` whole process"] = best(
            lambda: subprocess.run(command, check=True, capture_output=True))
        startup = [sys.executable, "-m", "awsroles", "--version"]
        results["`awsroles --version` whole process"] = best(lambda: subprocess.run(startup, check=True,
                                                                                  capture_output=True))
        size = path.stat().st_size
    shape = (f"{args.users} users, {args.teams} teams, {args.roles} roles, {args.environments} environments "
             f"({size // 1024} KiB org file, {sum(len(s.roles) for s in specs)} roles to create)")
    table = ["| step | best of 5 |", "|---|---|"] + [f"| {k} | {v * 1000:.0f} ms |" for k, v in results.items()]
    report = "\n".join([f"Org: {shape}.", "", *table])
    print(report)
    if args.write_docs:
        _write_docs(report)


def _write_docs(report: str) -> None:
    write_section("org_scale", report)


if __name__ == "__main__":
    main()
