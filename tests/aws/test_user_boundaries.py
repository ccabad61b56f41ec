"""Users' permissions boundaries applied, drifted and imported, against moto in-process with the
sandbox's user boundaries (:func:`awsroles.sandbox.server.patches.patch_user_permissions_boundary`:
Put/DeleteUserPermissionsBoundary and CreateUser's ``PermissionsBoundary``, a policy that must exist)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.aws import Aws
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.importer.credentials import assess
from awsroles.importer.impact import impact
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.engine import Engine
from tests.unit.test_user_boundaries import OPS_BOUNDARY, POWER_USER, READ_ONLY, org_text

GUARD = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*",
                                                            "Resource": "*"}]})


def write_org(tmp_path: Path, text: str) -> Org:
    path = tmp_path / "awsroles.ini"
    path.write_text(text)
    return load_org(path)


@pytest.fixture
def bounded(tmp_path: Path) -> Org:
    """Every user bounded by the ops account's /guard/people, but alice, bounded by PowerUserAccess."""
    return write_org(tmp_path, org_text("user_boundary = /guard/people", f"boundary = {POWER_USER}"))


def make_guard(ops: Any) -> None:
    ops.create_policy(PolicyName="people", Path="/guard/", PolicyDocument=GUARD)


def boundary_of(ops: Any, user: str) -> str:
    return str(ops.get_user(UserName=user)["User"].get("PermissionsBoundary", {}).get("PermissionsBoundaryArn", ""))


def test_apply_makes_each_user_with_their_boundary_then_plans_nothing(ops_aws: Aws, bounded: Org) -> None:
    engine = Engine(bounded, ops_aws)
    ops = engine.iam("ops")
    make_guard(ops)
    plan = engine.plan()
    create = next(c for c in plan.changes if (c.kind, c.name) == ("user", "bob"))
    assert create.ops[0][1]["PermissionsBoundary"] == OPS_BOUNDARY
    assert engine.apply(plan).ok
    assert (boundary_of(ops, "alice"), boundary_of(ops, "bob")) == (POWER_USER, OPS_BOUNDARY)
    assert engine.plan().in_sync


def test_a_missing_boundary_policy_is_a_conflict_and_that_user_is_not_made(ops_aws: Aws, bounded: Org) -> None:
    engine = Engine(bounded, ops_aws)
    plan = engine.plan()
    (conflict,) = plan.conflicts
    assert (conflict.kind, conflict.name) == ("user", "bob")
    assert "permissions boundary policy /guard/people does not exist in account ops (111111111111)" in conflict.reason
    assert not [c for c in plan.changes if c.name == "bob"]
    engine.apply(plan)  # the rest of the org (the CLI's apply refuses a plan with conflicts altogether)
    with pytest.raises(ClientError):
        engine.iam("ops").get_user(UserName="bob")
    assert boundary_of(engine.iam("ops"), "alice") == POWER_USER


def test_the_sandbox_sets_a_boundary_at_create_user_and_refuses_one_that_does_not_exist(ops_aws: Aws,
                                                                                        classic: Org) -> None:
    ops = Engine(classic, ops_aws).iam("ops")
    missing = "arn:aws:iam::111111111111:policy/guard/nobody"
    with pytest.raises(ClientError) as refused:
        ops.create_user(UserName="dave", PermissionsBoundary=missing)
    assert refused.value.response["Error"]["Code"] == "NoSuchEntity"
    assert refused.value.response["Error"]["Message"] == f"Policy {missing} does not exist or is not attachable."
    with pytest.raises(ClientError) as gone:  # a refused CreateUser makes no user
        ops.get_user(UserName="dave")
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as invalid:
        ops.create_user(UserName="dave", PermissionsBoundary="not-a-policy-arn-at-all")
    assert invalid.value.response["Error"]["Code"] == "InvalidInput"
    ops.create_user(UserName="erin", PermissionsBoundary=READ_ONLY)
    assert boundary_of(ops, "erin") == READ_ONLY
    details = ops.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    erin = next(u for u in details if u["UserName"] == "erin")
    assert erin["PermissionsBoundary"]["PermissionsBoundaryArn"] == READ_ONLY
    ops.delete_user_permissions_boundary(UserName="erin")
    ops.delete_user_permissions_boundary(UserName="erin")  # none to delete: not an error
    assert boundary_of(ops, "erin") == ""


def test_a_boundary_removed_or_replaced_by_hand_is_drift_and_apply_puts_it_back(ops_aws: Aws, bounded: Org) -> None:
    engine = Engine(bounded, ops_aws)
    ops = engine.iam("ops")
    make_guard(ops)
    assert engine.apply(engine.plan()).ok
    ops.delete_user_permissions_boundary(UserName="bob")
    ops.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=READ_ONLY)
    plan = engine.plan()
    changes = {c.name: c for c in plan.changes if c.kind == "user"}
    assert changes["bob"].drift and f"set permissions boundary {OPS_BOUNDARY}" in changes["bob"].details
    assert changes["alice"].drift and f"permissions boundary {READ_ONLY} -> {POWER_USER}" in changes["alice"].details
    assert engine.apply(plan).ok
    assert (boundary_of(ops, "alice"), boundary_of(ops, "bob")) == (POWER_USER, OPS_BOUNDARY)
    assert engine.plan().in_sync


def test_users_awsroles_does_not_own_are_never_touched(ops_aws: Aws, bounded: Org, classic: Org) -> None:
    engine = Engine(classic, ops_aws)
    assert engine.apply(engine.plan()).ok  # the org, unbounded
    ops = engine.iam("ops")
    make_guard(ops)
    ops.create_user(UserName="stranger", Path="/awsroles/")  # at the path, no mark
    ops.create_user(UserName="machine", Path="/", PermissionsBoundary=READ_ONLY)  # elsewhere, its own boundary
    ops.tag_user(UserName="machine", Tags=[{"Key": "managed-by", "Value": "awsroles"}])  # marked, not declared
    engine = Engine(bounded, ops_aws)
    plan = engine.plan(prune=True)
    assert {c.name for c in plan.changes if c.kind == "user"} == {"alice", "bob"}
    assert engine.apply(plan).ok
    assert boundary_of(ops, "stranger") == ""
    assert boundary_of(ops, "machine") == READ_ONLY
    assert (boundary_of(ops, "alice"), boundary_of(ops, "bob")) == (POWER_USER, OPS_BOUNDARY)


def test_import_writes_each_users_boundary_and_the_org_imports_again_the_same(ops_aws: Aws, bounded: Org,
                                                                             classic: Org, tmp_path: Path) -> None:
    engine = Engine(bounded, ops_aws)
    make_guard(engine.iam("ops"))
    assert engine.apply(engine.plan()).ok
    imported = collect(ops_aws, ImportOptions(), previous=classic)  # a --from file without user_boundary
    assert (imported.org.user("alice").boundary, imported.org.user("bob").boundary) == (POWER_USER, "/guard/people")
    assert imported.org.user_boundary == ""
    assert not [w for w in imported.warnings if "boundary" in w]
    assert not imported.plan.changes and not imported.plan.conflicts
    write_import(imported, tmp_path / "written.ini")
    text = (tmp_path / "written.ini").read_text()
    assert "boundary = /guard/people\n" in text.split("[user bob]")[1]
    # --from a file with user_boundary: the users it bounds are left to it, not repeated
    again = collect(ops_aws, ImportOptions(), previous=bounded)
    assert again.org.user_boundary == "/guard/people"
    assert (again.org.user("alice").boundary, again.org.user("bob").boundary) == (POWER_USER, "")
    assert (again.org.users, again.org.user_boundary) == (bounded.users, bounded.user_boundary)
    assert [(i.kind, i.subject) for i in assess(ops_aws, again)] == [("kept", "user alice"), ("kept", "user bob")]


def test_a_default_boundary_new_to_a_user_is_said_before_apply(ops_aws: Aws, bounded: Org, classic: Org,
                                                              tmp_path: Path) -> None:
    engine = Engine(classic, ops_aws)
    assert engine.apply(engine.plan()).ok  # nobody bounded yet
    ops = engine.iam("ops")
    make_guard(ops)
    imported = collect(ops_aws, ImportOptions(), previous=bounded)  # --from: user_boundary = /guard/people
    assert "user bob has no permissions boundary; [org] user_boundary (from the --from file) gives it " \
           "/guard/people at the next apply" in imported.warnings
    report = {(i.kind, i.subject): i for i in assess(ops_aws, imported)}
    bob = report[("boundary-set", "user bob")]
    assert bob.people == ("bob",)
    assert bob.change == (f"Its permissions boundary becomes {OPS_BOUNDARY}: they can do only what both its "
                          f"policies and {OPS_BOUNDARY} allow.")
    assert "sts:AssumeRole" in bob.todo
    write_import(imported, tmp_path / "again.ini")
    org = load_org(tmp_path / "again.ini")
    assert Engine(org, ops_aws).apply(Engine(org, ops_aws).plan()).ok
    assert boundary_of(ops, "bob") == OPS_BOUNDARY


def test_a_users_boundary_the_org_file_drops_is_said_to_be_removed(ops_aws: Aws, bounded: Org, classic: Org) -> None:
    engine = Engine(bounded, ops_aws)
    make_guard(engine.iam("ops"))
    assert engine.apply(engine.plan()).ok
    unbounded = Engine(classic, ops_aws)  # the file without boundaries, as after an edit
    live = unbounded.read()
    report = {(i.kind, i.subject): i for i in impact(classic, unbounded.plan(live=live), live)}
    removed = report[("boundary-removed", "user bob")]
    assert removed.change.startswith(f"Its permissions boundary {OPS_BOUNDARY} is removed")
    assert removed.todo == "Declare it (`boundary = ...` in its [user] section) in the org file to keep it."


def test_users_create_gives_the_new_user_the_orgs_boundary_or_says_why_it_cannot(ops_aws: Aws, bounded: Org) -> None:
    from awsroles.errors import PartlyDone
    from awsroles.people.users import create_user

    engine = Engine(bounded, ops_aws)
    ops = engine.iam("ops")
    make_guard(ops)
    assert engine.apply(engine.plan()).ok
    created = create_user(bounded.source, load_org(bounded.source), ops_aws, "carol", teams=["backend"])
    assert created.groups == ("awsroles-users", "team-backend")
    assert boundary_of(ops, "carol") == OPS_BOUNDARY  # [org] user_boundary, set as the user is made
    text = bounded.source.read_text().replace("user_boundary = /guard/people", "user_boundary = /guard/nobody")
    bounded.source.write_text(text)  # a policy the ops account does not have
    with pytest.raises(PartlyDone) as stopped:
        create_user(bounded.source, load_org(bounded.source), ops_aws, "dave", teams=["backend"])
    assert "the IAM user cannot be made: permissions boundary policy /guard/nobody does not exist in account ops" \
        in str(stopped.value)
    assert "dave added to the org file" in str(stopped.value)
    with pytest.raises(ClientError):
        ops.get_user(UserName="dave")
