"""Fault injection for library tests: a botocore ``before-send`` hook (register_first) that answers
chosen calls with an AWS error instead of sending them, so botocore's real parser and retry
handler see exactly what AWS would send, and the refused call changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

from botocore.awsrequest import AWSResponse

from awsroles.aws import Aws, AwsSettings
from awsroles.org.model import Org


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def error_body(code: str, message: str) -> bytes:
    return (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>r</RequestId></ErrorResponse>").encode()


def action_of(request: Any) -> str:
    """The query-protocol action of a request (``CreateLoginProfile``...), "" when none."""
    body = request.body
    if isinstance(body, bytes):
        body = body.decode()
    if not isinstance(body, str):
        return ""
    return (parse_qs(body).get("Action") or [""])[0]


class Fault:
    """Answers ``status``/``code`` to requests whose action is in ``actions`` (every action when
    empty) and that ``where(request)`` accepts; ``times`` answers at most (None: always)."""

    def __init__(self, code: str, *actions: str, status: int = 403, message: str = "injected",
                 times: int | None = None, where: Callable[[Any], bool] = lambda _r: True) -> None:
        self.code, self.actions, self.status, self.message = code, set(actions), status, message
        self.times, self.where = times, where
        self.lock = threading.Lock()
        self.hits: list[str] = []
        self.passed: list[str] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        action = action_of(request)
        with self.lock:
            if (self.actions and action not in self.actions) or not self.where(request) or (
                    self.times is not None and len(self.hits) >= self.times):
                self.passed.append(action)
                return None
            self.hits.append(action)
        url = request.url
        # Every before-send handler runs, and in-process moto is one of them: point the request
        # somewhere moto does not serve, so the refused call has no effect there either.
        request.url = "http://fault.invalid/"
        return AWSResponse(url, self.status, {}, _Raw(error_body(self.code, self.message)))

    def install(self, session: Any) -> None:
        session.get_component("event_emitter").register_first("before-send", self, unique_id=f"fault-{id(self)}")

    def aws(self, org: Org, **settings: Any) -> Aws:
        """An admin in the ops account of ``org`` (moto: any role), every session carrying this fault."""
        config = AwsSettings(region="us-east-1", **settings)
        base = Aws(config, hooks=[self.install])
        return Aws(config, session=base.for_account(org.ops.id, "admin"), hooks=[self.install])
