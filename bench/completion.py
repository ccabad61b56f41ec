"""Benchmark: whole-process wall time of a dynamic tab-completion request (results go to docs/benchmarks.md).

    python bench/completion.py [--runs 30] [--write-docs]

The shell runs the program on every <TAB>. Times, median of 30 runs each, the request bash makes
for ``awsroles login prod --role <TAB>`` (the roles the person may assume in prod, read from a
seeded user config), against ``python -c pass`` and against the same request answered by the full
CLI (no fast path). Asserts that the request imports neither boto3 nor botocore. Target: < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from awsroles.creds.userconfig import RoleGrant, UserConfig, save  # noqa: E402
from bench.docs import write_section  # noqa: E402

TARGET_MS = 100
REQUEST = {"_AWSROLES_COMPLETE": "bash_complete", "COMP_WORDS": "awsroles login prod --role ", "COMP_CWORD": "4"}
FAST = "from awsroles.entry import main; main()"
FULL = "from awsroles.cli import main; main()"  # what every request cost before the fast path
PROBE = FAST.replace("main()", "import atexit, sys; atexit.register(lambda: sys.stderr.write('IMPORTED:' + "
                     "','.join(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))); main()")


def median_ms(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AWSROLES_CONFIG_DIR": tmp, **REQUEST}
        env.pop("AWSROLES_FILE", None)
        grants = tuple(RoleGrant(e, r, "111111111111", f"arn:aws:iam::111111111111:role/{r}", 3600)
                       for e in ("dev", "stage", "prod") for r in ("admin", "developer", "readonly"))
        save(UserConfig("alice", "arn:aws:iam::100000000000:user/alice", "100000000000", grants=grants),
             Path(tmp) / "config.ini")
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True)
        assert out.stdout.split() == ["plain,admin", "plain,developer", "plain,readonly"], out.stdout
        imported = out.stderr.rpartition("IMPORTED:")[2].strip()
        assert not imported, f"a completion request imported {imported}"
        results = {
            "`python -c pass` (interpreter start)": median_ms([sys.executable, "-c", "pass"], env, args.runs),
            "`login prod --role <TAB>` (fast path)": median_ms([sys.executable, "-c", FAST], env, args.runs),
            "`login prod --role <TAB>` (full CLI import)": median_ms([sys.executable, "-c", FULL], env, args.runs),
        }
    fast = results["`login prod --role <TAB>` (fast path)"]
    table = [f"| request | median of {args.runs} |", "|---|---|"]
    table += [f"| {k} | {v:.0f} ms |" for k, v in results.items()]
    verdict = (f"Target < {TARGET_MS} ms: {'met' if fast < TARGET_MS else 'MISSED'} "
               f"({fast - results['`python -c pass` (interpreter start)']:.0f} ms over interpreter start); "
               "boto3/botocore imported: no.")
    report = "\n".join([*table, "", verdict])
    print(report)
    if args.write_docs:
        _write_docs(report)
    if fast >= TARGET_MS:
        sys.exit(f"completion took {fast:.0f} ms, over the {TARGET_MS} ms target")


def _write_docs(report: str) -> None:
    write_section("completion", report, "with `python bench/completion.py --write-docs`")


if __name__ == "__main__":
    main()
