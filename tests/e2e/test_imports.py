"""What a fresh interpreter imports: the modules that must stay cheap to load (the credential hot
path, shell completion and the sandbox server import them on every call) checked in a new Python
process, where nothing else has been imported yet. In-process tests of the same modules are in
``tests/unit``."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import awsroles.sandbox.server
from awsroles.creds import userconfig
from awsroles.creds.fastcache import FastCache
from tests.conftest import REPO
from tests.unit.test_creds_local import CONFIG, CREDS, NAME

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("key_in", ["runtime dir", "shm without a runtime dir"])
def test_hot_path_never_imports_boto3_or_click(key_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached answer comes from the hot path (nothing heavy imported), with the fast cache's key
    in $XDG_RUNTIME_DIR or, where there is none (ssh, containers, CI), in /dev/shm's stand-in."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    if key_in == "runtime dir":
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
        (tmp_path / "run").mkdir()
    else:
        monkeypatch.setenv("AWSROLES_SHM_DIR", str(tmp_path / "shm"))
        (tmp_path / "shm").mkdir(mode=0o1777)
    userconfig.save(CONFIG)
    FastCache.default().put("prod", "admin", NAME, CREDS)
    heavy = ("boto3", "botocore", "click", "rich", "keyring", "json", "dataclasses", "pathlib", "configparser",
             "typing", "awsroles.errors")
    probe = f"heavy = sorted(m for m in {heavy!r} if m in sys.modules)\n"
    baseline = subprocess.run([sys.executable, "-c", "import sys\n" + probe + "print(heavy)"], capture_output=True,
                              text=True, env=os.environ.copy()).stdout.strip()
    code = ("import sys; sys.argv = ['awsroles', 'credential-process', 'prod']\n"
            "from awsroles.entry import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n" + probe +
            "sys.stderr.write(repr((code, heavy)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert result.stderr == f"(0, {baseline})", result.stderr  # nothing beyond what the interpreter loads anyway
    assert json.loads(result.stdout)["SessionToken"] == "t0ken-value"


def test_errors_does_not_import_botocore() -> None:
    # The credential hot path and shell completion import errors.py; they must stay free of boto3.
    probe = "import sys, awsroles.errors; print(sorted(m for m in sys.modules if m.startswith(('boto', 'click'))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_paths_imports_nothing_but_os() -> None:
    """The credential hot path imports it on every AWS CLI call."""
    code = ("import sys; before = set(sys.modules); import awsroles.paths; "
            "print(sorted(m for m in set(sys.modules) - before if not m.startswith('awsroles')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


def test_store_module_does_not_import_keyring_or_secretstorage() -> None:
    code = ("import sys, awsroles.creds.store as s; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('keyring', 'secretstorage', 'jeepney', 'cryptography', 'filelock', 'boto3', 'botocore')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


def test_no_server_module_imports_moto_or_boto_when_imported() -> None:
    modules = [f"awsroles.sandbox.server.{m.name}" for m in pkgutil.iter_modules(awsroles.sandbox.server.__path__)]
    assert {"awsroles.sandbox.server.main", "awsroles.sandbox.server.__main__"} <= set(modules)
    probe = (f"import importlib, sys\nfor name in {modules!r}: importlib.import_module(name)\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('moto', 'boto3', 'botocore', 'pyotp')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_server_runs_as_python_dash_m_the_package() -> None:
    result = subprocess.run([sys.executable, "-m", "awsroles.sandbox.server", "--help"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("usage: python -m awsroles.sandbox.server")


def test_the_installed_command_is_the_plain_script_without_re() -> None:
    """pip's console_scripts wrapper imports `re` before awsroles runs; the installed `awsroles` is
    bin/awsroles, which imports only sys and awsroles.entry (a cached credential-process is a few
    milliseconds in all)."""
    import shutil

    command = shutil.which("awsroles", path=os.path.dirname(sys.executable))
    assert command, "awsroles is not installed next to this interpreter"
    text = Path(command).read_text()
    imports = [line.strip() for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import sys", "from awsroles.entry import main"], imports


def test_plan_and_apply_of_an_org_without_accounts_or_identity_center_load_neither() -> None:
    """What ``plan`` and ``apply`` load to read, plan, run and print the classic org's IAM (no
    [account] OUs or contacts, IAM users): not the organization's or Identity Center's readers,
    planners and runners, which only an org that uses them needs (speed: every ``awsroles``
    process that plans pays for what it imports)."""
    probe = ("import sys\n"
             "import awsroles.cli.plan, awsroles.cli.planview, awsroles.sync.engine, awsroles.sync.apply\n"
             "from awsroles.sync.apply import service_of\n"
             "from awsroles.sync.plan import Change\n"
             "assert service_of(Change('dev', '222222222222', 'create', 'role', 'admin')) == 'iam'\n"
             "print(sorted(m for m in sys.modules if m.startswith(('awsroles.accounts', 'awsroles.identity_center.',"
             " 'awsroles.sync.accounts', 'awsroles.sync.organizations', 'awsroles.sync.scps',"
             " 'awsroles.sync.identity_center'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['awsroles.sync.identity_center_base']"  # the kinds of its changes, no more
