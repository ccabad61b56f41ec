"""Where the org file is: ``--file``, then ``$AWSROLES_FILE``, then ``./awsroles.ini``.

Apart from the validator so that tab completion, which only reads names from the file, finds it
without importing the parser; :func:`resolve` imports ``os`` alone (tab completion runs on every
<TAB>), :func:`resolve_path` gives the same answer as a ``Path``.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # without importing typing (see above)
    from collections.abc import Mapping
    from pathlib import Path

DEFAULT_FILE = "awsroles.ini"
ENV_VAR = "AWSROLES_FILE"


def resolve(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> str:
    """Where the org file is: ``--file``, then ``$AWSROLES_FILE``, then ``./awsroles.ini``."""
    environ = os.environ if environ is None else environ
    if explicit:
        return os.fspath(explicit)
    return environ.get(ENV_VAR) or DEFAULT_FILE


def resolve_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> Path:
    """:func:`resolve` as a ``Path``."""
    from pathlib import Path

    return Path(resolve(explicit, environ))
