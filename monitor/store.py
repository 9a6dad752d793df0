"""Redis: document state, source state, the alert stream, channels and keywords.

This module owns every key and channel name (all built from the prefix):

    <p>:stream            stream, field ``alert``: the durable alert log (XADD, approximate MAXLEN)
    <p>:alerts            channel: every alert
    <p>:source:<name>     channel: the alerts of one source
    <p>:term:<keyword>    channel: the alerts whose ``terms`` name that keyword
    <p>:control           channel: announcements (keywords changed, sources reloaded)
    <p>:keywords          hash: keyword name → {"query", "language"} JSON
    <p>:src:<name>        hash: a source's poll state (validators, body hash, item hashes, counters)
    <p>:docs:<name>       hash: document id → committed DocState JSON
    <p>:order:<name>      sorted set: document id → first-seen sequence (to forget the oldest)
    <p>:sources           set: names of the sources ever polled

A poll's alerts, their PUBLISHes and the new document and source state go in one MULTI/EXEC:
either all of it happens or none, so a crash or an outage can neither lose an alert nor publish
the same change twice (the next poll diffs against the old state and finds the same changes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from monitor.errors import StoreError
from monitor.models import BlockState, DocState
from monitor.query import KeywordSpec

MAX_DOCS = 5000  # documents remembered per source; feeds drop items long before this
_BLOCK_FIELDS = tuple(f.name for f in fields(BlockState))


@dataclass(frozen=True, slots=True)
class Keys:
    """Every key and channel name, from the prefix."""

    prefix: str

    @property
    def stream(self) -> str:
        return f"{self.prefix}:stream"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}:alerts"

    @property
    def control(self) -> str:
        return f"{self.prefix}:control"

    @property
    def keywords(self) -> str:
        return f"{self.prefix}:keywords"

    @property
    def sources(self) -> str:
        return f"{self.prefix}:sources"

    def source_channel(self, name: str) -> str:
        return f"{self.prefix}:source:{name}"

    def term_channel(self, name: str) -> str:
        return f"{self.prefix}:term:{name}"

    def source_state(self, name: str) -> str:
        return f"{self.prefix}:src:{name}"

    def docs(self, name: str) -> str:
        return f"{self.prefix}:docs:{name}"

    def order(self, name: str) -> str:
        return f"{self.prefix}:order:{name}"


@dataclass(frozen=True, slots=True)
class SourceState:
    """What is remembered of a source between polls."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    item_hashes: frozenset[str] = frozenset()
    baselined: bool = False
    polls: int = 0
    alerts: int = 0
    last_poll: str | None = None
    last_status: str | None = None
    last_http: int | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    last_ok: str | None = None
    documents: int = 0
    raw: Mapping[str, str] = field(default_factory=dict)  # every field, for other stages' records


@dataclass(frozen=True, slots=True)
class Commit:
    """Everything one poll of one source writes, atomically."""

    source: str
    states: Sequence[DocState] = ()
    alerts: Sequence[Mapping[str, Any]] = ()
    fields: Mapping[str, str] = field(default_factory=dict)  # source-state fields to set
    cleared: Sequence[str] = ()  # source-state fields to delete


def encode_state(state: DocState) -> str:
    """DocState → compact JSON."""
    # By hand rather than dataclasses.asdict, which deep-copies every field (a hot spot).
    data = {
        "id": state.id,
        "url": state.url,
        "title": state.title,
        "blocks": [{f: getattr(b, f) for f in _BLOCK_FIELDS} for b in state.blocks],
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_state(raw: str | bytes) -> DocState:
    """JSON → DocState; raises StoreError on a malformed record."""
    try:
        data = json.loads(raw)
        blocks = tuple(BlockState(**b) for b in data.pop("blocks"))
        return DocState(blocks=blocks, **data)
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"malformed document state in Redis: {exc}") from exc


def alert_channels(keys: Keys, alert: Mapping[str, Any]) -> list[str]:
    """The channels one alert is published on."""
    channels = [keys.alerts, keys.source_channel(str(alert["source"]))]
    channels += [keys.term_channel(t["name"]) for t in alert.get("terms", ())]
    return channels


class Store:
    """State, stream, channels and keywords in one Redis, under one prefix."""

    def __init__(self, client: aioredis.Redis, prefix: str, stream_maxlen: int = 100_000) -> None:
        self.redis = client
        self.keys = Keys(prefix)
        self.stream_maxlen = stream_maxlen

    async def ping(self) -> None:
        """Raise StoreError unless Redis answers."""
        await self._call(self.redis.ping())

    async def load_source(self, name: str) -> SourceState:
        """The source's poll state (a fresh one for a source never polled)."""
        raw: dict[str, str] = await self._call(self.redis.hgetall(self.keys.source_state(name)))
        return _source_state(raw)

    async def load_docs(self, name: str, ids: Sequence[str]) -> dict[str, DocState]:
        """The committed states of the given documents that exist."""
        if not ids:
            return {}
        values = await self._call(self.redis.hmget(self.keys.docs(name), list(ids)))
        return {i: decode_state(v) for i, v in zip(ids, values, strict=True) if v is not None}

    async def commit(self, commit: Commit) -> None:
        """Write a poll's alerts, publishes and new state in one MULTI/EXEC."""
        k = self.keys
        pipe = self.redis.pipeline(transaction=True)
        if commit.states:
            docs = {s.id: encode_state(s) for s in commit.states}
            pipe.hset(k.docs(commit.source), mapping=docs)  # type: ignore[arg-type]
            seq = time.time_ns()
            pipe.zadd(k.order(commit.source), dict.fromkeys(docs, seq), nx=True)
        for alert in commit.alerts:
            payload = json.dumps(alert, ensure_ascii=False, separators=(",", ":"))
            pipe.xadd(k.stream, {"alert": payload}, maxlen=self.stream_maxlen, approximate=True)
            for channel in alert_channels(k, alert):
                pipe.publish(channel, payload)
        fields = dict(commit.fields)
        if fields:
            pipe.hset(k.source_state(commit.source), mapping=fields)  # type: ignore[arg-type]
        if commit.cleared:
            pipe.hdel(k.source_state(commit.source), *commit.cleared)
        pipe.hincrby(k.source_state(commit.source), "polls", 1)
        if commit.alerts:
            pipe.hincrby(k.source_state(commit.source), "alerts", len(commit.alerts))
        pipe.sadd(k.sources, commit.source)
        pipe.zcard(k.order(commit.source))
        results = await self._call(pipe.execute())
        if int(results[-1]) > MAX_DOCS:
            await self._forget_oldest(commit.source, int(results[-1]) - MAX_DOCS)

    async def _forget_oldest(self, source: str, count: int) -> None:
        oldest = await self._call(self.redis.zpopmin(self.keys.order(source), count))
        ids = [member for member, _score in oldest]
        if ids:
            await self._call(self.redis.hdel(self.keys.docs(source), *ids))

    async def record(
        self, source: str, fields: Mapping[str, str], cleared: Iterable[str] = ()
    ) -> None:
        """Update a source's poll state without alerts (a 304, an unchanged body, a failure)."""
        await self.commit(Commit(source, fields=fields, cleared=tuple(cleared)))

    async def source_names(self) -> list[str]:
        """Every source that was ever polled."""
        names: set[str] = await self._call(self.redis.smembers(self.keys.sources))
        return sorted(names)

    async def document_count(self, source: str) -> int:
        """How many documents of a source are remembered."""
        return int(await self._call(self.redis.hlen(self.keys.docs(source))))

    # Keywords -----------------------------------------------------------------------------

    async def keywords(self) -> list[KeywordSpec]:
        """The watched keywords, by name."""
        raw: dict[str, str] = await self._call(self.redis.hgetall(self.keys.keywords))
        specs = []
        for name, value in sorted(raw.items()):
            try:
                data = json.loads(value)
                specs.append(
                    KeywordSpec(name, str(data["query"]), str(data.get("language", "english")))
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"malformed keyword {name!r} in Redis: {exc}") from exc
        return specs

    async def put_keywords(self, specs: Iterable[KeywordSpec], *, announce: str = "set") -> None:
        """Store keywords (replacing same-named ones) and announce it on the control channel."""
        mapping = {s.name: json.dumps({"query": s.query, "language": s.language}) for s in specs}
        if not mapping:
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.keywords, mapping=mapping)  # type: ignore[arg-type]
        pipe.publish(self.keys.control, _event("keywords", announce, sorted(mapping)))
        await self._call(pipe.execute())

    async def remove_keyword(self, name: str) -> bool:
        """Remove a keyword; False if there was none of that name."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(self.keys.keywords, name)
        pipe.publish(self.keys.control, _event("keywords", "remove", [name]))
        removed, _ = await self._call(pipe.execute())
        return bool(removed)

    async def announce(self, event: str, action: str, names: Sequence[str] = ()) -> None:
        """Publish a control announcement."""
        await self._call(self.redis.publish(self.keys.control, _event(event, action, names)))

    # The stream ---------------------------------------------------------------------------

    async def last_alerts(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        """The newest ``count`` alerts, oldest first, with their stream ids."""
        if count <= 0:
            return []
        entries = await self._call(self.redis.xrevrange(self.keys.stream, count=count))
        return [(eid, _alert_of(fields)) for eid, fields in reversed(entries)]

    async def read_alerts(
        self, after: str, block_ms: int = 1000, count: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        """Alerts after stream id ``after`` ("$" for only new ones), waiting up to block_ms."""
        reply = await self._call(
            self.redis.xread({self.keys.stream: after}, count=count, block=block_ms)
        )
        out = []
        for _stream, entries in reply or []:
            out += [(eid, _alert_of(fields)) for eid, fields in entries]
        return out

    async def last_stream_id(self) -> str:
        """The id of the newest stream entry, or "0-0" for an empty stream."""
        entries = await self._call(self.redis.xrevrange(self.keys.stream, count=1))
        return str(entries[0][0]) if entries else "0-0"

    async def _call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except RedisError as exc:
            raise StoreError(f"Redis: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"Redis unreachable: {exc}") from exc


def _event(event: str, action: str, names: Sequence[str]) -> str:
    return json.dumps({"event": event, "action": action, "names": list(names)})


def _alert_of(fields: Mapping[str, str]) -> dict[str, Any]:
    try:
        value = json.loads(fields["alert"])
    except (KeyError, ValueError) as exc:
        raise StoreError(f"malformed stream entry: {exc}") from exc
    if not isinstance(value, dict):
        raise StoreError("malformed stream entry: alert is not a JSON object")
    return value


def _source_state(raw: Mapping[str, str]) -> SourceState:
    def num(key: str) -> int:
        try:
            return int(raw.get(key, 0))
        except ValueError:
            return 0

    http = raw.get("last_http")
    return SourceState(
        etag=raw.get("etag") or None,
        last_modified=raw.get("last_modified") or None,
        body_hash=raw.get("body_hash") or None,
        item_hashes=frozenset(json.loads(raw["item_hashes"]))
        if raw.get("item_hashes")
        else frozenset(),
        baselined=raw.get("baselined") == "1",
        polls=num("polls"),
        alerts=num("alerts"),
        last_poll=raw.get("last_poll"),
        last_status=raw.get("last_status"),
        last_http=int(http) if http and http.isdigit() else None,
        last_error=raw.get("last_error") or None,
        last_error_at=raw.get("last_error_at") or None,
        last_ok=raw.get("last_ok") or None,
        raw=dict(raw),
    )


MAX_CONNECTIONS = 64


def connect(url: str, max_connections: int = MAX_CONNECTIONS) -> aioredis.Redis:
    """A client for ``url`` (redis://, rediss:// or unix://) that speaks str.

    The pool blocks when all its connections are busy instead of failing: a thousand polls
    starting at once wait their turn for one of ``max_connections``.
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        max_connections=max_connections,
        timeout=60,
    )
    return aioredis.Redis.from_pool(pool)


def redact(url: str) -> str:
    """The URL with any password replaced, fit for logs and messages."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user + ':' if user else ''}***@{host}"
