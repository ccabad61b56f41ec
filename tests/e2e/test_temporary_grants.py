"""A temporary grant end to end: an admin grants a person a role for a while, the person logs in
with it, and once the grant's `until` has passed (the sandbox clock moved on) AWS refuses the role,
with nothing run in between (docs/temporary-access.md): to awsroles and to the AWS CLI v2 (Debian's
`awscli`) on the `credential_process` profile `awsroles profiles sync` writes, one second after
`until`."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from awsroles.sandbox.client import clock_offset
from awsroles.sandbox.seed import enroll_person
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.test_credentials import Person
from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e
AWS_V2 = "/usr/bin/aws"  # Debian's awscli package (2.x); .ci/run installs it


def _cli(box: SandboxHandle, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The AWS CLI v2 as bob on stage/readonly: credentials from `awsroles credential-process`."""
    return subprocess.run([AWS_V2, "iam", "list-roles", "--path-prefix", "/awsroles/", "--profile",
                           "acme-stage-readonly", "--endpoint-url", box.endpoint, "--output", "json"],
                          env={**env, "AWS_MAX_ATTEMPTS": "1"}, capture_output=True, text=True, timeout=60)


def test_a_grant_for_a_while_works_then_ends_by_itself(fresh_applied_sandbox: SandboxHandle, tmp_path: Path) -> None:
    box = fresh_applied_sandbox
    org = tmp_path / "awsroles.ini"  # never the example itself
    org.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    admin_env = {**box.env, "AWSROLES_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    granted = subprocess.run([*command(), "--file", str(org), "grant", "--user", "bob", "stage", "readonly",
                              "--for", "1h", "--reason", "INC-1234", "--apply"], env=admin_env,
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert granted.returncode == 0, granted.stdout + granted.stderr
    assert "Apply complete" in granted.stdout
    section = next(line for line in org.read_text().splitlines() if line.startswith("[temporary t-"))
    grant_id = section[len("[temporary "):-1]
    assert f"temporary grant {grant_id} until " in granted.stdout  # the plan names the grant and its end
    until = next(line.split("=", 1)[1].strip() for line in org.read_text().splitlines()
                 if line.startswith("until ="))

    bob = Person(box, enroll_person(box.aws(), box.org, "bob"), tmp_path / "bob")
    env = {**bob.env, "AWSROLES_FILE": str(org)}
    setup = bob.local("setup", "--access-key-id", bob.creds.access_key_id, "--secret-stdin", "--store", "file",
                    env=env, stdin=bob.creds.secret_access_key + "\n")
    assert setup.returncode == 0, setup.stderr
    login = bob.run("login", "stage", "--role", "readonly", "--mfa-code", bob.code(), "-o", "json", env=env,
                    stdin="")
    assert login.returncode == 0, login.stderr
    expiration = datetime.strptime(json.loads(login.stdout)["expiration"], "%Y-%m-%d %H:%M UTC")
    ends = datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ")
    # no longer than the grant (the expiration is shown to the minute)
    assert expiration.replace(tzinfo=timezone.utc) <= ends.replace(tzinfo=timezone.utc) + timedelta(minutes=1)

    assert bob.local("profiles", "sync", env=env).returncode == 0
    listed = _cli(box, env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Roles"]

    # The sandbox's clock to one second after `until`: at AWS, the grant has ended; awsroles never ran.
    box.box.advance_clock(ends.replace(tzinfo=timezone.utc).timestamp() + 1 - time.time() - clock_offset(box.endpoint))
    assert bob.local("logout", env=env).returncode == 0
    refused = bob.run("login", "stage", "--role", "readonly", "--mfa-code", bob.code(), env=env, stdin="")
    assert refused.returncode == 5, (refused.stdout, refused.stderr)  # NOT_GRANTED (docs/exit-codes.md)
    assert "AWS refused bob the role readonly in stage" in refused.stderr and "Traceback" not in refused.stderr
    refused_cli = _cli(box, env)  # the AWS CLI asks awsroles, which asks AWS, which refuses
    assert refused_cli.returncode != 0 and "AWS refused bob the role readonly in stage" in refused_cli.stderr, (
        refused_cli.stderr)
