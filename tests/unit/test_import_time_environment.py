"""No awsroles module reads the environment, the home folder or the working folder as it is imported.

What a command uses comes from the moment it runs: HOME, XDG_*, AWSROLES_*, AWS_* and the folder
are read inside functions. (A value captured at import would be wrong for a process that imports
awsroles once and serves many requests, as ``serve`` does and as the test suite's fork server does,
tests/forkserver.py, and it would make the import order matter.)"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import awsroles

READS = {"environ", "getenv", "environb", "getenvb", "home", "expanduser", "expandvars", "getcwd", "cwd"}


def _import_time(tree: ast.Module) -> Iterator[ast.AST]:
    """What runs when the module is imported: its statements and class bodies, not function bodies,
    nor an ``if __name__ == "__main__":`` block."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from node.decorator_list
            yield from ast.walk(node.args)
            continue
        if isinstance(node, ast.ClassDef):
            yield from node.decorator_list
            yield from node.bases
            pending.extend(node.body)
            continue
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
                and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"):
            continue
        yield from ast.walk(node)


def _reads(path: Path) -> list[str]:
    found = []
    for node in _import_time(ast.parse(path.read_text(), str(path))):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name in READS:
            found.append(f"{path}:{getattr(node, 'lineno', '?')}: {name}")
    return found


def test_no_module_reads_the_environment_as_it_is_imported() -> None:
    package = Path(awsroles.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 100
    assert [read for module in modules for read in _reads(module)] == []


def test_the_check_sees_a_read_at_import_time(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('import os\nHOME = os.environ["HOME"]\n\nclass C:\n    WHERE = os.getcwd()\n\n'
                      'def f(x=os.getenv("X")):\n    return os.environ\n\nif __name__ == "__main__":\n'
                      '    os.environ["A"] = "b"\n')
    assert sorted(_reads(module)) == [f"{module}:2: environ", f"{module}:5: getcwd", f"{module}:7: getenv"]
