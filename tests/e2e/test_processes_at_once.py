"""Several processes at once on the same files: the one file-lock helper (awsroles.fsutil) and what
stands on it (the org-file editor, profiles sync, the file secret stores) lose nothing when
processes race, as separate ``awsroles`` commands do. In-process tests of the same modules are in
``tests/unit``."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from awsroles.creds.profile_specs import MANAGED_KEY
from awsroles.creds.profiles import sync_profiles
from awsroles.creds.store import SESSIONS, SecretStore
from awsroles.creds.store.encrypted_file import EncryptedFileStore
from awsroles.creds.store.plaintext import PlaintextFileStore
from awsroles.fsutil import file_lock
from awsroles.org import edit as orgedit
from awsroles.org.entries import Grant
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES, REPO
from tests.unit.test_profiles import EXISTING, botocore_profiles, write

pytestmark = pytest.mark.e2e


# -- the file lock ------------------------------------------------------------------------------


def test_file_lock_excludes_a_second_holder_then_says_who_holds_it(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with file_lock(lock, timeout=1):
        assert oct(lock.stat().st_mode & 0o777) == oct(0o600)
        held = subprocess.run(
            [sys.executable, "-c", "import sys; from awsroles.fsutil import file_lock\n"
             f"with file_lock({str(lock)!r}, timeout=0.2): sys.exit(0)"],
            capture_output=True, text=True, cwd=REPO)
        assert held.returncode == 1 and f"another awsroles process holds {lock} (waited 0.2s)" in held.stderr
    with file_lock(lock, timeout=0.2):  # released: free again
        pass


def test_file_lock_raises_the_callers_error(tmp_path: Path) -> None:
    lock = tmp_path / "y.lock"
    with file_lock(lock, timeout=1):
        code = ("import sys; from awsroles.fsutil import file_lock\n"
                "class Mine(Exception): pass\n"
                "try:\n"
                f"    with file_lock({str(lock)!r}, timeout=0.1, busy=lambda p, w: Mine(f'{{p}} {{w}}')): pass\n"
                "except Mine as e:\n    print('mine', e)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO).stdout
        assert out.strip() == f"mine {lock} 0.1"


def test_file_lock_falls_back_to_filelock_where_there_is_no_flock(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles import fsutil

    monkeypatch.setattr(fsutil, "_posix_lock", lambda path, timeout: fsutil._NO_FLOCK)
    lock = tmp_path / "z.lock"
    with fsutil.file_lock(lock, timeout=1):
        assert oct(lock.stat().st_mode & 0o777) == oct(0o600)
        with pytest.raises(fsutil.LockBusy, match=f"another awsroles process holds {lock}"), \
                fsutil.file_lock(lock, timeout=0.1):
            pass
    with fsutil.file_lock(lock, timeout=0.1):  # released: free again
        pass


# -- the org-file editor ------------------------------------------------------------------------


@pytest.fixture
def org_file(tmp_path: Path) -> Path:
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    path = tmp_path / "awsroles.ini"
    path.write_text(text)
    path.chmod(0o640)
    return path


def _add_users(path: str, prefix: str) -> None:
    for i in range(10):
        orgedit.add_user(Path(path), f"{prefix}{i}", teams=["backend"])


def test_concurrent_edits_lose_nothing(org_file: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_users, args=(str(org_file), prefix)) for prefix in ("x", "y")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    org = load_org(org_file)
    expected = {f"{p}{i}" for p in "xy" for i in range(10)}
    assert expected <= {u.name for u in org.users}
    assert expected <= set(org.team("backend").members)
    assert "; he deleted a prod load balancer." in org_file.read_text()


# -- profiles sync ------------------------------------------------------------------------------


def _sync_many(config: str, org: str, rounds: int, barrier: threading.Barrier) -> None:
    barrier.wait()
    grants = (Grant("dev", "admin"), Grant("dev", "developer"), Grant("prod", "readonly"))
    for i in range(rounds):
        # Alternate regions so every round rewrites the file.
        sync_profiles(grants, org=org, region=f"us-east-{1 + i % 2}", config_file=Path(config))


def test_concurrent_syncs_from_many_processes_lose_no_update(isolated_environment: Path) -> None:
    config = isolated_environment / ".aws" / "config"
    write(config, EXISTING)
    workers, rounds = 8, 4
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    processes = [
        context.Process(target=_sync_many, args=(str(config), f"org{n}", rounds, barrier)) for n in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * workers
    profiles = botocore_profiles(config)
    for n in range(workers):
        for suffix in ("dev-admin", "dev-developer", "prod-readonly"):
            profile = profiles[f"org{n}-{suffix}"]
            assert profile[MANAGED_KEY] == f"org{n}"
            assert profile["region"] == f"us-east-{1 + (rounds - 1) % 2}"
    assert config.read_text(encoding="utf-8").startswith(EXISTING)
    assert sorted(p.name for p in config.parent.iterdir()) == ["config", "config.lock"]


# -- the file secret stores ---------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from awsroles.creds.store import SESSIONS
    from awsroles.creds.store.encrypted_file import EncryptedFileStore
    from awsroles.creds.store.plaintext import PlaintextFileStore
    kind, path, who, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    if kind == "plaintext":
        store = PlaintextFileStore(path, i_understand_this_is_plaintext=True)
    else:
        store = EncryptedFileStore(path, lambda: "pw")
    for i in range(count):
        store.set(SESSIONS, f"{who}-{i}", f"value-{who}-{i}")
""")


@pytest.mark.parametrize(("kind", "processes", "each"), [("plaintext", 4, 10), ("encrypted", 3, 2)])
def test_concurrent_writers_lose_nothing(tmp_path: Path, kind: str, processes: int, each: int) -> None:
    path = tmp_path / "data" / "secrets"
    workers = [subprocess.Popen([sys.executable, "-c", WRITER, kind, str(path), f"p{n}", str(each)], cwd=REPO)
               for n in range(processes)]
    assert [w.wait(timeout=60) for w in workers] == [0] * processes
    if kind == "plaintext":
        store: SecretStore = PlaintextFileStore(path, i_understand_this_is_plaintext=True)
    else:
        store = EncryptedFileStore(path, lambda: "pw")
    expected = sorted(f"p{n}-{i}" for n in range(processes) for i in range(each))
    assert store.keys(SESSIONS) == expected
    assert all(store.get(SESSIONS, name) == f"value-{name}" for name in expected)
