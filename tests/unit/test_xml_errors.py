"""An error of a JSON-protocol service whose body is an XML error document (moto's answer to any
request IAM authorization refuses; also AWS's front ends and proxies) keeps its AWS code and
message (:func:`awsroles.aws.read_xml_error`), so it goes through the one error model like any
other: ``AccessDenied`` is named, ``Throttling`` is retried. Answers are injected before sending;
botocore's real parser reads them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from awsroles.aws import Aws, AwsGaveUp, AwsSettings, xml_error
from awsroles.errors import ExitCode, from_aws

DENIED = (b'<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code>'
          b"<Message>User: arn:aws:iam::111111111111:user/nobody is not authorized to perform: "
          b"organizations:DescribeOrganization</Message><Type>Sender</Type></Error></Errors></ErrorResponse>")


class Answer:
    """A before-send hook: every request is answered ``status`` with ``body``."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body, self.calls = status, body, 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.calls += 1
        body = self.body

        class Raw:
            def stream(self, **_: Any) -> Iterator[bytes]:
                yield body

        return AWSResponse(request.url, self.status, {}, Raw())

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register_first("before-send", self, unique_id=f"a-{id(self)}")


@pytest.mark.parametrize("body", [
    DENIED,
    b"<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>",
    b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Code>AccessDenied</Code>'
    b"<Message>no</Message></Error></ErrorResponse>",
    b"  <Error><Code>AccessDenied</Code><Message>no</Message></Error>",
], ids=["moto", "query", "namespace", "bare"])
def test_xml_error_documents_give_their_code_and_message(body: bytes) -> None:
    code, message = xml_error(body) or ("", "")
    assert code == "AccessDenied" and message.endswith(("no", "organizations:DescribeOrganization"))


@pytest.mark.parametrize("body", [b"", b"{}", b"<html><body>Bad gateway</body></html>", b"<Error>", b"<a><Code/></a>"])
def test_anything_else_is_not_an_xml_error(body: bytes) -> None:
    assert xml_error(body) is None


def test_a_json_service_refusing_in_xml_is_access_denied_in_one_line() -> None:
    answer = Answer(403, DENIED)
    aws = Aws(AwsSettings(region="us-east-1"), hooks=[answer.install])
    with pytest.raises(ClientError) as raised:
        aws.client("organizations").describe_organization()
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == ("User: arn:aws:iam::111111111111:user/nobody is not authorized to perform: "
                                "organizations:DescribeOrganization")
    classified = from_aws(raised.value)
    assert classified.exit_code == ExitCode.FAILURE
    assert str(classified) == f"AccessDenied: {error['Message']}"
    assert answer.calls == 1  # not retried


def test_a_json_service_throttling_in_xml_is_retried_then_exit_8(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _s: None)
    answer = Answer(400, b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message>"
                         b"</Error></ErrorResponse>")
    aws = Aws(AwsSettings(region="us-east-1", max_attempts=3), hooks=[answer.install])
    with pytest.raises(AwsGaveUp) as raised:
        aws.client("budgets").describe_budgets(AccountId="111111111111")
    assert answer.calls == 3 and from_aws(raised.value).exit_code == ExitCode.THROTTLED


def test_json_errors_and_query_services_are_read_as_before() -> None:
    answer = Answer(400, b'{"__type": "AccessDeniedException", "message": "no"}')
    aws = Aws(AwsSettings(region="us-east-1"), hooks=[answer.install])
    with pytest.raises(ClientError) as raised:
        aws.client("organizations").describe_organization()
    assert raised.value.response["Error"] == {"Code": "AccessDeniedException", "Message": "no"}
    iam = Aws(AwsSettings(region="us-east-1"), hooks=[Answer(403, DENIED).install]).client("iam")
    with pytest.raises(ClientError) as raised:
        iam.list_users()
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


def test_import_gives_its_hint_for_an_organizations_refusal_sent_in_xml() -> None:
    from awsroles.errors import UsageError
    from awsroles.importer.accounts import accounts_from_organizations

    aws = Aws(AwsSettings(region="us-east-1"), hooks=[Answer(403, DENIED).install])
    with pytest.raises(UsageError) as raised:
        accounts_from_organizations(aws, "111111111111")
    assert str(raised.value) == (
        "cannot list the accounts of the AWS Organization from account 111111111111 (AccessDenied: only the "
        "management account or a delegated administrator can); pass the accounts with --account "
        "NAME=ID[:ENVIRONMENT] (repeatable), or write [org] and [account] sections by hand and use --from FILE")
    assert raised.value.exit_code == ExitCode.USAGE
