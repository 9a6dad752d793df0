"""Which language a text is taken to be in, and which stemmer that means.

A text long enough to tell (``LONG_WORDS`` words) is detected from its words with CLD2
(pycld2: Chromium's detector, its tables compiled into the package; 165 languages, about
0.03 ms for the first ``SAMPLE`` characters of a text); a shorter one is taken to be in the
language its page or feed declares (``<html lang>``, the feed's ``language`` or
``xml:lang``), or, with none declared, in what the detector says when it calls its answer
reliable. So a page that declares the wrong language is still read right where its text is
long enough, and a two-word headline is not guessed at. Languages are ISO 639-1 codes ("en",
"uk"), the primary subtag of what was declared or detected.

py3langid and lingua were measured first: about 0.5 ms and 0.9 ms a text on this machine,
which cost matching a quarter to a half of its speed (bench/bench_match.py); CLD2 costs it a
few per cent, and is as right on the Russian, Ukrainian and English texts of the tests.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final

from monitor.query.stem import NO_STEMMING, STEMMERS

LONG_WORDS: Final = 20  # words from which detection overrides the declared language
SAMPLE: Final = 400  # characters the detector reads: enough to tell, and it costs per byte
UNDETERMINED_STEMMER: Final = "english"  # what keywords stemmed every text as before

_TAG = re.compile(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*")
# Codes that are wrong but common (a country for a language), and withdrawn ISO 639 codes
# (CLD2 still says "iw" for Hebrew).
_CODE_ALIASES = {"ua": "uk", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no"}
_NOT_LANGUAGES = frozenset({"zxx", "und", "mul", "mis", "un", "xx"})
# What CLD2 refuses as "invalid UTF-8": control characters, surrogates and noncharacters.
_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)
_ISO_STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nn": "norwegian",
    "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil",
    "tr": "turkish", "yi": "yiddish", "uk": "ukrainian",
}  # fmt: skip
assert set(_ISO_STEMMERS.values()) <= STEMMERS


def declared(tag: str | None) -> str | None:
    """The language code of a declared tag ("en-GB" → "en", "uk_UA" → "uk"), or None for a
    tag that names no language."""
    found = _TAG.fullmatch(tag) if tag else None
    if found is None:
        return None
    code = found.group(1).lower()
    code = _CODE_ALIASES.get(code, code)
    return None if code in _NOT_LANGUAGES else code


def taken_as(text: str, declared: str | None, words: int | None = None) -> str | None:
    """The language ``text`` is taken to be in (None: cannot tell); ``words`` is its number
    of words when the caller has counted them."""
    long = (words if words is not None else len(text[: SAMPLE * 2].split())) >= LONG_WORDS
    if declared and not long:
        return declared
    return detect(text) or declared


def detect(text: str) -> str | None:
    """The language CLD2 reliably finds in the start of ``text``, or None (no language in
    it, too little text, or no reliable answer)."""
    sample = text[:SAMPLE]
    try:
        found = _cld2().detect(sample, isPlainText=True)
    except Exception:  # characters CLD2 refuses: blanked only then, as that costs more
        found = _detect_cleaned(sample)
    reliable, _, details = found
    return declared(details[0][1]) if reliable else None


def _detect_cleaned(sample: str) -> Any:
    try:
        return _cld2().detect(_REFUSED.sub(" ", sample), isPlainText=True)
    except Exception:  # pycld2.error on anything else it cannot read: no answer, no failure
        return False, 0, (("", "un", 0, 0.0),)


def stemming_language(code: str | None) -> str:
    """The stemmer a text in language ``code`` is stemmed with, for keywords that stem each
    text in its own language: its Snowball stemmer or lemmatiser, "none" for a language that
    has neither, and English for a text whose language could not be told."""
    if code is None:
        return UNDETERMINED_STEMMER
    return _ISO_STEMMERS.get(code, NO_STEMMING)


@cache
def _cld2() -> Any:
    import pycld2  # on first use: only a poll that matches keywords needs it

    return pycld2
