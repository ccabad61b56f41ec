"""An in-process sandbox server stops when asked, not at werkzeug's next poll for a shutdown; a reset
drops moto's data without building every account's backends again first."""

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


def test_a_reset_drops_every_accounts_data_without_building_it_again(moto_aws: None,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``reset_server`` (what ``Sandbox.reset`` asks for) leaves no data behind, and does not make each
    account's backends anew only to drop them (moto's own reset does: an IAM one copies every AWS
    managed policy); new ones are made when next used."""
    import boto3
    from moto import settings
    from moto.iam import models

    from awsroles.sandbox.server.routes import reset_server

    for account in ("111111111111", "222222222222"):
        monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
        boto3.client("iam", region_name="us-east-1").create_user(UserName=f"u{account[0]}")
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    assert all(models.iam_backends[account]["aws"].users for account in ("111111111111", "222222222222"))
    built: list[str] = []
    real = models.IAMBackend.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        built.append(self.account_id)

    monkeypatch.setattr(models.IAMBackend, "__init__", counted)
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", settings.INITIAL_NO_AUTH_ACTION_COUNT)  # as it was
    reset_server()
    assert built == []
    for account in ("111111111111", "222222222222"):
        assert models.iam_backends[account]["aws"].users == {}
    assert sorted(built) == ["111111111111", "222222222222"]  # made anew when used


@pytest.mark.parametrize("collecting", [True, False])
def test_a_new_accounts_aws_managed_policies_are_its_own_and_the_collector_is_left_as_it_was(
        collecting: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each account's AWS managed policies are copies (its own attachment count, versions and tags)
    of one set built once, made with the garbage collector paused for speed: it is running again
    afterwards if it was running before, and still off if it was off."""
    import gc

    from moto.iam import models

    from awsroles.sandbox.server.patches import patch_managed_policies

    undo = patch_managed_policies("aws", only={"ReadOnlyAccess", "PowerUserAccess"})
    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        first, second = (models.IAMBackend("us-east-1", account) for account in ("111111111111", "222222222222"))
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
        undo()
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    mine, theirs = first.managed_policies[arn], second.managed_policies[arn]
    assert mine is not theirs and mine.versions[0] is not theirs.versions[0] and mine.tags is not theirs.tags
    assert (mine.account_id, theirs.account_id) == ("111111111111", "222222222222")
    assert mine.id == theirs.id and mine.versions[0].document == theirs.versions[0].document
    mine.attachment_count += 1
    assert theirs.attachment_count == 0


def test_what_the_servers_stop_raises_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stop runs on a thread of its own (so that it can be woken): its error is not lost there."""
    from moto.iam import models
    from moto.server import ThreadedMotoServer

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    box = MotoServer()
    box.start()
    patched = models.IAMBackend._init_aws_policies  # one of the workarounds, installed by start
    real = ThreadedMotoServer.stop

    def broken(self: Any) -> None:
        real(self)
        raise RuntimeError("the server would not stop")

    monkeypatch.setattr(ThreadedMotoServer, "stop", broken)
    with pytest.raises(RuntimeError, match="would not stop"):
        box.stop()
    assert models.IAMBackend._init_aws_policies is not patched  # the workarounds undone all the same
