"""``awsroles init``: a starter org file, and the policy files it names, written into a folder.

The starter is the classic example (:mod:`awsroles.org.examples`) with a header saying what to
change, its ``policy_dir`` pointing at ``policies/`` next to it, and the policy documents its roles
use copied there: it validates from the folder it is written to, wherever that is. Nothing is ever
overwritten: when any of the files exists, nothing is written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from awsroles.errors import UsageError
from awsroles.fsutil import atomic_write

POLICY_DIR = "policies"
HEADER = """\
; Your org, as code: a starter written by `awsroles init` from the classic example.
;
; What to change before `awsroles apply` against a real AWS organization:
;   [org]       name, region, and which account people log in to (ops_account)
;   [account]   one per AWS account: its real 12-digit id, and the environment it holds
;   [role]      the roles people switch into (AWS managed policies, and policy files in policies/)
;   [team]      who is in each team, and which roles it may use in which environment
;   [user]      one per person: an IAM user in the ops account
;
; Check it with `awsroles validate`, try it on the local sandbox (`awsroles sandbox start`), and
; see docs/org-file.md for every key.
"""
_POLICY_DIR_LINE = re.compile(r"^(policy_dir\s*=\s*)(\S+)(.*)$", re.M)


def starter_files(example: Path | None = None) -> dict[str, str]:
    """Relative path -> text: the org file (``awsroles.ini``) and the policy files its roles use."""
    from awsroles.org.examples import example as example_path
    from awsroles.org.parse import load_org

    source = example or example_path("classic")
    text = source.read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1] if text.startswith(";") else text  # the example's own header goes
    match = _POLICY_DIR_LINE.search(body)
    if match is None:
        raise UsageError(f"{source}: the example has no policy_dir")
    policy_dir = (source.parent / match[2]).resolve()
    body = _POLICY_DIR_LINE.sub(rf"\g<1>{POLICY_DIR}\g<3>", body, count=1)
    files = {"awsroles.ini": HEADER + "\n" + body}
    for role in load_org(source).roles:
        for policy in role.policies:
            files[f"{POLICY_DIR}/{policy.source}"] = (policy_dir / policy.source).read_text(encoding="utf-8")
    return files


def write_starter(org_file: str | os.PathLike[str]) -> list[Path]:
    """Write the starter as ``org_file`` (its policies beside it); the paths written. Refuses,
    writing nothing, when any of them exists."""
    org_path = Path(org_file)
    folder = org_path.parent
    files = starter_files()
    targets = {org_path: files.pop("awsroles.ini")} | {folder / name: text for name, text in files.items()}
    existing = [str(path) for path in targets if path.exists() or path.is_symlink()]
    if existing:
        verb = "exists" if len(existing) == 1 else "exist"
        raise UsageError(f"init never overwrites: {' and '.join(existing)} already {verb}; move them away, or "
                         "give another path with --file")
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, mode=0o644)
    return list(targets)
