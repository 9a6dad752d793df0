"""Which language a text is taken to be in, and which stemmer that means.

A text long enough to tell (``LONG_WORDS`` words) is detected from its words with py3langid,
whose model ships inside its package (97 languages, 4.5 MB, about 0.15 ms a text on the
first ``SAMPLE`` characters); a shorter one is taken to be in the language its page or feed
declares (``<html lang>``, the feed's ``language`` or ``xml:lang``), or, with none declared,
in what the detector says when it is sure of it. So a page that declares the wrong language
is still read right where its text is long enough, and a two-word headline is not guessed
at. Languages are ISO 639-1 codes ("en", "uk"), the primary subtag of what was declared.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final

from monitor.query.stem import NO_STEMMING, STEMMERS

LONG_WORDS: Final = 20  # words from which detection overrides the declared language
SAMPLE: Final = 400  # characters the detector reads: enough to tell, and it costs per byte
SURE: Final = 0.9  # a short text with no declared language: the detector's least confidence
LIKELY: Final = 0.5  # a long text: below this the declared language is kept
UNDETERMINED_STEMMER: Final = "english"  # what keywords stemmed every text as before

_TAG = re.compile(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*")
# Codes that are wrong but common (a country for a language), and withdrawn ISO 639 codes.
_CODE_ALIASES = {"ua": "uk", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no"}
_NOT_LANGUAGES = frozenset({"zxx", "und", "mul", "mis"})
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
    guess = detect(text)
    if guess is None:
        return declared
    code, confidence = guess
    if confidence >= (LIKELY if long else SURE):
        return code
    return declared


def detect(text: str) -> tuple[str, float] | None:
    """The detector's best language for the start of ``text`` and its confidence (0-1), or
    None when the text has no language in it (digits, punctuation)."""
    code, confidence = _identifier().classify(text[:SAMPLE])
    code = _CODE_ALIASES.get(code, code)
    if code in _NOT_LANGUAGES:
        return None
    return code, float(confidence)


def stemming_language(code: str | None) -> str:
    """The stemmer a text in language ``code`` is stemmed with, for keywords that stem each
    text in its own language: its Snowball stemmer or lemmatiser, "none" for a language that
    has neither, and English for a text whose language could not be told."""
    if code is None:
        return UNDETERMINED_STEMMER
    return _ISO_STEMMERS.get(code, NO_STEMMING)


def load() -> None:
    """Load the detector's model now (about a second), not at the first text."""
    _identifier()


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
