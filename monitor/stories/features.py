"""A report's terms: normalised, stemmed words of any script, hashed to 32 bits.

A term is a word folded (NFKC, casefold) and stemmed with the Snowball stemmer of its script
or of the report's language (Arabic, Russian, Greek, Hindi, ... ; Latin script with the report's
language, English when none is given). Scripts written without spaces (Chinese, Japanese, Thai,
Lao, Khmer, Myanmar) give overlapping character pairs instead of words, the usual way to index
them without a dictionary. A script with no stemmer is indexed by its folded words. Terms are
kept as 32-bit MurmurHash3 values: the story log stores four bytes a term, whatever the
script, and every daemon hashes a word the same way.

There are no stopword lists: the index weighs terms by their inverse document frequency in the
window, which is near zero for the words every report shares, in every language alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import mmh3
import snowballstemmer

MAX_TITLE_TERMS = 20  # a headline rarely has more distinct words
MAX_TEXT_TERMS = 20  # the lede's first distinct words, after those of the title
# Only the start of a long text is read: its first distinct terms are all that is kept, and a
# page's whole body (tens of kilobytes) would cost milliseconds to fold and stem.
MAX_TITLE_CHARS = 600
MAX_TEXT_CHARS = 3000
_SEED = 0x5EED

# A word: word characters and the combining marks inside words, which Python's \w leaves out
# (Indic vowel signs and viramas, Thai and Lao vowels and tones, Hebrew points, Arabic harakat,
# Latin combining accents, the zero-width (non-)joiners of Persian and Indic spelling).
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc"
    "\u0ec8-\u0ecd\u0f18\u0f19\u0f35\u0f37\u0f39\u0f71-\u0f84\u102b-\u103e\u1056-\u1059"
    "\u17b4-\u17d3\u1dc0-\u1dff\u200c\u200d\u20d0-\u20f0\ufe20-\ufe2f"
)
_WORD = re.compile(f"[\\w{_MARKS}]+", re.UNICODE)
# Scripts written without spaces between words: Han, Hiragana, Katakana, Thai, Lao, Khmer,
# Myanmar (Hangul is spaced, so its words are words).
_UNSPACED = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]+"
)
_ARABIC_CONJUNCTION = re.compile(r"^[وف](?=ال)")  # "والقنيطرة", "فالقنيطرة": and/so + the

# ISO 639-1 code of a report's language -> Snowball algorithm.
_BY_LANG = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip
# Script of a word's first letter -> the stemmer to use when the report's language has none
# for that script (an English feed quoting a Russian name, or no language given).
_BY_SCRIPT = {
    "ARABIC": "arabic", "CYRILLIC": "russian", "GREEK": "greek", "ARMENIAN": "armenian",
    "DEVANAGARI": "hindi", "TAMIL": "tamil", "LATIN": "english",
}  # fmt: skip
_SCRIPT_OF_LANG = {
    "arabic": "ARABIC", "persian": "ARABIC", "russian": "CYRILLIC", "serbian": "CYRILLIC",
    "greek": "GREEK", "armenian": "ARMENIAN", "hindi": "DEVANAGARI", "nepali": "DEVANAGARI",
    "tamil": "TAMIL", "yiddish": "HEBREW",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Features:
    """A report's distinct terms: those of its title, then the first ones of its text."""

    title: tuple[int, ...]
    text: tuple[int, ...]  # terms of the text that are not in the title

    @property
    def terms(self) -> tuple[int, ...]:
        """Every term, the title's first."""
        return self.title + self.text


def features(title: str, text: str, lang: str | None = None) -> Features:
    """The hashed terms of a report's title and text (of its text alone when it has no
    title: a Telegram post or a bare block is all lede)."""
    algorithm = _BY_LANG.get((lang or "").split("-")[0].lower())
    head = _distinct(_hashes(title[:MAX_TITLE_CHARS], algorithm), MAX_TITLE_TERMS, frozenset())
    body = _distinct(_hashes(text[:MAX_TEXT_CHARS], algorithm), MAX_TEXT_TERMS, frozenset(head))
    if not head:  # no title: the text's first terms stand in for it
        return Features(body, ())
    return Features(head, body)


def terms(text: str, algorithm: str | None = None) -> list[str]:
    """The stemmed terms of ``text``, in order (repeats included)."""
    return list(_iter_terms(text, algorithm))


def _iter_terms(text: str, algorithm: str | None) -> Iterator[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    for word in _WORD.findall(folded):
        yield from _word_terms(word, algorithm)


def _hashes(text: str, algorithm: str | None) -> Iterator[int]:
    """The hashed terms of ``text``, in order. Lazy: ``features`` keeps a report's first
    distinct terms and stops there, so the words of a long text after them are never read."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    for word in _WORD.findall(folded):
        yield from _word_hashes(word, algorithm)


@lru_cache(maxsize=1 << 16)
def _word_hashes(word: str, algorithm: str | None) -> tuple[int, ...]:
    """A folded word's hashed terms; cached, as news repeats its words from report to report."""
    return tuple(map(_hash, _word_terms(word, algorithm)))


def _word_terms(word: str, algorithm: str | None) -> list[str]:
    if _UNSPACED.search(word):
        return _unspaced_terms(word, algorithm)
    if len(word) < 2 and not word.isdigit():
        return []
    return [_stem(word, algorithm)]


def _unspaced_terms(word: str, algorithm: str | None) -> list[str]:
    """Character pairs of the unspaced runs in ``word``; its other runs as words."""
    found: list[str] = []
    last = 0
    for run in _UNSPACED.finditer(word):
        found.extend(_word_terms(word[last : run.start()], algorithm) if run.start() > last else [])
        chars = run.group()
        found.extend(chars[i : i + 2] for i in range(max(1, len(chars) - 1)))
        last = run.end()
    if last < len(word):
        found.extend(_word_terms(word[last:], algorithm))
    return found


@lru_cache(maxsize=1 << 16)
def _stem(word: str, algorithm: str | None) -> str:
    """The stem of a folded word; cached, as a Snowball stem costs ~0.1 ms in pure Python."""
    chosen = _stemmer_name(word, algorithm)
    if chosen is None:
        return word
    if chosen == "arabic":
        word = _ARABIC_CONJUNCTION.sub("", word)
    return str(_stemmer(chosen).stemWord(word)) or word


def _stemmer_name(word: str, algorithm: str | None) -> str | None:
    if word[0].isdigit():
        return None
    script = _script(word[0])
    if algorithm is not None and _SCRIPT_OF_LANG.get(algorithm, "LATIN") == script:
        return algorithm
    return _BY_SCRIPT.get(script)


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


@cache
def _stemmer(algorithm: str) -> Any:  # snowballstemmer ships no types
    return snowballstemmer.stemmer(algorithm)


def _hash(term: str) -> int:
    return int(mmh3.hash(term, _SEED, signed=False))


def _distinct(hashes: Iterable[int], limit: int, skip: frozenset[int]) -> tuple[int, ...]:
    seen: dict[int, None] = {}
    for value in hashes:
        if value not in skip and value not in seen:
            seen[value] = None
            if len(seen) == limit:
                break
    return tuple(seen)
