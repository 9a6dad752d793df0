"""Stories in the poll pipeline: each ``item.new`` and ``block.new`` alert gets its story before
the poll commits, the same story whichever daemon on the Redis decides it.

One ``Assigner`` per process gathers the reports of the polls that reach this step at the same
moment (``store.group.Grouped``) and decides them in chunks. A lone report is decided without
applying anything and appended in one round trip if the log is still where the mirror stands
and no one holds the turn. Otherwise, for each chunk it takes the story log's turn, applies
to its mirror what other daemons appended since, decides the reports one after the other
(each against the mirror and the chunk's earlier entries, applied as it goes), and appends
the entries if the log has not grown meanwhile. A refused append (the turn
expired under it) leaves the mirror holding entries the log does not, so the mirror is read
again from the log and the chunk decided again. A report the mirror already holds (a commit
that failed after its story was assigned, retried with the same alert id) gets its recorded
story and appends nothing. A Redis failure raises ``StoreError``: the poll fails as if its
commit had, and its retry finds the same alerts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from monitor.errors import StoreError
from monitor.poll.outcome import Observer, iso
from monitor.store.group import Grouped
from monitor.store.storylog import PAGE, Line, StoryLog
from monitor.stories import Report, StoryRef, StorySettings, decode_entry, encode_entry
from monitor.stories.mirror import Mirror, entry_time
from monitor.stories.model import epoch

log = structlog.get_logger("newsmon.stories")

STORY_TYPES = frozenset({"item.new", "block.new"})
KEEP_MARGIN = 3600.0  # seconds of log kept past the window: clocks apart, approximate trims
CHUNK = 200  # reports decided per turn: at the 1 ms a report may cost, well inside the TTL
TURN_TTL = 5.0  # seconds a turn lasts if its holder dies before appending
TURN_WAIT = 30.0  # seconds to wait for the turn before the poll fails (and is retried)
ATTEMPTS = 5  # refused appends in a row before the poll fails
EXPIRE_EVERY = 60.0  # seconds between sweeps of the mirror: a sweep visits every story
TEXT_WORDS = 300  # words of a report's text: a lede and more, not a whole article
_TEXT_CHARS = TEXT_WORDS * 20  # cut before splitting: a block's text may be 100,000 characters


class Assigner:
    """Gives alerts their stories, against the story log in Redis."""

    def __init__(
        self,
        storylog: StoryLog,
        settings: StorySettings,
        *,
        observer: Observer | None = None,
        clock: Callable[[], float] = time.time,
        turn_ttl: float = TURN_TTL,
    ) -> None:
        self.log = storylog
        self.settings = settings
        self.observer = observer or Observer()
        self.clock = clock
        self.turn_ttl = turn_ttl
        self.keep = settings.window + KEEP_MARGIN
        self.token = uuid.uuid4().hex
        self._mirror: Mirror | None = None
        self._swept = 0.0
        self._group: Grouped[Sequence[Report], list[StoryRef]] = Grouped(self._flush)

    async def mark(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Set ``story`` on each item.new and block.new alert of one poll."""
        wanted = [a for a in alerts if a.get("type") in STORY_TYPES]
        if not wanted:
            return
        now = self.clock()
        refs = await self._group([report_of(a, now, self.settings.window) for a in wanted])
        for alert, ref in zip(wanted, refs, strict=True):
            alert["story"] = story_field(ref)

    async def assign(self, reports: Sequence[Report]) -> list[StoryRef]:
        """The stories of these reports, decided and logged (as ``mark`` does)."""
        return await self._group(list(reports))

    async def _flush(self, groups: Sequence[Sequence[Report]]) -> list[list[StoryRef]]:
        reports = [r for group in groups for r in group]
        refs: list[StoryRef] = []
        for start in range(0, len(reports), CHUNK):
            refs += await self._chunk(reports[start : start + CHUNK])
        out, at = [], 0
        for group in groups:
            out.append(refs[at : at + len(group)])
            at += len(group)
        return out

    async def _chunk(self, reports: Sequence[Report]) -> list[StoryRef]:
        if len(reports) == 1 and self._mirror is not None:
            alone = await self._alone(self._mirror, reports[0])
            if alone is not None:
                return [alone]
        for _ in range(ATTEMPTS):
            mirror = await self._turn()
            try:
                refs, lines = self._decide(mirror, reports)
            except BaseException:
                self._mirror = None  # part of the chunk applied, and never to be written
                raise
            ids = await self._append(mirror, lines)
            if ids is not None:
                if ids:
                    mirror.advance(ids[-1])
                self.observer.storied([ref for ref, line in zip(refs, lines, strict=True) if line])
                return refs
            log.info("story log moved on under an expired turn: reading it again")
            self._mirror = None
        raise StoreError(f"the story log was refused {ATTEMPTS} times in a row")

    async def _alone(self, mirror: Mirror, report: Report) -> StoryRef | None:
        """A lone report, in one round trip when no one else is deciding: decided without
        applying anything, appended if the log is still where the mirror stands, then applied.
        None when refused (the turn is another's, or the log moved on): the chunk's way then."""
        self._sweep(mirror)
        decision = mirror.index.decide(report)
        if mirror.known(report.id):
            return decision.ref
        starts = decision.ref.first
        line = Line(encode_entry(decision.entry), starts, report.source)
        ids = await self._append(mirror, [line])
        if not ids:
            return None  # nothing was applied: the mirror is still the log's
        ref = mirror.apply(decision.entry, entry_time(ids[0]), ids[0])
        self.observer.storied([ref])
        return ref

    def _decide(
        self, mirror: Mirror, reports: Sequence[Report]
    ) -> tuple[list[StoryRef], list[Line | None]]:
        now = self._sweep(mirror)
        refs: list[StoryRef] = []
        lines: list[Line | None] = []
        for report in reports:
            decision = mirror.index.decide(report)
            if mirror.known(report.id):
                refs.append(decision.ref)
                lines.append(None)
                continue
            ref = mirror.apply(decision.entry, now)
            refs.append(ref)
            lines.append(Line(encode_entry(decision.entry), ref.first, report.source))
        return refs, lines

    def _sweep(self, mirror: Mirror) -> float:
        """Expire the mirror now and then (a sweep visits every story); the time now."""
        now = self.clock()
        if now - self._swept >= EXPIRE_EVERY:
            mirror.expire(now)
            self._swept = now
        return now

    async def _append(self, mirror: Mirror, lines: Sequence[Line | None]) -> list[str] | None:
        """Append the chunk's new entries; on any failure the mirror holds entries the log may
        not, so it is dropped (read again at the next chunk)."""
        try:
            ids = await self.log.append(
                mirror.last, self.token, int(self.keep * 1000), [x for x in lines if x]
            )
        except BaseException:
            self._mirror = None
            raise
        return ids

    async def _turn(self) -> Mirror:
        """The mirror, up to date with the log, once it is this assigner's turn to decide."""
        mirror = self._mirror or await self._load()
        self._mirror = mirror
        waited = time.monotonic() + TURN_WAIT
        while True:
            turn = await self.log.take_turn(self.token, int(self.turn_ttl * 1000), mirror.last)
            await self._catch_up(mirror, turn.entries)
            if turn.held:
                return mirror
            if time.monotonic() > waited:
                raise StoreError(f"the story log's turn was held elsewhere for {TURN_WAIT:g}s")
            await asyncio.sleep(min(turn.wait_ms, 20) / 1000)

    async def _load(self) -> Mirror:
        """A mirror of the whole log (the window and its margin)."""
        mirror = Mirror(self.settings, self.keep)
        await self._catch_up(mirror, await self.log.read(mirror.last))
        log.info("story log read", entries=len(mirror))
        return mirror

    async def _catch_up(self, mirror: Mirror, entries: list[tuple[str, str]]) -> None:
        while entries:
            for log_id, line in entries:
                _apply_line(mirror, log_id, line)
            if len(entries) < PAGE:
                return
            entries = await self.log.read(mirror.last)


def _apply_line(mirror: Mirror, log_id: str, line: str) -> None:
    try:
        entry = decode_entry(line)
    except ValueError as exc:
        # Not ours (written by hand, or by a newer version): skipped, the log goes on.
        log.warning("story log entry skipped", id=log_id, error=str(exc))
        mirror.advance(log_id)
        return
    mirror.apply(entry, entry_time(log_id), log_id)


def report_of(alert: Mapping[str, Any], now: float, window: float) -> Report:
    """An item.new's or block.new's report: its item's title and text, or its block's
    headline and text; seen when it says it was published, if that is plausible."""
    item = alert.get("item") or {}
    block = alert.get("block") or {}
    if alert.get("type") == "block.new" and block:
        title, text = str(block.get("headline") or ""), str(block.get("text") or "")
        published = block.get("published")
    else:
        title, text = str(item.get("title") or ""), str(item.get("text") or "")
        published = item.get("published") or block.get("published")
    detected = _epoch(alert.get("detected_at")) or now
    seen = _epoch(published)
    if seen is None or seen > detected or seen < detected - window:
        seen = detected
    # To the millisecond, as the log keeps it: the deciding daemon's first_seen is then the
    # same as every other daemon's, which read it back from the log.
    return Report(str(alert["id"]), str(alert["source"]), round(seen, 3), title, _cut(text))


def story_field(ref: StoryRef) -> dict[str, Any]:
    """A story as its alerts carry it (docs/alerts.md)."""
    return {
        "id": ref.id,
        "first": ref.first,
        "sources": ref.sources,
        "first_source": ref.first_source,
        "first_seen": iso(datetime.fromtimestamp(ref.first_seen, UTC)),
    }


def _cut(text: str) -> str:
    return " ".join(text[:_TEXT_CHARS].split()[:TEXT_WORDS])


def _epoch(stamp: object) -> float | None:
    """Epoch seconds of an alert's ISO time, else None (absent, or not a time)."""
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        return epoch(stamp)
    except ValueError:
        return None
