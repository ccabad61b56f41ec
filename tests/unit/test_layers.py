"""The layout is the design: each package imports only what its docstring says it may.

Every import is read with ``ast``, those inside functions included, so a lazy import cannot hide
an arrow that runs the wrong way. Sessions are built in ``awsroles/aws/`` alone, with botocore
(its exception classes may be caught elsewhere); boto3 is imported nowhere; click lives in the CLI
alone, and only the entry point imports the CLI.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "awsroles"
TOP = {"awsroles"}  # `from awsroles import __version__`

# unit -> the units it may import (a unit is a package under awsroles/ or a top-level module)
ALLOWED: dict[str, set[str]] = {
    "awsroles.errors": set(),
    "awsroles.paths": set(),
    "awsroles.render": {"awsroles.errors"},
    "awsroles.fsutil": {"awsroles.errors", "awsroles.paths"},
    "awsroles.aws": {"awsroles.errors", "awsroles.org"},
    "awsroles.org": {"awsroles.errors", "awsroles.fsutil"},
    "awsroles.iam": {"awsroles.org", "awsroles.errors", "awsroles.render", "awsroles.identity_center"},
    "awsroles.identity_center": {"awsroles.org", "awsroles.errors"},
    "awsroles.budgets": {"awsroles.org", "awsroles.errors"},
    "awsroles.accounts": {"awsroles.org", "awsroles.errors"},
    "awsroles.export": {"awsroles.org", "awsroles.iam", "awsroles.identity_center", "awsroles.budgets",
                        "awsroles.accounts", "awsroles.fsutil", "awsroles.errors"},
    "awsroles.sync": {"awsroles.org", "awsroles.iam", "awsroles.identity_center", "awsroles.budgets",
                      "awsroles.accounts", "awsroles.aws", "awsroles.errors", "awsroles.fsutil"},
    "awsroles.importer": {"awsroles.org", "awsroles.iam", "awsroles.identity_center", "awsroles.budgets",
                          "awsroles.accounts", "awsroles.sync", "awsroles.aws", "awsroles.errors", "awsroles.fsutil"},
    "awsroles.people": {"awsroles.org", "awsroles.iam", "awsroles.sync", "awsroles.aws", "awsroles.errors",
                        "awsroles.fsutil", "awsroles.paths"},
    "awsroles.creds": {"awsroles.paths", "awsroles.errors", "awsroles.fsutil", "awsroles.aws", "awsroles.org",
                       "awsroles.iam"},
    "awsroles.costs": {"awsroles.org", "awsroles.aws", "awsroles.errors", "awsroles.fsutil", "awsroles.paths",
                       "awsroles.render"},
    "awsroles.sandbox": {"awsroles.org", "awsroles.iam", "awsroles.aws", "awsroles.errors", "awsroles.fsutil",
                         "awsroles.paths", "awsroles.creds"},
    "awsroles.entry": {"awsroles.cli", "awsroles.creds", "awsroles.paths", "awsroles.errors"},
    "awsroles.__main__": {"awsroles.entry"},
}


def _unit(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and (PACKAGE / parts[1]).is_dir():
        return f"awsroles.{parts[1]}"
    if len(parts) >= 2 and (PACKAGE / f"{parts[1]}.py").is_file():
        return f"awsroles.{parts[1]}"
    return parts[0]


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            if node.module == "awsroles":
                yield from (f"awsroles.{alias.name}" for alias in node.names)


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _unit(".".join(path.relative_to(REPO).with_suffix("").parts))
        for name in _imports(path):
            if name == "botocore.session":
                edges.setdefault(me, set()).add(name)
                continue
            if name == "awsroles" or not (name.startswith("awsroles.") or name.split(".")[0] in ("boto3", "click")):
                continue
            target = _unit(name) if name.startswith("awsroles.") else name.split(".")[0]
            if target != me and target not in TOP and not target.startswith("awsroles.__version__"):
                edges.setdefault(me, set()).add(target)
    return edges


def test_every_package_imports_only_what_it_may() -> None:
    edges = _edges()
    assert set(edges) - {"awsroles.cli"} <= set(ALLOWED), f"a unit without rules: {set(edges) - set(ALLOWED)}"
    wrong = {unit: sorted(targets - ALLOWED[unit] - {"boto3", "click", "botocore.session"})
             for unit, targets in edges.items() if unit != "awsroles.cli"}
    assert {unit: t for unit, t in wrong.items() if t} == {}


def test_sessions_are_built_in_one_place_click_lives_in_the_cli_and_only_the_entry_point_imports_it() -> None:
    edges = _edges()
    assert sorted(unit for unit, targets in edges.items() if "botocore.session" in targets) == ["awsroles.aws"]
    assert sorted(unit for unit, targets in edges.items() if "boto3" in targets) == []
    assert sorted(unit for unit, targets in edges.items() if "click" in targets) == ["awsroles.cli"]
    assert sorted(unit for unit, targets in edges.items() if "awsroles.cli" in targets) == ["awsroles.entry"]


def test_the_rules_catch_a_wrong_arrow(tmp_path: Path) -> None:
    """The reader sees an import made inside a function (the usual way to hide one)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from awsroles.sync.plan import Plan\n    import boto3\n")
    assert set(_imports(module)) == {"awsroles.sync.plan", "boto3"}
    assert _unit("awsroles.sync.plan") == "awsroles.sync" and _unit("awsroles.errors") == "awsroles.errors"


def test_every_package_says_what_it_owns_and_what_it_may_import() -> None:
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert doc, f"{init.relative_to(REPO)} has no docstring"
        if init.parent.name != "cli":
            assert "May import" in doc, f"{init.relative_to(REPO)} does not say what it may import"
