"""Stemming with a cache: news vocabulary is small, so each word is stemmed once.

Most languages use their Snowball stemmer. Russian and Ukrainian are lemmatised instead, with
pymorphy3 and its OpenCorpora (Russian) and VESUM (Ukrainian) dictionaries, shipped as
packages: Snowball has no Ukrainian, and its Russian stemmer cuts "Киев" to "ки" but "Киева" to
"киев", so a city's name would not match its own inflections, where the dictionary knows every
form of it. ``AUTO`` is not a stemmer but a keyword's choice to stem each text in the
language the text is in (``monitor.query.language``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import snowballstemmer

from monitor.errors import QueryError

NO_STEMMING = "none"
AUTO = "auto"
LEMMATISED: dict[str, str] = {"russian": "ru", "ukrainian": "uk"}  # name -> pymorphy3 lang
STEMMERS: frozenset[str] = frozenset(snowballstemmer.algorithms()) | set(LEMMATISED)
LANGUAGES: frozenset[str] = STEMMERS | {NO_STEMMING, AUTO}
# Past this many cached words the cache is dropped and refilled, which bounds memory on a
# daemon that reads unbounded text (names, typos, URLs) for months.
_CACHE_LIMIT = 300_000
# Person-name readings that a tie with a common noun should not win (Ukrainian's dictionary
# scores every reading alike, and lists "кий", a first name, before "Київ" for "Києві").
_PERSON = frozenset({"Name", "Surn", "Patr"})


class Stemmer:
    """A cached stemmer for one language; ``"none"`` returns words unchanged."""

    __slots__ = ("_cache", "_stem", "language")

    def __init__(self, language: str) -> None:
        self.language = language
        self._cache: dict[str, str] = {}
        self._stem = _algorithm(language)

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


def _algorithm(language: str) -> Callable[[str], str]:
    if language == NO_STEMMING:
        return str
    if language in LEMMATISED:
        return _lemmatiser(LEMMATISED[language])
    stemmer: Callable[[str], str] = snowballstemmer.stemmer(language).stemWord
    return stemmer


def _lemmatiser(lang: str) -> Callable[[str], str]:
    analyzer = _analyzer(lang)

    def lemma(form: str) -> str:
        parses = analyzer.parse(form)
        if not parses:
            return form
        best = parses[0].score
        tied = [p for p in parses if p.score >= best]
        chosen = next((p for p in tied if not _PERSON & set(p.tag.grammemes)), parses[0])
        return str(chosen.normal_form)

    return lemma


@cache
def _analyzer(lang: str) -> Any:
    # Imported on first use: 0.2 s and about 15 MB of dictionary, only where such text comes.
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


_STEMMERS: dict[str, Stemmer] = {}


def check_language(language: str) -> str:
    """``language``, if it is a known stemming language, "none" or "auto"; else QueryError
    naming the known ones."""
    if language not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise QueryError(f"unknown stemming language {language!r}; use one of: {known}")
    return language


def stemmer(language: str) -> Stemmer:
    """The shared cached stemmer for ``language``; QueryError if there is none by that name
    ("auto" is none: it names a stemmer per text)."""
    if check_language(language) == AUTO:
        raise QueryError("'auto' picks a stemmer per text; it is not one itself")
    found = _STEMMERS.get(language)
    if found is None:
        found = _STEMMERS[language] = Stemmer(language)
    return found
