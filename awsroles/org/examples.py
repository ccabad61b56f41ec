"""The example orgs that ship with awsroles (examples/ at the top of the source tree)."""

from __future__ import annotations

from pathlib import Path

from awsroles.errors import UsageError

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


def example(name: str = "classic") -> Path:
    """The path of ``examples/<name>.ini``; a clear error when awsroles runs without its sources."""
    path = EXAMPLES_DIR / f"{name}.ini"
    if not path.is_file():
        raise UsageError(f"example org '{name}' not found at {path}; pass --file with an org file")
    return path
