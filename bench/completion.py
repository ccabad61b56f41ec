"""Benchmark: every dynamic tab completion as a whole process (results go to docs/benchmarks.md).

    .venv/bin/python bench/completion.py [--runs 30] [--write-docs]

The shell runs the program on every <TAB>. This runs the project venv's ``awsroles`` console
script the way bash's completion function does (``_AWSROLES_COMPLETE=bash_complete``,
``COMP_WORDS``, ``COMP_CWORD``) for each dynamic completion: environments and ``--role`` for
login/exec/env (from a seeded user config), teams, environments and roles for grant/revoke, user
names for ``users show|disable|offboard`` (and the keys/mfa commands), team and user names for
``team add|remove`` (from examples/classic.ini), plus two of them against a generated org of 2,000
users. Each is timed against ``python -c pass`` on the same interpreter: median and p90 of --runs
runs after 3 warm-ups, the commands taken in turn so that drift in the machine's load hits them
alike. Before timing, one probe run per completion checks the offers and that neither boto3,
botocore, filelock, configupdater nor asyncio was imported. Target: every median < 100 ms
(exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from awsroles.creds.userconfig import RoleGrant, UserConfig, save  # noqa: E402
from bench.docs import write_section  # noqa: E402
from bench.org_scale import generate  # noqa: E402

TARGET_MS = 100
WARMUPS = 3
HEAVY = ("boto3", "botocore", "filelock", "configupdater", "asyncio")
SCRIPT = Path(sys.executable).parent / "awsroles"  # the console script, as the shell finds it
PROBE = ("import atexit, sys\n"
         "atexit.register(lambda: sys.stderr.write('\\nMODULES:' + ' '.join(sys.modules)))\n"
         "sys.argv = ['awsroles']\n"
         "from awsroles.entry import main\n"
         "main()\n")
CLASSIC = REPO / "examples" / "classic.ini"
TEAMS, USERS, ENVIRONMENTS = ["backend", "platform"], ["alice", "bob"], ["dev", "prod", "stage"]

# (what it completes, the line before <TAB>, the org file, the offers expected)
COMPLETIONS: list[tuple[str, str, str, list[str] | None]] = [
    ("environments (user config)", "awsroles login ", "classic", ["prod", "stage"]),
    ("roles there (user config)", "awsroles login prod --role ", "classic", ["admin", "readonly"]),
    ("environments (user config)", "awsroles exec ", "classic", ["prod", "stage"]),
    ("roles there (user config)", "awsroles exec stage --role ", "classic", ["developer"]),
    ("environments (user config)", "awsroles env ", "classic", ["prod", "stage"]),
    ("roles there (user config)", "awsroles env prod --role ", "classic", ["admin", "readonly"]),
    ("teams", "awsroles grant ", "classic", TEAMS),
    ("environments", "awsroles grant backend ", "classic", ENVIRONMENTS),
    ("roles", "awsroles grant backend stage ", "classic", ["admin", "developer", "readonly"]),
    ("teams", "awsroles revoke ", "classic", TEAMS),
    ("environments", "awsroles revoke backend ", "classic", ENVIRONMENTS),
    ("the team's roles there", "awsroles revoke backend dev ", "classic", ["developer", "readonly"]),
    ("users", "awsroles users show ", "classic", USERS),
    ("users", "awsroles users disable ", "classic", USERS),
    ("users", "awsroles users offboard ", "classic", USERS),
    ("users", "awsroles users keys rotate ", "classic", USERS),
    ("users", "awsroles users mfa enroll ", "classic", USERS),
    ("teams", "awsroles team add ", "classic", TEAMS),
    ("users", "awsroles team add backend ", "classic", USERS),
    ("teams", "awsroles team remove ", "classic", TEAMS),
    ("users, 2,000-user org", "awsroles users show user199", "large", [f"user199{d}" for d in ["", *"0123456789"]]),
    ("teams, 2,000-user org", "awsroles grant ", "large", None),  # 40 teams, checked by count below
]


@dataclass
class Case:
    label: str
    argv: list[str]
    env: dict[str, str]
    walls: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.walls) * 1000

    @property
    def p90(self) -> float:
        ordered = sorted(self.walls)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] * 1000


def completion_env(base: dict[str, str], line: str, org: Path) -> dict[str, str]:
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    return {**base, "AWSROLES_FILE": str(org), "_AWSROLES_COMPLETE": "bash_complete", "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1)}


def probe(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """The offers, and the heavy modules imported, in one run of the completion."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True)
    offers = [row.partition(",")[2] for row in out.stdout.split()]
    modules = out.stderr.rpartition("MODULES:")[2].split()
    return offers, sorted(m for m in modules if m.split(".")[0] in HEAVY)


def measure(cases: list[Case], runs: int) -> None:
    for run in range(WARMUPS + runs):
        for case in cases:
            start = time.perf_counter()
            subprocess.run(case.argv, env=case.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if run >= WARMUPS:
                case.walls.append(time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if not SCRIPT.is_file():
        sys.exit(f"no console script at {SCRIPT}: run this with the project venv's python")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWSROLES_", "COMP_", "_AWSROLES"))}
        base |= {"AWSROLES_CONFIG_DIR": tmp, "HOME": tmp}
        grants = tuple(RoleGrant(e, r, "111111111111", f"arn:aws:iam::111111111111:role/{r}", 3600)
                       for e, r in (("prod", "admin"), ("prod", "readonly"), ("stage", "developer")))
        save(UserConfig("alice", "arn:aws:iam::100000000000:user/alice", "100000000000", grants=grants),
             Path(tmp) / "config.ini")
        large = Path(tmp) / "large.ini"
        large.write_text(generate(2000, 30, 20, 40))
        orgs = {"classic": CLASSIC, "large": large}

        floor = Case("`python -c pass` (interpreter start)", [sys.executable, "-c", "pass"], base)
        cases = [floor]
        for what, line, org, expected in COMPLETIONS:
            env = completion_env(base, line, orgs[org])
            offers, heavy = probe(env)
            if heavy:
                sys.exit(f"{line!r} imported {heavy}")
            if (expected is not None and offers != expected) or (expected is None and len(offers) != 40):
                sys.exit(f"{line!r} offered {offers}, expected {expected or '40 teams'}")
            cases.append(Case(f"`{line.removeprefix('awsroles ')}<TAB>`: {what}", [str(SCRIPT)], env))
        began = time.perf_counter()
        measure(cases, args.runs)
    load_after = os.getloadavg()

    worst = max(cases[1:], key=lambda c: c.median)
    table = ["| request | median | p90 | over `python -c pass` |", "|---|---|---|---|"]
    table += [f"| {c.label} | {c.median:.0f} ms | {c.p90:.0f} ms | {c.median - floor.median:+.0f} ms |" for c in cases]
    met = worst.median < TARGET_MS
    verdict = (f"Target: every median < {TARGET_MS} ms: {'met' if met else 'MISSED'} (slowest: {worst.label}, "
               f"{worst.median:.0f} ms). Imported by any of them: no boto3, botocore, filelock, configupdater "
               "or asyncio (checked in a probe run of each).")
    report = "\n".join([
        f"{args.runs} runs per request after {WARMUPS} warm-ups, taken in turn ({time.perf_counter() - began:.0f} s); "
        f"the project venv's console script (an editable install, whose finder roughly doubles `python -c pass` "
        f"against a plain venv); load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.",
        "", *table, "", verdict,
    ])
    print(report)
    if args.write_docs:
        _write_docs(report)
    if not met:
        sys.exit(f"{worst.label} took {worst.median:.0f} ms, over the {TARGET_MS} ms target")


def _write_docs(report: str) -> None:
    write_section("completion", report, "with `.venv/bin/python bench/completion.py --write-docs`")


if __name__ == "__main__":
    main()
