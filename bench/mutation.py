"""Mutation score of the core modules, with mutmut (on demand, never in CI: minutes of CPU a module).

    python bench/mutation.py awsroles/iam/policies.py [MODULE...] | --all [--tests tests/unit/test_x.py ...]
                             [--max-children 2] [--write-docs] [--keep]

Needs the `mutation` extra (``pip install -e '.[mutation]'``). For each module, mutmut (3.x) writes
small changes into a copy of the source (an operator, a constant, a string, an argument dropped...),
and runs, for each change, the tests among the chosen fast ones (tests/unit files, in-process, with
moto) that call the changed function: a mutant a test fails on is killed, one all pass on survived.
It runs in a copy of the repository in a temporary folder, so the work tree is never touched.

Prints, per module, the counts and each surviving mutant as a one-line diff; ``--write-docs`` puts
them in docs/benchmarks.md ("Mutation score of the core"). Mutants listed in :data:`EQUIVALENT`
(the change keeps the behaviour) are reported apart, with the reason, and left out of the score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.docs import write_section  # noqa: E402

# The fast tests that exercise each module (tests/unit files only: in-process, seconds).
TESTS: dict[str, list[str]] = {
    "awsroles/iam/policies.py": [
        "tests/unit/test_policies.py", "tests/unit/test_policy_documents.py", "tests/unit/test_temporary_grants.py",
        "tests/unit/test_compact_policy.py",
        "tests/unit/test_requests.py",
        "tests/unit/test_plan.py", "tests/unit/test_org_checks.py", "tests/unit/test_break_glass.py",
        "tests/unit/test_role_boundaries.py", "tests/unit/test_user_boundaries.py",
    ],
    "awsroles/iam/self_service.py": [
        "tests/unit/test_policies.py", "tests/unit/test_policy_documents.py", "tests/unit/test_org_checks.py",
    ],
    "awsroles/iam/compare.py": [
        "tests/unit/test_policy_documents.py", "tests/unit/test_plan.py",
    ],
    "awsroles/iam/desired.py": [
        "tests/unit/test_desired_ops.py", "tests/unit/test_desired_exact.py",
        "tests/unit/test_plan.py", "tests/unit/test_policies.py", "tests/unit/test_adopted_in_place.py",
        "tests/unit/test_break_glass.py", "tests/unit/test_requests.py", "tests/unit/test_role_boundaries.py",
        "tests/unit/test_temporary_grants.py", "tests/unit/test_user_boundaries.py", "tests/unit/test_terraform.py",
        "tests/unit/test_terraform_adopted.py", "tests/unit/test_identity_center_model.py",
    ],
    "awsroles/org/edit.py": [
        "tests/unit/test_orgedit_exact.py", "tests/unit/test_orgedit.py", "tests/unit/test_orgedit_comments.py",
        "tests/unit/test_temporary_grants.py",
        "tests/unit/test_requests.py", "tests/unit/test_org_checks.py",
    ],
    "awsroles/org/edit_lists.py": [
        "tests/unit/test_orgedit_exact.py", "tests/unit/test_orgedit.py", "tests/unit/test_orgedit_comments.py",
        "tests/unit/test_temporary_grants.py",
        "tests/unit/test_requests.py", "tests/unit/test_org_checks.py",
    ],
    "awsroles/org/write.py": ["tests/unit/test_org_write_exact.py", "tests/unit/test_org_write.py"],
    "awsroles/org/request_edit.py": [
        "tests/unit/test_request_edit_exact.py", "tests/unit/test_requests.py", "tests/unit/test_orgedit_comments.py",
    ],
    "awsroles/sync/ownership.py": [
        "tests/unit/test_ownership.py",
        "tests/unit/test_plan.py", "tests/unit/test_adopted_in_place.py", "tests/unit/test_moved_to_path.py",
        "tests/unit/test_role_boundaries.py", "tests/unit/test_user_boundaries.py",
    ],
    "awsroles/costs/categories.py": [
        "tests/unit/test_costs_categories.py", "tests/unit/test_costs_report_exact.py",
        "tests/unit/test_costs_report.py",
    ],
    "awsroles/costs/report.py": [
        "tests/unit/test_costs_report_exact.py",
        "tests/unit/test_costs_report.py", "tests/unit/test_costs_categories.py", "tests/unit/test_costs_views.py",
    ],
    "awsroles/costs/mapping.py": [
        "tests/unit/test_costs_mapping.py", "tests/unit/test_costs_sources.py", "tests/unit/test_costs_cur_limits.py",
    ],
    "awsroles/creds/fastcache.py": [
        "tests/unit/test_fastcache_exact.py", "tests/unit/test_creds_local.py", "tests/unit/test_fast_path_fallback.py",
        "tests/unit/test_orgs.py", "tests/unit/test_creds_setup.py", "tests/unit/test_paths.py",
        "tests/unit/test_cli.py",
    ],
    "awsroles/creds/vend.py": [
        "tests/unit/test_vend_exact.py", "tests/unit/test_errors.py", "tests/unit/test_temporary_grants.py",
        "tests/unit/test_creds_setup.py",
    ],
    "awsroles/creds/mfa.py": ["tests/unit/test_mfa_exact.py", "tests/unit/test_creds_local.py"],
    "awsroles/sync/planner.py": [
        "tests/unit/test_planner_exact.py",
        "tests/unit/test_plan.py", "tests/unit/test_role_boundaries.py", "tests/unit/test_user_boundaries.py",
    ],
    "awsroles/sync/planner_people.py": [
        "tests/unit/test_planner_exact.py",
        "tests/unit/test_plan.py", "tests/unit/test_role_boundaries.py", "tests/unit/test_user_boundaries.py",
    ],
    "awsroles/sync/plan.py": [
        "tests/unit/test_plan_exact.py",
        "tests/unit/test_plan.py", "tests/unit/test_role_boundaries.py", "tests/unit/test_user_boundaries.py",
        "tests/unit/test_import_impact.py", "tests/unit/test_accounts_runner.py",
    ],
}

# Mutants that keep the behaviour, by mutmut's name (stable while the function is unchanged), with why.
_NO_STATEMENT = ("a document without Statement then yields [None] to the loop instead of []: not a dict, "
                 "skipped, so no grant either way")
_NO_END = ("a temporary statement without DateLessThan then reads None instead of {}: not a dict, so its end is "
           "\"\" either way")
EQUIVALENT: dict[str, str] = {
    "awsroles.iam.policies.x_temporary_grants_in__mutmut_9": _NO_STATEMENT,
    "awsroles.iam.policies.x_temporary_grants_in__mutmut_11": _NO_STATEMENT,
    "awsroles.iam.policies.x_temporary_grants_in__mutmut_33": _NO_END,
    "awsroles.iam.policies.x_temporary_grants_in__mutmut_35": _NO_END,
}
EQUIVALENT["awsroles.iam.policies.x_team_policy_form__mutmut_6"] = (
    "_team_policy builds the per-role form for PER_ROLE alone: any other value, None included, gives the "
    "per-environment form, which is the one measured")
_FLAG = ("the third item of AccountOwnership.names (owned) is never read: lookup unpacks it as _owned and "
         "decides by the owned mapping it is given")
_LAST = "an AWS managed policy ARN has at least one '/': the part after the last one is the same"
_KINDS = ("__init__ fills names for each of role, group, user and policy, the only kinds lookup is called "
          "with, so the default is never used")
_DESIRED = "awsroles.iam.desired.x_"
EQUIVALENT.update({
    f"{_DESIRED}_digest__mutmut_4": ("ensure_ascii=None is falsy: json's encoder then escapes nothing, as with "
                                    "False"),
    f"{_DESIRED}_digest__mutmut_17": "Python's codec lookup ignores case: \"UTF-8\" is the utf-8 codec",
})
_OWNERSHIP = "awsroles.sync.ownership.x\u01c1AccountOwnership\u01c1"
EQUIVALENT.update({
    f"{_OWNERSHIP}__init____mutmut_33": _FLAG,
    f"{_OWNERSHIP}__init____mutmut_40": _FLAG,
    f"{_OWNERSHIP}describe__mutmut_9": _LAST,
    f"{_OWNERSHIP}describe__mutmut_12": _LAST,
    f"{_OWNERSHIP}describe__mutmut_13": _LAST + " (rsplit with maxsplit 1 gives two parts: [1] is [-1])",
    f"{_OWNERSHIP}lookup__mutmut_12": _KINDS,
    f"{_OWNERSHIP}lookup__mutmut_14": _KINDS,
})

_DECIMAL_SUM = ("sum() without its start begins at the int 0 instead of Decimal(\"0\"); every amount is a Decimal, "
                "and int 0 enters Decimal arithmetic as Decimal(\"0\"), so every sum and difference is the same "
                "Decimal")
_REPORT = "awsroles.costs.report."
EQUIVALENT.update({
    f"{_REPORT}x__with_breakdown__mutmut_17": _DECIMAL_SUM + ": the rest, and \"other\", are unchanged",
    f"{_REPORT}x_reconcile__mutmut_21": _DECIMAL_SUM + ": a non-empty breakdown sums to the same cents",
    f"{_REPORT}x_build_report__mutmut_130": ("amounts is a defaultdict whose default is every category at zero: "
                                             "reading a missing key gives the same row amounts as the else branch, "
                                             "and amounts is not read again after the rows are built"),
    f"{_REPORT}x_deltas__mutmut_11": ("zip's strict is read for its truth: None is False; and the second sequence "
                                      "is one shorter, which strict=False allows either way"),
    f"{_REPORT}x_deltas__mutmut_14": "zip's strict defaults to False: the same as strict=False written out",
})
_ERROR = ("a ClientError of an Organizations call always carries Error with a Code: botocore's JSON "
          "parser starts every error as {\"Error\": {\"Message\": \"\", \"Code\": \"\"}} "
          "(botocore/parsers.py, BaseJSONParser._do_error_parse), as Stubber.add_client_error does")
_MAPPING = "awsroles.costs.mapping."
EQUIVALENT.update({
    f"{_MAPPING}x_from_org__mutmut_8": "AccountInfo's source defaults to \"org file\", the value dropped",
    f"{_MAPPING}x_account_map__mutmut_61": ("a missing Code read as None instead of \"\": both are false, and "
                                             "code is only read in `code or exc`"),
    f"{_MAPPING}x_account_map__mutmut_63": ("a missing Code read as None (no default) instead of \"\": both are "
                                             "false, and code is only read in `code or exc`"),
    f"{_MAPPING}x_account_map__mutmut_65": _ERROR + ", so the default for a missing Error is never used",
    f"{_MAPPING}x_account_map__mutmut_67": _ERROR + ", so the default for a missing Error is never used",
    f"{_MAPPING}x_account_map__mutmut_74": _ERROR + ", so the default for a missing Code is never used",
})
_FALSY = "{arg} is only ever tested for truth ({where}): None is false as False is"
_OFF_KIND = ("kind is read only by state(), after it has returned for a cache without a key folder: an off cache's "
             "kind is never read")
_FASTCACHE = "awsroles.creds.fastcache.x\u01c1FastCache\u01c1"
EQUIVALENT.update({
    f"{_FASTCACHE}_key__mutmut_20": _FALSY.format(arg="_new_key's exclusive", where="if exclusive:"),
    f"{_FASTCACHE}get__mutmut_2": _FALSY.format(arg="_key's create", where="if create: / if not create:"),
    f"{_FASTCACHE}default__mutmut_15": _OFF_KIND,
    f"{_FASTCACHE}default__mutmut_23": _OFF_KIND,
    f"{_FASTCACHE}get__mutmut_16": (
        "split(None) differs from split(b' ') only on whitespace other than single spaces; put writes a header of "
        "single spaces around the expiry, a name without whitespace (role/ACCOUNT/ROLE/USER, IAM names are "
        "[\\w+=,.@-]), the hex nonce and the org ([a-z0-9-] or '-'), and any other header fails decryption (it is "
        "the AES-GCM associated data): a miss either way"),
    f"{_FASTCACHE}_new_key__mutmut_7": ("the temporary file's random part only keeps two calls of one process apart "
                                        "(it is linked or moved in place at once): 6 or 7 random bytes do alike"),
    f"{_FASTCACHE}state__mutmut_46": (
        "type(exc).__name__ is shown only when strerror is empty; read_bytes raises OSError only from a failed "
        "system call, which always carries its strerror"),
})
_VEND = "awsroles.creds.vend.x\u01c1Vendor\u01c1"
EQUIVALENT.update({
    f"{_VEND}_assume__mutmut_26": ("RoleSessionName is the IAM user name, which IAM caps at 64 characters: its first "
                                   "64 or 65 are the whole name"),
    f"{_VEND}_left__mutmut_5": ("no session read as 0.0 or 1.0 seconds left: below both refresh thresholds (600 s, "
                                "900 s) and below any duration asked for (900 s at least) either way"),
    f"{_VEND}_lock__mutmut_4": ("the lock file's name is made only here, from the session's name: every process "
                                "takes the same lock for the same session with 24 or 25 hex digits"),
    f"{_VEND}_translate__mutmut_54": (
        "NotGrantedError is made only for AssumeRole, and its only caller (assume_role_from) keeps only its type: "
        "it raises a new NotGrantedError with its own message"),
    f"{_VEND}describe_session__mutmut_21": (
        "session names are KIND/ACCOUNT/ROLE/USER (role_session_name, breakglass.session_name) and IAM role and "
        "user names hold no '/': the rest is ROLE/USER, which partition and rpartition split alike"),
})

_EDIT = "awsroles.org.edit.x_"
_LISTS = "awsroles.org.edit_lists.x_"
_NEWLINE = ("every line the updater holds ends with a newline: _edit adds one to a file that lacks it, and each "
            "line configupdater reads keeps its own")
_NO_TAIL_BLANK = ("split_line puts every blank after the '=' into the prefix, so when the first line has no items "
                  "its tail is a newline or starts with ';' or '#': that lstrip (and each variant) leaves it as it is")
_INDENTED = ("the last line of a list on several lines is a continuation line, which configparser only takes as "
             "one when it is indented (a blank or comment line ends the value), so the indentation is never empty")
_UNREADABLE = ("the validator reads with configparser's rules and the same '=' delimiter and reports every "
               "duplicate section or key, bad line and missing header that makes configupdater raise as an "
               "error: after a configparser.Error there is always an error, so the checks (which run only on a "
               "file without errors) and the 'cannot be edited' message are never reached")
_BASE = "parse_org's base_dir None means Path(file).parent, which is path.parent here"
_DEFAULT = "the value given is configupdater's default"
_SPACE = ("a blank line after the new section's last option or after the section itself is the same line of "
          "the file: str(updater) writes a section's blocks, then what follows it")
EQUIVALENT.update({
    f"{_LISTS}add_item__mutmut_10": _INDENTED,
    **{f"{_LISTS}add_item__mutmut_{n}": "the branch for a last line without a newline is never taken: " + _NEWLINE
       for n in (13, 14, 16, 17, 18, 19, 20)},
    **{f"{_LISTS}add_item__mutmut_{n}": _NO_TAIL_BLANK for n in (35, 36, 37, 38, 39)},
    f"{_LISTS}split_line__mutmut_3": "line[:-1] is taken only from a line ending in a newline, and " + _NEWLINE,
    f"{_EDIT}_edit__mutmut_17": "codec names are case-insensitive: 'UTF-8-SIG' is the utf-8-sig codec",
    f"{_EDIT}_edit__mutmut_35": _BASE,
    f"{_EDIT}_edit__mutmut_51": _BASE,
    f"{_EDIT}_edit__mutmut_36": _UNREADABLE,
    f"{_EDIT}_edit__mutmut_40": _UNREADABLE,
    f"{_EDIT}_edit__mutmut_44": _UNREADABLE,
    f"{_EDIT}_updater__mutmut_5": "configupdater only tests empty_lines_in_values for truth: None is False",
    f"{_EDIT}_updater__mutmut_7": _DEFAULT + " (comment_prefixes '#', ';')",
    f"{_EDIT}_updater__mutmut_8": _DEFAULT + " (inline_comment_prefixes None)",
    f"{_EDIT}_updater__mutmut_9": _DEFAULT + " (strict True)",
    f"{_EDIT}add_user__mutmut_65": _SPACE + " (None: the section)",
    f"{_EDIT}add_user__mutmut_67": _SPACE,
    f"{_EDIT}preview_org__mutmut_4": "write is only tested for truth (write and ...): None is False",
})

EQUIVALENT.update({f"awsroles.org.request_edit.x__decided__mutmut_{n}": _BASE + " (None, or left out)" for n in (5, 8)})
EQUIVALENT["awsroles.org.write.x_render_org_file__mutmut_79"] = (
    "a budget belongs to an environment (the parser refuses one in an account without it), so org.budget('') "
    "is None, as the None it replaces")

EQUIVALENT["awsroles.sync.plan.x_plan_json__mutmut_4"] = (
    "json.dumps reads ensure_ascii only for its truth (the C encoder and JSONEncoder alike): None is false like "
    "False, so non-ASCII text is written as it is either way")
_PLANNER = "awsroles.sync.planner.x\u01c1_AccountPlanner\u01c1"
_PEOPLE = "awsroles.sync.planner_people.x\u01c1PeoplePlanner\u01c1"
_PARTITION = ("policyrefs._unavailable puts the partition only in the ARNs that are the values of `existing`, and "
              "reads only its keys (the org file's [/path/]names): no result depends on it")
EQUIVALENT.update({
    "awsroles.sync.planner.x_make_plan__mutmut_37": (
        "the planner reads only an AccountSpec's resource lists (empty by default), never its account: it is given "
        "the account separately"),
    f"{_PLANNER}replaced_roles___mutmut_42": (_RETIRED := (
        "the retired role's name is a key of org.replaced_roles(), so run() leaves it out of the unowned list by "
        "that alone; and its change is a delete, which the adopted set never turns into an adopt (validate refuses "
        "a replaced name that is a declared role's, whatever the case)")),
    f"{_PLANNER}replaced_roles___mutmut_43": _RETIRED,
    f"{_PLANNER}replaced_roles___mutmut_44": _RETIRED,
    f"{_PEOPLE}update_user__mutmut_34": (
        "drift is next read in `drift = drift or bool(...)`, which runs on every path before it is used: None and "
        "False give the same bool"),
    f"{_PLANNER}roles___mutmut_16": _PARTITION,
    f"{_PEOPLE}users___mutmut_16": _PARTITION,
    f"{_PEOPLE}users___mutmut_35": (
        "missing_user_policies names at most one problem (a user has one permissions boundary): the separator of "
        "a one-item join never shows"),
})

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}


def copy_repo(dest: Path) -> None:
    """The tracked and untracked (not ignored) files of the work tree, as they are now."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, names):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def mutmut_config(module: str, tests: list[str]) -> str:
    copied = sorted({p.split("/")[0] for p in ("examples", "policies", "docs", "README.md", "bin", "completions",
                                               "bench") if (REPO / p).exists()})
    lines = ["", "[mutmut]", "source_paths = awsroles", f"only_mutate = {module}",
             # pyproject's addopts start xdist workers: one process here, mutmut forks per mutant
             "pytest_add_cli_args =", "    -n0", "    -p", "    no:cacheprovider",
             "pytest_add_cli_args_test_selection ="] + [f"    {t}" for t in tests]
    lines += ["also_copy ="] + [f"    {p}" for p in copied]
    return "\n".join(lines) + "\n"


def one_line_diffs(workdir: Path, names: list[str]) -> dict[str, str]:
    """Each mutant's change as one line (what ``mutmut show NAME`` prints, in one process)."""
    script = ("import json, sys\n"
              "from mutmut.__main__ import find_mutant, get_diff_for_mutant\n"
              "names = json.load(sys.stdin)\n"
              "print(json.dumps({n: get_diff_for_mutant(n, path=find_mutant(n).path) for n in names}))\n")
    shown = subprocess.run([sys.executable, "-c", script], cwd=workdir, input=json.dumps(names), check=True,
                           capture_output=True, text=True).stdout
    diffs: dict[str, str] = json.loads(shown.splitlines()[-1])
    return {name: " / ".join(" ".join(line.split()) for line in diff.splitlines()
                             if line[:1] in "+-" and not line.startswith(("+++", "---")))
            for name, diff in diffs.items()}


def run_module(module: str, tests: list[str], max_children: int, keep: bool) -> tuple[str, dict[str, int]]:
    workdir = Path(tempfile.mkdtemp(prefix="awsroles-mutation-"))
    try:
        copy_repo(workdir)
        with (workdir / "setup.cfg").open("a") as cfg:
            cfg.write(mutmut_config(module, tests))
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        start = time.perf_counter()
        log = workdir / "mutmut.log"
        with log.open("w") as out:
            rc = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)],
                                cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
        elapsed = time.perf_counter() - start
        meta = workdir / "mutants" / f"{module}.meta"
        if rc != 0 or not meta.exists():
            tail = log.read_text(errors="replace").replace("\r", "\n").strip().splitlines()[-15:]
            sys.exit(f"mutmut failed on {module} (exit {rc}; is the `mutation` extra installed?); its log ends:\n"
                     + "\n".join(tail))
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        status = {name: STATUS.get(code, "suspicious") if code is not None else "not checked"
                  for name, code in codes.items()}
        equivalent = sorted((n for n, s in status.items() if s == "survived" and n in EQUIVALENT), key=mutant_order)
        survived = sorted((n for n, s in status.items() if s == "survived" and n not in EQUIVALENT),
                          key=mutant_order)
        counts = Counter(status.values())
        counts["equivalent"] = len(equivalent)
        counts["survived"] -= len(equivalent)
        scored = len(status) - len(equivalent)
        score = 100.0 * counts["killed"] / scored if scored else 100.0
        lines = [f"### `{module}`", "",
                 f"Tests: {', '.join(f'`{t}`' for t in tests)}. {len(status)} mutants, "
                 f"{elapsed:.0f} s with {max_children} children.", "",
                 "| killed | survived | no tests | timeout | equivalent | score |", "|---|---|---|---|---|---|",
                 f"| {counts['killed']} | {counts['survived']} | {counts['no tests']} | {counts['timeout']} | "
                 f"{counts['equivalent']} | {score:.1f}% |", ""]
        not_killed = [n for n, s in status.items() if s not in ("killed", "survived")]
        if survived or not_killed:
            lines += ["Not killed (mutant: the change):", ""]
            listed = survived + sorted(not_killed, key=mutant_order)
            diffs = one_line_diffs(workdir, listed)
            for name in listed:
                tag = "" if status[name] == "survived" else f" ({status[name]})"
                lines.append(f"- `{short(name)}`{tag}: `{diffs[name]}`")
            lines.append("")
        if equivalent:
            lines += ["Equivalent (the behaviour is the same):", ""]
            lines += [f"- `{short(n)}`: {EQUIVALENT[n]}" for n in equivalent] + [""]
        return "\n".join(lines), {**counts, "total": len(status)}
    finally:
        if keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def short(name: str) -> str:
    """``awsroles.iam.policies.x_sid__mutmut_1`` -> ``sid__mutmut_1``; a method's ``xǁClassǁm`` -> ``Class.m``."""
    last = name.rsplit(".", 1)[-1]
    return last.replace("\u01c1", ".").removeprefix("x.") if "\u01c1" in last else last.removeprefix("x_")


def mutant_order(name: str) -> tuple[str, int]:
    func, _, number = name.rpartition("__mutmut_")
    return func, int(number) if number.isdigit() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="source files under awsroles/")
    parser.add_argument("--all", action="store_true", help="every module listed in TESTS (the core)")
    parser.add_argument("--tests", nargs="+", help="test files to run (default: the module's list in TESTS)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (to run `mutmut show`)")
    args = parser.parse_args()
    modules = list(TESTS) if args.all else args.modules
    if not modules:
        parser.error("name the modules, or --all")
    for module in modules:
        tests = args.tests or TESTS.get(module)
        if not tests:
            sys.exit(f"no tests listed for {module}: pass --tests")
        load_before = os.getloadavg()[0]
        report, _ = run_module(module, tests, args.max_children, args.keep)
        print(report)
        if args.write_docs:
            write_section(f"mutation {module}", report,
                          f"editable install in the project venv, load average {load_before:.1f} when it began")


if __name__ == "__main__":
    main()
