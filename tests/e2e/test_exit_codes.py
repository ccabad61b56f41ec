"""Exit codes per command family, as a user gets them: the `awsroles` command as a subprocess.

An AWS that cannot be reached (a closed port on 127.0.0.1) is exit 7 with one line on stderr, for
every family of command that talks to AWS, and soon: a network that refuses connections is given
up on after a few attempts (throttling keeps its 8).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from awsroles.creds.model import Credentials
from awsroles.creds.store import KEYS
from awsroles.creds.store.plaintext import PlaintextFileStore
from awsroles.creds.userconfig import RoleGrant, UserConfig, dumps
from awsroles.errors import ExitCode
from tests.conftest import EXAMPLES
from tests.e2e.conftest import SandboxHandle
from tests.forkserver import command

pytestmark = pytest.mark.e2e

DEAD = "http://127.0.0.1:1"  # nothing listens on port 1: connection refused
ORG = EXAMPLES / "classic.ini"


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """The autouse fixture's isolated environment, AWS at a closed port, and a person set up
    (``awsroles setup`` needs AWS, so its two files are written here) for login and whoami."""
    config_dir = tmp_path / "awsroles"
    config_dir.mkdir(mode=0o700)
    config = UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/awsroles/alice",
                        ops_account_id="111111111111", mfa_serial="arn:aws:iam::111111111111:mfa/alice",
                        store="plaintext", org_file=str(ORG),
                        grants=(RoleGrant("dev", "admin", "222222222222",
                                          "arn:aws:iam::222222222222:role/awsroles/admin", 3600),))
    (config_dir / "config.ini").write_text(dumps(config))
    (config_dir / "config.ini").chmod(0o600)
    (config_dir / "data").mkdir(mode=0o700)
    store = PlaintextFileStore(config_dir / "data" / "secrets.json", i_understand_this_is_plaintext=True)
    store.set(KEYS, config.key_name, Credentials("AKIAALICE", "secret").to_json())
    return {**os.environ, "AWS_ENDPOINT_URL": DEAD, "AWSROLES_CONFIG_DIR": str(config_dir),
            "AWSROLES_FILE": str(ORG)}


FAMILIES = {
    "plan": ["plan"],
    "apply": ["apply", "--yes"],
    "users": ["users", "list"],
    "costs": ["costs"],
    "import": ["import", "-O", "{tmp}/imported.ini"],
    "login": ["login", "dev", "--mfa-code", "123456"],
    "whoami": ["whoami"],
}


@pytest.mark.parametrize("family", FAMILIES)
def test_aws_that_cannot_be_reached_is_exit_7_in_one_line_within_seconds(
        family: str, offline_env: dict[str, str], tmp_path: Path) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in FAMILIES[family]]
    started = time.monotonic()
    result = subprocess.run([*command(), *argv], env=offline_env, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL, cwd=tmp_path)
    took = time.monotonic() - started
    assert result.returncode == ExitCode.NETWORK, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("awsroles: error: ") and "cannot reach AWS" in lines[0], lines[0]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "imported.ini").exists()
    # A hang detector, generous for a loaded CI machine; the number of attempts is checked exactly
    # below (before: 8 attempts with backoff per call, about 14 s for `plan`).
    assert took < 30, f"{family} took {took:.1f} s to give up"


def test_a_refused_connection_is_tried_three_times_not_eight(offline_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run([*command(), "-v", "plan"], env=offline_env, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert result.returncode == ExitCode.NETWORK, result.stderr
    retries = [line for line in result.stderr.splitlines() if "retrying" in line]
    assert retries and all(line.endswith(("attempt 2/3: EndpointConnectionError",
                                          "attempt 3/3: EndpointConnectionError")) for line in retries), retries
    assert any(line.endswith("attempt 3/3: EndpointConnectionError") for line in retries)


def test_a_non_admin_importing_through_organizations_gets_the_hint_and_exit_2(fresh_sandbox: SandboxHandle,
                                                                             tmp_path: Path) -> None:
    """IAM authorization refuses Organizations to a user with no permissions: the hint (use
    --account or --from), exit 2, not ``403: <?xml ...`` (issue 19)."""
    iam = fresh_sandbox.client("iam")
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    env = {**fresh_sandbox.env, "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    done = subprocess.run([*command(), "import", "-O", str(tmp_path / "x.ini")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, ""), done.stderr
    assert done.stderr.splitlines() == [
        "awsroles: error: cannot list the accounts of the AWS Organization from account 111111111111 "
        "(AccessDeniedException: only the management account or a delegated administrator can); pass the "
        "accounts with --account NAME=ID[:ENVIRONMENT] (repeatable), or write [org] and [account] sections by "
        "hand and use --from FILE"]
    assert not (tmp_path / "x.ini").exists()
