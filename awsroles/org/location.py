"""Where the org file is: ``--file``, then ``$AWSROLES_FILE``, then ``./awsroles.ini``.

Apart from the validator so that tab completion, which only reads names from the file, finds it
without importing the parser.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_FILE = "awsroles.ini"
ENV_VAR = "AWSROLES_FILE"


def resolve_path(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> Path:
    """Where the org file is: ``--file``, then ``$AWSROLES_FILE``, then ``./awsroles.ini``."""
    environ = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR])
    return Path(DEFAULT_FILE)
