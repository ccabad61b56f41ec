"""Which row each account's costs go to, exactly: the org file first, then an Organizations tag (moto's
Organizations, in-process), every other account kept as unmapped; Organizations errors fall back to
the org file with one warning. Written against the mutation run of awsroles/costs/mapping.py
(bench/mutation.py, docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws

from awsroles.costs.mapping import DEFAULT_TAG, account_map, complete, from_org
from awsroles.costs.model import SHARED, UNMAPPED, AccountInfo
from awsroles.costs.report import build_report
from awsroles.org.model import Org
from tests.unit.test_org_accounts import org_text
from tests.unit.test_orgfile import valid

MANAGEMENT = "123456789012"  # moto's organization is created by this account


def org_file(dev: str, billing: str) -> Org:
    return valid(f"""\
[org]
name = acme
ops_account = ops

[account ops]
id = {MANAGEMENT}

[account dev]
id = {dev}
environment = dev

[account billing]
id = {billing}
""")


@pytest.fixture
def organizations(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # tests/conftest.py's dead end: moto answers here
    with mock_aws():
        client = boto3.client("organizations")
        client.create_organization(FeatureSet="ALL")
        yield client


def account(client: Any, name: str, **tags: str) -> str:
    status = client.create_account(Email=f"{name}@acme.example", AccountName=name,
                                   Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return str(status["CreateAccountStatus"]["AccountId"])


def test_from_org_is_every_account_of_the_org_file_in_its_order() -> None:
    assert list(from_org(org_file("222222222222", "333333333333")).items()) == [
        (MANAGEMENT, AccountInfo(MANAGEMENT, "ops", None, "org file")),
        ("222222222222", AccountInfo("222222222222", "dev", "dev", "org file")),
        ("333333333333", AccountInfo("333333333333", "billing", None, "org file")),
    ]


def test_an_account_apply_has_not_created_yet_is_left_out_until_it_has_an_id() -> None:
    # two accounts without an id once shared the key "": the report listed an account "" in dev's row,
    # and the second pending account replaced the first
    org = valid(org_text() + "\n[account stage]\nenvironment = stage\n")
    assert [a.name for a in org.pending_accounts] == ["dev", "stage"]
    assert list(from_org(org).items()) == [
        ("111111111111", AccountInfo("111111111111", "ops", None, "org file")),
        ("444444444444", AccountInfo("444444444444", "prod", "prod", "org file")),
    ]
    report = build_report([], account_map(org, None), ["2026-10"], "unblended")
    assert [(r.environment, r.accounts) for r in report.rows] == [
        ("prod", ("444444444444",)), (SHARED, ("111111111111",)), (UNMAPPED, ())]


def test_without_organizations_the_org_file_alone() -> None:
    org = org_file("222222222222", "333333333333")
    assert account_map(org, None) == from_org(org)


def test_the_org_file_first_then_the_environment_tag_then_unmapped(organizations: Any) -> None:
    dev = account(organizations, "dev-account", Environment="prod")  # the org file says dev: it wins
    billing = account(organizations, "billing-account")  # in the org file, no environment, no tag: shared
    stage = account(organizations, "stage-account", Owner="data", Environment="stage")
    blank = account(organizations, "blank-account", Environment="")  # an empty value names no environment
    lower = account(organizations, "lower-account", environment="dev")  # tag keys are case sensitive
    other = account(organizations, "other-account", CostEnv="data")
    organizations.tag_resource(ResourceId=MANAGEMENT, Tags=[{"Key": "Environment", "Value": "shared"}])
    warnings: list[str] = []
    found = account_map(org_file(dev, billing), organizations, warn=warnings.append)
    assert list(found.items()) == [
        (MANAGEMENT, AccountInfo(MANAGEMENT, "ops", "shared", "tag Environment")),  # the org file's name kept
        (dev, AccountInfo(dev, "dev", "dev", "org file")),
        (billing, AccountInfo(billing, "billing", None, "org file")),
        (stage, AccountInfo(stage, "stage-account", "stage", "tag Environment")),
        (blank, AccountInfo(blank, "blank-account", None, "unmapped")),
        (lower, AccountInfo(lower, "lower-account", None, "unmapped")),
        (other, AccountInfo(other, "other-account", None, "unmapped")),
    ]
    assert warnings == []
    assert DEFAULT_TAG == "Environment"

    by_other_tag = account_map(org_file(dev, billing), organizations, tag="CostEnv")
    assert by_other_tag[other] == AccountInfo(other, "other-account", "data", "tag CostEnv")
    assert by_other_tag[stage] == AccountInfo(stage, "stage-account", None, "unmapped")
    assert by_other_tag[MANAGEMENT] == AccountInfo(MANAGEMENT, "ops", None, "org file")


def stubbed() -> Any:
    """An Organizations client answering what botocore's Stubber is told (shapes checked against the
    service model): for what moto never answers."""
    return boto3.client("organizations", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


# AccessDeniedException is in Organizations' model (botocore raises a subclass of ClientError named so);
# ExpiredTokenException is not (a plain ClientError): the warning names the code either way
@pytest.mark.parametrize("code", ["AccessDeniedException", "ExpiredTokenException"])
def test_an_organizations_error_falls_back_to_the_org_file_with_one_warning(code: str) -> None:
    org = org_file("222222222222", "333333333333")
    client = stubbed()
    warnings: list[str] = []
    with Stubber(client) as stubber:
        stubber.add_client_error("list_accounts", service_error_code=code, service_message="No.")
        assert account_map(org, client, warn=warnings.append) == from_org(org)
    assert warnings == [f"warning: cannot read AWS Organizations ({code}); accounts map from the org file only"]


def test_an_account_listed_without_a_name_or_tags_is_unmapped_by_its_id() -> None:
    # Name and Tags are optional in the service model's responses
    client = stubbed()
    with Stubber(client) as stubber:
        stubber.add_response("list_accounts", {"Accounts": [{"Id": "999999999999"}]})
        stubber.add_response("list_tags_for_resource", {}, {"ResourceId": "999999999999"})
        found = account_map(org_file("222222222222", "333333333333"), client)
    assert found["999999999999"] == AccountInfo("999999999999", "999999999999", None, "unmapped")


def test_organizations_out_of_reach_falls_back_to_the_org_file_with_one_warning() -> None:
    org = org_file("222222222222", "333333333333")
    client = boto3.client("organizations", region_name="us-east-1", endpoint_url="http://127.0.0.1:1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(retries={"total_max_attempts": 1}, connect_timeout=2))
    warnings: list[str] = []
    assert account_map(org, client, warn=warnings.append) == from_org(org)
    assert warnings == ["warning: cannot read AWS Organizations (EndpointConnectionError); "
                        "accounts map from the org file only"]


def test_complete_adds_each_unknown_account_once_named_by_its_id() -> None:
    known = {"222222222222": AccountInfo("222222222222", "dev", "dev")}
    done = complete(known, ["999999999999", "222222222222", "888888888888", "999999999999"])
    assert list(done.items()) == [
        ("222222222222", AccountInfo("222222222222", "dev", "dev", "org file")),
        ("999999999999", AccountInfo("999999999999", "999999999999", None, "unmapped")),
        ("888888888888", AccountInfo("888888888888", "888888888888", None, "unmapped")),
    ]
    assert list(known) == ["222222222222"]  # a copy: the map it was given is unchanged
