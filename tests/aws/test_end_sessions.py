"""Ending live sessions against moto in-process: `revoke --end-sessions`, `users disable` and
`users offboard` write the awsroles-revoked-sessions deny; plan keeps it while a session could
still be live, then removes it; it is never drift and never imported."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.errors import ExitCode
from awsroles.iam import revocations
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.end_sessions import prepare, roles_of, write
from awsroles.sync.engine import Engine
from tests.aws.conftest import apply_org
from tests.conftest import EXAMPLES, REPO

POLICY = revocations.POLICY_NAME


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    path = tmp_path / "org.ini"
    path.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    return path


@pytest.fixture
def engine(ops_aws: Aws, classic: Org) -> Engine:
    engine = Engine(classic, ops_aws)
    apply_org(engine)
    return engine


def _policy(engine: Engine, env: str, role: str) -> dict[str, Any] | None:
    iam = engine.iam(env)
    if POLICY not in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        return None
    document = iam.get_role_policy(RoleName=role, PolicyName=POLICY)["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else dict(document)


def _invoke(monkeypatch: pytest.MonkeyPatch, ops_aws: Aws, *argv: str) -> tuple[int, str, str]:
    """The CLI in-process, its engine on the test's moto credentials."""
    import awsroles.cli.planview as planview

    monkeypatch.setattr(planview, "engine_for", lambda app, profile, workers: Engine(app.load_org(), ops_aws))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_plan_keeps_a_revocation_until_max_session_has_passed_then_removes_it(engine: Engine) -> None:
    now = datetime.now(timezone.utc)
    ends = prepare(engine.org, engine.iam, [("dev", "developer")], ["bob"], now)
    assert [e.skipped for e in ends] == [""]
    write(engine.org, engine.iam, ends)
    statement = (_policy(engine, "dev", "developer") or {})["Statement"][0]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceIdentity": ["bob"]}
    assert engine.plan(now=now + timedelta(hours=3, minutes=59)).in_sync  # developer: max_session 4h
    plan = engine.plan(now=now + timedelta(hours=4, seconds=1))
    (change,) = plan.changes
    assert (change.account, change.kind, change.name, change.drift) == ("dev", "role", "developer", False)
    assert "expired revocation" in change.details[0] and "bob" in change.details[0]
    assert change.ops == (("delete_role_policy", {"RoleName": "developer", "PolicyName": POLICY}),)
    assert engine.apply(plan).ok
    assert _policy(engine, "dev", "developer") is None
    assert engine.plan().in_sync


def test_a_revocation_changed_by_hand_is_put_back_not_called_drift(engine: Engine) -> None:
    now = datetime.now(timezone.utc)
    write(engine.org, engine.iam, prepare(engine.org, engine.iam, [("dev", "admin")], ["alice"], now))
    document = _policy(engine, "dev", "admin") or {}
    kept = json.loads(json.dumps(document))
    document["Statement"].append({"Sid": "Sneaky", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    engine.iam("dev").put_role_policy(RoleName="admin", PolicyName=POLICY, PolicyDocument=json.dumps(document))
    (change,) = engine.plan().changes
    assert not change.drift and "statements not awsroles'" in change.details[0]
    assert engine.apply(engine.plan()).ok
    assert _policy(engine, "dev", "admin") == kept


def test_merging_the_same_moment_and_skipping_roles_that_do_not_exist(engine: Engine) -> None:
    now = datetime.now(timezone.utc)
    write(engine.org, engine.iam, prepare(engine.org, engine.iam, [("dev", "readonly")], ["bob"], now))
    ends = prepare(engine.org, engine.iam, [("dev", "readonly"), ("stage", "readonly")], ["carol"], now)
    assert ends[1].skipped.startswith("the role does not exist")
    write(engine.org, engine.iam, ends)
    (statement,) = (_policy(engine, "dev", "readonly") or {})["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:SourceIdentity"] == ["bob", "carol"]


def test_revoke_end_sessions_writes_the_deny_for_the_team_at_once(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "revoke", "backend", "dev", "readonly",
                             "--end-sessions", "--yes")
    assert code == ExitCode.OK, err
    assert "refuse sessions of bob issued before" in err  # what it will do, shown first
    assert "Ended sessions: role readonly in dev" in out and "stay valid" not in out
    statement = (_policy(engine, "dev", "readonly") or {})["Statement"][0]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceIdentity": ["bob"]}
    assert "readonly" not in [g.role for t in load_org(org_path).teams for g in t.grants if t.name == "backend"]


def test_revoke_without_end_sessions_says_how_to_end_them(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "revoke", "backend", "dev", "readonly")
    assert code == ExitCode.OK
    assert "stay valid" in out and "awsroles revoke backend dev readonly --end-sessions" in out
    assert _policy(engine, "dev", "readonly") is None


def test_revoke_end_sessions_asks_and_changes_nothing_without_a_terminal(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = org_path.read_bytes()
    code, _, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "revoke", "backend", "dev", "readonly",
                           "--end-sessions")
    assert code == ExitCode.USAGE and "--yes" in err and "Traceback" not in err
    assert org_path.read_bytes() == before and _policy(engine, "dev", "readonly") is None
    code, _, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "revoke", "backend", "dev", "readonly",
                           "--end-sessions", "--no-plan")
    assert code == ExitCode.USAGE and "--no-plan" in err and org_path.read_bytes() == before


def test_users_disable_ends_the_persons_sessions_on_every_role_they_could_assume(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert roles_of(engine.org, "alice") == [("dev", "admin"), ("stage", "admin"), ("prod", "admin")]
    code, out, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "users", "disable", "alice")
    assert code == ExitCode.OK, err
    for env in ("dev", "stage", "prod"):
        statement = (_policy(engine, env, "admin") or {})["Statement"][0]
        assert statement["Condition"]["StringEquals"] == {"aws:SourceIdentity": ["alice"]}
        assert f"role admin in {env}" in out
    assert _policy(engine, "dev", "developer") is None  # not alice's: untouched


def test_users_offboard_ends_sessions_first(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "users", "offboard", "bob", "--dry-run")
    assert code == ExitCode.OK and "role developer in dev" in out and _policy(engine, "dev", "developer") is None
    code, out, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "users", "offboard", "bob", "--yes")
    assert code == ExitCode.OK, err
    for role in ("developer", "readonly"):
        statement = (_policy(engine, "dev", role) or {})["Statement"][0]
        assert statement["Condition"]["StringEquals"] == {"aws:SourceIdentity": ["bob"]}


def test_import_leaves_the_revocation_out_of_the_org_file(engine: Engine, ops_aws: Aws, classic: Org) -> None:
    from awsroles.importer.build import ImportOptions, collect

    write(engine.org, engine.iam, prepare(engine.org, engine.iam, [("dev", "readonly")], ["bob"],
                                          datetime.now(timezone.utc)))
    imported = collect(ops_aws, ImportOptions(policy_dir="policies"), previous=classic)
    assert POLICY not in imported.text and not any(POLICY in f for f in imported.policy_files)
    assert not any(POLICY in w for w in imported.warnings)
    assert not [c for c in imported.plan.changes if c.name == "readonly"]


def test_revoke_end_sessions_answered_no_changes_nothing(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    before = org_path.read_bytes()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr(click, "confirm", lambda *a, **k: False)
    code, _, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "revoke", "backend", "dev", "readonly",
                           "--end-sessions")
    assert code == ExitCode.OK and "Nothing was changed." in err
    assert org_path.read_bytes() == before and _policy(engine, "dev", "readonly") is None


def test_roles_awsroles_does_not_own_are_never_changed(engine: Engine) -> None:
    dev = engine.iam("dev")
    dev.untag_role(RoleName="readonly", TagKeys=["managed-by"])
    (end,) = prepare(engine.org, engine.iam, [("dev", "readonly")], ["bob"], datetime.now(timezone.utc))
    assert end.skipped == "not awsroles' role: never changed"
    assert write(engine.org, engine.iam, [end]) == [] and _policy(engine, "dev", "readonly") is None


def test_too_large_is_one_line_exit_1_and_nothing_changed(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = {"Version": "2012-10-17", "Statement": [  # 10,038 characters: fits alone, not with a revocation
        {"Sid": f"S{n}", "Effect": "Deny", "Action": f"s3:GetObject{n}", "Resource": "*"} for n in range(140)]}
    engine.iam("dev").put_role_policy(RoleName="readonly", PolicyName="big", PolicyDocument=json.dumps(big))
    before = org_path.read_bytes()
    code, _, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "revoke", "backend", "dev", "readonly",
                           "--end-sessions", "--yes")
    assert code == ExitCode.FAILURE and "10240" in err and "Traceback" not in err, err
    assert org_path.read_bytes() == before and _policy(engine, "dev", "readonly") is None


def test_revoke_end_sessions_of_a_grant_that_is_not_there_is_the_usual_error(
        engine: Engine, ops_aws: Aws, org_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = org_path.read_bytes()
    code, _, err = _invoke(monkeypatch, ops_aws, "--file", str(org_path), "revoke", "backend", "prod", "admin",
                           "--end-sessions", "--yes")
    assert code == ExitCode.USAGE and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert org_path.read_bytes() == before and _policy(engine, "prod", "admin") is None
