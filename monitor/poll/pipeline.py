"""One poll of one source, end to end: fetch → parse → diff → match → alerts → commit.

The poller takes its fetcher, store, matcher and clock as arguments (tests hand it real local
ones), and it never raises for a source's problems: every outcome, a failure included, is a
``PollResult`` and one log line. Parsing, and the diff and keyword matching of big texts, run
off the event loop, in a worker pool when given, so that one heavy poll cannot stall the
others (nor the renewal of their leases). A poll that has not reached its commit within its
``deadline`` is abandoned and fails as an ``overrun``, which backs the source off: work already
in a worker process runs to its end there, but nothing of it is committed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from monitor.config import MAX_ALERTS, MAX_ITEMS, SourceConfig
from monitor.errors import NewsmonError, StoreError
from monitor.models import DocState
from monitor.poll.changes import Found, HitCache, Job, detect, detect_apart
from monitor.poll.diff import diff_document
from monitor.poll.documents import Parsed, read_source, scan_source
from monitor.poll.feeditems import NO_CAPS, Caps
from monitor.poll.fetch import Failed, Fetched, Fetcher, FetchResult, NotModified, Validators
from monitor.poll.follow import follow_pages, page_id, stored_links, stored_pages
from monitor.poll.outcome import Observer, PollResult, iso, log_poll, utcnow
from monitor.poll.policy import Next, classify
from monitor.query import Matcher
from monitor.store import Commit, Lease, Pending, SourceState, Store

if TYPE_CHECKING:  # the stories' index loads only where stories are on (see daemon.service)
    from monitor.poll.stories import Assigner

log = structlog.get_logger("newsmon.poll")

Clock = Callable[[], datetime]
T = TypeVar("T")


Plan = Callable[[SourceConfig, Lease, "PollResult"], Next]  # a poll's outcome → next due


DEFAULT_CAPS = Caps(MAX_ITEMS, MAX_ALERTS)  # [monitor] max_items, max_alerts
INLINE_BYTES = 64 * 1024  # smaller bodies are parsed on the event loop: cheaper than a hop


class Poller:
    """Polls sources one at a time each, committing each poll's alerts and state atomically.

    A poll made under a lease (a claim of the shared schedule) commits only while the lease
    holds, and sets the source's next due time as ``plan`` says, in the same atomic write.
    A feed is read within ``caps`` (``max_items``, ``max_alerts``): the changed items past the
    cap of new ones are left un-recorded, and the body's validators with them, so the next poll
    fetches it whole and finds exactly those items still to alert on.
    With ``stories``, each item.new and block.new alert gets its story before the commit; a
    Redis failure there fails the poll as a failed commit does (nothing of it is written).
    """

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        matcher: Callable[[], Matcher],
        *,
        executor: Executor | None = None,
        clock: Clock = utcnow,
        plan: Plan | None = None,
        observer: Observer | None = None,
        caps: Caps = DEFAULT_CAPS,
        deadline: float | None = None,
        stories: Assigner | None = None,
    ) -> None:
        self.stories = stories
        self.deadline = deadline  # seconds a poll may take before its commit (None: no limit)
        self.observer = observer or Observer()
        self.caps = caps
        self.store = store
        self.fetcher = fetcher
        self.matcher = matcher
        self.executor = executor
        self.clock = clock
        self.plan = plan
        self.cache = HitCache()

    async def poll(self, source: SourceConfig, lease: Lease | None = None) -> PollResult:
        """Poll one source; never raises for the source's problems."""
        started = time.perf_counter()
        state = None
        try:
            state = await self.store.load_source(source.name)
            result = await self._poll(source, lease, state)
        except StoreError as exc:
            self.observer.store_failed()
            result = PollResult(source.name, "failed", error=str(exc))
        except NewsmonError as exc:
            result = await self._failed(source, lease, state, None, str(exc))
        except Exception as exc:  # a bug or a hostile input must not stop the daemon
            log.exception("poll crashed", source=source.name)
            result = await self._failed(source, lease, state, None, f"internal error: {exc!r}")
        ms = round((time.perf_counter() - started) * 1000, 1)
        result = replace(result, duration_ms=ms)
        log_poll(result)
        self.observer.polled(result)
        return result

    async def refuse(self, source: SourceConfig, lease: Lease | None, error: str) -> PollResult:
        """Record a poll that could not even start (an invalid stored definition)."""
        result = await self._failed(source, lease, None, None, error)
        log_poll(result)
        self.observer.polled(result)
        return result

    async def _poll(
        self, source: SourceConfig, lease: Lease | None, state: SourceState
    ) -> PollResult:
        deadline = asyncio.timeout(self.deadline)
        try:
            async with deadline:
                gathered = await self._gather(source, state)
        except TimeoutError:
            if not deadline.expired():
                raise
            error = f"the poll overran its deadline of {self.deadline:g}s (fetch and work)"
            return await self._failed(source, lease, state, None, error, klass="overrun")
        if isinstance(gathered, Failed):
            error, retry = gathered.error, gathered.retry_after
            return await self._failed(source, lease, state, gathered.status, error, retry)
        work, result = gathered
        result = replace(result, alerts=len(work.alerts), limited=tuple(sorted(work.limited)))
        if self.stories is not None and work.alerts:
            await self.stories.mark(work.alerts)
        if not await self._commit(source, lease, work, result):
            return replace(result, status="lease_lost", alerts=0)
        return replace(result, postponed=work.postponed)

    async def _gather(self, source: SourceConfig, state: SourceState) -> Failed | _Outcome:
        """Everything a poll does before its commit: what it will commit, or a failed fetch."""
        # A page with a block awaiting its second miss must be read again, not answered 304.
        validators = (
            Validators(None, None)
            if REMOVALS in state.raw
            else Validators(state.etag, state.last_modified)
        )
        started = time.perf_counter()
        fetched = await self.fetcher.fetch(_location(source, state), validators)
        size = len(fetched.body) if isinstance(fetched, Fetched) else 0
        self.observer.fetched(source.name, time.perf_counter() - started, size)
        if isinstance(fetched, Failed):
            return fetched
        work = _Work()
        work.cleared += [f for f in _FAILURE_FIELDS if f in state.raw]  # it answers again
        if isinstance(fetched, NotModified):
            work.fields |= self._ok_fields("not_modified", fetched.status)
            result = PollResult(source.name, "not_modified", fetched.status)
            links = stored_links(state.raw)
        else:
            result, links = await self._fetched(source, state, fetched, work)
        if source.follow_links and source.kind == "feed":
            await self._follow(source, state, links, work)
        if work.alerts and result.status in ("not_modified", "unchanged", "ok"):
            # The feed itself did not change, but a followed page did.
            work.fields["last_status"] = "changed"
            result = replace(result, status="changed")
        return work, result

    async def _commit(
        self, source: SourceConfig, lease: Lease | None, work: _Work, result: PollResult
    ) -> bool:
        due = None
        if lease is not None and self.plan is not None:
            planned = self.plan(source, lease, result)
            due = planned.due
            work.fields["next_reason"] = planned.reason
            work.postponed = planned if planned.reason != "interval" else None
        commit = Commit(
            source.name,
            work.states,
            work.alerts,
            work.fields,
            work.cleared,
            lease=lease,
            next_due=due,
            pending=work.pending,
            forget_pending=work.forget_pending,
        )
        started = time.perf_counter()
        committed = await self.store.commit(commit)
        if committed:
            self.observer.committed(time.perf_counter() - started, work.alerts)
        return committed

    async def _fetched(
        self, source: SourceConfig, state: SourceState, got: Fetched, work: _Work
    ) -> tuple[PollResult, list[str]]:
        body_hash = hashlib.sha256(got.body).hexdigest()[:32]
        work.fields |= self._ok_fields("unchanged", got.status) | _validator_fields(got.validators)
        if got.moved_to:
            work.fields |= {"moved_to": got.moved_to, "moved_from": source.url}
        work.cleared += [k for k, v in _validator_pairs(got.validators) if v is None]
        if body_hash == state.body_hash and state.baselined and REMOVALS not in state.raw:
            return PollResult(source.name, "unchanged", got.status), stored_links(state.raw)
        if not state.baselined and source.kind == "feed" and not source.alert_on_first_poll:
            args = (got.body, got.final_url, self.caps.items)
            scanned = await self._run(scan_source, len(got.body), *args)
            if scanned is not None:
                work.pending = Pending(got.body, scanned.keys or frozenset(), scanned.item_hashes)
                return self._baselined(source, got, scanned, body_hash, work)
        skip = state.item_hashes if state.baselined else frozenset()
        baseline = not state.baselined and not source.alert_on_first_poll
        # A baseline alerts on nothing, so it reads every item in the window, none deferred.
        caps = replace(self.caps, new=None) if baseline else self.caps
        parsed = await self._parse(source.kind, got, skip, caps)
        known = await self._materialize(source, got, parsed, work) if state.pending else {}
        await self._diff(source, parsed, baseline, work, known=known)
        if source.kind == "page":
            _note_removals(work)
        status = "baseline" if baseline else ("changed" if work.alerts else "ok")
        work.fields |= _parsed_fields(status, body_hash, parsed)
        if parsed.deferred:
            _fetch_whole_next_time(work)
        result = PollResult(
            source.name, status, got.status, len(parsed.documents), parsed.skipped,
            unread=parsed.unread, deferred=parsed.deferred, duplicates=parsed.duplicates,
        )  # fmt: skip
        return result, list(parsed.links) or stored_links(state.raw)

    def _baselined(
        self, source: SourceConfig, got: Fetched, scanned: Parsed, body_hash: str, work: _Work
    ) -> tuple[PollResult, list[str]]:
        """A feed's first poll, recorded without parsing an item: the body waits in Redis."""
        work.fields |= _parsed_fields("baseline", body_hash, scanned)
        result = PollResult(
            source.name, "baseline", got.status, len(scanned.item_hashes), unread=scanned.unread
        )
        return result, list(scanned.links)

    async def _materialize(
        self, source: SourceConfig, got: Fetched, current: Parsed, work: _Work
    ) -> dict[str, DocState]:
        """The earlier versions of the changed items, from a cheap baseline's kept body.

        Only items whose identity matches a changed item are parsed (a new item has no earlier
        version); the body is kept until none of its items is left in the feed.
        """
        kept = await self.store.load_pending(source.name)
        if kept is None:
            work.forget_pending = True
            return {}
        gone = current.keys is None or not kept.hashes & current.item_hashes
        if gone and not current.deferred:
            # Parsed whole now, or none of its items is left (and none waits to be parsed).
            work.forget_pending = True
        wanted = None if current.keys is None else current.keys & kept.keys
        if wanted is not None and not wanted:
            return {}
        args: tuple[Any, ...] = ("feed", kept.body, got.final_url, None, frozenset(), wanted)
        try:
            old = await self._run(read_source, len(kept.body), *args)
        except NewsmonError as exc:
            log.warning("baseline body unreadable", source=source.name, error=str(exc))
            work.forget_pending = True
            return {}
        return {doc.id: diff_document(None, doc, baseline=True).state for doc in old.documents}

    async def _follow(
        self, source: SourceConfig, state: SourceState, links: list[str], work: _Work
    ) -> None:
        async def fetch(url: str, validators: Validators) -> FetchResult:
            return await self.fetcher.fetch(url, validators)

        async def extract(got: Fetched) -> Parsed:
            parsed = await self._parse("page", got, frozenset(), NO_CAPS)
            docs = tuple(replace(d, id=page_id(got.url)) for d in parsed.documents)
            return replace(parsed, documents=docs)

        pages = await follow_pages(links, stored_pages(state.raw), fetch, extract)
        for parsed in pages.parsed:
            # A page seen for the first time is its own baseline: the item announced it.
            await self._diff(source, parsed, False, work, new_is_baseline=True)
        work.fields |= pages.fields
        work.cleared += pages.cleared

    async def _parse(self, kind: str, got: Fetched, skip: frozenset[str], caps: Caps) -> Parsed:
        args = (kind, got.body, got.final_url, got.content_type, skip, None, caps)
        return await self._run(read_source, len(got.body), *args)

    async def _run(self, fn: Callable[..., T], cost: int, *args: Any) -> T:
        """Run a parse inline when it is small, else in the worker pool (off the loop)."""
        started = time.perf_counter()
        try:
            if cost <= INLINE_BYTES:
                return fn(*args)
            return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
        finally:
            self.observer.parsed(time.perf_counter() - started)

    async def _diff(
        self,
        source: SourceConfig,
        parsed: Parsed,
        baseline: bool,
        work: _Work,
        *,
        new_is_baseline: bool = False,
        known: Mapping[str, DocState] | None = None,
    ) -> None:
        prev = await self.store.load_docs(source.name, [d.id for d in parsed.documents])
        now = iso(self.clock())
        job = Job(source.name, parsed.documents, prev, known or {}, baseline, new_is_baseline, now)
        found = await self._detect(job)
        work.states += found.states
        work.alerts += [alert | {"tier": source.tier} for alert in found.alerts]
        work.limited |= found.limited

    async def _detect(self, job: Job) -> Found:
        """Diff and match on the event loop when the texts are small, else in the worker pool
        (with the hits the cache has for these blocks, and keeping those found there)."""
        matcher = self.matcher()
        if job.size() <= INLINE_BYTES:
            return detect(job, lambda block: self.cache.hits(matcher, block, job.source))
        seen = self.cache.known(matcher, job.source, job.block_keys())
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self.executor, detect_apart, job, matcher, seen)
        self.cache.add(matcher, job.source, found.hits)
        return found

    async def _failed(
        self,
        source: SourceConfig,
        lease: Lease | None,
        state: SourceState | None,
        status: int | None,
        error: str,
        retry_after: float | None = None,
        klass: str | None = None,
    ) -> PollResult:
        now = iso(self.clock())
        failures = (state.failures if state else 0) + 1
        klass = klass or classify(status, error)
        fields = {"last_poll": now, "last_status": "failed", "last_error": error}
        fields |= {"last_error_at": now, "last_http": str(status or "")}
        fields |= {"failures": str(failures), "failure_class": klass}
        if klass == "gone":
            fields["gone"] = "1"
        result = PollResult(
            source.name, "failed", status, error=error, retry_after=retry_after,
            failures=failures, failure_class=klass,
        )  # fmt: skip
        work = _Work(fields=fields)
        try:
            await self._commit(source, lease, work, result)
        except StoreError as exc:
            error = f"{error}; and the failure could not be recorded: {exc}"
        return replace(result, error=error, postponed=work.postponed)

    def _ok_fields(self, status: str, http: int) -> dict[str, str]:
        now = iso(self.clock())
        return {"last_poll": now, "last_ok": now, "last_status": status, "last_http": str(http)}


@dataclass
class _Work:
    """What one poll will commit: document states, alerts and source-state fields."""

    fields: dict[str, str] = field(default_factory=dict)
    states: list[DocState] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    pending: Pending | None = None  # a cheap baseline's body to keep
    forget_pending: bool = False
    limited: set[str] = field(default_factory=set)  # keywords past their work limit
    postponed: Next | None = None  # set by the commit when the policy moved the next poll


_Outcome = tuple[_Work, PollResult]  # what a poll will commit, and its result
_FAILURE_FIELDS = ("failures", "failure_class", "gone")


REMOVALS = "removals_pending"  # a source-state field: a page block is missing inside its window


def _note_removals(work: _Work) -> None:
    """A block missing inside a page's window is removed when the next poll misses it too
    (diff.REMOVE_AFTER): say so, so that poll diffs even a body that has not changed since."""
    if any(b.missing for state in work.states for b in state.blocks):
        work.fields[REMOVALS] = "1"
    else:
        work.cleared.append(REMOVALS)


def _location(source: SourceConfig, state: SourceState) -> str:
    """Where the source is fetched: where a permanent redirect moved it, while its own URL is
    the one that was redirected (a changed definition starts afresh)."""
    moved_to, moved_from = state.raw.get("moved_to"), state.raw.get("moved_from")
    return moved_to if moved_to and moved_from == source.url else source.url


_WHOLE_BODY_FIELDS = ("etag", "last_modified", "body_hash")


def _fetch_whole_next_time(work: _Work) -> None:
    """Forget what would let the next poll skip this body (a 304, the same hash): items were
    deferred, and only a fresh parse of the body finds them."""
    for name in _WHOLE_BODY_FIELDS:
        work.fields.pop(name, None)
    work.cleared += [n for n in _WHOLE_BODY_FIELDS if n not in work.cleared]


def _parsed_fields(status: str, body_hash: str, parsed: Parsed) -> dict[str, str]:
    return {
        "last_status": status,
        "body_hash": body_hash,
        "item_hashes": json.dumps(sorted(parsed.item_hashes)),
        "baselined": "1",
    }


def _validator_pairs(v: Validators) -> list[tuple[str, str | None]]:
    return [("etag", v.etag), ("last_modified", v.last_modified)]


def _validator_fields(v: Validators) -> dict[str, str]:
    return {k: value for k, value in _validator_pairs(v) if value is not None}
