"""`awsroles demo`: the whole story on a sandbox of its own, as a user runs it (a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_plan_apply import command

pytestmark = pytest.mark.e2e


def test_demo_tells_the_whole_story_on_the_sandbox(tmp_path: Path) -> None:
    result = subprocess.run([*command(), "demo", "--out", str(tmp_path / "demo")], env=os.environ.copy(),
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    out = result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply complete: 11 changes made." in out
    assert "No changes. AWS matches the org file." in out
    assert "who can touch prod? alice" in out
    assert "arn:aws:sts::444444444444:assumed-role/admin/alice" in out  # alice ran a command in prod
    assert "you have no role in 'prod'; your environments: dev" in out  # bob was refused
    assert "added: acme-prod-admin" in out
    assert "readonly in stage (333333333333) until" in out  # granted, bob used it
    assert "AWS refused bob the role readonly in stage (AccessDenied)" in out  # revoked: refused again
    assert "finance pulls last month's bill per environment" in out and "(unmapped)" in out
    assert (tmp_path / "demo" / "costs.svg").read_bytes().startswith(b"<?xml")
    # the second act: from an organization holding its management account alone
    assert "From an empty organization: the management account alone" in out
    assert "+ account prod (create): e-mail aws+prod@acme.example" in out
    assert "+ scp awsroles-acme-guardrails-ou-Workloads (create)" in out
    assert "creating account prod: SUCCEEDED" in out
    prod = re.search(r"wrote the ids of dev \(\d{12}\), prod \((\d{12})\) into awsroles.ini", out)
    assert prod, out
    assert "+ role admin (create)" in out.split("then IAM in the new accounts", 1)[1]
    assert f"arn:aws:sts::{prod[1]}:assumed-role/admin/alice" in out  # alice works in the new prod account
    assert "stopped; nothing was left running." in out
    assert (tmp_path / "demo" / "policies" / "prod" / "roles" / "admin.trust.json").is_file()
    assert (tmp_path / "demo" / "terraform" / "providers.tf").is_file()


def test_demo_with_identity_center_tells_the_same_story_with_one_sign_in(tmp_path: Path) -> None:
    result = subprocess.run([*command(), "demo", "--identity-center", "--out", str(tmp_path / "demo")],
                            env=os.environ.copy(), capture_output=True, text=True, timeout=300,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    out = result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes. AWS matches the org file." in out
    codes = re.findall(r"\((alice|bob) checks the code ([A-Z0-9]{4}-[A-Z0-9]{4}) in the browser and clicks Allow\)",
                       out)
    assert [who for who, _ in codes] == ["alice", "bob"]  # one sign-in each, whatever they did after
    assert "you may assume: dev: admin; stage: admin; prod: admin" in out
    assert re.search(r"arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_admin_[0-9a-f]{16}/alice", out)
    assert "you have no role in 'prod'; your environments: dev" in out  # bob was refused
    assert "readonly in stage (333333333333) until" in out  # granted, bob used it, no new sign-in
    assert "IAM Identity Center does not give bob the role readonly in stage" in out  # revoked: AWS refused
    assert "added: acme-prod-admin" in out
    assert "(unmapped)" in out and "total" in out  # finance's report, as with IAM users
    assert "stopped; nothing was left running." in out
