"""Reading a role's policy document from the org's policy folder into a :class:`PolicyFile`.

A document that is missing, unreadable, not JSON or not an IAM policy is a problem at its own
``FILE:LINE`` (or at the org file's line that names it); a good one is kept as canonical JSON.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from awsroles.errors import Problem
from awsroles.org import limits
from awsroles.org.builder import IAM_NAME_RULE, Builder
from awsroles.org.entries import PolicyFile
from awsroles.org.jsondoc import canonical_json


def display_path(path: Path) -> str:
    """Relative to the working directory when the file is under it, else as given; normalised."""
    if path.is_absolute():
        relative = os.path.relpath(path)
        return relative if not relative.startswith("..") else os.path.normpath(path)
    return os.path.normpath(path)


class _ConstantInJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _ConstantInJson(name)


def read_policy_file(b: Builder, policy_dir: Path, ref: str, line: int) -> PolicyFile | None:
    path = policy_dir / ref
    shown = display_path(path)
    stem = Path(ref).name.removesuffix(".json")
    try:
        found = path.is_file()
    except OSError:  # e.g. a name too long for the file system
        found = False
    if not found:
        b.error(line, f"policy file {shown} not found")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        b.error(line, f"policy file {shown} cannot be read: {exc}")
        return None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        b.problems.append(Problem(shown, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno}); "
                                  f"referenced from {b.file}:{line}"))
        return None
    except _ConstantInJson as exc:
        match = re.search(re.escape(str(exc)), text)
        where = text[: match.start()].count("\n") + 1 if match else 1
        b.problems.append(Problem(shown, where, f"not valid JSON: {exc} is not a JSON value; "
                                  f"referenced from {b.file}:{line}"))
        return None
    except RecursionError:
        b.problems.append(Problem(shown, 1, f"not valid JSON: nested too deeply; referenced from {b.file}:{line}"))
        return None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements or not all(isinstance(s, dict) for s in statements):
        b.problems.append(Problem(shown, 1, "not an IAM policy: expected an object with a Statement list; "
                                  f"referenced from {b.file}:{line}"))
        return None
    if not limits.IAM_NAME.fullmatch(stem) or len(stem) > limits.POLICY_NAME_MAX:
        b.error(line, f"policy file name '{stem}' cannot be an IAM policy name: {IAM_NAME_RULE}")
        return None
    return PolicyFile(stem, ref, canonical_json(document))
