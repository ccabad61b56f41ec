"""In-process moto for library tests: an Aws object in the ops account of the classic org."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import moto.iam.models
import moto.iam.responses
import pytest
from moto import mock_aws

from awsroles.aws import Aws, AwsSettings
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sandbox.server.patches import patch_user_permissions_boundary
from tests.conftest import EXAMPLES


@functools.cache
def _used_managed_policies() -> str:
    """Only the AWS managed policies our examples use: moto otherwise loads ~1,300 into every account,
    which costs seconds per test (test speed only; the sandbox server loads them all)."""
    names = {m.group(1) for path in EXAMPLES.glob("*.ini")
             for m in re.finditer(r"arn:aws:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)", path.read_text())}
    names |= {"AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"}
    data = json.loads(moto.iam.models.aws_managed_policies_data)
    return json.dumps({k: v for k, v in data.items() if k in names})


def _list_service_specific_credentials(self: Any) -> Any:
    """moto does not implement this read (nor the create): nobody can have such credentials there."""
    from moto.core.responses import ActionResult

    return ActionResult({"ServiceSpecificCredentials": []})


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setattr(moto.iam.responses.IamResponse, "list_service_specific_credentials",
                        _list_service_specific_credentials, raising=False)
    monkeypatch.setattr(moto.iam.models, "aws_managed_policies_data", _used_managed_policies())
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    undo = patch_user_permissions_boundary()
    try:
        with mock_aws():
            yield
    finally:
        undo()


@pytest.fixture
def classic() -> Org:
    return load_org(EXAMPLES / "classic.ini")


@pytest.fixture
def ops_aws(moto_aws: None, classic: Org) -> Aws:
    """Credentials of an admin in the ops account (moto: assume any role into 111111111111)."""
    base = Aws(AwsSettings(region="us-east-1"))
    session = base.for_account(classic.ops.id, "admin")
    return Aws(AwsSettings(region="us-east-1"), session=session)
