"""Text normalisation shared by extraction and diff: one definition of "the same text".

Hashes are taken of normalised text, so that curly quotes, dash forms, non-breaking spaces and
"Updated 5 min ago" labels never look like edits; fingerprints also drop punctuation and case,
so an edit that only touches those is recognised as cosmetic.
"""

from __future__ import annotations

import difflib
import hashlib
import html as html_lib
import re
import unicodedata

from lxml import html as lxml_html

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\u00ad": "",
        # NUL and the other C0 controls (and DEL) are no text: a feed's &#0; or raw \x01 went
        # into alerts. Tab, newline, VT, FF and CR stay: the whitespace rules below make them
        # a space or a line break, so words on either side stay apart.
        **{chr(c): None for c in [*range(0x09), *range(0x0E, 0x20), 0x7F]},
    }
)
_SPACES = re.compile(r"[ \t\f\v\r]{2,}|[\t\f\v\r]")  # only runs that change
_BLANK_LINES = re.compile(r"\s*\n\s*")
_RELATIVE_LABELS = re.compile(
    r"(?im)^\s*(?:updated|posted|published|last updated)?\s*"
    r"(?:\d+\s*(?:sec|secs|second|seconds|min|mins|minute|minutes|hr|hrs|hour|hours|day|days)"
    r"\s+ago|just now)\s*$"
)
_UPDATED_LABEL = re.compile(
    r"(?i)\b(?:last\s+)?(?:updated|posted)\s+\d+\s*"
    r"(?:sec|secs|seconds?|min|mins|minutes?|hrs?|hours?|days?)\s+ago\b[.:]?"
)
_WORD = re.compile(r"\w+(?:[-'.,]\w+)*", re.UNICODE)
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d")


def normalize(text: str) -> str:
    """NFKC, straight quotes, one dash form, no control characters, no relative-time labels,
    collapsed whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    lowered = text.lower()
    if (
        "ago" in lowered or "just now" in lowered
    ):  # the label regexes are costly; most texts lack both
        text = _RELATIVE_LABELS.sub("", text)
        text = _UPDATED_LABEL.sub("", text)
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


def text_hash(text: str) -> str:
    """A short stable hash of already-normalised text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def fingerprint(text: str, *, normalized: bool = False) -> str:
    """Hash of the letters and digits only: equal fingerprints mean a cosmetic edit."""
    folded = _NON_ALNUM.sub("", (text if normalized else normalize(text)).casefold())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:20]


def words(text: str) -> list[str]:
    """The words of a text, as written (numbers like 130,000 and 3.5 stay whole)."""
    return _WORD.findall(text)


def shingles(text: str, size: int = 3, limit: int = 60) -> frozenset[tuple[str, ...]]:
    """Word ``size``-grams of the first ``limit`` casefolded words: a block's content signature."""
    tokens = [w.casefold() for w in words(text)[:limit]]
    if len(tokens) < size:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def similarity(a: str, b: str) -> float:
    """How alike two block texts are, 0..1: shingle Jaccard, or a sequence ratio for short ones."""
    if len(words(a)) < 40 or len(words(b)) < 40:
        return difflib.SequenceMatcher(None, words(a.casefold()), words(b.casefold())).ratio()
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def word_diff(before: str, after: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Runs of words added and removed between two versions, each run joined by spaces."""
    old, new = words(before), words(after)
    added: list[str] = []
    removed: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            removed.append(" ".join(old[i1:i2]))
        if op in ("replace", "insert"):
            added.append(" ".join(new[j1:j2]))
    return tuple(added), tuple(removed)


def edit_marks(before: str, after: str) -> list[tuple[int, int, str]]:
    """Where ``after`` differs from ``before``, word by word: each change as the character span
    of ``after`` holding the words added there (empty for a pure removal) and the words
    removed there, joined by spaces."""
    old, new = list(_WORD.finditer(before)), list(_WORD.finditer(after))
    matcher = difflib.SequenceMatcher(
        None, [m.group() for m in old], [m.group() for m in new], autojunk=False
    )
    marks = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        at = new[j1 - 1].end() if j1 else 0
        start, end = (new[j1].start(), new[j2 - 1].end()) if j2 > j1 else (at, at)
        marks.append((start, end, " ".join(m.group() for m in old[i1:i2])))
    return marks


def has_digits(runs: tuple[str, ...]) -> bool:
    """Whether any of the runs holds a digit (an edit that changed a number)."""
    return any(_NUMBER.search(run) for run in runs)


_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"),
        *("tr", "table", "section", "article", "header", "footer", "figure", "figcaption"),
        *("br", "hr", "dd", "dt", "dl", "aside", "main"),
    }
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "button"})


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, one line per block element, normalised."""
    if "<" not in html:
        return normalize(_unescape(html))
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (ValueError, TypeError, SyntaxError):
        return normalize(_unescape(re.sub(r"<[^>]*>", " ", html)))
    parts: list[str] = []
    _walk(root, parts)
    return normalize("".join(parts))


def _walk(el: object, parts: list[str]) -> None:
    tag = getattr(el, "tag", None)
    if not isinstance(tag, str):  # comments and processing instructions
        tail = getattr(el, "tail", None)
        if tail:
            parts.append(tail)
        return
    name = tag.lower()
    if name not in _SKIP_TAGS:
        block = name in _BLOCK_TAGS
        if block:
            parts.append("\n")
        text = getattr(el, "text", None)
        if text:
            parts.append(text)
        for child in el:  # type: ignore[attr-defined]
            _walk(child, parts)
        if block:
            parts.append("\n")
    tail = getattr(el, "tail", None)
    if tail:
        parts.append(tail)


def _unescape(text: str) -> str:
    return html_lib.unescape(text)


def added_spans(before: str, after: str) -> list[tuple[int, int]]:
    """Character spans of ``after`` holding words that ``before`` did not have."""
    old = [m.group().casefold() for m in _WORD.finditer(before)]
    new = list(_WORD.finditer(after))
    matcher = difflib.SequenceMatcher(
        None, old, [m.group().casefold() for m in new], autojunk=False
    )
    spans = []
    for op, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "insert") and j2 > j1:
            spans.append((new[j1].start(), new[j2 - 1].end()))
    return spans
