"""A report's features: the words it is about, and their similarity to a story's."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"\w+", re.UNICODE)


def features(title: str, text: str) -> frozenset[str]:
    """The normalised words of a report's title (its lede when it has no title)."""
    words = _words(title) or _words(text)
    return frozenset(words)


def similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard similarity of two word sets."""
    left, right = set(a), set(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(folded)
