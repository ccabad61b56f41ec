"""Shared fixtures. No test may reach real AWS or the developer's own ~/.aws."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import forkserver

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, AWS config and credentials in a temp dir; fake credentials; no real endpoint."""
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(("AWS_", "AWSROLES_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    # The fast cache's key never goes to the developer's real runtime dir or /dev/shm: no runtime
    # dir, and a memory-backed fallback folder that does not exist (tests that want one make it).
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("AWSROLES_SHM_DIR", str(home / "shm"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Anything that slips past moto goes nowhere instead of to AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    return home


_FORK_SERVER = os.environ.get(forkserver.VARIABLE) != "off"  # read before any test sets it


@pytest.fixture(scope="session")
def fork_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[forkserver.ForkServer | None]:
    """This worker's fork server (tests/forkserver.py), started when a first test needs it. One that
    cannot start leaves the tests to real processes (and tests/e2e/test_forkserver.py failing)."""
    if not _FORK_SERVER:
        yield None
        return
    try:
        server = forkserver.ForkServer(tmp_path_factory.mktemp("forkserver"))
    except (OSError, RuntimeError) as exc:
        warnings.warn(f"no fork server, real processes only: {exc}", stacklevel=1)
        yield None
        return
    yield server
    server.close()


@pytest.fixture(autouse=True)
def forked_awsroles(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """End-to-end and docs tests: the ``awsroles`` they run by name (PATH) or by
    :func:`tests.forkserver.command` is the fork server's client, with what it needs in the
    environment the test's processes inherit."""
    try:
        layer = request.node.path.relative_to(REPO / "tests").parts[0]
    except ValueError:
        return
    if layer not in ("e2e", "docs"):
        return
    server = request.getfixturevalue("fork_server")
    if server is not None:
        monkeypatch.setenv(forkserver.VARIABLE, server.socket)
        monkeypatch.setenv("PATH", f"{server.bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}")


@pytest.fixture
def classic_org_path() -> Path:
    return EXAMPLES / "classic.ini"


_LAYER_ORDER = {"docs": 0, "e2e": 1, "aws": 2, "unit": 3}
_DOC_PAGES = "tests/docs/test_docs_run.py::test_the_page_runs_in_order_on_a_fresh_sandbox["


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest units first, the longest first: the docs' pages (each a unit of its own, see
    :func:`pytest_xdist_make_scheduler`; the most shell run first), then end to end, then moto
    in-process, then unit, keeping the order of tests inside each file. With pytest-xdist
    (``--dist loadfile --no-loadscope-reorder``) a worker takes one unit at a time in this order,
    so the long ones start early and the many short unit files even out the end."""
    def layer(item: pytest.Item) -> tuple[int, int]:
        try:
            where = item.path.relative_to(REPO / "tests").parts[0]
        except ValueError:
            return len(_LAYER_ORDER), 0
        callspec = getattr(item, "callspec", None)
        page = callspec.params.get("page") if callspec is not None else None
        return _LAYER_ORDER.get(where, len(_LAYER_ORDER)), -_page_weight(page) if page is not None else 0

    items.sort(key=layer)


def _page_weight(page: Path) -> int:
    """How long a docs page runs, roughly: the length of its runnable shell (measured: it orders the
    pages as their times do, identity-center.md the longest at ~35 s, plan-apply.md ~5 s)."""
    from tests.docs.runner import shell_blocks

    return sum(len(block.code) for block in shell_blocks(page) if block.not_runnable is None)


@pytest.hookimpl(optionalhook=True)  # xdist's hooks: the suite still runs with -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile``, but each docs page a unit of its own: the pages are the suite's longest
    tests (about three minutes together), and as one file they ran on one worker, last to finish."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class PagesApart(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid if nodeid.startswith(_DOC_PAGES) else super()._split_scope(nodeid)

    return PagesApart(config, log)  # type: ignore[arg-type]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: a worker per core and one more. End-to-end tests spend part of their time
    waiting (on a sandbox server, a subprocess, a sign-in's poll), and the extra worker runs a test
    meanwhile: measured in a fresh clone on 2 cores, 7:02 with 2 workers, 6:40 with 3."""
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    """An xdist worker leaves the controlling terminal of whoever started the suite (a session of
    its own), so no awsroles process a test starts can ask on that terminal (``/dev/tty``) and
    wait for a developer's keyboard; tests that want a terminal make one (a pseudo-terminal)."""
    if hasattr(config, "workerinput"):
        with contextlib.suppress(OSError):
            os.setsid()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Byte-compile awsroles once, up front. The suite starts hundreds of Python processes that
    import it (the command, sandbox servers, import probes); with PYTHONDONTWRITEBYTECODE set, each
    would compile again every module changed since its last .pyc (about 0.15 s of CPU a process).
    Writes only awsroles' own __pycache__ (ignored by git), what any import would write without it."""
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller has done it
    import compileall

    import awsroles

    compileall.compile_dir(Path(awsroles.__file__).parent, quiet=2)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    """Let pytest keep the test modules it rewrites (for its assert messages) in __pycache__, as it
    does without PYTHONDONTWRITEBYTECODE. Rewriting them all costs each process that collects
    (every xdist worker) about 8 s of CPU; a kept one is read back while its source is unchanged.
    Writes only pytest's own files in tests/**/__pycache__ (ignored by git), during collection."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = saved


_COLLECT_EVERY = 10  # tests
_finished = [0]


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Test speed only: once collected, what the worker has loaded (pytest, moto, botocore, the
    tests) is frozen out of the cyclic collector's sight, and the collector runs every
    ``_COLLECT_EVERY`` tests instead of every 700 new objects. It cost the in-process tests about a
    sixth of their CPU (moto's and botocore's many objects scanned again and again); what a test
    leaves in cycles (moto's backends) is freed at the next collection, so memory stays bounded.
    What is still alive after a collection (modules and service models loaded since) is frozen
    too: the next collections only look at what the tests since have made."""
    gc.collect()
    gc.freeze()
    gc.disable()


@pytest.hookimpl(trylast=True)  # after the test's fixtures are torn down: what they held is garbage by now
def pytest_runtest_teardown(item: pytest.Item) -> None:
    _finished[0] += 1
    if _finished[0] % _COLLECT_EVERY == 0:
        gc.collect()
        gc.freeze()
