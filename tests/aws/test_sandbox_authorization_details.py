"""The sandbox's GetAccountAuthorizationDetails answers each filter as IAM does: ``LocalManagedPolicy``
the account's own managed policies, ``AWSManagedPolicy`` AWS's, none of them every one. (The sandbox
finds the account's own by their type instead of moto's two sets of every AWS managed policy per call:
:func:`awsroles.sandbox.server.patches.patch_request_lookups`.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from awsroles.sandbox.server.main import MotoServer

DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                               "Resource": "*"}]})


@pytest.fixture
def iam(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    box = MotoServer()
    box.start()
    try:
        yield boto3.Session(region_name="us-east-1").client(
            "iam", endpoint_url=f"http://127.0.0.1:{box.port}", aws_access_key_id="AKIAFAKEADMIN0000000",
            aws_secret_access_key="fake")
    finally:
        box.stop()


def names(iam: Any, *kinds: str) -> list[str]:
    pages = iam.get_paginator("get_account_authorization_details").paginate(Filter=list(kinds))
    return [p["Arn"].rsplit("/", 1)[-1] for page in pages for p in page["Policies"]]  # moto gives no PolicyName


def test_each_filter_gets_the_managed_policies_iam_gives(iam: Any) -> None:
    for name in ("team-b", "team-a"):
        iam.create_policy(PolicyName=name, Path="/awsroles/", PolicyDocument=DOCUMENT)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    assert names(iam, "LocalManagedPolicy") == ["team-b", "team-a"]  # the account's own, in the order made
    aws = names(iam, "AWSManagedPolicy")
    assert "ReadOnlyAccess" in aws and "team-a" not in aws and len(aws) > 1000
    assert sorted(names(iam, "LocalManagedPolicy", "AWSManagedPolicy")) == sorted([*aws, "team-a", "team-b"])
    everything = iam.get_account_authorization_details()
    assert [r["RoleName"] for r in everything["RoleDetailList"]] == ["r"]
    assert names(iam, "Role") == [] and names(iam, "Role", "LocalManagedPolicy") == ["team-b", "team-a"]
