"""awsroles.aws: sessions cheap to make (botocore's builtin handlers copied, not registered again),
and accounts reached in parallel, each through one AssumeRole (issue 20: plans of hundreds of
accounts). moto in-process answers STS."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import botocore.handlers
import botocore.session
import pytest
from moto import mock_aws

from awsroles.aws import Aws, AwsSettings, _botocore_session

# Every event botocore registers a builtin handler for (a wildcard made a name).
EVENTS = sorted({spec[0].replace("*", "AnyName") for spec in botocore.handlers.BUILTIN_HANDLERS})


def _handlers(session: botocore.session.Session, event: str) -> list[Any]:
    emitter = session.get_component("event_emitter")
    return list(emitter._emitter._handlers.prefix_search(event))


def test_a_new_session_has_botocores_builtin_handlers_and_no_other_sessions_hooks() -> None:
    plain = botocore.session.Session()
    ours = _botocore_session()
    found = 0
    for event in EVENTS:
        assert _handlers(ours, event) == _handlers(plain, event), event
        found += len(_handlers(ours, event))
    assert found >= len(EVENTS)  # the lists compared are not empty ones

    def hook(**_: Any) -> None: ...

    ours.register("before-send", hook)
    assert hook in _handlers(ours, "before-send.iam.GetRole")
    for other in (_botocore_session(), _botocore_session()):
        assert hook not in _handlers(other, "before-send.iam.GetRole")
        assert _handlers(other, "before-send.iam.GetRole") == _handlers(plain, "before-send.iam.GetRole")


def test_a_session_made_so_takes_its_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert _botocore_session("audit").get_config_variable("region") == "eu-central-1"


class AssumeRoles:
    """Counts the AssumeRole calls by account; holds those of one account until released."""

    def __init__(self, held: str = "") -> None:
        self.by_account: Counter[str] = Counter()
        self.held, self.waiting, self.release = held, threading.Event(), threading.Event()
        self.lock = threading.Lock()

    def install(self, session: botocore.session.Session) -> None:
        session.register("before-send.sts.AssumeRole", self.before_send)

    def before_send(self, request: Any, **_: Any) -> None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        account = parse_qs(body)["RoleArn"][0].split(":")[4]
        with self.lock:
            self.by_account[account] += 1
        if account == self.held:
            self.waiting.set()
            assert self.release.wait(30), "never released"


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


ACCOUNTS = [f"{222222222222 + n}" for n in range(6)]


def _aws(calls: AssumeRoles) -> Aws:
    return Aws.with_keys(AwsSettings(region="us-east-1"), "AKIAEXAMPLE", "secret", hooks=(calls.install,))


def test_each_account_is_assumed_once_whatever_the_threads_asking(sts: None) -> None:
    calls = AssumeRoles()
    aws = _aws(calls)
    got: dict[str, set[int]] = {a: set() for a in ACCOUNTS}
    lock = threading.Lock()

    def reach(account: str) -> None:
        session = aws.for_account(account, "bootstrap")
        with lock:
            got[account].add(id(session))

    threads = [threading.Thread(target=reach, args=(a,)) for _ in range(4) for a in ACCOUNTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert calls.by_account == Counter({a: 1 for a in ACCOUNTS})
    assert all(len(ids) == 1 for ids in got.values())  # one session per account, whoever asked
    identity = aws.client("sts", aws.for_account(ACCOUNTS[2], "bootstrap")).get_caller_identity()
    assert identity["Account"] == ACCOUNTS[2] and ":assumed-role/bootstrap/awsroles" in identity["Arn"]


def test_an_account_slow_to_answer_holds_up_no_other(sts: None) -> None:
    slow, other = ACCOUNTS[0], ACCOUNTS[1]
    calls = AssumeRoles(held=slow)
    aws = _aws(calls)
    aws.whoami()
    waiting = threading.Thread(target=aws.for_account, args=(slow, "bootstrap"))
    waiting.start()
    try:
        assert calls.waiting.wait(30)  # the slow account's AssumeRole is in flight, and held
        done = threading.Event()
        threading.Thread(target=lambda: (aws.for_account(other, "bootstrap"), done.set())).start()
        assert done.wait(30), "another account waited for the slow one's AssumeRole"
    finally:
        calls.release.set()
        waiting.join(30)
    assert calls.by_account == Counter({slow: 1, other: 1})


def _client(key: str, service: str = "iam", *, hook: Any = None) -> Any:
    from awsroles.aws.sessions import Session, _shared_loader

    session = Session(region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key="secret")
    _shared_loader(session.botocore_session)  # as every session awsroles.aws makes
    if hook is not None:
        session.botocore_session.register("creating-client-class.iam", hook)
    return session.client(service)


def test_clients_of_one_service_share_its_model_and_class_and_keep_their_own_credentials(sts: None) -> None:
    first, second = _client("AKIAFIRSTEXAMPLE00"), _client("AKIASECONDEXAMPLE0")
    assert type(first) is type(second)  # made once, not once per client (~170 IAM operations)
    assert first.meta.service_model is second.meta.service_model
    assert type(first) is not type(_client("AKIAFIRSTEXAMPLE00", "sts"))
    for client, key in ((first, "AKIAFIRSTEXAMPLE00"), (second, "AKIASECONDEXAMPLE0")):
        assert client._request_signer._credentials.access_key == key
        client.create_user(UserName=f"user-{key[-6:]}")
        assert client.get_user(UserName=f"user-{key[-6:]}")["User"]["UserName"] == f"user-{key[-6:]}"
    # Each client has its own handlers: a hook on one is not on the other.
    seen: list[str] = []
    first.meta.events.register("before-send.iam.ListUsers", lambda **_: seen.append("first"))
    second.list_users()
    first.list_users()
    assert seen == ["first"]


def test_a_session_with_its_own_class_hook_gets_a_class_of_its_own(sts: None) -> None:
    def add_method(class_attributes: dict[str, Any], **_: Any) -> None:
        class_attributes["awsroles_probe"] = lambda self: "probed"

    plain = _client("AKIAFIRSTEXAMPLE00")
    hooked = _client("AKIASECONDEXAMPLE0", hook=add_method)
    assert hooked.awsroles_probe() == "probed"
    assert type(hooked) is not type(plain) and not hasattr(plain, "awsroles_probe")
    assert not hasattr(_client("AKIAFIRSTEXAMPLE00"), "awsroles_probe")  # the plain class is still the plain one


KEYS = ["before-send", "before-send.iam", "before-send.iam.GetRole", "before-send.*.GetRole", "after-call.sts",
        "before-send.iam.ListRoles"]


def test_tries_copied_in_constant_time_hold_what_whole_copies_would() -> None:
    """Random registrations and removals on a trie and on its copies (and copies of copies): each
    answers every search as botocore's own trie would after the same steps, copied whole."""
    import copy
    import random

    from botocore.hooks import _PrefixTrie

    from awsroles.aws.sessions import _SharedTrie

    rng = random.Random(20)
    for _ in range(60):
        plain: list[Any] = [_PrefixTrie()]
        shared: list[Any] = [_SharedTrie()]
        held: list[list[tuple[str, int]]] = [[]]
        for step in range(40):
            i = rng.randrange(len(plain))
            roll = rng.random()
            if roll < 0.2:  # a copy of trie i
                plain.append(copy.copy(plain[i]))
                shared.append(copy.copy(shared[i]))
                held.append(list(held[i]))
            elif roll < 0.35 and held[i]:  # a removal
                key, value = held[i].pop(rng.randrange(len(held[i])))
                plain[i].remove_item(key, value)
                shared[i].remove_item(key, value)
            else:
                key, value, section = rng.choice(KEYS), step, rng.randrange(3)
                plain[i].append_item(key, value, section)
                shared[i].append_item(key, value, section)
                held[i].append((key, value))
            for p, s in zip(plain, shared, strict=True):
                for key in [*KEYS, "before-send.iam.GetRole", "before-send.sts.GetRole", "nothing.here"]:
                    assert list(s.prefix_search(key)) == list(p.prefix_search(key))
        with pytest.raises(ValueError):
            shared[0].remove_item("not.a.key", 1)


def test_a_hook_on_a_client_or_session_stays_there() -> None:
    session = _botocore_session()
    plain = botocore.session.Session()
    client = session.create_client("iam", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")

    def on_client(**_: Any) -> None: ...

    def on_session(**_: Any) -> None: ...

    client.meta.events.register("before-send.iam", on_client)
    session.register("before-send.iam", on_session)
    later = session.create_client("iam", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    assert on_client in list(client.meta.events._emitter._handlers.prefix_search("before-send.iam.GetRole"))
    assert on_session not in list(client.meta.events._emitter._handlers.prefix_search("before-send.iam.GetRole"))
    assert on_session in _handlers(session, "before-send.iam.GetRole")
    assert on_client not in _handlers(session, "before-send.iam.GetRole")
    assert on_session in list(later.meta.events._emitter._handlers.prefix_search("before-send.iam.GetRole"))
    fresh = _botocore_session()
    assert _handlers(fresh, "before-send.iam.GetRole") == _handlers(plain, "before-send.iam.GetRole")


def test_aliased_event_names_are_worked_out_once_per_process_and_as_botocore_does() -> None:
    from botocore.hooks import EVENT_ALIASES, EventAliaser, HierarchicalEmitter

    from awsroles.aws.sessions import _ALIASED

    first, second = _client("AKIAFIRSTEXAMPLE00"), _client("AKIASECONDEXAMPLE0")
    assert first.meta.events._alias_name_cache is second.meta.events._alias_name_cache is _ALIASED
    # The names are botocore's: an old service name (its alias) goes to the new one, others stay.
    old, new = next((o, n) for o, n in EVENT_ALIASES.items() if "." not in o)
    assert first.meta.events._alias_event_name(f"before-call.{old}.Thing") == f"before-call.{new}.Thing"
    assert _ALIASED[f"before-call.{old}.Thing"] == f"before-call.{new}.Thing"
    assert second.meta.events._alias_event_name("before-call.iam.GetRole") == "before-call.iam.GetRole"
    # An aliaser of other aliases keeps its own cache, and its own answers.
    own = EventAliaser(HierarchicalEmitter(), {"iam": "identity"})
    assert own._alias_name_cache is not _ALIASED
    assert own._alias_event_name("before-call.iam.GetRole") == "before-call.identity.GetRole"
    assert _ALIASED.get("before-call.iam.GetRole") == "before-call.iam.GetRole"


@pytest.mark.parametrize("value", [
    "2026-11-30T10:00:00Z", "2026-11-30T10:00:00.123Z", "2026-11-30T10:00:00.123456Z",
    "2026-11-30T10:00:00+00:00", "2026-11-30T12:00:00+02:00", "2026-11-30T10:00:00.1234567Z",
    "2026-11-30T10:00:00", "Mon, 30 Nov 2026 10:00:00 GMT", "1790762400", 1790762400, 1790762400.5,
])
def test_timestamps_are_read_as_botocore_reads_them(value: object) -> None:
    """The same instant and offset as botocore's own parser, for every form AWS answers with; ISO 8601
    with a zone without dateutil, the rest by botocore itself."""
    from botocore.utils import parse_timestamp

    from awsroles.aws.sessions import _timestamp

    ours, theirs = _timestamp(value), parse_timestamp(value)
    assert ours == theirs and ours.utcoffset() == theirs.utcoffset()


def test_every_session_reads_iso_timestamps_without_dateutil(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client's response parser gets the session's timestamp parser: a response's ISO 8601 time
    never reaches botocore's (dateutil) parser."""
    from datetime import timezone

    import botocore.utils

    from awsroles.aws.sessions import _botocore_session

    def refused(value: object) -> object:
        raise AssertionError(f"botocore's parser was asked for {value!r}")

    monkeypatch.setattr(botocore.utils, "parse_timestamp", refused)
    session = _botocore_session()
    parser = session.get_component("response_parser_factory").create_parser("query")
    shape = botocore.model.Shape("CreateDate", {"type": "timestamp"})
    parsed = parser._handle_timestamp(shape, "2026-11-30T10:00:00Z")
    assert parsed.tzinfo == timezone.utc and parsed.hour == 10
