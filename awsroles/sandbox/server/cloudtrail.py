"""CloudTrail's event history of role assumptions: ``AssumeRole`` recorded, ``LookupEvents`` answered.

moto has no ``LookupEvents`` and records no events. The sandbox records a management event for
every successful STS ``AssumeRole`` it serves, in the role's account and the request's region, at
the sandbox clock's now (:mod:`awsroles.sandbox.server.clock`), with the fields ``LookupEvents``
answers (CloudTrail API Reference, "LookupEvents" and "Event",
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Event.html): ``EventId``,
``EventName`` (``AssumeRole``), ``ReadOnly`` (``true``), ``AccessKeyId`` (the caller's),
``EventTime``, ``EventSource`` (``sts.amazonaws.com``), ``Username`` (the calling IAM user, or the
calling session's name), ``Resources`` (the role) and ``CloudTrailEvent``: the event's JSON, with
``userIdentity`` (the caller), ``requestParameters`` (``roleArn``, ``roleSessionName``,
``sourceIdentity`` when given) and ``sourceIdentity``.

``LookupEvents`` answers as AWS documents it: at most one lookup attribute (more:
``InvalidLookupAttributesException``; an unknown key or an empty value too), events at or after
``StartTime`` and at or before ``EndTime`` (``StartTime`` after ``EndTime``:
``InvalidTimeRangeException``), newest first, ``MaxResults`` 1 to 50, default 50 (otherwise
``InvalidMaxResultsException``), ``NextToken`` for the rest (one it did not give:
``InvalidNextTokenException``); ``EventCategory`` other than ``insight``:
``InvalidEventCategoryException`` (and no Insights events are kept). A request IAM denies is
answered as CloudTrail answers it, ``AccessDeniedException`` in JSON (:mod:`.auth_errors`, as for
every JSON-protocol service). Events are kept per account
and region for the life of the server and dropped by :func:`reset_cloudtrail`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from awsroles.sandbox.server import clock

MAX_RESULTS = 50
LOOKUP_KEYS = {"EventId": "EventId", "EventName": "EventName", "ReadOnly": "ReadOnly", "Username": "Username",
               "EventSource": "EventSource", "AccessKeyId": "AccessKeyId", "ResourceType": "", "ResourceName": ""}

_lock = threading.Lock()
_events: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (account, region) -> events, oldest first
_tokens: dict[str, int] = {}  # NextToken -> index into the filtered, newest-first list


class LookupFailure(Exception):
    """A LookupEvents validation error: its code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def reset_cloudtrail() -> None:
    with _lock:
        _events.clear()
        _tokens.clear()


def record_assume_role(*, account: str, region: str, role_arn: str, session_name: str,
                       source_identity: str | None, caller: dict[str, Any], username: str, access_key_id: str,
                       when: datetime | None = None) -> dict[str, Any]:
    """Record one ``AssumeRole`` in ``account`` (the role's) and ``region``; returns the event."""
    moment = (when or clock.utcnow()).replace(tzinfo=timezone.utc, microsecond=0)
    event_id = str(uuid.uuid4())
    parameters: dict[str, Any] = {"roleArn": role_arn, "roleSessionName": session_name}
    if source_identity:
        parameters["sourceIdentity"] = source_identity
    detail: dict[str, Any] = {
        "eventVersion": "1.08", "userIdentity": caller,
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole", "awsRegion": region, "requestParameters": parameters,
        "eventID": event_id, "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": account, "eventCategory": "Management",
        "resources": [{"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn}]}
    if source_identity:
        detail["sourceIdentity"] = source_identity
    event = {"EventId": event_id, "EventName": "AssumeRole", "ReadOnly": "true", "AccessKeyId": access_key_id,
             "EventTime": moment, "EventSource": "sts.amazonaws.com", "Username": username,
             "Resources": [{"ResourceType": "AWS::IAM::Role", "ResourceName": role_arn}],
             "CloudTrailEvent": json.dumps(detail)}
    with _lock:
        _events.setdefault((account, region), []).append(event)
    return event


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), timezone.utc)


def _matches(event: dict[str, Any], key: str, value: str) -> bool:
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in event["Resources"])
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in event["Resources"])
    return str(event.get(LOOKUP_KEYS[key])) == value


def lookup(account: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
    """``LookupEvents``' answer (its ``EventTime`` as a datetime), or a :class:`LookupFailure`."""
    attributes = request.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupFailure("InvalidLookupAttributesException",
                           "You cannot specify more than one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in LOOKUP_KEYS or not attribute.get("AttributeValue"):
            raise LookupFailure("InvalidLookupAttributesException",
                               f"Invalid lookup attribute: {attribute.get('AttributeKey')!r}")
    category = request.get("EventCategory")
    if category is not None and category != "insight":
        raise LookupFailure("InvalidEventCategoryException", f"Invalid event category: {category!r}")
    start, end = _time(request.get("StartTime")), _time(request.get("EndTime"))
    if start is not None and end is not None and start > end:
        raise LookupFailure("InvalidTimeRangeException", "Start time must be before or at the end time.")
    limit = request.get("MaxResults", MAX_RESULTS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise LookupFailure("InvalidMaxResultsException", f"MaxResults must be from 1 to {MAX_RESULTS}.")
    with _lock:
        token = request.get("NextToken")
        if token is not None and token not in _tokens:
            raise LookupFailure("InvalidNextTokenException", "Invalid NextToken.")
        begin = _tokens.pop(token) if token is not None else 0
        found = [] if category == "insight" else [
            e for e in reversed(_events.get((account, region), []))
            if (start is None or e["EventTime"] >= start) and (end is None or e["EventTime"] <= end)
            and all(_matches(e, a["AttributeKey"], a["AttributeValue"]) for a in attributes)]
        page = found[begin:begin + limit]
        answer: dict[str, Any] = {"Events": [dict(e) for e in page]}
        if begin + limit < len(found):
            following = uuid.uuid4().hex
            _tokens[following] = begin + limit
            answer["NextToken"] = following
    return answer


def _caller(sts: Any, key: str) -> tuple[dict[str, Any], str]:
    """The ``userIdentity`` of an STS request's caller, and the event's ``Username``."""
    from moto.iam.models import iam_backends

    from awsroles.sandbox.server.role_sessions import find_assumed

    account, partition = str(sts.current_account), str(sts.partition)
    assumed = find_assumed(account, partition, key)
    if assumed is not None:
        return ({"type": "AssumedRole", "principalId": f"{assumed.role_arn}:{assumed.session_name}",
                 "arn": str(assumed.arn), "accountId": str(assumed.account_id), "accessKeyId": key},
                str(assumed.session_name))
    user = iam_backends[account][partition].get_user_from_access_key_id(key)
    if user is None:
        return {"type": "Unknown", "accountId": account, "accessKeyId": key}, ""
    return ({"type": "IAMUser", "principalId": str(user.id), "arn": str(user.arn), "accountId": account,
             "accessKeyId": key, "userName": str(user.name)}, str(user.name))


def patch_cloudtrail() -> Callable[[], None]:
    """Record ``AssumeRole``; answer ``LookupEvents`` (see the module docstring). Installed after
    :func:`awsroles.sandbox.server.role_sessions.patch_role_sessions`, whose ``AssumeRole`` it wraps
    (so the recorded source identity is the one the session carries, inherited or given)."""
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.core.exceptions import JsonRESTError
    from moto.sts import responses as sts_responses

    original_assume = sts_responses.TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        result = original_assume(self)
        answer: Any = result.result
        role_arn = str(self._get_param("RoleArn"))
        key = self.get_access_key()
        caller, username = _caller(self, key)
        record_assume_role(account=role_arn.split(":")[4], region=str(self.region), role_arn=role_arn,
                           session_name=str(self._get_param("RoleSessionName")),
                           source_identity=answer.get("SourceIdentity"), caller=caller, username=username,
                           access_key_id=key)
        return result

    def lookup_events(self: Any) -> Any:
        try:
            answer = lookup(str(self.current_account), str(self.region), json.loads(self.body or "{}"))
        except LookupFailure as exc:
            raise JsonRESTError(exc.code, str(exc)) from None
        for event in answer["Events"]:
            event["EventTime"] = event["EventTime"].timestamp()
        return json.dumps(answer)

    setattr(sts_responses.TokenResponse, "assume_role", assume_role)  # noqa: B010  (a patch)
    setattr(CloudTrailResponse, "lookup_events", lookup_events)  # noqa: B010
    reset_cloudtrail()

    def undo() -> None:
        setattr(sts_responses.TokenResponse, "assume_role", original_assume)  # noqa: B010
        delattr(CloudTrailResponse, "lookup_events")
        reset_cloudtrail()

    return undo
