"""Secret stores: memory, the keyring (over an injected fake backend), encrypted and plaintext files."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awsroles.creds.store import KEYS, SESSIONS, SecretStore, StoreError, open_store, platform_keyring
from awsroles.creds.store import encrypted_file as encrypted_module
from awsroles.creds.store.chunks import CHUNK_PREFIX, chunk
from awsroles.creds.store.encrypted_file import EncryptedFileStore, passphrase_from_env_or_prompt
from awsroles.creds.store.keyring_store import KeyringLibraryBackend, KeyringStore
from awsroles.creds.store.memory import MemoryStore
from awsroles.creds.store.plaintext import PlaintextFileStore
from awsroles.creds.store.secret_service import SecretServiceBackend
from awsroles.errors import ExitCode, UsageError

DEFAULT_SCRYPT = (encrypted_module.SCRYPT_LOG_N, encrypted_module.SCRYPT_R, encrypted_module.SCRYPT_P)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = json.dumps({"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": SECRET, "SessionToken": "T" * 2500,
                      "Expiration": "2030-01-01T00:00:00Z"})


@pytest.fixture(autouse=True)
def fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap key derivation for new files in these tests (the default is checked on its own)."""
    monkeypatch.setattr(encrypted_module, "SCRYPT_LOG_N", 12)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeKeyring:
    """An in-memory keyring backend that, like Windows', refuses entries over ``limit`` units."""

    def __init__(self, limit: int = 1280) -> None:
        self.entries: dict[tuple[str, str], str] = {}
        self.limit = limit
        self.calls: list[tuple[str, str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", service, username))
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        if units(password) > self.limit:
            raise StoreError("too long for the fake keyring", "unavailable")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", service, username))
        self.entries.pop((service, username), None)

    def names(self, service: str) -> list[str]:
        return sorted(user for (svc, user) in self.entries if svc == service)


@pytest.fixture
def fake() -> FakeKeyring:
    return FakeKeyring()


@pytest.fixture
def keyring_store(tmp_path: Path, fake: FakeKeyring) -> KeyringStore:
    return KeyringStore("windows", tmp_path / "data" / "keyring-index.json", impl=fake)


def passphrase(value: str = "correct horse battery staple") -> Callable[[], str]:
    def source() -> str:
        source.calls += 1  # type: ignore[attr-defined]
        return value
    source.calls = 0  # type: ignore[attr-defined]
    return source


def never_asked() -> str:
    raise AssertionError("the passphrase was asked for")


@pytest.fixture
def encrypted(tmp_path: Path) -> EncryptedFileStore:
    return EncryptedFileStore(tmp_path / "data" / "secrets.bin", passphrase())


@pytest.fixture
def plaintext(tmp_path: Path) -> PlaintextFileStore:
    return PlaintextFileStore(tmp_path / "data" / "secrets.json", i_understand_this_is_plaintext=True)


@pytest.fixture(params=["memory", "keyring", "encrypted", "plaintext"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> SecretStore:
    kind = request.param
    if kind == "memory":
        return MemoryStore()
    if kind == "keyring":
        return KeyringStore("secretservice", tmp_path / "index.json", impl=FakeKeyring(), max_chunk=100)
    if kind == "encrypted":
        return EncryptedFileStore(tmp_path / "secrets.bin", passphrase())
    return PlaintextFileStore(tmp_path / "secrets.json", i_understand_this_is_plaintext=True)


# --- the interface, for every store ---------------------------------------------------------------


def test_round_trip_and_absent(any_store: SecretStore) -> None:
    assert any_store.get(KEYS, "111111111111/alice") is None
    any_store.set(KEYS, "111111111111/alice", SECRET)
    assert any_store.get(KEYS, "111111111111/alice") == SECRET
    any_store.set(KEYS, "111111111111/alice", "rotated")
    assert any_store.get(KEYS, "111111111111/alice") == "rotated"
    any_store.delete(KEYS, "111111111111/alice")
    assert any_store.get(KEYS, "111111111111/alice") is None
    any_store.delete(KEYS, "111111111111/alice")  # absent: no error


def test_namespaces_are_separate(any_store: SecretStore) -> None:
    any_store.set(KEYS, "same", "long-term")
    any_store.set(SESSIONS, "same", SESSION)
    assert any_store.get(KEYS, "same") == "long-term"
    assert any_store.get(SESSIONS, "same") == SESSION
    any_store.delete(SESSIONS, "same")
    assert any_store.get(KEYS, "same") == "long-term"
    assert any_store.keys(KEYS) == ["same"]
    assert any_store.keys(SESSIONS) == []


def test_keys_lists_names_only(any_store: SecretStore) -> None:
    any_store.set(SESSIONS, "role/prod/admin", SESSION)
    any_store.set(SESSIONS, "mfa/111111111111/alice/arn:aws:iam::111111111111:mfa/alice", "x")
    any_store.set(KEYS, "111111111111/alice", SECRET)
    assert any_store.keys(SESSIONS) == ["mfa/111111111111/alice/arn:aws:iam::111111111111:mfa/alice",
                                        "role/prod/admin"]
    assert any_store.keys(KEYS) == ["111111111111/alice"]
    any_store.delete(SESSIONS, "role/prod/admin")
    assert any_store.keys(SESSIONS) == ["mfa/111111111111/alice/arn:aws:iam::111111111111:mfa/alice"]


def test_unicode_values(any_store: SecretStore) -> None:
    value = "pässwörd \U0001f511 " * 30
    any_store.set(KEYS, "k", value)
    assert any_store.get(KEYS, "k") == value


def test_secrets_never_in_repr_name_or_logs(any_store: SecretStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    any_store.set(SESSIONS, "role/prod/admin", SESSION)
    any_store.get(SESSIONS, "role/prod/admin")
    for text in (repr(any_store), str(any_store), any_store.name, caplog.text):
        assert SECRET not in text
        assert "TTTT" not in text


@pytest.mark.parametrize("key", ["", "a#1", "line\nbreak", "x" * 513])
def test_bad_key_names_are_refused(any_store: SecretStore, key: str) -> None:
    with pytest.raises(ValueError):
        any_store.set(KEYS, key, "v")


def test_bad_namespace_is_refused(any_store: SecretStore) -> None:
    with pytest.raises(ValueError):
        any_store.get("", "k")
    with pytest.raises(ValueError):
        any_store.keys("a b")


# --- chunking -------------------------------------------------------------------------------------


def test_short_values_are_one_entry() -> None:
    assert chunk("short", 100) == ["short"]
    assert chunk("x" * 100, 100) == ["x" * 100]


def test_long_values_get_a_header_with_count_and_digest() -> None:
    parts = chunk("x" * 250, 100)
    assert len(parts) == 3
    assert parts[0].startswith(f"{CHUNK_PREFIX}3:")
    assert all(len(p) <= 100 for p in parts)
    assert "".join(parts).endswith("x" * 250)


def test_a_value_that_looks_like_a_header_is_always_chunked(keyring_store: KeyringStore) -> None:
    tricky = f"{CHUNK_PREFIX}2:0123456789abcdef:not really"
    assert chunk(tricky, 1200)[0].startswith(f"{CHUNK_PREFIX}1:")
    keyring_store.set(KEYS, "k", tricky)
    assert keyring_store.get(KEYS, "k") == tricky


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=2000), max_chunk=st.integers(min_value=64, max_value=400))
def test_chunks_reassemble_and_fit(value: str, max_chunk: int) -> None:
    parts = chunk(value, max_chunk)
    assert all(units(p) <= max_chunk for p in parts)
    if len(parts) == 1 and not parts[0].startswith(CHUNK_PREFIX):
        assert parts[0] == value
    else:
        header = parts[0][len(CHUNK_PREFIX):].split(":", 2)
        assert int(header[0]) == len(parts)
        assert header[2] + "".join(parts[1:]) == value


def test_max_chunk_must_leave_room_for_the_header(tmp_path: Path, fake: FakeKeyring) -> None:
    with pytest.raises(ValueError):
        KeyringStore("windows", tmp_path / "i.json", impl=fake, max_chunk=40)


# --- KeyringStore over an injected backend --------------------------------------------------------


def test_a_session_fits_windows_limit_by_chunking(keyring_store: KeyringStore, fake: FakeKeyring) -> None:
    keyring_store.set(SESSIONS, "role/prod/admin", SESSION)
    assert fake.names(SESSIONS) == ["role/prod/admin", "role/prod/admin#1", "role/prod/admin#2"]
    assert all(units(v) <= 1200 for v in fake.entries.values())
    assert keyring_store.get(SESSIONS, "role/prod/admin") == SESSION


def test_small_max_chunk(tmp_path: Path, fake: FakeKeyring) -> None:
    store = KeyringStore("secretservice", tmp_path / "i.json", impl=fake, max_chunk=64)
    value = "é\U0001f511abc" * 100
    store.set(SESSIONS, "s", value)
    assert len(fake.names(SESSIONS)) >= 10  # 600 UTF-16 units
    assert all(units(v) <= 64 for v in fake.entries.values())
    assert store.get(SESSIONS, "s") == value


def test_shrinking_a_value_removes_stale_chunks(tmp_path: Path, fake: FakeKeyring) -> None:
    store = KeyringStore("windows", tmp_path / "i.json", impl=fake, max_chunk=100)
    store.set(SESSIONS, "s", "x" * 1000)
    assert len(fake.names(SESSIONS)) == 11
    store.set(SESSIONS, "s", "y" * 150)
    assert fake.names(SESSIONS) == ["s", "s#1"]
    store.set(SESSIONS, "s", "short")
    assert fake.names(SESSIONS) == ["s"]
    assert store.get(SESSIONS, "s") == "short"


def test_delete_removes_every_chunk_and_orphans(tmp_path: Path, fake: FakeKeyring) -> None:
    store = KeyringStore("windows", tmp_path / "i.json", impl=fake, max_chunk=100)
    store.set(SESSIONS, "s", "x" * 500)
    fake.entries[(SESSIONS, "s#6")] = "left by a crashed write"
    fake.entries[(SESSIONS, "s#7")] = "left by a crashed write"
    store.set(KEYS, "s", "the long-term key")
    store.delete(SESSIONS, "s")
    assert fake.names(SESSIONS) == []
    assert store.get(KEYS, "s") == "the long-term key"


def test_damaged_chunks_are_a_clear_error(tmp_path: Path, fake: FakeKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KeyringStore, "READ_ATTEMPTS", 2)
    store = KeyringStore("windows", tmp_path / "i.json", impl=fake, max_chunk=100)
    store.set(SESSIONS, "s", SECRET * 10)
    fake.entries[(SESSIONS, "s#2")] = "tampered"
    with pytest.raises(StoreError) as caught:
        store.get(SESSIONS, "s")
    assert caught.value.reason == "corrupt"
    assert "awsroles-sessions s" in str(caught.value)
    assert SECRET not in str(caught.value)
    del fake.entries[(SESSIONS, "s#2")]
    with pytest.raises(StoreError):
        store.get(SESSIONS, "s")
    fake.entries[(SESSIONS, "s")] = f"{CHUNK_PREFIX}nonsense"
    with pytest.raises(StoreError):
        store.get(SESSIONS, "s")


def test_a_read_during_a_rewrite_retries(tmp_path: Path, fake: FakeKeyring) -> None:
    """A reader that meets new chunks under the old header (a writer in between) tries again."""
    store = KeyringStore("windows", tmp_path / "i.json", impl=fake, max_chunk=100)
    store.set(SESSIONS, "s", "a" * 300)
    old_header = fake.entries[(SESSIONS, "s")]
    store.set(SESSIONS, "s", "b" * 300)
    new_header = fake.entries[(SESSIONS, "s")]
    fake.entries[(SESSIONS, "s")] = old_header  # the writer has written the chunks, not the header yet
    real_get = fake.get_password

    def get_and_finish_the_write(service: str, username: str) -> str | None:
        value = real_get(service, username)
        if username == "s#1":
            fake.entries[(SESSIONS, "s")] = new_header
        return value

    fake.get_password = get_and_finish_the_write  # type: ignore[method-assign]
    assert store.get(SESSIONS, "s") == "b" * 300


def test_backend_failures_never_carry_the_value(tmp_path: Path) -> None:
    store = KeyringStore("windows", tmp_path / "i.json", impl=FakeKeyring(limit=10), max_chunk=100)
    with pytest.raises(StoreError) as caught:
        store.set(KEYS, "k", SECRET)
    assert SECRET not in str(caught.value)
    assert caught.value.exit_code == ExitCode.STORE


def test_the_index_holds_names_only_0600_in_0700(keyring_store: KeyringStore, tmp_path: Path) -> None:
    keyring_store.set(KEYS, "111111111111/alice", SECRET)
    keyring_store.set(SESSIONS, "role/prod/admin", SESSION)
    index = tmp_path / "data" / "keyring-index.json"
    assert stat.S_IMODE(index.stat().st_mode) == 0o600
    assert stat.S_IMODE(index.parent.stat().st_mode) == 0o700
    text = index.read_text()
    assert SECRET not in text and "TTTT" not in text
    assert json.loads(text)["names"] == {KEYS: ["111111111111/alice"], SESSIONS: ["role/prod/admin"]}


def test_the_index_is_written_only_when_names_change(keyring_store: KeyringStore, tmp_path: Path) -> None:
    keyring_store.set(SESSIONS, "s", "one")
    index = tmp_path / "data" / "keyring-index.json"
    before = index.stat().st_mtime_ns, index.stat().st_ino
    keyring_store.set(SESSIONS, "s", "two")
    assert (index.stat().st_mtime_ns, index.stat().st_ino) == before


def test_get_never_touches_the_index(keyring_store: KeyringStore, tmp_path: Path) -> None:
    assert keyring_store.get(KEYS, "k") is None
    assert not (tmp_path / "data").exists()


def test_a_damaged_index_is_ignored(keyring_store: KeyringStore, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    (tmp_path / "data" / "keyring-index.json").write_text("{not json")
    assert keyring_store.keys(KEYS) == []
    keyring_store.set(KEYS, "k", "v")
    assert keyring_store.keys(KEYS) == ["k"]


def test_keyring_store_names() -> None:
    assert KeyringStore("secretservice", Path("i")).name == "keyring (Secret Service)"
    assert KeyringStore("macos", Path("i")).name == "keyring (macOS Keychain)"
    assert KeyringStore("windows", Path("i")).name == "keyring (Windows Credential Manager)"
    with pytest.raises(UsageError):
        KeyringStore("kwallet", Path("i"))


# --- the keyring library's backends (macOS, Windows) behind their adapter -------------------------


class FakeLibraryBackend:
    """Raises the keyring library's own exceptions, as its macOS/Windows backends do."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}
        self.fail: Exception | None = None

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail:
            raise self.fail
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.fail:
            raise self.fail
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.entries:
            raise PasswordDeleteError("not found")
        del self.entries[(service, username)]


def test_keyring_library_adapter_maps_errors_without_values(tmp_path: Path) -> None:
    from keyring.errors import KeyringLocked, PasswordSetError

    backend = FakeLibraryBackend()
    store = KeyringStore("macos", tmp_path / "i.json", impl=KeyringLibraryBackend(backend))
    store.set(KEYS, "k", SECRET)
    assert store.get(KEYS, "k") == SECRET
    store.delete(KEYS, "k")
    store.delete(KEYS, "k")  # PasswordDeleteError for an absent entry: quiet
    backend.fail = PasswordSetError(f"Can't store {SECRET} on keychain")
    with pytest.raises(StoreError) as caught:
        store.set(KEYS, "k", SECRET)
    assert caught.value.reason == "unavailable"
    assert SECRET not in str(caught.value)
    assert caught.value.__suppress_context__
    backend.fail = KeyringLocked("locked")
    with pytest.raises(StoreError) as caught:
        store.get(KEYS, "k")
    assert caught.value.reason == "locked"


def test_only_the_pinned_backend_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A backend that cannot work here is an error, never keyring's fallback chain."""
    store = KeyringStore("windows", tmp_path / "i.json")
    with pytest.raises(StoreError) as caught:
        store.get(KEYS, "k")
    assert caught.value.reason == "unavailable"
    assert "Windows Credential Manager" in str(caught.value)


# --- the Secret Service backend without a Secret Service (in-process; the real one is in e2e) -----


def test_secret_service_without_a_bus(tmp_path: Path) -> None:
    backend = SecretServiceBackend({"XDG_RUNTIME_DIR": str(tmp_path)})
    with pytest.raises(StoreError) as caught:
        backend.get_password(KEYS, "k")
    assert caught.value.reason == "unavailable"
    assert str(caught.value) == ("no desktop keyring is running (Secret Service): DBUS_SESSION_BUS_ADDRESS is "
                                 "not set; use `awsroles setup --store file` on headless machines")


@pytest.mark.parametrize("address", ["unix:path=/nonexistent/bus", "tcp:host=localhost,port=1", "garbage"])
def test_secret_service_with_a_bad_bus_address(address: str) -> None:
    with pytest.raises(StoreError) as caught:
        SecretServiceBackend({"DBUS_SESSION_BUS_ADDRESS": address}).set_password(KEYS, "k", SECRET)
    assert caught.value.reason == "unavailable"
    assert SECRET not in str(caught.value)


@pytest.fixture
def mute_bus(tmp_path: Path) -> Iterator[str]:
    """A Unix socket that completes D-Bus authentication, then never answers: a wedged bus."""
    path = str(tmp_path / "bus")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.settimeout(5)
            data = b""
            while b"BEGIN\r\n" not in data and not stop.is_set():
                chunk_ = connection.recv(1024)
                if not chunk_:
                    return
                data += chunk_
                if b"AUTH" in chunk_:
                    connection.sendall(b"OK 0123456789abcdef0123456789abcdef\r\n")
            stop.wait(5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"unix:path={path}"
    stop.set()
    thread.join(5)
    server.close()


def test_a_wedged_bus_times_out_instead_of_hanging(mute_bus: str) -> None:
    start = time.monotonic()
    with pytest.raises(StoreError) as caught:
        SecretServiceBackend({"DBUS_SESSION_BUS_ADDRESS": mute_bus}, timeout=0.3).get_password(KEYS, "k")
    assert caught.value.reason == "unavailable"
    assert "did not answer within 0.3 s" in str(caught.value)
    assert time.monotonic() - start < 2


# --- encrypted file -------------------------------------------------------------------------------


def test_encrypted_round_trip_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secrets.bin"
    source = passphrase()
    store = EncryptedFileStore(path, source)
    store.set(KEYS, "111111111111/alice", SECRET)
    store.set(SESSIONS, "role/prod/admin", SESSION)
    assert source.calls == 1  # type: ignore[attr-defined]  # derived once per process
    again = EncryptedFileStore(path, passphrase())
    assert again.get(KEYS, "111111111111/alice") == SECRET
    assert again.get(SESSIONS, "role/prod/admin") == SESSION
    raw = path.read_bytes()
    assert SECRET.encode() not in raw and b"TTTT" not in raw


def test_encrypted_permissions(encrypted: EncryptedFileStore, tmp_path: Path) -> None:
    encrypted.set(KEYS, "k", SECRET)
    path = tmp_path / "data" / "secrets.bin"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "secrets.bin.lock").stat().st_mode) == 0o600


def test_an_existing_loose_directory_is_tightened(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    EncryptedFileStore(directory / "secrets.bin", passphrase()).set(KEYS, "k", "v")
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_wrong_passphrase_is_a_clear_error(encrypted: EncryptedFileStore, tmp_path: Path) -> None:
    encrypted.set(KEYS, "k", SECRET)
    wrong = EncryptedFileStore(tmp_path / "data" / "secrets.bin", passphrase("not it"))
    with pytest.raises(StoreError) as caught:
        wrong.get(KEYS, "k")
    error = caught.value
    assert error.reason == "passphrase"
    assert str(error).startswith(f"cannot decrypt {tmp_path / 'data' / 'secrets.bin'}: wrong passphrase?")
    assert "not it" not in str(error) and SECRET not in str(error)
    assert error.__cause__ is None and error.__suppress_context__
    with pytest.raises(StoreError):  # a write must not replace the file it cannot read
        wrong.set(KEYS, "other", SECRET)
    assert encrypted.get(KEYS, "k") == SECRET


def test_wrong_passphrase_asks_again_next_time(encrypted: EncryptedFileStore, tmp_path: Path) -> None:
    encrypted.set(KEYS, "k", "v")
    answers = iter(["wrong", "correct horse battery staple"])
    store = EncryptedFileStore(tmp_path / "data" / "secrets.bin", lambda: next(answers))
    with pytest.raises(StoreError):
        store.get(KEYS, "k")
    assert store.get(KEYS, "k") == "v"


def test_missing_file_and_keys_need_no_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "secrets.bin"
    assert EncryptedFileStore(path, never_asked).get(KEYS, "k") is None
    assert EncryptedFileStore(path, never_asked).keys(KEYS) == []
    EncryptedFileStore(path, passphrase()).set(SESSIONS, "role/dev/developer", SESSION)
    assert EncryptedFileStore(path, never_asked).keys(SESSIONS) == ["role/dev/developer"]


def test_tampering_with_the_names_is_detected(encrypted: EncryptedFileStore, tmp_path: Path) -> None:
    encrypted.set(SESSIONS, "role/dev/developer", SESSION)
    path = tmp_path / "data" / "secrets.bin"
    path.write_bytes(path.read_bytes().replace(b"role/dev/developer", b"role/dev/administr"))
    with pytest.raises(StoreError) as caught:
        EncryptedFileStore(path, passphrase()).get(SESSIONS, "role/dev/developer")
    assert caught.value.reason == "passphrase"  # AES-GCM cannot tell a wrong key from a changed header


@pytest.mark.parametrize("content", [b"", b"garbage", encrypted_module.MAGIC + b"{}\n",
                                     encrypted_module.MAGIC + b'{"log_n": 40, "r": 8, "p": 1}\n'])
def test_a_damaged_file_is_corrupt_not_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "secrets.bin"
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        EncryptedFileStore(path, passphrase()).get(KEYS, "k")
    assert caught.value.reason == "corrupt"


def test_default_scrypt_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """n=2**16, r=8, p=1: 64 MiB, ~0.12 s on the development machine (kept under ~0.3 s)."""
    assert DEFAULT_SCRYPT == (16, 8, 1)
    monkeypatch.setattr(encrypted_module, "SCRYPT_LOG_N", DEFAULT_SCRYPT[0])
    path = tmp_path / "secrets.bin"
    EncryptedFileStore(path, passphrase()).set(KEYS, "k", "v")
    header = json.loads(path.read_bytes().split(b"\n")[1])
    assert (header["log_n"], header["r"], header["p"]) == DEFAULT_SCRYPT
    assert EncryptedFileStore(path, passphrase()).get(KEYS, "k") == "v"  # its cost is a benchmark's, not a test's


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        EncryptedFileStore(tmp_path / "s.bin", lambda: "").set(KEYS, "k", "v")
    assert caught.value.reason == "passphrase"
    assert not (tmp_path / "s.bin").exists()


@pytest.mark.parametrize("failing", ["os.fsync", "os.replace"])
def test_a_crash_while_writing_leaves_the_old_file(encrypted: EncryptedFileStore, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    encrypted.set(KEYS, "k", "old")
    path = tmp_path / "data" / "secrets.bin"
    before = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("simulated crash")

    monkeypatch.setattr(failing, crash)
    with pytest.raises(OSError, match="simulated crash"):
        encrypted.set(KEYS, "k", "new")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["secrets.bin", "secrets.bin.lock"]
    assert EncryptedFileStore(path, passphrase()).get(KEYS, "k") == "old"


def test_symlinked_store_file_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "data").mkdir(mode=0o700)
    link = tmp_path / "data" / "secrets.json"
    link.symlink_to(real / "secrets.json")
    store = PlaintextFileStore(link, i_understand_this_is_plaintext=True)
    store.set(KEYS, "k", "v")
    assert link.is_symlink()
    assert store.get(KEYS, "k") == "v"
    assert (real / "secrets.json").is_file()


# --- plaintext file -------------------------------------------------------------------------------


def test_plaintext_needs_explicit_consent(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="plaintext"):
        PlaintextFileStore(tmp_path / "secrets.json")
    with pytest.raises(UsageError):
        PlaintextFileStore(tmp_path / "secrets.json", i_understand_this_is_plaintext=False)
    assert not (tmp_path / "secrets.json").exists()


def test_plaintext_file(plaintext: PlaintextFileStore, tmp_path: Path) -> None:
    assert "plaintext" in plaintext.name
    plaintext.set(KEYS, "k", SECRET)
    path = tmp_path / "data" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["secrets"] == {KEYS: {"k": SECRET}}
    assert SECRET not in repr(plaintext)


def test_plaintext_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text(f'{{"secrets": "{SECRET}"')
    with pytest.raises(StoreError) as caught:
        PlaintextFileStore(path, i_understand_this_is_plaintext=True).get(KEYS, "k")
    assert caught.value.reason == "corrupt"
    assert SECRET not in str(caught.value)


# --- the passphrase -------------------------------------------------------------------------------


def test_passphrase_from_the_environment_never_prompts() -> None:
    def prompter(_: str) -> str:
        raise AssertionError("prompted")

    assert passphrase_from_env_or_prompt(prompter, environ={"AWSROLES_PASSPHRASE": "pw"}, isatty=lambda: False) == "pw"


def test_passphrase_prompt_only_on_a_terminal() -> None:
    asked: list[str] = []

    def prompter(text: str) -> str:
        asked.append(text)
        return "typed"

    with pytest.raises(StoreError) as caught:
        passphrase_from_env_or_prompt(prompter, environ={}, isatty=lambda: False)
    assert caught.value.reason == "passphrase"
    assert "AWSROLES_PASSPHRASE" in str(caught.value)
    assert asked == []
    assert passphrase_from_env_or_prompt(prompter, environ={}, isatty=lambda: True) == "typed"
    assert asked == ["Passphrase for the awsroles secret store: "]
    with pytest.raises(StoreError):
        passphrase_from_env_or_prompt(None, environ={}, isatty=lambda: True)
    with pytest.raises(StoreError):
        passphrase_from_env_or_prompt(lambda _: "", environ={}, isatty=lambda: True)


# --- open_store -----------------------------------------------------------------------------------


def test_open_store_kinds(tmp_path: Path) -> None:
    memory = open_store("memory", directory=tmp_path)
    assert isinstance(memory, MemoryStore)
    keyring = open_store("keyring", directory=tmp_path, platform="linux")
    assert isinstance(keyring, KeyringStore) and keyring.backend == "secretservice"
    assert keyring.index_path == tmp_path / "keyring-index.json"
    mac = open_store("keyring", directory=tmp_path, platform="darwin")
    assert isinstance(mac, KeyringStore) and mac.backend == "macos"
    win = open_store("keyring:windows", directory=tmp_path)
    assert isinstance(win, KeyringStore) and win.backend == "windows"
    encrypted = open_store("file", directory=tmp_path, environ={"AWSROLES_PASSPHRASE": "pw"})
    assert encrypted.name == f"encrypted file {tmp_path / 'secrets.bin'}"
    encrypted.set(KEYS, "k", "v")
    assert EncryptedFileStore(tmp_path / "secrets.bin", lambda: "pw").get(KEYS, "k") == "v"
    plain = open_store("plaintext", directory=tmp_path)
    assert isinstance(plain, PlaintextFileStore) and "plaintext" in plain.name
    assert list(tmp_path.iterdir()) == [tmp_path / "secrets.bin", tmp_path / "secrets.bin.lock"]
    with pytest.raises(UsageError, match="unknown secret store"):
        open_store("vault", directory=tmp_path)
    with pytest.raises(UsageError):
        open_store("keyring:kwallet", directory=tmp_path)


def test_open_file_store_without_passphrase_or_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115
    store = open_store("file", directory=tmp_path, prompter=lambda _: "typed", environ={})
    store.get(KEYS, "k")  # no file yet: no passphrase needed
    with pytest.raises(StoreError) as caught:
        store.set(KEYS, "k", "v")
    assert caught.value.reason == "passphrase"
    sys.stdin.close()


@pytest.mark.parametrize(("platform", "backend"), [("linux", "secretservice"), ("darwin", "macos"),
                                                   ("win32", "windows"), ("freebsd14", "secretservice")])
def test_platform_keyring(platform: str, backend: str) -> None:
    assert platform_keyring(platform) == backend


def test_store_error_has_its_own_exit_code() -> None:
    error = StoreError("the keyring is locked", "locked")
    assert error.exit_code == ExitCode.STORE
    assert error.reason == "locked"
