"""One story in the index: its reports and the centroid of their terms, and how close a
report is to it.

A report's vector weighs a title term 2 and a text term 1; a story's centroid sums its reports'
vectors, kept to its ``CENTROID_TERMS`` heaviest terms. Comparing a report to the centroid, not
to its closest report, keeps a story from drifting by chains of near neighbours (A like B like
C, A unlike C), the failure of single-link clustering. Both sides are weighed by the terms'
inverse document frequency in the window at the time of the comparison.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field

CENTROID_TERMS = 64
TITLE_WEIGHT = 2
TEXT_WEIGHT = 1


@dataclass(slots=True)
class Member:
    """A report in a story: its hashed terms, packed (the title's first)."""

    report: str
    story: int  # the story's number in the index
    key: int  # the report's number in the index
    terms: bytes  # uint32 terms, the first ``title`` of them the title's
    title: int

    def unpacked(self) -> array[int]:
        """The member's terms."""
        values = array("I")
        values.frombytes(self.terms)
        return values

    def vector(self) -> dict[int, int]:
        """The member's term weights."""
        return weights(self.unpacked(), self.title)


@dataclass(slots=True, eq=False)
class Story:
    """A story of the window; ``centroid`` is None while it has one report (its vector)."""

    id: str
    num: int
    first_source: str
    first_seen: float
    last_seen: float
    sources: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    centroid: dict[int, int] | None = None

    def add(self, member: Member, source: str, seen: float) -> None:
        """Take a report in; its terms join the centroid."""
        if self.members:
            merged = self.centroid if self.centroid is not None else self.members[0].vector()
            for term, weight in member.vector().items():
                merged[term] = merged.get(term, 0) + weight
            self.centroid = _heaviest(merged)
        self.members.append(member)
        if source not in self.sources:
            self.sources.append(source)
        self.last_seen = max(self.last_seen, seen)

    def vector(self) -> Mapping[int, int]:
        """The centroid (the one report's vector, for a story of one)."""
        return self.centroid if self.centroid is not None else self.members[0].vector()

    def gap(self, seen: float) -> float:
        """Seconds between ``seen`` and the story's span of reports."""
        return max(0.0, seen - self.last_seen, self.first_seen - seen)


def weights(terms: array[int] | tuple[int, ...], title: int) -> dict[int, int]:
    """Term weights of a report whose first ``title`` terms are its title's."""
    vec = dict.fromkeys(terms[title:], TEXT_WEIGHT)
    vec.update(dict.fromkeys(terms[:title], TITLE_WEIGHT))
    return vec


def idf(df: int, reports: int) -> float:
    """Smoothed inverse document frequency of a term in ``df`` of ``reports`` reports."""
    return math.log((reports + 1) / (df + 1)) + 1.0


def weighted(vec: Mapping[int, int], df: Mapping[int, int], reports: int) -> dict[int, float]:
    """A report's vector with each term's weight times its IDF."""
    return {term: weight * idf(df.get(term, 0), reports) for term, weight in vec.items()}


def norm(vec: Mapping[int, float]) -> float:
    """The Euclidean norm of a vector."""
    return math.sqrt(sum(value * value for value in vec.values()))


def cosine(
    report: Mapping[int, float], report_norm: float, story: Mapping[int, int],
    log_df: Mapping[int, float], reports: int,
) -> float:  # fmt: skip
    """The cosine of a report's IDF-weighted vector and a story's centroid weighted alike.

    The story's side is weighed here, term by term, with the IDF of the moment: the hot loop
    of a decision, so IDF is inlined (log(n+1) once, then each term's log(df+1), which
    ``log_df`` holds, kept by the index as the frequencies change).
    """
    dot = 0.0
    story_norm = 0.0
    base = math.log(reports + 1) + 1.0
    get = log_df.get
    for term, weight in story.items():
        value = weight * (base - get(term, 0.0))
        story_norm += value * value
        mine = report.get(term)
        if mine is not None:
            dot += mine * value
    if dot == 0.0:
        return 0.0
    return dot / (report_norm * math.sqrt(story_norm))


def _heaviest(vec: dict[int, int]) -> dict[int, int]:
    if len(vec) <= CENTROID_TERMS:
        return vec
    kept = sorted(vec.items(), key=lambda item: (-item[1], item[0]))[:CENTROID_TERMS]
    return dict(kept)
