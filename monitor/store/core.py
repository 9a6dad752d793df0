"""Redis: document and source state, the alert stream, channels, keywords and sources.

A poll's alerts, their PUBLISHes, the new document and source state and the source's next due
time go in one atomic script (a big poll in a few, ``pieces``, each a document's state with its
alerts): either all of it happens or none, so a crash or an outage can neither lose an alert
nor publish the same change twice (the next poll diffs against the old state and finds the
same changes). The script runs only while the poll's lease holds, so two daemons never commit
the same change. Loads and commits of polls that run at the same moment
are grouped into one pipeline round trip (``group.Grouped``).
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from monitor.errors import StoreError
from monitor.models import DocState
from monitor.query import KeywordSpec
from monitor.store.consumer import Consumer
from monitor.store.digests import Digests
from monitor.store.group import Grouped
from monitor.store.keys import Keys
from monitor.store.pieces import PIECE, pieces
from monitor.store.records import (
    Commit,
    Pending,
    SourceState,
    decode_state,
    encode_state,
    source_state,
)
from monitor.store.schedule import Schedule
from monitor.store.scripts import COMMIT_SCRIPT, HELD_SCRIPT, call, checked, run_many
from monitor.store.storylog import StoryLog

MAX_DOCS = 5000  # documents remembered per source; feeds drop items long before this
RECENT_HOURS = 24  # the window of the alerts counted by ``activity``
_CHUNK = 500  # field pairs per HSET/ZADD in a script (Lua's unpack has a stack limit)
HELD_CHUNK = 1000  # sources per call of the script: each call blocks Redis for about 1 ms


def alert_channels(keys: Keys, alert: Mapping[str, Any]) -> list[str]:
    """The channels one alert is published on."""
    channels = [keys.alerts, keys.source_channel(str(alert["source"]))]
    channels += [keys.term_channel(t["name"]) for t in alert.get("terms", ())]
    return channels


class Store:
    """State, stream, channels, keywords, sources and their schedule in one Redis."""

    def __init__(
        self, client: aioredis.Redis, prefix: str, stream_maxlen: int = 100_000, piece: int = PIECE
    ) -> None:
        self.redis = client
        self.piece = piece  # documents plus alerts per commit script
        self.keys = Keys(prefix)
        self.stream_maxlen = stream_maxlen
        self.schedule = Schedule(client, self.keys)
        self.stories = StoryLog(client, self.keys)
        self._loads: Grouped[str, SourceState] = Grouped(self._load_group)
        self._commits: Grouped[Commit, bool] = Grouped(self._commit_group)

    def consumer(self, group: str, name: str) -> Consumer:
        """A consumer of a group on the alert stream (``newsmon forward``)."""
        return Consumer(self.redis, self.keys, group, name)

    def digests(self, group: str, consumer: str) -> Digests:
        """A forwarder group's held alerts and digests (the desk's rules)."""
        return Digests(self.redis, self.keys, group, consumer)

    async def ping(self) -> None:
        """Raise StoreError unless Redis answers."""
        await self._call(self.redis.ping())

    async def out_of_memory(self) -> bool:
        """Whether Redis refuses writes for want of memory: past ``maxmemory`` with nothing
        it may evict (its ``noeviction`` policy)."""
        info = await self._call(self.redis.info("memory"))
        limit, used = int(info.get("maxmemory", 0)), int(info.get("used_memory", 0))
        return bool(limit) and used >= limit and info.get("maxmemory_policy") == "noeviction"

    async def load_source(self, name: str) -> SourceState:
        """The source's poll state (a fresh one for a source never polled)."""
        return await self._loads(name)

    async def held_reasons(self, names: Sequence[str]) -> dict[str, str]:
        """The sources whose failure policy holds them back, with why (one round trip of a
        script per ``HELD_CHUNK`` sources: at 10,000 sources, 10,000 HMGETs built and read
        client-side cost more than the rest of a no-change pass's Redis work)."""
        chunks = [names[i : i + HELD_CHUNK] for i in range(0, len(names), HELD_CHUNK)]
        calls: list[tuple[list[str], list[str]]] = [
            ([self.keys.source_state(name) for name in chunk], []) for chunk in chunks
        ]
        replies = await self._call(run_many(self.redis, HELD_SCRIPT, calls)) if calls else []
        held: dict[str, str] = {}
        for chunk, reply in zip(chunks, map(checked, replies), strict=True):
            for position, reason in zip(reply[::2], reply[1::2], strict=True):
                held[chunk[int(position) - 1]] = reason or "backoff"
        return held

    async def load_docs(self, name: str, ids: Sequence[str]) -> dict[str, DocState]:
        """The committed states of the given documents that exist."""
        if not ids:
            return {}
        values = await self._call(self.redis.hmget(self.keys.docs(name), list(ids)))
        return {i: decode_state(v) for i, v in zip(ids, values, strict=True) if v is not None}

    async def load_pending(self, name: str) -> Pending | None:
        """The body a cheap baseline kept, if it is still kept."""
        raw = await self._call(self.redis.hgetall(self.keys.pending(name)))
        if not raw:
            return None
        try:
            body = zlib.decompress(base64.b64decode(raw["body"]))
            return Pending(body, _strings(raw["keys"]), _strings(raw["hashes"]))
        except (KeyError, ValueError, TypeError, zlib.error) as exc:
            raise StoreError(f"malformed baseline body of {name!r} in Redis: {exc}") from exc

    async def commit(self, commit: Commit) -> bool:
        """Write a poll, piece by piece (one piece for all but big polls); False if its lease
        was lost (and the poll not recorded: the pieces before stay, each whole)."""
        *early, last = pieces(commit, self.piece)
        for piece in early:
            if not await self.commit_piece(piece):
                return False
        return await self.commit_piece(last)

    async def commit_piece(self, piece: Commit) -> bool:
        """One atomic script of a commit, sent with the other polls' of this moment."""
        return await self._commits(piece)

    async def source_names(self) -> list[str]:
        """Every source that was ever polled."""
        names: set[str] = await self._call(self.redis.smembers(self.keys.sources))
        return sorted(names)

    async def load_sources(self, names: Sequence[str]) -> list[SourceState]:
        """Several sources' poll states, in one round trip."""
        return await self._load_group(names) if names else []

    async def activity(self, names: Sequence[str]) -> list[tuple[int, int]]:
        """Each source's documents remembered and alerts in the last 24 hours (counted by the
        hour, this one included), in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hlen(self.keys.docs(name))
            pipe.hgetall(self.keys.recent(name))
        replies = await self._call(pipe.execute()) if names else []
        now = _hour()
        return [
            (int(docs), sum(int(n) for hour, n in hours.items() if now - int(hour) < RECENT_HOURS))
            for docs, hours in zip(replies[::2], replies[1::2], strict=True)
        ]

    async def newest_documents(self, per_source: int) -> list[tuple[str, DocState]]:
        """The ``per_source`` documents of each source first seen last, as committed: what a
        query can be tried against before it is watched."""
        names = await self.source_names()
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.zrevrange(self.keys.order(name), 0, per_source - 1)
        newest = await self._call(pipe.execute())
        having = [(name, ids) for name, ids in zip(names, newest, strict=True) if ids]
        pipe = self.redis.pipeline(transaction=False)
        for name, ids in having:
            pipe.hmget(self.keys.docs(name), ids)
        replies = await self._call(pipe.execute()) if having else []
        found = []
        for (name, _ids), values in zip(having, replies, strict=True):
            found += [(name, decode_state(v)) for v in values if v]
        return found

    async def forget_source(self, name: str) -> None:
        """Delete a source's poll state and documents."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*self.keys.per_source(name))
        pipe.srem(self.keys.sources, name)
        pipe.hdel(self.keys.story_firsts, name)
        await self._call(pipe.execute())

    async def _load_group(self, names: Sequence[str]) -> list[SourceState]:
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(self.keys.source_state(name))
        replies = await self._call(pipe.execute())
        return [source_state(raw) for raw in replies]

    async def _commit_group(self, commits: Sequence[Commit]) -> list[bool | BaseException]:
        calls = [self._commit_call(c) for c in commits]
        replies = await self._call(run_many(self.redis, COMMIT_SCRIPT, calls))
        results: list[bool | BaseException] = []
        for commit, reply in zip(commits, replies, strict=True):
            results.append(await self._committed(commit, reply))
        return results

    async def _committed(self, commit: Commit, reply: Any) -> bool | BaseException:
        if isinstance(reply, Exception):
            return StoreError(f"Redis: {reply}")
        if int(reply) < 0:
            return False
        if int(reply) > MAX_DOCS:
            await self._forget_oldest(commit.source, int(reply) - MAX_DOCS)
        return True

    def _commit_call(self, commit: Commit) -> tuple[list[str], list[str]]:
        lease = commit.lease
        args = [
            commit.source,
            lease.token if lease else "",
            str(int(commit.next_due)) if commit.next_due is not None else "",
            json.dumps(list(self._writes(commit)), ensure_ascii=False, separators=(",", ":")),
            "1" if commit.final else "0",
        ]
        return [self.keys.leases, self.keys.schedule], args

    def _writes(self, commit: Commit) -> Iterator[list[str]]:
        k, source = self.keys, commit.source
        yield from self._doc_writes(commit)
        for alert in commit.alerts:
            payload = json.dumps(alert, ensure_ascii=False, separators=(",", ":"))
            yield ["XADD", k.stream, "MAXLEN", "~", str(self.stream_maxlen), "*", "alert", payload]
            yield from (["PUBLISH", channel, payload] for channel in alert_channels(k, alert))
        if commit.alerts:
            yield ["HINCRBY", k.source_state(source), "alerts", str(len(commit.alerts))]
            yield from _recent_writes(k.recent(source), len(commit.alerts))
        if commit.final:
            yield from self._source_writes(commit)
        yield ["ZCARD", k.order(source)]  # the reply: how many documents are remembered

    def _source_writes(self, commit: Commit) -> Iterator[list[str]]:
        """What records the poll itself: written by its last piece only."""
        k, source = self.keys, commit.source
        if commit.fields:
            yield ["HSET", k.source_state(source), *_flat(commit.fields.items())]
        if commit.cleared:
            yield ["HDEL", k.source_state(source), *commit.cleared]
        yield from _pending_writes(k, commit)
        yield ["HINCRBY", k.source_state(source), "polls", "1"]
        yield ["SADD", k.sources, source]

    def _doc_writes(self, commit: Commit) -> Iterator[list[str]]:
        docs = [(s.id, encode_state(s)) for s in commit.states]
        seq = str(time.time_ns())
        for start in range(0, len(docs), _CHUNK):
            chunk = docs[start : start + _CHUNK]
            yield ["HSET", self.keys.docs(commit.source), *_flat(chunk)]
            yield ["ZADD", self.keys.order(commit.source), "NX", *_flat((seq, i) for i, _ in chunk)]

    async def _forget_oldest(self, source: str, count: int) -> None:
        oldest = await self._call(self.redis.zpopmin(self.keys.order(source), count))
        ids = [member for member, _score in oldest]
        if ids:
            await self._call(self.redis.hdel(self.keys.docs(source), *ids))

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

    async def put_keywords(
        self, specs: Iterable[KeywordSpec], *, announce: str = "set", origin: str = "cli"
    ) -> None:
        """Store keywords (replacing same-named ones) and announce it on the control channel."""
        mapping = _keyword_records(specs, origin)
        if not mapping:
            return
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.keywords, mapping=mapping)  # type: ignore[arg-type]
        pipe.publish(self.keys.control, _event("keywords", announce, sorted(mapping)))
        await self._call(pipe.execute())

    async def seed_keywords(self, specs: Sequence[KeywordSpec]) -> list[str]:
        """Store a config file's keywords, and remove those it stored before that left it (not
        ones added with the CLI or the web); returns the names removed."""
        raw: dict[str, str] = await self._call(self.redis.hgetall(self.keys.keywords))
        kept = {s.name for s in specs}
        gone = sorted(n for n, v in raw.items() if n not in kept and _origin(v) == "config")
        pipe = self.redis.pipeline(transaction=True)
        if gone:
            pipe.hdel(self.keys.keywords, *gone)
        if specs:
            pipe.hset(self.keys.keywords, mapping=_keyword_records(specs, "config"))  # type: ignore[arg-type]
        pipe.publish(self.keys.control, _event("keywords", "config", sorted(kept | set(gone))))
        await self._call(pipe.execute())
        return gone

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
        return (await self.alerts_before(None, count))[::-1] if count > 0 else []

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

    async def alerts_after(self, after: str, count: int) -> list[tuple[str, dict[str, Any]]]:
        """Up to ``count`` alerts newer than stream id ``after``, oldest first, at once (no
        blocking read: those take a connection each for as long as they wait)."""
        entries = await self._call(self.redis.xrange(self.keys.stream, f"({after}", "+", count))
        return [(eid, _alert_of(fields)) for eid, fields in entries]

    async def alerts_before(
        self, before: str | None, count: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """Up to ``count`` alerts older than stream id ``before`` (None: the newest), newest
        first."""
        if before in ("0-0", "0"):
            return []  # nothing is older than the first possible id (and Redis refuses "(0-0")
        top = f"({before}" if before else "+"
        entries = await self._call(self.redis.xrevrange(self.keys.stream, top, "-", count=count))
        return [(eid, _alert_of(fields)) for eid, fields in entries]

    async def alert_at(self, stream_id: str) -> dict[str, Any] | None:
        """The alert with this stream id, or None (never written, or trimmed away)."""
        entries = await self._call(self.redis.xrange(self.keys.stream, stream_id, stream_id))
        return _alert_of(entries[0][1]) if entries else None

    async def stream_length(self) -> int:
        """How many alerts the stream holds."""
        return int(await self._call(self.redis.xlen(self.keys.stream)))

    async def last_stream_id(self) -> str:
        """The id of the newest stream entry, or "0-0" for an empty stream."""
        entries = await self._call(self.redis.xrevrange(self.keys.stream, count=1))
        return str(entries[0][0]) if entries else "0-0"

    async def _call(self, awaitable: Any) -> Any:
        return await call(awaitable)


def _flat(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [part for pair in pairs for part in pair]


def _pending_writes(k: Keys, commit: Commit) -> Iterator[list[str]]:
    key, state = k.pending(commit.source), k.source_state(commit.source)
    if commit.pending is not None:
        p = commit.pending
        blob = base64.b64encode(zlib.compress(p.body, 1)).decode("ascii")
        keys, hashes = json.dumps(sorted(p.keys)), json.dumps(sorted(p.hashes))
        yield ["HSET", key, "body", blob, "keys", keys, "hashes", hashes]
        yield ["HSET", state, "pending", "1"]
    elif commit.forget_pending:
        yield ["DEL", key]
        yield ["HDEL", state, "pending"]


def _strings(value: str) -> frozenset[str]:
    found = json.loads(value)
    if not isinstance(found, list):
        raise ValueError("not a list")
    return frozenset(str(x) for x in found)


def _keyword_records(specs: Iterable[KeywordSpec], origin: str) -> dict[str, str]:
    return {
        s.name: json.dumps({"query": s.query, "language": s.language, "origin": origin})
        for s in specs
    }


def _origin(record: str) -> str:
    """Where a stored keyword came from; one stored before origins were kept counts as the
    CLI's, so a seed never removes what a person may have added."""
    try:
        return str(json.loads(record).get("origin", "cli"))
    except (ValueError, AttributeError):
        return "cli"


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


def _hour() -> int:
    return int(time.time() // 3600)


def _recent_writes(key: str, alerts: int) -> Iterator[list[str]]:
    """Count alerts by the hour; the hours that left the window go (the key too, when idle)."""
    hour = _hour()
    yield ["HINCRBY", key, str(hour), str(alerts)]
    yield ["HDEL", key, *(str(hour - age) for age in range(RECENT_HOURS, 2 * RECENT_HOURS))]
    yield ["EXPIRE", key, str((RECENT_HOURS + 1) * 3600)]
