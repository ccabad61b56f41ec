"""botocore sessions, cheap to make: one loader of service models per process
(:func:`_shared_loader`), builtin event handlers copied instead of registered again
(:func:`_botocore_session`), one service model and one client class per service
(:func:`_service_model`, :func:`_client_class`), one cache of aliased event names
(:func:`_shared_aliases`), and
:class:`Session`, the part of ``boto3.Session`` awsroles uses (:mod:`awsroles.aws` builds every
session and client through these)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import botocore
import botocore.client
import botocore.hooks
import botocore.loaders
import botocore.model
import botocore.session
import botocore.utils


class _ServiceNames(Sequence[str]):
    """What ``Loader.list_available_services`` answers, for the one question botocore asks of it
    when it makes a client (is this service known?) answered by looking in that service's own
    folder; the whole list is made only if something reads it."""

    def __init__(self, loader: _Loader, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except botocore.exceptions.DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        names: list[str] = botocore.loaders.Loader.list_available_services(self._loader, self._type_name)
        return names

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


class _Loader(botocore.loaders.Loader):  # type: ignore[misc]  # botocore has no type hints
    """botocore's data loader, except that checking a service's name before loading its model
    looks in that service's folder instead of listing all ~400 services' folders (a few thousand
    directory reads: ~50 ms of CPU in every process that makes a client)."""

    def list_available_services(self, type_name: str) -> Sequence[str]:
        return _ServiceNames(self, type_name)


class _SharedTrie(botocore.hooks._PrefixTrie):  # type: ignore[misc]  # botocore has no type hints
    """botocore's trie of event handlers, copied in constant time: a copy shares every node with its
    original, and each side copies the nodes on a key's path before it changes them (path copying).

    botocore copies the whole trie (every builtin handler of every service, ~800 nodes) for each
    session and again for each client, which then registers a few handlers of its own: ~2 ms of
    CPU per copy and as many objects for the garbage collector, for tries that are read far more
    than they are changed. Reads (``prefix_search``) see exactly what a whole copy would hold."""

    def __init__(self, root: dict[str, Any] | None = None) -> None:
        super().__init__()
        if root is not None:
            self._root = root
        self._owned: set[int] = {id(self._root)} if root is None else set()  # nodes only this trie holds

    def __copy__(self) -> _SharedTrie:
        self._owned = set()  # every node is now shared: each side copies the ones it changes
        return _SharedTrie(self._root)

    def _own(self, node: dict[str, Any]) -> dict[str, Any]:
        if id(node) in self._owned:
            return node
        values = node["values"]
        mine = {"chunk": node["chunk"], "children": dict(node["children"]),
                "values": copy.copy(values) if values is not None else None}
        self._owned.add(id(mine))
        return mine

    def _writable(self, key: str, *, create: bool) -> None:
        """Make the nodes on ``key``'s path this trie's own (made, with ``create``, where missing)."""
        self._root = current = self._own(self._root)
        for part in key.split("."):
            child = current["children"].get(part)
            if child is None:
                if not create:
                    return
                child = {"chunk": part, "values": None, "children": {}}
                self._owned.add(id(child))
            else:
                child = self._own(child)
            current["children"][part] = current = child

    def append_item(self, key: str, value: Any, section: int = botocore.hooks._MIDDLE) -> None:
        self._writable(key, create=True)
        super().append_item(key, value, section)

    def remove_item(self, key: str, value: Any) -> None:
        self._writable(key, create=False)
        super().remove_item(key, value)


_ALIASED: dict[str, str] = {}  # event name -> its name under botocore's own aliases: see _aliaser_init
_aliaser_init = botocore.hooks.EventAliaser.__init__


def _shared_aliases(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
    """botocore's ``EventAliaser.__init__``, with one cache of aliased event names per process for
    every aliaser of botocore's own aliases, instead of an empty one per session and client.

    An event's aliased name depends only on the name and the aliases (``EVENT_ALIASES``, which
    botocore never changes); working it out loops over every alias, so each new client paid it
    again for each event it sends (~5% of the CPU of the in-process tests). An aliaser given other
    aliases keeps a cache of its own."""
    _aliaser_init(self, event_emitter, event_aliases)
    if self._event_aliases == botocore.hooks.EVENT_ALIASES:
        self._alias_name_cache = _ALIASED


botocore.hooks.EventAliaser.__init__ = _shared_aliases

_TEMPLATE: list[Any] = []  # botocore's builtin event handlers, registered once: see _botocore_session


def _botocore_session(profile: str | None = None) -> botocore.session.Session:
    """A new botocore session whose builtin event handlers are a copy of a set registered once per
    process, instead of registered again (botocore's ``Session()`` does that, ~10 ms of CPU; with a
    role session per account, a tenth of a plan's CPU at 60 accounts, and the same over again for
    each client's first use). The copy is what botocore itself gives each client
    (``HierarchicalEmitter.__copy__``), of a trie that copies only what it changes (:class:`_SharedTrie`);
    the template never gets a hook: hooks go on each session."""
    with _LOADERS_LOCK:
        if not _TEMPLATE:
            emitter = getattr(botocore.session.Session(), "_original_handler", None)
            if isinstance(getattr(emitter, "_handlers", None), botocore.hooks._PrefixTrie):
                emitter._handlers = _SharedTrie(emitter._handlers._root)  # type: ignore[union-attr]
            _TEMPLATE.append(emitter)
    emitter = _TEMPLATE[0]
    if emitter is None:  # a botocore laid out differently: its own way
        session = botocore.session.Session(profile=profile)
    else:
        session = botocore.session.Session(event_hooks=copy.copy(emitter), include_builtin_handlers=False,
                                           profile=profile)
    # botocore's documented hook for how responses' timestamps are read (ResponseParserFactory)
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
    return session


def _timestamp(value: Any) -> Any:
    """A response's timestamp, as botocore's own parser reads it, ISO 8601 with a zone (what IAM and
    most query and XML services answer: ``2026-11-30T10:00:00Z``) read by ``datetime.fromisoformat``
    (0.3 microseconds against botocore's 60-90, which goes through ``dateutil``: a plan of 300
    accounts reads thousands of them). Anything else (epoch seconds, RFC 822, a time without a zone,
    which botocore reads in the local zone) goes to botocore's parser, unchanged."""
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T":
        try:
            parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return botocore.utils.parse_timestamp(value)


_LOADERS: dict[Any, Any] = {}  # botocore's data loader, one per data path: see _shared_loader
_LOADERS_LOCK = threading.Lock()


def _shared_loader(session: botocore.session.Session) -> Any:
    """Make ``session`` read AWS's service models through this process's one loader, and return it.

    A botocore session reads the models (JSON files, the IAM one alone ~1 MB) through its own
    loader, which parses each once: a new session would parse them all again, ~0.1-0.2 s of CPU
    for its first client. The loaded data is only read, so every session here shares one loader
    (one per ``data_path`` setting, which decides where models are looked up)."""
    key = session.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(key)
        if loader is None:
            loader = _LOADERS[key] = session.get_component("data_loader")
            if type(loader) is botocore.loaders.Loader:
                loader.__class__ = _Loader  # the same object, state and caches: see _Loader
    if session.get_component("data_loader") is not loader:
        session.register_component("data_loader", loader)
    return loader


_MODELS: dict[tuple[str, int], tuple[Any, Any]] = {}  # see _service_model


def _service_model(creator: Any, service_name: str, api_version: str | None = None) -> Any:
    """botocore's ``ClientCreator._load_service_model``, one ``ServiceModel`` per service's parsed
    data instead of one per client.

    A ``ServiceModel`` only reads that data and caches what it derives from it (operation and
    shape models); a new one per client derives it all again: botocore's endpoint discovery check
    alone makes the model of every operation of the service (about 170 for IAM) when each client
    is made. The data is the shared loader's (:func:`_shared_loader`), the same object for a
    service, so its model is made once."""
    description = creator._loader.load_service_model(service_name, "service-2", api_version=api_version)
    key = (service_name, id(description))
    cached = _MODELS.get(key)
    if cached is not None and cached[0] is description:
        return cached[1]
    model = botocore.model.ServiceModel(description, service_name=service_name)
    _MODELS[key] = (description, model)  # the description held: its id is never reused
    return model


_CLASSES: dict[tuple[str, int], tuple[Any, tuple[Any, ...], type]] = {}  # see _client_class
_make_client_class = botocore.client.ClientCreator._create_client_class


def _client_class(creator: Any, service_name: str, service_model: Any) -> type:
    """botocore's ``ClientCreator._create_client_class``, made once per service model and reused.

    botocore builds a new class for every client: a method, an operation model and a docstring for
    each of the service's operations (IAM has about 170), ~5 ms of CPU and ~10,000 objects left in
    reference cycles for the garbage collector, again for each account's client. The class only
    depends on the service model (the same parsed data, from the one shared loader) and on the
    handlers of ``creating-client-class`` (which may add methods): with both the same objects as
    when it was made, the class made then is the class botocore would make now. Anything else
    (another loader's data, a hook of its own) gets a class of its own, as before."""
    try:
        description = service_model._service_description
        emitter = creator._event_emitter
        event = emitter._alias_event_name(f"creating-client-class.{service_model.service_id.hyphenize()}")
        handlers = tuple(emitter._emitter._handlers.prefix_search(event))
    except AttributeError:  # a botocore laid out differently: its own way
        return _make_client_class(creator, service_name, service_model)  # type: ignore[no-any-return]
    key = (service_name, id(description))
    cached = _CLASSES.get(key)
    if cached is not None and cached[0] is description and len(cached[1]) == len(handlers) and all(
            a is b for a, b in zip(cached[1], handlers, strict=True)):
        return cached[2]
    made: type = _make_client_class(creator, service_name, service_model)
    _CLASSES[key] = (description, handlers, made)  # the description held: its id is never reused
    return made


botocore.client.ClientCreator._load_service_model = _service_model
botocore.client.ClientCreator._create_client_class = _client_class


class Session:
    """A botocore session with its region: the part of ``boto3.Session`` awsroles uses, without
    importing boto3. ``client`` builds clients exactly as ``boto3.Session.client`` does (botocore's
    ``create_client`` in the session's region)."""

    def __init__(self, botocore_session: botocore.session.Session | None = None, *, region_name: str | None = None,
                 profile_name: str | None = None, aws_access_key_id: str | None = None,
                 aws_secret_access_key: str | None = None, aws_session_token: str | None = None) -> None:
        self._session = botocore_session or _botocore_session(profile_name)
        if aws_access_key_id or aws_secret_access_key or aws_session_token:
            self._session.set_credentials(aws_access_key_id, aws_secret_access_key, aws_session_token)
        if region_name is not None:
            self._session.set_config_variable("region", region_name)

    @property
    def region_name(self) -> str | None:
        region = self._session.get_config_variable("region")
        return str(region) if region else None

    @property
    def botocore_session(self) -> botocore.session.Session:
        return self._session

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.create_client(service, **kwargs)

    def get_credentials(self) -> Any:
        """The session's credentials (botocore's), as ``boto3.Session.get_credentials``."""
        return self._session.get_credentials()
