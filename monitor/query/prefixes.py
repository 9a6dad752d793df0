"""Which of many prefixes start a word, in one bisect per word whatever their number.

The prefixes are kept sorted, each with a link to the longest other prefix that is a prefix of
it. For a word, the sorted neighbour just below it either is a prefix of the word or shares
every shorter matching prefix with it, so walking the links from there finds them all.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator


class PrefixSet:
    """A fixed set of prefixes, queried for those that start a given word."""

    __slots__ = ("_heads", "_parents", "_sorted")

    def __init__(self, prefixes: Iterable[str]) -> None:
        self._sorted = sorted(set(prefixes))
        # First one or two letters of every prefix: most words fail this set test and skip
        # the bisect entirely.
        self._heads = frozenset(p[:2] for p in self._sorted)
        self._parents: list[int] = []
        for i in range(len(self._sorted)):
            self._parents.append(self._parent(i))

    def __bool__(self) -> bool:
        return bool(self._sorted)

    def _parent(self, i: int) -> int:
        word = self._sorted[i]
        j = i - 1
        while j >= 0 and not word.startswith(self._sorted[j]):
            j = self._parents[j]
        return j

    def filter(self, words: Iterable[str]) -> list[str]:
        """The words that could start with a stored prefix (a fast, loose first pass)."""
        heads = self._heads
        return [w for w in words if w[:2] in heads or w[:1] in heads]

    def starting(self, word: str) -> Iterator[str]:
        """Every stored prefix of ``word`` (including ``word`` itself), longest first."""
        j = bisect_right(self._sorted, word) - 1
        while j >= 0:
            prefix = self._sorted[j]
            if word.startswith(prefix):
                yield prefix
            j = self._parents[j]
