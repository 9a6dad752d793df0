"""One tokenizer for texts and queries, so both sides of a match see the same words.

A word is a run of letters, digits and combining marks; an apostrophe inside a word keeps it
whole ("Russia's", "don't"), and so do "." and "," between digits ("130,000", "3.5"). Hyphens,
slashes and all other punctuation split words, which is why the query "de-escalation" is the
phrase "de escalation" and matches both spellings. Han and kana characters are one token each,
because those scripts do not put spaces between words: a quoted Chinese name becomes a phrase of
characters and is found inside a longer run.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import accumulate

# Python's \w leaves out combining marks (Mn/Mc), which would cut Indic, Arabic, Hebrew and Thai
# words (and decomposed accents) in pieces, so the main mark ranges are added by hand.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTER = rf"(?:[^\W_{_CJK}]|[{_MARKS}])"
_JOIN = r"(?:['\u2019]|(?<=\d)[.,](?=\d))"
TOKEN = re.compile(rf"[{_CJK}]|{_LETTER}+(?:{_JOIN}{_LETTER}+)*")
_SPLIT = re.compile(f"({TOKEN.pattern})")
_POSSESSIVE = re.compile(r"'s(?=\x00|$)")
_SEP = "\x00"


def forms(text: str) -> list[str]:
    """The match forms of a text's words, in order: casefolded, NFKC, without a possessive 's."""
    return to_forms(TOKEN.findall(text))


def to_forms(found: list[str]) -> list[str]:
    """The match forms of words as written."""
    if not found:
        return []
    # One casefold/normalise over the joined words is much cheaper than one per word; the
    # separator survives both, so the list keeps its length and its positions.
    joined = _SEP.join(found)
    if not joined.isascii():
        joined = unicodedata.normalize("NFKC", joined).replace("\u2019", "'")
    joined = joined.casefold()
    if "'" in joined:
        joined = _POSSESSIVE.sub("", joined)
    return joined.split(_SEP)


def split(text: str) -> list[str]:
    """The text cut into alternating gaps and words: ``[gap, word, gap, ..., word, gap]``.

    The words are ``parts[1::2]``; keeping the gaps gives every word's offset by a running sum
    of lengths, so offsets cost nothing until a text matches and then little.
    """
    return _SPLIT.split(text)


def offsets(parts: list[str]) -> list[int]:
    """For ``split`` output: word ``i`` spans ``[result[2 * i], result[2 * i + 1])``."""
    return list(accumulate(map(len, parts)))
