"""The ``awsroles`` console script: the hot paths first, then the full CLI.

Two requests must start fast: a cached ``credential-process`` and tab completion (the shell runs
the program on every <TAB>). A completion request imports click, the click group and only the
command modules the words on the line need, not the whole CLI (and never boto3).
"""

from __future__ import annotations

import os
import sys

COMPLETE_VAR = "_AWSROLES_COMPLETE"

# Which awsroles.cli modules define each top-level command and its subcommands.
# tests/unit/test_completion.py fails when this falls out of step with the CLI.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "access": ("access",),
    "apply": ("plan",),
    "completion": ("completion",),
    "console": ("creds",),
    "costs": ("costs",),
    "credential-process": ("creds",),
    "demo": ("demo",),
    "env": ("creds",),
    "exec": ("creds",),
    "export": ("export",),
    "grant": ("grants",),
    "import": ("importer",),
    "login": ("creds",),
    "logout": ("creds",),
    "plan": ("plan",),
    "profiles": ("creds",),
    "revoke": ("grants",),
    "sandbox": ("sandbox",),
    "serve": ("creds",),
    "setup": ("creds",),
    "status": ("creds",),
    "team": ("grants",),
    "users": ("users", "users_lifecycle", "users_credentials"),
    "validate": ("validate",),
    "whoami": ("creds",),
}
_VALUE_OPTIONS = {"-f", "--file", "-o", "--output"}  # the group's options that take a value


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["credential-process"]:
        from awsroles.creds.hotpath import run

        code = run(argv)
        if code is not None:
            sys.exit(code)
    if os.environ.get(COMPLETE_VAR):
        complete(os.environ[COMPLETE_VAR])  # exits, unless the line needs the whole CLI
    from awsroles.cli import main as cli_main

    cli_main()


def modules_for(args: list[str], incomplete: str) -> set[str] | None:
    """The command modules needed to complete ``args`` + ``incomplete``; None when unsure."""
    words = iter(args)
    for word in words:
        if word in _VALUE_OPTIONS:
            next(words, None)
        elif word == "--" or not word.startswith("-"):
            return set(COMMAND_MODULES[word]) if word in COMMAND_MODULES else None
    if incomplete.startswith("-"):
        return set()  # the group's own options
    return {m for name, mods in COMMAND_MODULES.items() if name.startswith(incomplete) for m in mods}


def complete(instruction: str) -> None:
    """Answer a shell's completion request from a partial CLI; returns only to fall back."""
    import importlib
    import importlib.util

    from click.shell_completion import get_completion_class

    shell, _, action = instruction.partition("_")
    cls = get_completion_class(shell)
    if cls is None:
        return
    if action == "complete":
        try:
            args, incomplete = cls(None, {}, "awsroles", COMPLETE_VAR).get_completion_args()  # type: ignore[arg-type]
        except (KeyError, ValueError, IndexError):
            return
        needed = modules_for(args, incomplete)
        if needed is None:
            return
    else:
        needed = set()  # printing the script needs no commands
    if "awsroles.cli" not in sys.modules:
        # The package without its __init__ (which imports every command module).
        spec = importlib.util.find_spec("awsroles.cli")
        assert spec is not None
        sys.modules["awsroles.cli"] = importlib.util.module_from_spec(spec)
    for name in sorted(needed):
        importlib.import_module(f"awsroles.cli.{name}")
    from awsroles.cli.app import App, cli

    cli.main(prog_name="awsroles", obj=App())  # click answers the request and exits
    sys.exit(0)
