"""The stories in the window, in memory, and the decision which story a report joins.

``decide`` only reads; ``apply`` records an entry. The daemon decides against its mirror of the
Redis story log, asks Redis to append the entry only if the log has not grown meanwhile, and
applies what the log holds, so every daemon's index holds the same entries in the same order.
Everything ``apply`` builds (term frequencies, postings, signatures, centroids) follows from the
entries and their order alone, so every mirror decides alike.

How a report finds its story, in two steps, each looking at few stories:

1. A copy: the MinHash LSH bands give the reports that may share most of its terms; one whose
   estimated Jaccard is at least ``settings.duplicate`` makes the report join its story.
2. A write-up: the postings of the report's rarest terms (fewest reports in the window) give
   the stories that share them; the report joins the closest by IDF-weighted cosine to the
   story's centroid (or, when that is at least half the threshold, to one of the story's latest
   reports, discounted), lowered with the time since the story's last report, if it reaches
   ``settings.threshold`` (a little less for a short report). Otherwise it starts a story.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from array import array
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter

from monitor.stories.copies import CopyIndex, signature
from monitor.stories.features import Features, features
from monitor.stories.model import Report, StorySettings
from monitor.stories.story import Member, Story, cosine, norm, weighted, weights

RARE_TERMS = 10  # a report looks up the postings of this many of its rarest terms
RECENT_POSTINGS = 128  # of a term's postings, the most recent stories are looked at
MAX_CANDIDATES = 8  # stories scored per report, those sharing the most rare terms
# A report may join by its cosine to one of a story's RECENT_MEMBERS latest reports, times
# MEMBER_DISCOUNT (a stricter bar than the centroid's), if its cosine to the centroid is at
# least MEMBER_GATE of the threshold: near the story as a whole, nearer its newest phase.
RECENT_MEMBERS = 4
MEMBER_DISCOUNT = 0.9
MEMBER_GATE = 0.5
# A short report (SHORT_TERMS terms or fewer: a headline with no lede, as Google News gives)
# joins at SHORT_REPORT of the threshold: with few terms its cosine is coarse (two headlines
# of 8 terms sharing 2 that weigh alike score 0.25), where reports with ledes share more.
SHORT_TERMS = 15
SHORT_REPORT = 0.9
_SLACK = 1e-9  # a bound this close to the best is scored all the same: float rounding


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
    features: Features


@dataclass(frozen=True, slots=True)
class Decision:
    """What ``decide`` found: the entry to append, and the story as the alert will carry it."""

    entry: Entry
    ref: StoryRef


class StoryIndex:
    """Stories whose last report is within the window of the newest report seen."""

    def __init__(self, settings: StorySettings | None = None) -> None:
        self.settings = settings or StorySettings()
        self._stories: dict[str, Story] = {}
        self._by_num: dict[int, Story] = {}
        self._reports: dict[str, StoryRef] = {}
        self._members: dict[int, Member] = {}
        self._df: dict[int, int] = {}  # reports in the window holding a term
        self._log_df: dict[int, float] = {}  # log(df + 1) of each term: cosine's hot loop
        self._postings: dict[int, array[int]] = {}  # term -> numbers of stories holding it
        self._copies = CopyIndex()
        self._expiry: list[tuple[float, int]] = []  # (last seen, story number), a heap
        self._next_story = 0
        self._next_member = 0

    def __len__(self) -> int:
        """Reports in the window."""
        return len(self._members)

    @property
    def stories(self) -> int:
        """Stories in the window."""
        return len(self._stories)

    def assign(self, report: Report) -> StoryRef:
        """Decide and apply at once (offline, and in tests)."""
        decision = self.decide(report)
        return self.apply(decision.entry)

    def decide(self, report: Report) -> Decision:
        """The story ``report`` joins (a new one when none is close enough); reads only."""
        feats = features(report.title, report.text, report.lang)
        known = self._reports.get(report.id)
        if known is not None:
            return Decision(self._entry(report, known.id, feats), known)
        story = self._copied(feats, report.seen) or self._closest(feats, report.seen)
        if story is None:
            story_id = new_story_id(report.id)
            ref = StoryRef(story_id, True, 1, report.source, report.seen)
            return Decision(self._entry(report, story_id, feats), ref)
        sources = len(story.sources) + (report.source not in story.sources)
        ref = StoryRef(story.id, False, sources, story.first_source, story.first_seen)
        return Decision(self._entry(report, story.id, feats), ref)

    def apply(self, entry: Entry) -> StoryRef:
        """Record an entry of the log (again is a no-op): its report's story as it stood."""
        known = self._reports.get(entry.report)
        if known is not None:
            return known
        story = self._stories.get(entry.story)
        first = story is None
        if story is None:
            story = self._new_story(entry)
        self._add_member(story, entry)
        ref = StoryRef(story.id, first, len(story.sources), story.first_source, story.first_seen)
        self._reports[entry.report] = ref
        heapq.heappush(self._expiry, (story.last_seen, story.num))
        return ref

    def expire(self, now: float) -> None:
        """Forget stories whose last report is older than the window, and their reports."""
        cutoff = now - self.settings.window
        while self._expiry and self._expiry[0][0] < cutoff:
            last_seen, num = heapq.heappop(self._expiry)
            story = self._by_num.get(num)
            if story is not None and story.last_seen == last_seen:  # else it has grown since
                self._drop(story)

    def _entry(self, report: Report, story: str, feats: Features) -> Entry:
        return Entry(report.id, story, report.source, report.seen, feats)

    def _copied(self, feats: Features, seen: float) -> Story | None:
        if not feats.terms:
            return None
        for _share, key in self._copies.copies(signature(feats.terms), self.settings.duplicate):
            story = self._by_num[self._members[key].story]
            if story.gap(seen) <= self.settings.window:
                return story
        return None

    def _closest(self, feats: Features, seen: float) -> Story | None:
        reports = len(self._members)
        vec = weighted(weights(feats.terms, len(feats.title)), self._df, reports)
        vec_norm = norm(vec)
        # The best score wins, and of equal scores the later candidate. The candidates are
        # scored most promising first (by an upper bound of their cosine to the centroid); one
        # whose bound reaches neither the best so far nor the member rule's gate is never
        # scored: its cosine is the cost.
        bounded = []
        for pos, story in enumerate(self._candidates(feats.terms, seen)):
            centroid, recency = story.vector(), self._recency(story.gap(seen))
            bound = _bound(vec, vec_norm, centroid)
            bounded.append((bound * recency, pos, bound, story, centroid, recency))
        bounded.sort(key=itemgetter(0, 1), reverse=True)
        best, best_score, best_pos = None, self.settings.threshold, -1
        if len(feats.terms) <= SHORT_TERMS:  # a headline alone: a coarser cosine
            best_score *= SHORT_REPORT
        gate = MEMBER_GATE * self.settings.threshold
        for reach, pos, bound, story, centroid, recency in bounded:
            if reach < best_score - _SLACK and bound < gate - _SLACK:
                continue
            score = self._similarity(vec, vec_norm, story, centroid) * recency
            if score > best_score or (score == best_score and pos > best_pos):
                best, best_score, best_pos = story, score, pos
        return best

    def _similarity(
        self, vec: dict[int, float], vec_norm: float, story: Story, centroid: Mapping[int, int]
    ) -> float:
        """Cosine to the centroid, or to one of the story's latest reports (discounted) when
        the centroid is not far: a developing story's next phase continues its newest one."""
        reports = len(self._members)
        similarity = cosine(vec, vec_norm, centroid, self._log_df, reports)
        if similarity < MEMBER_GATE * self.settings.threshold or len(story.members) < 2:
            return similarity
        for member in story.members[-RECENT_MEMBERS:]:
            near = cosine(vec, vec_norm, member.vector(), self._log_df, reports) * MEMBER_DISCOUNT
            similarity = max(similarity, near)
        return similarity

    def _candidates(self, terms: tuple[int, ...], seen: float) -> list[Story]:
        rare = sorted((df, term) for term in terms if (df := self._df.get(term, 0)) > 0)
        hits: Counter[int] = Counter()
        for _df, term in rare[:RARE_TERMS]:
            hits.update(set(self._postings[term][-RECENT_POSTINGS:]))
        found: list[Story] = []
        for num, count in _most_common(hits, 4 * MAX_CANDIDATES):
            if count < 2 and found:  # one shared rare term: chance, once a better one is in hand
                break
            story = self._by_num.get(num)
            if story is not None and story.gap(seen) <= self.settings.window:
                found.append(story)
                if len(found) == MAX_CANDIDATES:
                    break
        return found

    def _recency(self, gap: float) -> float:
        """1 for a report beside the story's, down to 1/2 at the window's end."""
        window = self.settings.window
        return 1.0 - min(gap, window) / (2 * window)

    def _new_story(self, entry: Entry) -> Story:
        story = Story(entry.story, self._next_story, entry.source, entry.seen, entry.seen)
        self._next_story += 1
        self._stories[story.id] = story
        self._by_num[story.num] = story
        return story

    def _add_member(self, story: Story, entry: Entry) -> None:
        terms = entry.features.terms
        packed = array("I", terms).tobytes()
        key = self._next_member
        self._next_member += 1
        member = Member(entry.report, story.num, key, packed, len(entry.features.title))
        posted = set(story.vector()) if story.members else set()
        story.add(member, entry.source, entry.seen)
        self._members[key] = member
        for term in terms:
            df = self._df[term] = self._df.get(term, 0) + 1
            self._log_df[term] = math.log(df + 1)
            if term not in posted:
                self._post(term, story.num)
        if terms:
            self._copies.add(key, signature(terms))

    def _post(self, term: int, num: int) -> None:
        postings = self._postings.get(term)
        if postings is None:
            self._postings[term] = array("I", [num])
            return
        postings.append(num)
        if len(postings) > 2 * RECENT_POSTINGS:  # only the recent ones are ever read
            del postings[:-RECENT_POSTINGS]

    def _drop(self, story: Story) -> None:
        for member in story.members:
            for term in member.unpacked():
                left = self._df[term] - 1
                if left:
                    self._df[term] = left
                    self._log_df[term] = math.log(left + 1)
                else:
                    del self._df[term], self._log_df[term]
                    self._postings.pop(term, None)
            self._copies.remove(member.key)
            del self._members[member.key]
            self._reports.pop(member.report, None)
        del self._stories[story.id]
        del self._by_num[story.num]


def _bound(report: Mapping[int, float], report_norm: float, centroid: Mapping[int, int]) -> float:
    """An upper bound of the report's cosine to a centroid (Cauchy-Schwarz: only the terms
    they share add to the dot product), at a third of the cost of the cosine."""
    shared = sum(value * value for term, value in report.items() if term in centroid)
    return math.sqrt(shared) / report_norm if shared else 0.0


def _most_common(hits: Counter[int], n: int) -> list[tuple[int, int]]:
    """``hits.most_common(n)``, in the same order (ties as counted first), without heapq's
    Python loop over every story counted: a sort in C is several times faster here."""
    return sorted(hits.items(), key=itemgetter(1), reverse=True)[:n]


def new_story_id(report_id: str) -> str:
    """A story's id, from its first report's: the same on every daemon that decides it."""
    return "s-" + hashlib.blake2b(report_id.encode(), digest_size=6).hexdigest()
