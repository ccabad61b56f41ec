"""Retries as awsroles reports them (:mod:`awsroles.aws`): each retry on the ``awsroles.aws``
logger, a network that does not answer given up on after ``CONNECTION_ATTEMPTS``, a call still
throttled after its last attempt as :class:`AwsGaveUp`; and AWS errors sent as XML to a JSON
service read by their code (:func:`read_xml_error`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from awsroles.errors import GaveUpError

log = logging.getLogger("awsroles.aws")  # the retries are the boundary's: reported under its name

CONNECTION_ATTEMPTS = 3  # attempts per call when AWS cannot be reached (throttling keeps max_attempts)


class AwsGaveUp(ClientError, GaveUpError):  # type: ignore[misc]  # botocore has no type hints
    """A call still throttled (or failing with a 5xx) after its last attempt. Still the ClientError
    botocore raises (same code; the message says how many attempts), and an AwsrolesError whose
    one line names the call and the account."""

    def __init__(self, error_response: Any, operation_name: str, where: str = "", attempts: int = 0,
                 throttled: bool = True) -> None:
        error = error_response.get("Error", {})
        self.aws_message = str(error.get("Message", ""))
        self.where, self.attempts, self.throttled = where, attempts, throttled
        if attempts:  # what apply's step errors show: "Throttling: Rate exceeded (gave up after 8 attempts)"
            error_response = {**error_response, "Error": {
                **error, "Message": f"{self.aws_message} (gave up after {attempts} attempts)".strip()}}
        super().__init__(error_response, operation_name)

    def __str__(self) -> str:
        code = self.response.get("Error", {}).get("Code", "")
        why = "throttling" if self.throttled else "failing"
        where = f" in {self.where}" if self.where else ""
        return (f"AWS kept {why} {self.operation_name}{where}: gave up after {self.attempts} attempts "
                f"({code}: {self.aws_message}); try again later (plan and apply: --parallel 1 makes fewer "
                "calls at once)")


def _is_network(exc: BaseException | None) -> bool:
    """``exc`` means AWS was not reached, or the connection broke (what errors.is_network_error says)."""
    return isinstance(exc, (BotocoreConnectionError, HTTPClientError))


class _RetryWatch:
    """Event handlers on one client: report each retry, stop retrying a network that does not
    answer after ``CONNECTION_ATTEMPTS``, and turn a call that is still throttled after its last
    attempt into :class:`AwsGaveUp`. ``where()`` names the account (late: the caller's own account
    is known only once GetCallerIdentity answered)."""

    _REASON = "awsroles_retry_reason"
    _NETWORK = "awsroles_retry_network"  # the last attempt did not reach AWS

    def __init__(self, where: Callable[[], str], max_attempts: int) -> None:
        self.where, self.max_attempts = where, max_attempts

    def install(self, client: Any) -> None:
        events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        # First on the service's own event, so it runs before botocore's retry handler there.
        events.register_first(f"needs-retry.{service}", self.stop_connection_retries,
                              unique_id="awsroles-connection-attempts")
        events.register_last("needs-retry", self.remember, unique_id="awsroles-retry-reason")
        events.register("request-created", self.announce, unique_id="awsroles-retry-announce")
        events.register_last("after-call", self.give_up, unique_id="awsroles-retry-give-up")

    @staticmethod
    def stop_connection_retries(caught_exception: Any = None, attempts: int = 1, **_: Any) -> None:
        """After ``CONNECTION_ATTEMPTS`` attempts that could not reach AWS, raise the last error
        instead of retrying (a handler of ``needs-retry`` can only say "retry" by returning a
        delay; raising is how it says "stop")."""
        if _is_network(caught_exception) and attempts >= CONNECTION_ATTEMPTS:
            raise caught_exception

    def remember(self, response: Any = None, caught_exception: Any = None, request_dict: Any = None,
                 **_: Any) -> None:
        """Why the last attempt failed, kept in the request's context for :meth:`announce`."""
        if request_dict is None:
            return
        if caught_exception is not None:
            reason = type(caught_exception).__name__
        elif response is not None and response[0].status_code >= 300:
            error = response[1].get("Error", {}) if isinstance(response[1], dict) else {}
            reason = str(error.get("Code") or f"HTTP {response[0].status_code}")
        else:
            return
        request_dict["context"][self._REASON] = reason
        request_dict["context"][self._NETWORK] = _is_network(caught_exception)

    def announce(self, request: Any, operation_name: str = "", **_: Any) -> None:
        context = getattr(request, "context", None) or {}
        attempt = context.get("retries", {}).get("attempt", 1)
        if attempt > 1:
            where = self.where()
            reason = context.get(self._REASON, "error")
            # Throttling and 5xx answers are worth a line each; a network that does not answer ends in
            # one clear error soon enough (exit 7), so its retries show only with -v.
            network = bool(context.get(self._NETWORK))
            level = logging.INFO if network else logging.WARNING
            last = min(self.max_attempts, CONNECTION_ATTEMPTS) if network else self.max_attempts
            log.log(level, "retrying %s%s, attempt %d/%d: %s", operation_name, f" in {where}" if where else "",
                    attempt, last, reason)

    def give_up(self, http_response: Any, parsed: Any, model: Any, context: Any, **_: Any) -> None:
        if http_response is None or http_response.status_code < 300 or not isinstance(parsed, dict):
            return
        retry = RetryContext(attempt_number=1, operation_model=model, parsed_response=parsed,
                             http_response=http_response)
        throttled = ThrottledRetryableChecker().is_retryable(retry)
        if throttled or TransientRetryableChecker().is_retryable(retry):
            attempts = int((context or {}).get("retries", {}).get("attempt", 1))
            raise AwsGaveUp(parsed, model.name, self.where(), attempts, throttled)


JSON_PROTOCOLS = frozenset({"json", "rest-json", "smithy-rpc-v2-cbor"})


def read_xml_error(operation_model: Any, response_dict: dict[str, Any], customized_response_dict: dict[str, Any],
                   **_: Any) -> None:
    """A ``before-parse`` handler: an error of a JSON-protocol service (Organizations, Budgets, Cost
    Explorer, IAM Identity Center...) whose body is an XML error document keeps its code and message.

    botocore's JSON parser cannot read XML: it would make the HTTP status the code and the whole
    document the message (``403: <?xml ...><Code>AccessDenied</Code>...``), so the error matches no
    code awsroles looks for (``AccessDenied``: the hint; ``Throttling``: the retry) and is shown
    raw. AWS's front ends, proxies in between, and moto (which answers every request IAM
    authorization denies in the Query protocol's XML) send such bodies.
    """
    if int(response_dict.get("status_code") or 0) < 300:
        return
    service = operation_model.service_model
    if getattr(service, "resolved_protocol", service.protocol) not in JSON_PROTOCOLS:
        return
    error = xml_error(response_dict.get("body") or b"")
    if error is not None:
        customized_response_dict["Error"] = {"Code": error[0], "Message": error[1]}


def xml_error(body: bytes) -> tuple[str, str] | None:
    """``(code, message)`` of an AWS XML error document (``<ErrorResponse><Error><Code>...``, with or
    without ``<Errors>`` or a namespace, or ``<Error>`` alone), else None."""
    if not body.lstrip().startswith(b"<"):
        return None
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    fields: dict[str, str] = {}
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if name in ("Code", "Message") and name not in fields:
            fields[name] = (element.text or "").strip()
    code = fields.get("Code", "")
    return (code, fields.get("Message", "")) if code else None
