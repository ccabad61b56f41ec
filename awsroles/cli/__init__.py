"""The command-line interface: a thin layer that parses, calls the library and renders.

``app.py`` holds the click group (commands are imported when used), ``runner.py`` turns
exceptions into exit codes, one module per command family defines the commands, and
``fastcomplete.py`` answers tab completion before click is imported. Importing this package
imports nothing else, so the completion fast path can live here: ``run``, ``main``, ``cli`` and
``App`` are loaded on first use.

May import: any awsroles package (it is the outermost layer); only ``entry.py`` imports it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # without importing typing: tab completion imports this package on every <TAB>
    from typing import Any

    from awsroles.cli.app import App, cli
    from awsroles.cli.runner import main, run

__all__ = ["App", "cli", "main", "run"]


def __getattr__(name: str) -> Any:
    if name in ("run", "main"):
        from awsroles.cli import runner

        return getattr(runner, name)
    if name in ("App", "cli"):
        from awsroles.cli import app

        return getattr(app, name)
    raise AttributeError(f"module 'awsroles.cli' has no attribute {name!r}")
