"""An in-process sandbox server stops when asked, not at werkzeug's next poll for a shutdown."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from awsroles.sandbox.server.main import MotoServer


def test_stop_wakes_the_server_instead_of_waiting_for_its_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """werkzeug's ``serve_forever`` looks for a shutdown each time its ``select()`` returns: every
    ``poll_interval`` (0.5 s by default: half a second per stop, for each test that stops one) or
    at a connection. Here the poll is a minute: ``stop`` still returns at once, the port closed."""
    from werkzeug.serving import BaseWSGIServer

    real = BaseWSGIServer.serve_forever

    def slow_poll(self: Any, poll_interval: float = 0.5) -> None:
        real(self, poll_interval=60)

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(BaseWSGIServer, "serve_forever", slow_poll)
    box = MotoServer()
    port = box.start()
    stopped = threading.Event()
    threading.Thread(target=lambda: (box.stop(), stopped.set()), daemon=True).start()
    assert stopped.wait(20), "stop waited for the server's next poll"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
