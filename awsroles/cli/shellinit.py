"""``awsroles shell-init bash|zsh|fish``: ``assume`` and the prompt marker for a shell."""

from __future__ import annotations

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.errors import ExitCode
from awsroles.render import Result


@click.command("shell-init")
@common_options(forms=("table",))  # a script for the shell
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.option("--name", default="assume", show_default=True, metavar="NAME",
              help="The function's name (if `assume` is taken, say by granted).")
@pass_app
def shell_init(app: App, shell: str, name: str) -> int:
    """Print the shell functions that load a role into the current shell: `assume ENV [ROLE]`.

    `assume` runs `awsroles env` and evaluates it (keys, AWSROLES_SESSION, its expiry);
    `__awsroles_prompt` prints a prompt marker ([prod/admin], the minutes left in the last
    ten, then "expired"). See docs/credentials.md for bash, zsh, fish and starship prompts.

    \b
    Examples:
      eval "$(awsroles shell-init bash)"          # in ~/.bashrc (zsh: ~/.zshrc)
      awsroles shell-init fish | source           # in ~/.config/fish/config.fish
    """
    from awsroles.creds.shellinit import script

    app.render(Result(None, text=script(shell, name)))
    return ExitCode.OK
