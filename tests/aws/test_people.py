"""awsroles.people (listing, users) against moto in-process: list, create, disable, offboard."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import Aws
from awsroles.errors import UsageError
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.people.listing import list_users
from awsroles.people.suspend import disable
from awsroles.people.users import (
    PASSWORD_SYMBOLS,
    admin_roles,
    check_offboard,
    create_user,
    generate_password,
    offboard,
    offboard_steps,
)
from awsroles.sync.engine import Engine
from tests.aws.conftest import apply_org
from tests.conftest import EXAMPLES, REPO


@pytest.fixture
def org_path(tmp_path: Path) -> Path:
    path = tmp_path / "org.ini"
    path.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    return path


@pytest.fixture
def applied(ops_aws: Aws, classic: Org) -> Any:
    """The classic org applied; returns an IAM client in ops."""
    engine = Engine(classic, ops_aws)
    apply_org(engine)
    return engine.iam(classic.ops)


def test_password_is_strong_and_random() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 20
        for cls in (string.ascii_uppercase, string.ascii_lowercase, string.digits, PASSWORD_SYMBOLS):
            assert any(c in cls for c in password)


def test_list_users_flags_mismatches_and_old_keys(applied: Any, classic: Org) -> None:
    iam = applied
    iam.create_user(UserName="stray", Path=classic.path)
    iam.create_user(UserName="outsider", Path="/other/")
    iam.create_access_key(UserName="bob")
    rows = {r.name: r for r in list_users(classic, iam)}
    assert rows["bob"].in_org and rows["bob"].in_aws and rows["bob"].teams == ("backend",)
    assert not rows["bob"].mfa and len(rows["bob"].keys) == 1 and rows["bob"].keys[0].age_days == 0
    assert rows["stray"].in_aws and not rows["stray"].in_org and rows["stray"].warnings
    assert not rows["outsider"].managed and not rows["outsider"].warnings
    from datetime import datetime, timedelta, timezone

    later = {r.name: r for r in list_users(classic, iam, now=datetime.now(timezone.utc) + timedelta(days=120))}
    assert later["bob"].keys[0].old and any("days old" in w for w in later["bob"].warnings)
    # A user in the org file but not in AWS.
    iam.delete_user(UserName="stray")
    for group in iam.list_groups_for_user(UserName="alice")["Groups"]:
        iam.remove_user_from_group(UserName="alice", GroupName=group["GroupName"])
    iam.delete_user(UserName="alice")
    alice = {r.name: r for r in list_users(classic, iam)}["alice"]
    assert alice.in_org and not alice.in_aws and "not in AWS" in alice.warnings[0]


def test_create_user_adds_to_file_and_aws(applied: Any, ops_aws: Aws, org_path: Path) -> None:
    iam = applied
    org = load_org(org_path)
    sent: list[dict[str, Any]] = []  # moto drops PasswordResetRequired: check what was asked for
    ops_aws.base_session._session.register("provide-client-params.iam.CreateLoginProfile",
                                           lambda params, **_: sent.append(dict(params)))
    created = create_user(org_path, org, ops_aws, "carol", teams=["backend"], email="carol@acme.example",
                          console=True, password_factory=lambda: "Xy7!" * 6)
    assert created.password == "Xy7!" * 6 and "Xy7!" not in repr(created)
    assert created.groups == ("awsroles-users", "team-backend")
    assert iam.get_login_profile(UserName="carol")["LoginProfile"]["UserName"] == "carol"
    assert [p["PasswordResetRequired"] for p in sent] == [True]
    text = org_path.read_text()
    assert "[user carol]" in text and "; The classic multi-account org" in text
    assert "carol" in load_org(org_path).team("backend").members
    assert Engine(load_org(org_path), ops_aws).plan().empty  # exactly what the org file says


def test_create_user_refuses_existing_iam_user_without_touching_the_file(
        applied: Any, ops_aws: Aws, org_path: Path) -> None:
    applied.create_user(UserName="dave", Path="/elsewhere/")
    before = org_path.read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        create_user(org_path, load_org(org_path), ops_aws, "dave", teams=["backend"])
    with pytest.raises(UsageError, match="unknown team"):
        create_user(org_path, load_org(org_path), ops_aws, "erin", teams=["nope"])
    assert org_path.read_bytes() == before


def test_disable_deactivates_keys_and_removes_console(applied: Any, classic: Org) -> None:
    iam = applied
    iam.create_access_key(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Aa1!" * 6)
    steps = disable(classic, iam, "alice")
    assert {s.call for s in steps} == {"tag_user", "update_access_key", "delete_login_profile"}
    assert [k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == ["Inactive"]
    assert not list_users(classic, iam)[0].console
    assert disable(classic, iam, "alice") == []  # idempotent
    with pytest.raises(UsageError, match="unknown user"):
        disable(classic, iam, "nobody")


def test_offboard_removes_everything(applied: Any, ops_aws: Aws, org_path: Path) -> None:
    iam = applied
    org = load_org(org_path)
    iam.create_access_key(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Aa1!" * 6)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="bob", SerialNumber=device["SerialNumber"], AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    iam.upload_ssh_public_key(UserName="bob", SSHPublicKeyBody=_SSH_KEY)
    iam.create_service_specific_credential(UserName="bob", ServiceName="codecommit.amazonaws.com")
    iam.put_user_policy(UserName="bob", PolicyName="extra", PolicyDocument=_DOC)
    iam.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    calls = [s.call for s in offboard_steps(org, iam, "bob")]
    assert calls[0] == "delete_login_profile" and calls[-1] == "delete_user"
    assert {"delete_access_key", "deactivate_mfa_device", "delete_virtual_mfa_device", "delete_ssh_public_key",
            "delete_service_specific_credential", "remove_user_from_group", "delete_user_policy",
            "detach_user_policy"} <= set(calls)
    done = offboard(org_path, org, ops_aws, "bob")
    assert done.removed_from_file
    assert "bob" not in {u["UserName"] for u in iam.list_users()["Users"]}
    assert not iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert "[user bob]" not in org_path.read_text() and "; The classic multi-account org" in org_path.read_text()


def test_offboard_refuses_self_and_last_admin(classic: Org) -> None:
    assert admin_roles(classic) == ("admin",)
    with pytest.raises(UsageError, match="yourself"):
        check_offboard(classic, "bob", "bob")
    with pytest.raises(UsageError, match="last member of team 'platform'"):
        check_offboard(classic, None, "alice")
    check_offboard(classic, "alice", "bob")  # fine


def test_offboard_unknown_user(applied: Any, classic: Org) -> None:
    with pytest.raises(UsageError, match="unknown user"):
        offboard_steps(classic, applied, "nobody")
    applied.create_user(UserName="outsider", Path="/other/")
    with pytest.raises(UsageError, match="not managed"):
        offboard_steps(classic, applied, "outsider")


_DOC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}'
_SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDQ6Ts/3NNUx8Jbn8pq1BF5VBe1Gq6bWtZUDzBI3UrVZj9blEqbBp+k"
            "rTO9oZi/Ku+CPdnPpmbCrWpEJYVZ8bSGklQxUFXb2rPbrZXoyU3UcXCTpcYUnkfIW7Y/Kwmmtj9NkA+GTvRRFjyBB9Yku4fD"
            "Tm1Nw4h2/Bm9xhdV0jxxIRpTjcHdMZXzZwBo5iNfEHGOkqUzZoKAF3wPxMyHjHhcjjWJEIsCJHb0tdBWjrsmdyEfdsMu/n"
            "zoTDKEWCEOYbCBdHiAjA+XvrxcqjzjqYJFBd1kPeaHQ30Fq7zI5GN7LDrJxeN/YzeSw1lCnvbRfKrN5F1/dkLqXgXCsGEC"
            "GsUfAzM1 bob@acme")


def test_enable_asks_for_a_password_to_change_at_first_sign_in(applied: Any, ops_aws: Aws, org_path: Path) -> None:
    from awsroles.people.suspend import enable

    iam = applied
    org = load_org(org_path)
    sent: list[dict[str, Any]] = []  # moto drops PasswordResetRequired: check what was asked for
    ops_aws.base_session._session.register("provide-client-params.iam.CreateLoginProfile",
                                           lambda params, **_: sent.append(dict(params)))
    client = ops_aws.client("iam")
    key = client.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    disable(org, client, "alice")
    assert client.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    steps, password = enable(org, client, "alice", password_factory=lambda: "Xy7!" * 6)
    assert [s.description for s in steps] == [f"activate access key {key}", "remove the record of disabled keys"]
    assert password == "Xy7!" * 6 and [p["PasswordResetRequired"] for p in sent] == [True]
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Active"
    steps, password = enable(org, client, "bob")  # bob was never disabled; the org file gives him no console
    assert (steps, password) == ([], None)
