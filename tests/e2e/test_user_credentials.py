"""`awsroles users mfa` and `awsroles users keys` end to end: the command, as an admin, against
the sandbox with the classic org applied (bob exists, with no key and no MFA device)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from botocore.exceptions import ClientError

from awsroles.aws import Aws, AwsSettings
from awsroles.org.parse import load_org
from awsroles.sandbox.seed import PersonCredentials
from awsroles.sync.engine import Engine
from tests.conftest import REPO
from tests.e2e.conftest import SandboxHandle
from tests.e2e.inprocess import invoke
from tests.e2e.test_credentials import Person, command

pytestmark = pytest.mark.e2e

KEY_LINE = re.compile(r"^AccessKeyId:\s+(\S+)\nSecretAccessKey:\s+(\S+)$", re.MULTILINE)


class Admin:
    def __init__(self, box: SandboxHandle, home: Path) -> None:
        self.box, self.home = box, home
        self.audit_log = home / "audit.jsonl"

    @property
    def env(self) -> dict[str, str]:
        return {**self.box.env, "HOME": str(self.home), "AWSROLES_CONFIG_DIR": str(self.home / "cfg"),
                "AWSROLES_FILE": str(self.box.org_path), "AWSROLES_AUDIT_LOG": str(self.audit_log)}

    def run(self, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command(), *argv], env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=60)

    def local(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """The same command in this process (:mod:`tests.e2e.inprocess`): for refusals after the first."""
        return invoke(argv, self.env)

    def works(self, key_id: str, secret: str) -> bool:
        aws = Aws.with_keys(AwsSettings(region=self.box.region, endpoint_url=self.box.endpoint, max_attempts=1),
                            key_id, secret)
        try:
            return bool(aws.client("sts").get_caller_identity()["Arn"].endswith("/bob"))
        except ClientError:
            return False


@pytest.fixture(scope="module")
def world(module_sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The classic org applied in this module's sandbox, and an admin to run the commands."""
    return {"box": module_sandbox, "admin": Admin(module_sandbox, tmp_path_factory.mktemp("admin")), "secrets": []}


def _iam(world: dict[str, Any]) -> Any:
    return world["box"].client("iam")


def test_admin_enrols_mfa_with_codes_from_the_printed_uri_then_resets_it(world: dict[str, Any]) -> None:
    admin: Admin = world["admin"]
    qr = admin.home / "bob.svg"
    process = subprocess.Popen([*command(), "users", "mfa", "enroll", "bob", "--qr", str(qr)], env=admin.env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdin is not None
    seen = []
    uri = ""
    while not uri:
        line = process.stdout.readline()
        assert line, f"no otpauth URI in {''.join(seen)!r}: {process.communicate(timeout=30)}"
        seen.append(line)
        uri = line.strip() if line.startswith("otpauth://") else ""
    assert sum(1 for line in seen if "█" in line) > 10  # the QR code, drawn in the terminal
    parts = urlsplit(uri)
    assert parts.path.endswith(":bob") and parse_qs(parts.query)["issuer"]
    seed = parse_qs(parts.query)["secret"][0]
    world["secrets"].append(seed)
    totp, now = pyotp.TOTP(seed), time.time()
    out, err = process.communicate(f"{totp.at(now)}\n{totp.at(now + 30)}\n", timeout=60)
    assert process.returncode == 0, err
    assert "MFA device arn:aws:iam::111111111111:mfa/bob enabled for bob" in out
    assert seed not in err and qr.read_bytes().startswith(b"<?xml")
    devices = _iam(world).list_mfa_devices(UserName="bob")["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == ["arn:aws:iam::111111111111:mfa/bob"]

    again = admin.run("users", "mfa", "enroll", "bob", "--code1", "123456", "--code2", "654321")
    assert again.returncode == 2 and "already has an MFA device" in again.stderr

    reset = admin.run("users", "mfa", "reset", "bob", "--yes")
    assert reset.returncode == 0, reset.stderr
    assert "removed MFA device arn:aws:iam::111111111111:mfa/bob of bob" in reset.stdout
    assert _iam(world).list_mfa_devices(UserName="bob")["MFADevices"] == []
    assert not [d for d in _iam(world).list_virtual_mfa_devices()["VirtualMFADevices"]
                if d["SerialNumber"].endswith("/bob")]
    unsure = admin.local("users", "mfa", "reset", "bob")  # no terminal, no --yes
    assert unsure.returncode == 2 and "--yes" in unsure.stderr


def test_keys_create_at_most_two_then_rotate(world: dict[str, Any]) -> None:
    admin: Admin = world["admin"]
    first = admin.run("users", "keys", "create", "bob")
    assert first.returncode == 0, first.stderr
    match = KEY_LINE.search(first.stdout)
    assert match, first.stdout
    old_id, old_secret = match.groups()
    world["secrets"].append(old_secret)
    assert admin.works(old_id, old_secret)

    second = admin.run("users", "keys", "create", "bob")
    assert second.returncode == 0, second.stderr
    match2 = KEY_LINE.search(second.stdout)
    assert match2
    world["secrets"].append(match2.group(2))
    third = admin.run("users", "keys", "create", "bob")
    assert third.returncode == 2
    assert "bob already has 2 access keys" in third.stderr and "rotate" in third.stderr
    assert match2.group(2) not in third.stderr
    refused = admin.local("users", "keys", "rotate", "bob", "--delete-old")
    assert refused.returncode == 2 and "delete one before rotating" in refused.stderr
    deleted = admin.run("users", "keys", "delete", "bob", match2.group(1), "--yes")
    assert deleted.returncode == 0, deleted.stderr

    rotated = admin.run("users", "keys", "rotate", "bob", "--delete-old")
    assert rotated.returncode == 0, rotated.stderr
    match3 = KEY_LINE.search(rotated.stdout)
    assert match3
    new_id, new_secret = match3.groups()
    world["secrets"].append(new_secret)
    assert new_id != old_id and f"old key {old_id} deactivated and deleted" in rotated.stdout
    assert admin.works(new_id, new_secret)
    assert not admin.works(old_id, old_secret)
    listed = _iam(world).list_access_keys(UserName="bob")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(new_id, "Active")]

    kept = admin.run("users", "keys", "rotate", "bob", "--keep-old")
    assert kept.returncode == 0, kept.stderr
    match4 = KEY_LINE.search(kept.stdout)
    assert match4
    world["secrets"].append(match4.group(2))
    assert f"old key {new_id} is Inactive" in kept.stdout
    listed = _iam(world).list_access_keys(UserName="bob")["AccessKeyMetadata"]
    statuses = {k["AccessKeyId"]: k["Status"] for k in listed}
    assert statuses == {new_id: "Inactive", match4.group(1): "Active"}
    world["bob_key"] = match4.groups()

    nobody = admin.local("users", "keys", "create", "nobody")
    assert nobody.returncode == 2 and "no IAM user 'nobody'" in nobody.stderr


def test_bob_enrols_himself_with_his_own_key_and_opts_in_to_automatic_codes(world: dict[str, Any]) -> None:
    box: SandboxHandle = world["box"]
    key_id, secret = world["bob_key"]
    bob = Person(box, PersonCredentials(key_id, secret, "", "", "arn:aws:iam::111111111111:user/awsroles/bob"),
                 world["admin"].home.parent / "bob-home")
    setup = bob.setup(local=True)  # with his key alone: setup's ListMFADevices is allowed without MFA
    assert setup.returncode == 0, setup.stderr

    # issue 10: by default (mfa_enrollment = admin) a key alone cannot enrol a device, even one
    # named after its user, which IAM would accept next to a device of another name
    refused = bob.run("users", "mfa", "enroll", "bob", "--self")
    assert refused.returncode == 2 and "mfa_enrollment = admin" in refused.stderr, refused.stderr
    iam = Aws.with_keys(AwsSettings(region=box.region, endpoint_url=box.endpoint, max_attempts=1),
                        key_id, secret).client("iam")
    with pytest.raises(ClientError) as denied:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert iam.list_mfa_devices()["MFADevices"] == []  # what setup needs still works

    # the org opts in to self-enrolment, and applies the self-service policy that allows it
    org_file = bob.home / "awsroles.ini"
    org_file.write_text(box.org_path.read_text().replace("[org]\n", "[org]\nmfa_enrollment = self\n", 1)
                        .replace("policy_dir = ../policies", f"policy_dir = {REPO / 'policies'}"))
    engine = Engine(load_org(org_file), box.aws())
    assert engine.apply(engine.plan()).ok
    env = {**bob.env, "AWSROLES_FILE": str(org_file), "AWSROLES_AUDIT_LOG": str(world["admin"].audit_log)}

    not_me = bob.local("users", "mfa", "enroll", "alice", "--self", env=env)
    assert not_me.returncode == 2 and "--self enrols you (bob), not alice" in not_me.stderr
    process = subprocess.Popen([*command(), "users", "mfa", "enroll", "bob", "--self", "--store-seed"],
                               env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    uri = ""
    while not uri:
        line = process.stdout.readline()
        assert line, process.communicate(timeout=30)
        uri = line.strip() if line.startswith("otpauth://") else ""
    seed = parse_qs(urlsplit(uri).query)["secret"][0]
    world["secrets"].append(seed)
    totp, now = pyotp.TOTP(seed), time.time()
    out, err = process.communicate(f"{totp.at(now - 30)}\n{totp.at(now - 60)}\n", timeout=60)
    assert process.returncode == 0, err
    assert "warning: with the TOTP seed in your store" in err and seed not in err
    assert "generate codes for you" in out
    config = (bob.home / "cfg" / "config.ini").read_text()
    assert "mfa_serial = arn:aws:iam::111111111111:mfa/bob" in config and "totp_in_store = yes" in config
    assert seed not in config
    login = bob.run("login", "dev", "--role", "developer")  # the code comes from the stored seed
    assert login.returncode == 0, login.stderr


def test_audit_log_has_every_write_and_no_secret(world: dict[str, Any]) -> None:
    admin: Admin = world["admin"]
    secrets: list[str] = world["secrets"]
    assert len(secrets) >= 5
    text = admin.audit_log.read_text(encoding="utf-8")
    for action in ("users.mfa.enroll", "users.mfa.reset", "users.keys.create", "users.keys.rotate",
                   "users.keys.delete"):
        assert action in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert all(line["account"] == "111111111111" for line in lines)
    assert any(line["actor"].endswith(":user/awsroles/bob") for line in lines)
    for secret in secrets:
        assert secret not in text
