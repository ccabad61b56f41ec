"""Errors at authentication and authorization time in the protocol of the service asked.

moto answers every request that IAM authorization (or a signature check) refuses with the Query
protocol's XML document (``<ErrorResponse><Errors><Error><Code>AccessDenied</Code>...``),
whatever the service. AWS answers a JSON-protocol service (Organizations, Budgets, Cost Explorer,
IAM Identity Center, the Identity Store, CloudTrail, Account Management) in JSON, with that
protocol's codes: ``AccessDeniedException``, ``UnrecognizedClientException`` (an access key AWS
does not know), ``ExpiredTokenException`` (AWS's "Common Errors" of those services, e.g.
https://docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/common-errors.html and
https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html; the JSON error
shape, ``{"__type": CODE, "message": ...}``, is the awsJson protocols' own:
https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html). botocore cannot read the XML
there, so a client sees ``403`` as the code and the document as the message; the sandbox answers
as AWS does. The Query and REST-XML services (IAM, STS, S3) keep moto's XML.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

JSON_PROTOCOLS = frozenset({"json", "rest-json"})
JSON_CODES = {  # Query protocol's code -> the JSON protocols' one, where they differ
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "ExpiredToken": "ExpiredTokenException",
}


@functools.cache
def protocol_of(service: str) -> str:
    """The wire protocol of a botocore service name (``organizations`` -> ``json``), "" if unknown."""
    import botocore.loaders
    from botocore.exceptions import DataNotFoundError

    try:
        model = botocore.loaders.create_loader().load_service_model(service, "service-2")
    except DataNotFoundError:
        return ""
    return str(model.get("metadata", {}).get("protocol", ""))


def as_json_error(error: Any) -> Any:
    """``error`` (moto's XML error at authentication time) as the JSON error AWS sends instead."""
    from moto.core.exceptions import JsonRESTError

    code = str(error.error_type)
    answer = JsonRESTError(JSON_CODES.get(code, code), str(error.message))
    answer.code = error.code  # the HTTP status: 403 stays 403
    return answer


def patch_auth_errors() -> Callable[[], None]:
    """Answer refused requests to JSON-protocol services in JSON (see the module docstring)."""
    from moto.core.exceptions import JsonRESTError, _RESTError
    from moto.core.responses import BaseResponse

    original = BaseResponse._authenticate_and_authorize_normal_action

    def authorize(self: Any, resource: str = "*") -> None:
        try:
            original(self, resource)
        except _RESTError as exc:
            if isinstance(exc, JsonRESTError) or protocol_of(str(self.boto3_service_name)) not in JSON_PROTOCOLS:
                raise
            raise as_json_error(exc) from None

    setattr(BaseResponse, "_authenticate_and_authorize_normal_action", authorize)  # noqa: B010  (a patch)

    def undo() -> None:
        setattr(BaseResponse, "_authenticate_and_authorize_normal_action", original)  # noqa: B010

    return undo
