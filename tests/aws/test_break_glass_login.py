"""`awsroles login ENV --break-glass --reason`: a new session every time, tagged with the reason,
kept apart from role sessions (docs/temporary-access.md#break-glass)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from awsroles.creds import breakglass
from awsroles.creds.store import SESSIONS
from awsroles.creds.userconfig import RoleGrant, dumps, load
from awsroles.errors import NotGrantedError, UsageError
from tests.aws.test_vend import world  # noqa: F401  (the fixture)

GLASS = RoleGrant("prod", "breakglass", "444444444444", "arn:aws:iam::444444444444:role/awsroles/breakglass", 3600)


@pytest.fixture
def vendor(world: dict[str, Any]) -> Any:  # noqa: F811
    world["config"] = replace(world["config"], break_glass=(GLASS,))
    made = world["make"]()
    made.config = world["config"]
    return made


def test_every_login_is_a_new_assume_role_with_the_reason_as_a_session_tag(world: dict[str, Any],  # noqa: F811
                                                                           vendor: Any) -> None:
    sent: list[dict[str, Any]] = []
    real = vendor._sts

    def spying(credentials: Any) -> Any:
        client = real(credentials)
        original = client.assume_role

        def assume_role(**params: Any) -> Any:
            sent.append(params)
            return original(**params)

        client.assume_role = assume_role
        return client

    vendor._sts = spying
    first = breakglass.assume(vendor, "prod", " INC-1234 database down ")
    second = breakglass.assume(vendor, "prod", "INC-1234 still down")
    assert world["calls"].counts["AssumeRole"] == 2  # never reused
    assert first.reason == "INC-1234 database down"
    assert sent[0]["Tags"] == [{"Key": "awsroles:reason", "Value": "INC-1234 database down"}]
    assert sent[0]["SourceIdentity"] == "alice" and sent[0]["DurationSeconds"] == 3600
    assert first.credentials != second.credentials
    # kept under its own name only: not the role-session name, not the fast cache
    assert world["store"].keys(SESSIONS) == sorted(["break-glass/444444444444/breakglass/alice",
                                                   vendor.mfa_session_name])
    grant, credentials = breakglass.stored(vendor, "prod")
    assert grant == GLASS and credentials == second.credentials
    # `awsroles status` shows it for what it is
    assert vendor.describe_session("break-glass/444444444444/breakglass/alice") == ("prod", "breakglass (break-glass)")


def test_the_break_glass_role_is_no_grant(vendor: Any) -> None:
    with pytest.raises(NotGrantedError):
        vendor.role_session("prod", "breakglass")  # credential-process, env, exec and profiles ask this way


def test_not_named_and_no_session_are_clear_errors(vendor: Any) -> None:
    with pytest.raises(NotGrantedError, match=r"named in no \[break-glass dev\].*your break-glass environments: prod"):
        breakglass.assume(vendor, "dev", "INC-1")
    with pytest.raises(UsageError, match="no break-glass session for prod: run `awsroles login prod --break-glass"):
        breakglass.stored(vendor, "prod")
    with pytest.raises(UsageError, match=r"outside 900\.\.3600"):
        breakglass.assume(vendor, "prod", "INC-1", duration=7200)


@pytest.mark.parametrize(("reason", "message"), [
    ("", "--reason is empty"),
    ("   ", "--reason is empty"),
    ("x" * 257, "--reason is 257 characters; a session tag holds at most 256"),
    ("down, badly", "--reason has ','"),
    ("line\nbreak", "--reason has '\\\\n'"),
])
def test_a_reason_sts_would_refuse_is_refused_first(reason: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        breakglass.check_reason(reason)


def test_reasons_sts_takes() -> None:
    assert breakglass.check_reason("INC-1234: db/primary down @ 02:00 = bad +urgent_é") == \
        "INC-1234: db/primary down @ 02:00 = bad +urgent_é"


def test_the_user_config_keeps_break_glass_roles_apart_from_grants(tmp_path: Path, world: dict[str, Any]) -> None:  # noqa: F811
    config = replace(world["config"], break_glass=(GLASS,))
    path = tmp_path / "config.ini"
    path.write_text(dumps(config))
    assert "[break-glass prod]" in path.read_text() and "[grant prod/breakglass]" not in path.read_text()
    again = load(path)
    assert again.break_glass == (GLASS,) and again.grants == config.grants
    from awsroles.creds.confignames import read_names

    names = read_names(str(path))
    assert names is not None and ("prod", "breakglass") not in names.grants  # tab completion never offers it


def test_the_sandbox_refuses_session_tags_sts_refuses(moto_aws: None) -> None:
    """awsroles.sandbox.server.session_tags: the STS API's Tag rules (key 1-128, value 0-256, letters,
    spaces, digits and _.:/=+-@; at most 50 tags)."""
    import boto3

    from awsroles.sandbox.server.session_tags import patch_session_tags, tags_problem

    assert tags_problem([("awsroles:reason", "INC-1234 db down @ 02:00")]) is None
    assert tags_problem([("awsroles:reason", "")]) is None
    assert "tags.1.member.value" in (tags_problem([("awsroles:reason", "down, badly")]) or "")
    assert "tags.2.member.key" in (tags_problem([("a", "b"), ("", "c")]) or "")
    assert "tags.1.member.value" in (tags_problem([("a", "x" * 257)]) or "")
    assert "less than or equal to 50" in (tags_problem([(f"k{n}", "v") for n in range(51)]) or "")
    undo = patch_session_tags()
    try:
        sts = boto3.client("sts", region_name="us-east-1")
        arn = "arn:aws:iam::123456789012:role/awsroles/breakglass"
        with pytest.raises(sts.exceptions.ClientError, match="ValidationError"):
            sts.assume_role(RoleArn=arn, RoleSessionName="alice", Tags=[{"Key": "awsroles:reason", "Value": "a, b"}])
        taken = sts.assume_role(RoleArn=arn, RoleSessionName="alice",
                                Tags=[{"Key": "awsroles:reason", "Value": "INC-1234"}])
        assert taken["Credentials"]["AccessKeyId"]
    finally:
        undo()
