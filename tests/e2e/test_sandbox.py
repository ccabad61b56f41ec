"""The sandbox: `awsroles sandbox start|status|env|stop` as a user runs them, and what it seeds."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import awsroles.sandbox.process as sandbox_module
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.creds.shellenv import format_env
from awsroles.errors import ExitCode
from awsroles.sandbox.client import SandboxCredentials, SandboxError, clock_offset, mfa_windows, sandbox_aws
from awsroles.sandbox.process import start_detached, stop_detached
from awsroles.sandbox.seed import ADMIN_PATH, ADMIN_USER, PersonCredentials, enroll_person, seed
from awsroles.sandbox.state import STATE_FILE, SandboxState, alive, read_state, state_dir
from tests.conftest import EXAMPLES, REPO
from tests.e2e.conftest import SandboxHandle, apply_org
from tests.e2e.inprocess import invoke as local
from tests.forkserver import command

pytestmark = pytest.mark.e2e
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ENVIRONMENTS = {"222222222222": "dev", "333333333333": "stage", "444444444444": "prod"}


def awsroles(*argv: str, env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *argv], cwd=cwd, capture_output=True, text=True, timeout=60, env=env)


def port_open(port: int) -> bool:
    """Something listens on 127.0.0.1:``port`` (read from /proc/net/tcp, not by connecting: a connect to a
    free port in the ephemeral range can pick that same port as its source and connect to itself)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port and address in ("0100007F", "00000000"):
            return True
    return False


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def user_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A user's environment: own HOME and XDG_STATE_HOME, no AWS settings at all. Whatever a test
    leaves running is stopped afterwards."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "AWSROLES_", "XDG_")) or k == "AWSROLES_SHM_DIR"}
    env["HOME"] = str(tmp_path / "home")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    yield env
    with contextlib.suppress(SandboxError):
        stop_detached(state_dir(env), timeout=2)


# -- (a) the commands, as a user runs them --------------------------------------------------


def test_start_status_env_stop(user_env: dict[str, str]) -> None:
    directory = state_dir(user_env)
    directory.mkdir(parents=True, mode=0o755)  # too open: start tightens it
    directory.parent.chmod(0o755)

    started = awsroles("sandbox", "start", env=user_env)
    assert started.returncode == 0, started.stderr
    assert "sandbox running at http://127.0.0.1:" in started.stdout
    assert "plaintext" in started.stdout and "fake" in started.stdout

    status = awsroles("sandbox", "status", "-o", "json", env=user_env)
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["running"] is True
    # no --file, no $AWSROLES_FILE, no ./awsroles.ini (this is the checkout): a private starter copy,
    # never the checkout's example, which `grant` or `users create` would otherwise edit
    private = directory / "org" / "awsroles.ini"
    assert info["org_file"] == str(private)
    assert private.read_text().startswith("; Your org, as code: a starter written by `awsroles init`")
    assert info["endpoint"] == f"http://127.0.0.1:{info['port']}"
    assert "secret_access_key" not in status.stdout
    assert port_open(info["port"])

    # (d) private: the directory 0700 (and its parent), the state and log files 0600
    for path, mode in ((directory.parent, 0o700), (directory, 0o700), (directory / STATE_FILE, 0o600),
                       (directory / "server.log", 0o600)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    state = json.loads((directory / STATE_FILE).read_text())
    assert state["pid"] == info["pid"] and state["port"] == info["port"] and state["region"] == "us-east-1"
    assert state["credentials"]["secret_access_key"]
    assert state["started_at"].endswith("+00:00")

    again = awsroles("sandbox", "start", env=user_env)
    assert again.returncode == 0, again.stderr
    assert f"already running at {info['endpoint']} (pid {info['pid']})" in again.stdout
    assert json.loads((directory / STATE_FILE).read_text())["pid"] == info["pid"]

    variables = json.loads(awsroles("sandbox", "env", "--format", "json", env=user_env).stdout)
    assert variables["AWS_ENDPOINT_URL"] == info["endpoint"]
    assert variables["AWSROLES_FILE"] == str(private)
    who = subprocess.run(
        [sys.executable, "-c", 'import boto3; print(boto3.client("sts").get_caller_identity()["Account"])'],
        env={**user_env, **variables}, capture_output=True, text=True, timeout=60,
    )
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == "111111111111"

    exe = shutil.which("awsroles", path=os.path.dirname(sys.executable)) or "awsroles"
    shell = subprocess.run(["bash", "-c", f'eval "$({exe} sandbox env)"; echo "$AWS_ENDPOINT_URL $AWSROLES_FILE"'],
                           env={**user_env, "AWS_SESSION_TOKEN": "left-over", "AWS_PROFILE": "work"},
                           capture_output=True, text=True, timeout=60)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip() == f"{info['endpoint']} {private}"

    stopped = awsroles("sandbox", "stop", env=user_env)
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped the sandbox at {info['endpoint']}" in stopped.stdout
    assert not alive(info["pid"])
    assert not port_open(info["port"])
    assert not (directory / STATE_FILE).exists()
    assert not alive(info["pid"])  # gone, or a zombie until init reaps it
    after = awsroles("sandbox", "status", "-o", "json", env=user_env)
    assert json.loads(after.stdout) == {"running": False}


def test_start_seeds_from_the_org_file_of_the_folder_it_runs_in_and_a_person_logs_in_with_its_codes(
        user_env: dict[str, str], tmp_path: Path) -> None:
    """One sandbox started from a project folder (a second start costs a server): it is seeded
    from that folder's org file, which `grant` then edits; a person on it logs in with codes the
    sandbox makes; then, from elsewhere, $AWSROLES_FILE names the org."""
    project = tmp_path / "project"
    project.mkdir()
    assert local(["init"], user_env, cwd=project).returncode == 0  # set-up and checks in this process
    started = awsroles("sandbox", "start", "-o", "json", env=user_env, cwd=project)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["org_file"] == str(project / "awsroles.ini")
    variables = json.loads(local(["sandbox", "env", "-o", "json"], user_env, cwd=project).stdout)
    assert variables["AWSROLES_FILE"] == str(project / "awsroles.ini")
    shell = {**user_env, **variables}
    early = local(["sandbox", "person", "alice"], shell, cwd=project)
    assert early.returncode == 1 and early.stderr.startswith("awsroles: error: no IAM user 'alice'")  # not applied yet
    assert local(["apply", "--yes"], shell, cwd=project).returncode == 0
    became = awsroles("sandbox", "person", "alice", "-o", "json", env=shell, cwd=project)
    assert became.returncode == 0, became.stderr
    assert json.loads(became.stdout)["environments"] == {"dev": ["admin"], "stage": ["admin"], "prod": ["admin"]}
    seed_file = state_dir(user_env) / "people" / "alice.json"
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    login = awsroles("login", "prod", "--role", "admin", env=shell, cwd=project)  # the code: sandbox mfa-code
    assert login.returncode == 0, login.stderr
    assert "admin in prod (444444444444)" in login.stdout
    codes = [local(["sandbox", "mfa-code", "alice"], shell, cwd=project).stdout.strip() for _ in range(2)]
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    for bad, message in (("nobody", "nobody is not a user in"), ("../x", "is not an IAM user name")):
        refused = local(["sandbox", "person", bad], shell, cwd=project)
        assert refused.returncode == 1 and message in refused.stderr and len(refused.stderr.splitlines()) == 1
    missing = local(["sandbox", "mfa-code", "bob"], shell, cwd=project)
    assert missing.returncode == 1 and "run `awsroles sandbox person bob` first" in missing.stderr

    granted = awsroles("grant", "backend", "stage", "readonly", env=shell, cwd=project)
    assert granted.returncode == 0, granted.stderr
    assert "stage = readonly" in (project / "awsroles.ini").read_text()
    assert sorted(p.name for p in project.iterdir()) == ["awsroles.ini", "policies"]  # no lock file left here
    # from elsewhere (here the checkout, which has no awsroles.ini), $AWSROLES_FILE names the org
    assert awsroles("sandbox", "stop", env=user_env, cwd=project).returncode == 0
    named = awsroles("sandbox", "start", "-o", "json", env={**user_env, "AWSROLES_FILE": str(project / "awsroles.ini")})
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["org_file"] == str(project / "awsroles.ini")


# -- (b) what is seeded --------------------------------------------------------------------


def test_accounts_have_the_org_files_ids_and_environment_tags(sandbox: SandboxHandle) -> None:
    orgs = sandbox.client("organizations")
    assert orgs.describe_organization()["Organization"]["MasterAccountId"] == "111111111111"
    accounts = {a["Id"]: a for a in orgs.list_accounts()["Accounts"]}
    assert set(accounts) == {"111111111111", *ENVIRONMENTS}
    for account_id, environment in ENVIRONMENTS.items():
        tags = orgs.list_tags_for_resource(ResourceId=account_id)["Tags"]
        assert tags == [{"Key": "Environment", "Value": environment}]
        assert accounts[account_id]["Name"] == environment
    assert orgs.list_tags_for_resource(ResourceId="111111111111")["Tags"] == []


def test_every_environment_has_the_bootstrap_role_with_admin_rights_trusting_ops(sandbox: SandboxHandle) -> None:
    for environment in ENVIRONMENTS.values():
        iam = sandbox.client("iam", environment)
        role = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
        trust = role["AssumeRolePolicyDocument"]["Statement"][0]
        assert trust["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root"]}
        attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == [ADMIN_ARN]
        assert iam.list_users()["Users"] == []


def test_the_admin_lives_in_ops_outside_the_managed_path(sandbox: SandboxHandle) -> None:
    iam = sandbox.client("iam")
    assert sandbox.aws().whoami().arn == f"arn:aws:iam::111111111111:user{ADMIN_PATH}{ADMIN_USER}"
    users = iam.list_users()["Users"]
    assert [(u["UserName"], u["Path"]) for u in users] == [(ADMIN_USER, ADMIN_PATH)]
    assert iam.list_users(PathPrefix=sandbox.org.path)["Users"] == []
    attached = iam.list_attached_user_policies(UserName=ADMIN_USER)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [ADMIN_ARN]
    assert iam.list_roles()["Roles"] == []  # ops is no environment: no bootstrap role there


def test_a_separate_billing_account_manages_the_organization(sandbox_factory: Callable[..., SandboxHandle]) -> None:
    large = sandbox_factory(EXAMPLES / "large.ini")
    org = large.org
    assert org.billing.id != org.ops.id
    orgs = large.client("organizations", org.billing.id)
    assert orgs.describe_organization()["Organization"]["MasterAccountId"] == org.billing.id
    assert {a["Id"] for a in orgs.list_accounts()["Accounts"]} == {a.id for a in org.accounts}
    assert large.aws().whoami().account == org.ops.id
    ops_role = large.client("iam").get_role(RoleName=org.bootstrap_role)["Role"]  # as AWS makes it
    assert ops_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": [f"arn:aws:iam::{org.billing.id}:root"]}
    for environment, account in org.environments.items():
        iam = large.client("iam", environment)
        trusted = iam.get_role(RoleName=org.bootstrap_role)["Role"]["AssumeRolePolicyDocument"]
        assert sorted(trusted["Statement"][0]["Principal"]["AWS"]) == sorted(
            {f"arn:aws:iam::{i}:root" for i in (org.billing.id, org.ops.id)}), account.name


# -- (c) IAM authorization is really on ----------------------------------------------------


def test_identity_policies_are_enforced(fresh_sandbox: SandboxHandle, sandbox: SandboxHandle) -> None:
    iam = fresh_sandbox.client("iam")
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    nobody = sandbox_aws(fresh_sandbox.endpoint, (key["AccessKeyId"], key["SecretAccessKey"]), "us-east-1")
    with pytest.raises(ClientError) as denied:
        nobody.client("iam").list_users()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as denied:
        nobody.for_account("444444444444", "OrganizationAccountAccessRole")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError):  # keys moto never issued
        sandbox_aws(fresh_sandbox.endpoint, ("AKIAIOSFODNN7EXAMPLE", "x"), "us-east-1").client("iam").list_users()

    assert {u["UserName"] for u in iam.list_users()["Users"]} == {ADMIN_USER, "nobody"}
    prod = fresh_sandbox.client("iam", "prod")
    assert [r["RoleName"] for r in prod.list_roles()["Roles"]] == ["OrganizationAccountAccessRole"]
    # moto does not implement ListServiceSpecificCredentials; apply needs it, the sandbox answers it
    assert iam.list_service_specific_credentials(UserName="nobody")["ServiceSpecificCredentials"] == []

    # the fresh sandbox is its own world
    assert fresh_sandbox.endpoint != sandbox.endpoint
    assert [u["UserName"] for u in sandbox.client("iam").list_users()["Users"]] == [ADMIN_USER]


def test_reset_is_what_a_new_sandbox_would_be(sandbox_factory: Callable[..., SandboxHandle]) -> None:
    """Sandbox.reset (how the e2e fixtures reuse servers): the data, the clock, the MFA codes taken,
    the bill and IAM authorization back as on a new server, then seeded again, from another org too."""
    box = sandbox_factory()
    alice = apply_and_enroll(box, "alice")["alice"]
    session = mfa_session(box.endpoint, alice)
    assert mfa_windows(box.endpoint, alice.mfa_serial)[1]  # the code just used is taken
    box.box.advance_clock(3600)
    old_admin, endpoint = box.credentials, box.endpoint

    box.box.reset()
    assert box.endpoint == endpoint and box.credentials != old_admin
    assert clock_offset(endpoint) == 0 and mfa_windows(endpoint, alice.mfa_serial)[1] == set()
    iam = box.client("iam")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == [ADMIN_USER]
    assert [r["RoleName"] for r in box.client("iam", "prod").list_roles()["Roles"]] == [box.org.bootstrap_role]
    for gone in ((old_admin.access_key_id, old_admin.secret_access_key),
                 (alice.access_key_id, alice.secret_access_key)):
        assert error_code(lambda keys=gone: sandbox_aws(endpoint, keys, "us-east-1").client("iam").list_users()) \
            == "InvalidClientTokenId"  # unknown keys are refused: authorization is on again
    assert error_code(lambda: with_credentials(endpoint, session)("sts").get_caller_identity())
    today = datetime.now(timezone.utc).date()
    month = today.replace(day=1)  # the current one, on the wall clock again
    before = (month - timedelta(days=1)).replace(day=1)
    bill = box.client("ce").get_cost_and_usage(
        TimePeriod={"Start": before.isoformat(), "End": (month + timedelta(days=31)).replace(day=1).isoformat()},
        Granularity="MONTHLY", Metrics=["UnblendedCost"])["ResultsByTime"]
    assert [(b["TimePeriod"]["Start"], b["Estimated"]) for b in bill] == [(before.isoformat(), False),
                                                                          (month.isoformat(), True)]
    assert float(bill[0]["Total"]["UnblendedCost"]["Amount"]) > 0  # seeded again
    # the current month holds the days before today: none yet on the first
    assert (float(bill[1]["Total"]["UnblendedCost"]["Amount"]) > 0) == (today.day > 1)

    large = box.box.reset(EXAMPLES / "large.ini")
    orgs = box.client("organizations", large.org.billing.id)
    assert {a["Id"] for a in orgs.list_accounts()["Accounts"]} == {a.id for a in large.org.accounts}
    assert large.org_path == EXAMPLES / "large.ini" and box.aws().whoami().account == large.org.ops.id


def test_env_for_subprocesses_reaches_the_sandbox(sandbox: SandboxHandle) -> None:
    env = sandbox.env
    assert env["AWS_ENDPOINT_URL"] == sandbox.endpoint and env["AWSROLES_FILE"] == str(sandbox.org_path)
    assert env["HOME"] == os.environ["HOME"]  # the test's own temporary HOME
    assert not {k for k in env if k.startswith("AWS_")} - set(sandbox.variables)
    code = 'import boto3; print(boto3.client("iam").list_users()["Users"][0]["Arn"])'
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == sandbox.credentials.user_arn, result.stderr


def test_the_management_account_has_an_identity_center_instance_the_aws_cli_reaches(sandbox: SandboxHandle) -> None:
    """docs/sandbox.md, "IAM Identity Center": `aws sso-admin list-instances` in a sandbox shell
    answers the management account's instance, and permission sets keep their tags, over HTTP with
    authorization on."""
    aws = shutil.which("aws", path=os.path.dirname(sys.executable))  # the test extra's awscli
    assert aws, "the AWS CLI (awscli, in the test extra) is not installed next to this interpreter"

    def cli(*argv: str) -> Any:
        result = subprocess.run([aws, "sso-admin", *argv, "--output", "json"], env=sandbox.env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout or "{}")

    [instance] = cli("list-instances")["Instances"]
    assert (instance["OwnerAccountId"], instance["Status"]) == (sandbox.org.management.id, "ACTIVE")
    arn = instance["InstanceArn"]
    created = cli("create-permission-set", "--instance-arn", arn, "--name", "sandbox-e2e", "--session-duration",
                  "PT2H", "--tags", "Key=managed-by,Value=awsroles")["PermissionSet"]["PermissionSetArn"]
    try:
        assert cli("list-tags-for-resource", "--instance-arn", arn, "--resource-arn", created)["Tags"] == [
            {"Key": "managed-by", "Value": "awsroles"}]
    finally:
        cli("delete-permission-set", "--instance-arn", arn, "--permission-set-arn", created)


# -- (e) stale state, failures, stopping the stubborn ----------------------------------------


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def write_state(directory: Path, pid: int, port: int = 9) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    state = SandboxState(pid, port, f"http://127.0.0.1:{port}", "us-east-1",
                         SandboxCredentials("AKIA", "secret", "111111111111", "arn:aws:iam::111111111111:user/x"),
                         str(EXAMPLES / "classic.ini"), "2026-01-01T00:00:00+00:00")
    (directory / STATE_FILE).write_text(state.to_json())
    return directory / STATE_FILE


@pytest.mark.parametrize("whose", ["dead", "reused"])
def test_a_state_file_whose_server_is_gone_means_not_running(
        whose: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    pid = dead_pid() if whose == "dead" else os.getpid()  # "reused": alive, but not a sandbox server
    path = write_state(state_dir(), pid)
    assert invoke("sandbox", "status")[1] == "no sandbox is running (start one with `awsroles sandbox start`)\n"
    assert not path.exists()
    write_state(state_dir(), pid)
    assert invoke("sandbox", "stop")[1] == "no sandbox is running\n"
    write_state(state_dir(), pid)
    code, _, err = invoke("sandbox", "env")
    assert code == ExitCode.FAILURE and "no sandbox is running" in err
    (state_dir() / STATE_FILE).write_text("{not json")
    assert read_state() is None


def test_a_server_that_dies_at_start_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module, "_server_command",
                        lambda *a, **k: [sys.executable, "-c", "import sys; print('no moto here'); sys.exit(3)"])
    with pytest.raises(SandboxError, match=r"exited with code 3 before it was ready(.|\n)*no moto here"):
        start_detached(EXAMPLES / "classic.ini", directory=tmp_path / "sandbox")
    assert not (tmp_path / "sandbox" / STATE_FILE).exists()


def test_a_server_that_never_answers_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = "import time; time.sleep(60)"
    monkeypatch.setattr(sandbox_module, "_server_command", lambda *a, **k: [sys.executable, "-c", script])
    spawned: list[subprocess.Popen[bytes]] = []
    real_spawn = sandbox_module._spawn
    monkeypatch.setattr(sandbox_module, "_spawn", lambda *a, **k: spawned.append(real_spawn(*a, **k)) or spawned[-1])
    with pytest.raises(SandboxError, match=r"did not answer within 0\.3s"):
        start_detached(EXAMPLES / "classic.ini", directory=tmp_path / "sandbox", timeout=0.3)
    assert spawned[0].poll() is not None


def test_stop_kills_a_server_that_ignores_sigterm(tmp_path: Path) -> None:
    script = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "print('up', flush=True); time.sleep(60)")
    stubborn = subprocess.Popen([sys.executable, "-c", script, "awsroles.sandbox.server"], stdout=subprocess.PIPE)
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline() == b"up\n"
        write_state(tmp_path, stubborn.pid)
        began = time.monotonic()
        stopped = stop_detached(tmp_path, timeout=0.2)
        assert stopped is not None and stopped.pid == stubborn.pid
        assert time.monotonic() - began >= 0.2  # SIGTERM was ignored for 0.2 s, then SIGKILL
        assert not alive(stubborn.pid)  # (stop reaped it: Popen cannot see how it ended)
        assert not (tmp_path / STATE_FILE).exists()
    finally:
        stubborn.kill()
        stubborn.wait()


def test_in_process_sandbox_restores_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.iam.models
    import moto.organizations.utils
    from moto import settings

    make_id = moto.organizations.utils.make_random_account_id
    auth_before = settings.INITIAL_NO_AUTH_ACTION_COUNT
    with sandbox_module.Sandbox(EXAMPLES / "classic.ini", in_process=True) as box:
        assert box.pid == os.getpid()
        assert box.aws().whoami().account == "111111111111"
        assert settings.INITIAL_NO_AUTH_ACTION_COUNT == 0
        port = box.port
    auth_after = settings.INITIAL_NO_AUTH_ACTION_COUNT
    assert auth_after == auth_before
    assert moto.organizations.utils.make_random_account_id is make_id
    assert not port_open(port)


def test_seed_refuses_a_server_without_the_account_id_workaround() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
        from awsroles.org.parse import load_org

        with pytest.raises(SandboxError, match="instead of 222222222222: it is not an awsroles sandbox server"):
            seed(endpoint, load_org(EXAMPLES / "classic.ini"))
    finally:
        server.stop()


# -- (f) env formats -------------------------------------------------------------------------

TRICKY = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWSROLES_FILE": "/tmp/it's a \"$HOME\" \\ `x`.ini",
          "AWS_SECRET_ACCESS_KEY": "a/b+c=d"}


def test_sh_output_evaluates_to_exactly_the_values() -> None:
    show = 'printf "%s\\n" "$AWS_ENDPOINT_URL" "$AWSROLES_FILE" "$AWS_SECRET_ACCESS_KEY" "${AWS_PROFILE-unset}"'
    script = format_env(TRICKY, "sh") + show
    result = subprocess.run(["bash", "-c", script], env={"PATH": os.environ["PATH"], "AWS_PROFILE": "work"},
                            capture_output=True, text=True)
    assert result.stdout.splitlines() == [*TRICKY.values(), "unset"], result.stderr


def test_dotenv_output_sources_in_bash(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(format_env(TRICKY, "dotenv"))
    script = 'set -a; . ./.env; printf "%s\\n" "$AWS_ENDPOINT_URL" "$AWSROLES_FILE" "$AWS_SECRET_ACCESS_KEY"'
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert result.stdout.splitlines() == list(TRICKY.values()), result.stderr
    assert "AWS_ENDPOINT_URL=http://127.0.0.1:5000\n" in format_env(TRICKY, "dotenv")


def test_json_output_is_the_variables() -> None:
    assert json.loads(format_env(TRICKY, "json")) == TRICKY


def test_fish_output_evaluates_to_exactly_the_values() -> None:
    script = format_env(TRICKY, "fish") + 'printf "%s\\n" $AWS_ENDPOINT_URL $AWSROLES_FILE $AWS_SECRET_ACCESS_KEY'
    result = subprocess.run(["fish", "-c", script], capture_output=True, text=True)
    assert result.stdout.splitlines() == list(TRICKY.values()), result.stderr


def test_powershell_output_follows_single_quote_rules() -> None:
    """PowerShell is not packaged for Debian, so read the output by its documented rule: in a
    single-quoted string nothing is special except '' (one quote); no interpolation at all."""
    values = {}
    for line in format_env(TRICKY, "powershell").splitlines():
        match = re.fullmatch(r"\$Env:(\w+) = '((?:[^']|'')*)'", line)
        if match:
            values[match.group(1)] = match.group(2).replace("''", "'")
    assert {k: values[k] for k in TRICKY} == TRICKY


# -- (g) people: long-term key -> MFA session (GetSessionToken) -> role -----------------------

PROD_ADMIN = "arn:aws:iam::444444444444:role/awsroles/admin"
DEV_DEVELOPER = "arn:aws:iam::222222222222:role/awsroles/developer"


def apply_and_enroll(box: SandboxHandle | sandbox_module.Sandbox, *people: str) -> dict[str, PersonCredentials]:
    """`awsroles apply` of the classic org (through the library), then each person enrolled."""
    apply_org(box)
    return enroll(box, *people)


def enroll(box: SandboxHandle | sandbox_module.Sandbox, *people: str) -> dict[str, PersonCredentials]:
    return {name: enroll_person(box.aws(), box.org, name) for name in people}


def as_keys(endpoint: str, access_key_id: str, secret: str, token: str | None = None) -> Callable[[str], Any]:
    """A boto3 client factory with explicit credentials, pointed at the sandbox."""
    import boto3

    session = boto3.Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret,
                            aws_session_token=token, region_name="us-east-1")
    return lambda service: session.client(service, endpoint_url=endpoint)


def as_person(endpoint: str, person: PersonCredentials) -> Callable[[str], Any]:
    return as_keys(endpoint, person.access_key_id, person.secret_access_key)


def with_credentials(endpoint: str, credentials: dict[str, Any]) -> Callable[[str], Any]:
    return as_keys(endpoint, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


def mfa_session(endpoint: str, person: PersonCredentials, **kwargs: Any) -> dict[str, Any]:
    sts = as_person(endpoint, person)("sts")
    reply = sts.get_session_token(SerialNumber=person.mfa_serial, TokenCode=person.mfa_code(), **kwargs)
    return dict(reply["Credentials"])


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as failed:
        call()
    return str(failed.value.response["Error"]["Code"])


def test_people_log_in_with_an_mfa_session_and_assume_only_granted_roles(
        fresh_applied_sandbox: SandboxHandle) -> None:
    endpoint = fresh_applied_sandbox.endpoint
    people = enroll(fresh_applied_sandbox, "alice", "bob")
    alice, bob = people["alice"], people["bob"]
    assert alice.user_arn == "arn:aws:iam::111111111111:user/awsroles/alice"
    assert alice.mfa_serial == "arn:aws:iam::111111111111:mfa/alice"
    assert alice.secret_access_key not in repr(alice) and alice.totp_seed not in repr(alice)
    admin_iam = fresh_applied_sandbox.client("iam")
    assert [d["SerialNumber"] for d in admin_iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [alice.mfa_serial]
    with pytest.raises(SandboxError, match="no IAM user 'mallory' in the ops account"):
        enroll_person(fresh_applied_sandbox.aws(), fresh_applied_sandbox.org, "mallory")

    # alice: long-term key -> MFA session, which is alice in ops
    began = datetime.now(timezone.utc)
    session = mfa_session(endpoint, alice, DurationSeconds=3600)
    assert session["AccessKeyId"].startswith("ASIA") and session["AccessKeyId"] != alice.access_key_id
    assert timedelta(seconds=3590) < session["Expiration"] - began < timedelta(seconds=3610)
    as_alice = with_credentials(endpoint, session)
    identity = as_alice("sts").get_caller_identity()
    user = admin_iam.get_user(UserName="alice")["User"]
    assert (identity["Arn"], identity["Account"]) == (alice.user_arn, "111111111111")
    assert identity["UserId"] == user["UserId"]

    # ... -> prod admin, named after her; there she administers prod
    role = as_alice("sts").assume_role(RoleArn=PROD_ADMIN, RoleSessionName="alice", SourceIdentity="alice",
                                       DurationSeconds=3600)
    as_prod_admin = with_credentials(endpoint, role["Credentials"])
    assert as_prod_admin("sts").get_caller_identity()["Arn"] == "arn:aws:sts::444444444444:assumed-role/admin/alice"
    assert as_prod_admin("sts").get_caller_identity()["Account"] == "444444444444"
    prod_roles = {r["Arn"] for r in as_prod_admin("iam").list_roles()["Roles"]}
    assert PROD_ADMIN in prod_roles and DEV_DEVELOPER not in prod_roles

    # every GetSessionToken mints new credentials
    again = mfa_session(endpoint, alice)
    assert {again[k] != session[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")} == {True}
    assert again["Expiration"] - began > timedelta(hours=11.9)  # the default: 12 hours

    # a forged token with a real session key id, or the key without its token, is refused
    forged = {**session, "SessionToken": session["SessionToken"][:-8] + "AAAAAAAA"}
    assert error_code(lambda: with_credentials(endpoint, forged)("sts").get_caller_identity()) == "InvalidClientTokenId"
    assert error_code(lambda: as_keys(endpoint, session["AccessKeyId"], session["SecretAccessKey"])("sts")
                      .get_caller_identity()) == "InvalidClientTokenId"
    wrong_secret = {**session, "SecretAccessKey": again["SecretAccessKey"]}
    assert error_code(lambda: with_credentials(endpoint, wrong_secret)("sts").get_caller_identity()) == \
        "SignatureDoesNotMatch"

    # bob: his team's policy names dev's developer role only
    as_bob = with_credentials(endpoint, mfa_session(endpoint, bob))
    with pytest.raises(ClientError) as denied:
        as_bob("sts").assume_role(RoleArn=PROD_ADMIN, RoleSessionName="bob", SourceIdentity="bob")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert "arn:aws:iam::111111111111:user/awsroles/bob" in denied.value.response["Error"]["Message"]
    dev = as_bob("sts").assume_role(RoleArn=DEV_DEVELOPER, RoleSessionName="bob", SourceIdentity="bob")
    assert with_credentials(endpoint, dev["Credentials"])("sts").get_caller_identity()["Account"] == "222222222222"


def test_what_the_sandbox_enforces_on_peoples_credentials(fresh_applied_sandbox: SandboxHandle) -> None:
    endpoint = fresh_applied_sandbox.endpoint
    alice = enroll(fresh_applied_sandbox, "alice")["alice"]
    as_alice_key = as_person(endpoint, alice)

    # the long-term key alone: the org requires MFA, so only self-service works
    assert [d["SerialNumber"] for d in as_alice_key("iam").list_mfa_devices()["MFADevices"]] == [alice.mfa_serial]
    assert as_alice_key("iam").get_user()["User"]["Arn"] == alice.user_arn
    assert error_code(lambda: as_alice_key("iam").list_mfa_devices(UserName="bob")) == "AccessDenied"
    assert error_code(lambda: as_alice_key("sts").assume_role(
        RoleArn=PROD_ADMIN, RoleSessionName="alice", SourceIdentity="alice")) == "AccessDenied"

    # a session without MFA: no role, no IAM
    plain = with_credentials(endpoint, as_alice_key("sts").get_session_token(DurationSeconds=900)["Credentials"])
    assert plain("sts").get_caller_identity()["Arn"] == alice.user_arn
    assert error_code(lambda: plain("sts").assume_role(
        RoleArn=PROD_ADMIN, RoleSessionName="alice", SourceIdentity="alice")) == "AccessDenied"
    assert error_code(lambda: plain("iam").list_mfa_devices()) == "AccessDenied"

    # an MFA session: the team policy's conditions hold only with SourceIdentity = the user name
    as_alice = with_credentials(endpoint, mfa_session(endpoint, alice))
    assert as_alice("iam").list_mfa_devices()["MFADevices"][0]["UserName"] == "alice"
    for source_identity in ({}, {"SourceIdentity": "bob"}):
        assert error_code(lambda extra=source_identity: as_alice("sts").assume_role(
            RoleArn=PROD_ADMIN, RoleSessionName="alice", **extra)) == "AccessDenied"
    assert error_code(lambda: as_alice("sts").get_session_token()) == "AccessDenied"  # not from a session
    assert error_code(lambda: as_alice("iam").list_users()) == "AccessDenied"  # no grant for that

    # AWS's bounds on the duration (botocore itself refuses less than 900 seconds)
    assert error_code(lambda: as_alice_key("sts").get_session_token(DurationSeconds=129601)) == "ValidationError"
    longest = as_alice_key("sts").get_session_token(DurationSeconds=129600)["Credentials"]
    assert longest["Expiration"] - datetime.now(timezone.utc) > timedelta(hours=35.9)

    # moto matches sts:AssumeRole's Resource; setting a SourceIdentity takes sts:SetSourceIdentity; the
    # role's trust policy must let the caller in too (the bootstrap role trusts the ops account)
    admin_iam = fresh_applied_sandbox.client("iam")
    admin_iam.create_user(UserName="carol")  # outside the org: no self-service policy, no MFA rule
    prod_bootstrap = "arn:aws:iam::444444444444:role/OrganizationAccountAccessRole"
    admin_iam.put_user_policy(UserName="carol", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": [prod_bootstrap, PROD_ADMIN]}]}))
    carol_key = admin_iam.create_access_key(UserName="carol")["AccessKey"]
    as_carol = as_keys(endpoint, carol_key["AccessKeyId"], carol_key["SecretAccessKey"])
    as_carol("sts").assume_role(RoleArn=prod_bootstrap, RoleSessionName="carol")
    assert error_code(lambda: as_carol("sts").assume_role(
        RoleArn="arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", RoleSessionName="carol")) == \
        "AccessDenied"
    assert error_code(lambda: as_carol("sts").assume_role(
        RoleArn=prod_bootstrap, RoleSessionName="carol", SourceIdentity="carol")) == "AccessDenied"
    # her own policy allows awsroles' admin role; its trust policy (people under /awsroles/, MFA) does not
    assert error_code(lambda: as_carol("sts").assume_role(RoleArn=PROD_ADMIN, RoleSessionName="carol")) == \
        "AccessDenied"

    # policies count when a session is used, not when it was made: out of the team, out of prod
    session = with_credentials(endpoint, mfa_session(endpoint, alice))
    session("sts").assume_role(RoleArn=PROD_ADMIN, RoleSessionName="alice", SourceIdentity="alice")
    admin_iam.remove_user_from_group(GroupName="team-platform", UserName="alice")
    assert error_code(lambda: session("sts").assume_role(
        RoleArn=PROD_ADMIN, RoleSessionName="alice", SourceIdentity="alice")) == "AccessDenied"


def test_sessions_expire_and_so_does_the_mfa_age_allowance(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.iam import access_control
    from moto.sts.responses import TokenResponse

    from awsroles.sandbox.server import clock

    moto_originals = (access_control.create_access_key, TokenResponse.get_session_token)
    with sandbox_module.Sandbox(EXAMPLES / "classic.ini", in_process=True) as box:
        alice = apply_and_enroll(box, "alice")["alice"]
        short = mfa_session(box.endpoint, alice, DurationSeconds=900)
        long = mfa_session(box.endpoint, alice, DurationSeconds=129600)
        assume = {"RoleArn": PROD_ADMIN, "RoleSessionName": "alice", "SourceIdentity": "alice"}
        real_now = clock.utcnow

        monkeypatch.setattr(clock, "utcnow", lambda: real_now() + timedelta(minutes=16))
        assert error_code(lambda: with_credentials(box.endpoint, short)("sts").get_caller_identity()) == "ExpiredToken"
        with_credentials(box.endpoint, long)("sts").assume_role(**assume)

        # the org's mfa_max_age (12h): the session is still good, the MFA in it too old for a role
        monkeypatch.setattr(clock, "utcnow", lambda: real_now() + timedelta(hours=13))
        assert with_credentials(box.endpoint, long)("sts").get_caller_identity()["Arn"] == alice.user_arn
        assert error_code(lambda: with_credentials(box.endpoint, long)("sts").assume_role(**assume)) == "AccessDenied"
    assert (access_control.create_access_key, TokenResponse.get_session_token) == moto_originals  # undone


def test_the_sandbox_answers_cost_explorer_with_13_months_of_a_consistent_bill(sandbox) -> None:  # type: ignore[no-untyped-def]
    from datetime import date
    from decimal import Decimal

    ce = sandbox.client("ce")
    today = date.today()
    start = date(today.year - 1, today.month, 1)
    end = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    pages, results = 0, []
    request: dict[str, object] = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                                  "Granularity": "MONTHLY", "Metrics": ["UnblendedCost"],
                                  "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
                                              {"Type": "DIMENSION", "Key": "RECORD_TYPE"}]}
    while True:
        reply = ce.get_cost_and_usage(**request)
        pages += 1
        results += reply["ResultsByTime"]
        if not reply.get("NextPageToken"):
            break
        request["NextPageToken"] = reply["NextPageToken"]
    assert len(results) == 13 and pages == 4
    assert [r["Estimated"] for r in results] == [False] * 12 + [True]
    by_type = {r["TimePeriod"]["Start"]: sum(Decimal(g["Metrics"]["UnblendedCost"]["Amount"]) for g in r["Groups"])
               for r in results}
    services = ce.get_cost_and_usage(
        TimePeriod={"Start": start.isoformat(), "End": end.isoformat()}, Granularity="MONTHLY",
        Metrics=["UnblendedCost"], GroupBy=[{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
                                            {"Type": "DIMENSION", "Key": "SERVICE"}])["ResultsByTime"][0]
    assert sum(Decimal(g["Metrics"]["UnblendedCost"]["Amount"]) for g in services["Groups"]) == (
        by_type[services["TimePeriod"]["Start"]])
    accounts = {g["Keys"][0] for g in results[0]["Groups"]}
    assert accounts == {a.id for a in sandbox.org.accounts}
