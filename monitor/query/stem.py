"""Snowball stemming with a cache: news vocabulary is small, so each word is stemmed once."""

from __future__ import annotations

import snowballstemmer

from monitor.errors import QueryError

NO_STEMMING = "none"
LANGUAGES: frozenset[str] = frozenset(snowballstemmer.algorithms()) | {NO_STEMMING}
# Past this many cached words the cache is dropped and refilled, which bounds memory on a
# daemon that reads unbounded text (names, typos, URLs) for months.
_CACHE_LIMIT = 300_000


class Stemmer:
    """A cached stemmer for one language; ``"none"`` returns words unchanged."""

    __slots__ = ("_cache", "_stem", "language")

    def __init__(self, language: str) -> None:
        self.language = language
        self._cache: dict[str, str] = {}
        algorithm = None if language == NO_STEMMING else snowballstemmer.stemmer(language)
        self._stem = algorithm.stemWord if algorithm is not None else str

    def __call__(self, form: str) -> str:
        """The stem of one casefolded word."""
        stem = self._cache.get(form)
        if stem is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            stem = self._cache[form] = self._stem(form)
        return stem

    def many(self, forms: list[str]) -> list[str]:
        """Stems of a list of words, in order."""
        cache = self._cache
        try:
            return [cache[f] for f in forms]
        except KeyError:
            return [self(f) for f in forms]


_STEMMERS: dict[str, Stemmer] = {}


def check_language(language: str) -> str:
    """``language``, if Snowball knows it (or it is "none"); else QueryError naming the known."""
    if language not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise QueryError(f"unknown stemming language {language!r}; use one of: {known}")
    return language


def stemmer(language: str) -> Stemmer:
    """The shared cached stemmer for ``language``; QueryError if Snowball does not know it."""
    found = _STEMMERS.get(check_language(language))
    if found is None:
        found = _STEMMERS[language] = Stemmer(language)
    return found
