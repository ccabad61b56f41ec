"""The sandbox's server side: a moto server on loopback, with the few workarounds it needs.

This is the only module that imports moto (always inside functions, so importing it is cheap),
and the only place that reaches into moto's internals. It runs either in its own process
(``python -m awsroles.sandbox_server``, what :mod:`awsroles.sandbox` starts) or, for
:class:`awsroles.sandbox.Sandbox` with ``in_process=True``, in the caller's process.

Workarounds, each undone by :meth:`MotoServer.stop`:

- **Account ids.** moto's Organizations ``CreateAccount`` makes a random 12-digit id. The seeder
  asks for a specific id by putting it into the account's e-mail address
  (``dev+222222222222@acme.example``, see :func:`account_email`); the patched id generator
  returns it for that one call (any other ``CreateAccount`` stays random).
- **AWS managed policies.** moto loads its ~1,600 AWS managed policies into every IAM backend
  when ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, and it builds one IAM backend per account *and
  partition* (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc) the first time any
  request with an unknown access key arrives (``moto.iam.models.get_account_id_from``): about
  0.6 s per new account. The patched loader parses the policy data once and loads it only in
  the partition the sandbox serves, which makes a new account cost a few milliseconds.
- **ListServiceSpecificCredentials** is not implemented by moto; ``apply`` calls it before it
  deletes a user. The sandbox answers it with an empty list: nobody can create such
  credentials there (``CreateServiceSpecificCredential`` is not implemented either).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
_REQUESTED_ID = re.compile(r"^[^@]*\+([0-9]{12})@")

log = logging.getLogger(__name__)


def account_email(org_name: str, account_name: str, account_id: str) -> str:
    """The e-mail address the seeder gives an account; it carries the id the account must get."""
    return f"{account_name}+{account_id}@{org_name}.example"


def requested_account_id(email: str) -> str | None:
    """The account id an :func:`account_email` address asks for, or None."""
    match = _REQUESTED_ID.match(email)
    return match.group(1) if match else None


# -- workarounds -------------------------------------------------------------------------

_wanted = threading.local()


def _patch_account_ids() -> Callable[[], None]:
    from moto.organizations import models, utils

    original_make = utils.make_random_account_id
    original_init = models.FakeAccount.__init__

    def make_account_id() -> str:
        wanted: str | None = getattr(_wanted, "account_id", None)
        return wanted or original_make()

    def init(self: Any, organization: Any, **kwargs: Any) -> None:
        wanted = requested_account_id(str(kwargs.get("Email", "")))
        backend = _organizations_backend_of(organization)
        taken = backend is not None and any(a.id == wanted for a in backend.accounts)
        _wanted.account_id = None if taken else wanted  # a taken id: moto's random one; the seeder notices
        try:
            original_init(self, organization, **kwargs)
        finally:
            _wanted.account_id = None

    setattr(utils, "make_random_account_id", make_account_id)  # noqa: B010  (a patch, not an assignment)
    setattr(models.FakeAccount, "__init__", init)  # noqa: B010

    def undo() -> None:
        setattr(utils, "make_random_account_id", original_make)  # noqa: B010
        setattr(models.FakeAccount, "__init__", original_init)  # noqa: B010

    return undo


def _organizations_backend_of(organization: Any) -> Any:
    from moto.organizations.models import organizations_backends
    from moto.utilities.utils import get_partition

    try:
        return organizations_backends[organization.master_account_id][get_partition(organization.region)]
    except Exception:  # a moto laid out differently: no check, the seeder still verifies every id
        return None


def _patch_managed_policies(partition: str) -> Callable[[], None]:
    from moto.iam import models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    original = models.IAMBackend._init_aws_policies
    parsed: dict[str, Any] = {}
    lock = threading.Lock()

    def init_aws_policies(self: Any) -> list[Any]:
        if self.partition != partition:
            return []
        with lock:
            if not parsed:
                parsed.update(json.loads(aws_managed_policies_data))
        return [
            models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in parsed.items()
        ]

    setattr(models.IAMBackend, "_init_aws_policies", init_aws_policies)  # noqa: B010

    def undo() -> None:
        setattr(models.IAMBackend, "_init_aws_policies", original)  # noqa: B010

    return undo


def _patch_missing_iam_reads() -> Callable[[], None]:
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "list_service_specific_credentials"):
        return lambda: None

    def list_service_specific_credentials(self: Any) -> Any:
        from moto.core.responses import ActionResult

        return ActionResult({"ServiceSpecificCredentials": []})

    setattr(IamResponse, "list_service_specific_credentials", list_service_specific_credentials)  # noqa: B010
    return lambda: delattr(IamResponse, "list_service_specific_credentials")


def install_workarounds(partition: str = "aws") -> Callable[[], None]:
    """Patch moto as described in the module docstring; returns a function that undoes it."""
    undos = [_patch_account_ids(), _patch_managed_policies(partition), _patch_missing_iam_reads()]

    def undo() -> None:
        for step in reversed(undos):
            step()

    return undo


# -- the server --------------------------------------------------------------------------


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
        from moto.moto_api._internal.models import moto_api_backend
        from moto.server import ThreadedMotoServer

        moto_api_backend.reset()  # this process may hold moto data made without the workarounds
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
        return self.port

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.stop()
        inner = getattr(server, "_server", None)  # ThreadedMotoServer.stop() leaves the socket open
        if inner is not None:
            inner.server_close()
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()  # leave no sandbox data behind in this process's moto
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
    """``python -m awsroles.sandbox_server``: serve until SIGTERM (or until the parent dies)."""
    parser = argparse.ArgumentParser(prog="python -m awsroles.sandbox_server",
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


if __name__ == "__main__":
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    sys.exit(main())
