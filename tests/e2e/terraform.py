"""The terraform binary, as the e2e tests run it: offline, against a local AWS provider plugin directory.

Used by ``tests/e2e/test_terraform_cli.py`` (fmt, validate, console) and
``tests/e2e/test_terraform_apply.py`` (apply against a sandbox); the ``terraform`` fixture in
``tests/e2e/conftest.py`` finds it or skips saying what is missing.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

# Read at import time: the autouse fixture in tests/conftest.py clears AWSROLES_* and moves HOME
# for each test, and module-scoped fixtures are set up before it runs anyway.
_PLUGIN_DIR_ENV = os.environ.get("AWSROLES_TF_PLUGIN_DIR")
_REAL_HOME = Path.home()


def _has_aws_provider(directory: Path) -> bool:
    return any(directory.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"))


def find_plugin_dir() -> Path | None:
    """``$AWSROLES_TF_PLUGIN_DIR``, else /opt/tf-plugins, else ~/.terraform.d/plugins: the first with hashicorp/aws."""
    candidates = [Path(_PLUGIN_DIR_ENV)] if _PLUGIN_DIR_ENV else []
    candidates += [Path("/opt/tf-plugins"), _REAL_HOME / ".terraform.d" / "plugins"]
    return next((c for c in candidates if c.is_dir() and _has_aws_provider(c)), None)


@dataclasses.dataclass(frozen=True)
class Terraform:
    """The terraform binary, run offline: no registry, no checkpoint, no user configuration."""

    binary: str
    plugin_dir: Path
    scratch: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_", "AWSROLES_"))}
        cli_config = self.scratch / "empty.tfrc"
        cli_config.touch()
        env.update(
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            TF_INPUT="0",
            TF_CLI_CONFIG_FILE=str(cli_config),
            HOME=str(self.scratch),
            # Test speed only: terraform starts one AWS provider process per provider configuration
            # (one per account here), and each spends most of its CPU collecting garbage while it
            # builds its schema. Collecting less often saves about a quarter of that CPU, for about
            # a third more memory per process (some 400 MB).
            GOGC="400",
        )
        return env

    def run(self, directory: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = self.env()
        env["TF_DATA_DIR"] = str(directory / ".terraform-data")
        return subprocess.run(
            [self.binary, *args], cwd=directory, env=env, input=stdin, capture_output=True, text=True, timeout=300
        )

    def evaluate(self, directory: Path, expression: str) -> Any:
        """The value of ``expression`` in the module in ``directory``, as terraform console computes it."""
        # console prints strings in its own quoting; base64 of the JSON reads back unambiguously.
        result = self.run(directory, "console", stdin=f"base64encode(jsonencode({expression}))\n")
        assert result.returncode == 0, report(result)
        return json.loads(base64.b64decode(result.stdout.strip().strip('"')).decode("utf-8"))

    def init(self, directory: Path) -> subprocess.CompletedProcess[str]:
        return self.run(directory, "init", "-backend=false", f"-plugin-dir={self.plugin_dir}", "-input=false",
                        "-no-color")

    def init_and_validate(self, directory: Path) -> tuple[subprocess.CompletedProcess[str], ...]:
        init = self.init(directory)
        if init.returncode != 0:
            return (init,)
        return init, self.run(directory, "validate", "-no-color")


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"{' '.join(result.args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"


def find_terraform(scratch: Path) -> Terraform:
    """terraform on PATH with a local AWS provider plugin directory, or a skip saying which is missing."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not on PATH")
    plugin_dir = find_plugin_dir()
    if plugin_dir is None:
        pytest.skip(
            "no local AWS provider plugin directory: set AWSROLES_TF_PLUGIN_DIR, or put "
            "registry.terraform.io/hashicorp/aws/<version>/<os_arch>/ under /opt/tf-plugins or ~/.terraform.d/plugins"
        )
    return Terraform(binary, plugin_dir, scratch)
