"""In-process moto for library tests: an Aws object in the ops account of the classic org."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from awsroles.aws import Aws, AwsSettings
from awsroles.model import Org
from awsroles.orgfile import load_org
from tests.conftest import EXAMPLES


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def classic() -> Org:
    return load_org(EXAMPLES / "classic.ini")


@pytest.fixture
def ops_aws(moto: None, classic: Org) -> Aws:
    """Credentials of an admin in the ops account (moto: assume any role into 111111111111)."""
    base = Aws(AwsSettings(region="us-east-1"))
    session = base.for_account(classic.ops.id, "admin")
    return Aws(AwsSettings(region="us-east-1"), session=session)
