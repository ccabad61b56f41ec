"""``awsroles shell-init bash|zsh|fish``: load a role into the current shell with one word.

A program cannot change its parent shell's variables, so the shell needs a function of its own:
``assume ENV [ROLE]`` runs ``awsroles env`` and evaluates what it prints (the role's keys,
``AWSROLES_SESSION=ENV/ROLE`` and ``AWSROLES_SESSION_EXPIRES``, the expiry as Unix time), like
granted's ``assume``. ``__awsroles_prompt`` prints a marker for the prompt: ``[prod/admin] ``, with
the minutes left in the last ten, and ``expired`` after: the reminder to run ``assume`` again.
Nothing here runs awsroles when the prompt is drawn (a prompt must be instant).
"""

from __future__ import annotations

import re

SHELLS = ("bash", "zsh", "fish")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,31}")

_POSIX = r"""# awsroles shell integration: in ~/.{shell}rc, eval "$(awsroles shell-init {shell})"
{name}() {{
    if [ $# -eq 0 ] || [ $# -gt 2 ]; then
        echo "usage: {name} ENV [ROLE]: load a role's credentials into this shell" >&2
        return 2
    fi
    local __awsroles_out
    if [ $# -eq 2 ]; then
        __awsroles_out="$(command awsroles env "$1" --role "$2")" || return $?
    else
        __awsroles_out="$(command awsroles env "$1")" || return $?
    fi
    eval "$__awsroles_out"
}}
__awsroles_prompt() {{
    [ -n "$AWSROLES_SESSION" ] || return 0
    if [ -z "$AWSROLES_SESSION_EXPIRES" ]; then
        printf '[%s] ' "$AWSROLES_SESSION"
        return 0
    fi
    local __awsroles_left=$(( AWSROLES_SESSION_EXPIRES - $(date +%s) ))
    if [ "$__awsroles_left" -le 0 ]; then
        printf '[%s expired] ' "$AWSROLES_SESSION"
    elif [ "$__awsroles_left" -le 600 ]; then
        printf '[%s %dm] ' "$AWSROLES_SESSION" $(( (__awsroles_left + 59) / 60 ))
    else
        printf '[%s] ' "$AWSROLES_SESSION"
    fi
}}
"""

_FISH = r"""# awsroles shell integration: in ~/.config/fish/config.fish, awsroles shell-init fish | source
function {name} --description 'awsroles: load a role into this shell'
    if test (count $argv) -lt 1; or test (count $argv) -gt 2
        echo "usage: {name} ENV [ROLE]: load a role's credentials into this shell" >&2
        return 2
    end
    set -l args env $argv[1] --format fish
    if test (count $argv) -eq 2
        set args $args --role $argv[2]
    end
    set -l out (command awsroles $args); or return $status
    printf '%s\n' $out | source
    return 0  # its `set -e` of a variable that was not set leaves status 4: the role is loaded all the same
end
function __awsroles_prompt --description 'awsroles: the prompt marker'
    set -q AWSROLES_SESSION; or return 0
    if not set -q AWSROLES_SESSION_EXPIRES
        printf '[%s] ' $AWSROLES_SESSION
        return 0
    end
    set -l left (math $AWSROLES_SESSION_EXPIRES - (date +%s))
    if test $left -le 0
        printf '[%s expired] ' $AWSROLES_SESSION
    else if test $left -le 600
        printf '[%s %dm] ' $AWSROLES_SESSION (math --scale=0 "($left + 59) / 60")
    else
        printf '[%s] ' $AWSROLES_SESSION
    end
end
"""


def script(shell: str, name: str = "assume") -> str:
    """The functions for ``shell``; ``name``: the loading function's (``assume`` by default)."""
    from awsroles.errors import UsageError

    if shell not in SHELLS:
        raise UsageError(f"no shell integration for {shell!r} (there is for {', '.join(SHELLS)})")
    if not _NAME.fullmatch(name):
        raise UsageError(f"{name!r} cannot name a shell function")
    return (_FISH if shell == "fish" else _POSIX).format(shell=shell, name=name)
