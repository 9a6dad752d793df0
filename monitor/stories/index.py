"""The stories in the window, in memory, and the decision which story a report joins.

``decide`` only reads; ``apply`` records an entry. The daemon decides against its mirror of the
Redis story log, asks Redis to append the entry only if the log has not grown meanwhile, and
applies what the log holds, so every daemon's index holds the same entries in the same order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from monitor.stories.features import features, similarity
from monitor.stories.model import Report, StorySettings


@dataclass(frozen=True, slots=True)
class StoryRef:
    """A report's story, as its alert carries it."""

    id: str
    first: bool  # this report started the story
    sources: int  # distinct sources that reported it so far, this one included
    first_source: str
    first_seen: float  # epoch seconds


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the story log: a report and the story it joined."""

    report: str  # the report's id
    story: str
    source: str
    seen: float
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """What ``decide`` found: the entry to append, and the story as the alert will carry it."""

    entry: Entry
    ref: StoryRef


@dataclass(slots=True)
class _Story:
    id: str
    first_source: str
    first_seen: float
    last_seen: float
    sources: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)


class StoryIndex:
    """Stories whose last report is within the window of the newest report seen."""

    def __init__(self, settings: StorySettings | None = None) -> None:
        self.settings = settings or StorySettings()
        self._stories: dict[str, _Story] = {}
        self._reports: dict[str, StoryRef] = {}

    def assign(self, report: Report) -> StoryRef:
        """Decide and apply at once (offline, and in tests)."""
        decision = self.decide(report)
        self.apply(decision.entry)
        return decision.ref

    def decide(self, report: Report) -> Decision:
        """The story ``report`` joins (a new one when none is close enough); reads only."""
        known = self._reports.get(report.id)
        words = tuple(sorted(features(report.title, report.text)))
        if known is not None:
            entry = Entry(report.id, known.id, report.source, report.seen, words)
            return Decision(entry, known)
        story = self._best(words, report.seen)
        if story is None:
            entry = Entry(report.id, f"s-{report.id[:20]}", report.source, report.seen, words)
            ref = StoryRef(entry.story, True, 1, report.source, report.seen)
            return Decision(entry, ref)
        sources = len(story.sources | {report.source})
        ref = StoryRef(story.id, False, sources, story.first_source, story.first_seen)
        return Decision(Entry(report.id, story.id, report.source, report.seen, words), ref)

    def apply(self, entry: Entry) -> StoryRef:
        """Record an entry of the log (again is a no-op): its report's story as it stood."""
        known = self._reports.get(entry.report)
        if known is not None:
            return known
        story = self._stories.get(entry.story)
        first = story is None
        if story is None:
            story = _Story(entry.story, entry.source, entry.seen, entry.seen)
            self._stories[entry.story] = story
        story.sources.add(entry.source)
        story.words |= set(entry.features)
        story.last_seen = max(story.last_seen, entry.seen)
        ref = StoryRef(story.id, first, len(story.sources), story.first_source, story.first_seen)
        self._reports[entry.report] = ref
        return ref

    def expire(self, now: float) -> None:
        """Forget stories whose last report is older than the window."""
        cutoff = now - self.settings.window
        for key in [k for k, s in self._stories.items() if s.last_seen < cutoff]:
            del self._stories[key]

    def _best(self, words: tuple[str, ...], seen: float) -> _Story | None:
        cutoff = seen - self.settings.window
        scored = [
            (similarity(words, s.words), s.id)
            for s in self._stories.values()
            if s.last_seen >= cutoff
        ]
        best = max(scored, default=(0.0, ""))
        return self._stories[best[1]] if best[0] >= self.settings.threshold else None


def encode_entry(entry: Entry) -> str:
    """An entry as one compact JSON line of the Redis story log (its memory is the index's
    cost per report, budgeted at under 1 KiB)."""
    record = [entry.report, entry.story, entry.source, round(entry.seen, 3), list(entry.features)]
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def decode_entry(line: str) -> Entry:
    """The entry ``encode_entry`` wrote; ValueError when the line is not one."""
    try:
        report, story, source, seen, words = json.loads(line)
        return Entry(str(report), str(story), str(source), float(seen), tuple(map(str, words)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a story log entry: {line[:80]!r}") from exc
