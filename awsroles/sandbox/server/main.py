"""The server: moto's ``ThreadedMotoServer`` with the workarounds installed, and its process's ``main``."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from awsroles.sandbox.server.auth_errors import patch_auth_errors
from awsroles.sandbox.server.boundaries import patch_role_boundaries
from awsroles.sandbox.server.budgets import patch_budgets
from awsroles.sandbox.server.closures import patch_close_account
from awsroles.sandbox.server.cloudtrail import patch_cloudtrail
from awsroles.sandbox.server.contacts import patch_alternate_contacts
from awsroles.sandbox.server.costs import patch_cost_explorer
from awsroles.sandbox.server.identity_center import patch_identity_center
from awsroles.sandbox.server.identity_store import patch_identity_store
from awsroles.sandbox.server.moves import patch_group_moves
from awsroles.sandbox.server.organizations import patch_organizations
from awsroles.sandbox.server.patches import (
    patch_account_ids,
    patch_managed_policies,
    patch_missing_iam_reads,
    patch_request_lookups,
    patch_user_permissions_boundary,
)
from awsroles.sandbox.server.principals import patch_trust_principals
from awsroles.sandbox.server.resources import patch_iam_resources
from awsroles.sandbox.server.role_sessions import patch_role_sessions
from awsroles.sandbox.server.routes import SandboxRoutes, drop_moto_data, loopback
from awsroles.sandbox.server.scps import patch_policies
from awsroles.sandbox.server.serial import patch_one_request_at_a_time
from awsroles.sandbox.server.session_tags import patch_session_tags
from awsroles.sandbox.server.sessions import patch_sessions
from awsroles.sandbox.server.sso_portal import patch_sso_sessions
from awsroles.sandbox.server.sso_routes import bearer_handler
from awsroles.sandbox.server.trust import patch_trust

HOST = "127.0.0.1"
SERVER_MODULE = "awsroles.sandbox.server"  # what `python -m` runs: this package's __main__

log = logging.getLogger("awsroles.sandbox.server")  # the server's log names the server, whichever module logs


def install_workarounds(partition: str = "aws") -> Callable[[], None]:
    """Patch moto as described in :mod:`awsroles.sandbox.server`'s modules; returns a function
    that undoes it."""
    undos = [patch_account_ids(), patch_managed_policies(partition), patch_missing_iam_reads(),
             patch_user_permissions_boundary(), patch_role_boundaries(), patch_trust_principals(), patch_group_moves(),
             patch_sessions(), patch_role_sessions(), patch_session_tags(), patch_trust(), patch_cloudtrail(),
             patch_iam_resources(),
             patch_cost_explorer(), patch_budgets(),
             patch_organizations(),
             patch_policies(), patch_alternate_contacts(), patch_close_account(), patch_identity_center(),
             patch_identity_store(), patch_sso_sessions(),
             patch_auth_errors(),
             patch_request_lookups(),  # the response classes are patched by then
             patch_one_request_at_a_time()]

    def undo() -> None:
        for step in reversed(undos):
            step()

    return undo


class MotoServer:
    """``moto.server.ThreadedMotoServer`` on ``host``, with the workarounds, in this process.

    moto's state is global to the process: one of these per process, and it shares its data
    with ``mock_aws``. ``start`` and ``stop`` reset moto's data; ``stop`` also puts moto's IAM
    authorization setting back as it was (the seeder turns authorization on over HTTP, which
    changes a process-wide setting) and undoes the workarounds.
    """

    def __init__(self, host: str = HOST, port: int = 0, partition: str = "aws", *, quiet: bool = True) -> None:
        self.host = host
        self.requested_port = port
        self.partition = partition
        self.quiet = quiet
        self.port = 0
        self._server: Any = None
        self._undo: Callable[[], None] | None = None
        self._saved_auth: float | None = None
        self._saved_log_level: int | None = None

    def start(self) -> int:
        from moto import settings
        from moto.server import ThreadedMotoServer

        drop_moto_data()  # this process may hold moto data made without the workarounds
        self._undo = install_workarounds(self.partition)
        self._saved_auth = settings.INITIAL_NO_AUTH_ACTION_COUNT
        if self.quiet:  # werkzeug logs every request on stderr unless told otherwise
            logger = logging.getLogger("werkzeug")
            self._saved_log_level = logger.level
            logger.setLevel(logging.WARNING)
        try:
            if self.requested_port:
                _check_free(self.host, self.requested_port)
            self._server = ThreadedMotoServer(ip_address=self.host, port=self.requested_port, verbose=False)
            self._server.start()
        except BaseException:
            self._restore()
            raise
        self.port = int(self._server.get_host_and_port()[1])
        inner = getattr(self._server, "_server", None)  # werkzeug's server: its app serves each request
        if inner is not None and loopback(self.host):
            inner.app = SandboxRoutes(inner.app)
            inner.RequestHandlerClass = bearer_handler(inner.RequestHandlerClass)
        return self.port

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        try:
            _stop_promptly(server, (self.host, self.port))
        finally:  # even if the stop failed: the socket closed, moto's data and settings as they were
            inner = getattr(server, "_server", None)  # ThreadedMotoServer.stop() leaves the socket open
            if inner is not None:
                inner.server_close()
            drop_moto_data()  # leave no sandbox data behind in this process's moto
            self._restore()

    def _restore(self) -> None:
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        if self._saved_auth is not None:
            settings.INITIAL_NO_AUTH_ACTION_COUNT = self._saved_auth
            ActionAuthenticatorMixin.request_count = 0
            self._saved_auth = None
        if self._saved_log_level is not None:
            logging.getLogger("werkzeug").setLevel(self._saved_log_level)
            self._saved_log_level = None
        if self._undo is not None:
            self._undo()
            self._undo = None


def _stop_promptly(server: Any, address: tuple[str, int]) -> None:
    """``ThreadedMotoServer.stop()`` without its wait of up to half a second: werkzeug's
    ``serve_forever`` sees a shutdown only when its ``select()`` returns, every 0.5 s or when a
    connection comes. So while the stop waits, connect: each connection wakes the loop at once (it
    is closed unread, which the server takes as a client gone). What the stop raises is raised here."""
    failed: list[BaseException] = []

    def stop() -> None:
        try:
            server.stop()
        except BaseException as exc:  # handed to the caller below
            failed.append(exc)

    stopper = threading.Thread(target=stop, name="sandbox-stop", daemon=True)
    stopper.start()
    while stopper.is_alive():
        with contextlib.suppress(OSError):
            socket.create_connection(address, timeout=0.2).close()
        stopper.join(0.01)
    if failed:
        raise failed[0]


def _check_free(host: str, port: int) -> None:
    """ThreadedMotoServer.start() waits forever when it cannot bind: find out first."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def _write_ready(path: Path, port: int) -> None:
    from awsroles.fsutil import atomic_write

    atomic_write(path, json.dumps({"pid": os.getpid(), "port": port}), mode=0o600)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m awsroles.sandbox.server``: serve until SIGTERM (or until the parent dies)."""
    parser = argparse.ArgumentParser(prog="python -m awsroles.sandbox.server",
                                     description="The awsroles sandbox: a moto server on loopback.")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=0, help="0: any free port (default)")
    parser.add_argument("--partition", default="aws")
    parser.add_argument("--ready-file", type=Path, help="write {pid, port} here once listening")
    parser.add_argument("--exit-with-parent", action="store_true", help="stop when the parent process goes")
    args = parser.parse_args(argv)

    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # before moto is imported (MotoServer.start)
    os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)  # the seeder turns authorization on when done
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    server = MotoServer(args.host, args.port, args.partition, quiet=False)
    try:
        port = server.start()
    except OSError as exc:
        log.error("%s", exc)
        return 1
    log.info("awsroles sandbox listening on http://%s:%d (pid %d)", args.host, port, os.getpid())
    if args.ready_file:
        _write_ready(args.ready_file, port)
    while not stop.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            log.info("parent process %d is gone; stopping", parent)
            break
    log.info("stopped")
    # No graceful shutdown: moto keeps everything in memory, exiting closes the socket, and
    # tearing down moto's modules at interpreter exit takes longer than the whole stop.
    logging.shutdown()
    os._exit(0)
