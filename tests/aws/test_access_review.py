"""``awsroles access review`` against moto in-process: the classic org applied, people's keys and
password and the roles' last use as IAM records them (moto records a key's use by itself; the
password's and a role's last use, and a key's creation date, are set through moto's backend, as
IAM would have them after people used them)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from moto.iam.models import iam_backends

from awsroles.aws import Aws
from awsroles.cli.access_review import CSV_COLUMNS
from awsroles.cli.app import App
from awsroles.cli.runner import run
from awsroles.errors import ExitCode
from awsroles.org.model import Org
from awsroles.people.review import review
from awsroles.sync.engine import Engine
from tests.aws.conftest import apply_org
from tests.conftest import EXAMPLES, REPO

OPS, DEV = "111111111111", "222222222222"


@pytest.fixture
def org_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "awsroles.ini"
    path.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    monkeypatch.setenv("AWSROLES_FILE", str(path))
    return path


@pytest.fixture
def engine(ops_aws: Aws, classic: Org, org_path: Path) -> Engine:
    """The classic org applied."""
    engine = Engine(classic, ops_aws)
    apply_org(engine)
    return engine


def used(engine: Engine, now: datetime) -> dict[str, str]:
    """alice: a password last used 200 days ago, no key; bob: one key used just now (for real, a
    request signed with it), one key made 200 days ago and never used; dev/admin used 10 days ago,
    every other role never."""
    iam = engine.iam(engine.org.ops)
    ops = iam_backends[OPS]["aws"]
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9-battery")
    ops.users["alice"].password_last_used = now - timedelta(days=200)
    fresh = iam.create_access_key(UserName="bob")["AccessKey"]
    old = iam.create_access_key(UserName="bob")["AccessKey"]
    ops.access_keys[old["AccessKeyId"]].create_date = now - timedelta(days=200)
    boto3.client("sts", region_name="us-east-1", aws_access_key_id=fresh["AccessKeyId"],
                 aws_secret_access_key=fresh["SecretAccessKey"]).get_caller_identity()
    dev_admin = iam_backends[DEV]["aws"].get_role("admin")
    dev_admin.last_used, dev_admin.last_used_region = now - timedelta(days=10), "eu-west-1"
    return {"fresh": fresh["AccessKeyId"], "old": old["AccessKeyId"]}


def test_review_reads_keys_password_and_roles_and_flags_what_is_unused(engine: Engine) -> None:
    now = datetime.now(timezone.utc)
    keys = used(engine, now)
    result = review(engine.org, engine.iam, now=now + timedelta(minutes=1), since=timedelta(days=90))
    people = {p.name: p for p in result.people}

    alice, bob = people["alice"], people["bob"]
    assert alice.use is not None and alice.use.password and alice.keys == ()
    assert alice.flags[0] == "inactive" and alice.last_active == now - timedelta(days=200)
    grants = {(g.access.environment, g.access.role): g for g in alice.grants}
    assert sorted(grants) == [("dev", "admin"), ("prod", "admin"), ("stage", "admin")]
    assert grants["dev", "admin"].use.last_used == now - timedelta(days=10)
    assert grants["dev", "admin"].use.region == "eu-west-1" and grants["dev", "admin"].flags == ()
    assert grants["prod", "admin"].use.exists and grants["prod", "admin"].use.last_used is None
    assert grants["prod", "admin"].flags == ("unused grant",)
    assert "unused grant prod/admin" in alice.flags and "unused grant dev/admin" not in alice.flags

    by_id = {k.key.id: k for k in bob.keys}
    assert by_id[keys["fresh"]].key.last_used is not None  # moto recorded the request signed with it
    assert by_id[keys["fresh"]].flags == () and by_id[keys["old"]].flags == ("old unused key",)
    assert by_id[keys["old"]].key.last_used is None
    assert "inactive" not in bob.flags and f"old unused key {keys['old']}" in bob.flags
    assert [g.access.via for g in bob.grants] == ["team backend", "team backend"]
    assert engine.plan().empty  # read-only: AWS still matches the org file


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_the_command_as_json_csv_and_table(engine: Engine) -> None:
    now = datetime.now(timezone.utc)
    keys = used(engine, now)

    code, out, err = invoke("access", "review", "--since", "30d", "-o", "json")
    assert code == ExitCode.OK, err
    data = json.loads(out)
    reviewed = datetime.fromisoformat(data["reviewed_at"].replace("Z", "+00:00"))
    assert data["cutoff"].endswith("Z") and data["since_days"] == 30
    assert datetime.fromisoformat(data["cutoff"].replace("Z", "+00:00")) == reviewed - timedelta(days=30)
    people = {p["name"]: p for p in data["people"]}
    assert people["alice"]["flags"][0] == "inactive" and people["alice"]["keys"] == []
    assert {k["id"]: k["last_used"] for k in people["bob"]["keys"]}[keys["old"]] == "never"
    assert any("per role, not per person" in note for note in data["notes"])
    assert "secret" not in out.lower() and "Correct-Horse" not in out

    code, out, err = invoke("access", "review", "-o", "csv")
    assert code == ExitCode.OK, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["person"], r["environment"], r["role"]) for r in rows] == [
        ("alice", "dev", "admin"), ("alice", "stage", "admin"), ("alice", "prod", "admin"),
        ("bob", "dev", "developer"), ("bob", "dev", "readonly")]
    assert rows[0]["role_last_used"].endswith("Z") and rows[1]["role_last_used"] == "never"
    assert rows[1]["grant_flags"] == "unused grant" and rows[0]["grant"] == "standing"
    assert rows[3]["password"] == "no" and rows[3]["password_last_used"] == "never"

    code, out, err = invoke("access", "review")
    assert code == ExitCode.OK, err
    assert "People" in out and "Grants" in out and "cut-off" in out and "no password (never)" in out
    code, out, err = invoke("access", "review", "-o", "md")
    assert code == ExitCode.OK, err
    assert "## People" in out and "## Grants" in out and "\n- reviewed at " in out


def test_bad_since_is_a_usage_error_before_any_call(org_path: Path) -> None:
    code, out, err = invoke("access", "review", "--since", "3 weeks")
    assert code == ExitCode.USAGE and out == ""
    assert err.strip() == "awsroles: error: --since '3 weeks': use days or hours, e.g. 90d, 36h or 1d12h"


def test_matrix_options_do_not_mix_with_review(org_path: Path) -> None:
    code, _, err = invoke("access", "--env", "prod", "review")
    assert code == ExitCode.USAGE and "--env" in err and "access review" in err


def test_a_break_glass_role_is_read_and_reviewed_for_the_people_named(ops_aws: Aws) -> None:
    """The role's last use comes from IAM in its account, as for any grant; used, it is flagged."""
    from tests.aws.test_break_glass_alarm import org_with

    org = org_with()
    engine = Engine(org, ops_aws)
    assert engine.apply(engine.plan()).ok
    now = datetime.now(timezone.utc)
    prod = org.account("prod").id
    iam_backends[prod]["aws"].get_role("breakglass").last_used = now - timedelta(days=2)
    found = review(org, engine.iam, now=now, since=timedelta(days=90))
    alice, bob = found.people
    glass = [g for g in alice.grants if g.access.kind == "break-glass"]
    assert [(g.access.environment, g.access.role, g.flags) for g in glass] == [
        ("prod", "breakglass", ("break-glass used",))]
    assert glass[0].use.last_used is not None and glass[0].use.exists
    assert not any(g.access.kind == "break-glass" for g in bob.grants)
