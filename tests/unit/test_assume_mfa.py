"""Who could assume their roles without MFA before the first apply (awsroles.importer.assume_mfa), on paper."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from awsroles.importer.assume_mfa import IF_PRESENT, NONE, REQUIRED, assume_without_mfa, mfa_requirement
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sync.state import LiveAccount, LiveGroup, LiveRole, LiveUser
from tests.conftest import EXAMPLES

MFA_KEY = "aws:MultiFactorAuthPresent"


@pytest.mark.parametrize("condition,expected", [
    (None, NONE),
    ({"Bool": {MFA_KEY: "true"}}, REQUIRED),
    ({"Bool": {"aws:multifactorauthpresent": ["true"]}}, REQUIRED),
    ({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, REQUIRED),
    ({"BoolIfExists": {MFA_KEY: "true"}}, IF_PRESENT),
    ({"NumericLessThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}, IF_PRESENT),
    ({"Bool": {MFA_KEY: "false"}}, NONE),
    ({"StringEquals": {"aws:SourceIp": "10.0.0.1"}}, NONE),
    ({"BoolIfExists": {MFA_KEY: "true"}, "NumericLessThan": {"aws:MultiFactorAuthAge": "60"}}, REQUIRED),
])
def test_how_a_statement_asks_for_mfa(condition: dict[str, Any] | None, expected: str) -> None:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    if condition is not None:
        statement["Condition"] = condition
    assert mfa_requirement(statement) == expected


def _allow(resource: str | list[str], action: str = "sts:AssumeRole",
           condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def _trust(condition: dict[str, Any] | None, principal: str = "arn:aws:iam::111111111111:root") -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def world(org: Org, group_policy: dict[str, Any], trust: dict[str, Any], *, managed: bool = False,
          ) -> dict[str, LiveAccount]:
    """bob in team-backend, whose only policy is ``group_policy`` (inline, or customer managed when
    ``managed``); every role of dev with ``trust``."""
    ops, dev = org.ops, org.account("dev")
    arn = "arn:aws:iam::111111111111:policy/backend-roles"
    group = LiveGroup("team-backend", "/awsroles/", (arn,) if managed else (),
                      {} if managed else {"legacy": group_policy}, ("bob",))
    users = {"bob": LiveUser("bob", "/awsroles/", ("team-backend",), (), {}, {})}
    roles = {name: LiveRole(name, "/awsroles/", trust, 3600, "", (), {}, {}) for name in ("developer", "readonly")}
    return {"ops": LiveAccount(ops, groups={"team-backend": group}, users=users,
                               documents={arn: group_policy} if managed else {}),
            "dev": LiveAccount(dev, roles=roles)}


@pytest.fixture
def classic() -> Org:
    return load_org(EXAMPLES / "classic.ini")


def test_a_wildcard_grant_without_mfa_and_a_trust_without_mfa_name_the_person(classic: Org) -> None:
    live = world(classic, _allow("arn:aws:iam::222222222222:role/awsroles/*", action="sts:*"), _trust(None))
    (bob,) = assume_without_mfa(classic, live)
    assert bob.user == "bob"
    assert bob.roles == (("dev", "developer"), ("dev", "readonly"))
    assert "policy legacy of group team-backend (no MFA condition)" in bob.reasons


def test_a_customer_managed_group_policy_counts_too(classic: Org) -> None:
    live = world(classic, _allow("arn:aws:iam::222222222222:role/awsroles/developer"),
                 _trust({"BoolIfExists": {MFA_KEY: "true"}}), managed=True)
    (bob,) = assume_without_mfa(classic, live)
    assert bob.roles == (("dev", "developer"),)
    assert bob.reasons == ("policy backend-roles of group team-backend (no MFA condition)",
                           "the trust policy of developer in dev (MFA only if present (IfExists): access keys pass)")


@pytest.mark.parametrize("grant,trust", [
    (_allow("arn:aws:iam::222222222222:role/awsroles/*", condition={"Bool": {MFA_KEY: "true"}}), _trust(None)),
    (_allow("arn:aws:iam::222222222222:role/awsroles/*"), _trust({"Bool": {MFA_KEY: "true"}})),
    (_allow("arn:aws:iam::333333333333:role/awsroles/*"), _trust(None)),  # another account's roles
    (_allow("arn:aws:iam::222222222222:role/awsroles/*"), _trust(None, "arn:aws:iam::999999999999:root")),
])
def test_nobody_when_either_side_required_mfa_or_did_not_allow_it(classic: Org, grant: dict[str, Any],
                                                                   trust: dict[str, Any]) -> None:
    assert assume_without_mfa(classic, world(classic, grant, trust)) == ()


def test_nothing_when_the_org_does_not_require_mfa(classic: Org) -> None:
    live = world(classic, _allow("*"), _trust(None))
    assert assume_without_mfa(replace(classic, mfa_required=False), live) == ()
    assert assume_without_mfa(classic, live)  # the same IAM, required: bob is named
