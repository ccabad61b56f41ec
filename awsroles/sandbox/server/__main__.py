"""``python -m awsroles.sandbox.server``: what :mod:`awsroles.sandbox.process` starts."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # before moto is imported
    from awsroles.sandbox.server.main import main

    sys.exit(main())
