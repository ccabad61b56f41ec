"""Benchmark: every dynamic tab completion as a whole process (results go to docs/benchmarks.md).

    .venv/bin/python bench/completion.py [--runs 30] [--instructions] [--write-docs]

The shell runs the program on every <TAB>. This runs the ``awsroles`` console script the way
bash's completion function does (``_AWSROLES_COMPLETE=bash_complete``, ``COMP_WORDS``,
``COMP_CWORD``) for each dynamic completion: environments and ``--role`` for login/exec/env (from
a seeded user config), teams, environments and roles for grant/revoke, user names for
``users show|disable|offboard`` (and the keys/mfa commands), team and user names for
``team add|remove`` (from examples/classic.ini), plus two of them against a generated org of 2,000
users. Two installs, each against its own ``python -c pass``:

- the project venv: an editable install, whose import finder (loaded by site at every start, with
  pathlib, fnmatch, urllib.parse) about doubles the interpreter's start;
- a regular install: a throwaway plain venv on the same interpreter holding a copy of the package,
  compiled, and the command (bin/awsroles) as pip installs it, with the project venv's dependencies on its
  path (one .pth line), as ``pip install awsroles`` would lay it out.

Median and p90 of --runs runs after 3 warm-ups, every command taken in turn so that drift in the
machine's load hits them alike. Before timing, one probe run per completion and install checks
the offers and that neither click, boto3, botocore, filelock, configupdater nor asyncio was imported.
Target: every median < 100 ms (exit status 1 otherwise).

Wall-clock time moves with the machine's load; ``--instructions`` also counts the instructions
each command executes, once, under valgrind's callgrind (needs ``valgrind``): a measure that does
not, for comparing changes on a shared machine. It is not the target.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
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
HEAVY = ("click", "boto3", "botocore", "filelock", "configupdater", "asyncio")
COMMAND = REPO / "bin" / "awsroles"  # the installed command (setup.cfg: scripts), as pip copies it
PROBE = ("import atexit, sys\n"
         "atexit.register(lambda: sys.stderr.write('\\nMODULES:' + ' '.join(sys.modules)))\n"
         "sys.argv = ['awsroles']\n"
         "from awsroles.entry import main\n"
         "main()\n")
CLASSIC = REPO / "examples" / "classic.ini"
FLOOR = "`python -c pass` (the interpreter starting: the floor)"
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
    argv: list[str]  # run with the install's python (a script: as its #! line would)
    python: Path
    env: dict[str, str]
    cwd: Path
    walls: list[float] = field(default_factory=list)
    instructions: int | None = None

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


def regular_install(root: Path) -> Path:
    """awsroles laid out as a regular (non-editable) install in a plain venv under ``root``; its bin dir."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    shutil.copytree(REPO / "awsroles", site / "awsroles", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([str(python), "-m", "compileall", "-q", str(site / "awsroles")], check=True)
    (site / "awsroles-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = venv / "bin" / "awsroles"
    text = COMMAND.read_text()
    script.write_text(f"#!{python}\n" + text.split("\n", 1)[1])  # pip rewrites the shebang only
    script.chmod(0o755)
    return venv / "bin"


def probe(python: Path, env: dict[str, str], cwd: Path) -> tuple[list[str], list[str]]:
    """The offers, and the heavy modules imported, in one run of the completion."""
    out = subprocess.run([str(python), "-c", PROBE], env=env, cwd=cwd, check=True, capture_output=True, text=True)
    offers = [row.partition(",")[2] for row in out.stdout.split()]
    modules = out.stderr.rpartition("MODULES:")[2].split()
    return offers, sorted(m for m in modules if m.split(".")[0] in HEAVY)


def measure(cases: list[Case], runs: int) -> None:
    for run in range(WARMUPS + runs):
        for case in cases:
            start = time.perf_counter()
            subprocess.run(case.argv, env=case.env, cwd=case.cwd, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            if run >= WARMUPS:
                case.walls.append(time.perf_counter() - start)


def count_instructions(case: Case) -> None:
    """What the command executes, counted by callgrind (deterministic, whatever the load)."""
    argv = case.argv if case.argv[0] == str(case.python) else [str(case.python), *case.argv]
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], env=case.env,
                         cwd=case.cwd, check=True, capture_output=True, text=True)
    collected = re.search(r"Collected : (\d+)", out.stderr)
    if collected is None:
        sys.exit(f"no instruction count from valgrind for {argv}:\n{out.stderr[-2000:]}")
    case.instructions = int(collected.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--instructions", action="store_true", help="also count instructions under valgrind")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    if args.instructions and not shutil.which("valgrind"):
        sys.exit("--instructions needs valgrind (apt package valgrind)")
    project = Path(sys.executable).parent
    if not (project / "awsroles").is_file():
        sys.exit(f"no console script in {project}: run this with the project venv's python")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        installs = {"project venv (editable)": project, "regular install": regular_install(root)}
        work = root / "work"  # the current directory of every run: not the repository, whose awsroles/ would shadow
        work.mkdir()
        # PYTHONDONTWRITEBYTECODE (set in CI and some shells) would make every run compile what changed since
        # the last byte-compile; a shell that completes has bytecode, written once (here: by the warm-ups).
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWSROLES_", "COMP_", "_AWSROLES")) and k != "PYTHONDONTWRITEBYTECODE"}
        base |= {"AWSROLES_CONFIG_DIR": tmp, "HOME": tmp}
        grants = tuple(RoleGrant(e, r, "111111111111", f"arn:aws:iam::111111111111:role/{r}", 3600)
                       for e, r in (("prod", "admin"), ("prod", "readonly"), ("stage", "developer")))
        save(UserConfig("alice", "arn:aws:iam::100000000000:user/alice", "100000000000", grants=grants),
             root / "config.ini")
        large = root / "large.ini"
        large.write_text(generate(2000, 30, 20, 40))
        orgs = {"classic": CLASSIC, "large": large}

        rows: dict[str, dict[str, Case]] = {
            FLOOR: {kind: Case([str(bin_dir / "python"), "-c", "pass"], bin_dir / "python", base, work)
                    for kind, bin_dir in installs.items()}}
        for what, line, org, expected in COMPLETIONS:
            env = completion_env(base, line, orgs[org])
            for kind, bin_dir in installs.items():
                offers, heavy = probe(bin_dir / "python", env, work)
                if heavy:
                    sys.exit(f"{kind}: {line!r} imported {heavy}")
                if (expected is not None and offers != expected) or (expected is None and len(offers) != 40):
                    sys.exit(f"{kind}: {line!r} offered {offers}, expected {expected or '40 teams'}")
            rows[f"`{line.removeprefix('awsroles ')}<TAB>`: {what}"] = {
                kind: Case([str(bin_dir / "awsroles")], bin_dir / "python", env, work)
                for kind, bin_dir in installs.items()}
        began = time.perf_counter()
        measure([case for row in rows.values() for case in row.values()], args.runs)
        seconds = time.perf_counter() - began
        load_after = os.getloadavg()
        if args.instructions:
            for row in rows.values():
                for case in row.values():
                    count_instructions(case)
    report, missed = render(rows, list(installs), args.runs, seconds, load_before, load_after)
    print(report)
    if args.write_docs:
        _write_docs(report)
    if missed:
        sys.exit(f"{len(missed)} medians over the {TARGET_MS} ms target, the first: {missed[0]}")


def render(rows: dict[str, dict[str, Case]], kinds: list[str], runs: int, seconds: float,
           load_before: tuple[float, float, float], load_after: tuple[float, float, float]) -> tuple[str, list[str]]:
    floors = rows[FLOOR]
    counted = all(case.instructions for row in rows.values() for case in row.values())
    head = " | ".join(f"{kind}: median (p90), over its floor" + (" | instructions, x its floor" if counted else "")
                      for kind in kinds)
    table = [f"| request | {head} |", "|---" * (len(kinds) * (2 if counted else 1) + 1) + "|"]

    def cell(case: Case, floor: Case) -> str:
        text = f"{case.median:.0f} ms ({case.p90:.0f}), {case.median - floor.median:+.0f} ms"
        if counted and case.instructions and floor.instructions:
            text += f" | {case.instructions / 1e6:.0f} M, {case.instructions / floor.instructions:.1f}x"
        return text

    for label, row in rows.items():
        table.append(f"| {label} | " + " | ".join(cell(row[k], floors[k]) for k in kinds) + " |")
    missed = [f"{label} ({kind}: {case.median:.0f} ms)" for label, row in rows.items() if label != FLOOR
              for kind, case in row.items() if case.median >= TARGET_MS]
    slowest = {k: max((row[k] for label, row in rows.items() if label != FLOOR), key=lambda c: c.median) for k in kinds}
    verdict = (f"Target: every median < {TARGET_MS} ms: {'met' if not missed else 'MISSED'} (slowest: "
               + "; ".join(f"{k} {c.median:.0f} ms" for k, c in slowest.items()) + "). "
               "Imported by any of them: no click, boto3, botocore, filelock, configupdater or asyncio (checked in a "
               "probe run of each, in both installs).")
    report = "\n".join([
        f"{runs} runs per request and install after {WARMUPS} warm-ups, all taken in turn ({seconds:.0f} s); "
        f"load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after."
        + (" Instructions: one run of each under valgrind's callgrind." if counted else ""),
        "", *table, "", verdict,
    ])
    return report, missed


def _write_docs(report: str) -> None:
    write_section("completion", report, "with `.venv/bin/python bench/completion.py --write-docs`")


if __name__ == "__main__":
    main()
